/* llama_safetensors.c - a Hugging Face LLaMA safetensors file (and its config.json) as a
 * llama2c_model: the names and shapes checked, q_proj / k_proj permuted back to llama2.c's
 * interleaved RoPE order, and the loader that picks the format by content. */
#define _FILE_OFFSET_BITS 64
#include "llama_safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "safetensors.h"
#include "sha256.h"
#include "sizes.h"

#define MAX_SIDE (1 << 20) /* as llama2c.c: no size product overflows */
#define MAX_LAYERS 4096
#define MAX_CONFIG (1 << 20)
#define ROPE_THETA 10000.0 /* forward.c's RoPE base and RMSNorm epsilon */
#define RMS_EPS 1e-5

enum { T_Q, T_K, T_V, T_O, T_GATE, T_DOWN, T_UP, T_ATT_NORM, T_FFN_NORM, N_LAYER_T };
enum { G_EMB = N_LAYER_T, G_NORM, G_HEAD, G_SKIP };
static const char *const layer_names[N_LAYER_T] = {
    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
    "self_attn.o_proj.weight", "mlp.gate_proj.weight",    "mlp.down_proj.weight",
    "mlp.up_proj.weight",      "input_layernorm.weight",  "post_attention_layernorm.weight"};
/* Each layer tensor's block in llama2c_layout order (wq wk wv wo w1 w2 w3 rms_att rms_ffn). */
static const size_t layer_block[N_LAYER_T] = {2, 3, 4, 5, 7, 8, 9, 1, 6};

int llama_st_sniff(const char *path, int *yes, qb_error *err) {
    *yes = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    unsigned char b[9];
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    *yes = got == sizeof b && !b[4] && !b[5] && !b[6] && !b[7] && b[8] == '{';
    return QB_OK;
}

/* ---- config.json ---- */

/* A top-level key of a JSON object: 1 with *v when its value is a number, 0 when it is absent or
 * null, -1 when it is anything else. Nested objects are stepped over, not validated. */
static int json_top_number(const char *s, const char *key, double *v) {
    int depth = 0;
    size_t klen = strlen(key);
    for (const char *p = s; *p; p++) {
        if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        } else if (*p == '"') {
            const char *start = ++p;
            while (*p && *p != '"')
                p += p[0] == '\\' && p[1] ? 2 : 1;
            if (!*p)
                return 0;
            const char *q = p + 1;
            q += strspn(q, " \t\r\n");
            if (depth != 1 || *q != ':' || (size_t)(p - start) != klen || memcmp(start, key, klen))
                continue;
            q++;
            q += strspn(q, " \t\r\n");
            if (!strncmp(q, "null", 4))
                return 0;
            char *end;
            *v = strtod(q, &end);
            return end == q || (*q != '-' && (*q < '0' || *q > '9')) ? -1 : 1;
        }
    }
    return 0;
}

/* config.json beside the checkpoint into *text (NULL when there is none). */
static int read_config(const char *ckpt, char *cpath, size_t len, char **text, qb_error *err) {
    *text = NULL;
    const char *slash = strrchr(ckpt, '/');
    int dir = slash ? (int)(slash - ckpt + 1) : 0;
    snprintf(cpath, len, "%.*sconfig.json", dir, ckpt);
    FILE *f = fopen(cpath, "rb");
    if (!f)
        return errno == ENOENT ? QB_OK
                               : qb_fail(err, "cannot open '%s': %s", cpath, strerror(errno));
    char *t = malloc(MAX_CONFIG + 1);
    size_t n = t ? fread(t, 1, MAX_CONFIG + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!t)
        return qb_oom(err);
    if (bad || n > MAX_CONFIG) {
        free(t);
        return qb_fail(err, "'%s' is %s", cpath, bad ? "unreadable" : "larger than 1 MiB");
    }
    t[n] = 0;
    *text = t;
    return QB_OK;
}

/* A positive integer key of config.json into *out; 0 when absent (or no config). */
static int config_int(const char *text, const char *cpath, const char *key, int *out,
                      qb_error *err) {
    double v = 0;
    int r = text ? json_top_number(text, key, &v) : 0;
    *out = 0;
    if (!r)
        return QB_OK;
    if (r < 0 || !(v >= 1 && v <= MAX_SIDE) || v != floor(v))
        return qb_fail(err, "'%s': %s must be an integer from 1 to %d", cpath, key, MAX_SIDE);
    *out = (int)v;
    return QB_OK;
}

/* What forward.c cannot compute: another RoPE base or RMSNorm epsilon, scaled RoPE. */
static int config_supported(const char *text, const char *cpath, qb_error *err) {
    double v = 0;
    int r = text ? json_top_number(text, "rope_theta", &v) : 0;
    if (r && (r < 0 || v != ROPE_THETA))
        return qb_fail(err,
                       "'%s': rope_theta %g is not supported (the forward pass uses LLaMA-2's "
                       "10000)",
                       cpath, r < 0 ? NAN : v);
    r = text ? json_top_number(text, "rms_norm_eps", &v) : 0;
    if (r && (r < 0 || fabs(v - RMS_EPS) > 1e-6 * RMS_EPS))
        return qb_fail(err,
                       "'%s': rms_norm_eps %g is not supported (the forward pass uses LLaMA-2's "
                       "1e-5)",
                       cpath, r < 0 ? NAN : v);
    if (text && json_top_number(text, "rope_scaling", &v))
        return qb_fail(err, "'%s': rope_scaling is not supported (plain RoPE only)", cpath);
    return QB_OK;
}

/* ---- tensors ---- */

/* Tensor i's role: a layer kind with *layer, or G_*; QB_EINPUT for a name LLaMA does not have. */
static int classify(const char *path, const char *name, int *kind, long *layer, qb_error *err) {
    static const char prefix[] = "model.layers.";
    *layer = -1;
    if (!strncmp(name, prefix, sizeof prefix - 1)) {
        const char *p = name + sizeof prefix - 1;
        char *end;
        long l = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : -1;
        if (l >= 0 && l < MAX_LAYERS && *end == '.') {
            *layer = l;
            for (int k = 0; k < N_LAYER_T; k++)
                if (!strcmp(end + 1, layer_names[k])) {
                    *kind = k;
                    return QB_OK;
                }
            if (!strcmp(end + 1, "self_attn.rotary_emb.inv_freq")) { /* older exports: derived */
                *kind = G_SKIP;
                return QB_OK;
            }
        }
    } else if (!strcmp(name, "model.embed_tokens.weight")) {
        *kind = G_EMB;
        return QB_OK;
    } else if (!strcmp(name, "model.norm.weight")) {
        *kind = G_NORM;
        return QB_OK;
    } else if (!strcmp(name, "lm_head.weight")) {
        *kind = G_HEAD;
        return QB_OK;
    }
    return qb_fail(err,
                   "'%s': tensor '%s' does not fit the LLaMA architecture (expected "
                   "model.embed_tokens.weight, model.layers.N.{self_attn,mlp}.*, "
                   "model.layers.N.*_layernorm.weight, model.norm.weight, lm_head.weight)",
                   path, name);
}

/* The tensor must be float with shape [rows] (cols 0) or [rows, cols]; rows 0: any. */
static int check_tensor(const char *path, const safetensors_tensor *t, uint64_t rows,
                        const char *rows_name, uint64_t cols, qb_error *err) {
    if (t->dtype == ST_OTHER)
        return qb_fail(err, "'%s': tensor '%s' is %s; only F32, F16, BF16 and F64 are read", path,
                       t->name, t->dtype_name);
    size_t ndim = cols ? 2 : 1;
    int ok = t->ndim == ndim && (!rows || t->shape[0] == rows) && t->shape[0] >= 1 &&
             t->shape[0] <= MAX_SIDE && (!cols || t->shape[1] == cols);
    if (ok)
        return QB_OK;
    char got[160] = "[", want[64], r[24];
    for (size_t d = 0; d < t->ndim; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", d ? ", " : "",
                 (unsigned long long)t->shape[d]);
    strcat(got, "]");
    if (rows)
        snprintf(r, sizeof r, "%llu", (unsigned long long)rows);
    else
        snprintf(r, sizeof r, "%s", rows_name);
    if (cols)
        snprintf(want, sizeof want, "[%s, %llu]", r, (unsigned long long)cols);
    else
        snprintf(want, sizeof want, "[%s]", r);
    return qb_fail(err, "'%s': tensor '%s' has shape %s, expected %s", path, t->name, got, want);
}

/* Tensor i into dst, its rows in llama2.c's order when heads > 0: Hugging Face keeps each
 * head's pairs (2i, 2i+1) as rows (i, half + i) (export.py's permute); this is its inverse. */
static int read_into(safetensors_file *sf, size_t i, float *dst, size_t heads, qb_error *err) {
    matrix x;
    int s = safetensors_read(sf, i, &x, err);
    if (s)
        return s;
    if (!heads) {
        memcpy(dst, x.data, x.rows * x.cols * sizeof *dst);
    } else {
        size_t hs = x.rows / heads, half = hs / 2;
        for (size_t h = 0; h < heads; h++)
            for (size_t r = 0; r < half; r++)
                for (size_t j = 0; j < 2; j++)
                    memcpy(dst + (h * hs + 2 * r + j) * x.cols,
                           matrix_row(&x, h * hs + j * half + r), x.cols * sizeof *dst);
    }
    matrix_free(&x);
    return QB_OK;
}

/* The heads and context: given, else config.json; then checked against the shapes. */
static int resolve_hparams(const char *path, const llama_hparams *given, const char *text,
                           const char *cpath, uint64_t kv_dim, llama2c_config *c, qb_error *err) {
    int heads, kv_heads, ctx, s;
    if ((s = config_int(text, cpath, "num_attention_heads", &heads, err)) ||
        (s = config_int(text, cpath, "num_key_value_heads", &kv_heads, err)) ||
        (s = config_int(text, cpath, "max_position_embeddings", &ctx, err)))
        return s;
    heads = given->n_heads ? given->n_heads : heads;
    kv_heads = given->n_kv_heads ? given->n_kv_heads : kv_heads;
    ctx = given->seq_len ? given->seq_len : ctx;
    if (!heads)
        return qb_fail(err,
                       "'%s': the number of attention heads is not in the tensors; give it "
                       "(--heads N, or heads = N in a model entry) or put a config.json with "
                       "num_attention_heads beside the checkpoint",
                       path);
    if (!ctx)
        return qb_fail(err,
                       "'%s': the context length is not in the tensors; give it (--context N, "
                       "or context = N in a model entry) or put a config.json with "
                       "max_position_embeddings beside the checkpoint",
                       path);
    if (c->dim % heads || (c->dim / heads) % 2)
        return qb_fail(err, "'%s': %d heads do not divide dim %d into an even head size", path,
                       heads, c->dim);
    uint64_t hs = (uint64_t)(c->dim / heads);
    if (kv_dim % hs || heads % (int)(kv_dim / hs))
        return qb_fail(err,
                       "'%s': k_proj's %llu rows are not a whole number of key/value heads of "
                       "size %llu dividing the %d heads",
                       path, (unsigned long long)kv_dim, (unsigned long long)hs, heads);
    if (kv_heads && (uint64_t)kv_heads != kv_dim / hs)
        return qb_fail(err,
                       "'%s': %d key/value heads given, but k_proj's %llu rows make %llu heads of "
                       "size %llu",
                       path, kv_heads, (unsigned long long)kv_dim,
                       (unsigned long long)(kv_dim / hs), (unsigned long long)hs);
    c->n_heads = heads;
    c->n_kv_heads = (int)(kv_dim / hs);
    c->seq_len = ctx;
    /* The sizes config.json states must be those of the tensors. */
    const char *keys[] = {"num_hidden_layers", "hidden_size", "intermediate_size", "vocab_size"};
    const int have[] = {c->n_layers, c->dim, c->hidden_dim, c->vocab_size};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        int v;
        if ((s = config_int(text, cpath, keys[k], &v, err)))
            return s;
        if (v && v != have[k])
            return qb_fail(err, "'%s' says %s %d, but the tensors of '%s' give %d", cpath, keys[k],
                           v, path, have[k]);
    }
    return config_supported(text, cpath, err);
}

/* The index of every tensor by role: idx[l * N_LAYER_T + kind] and glob[G_* - G_EMB]; n_layers
 * from the highest layer number. */
static int index_tensors(const safetensors_file *sf, size_t **idx, size_t glob[3], int *n_layers,
                         qb_error *err) {
    int *kind = malloc((sf->n + 1) * sizeof *kind);
    long *layer = malloc((sf->n + 1) * sizeof *layer), top = 0;
    int s = kind && layer ? QB_OK : qb_oom(err);
    for (size_t i = 0; !s && i < sf->n; i++)
        if (!(s = classify(sf->path, sf->t[i].name, &kind[i], &layer[i], err)) && layer[i] >= top)
            top = layer[i] + 1;
    *n_layers = top ? (int)top : 1; /* none: layer 0's q_proj is reported missing */
    *idx = s ? NULL : malloc((size_t)*n_layers * N_LAYER_T * sizeof **idx);
    if (!s && !*idx)
        s = qb_oom(err);
    for (size_t k = 0; !s && k < (size_t)*n_layers * N_LAYER_T; k++)
        (*idx)[k] = SIZE_MAX;
    glob[0] = glob[1] = glob[2] = SIZE_MAX;
    for (size_t i = 0; !s && i < sf->n; i++) {
        if (kind[i] < N_LAYER_T)
            (*idx)[(size_t)layer[i] * N_LAYER_T + (size_t)kind[i]] = i;
        else if (kind[i] != G_SKIP)
            glob[kind[i] - G_EMB] = i;
    }
    free(kind);
    free(layer);
    return s;
}

static int missing(const char *path, const char *name, qb_error *err) {
    return qb_fail(err, "'%s' lacks tensor '%s'%s", path, name,
                   strstr(path, "-of-") ? " (a model split into shards is not read: merge them)"
                                        : "");
}

/* Every tensor present, float, of its shape; c gets the sizes the shapes give. */
static int check_all(const safetensors_file *sf, const size_t *idx, const size_t glob[3],
                     llama2c_config *c, uint64_t *kv_dim, qb_error *err) {
    const char *p = sf->path;
    char name[300];
    if (glob[0] == SIZE_MAX)
        return missing(p, "model.embed_tokens.weight", err);
    const safetensors_tensor *emb = &sf->t[glob[0]];
    if (emb->ndim != 2 || !emb->shape[1] || emb->shape[1] > MAX_SIDE)
        return qb_fail(err, "'%s': tensor '%s' must be 2-D [vocab, dim], dim from 1 to %d", p,
                       emb->name, MAX_SIDE);
    int s = check_tensor(p, emb, 0, "vocab", emb->shape[1], err);
    if (s)
        return s;
    uint64_t vocab = emb->shape[0], dim = emb->shape[1], hid = 0;
    *kv_dim = 0;
    for (size_t l = 0; l < (size_t)c->n_layers; l++)
        for (int k = 0; k < N_LAYER_T; k++) {
            snprintf(name, sizeof name, "model.layers.%zu.%s", l, layer_names[k]);
            size_t i = idx[l * N_LAYER_T + (size_t)k];
            if (i == SIZE_MAX)
                return missing(p, name, err);
            const safetensors_tensor *t = &sf->t[i];
            if (k == T_K && !*kv_dim && !(s = check_tensor(p, t, 0, "kv_dim", dim, err)))
                *kv_dim = t->shape[0];
            if (k == T_GATE && !hid && !(s = check_tensor(p, t, 0, "hidden", dim, err)))
                hid = t->shape[0];
            if (s)
                return s;
            const uint64_t rows[N_LAYER_T] = {dim, *kv_dim, *kv_dim, dim, hid, dim, hid, dim, dim};
            const uint64_t cols[N_LAYER_T] = {dim, dim, dim, dim, dim, hid, dim, 0, 0};
            if ((s = check_tensor(p, t, rows[k], "", cols[k], err)))
                return s;
        }
    if (glob[1] == SIZE_MAX)
        return missing(p, "model.norm.weight", err);
    if ((s = check_tensor(p, &sf->t[glob[1]], dim, "", 0, err)))
        return s;
    if (glob[2] != SIZE_MAX && (s = check_tensor(p, &sf->t[glob[2]], vocab, "", dim, err)))
        return s;
    c->dim = (int)dim;
    c->hidden_dim = (int)hid;
    c->vocab_size = (int)vocab;
    return QB_OK;
}

/* Every tensor into m->data in llama2c_layout order (the classifier last, when there is one). */
static int read_all(safetensors_file *sf, const size_t *idx, const size_t glob[3], llama2c_model *m,
                    qb_error *err) {
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    uint64_t floats;
    size_t nt = llama2c_layout(&m->cfg, t, &floats);
    int s = size_check_memory("the weights of the checkpoint", floats * sizeof(float), err);
    if (!s && !(m->data = calloc(floats, sizeof(float)))) /* zero: the RoPE tables go unused */
        s = qb_oom(err);
    if (!s)
        s = read_into(sf, glob[0], m->data + t[0].offset, 0, err);
    for (size_t l = 0; !s && l < (size_t)m->cfg.n_layers; l++)
        for (int k = 0; !s && k < N_LAYER_T; k++) {
            const llama2c_tensor *b = &t[layer_block[k]];
            size_t per = b->layers ? b->rows * b->cols : b->cols;
            size_t heads = k == T_Q   ? (size_t)m->cfg.n_heads
                           : k == T_K ? (size_t)m->cfg.n_kv_heads
                                      : 0;
            s = read_into(sf, idx[l * N_LAYER_T + (size_t)k], m->data + b->offset + l * per, heads,
                          err);
        }
    if (!s)
        s = read_into(sf, glob[1], m->data + t[10].offset, 0, err);
    if (!s && !m->cfg.shared_classifier) {
        const llama2c_tensor *cls = &t[nt - 1], *emb = &t[0];
        s = read_into(sf, glob[2], m->data + cls->offset, 0, err);
        if (!s && !memcmp(m->data + cls->offset, m->data + emb->offset,
                          emb->rows * emb->cols * sizeof(float))) {
            m->cfg.shared_classifier = 1; /* lm_head equal to the embeddings: one tensor */
            float *shrunk = realloc(m->data, cls->offset * sizeof(float));
            m->data = shrunk ? shrunk : m->data;
        }
    }
    if (s)
        return s;
    llama2c_bind(m);
    llama2c_layout(&m->cfg, t, &floats);
    for (uint64_t i = 0; i < floats; i++)
        if (!isfinite(m->data[i]))
            return qb_fail(err, "'%s' holds a NaN or Inf weight", sf->path);
    return QB_OK;
}

int llama_st_load(const char *path, const llama_hparams *given, llama2c_model *m, qb_error *err) {
    static const llama_hparams none = {0};
    given = given ? given : &none;
    memset(m, 0, sizeof *m);
    int checked = 0;
    int s = sha256_verify_beside(path, &checked, err);
    if (s)
        return s;
    safetensors_file sf;
    if ((s = safetensors_open(path, &sf, err)))
        return s;
    size_t *idx = NULL, glob[3];
    char cpath[4200], *text = NULL;
    uint64_t kv_dim = 0;
    llama2c_config *c = &m->cfg;
    if (!(s = index_tensors(&sf, &idx, glob, &c->n_layers, err)) &&
        !(s = check_all(&sf, idx, glob, c, &kv_dim, err)) &&
        !(s = read_config(path, cpath, sizeof cpath, &text, err)))
        s = resolve_hparams(path, given, text, cpath, kv_dim, c, err);
    c->shared_classifier = glob[2] == SIZE_MAX;
    if (!s)
        s = read_all(&sf, idx, glob, m, err);
    free(text);
    free(idx);
    safetensors_close(&sf);
    if (s)
        llama2c_free(m);
    return s;
}

int llama_checkpoint_load(const char *path, const llama_hparams *given, llama2c_model *m,
                          qb_error *err) {
    int st = 0, s = llama_st_sniff(path, &st, err);
    if (s)
        return s;
    if (st)
        return llama_st_load(path, given, m, err);
    if ((s = llama2c_load(path, m, err)) || !given)
        return s;
    const int want[] = {given->n_heads, given->n_kv_heads, given->seq_len},
              have[] = {m->cfg.n_heads, m->cfg.n_kv_heads, m->cfg.seq_len};
    const char *what[] = {"heads", "key/value heads", "context length"};
    for (int k = 0; k < 3; k++)
        if (want[k] && want[k] != have[k]) {
            llama2c_free(m);
            return qb_fail(err, "'%s' is a llama2.c checkpoint whose header gives %s %d; %d given",
                           path, what[k], have[k], want[k]);
        }
    return QB_OK;
}
