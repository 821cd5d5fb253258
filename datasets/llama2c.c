/* llama2c.c - reads llama2.c legacy checkpoints (layout as written by llama2.c's export:
 * header, embeddings, per-kind stacks of layer weights, final norm, RoPE tables, classifier). */
#define _FILE_OFFSET_BITS 64
#include "llama2c.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"
#include "matrix.h"
#include "sha256.h"
#include "sizes.h"

/* Bigger than any released model and small enough that no size product overflows 64 bits: with
 * at most 4096 layers, the largest block holds 2^12 * 2^20 * 2^20 floats and the file < 2^58
 * bytes. */
#define MAX_SIDE (1 << 20)
/* Magic of llama2.c's newer "version" exports ("ak42"); those use another layout. */
#define VERSIONED_MAGIC 0x616b3432

static int file_size(FILE *f, uint64_t *size) {
    if (fseeko(f, 0, SEEK_END) != 0)
        return -1;
    off_t end = ftello(f);
    if (end < 0 || fseeko(f, 0, SEEK_SET) != 0)
        return -1;
    *size = (uint64_t)end;
    return 0;
}

static int check_config(const char *path, const int32_t h[7], llama2c_config *c, qb_error *err) {
    if ((uint32_t)h[0] == VERSIONED_MAGIC)
        return qb_fail(err,
                       "'%s' is a versioned llama2.c export (magic ak42); only the legacy "
                       "format (llama2.c export --version 0) is read",
                       path);
    for (int i = 0; i < 7; i++) {
        int64_t v = i == 5 ? llabs((long long)h[i]) : h[i]; /* wide: -INT32_MIN does not fit */
        if (v <= 0 || v > MAX_SIDE)
            return qb_fail(err, "'%s' is not a llama2.c checkpoint: header field %d is %d", path, i,
                           (int)h[i]);
    }
    *c = (llama2c_config){.dim = h[0],
                          .hidden_dim = h[1],
                          .n_layers = h[2],
                          .n_heads = h[3],
                          .n_kv_heads = h[4],
                          .vocab_size = h[5] < 0 ? -h[5] : h[5], /* |h[5]| <= MAX_SIDE */
                          .seq_len = h[6],
                          .shared_classifier = h[5] > 0};
    if (c->dim % c->n_heads || c->n_heads % c->n_kv_heads || (c->dim / c->n_heads) % 2 ||
        c->n_layers > 4096)
        return qb_fail(err,
                       "'%s' has an impossible header: dim %d, heads %d, kv heads %d, layers %d "
                       "(heads must divide dim with an even head size, kv heads divide heads)",
                       path, c->dim, c->n_heads, c->n_kv_heads, c->n_layers);
    return QB_OK;
}

int llama2c_read_config(const char *path, llama2c_config *cfg, qb_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    int32_t h[7];
    size_t got = fread(h, sizeof *h, 7, f);
    fclose(f);
    if (got != 7)
        return qb_fail(err, "'%s' is truncated: no complete llama2.c header (28 bytes)", path);
    return check_config(path, h, cfg, err);
}

size_t llama2c_layout(const llama2c_config *c, llama2c_tensor t[LLAMA2C_MAX_TENSORS],
                      uint64_t *total_floats) {
    size_t L = (size_t)c->n_layers, dim = (size_t)c->dim, hid = (size_t)c->hidden_dim;
    size_t kv = dim * (size_t)c->n_kv_heads / (size_t)c->n_heads, hs = dim / (size_t)c->n_heads;
    size_t vocab = (size_t)c->vocab_size, half = (size_t)c->seq_len * hs / 2;
    const llama2c_tensor order[] = {
        {"tok_embeddings", 0, vocab, dim, 0},
        {"rms_att", 0, L, dim, 0},
        {"wq", L, dim, dim, 0},
        {"wk", L, kv, dim, 0},
        {"wv", L, kv, dim, 0},
        {"wo", L, dim, dim, 0},
        {"rms_ffn", 0, L, dim, 0},
        {"w1", L, hid, dim, 0},
        {"w2", L, dim, hid, 0},
        {"w3", L, hid, dim, 0},
        {"rms_final", 0, 1, dim, 0},
        {"freq_cis_real", 0, 1, half, 0},
        {"freq_cis_imag", 0, 1, half, 0},
        {"output", 0, vocab, dim, 0},
    };
    size_t n = sizeof order / sizeof *order - (c->shared_classifier ? 1 : 0);
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        t[i] = order[i];
        t[i].offset = off;
        off += (uint64_t)(t[i].layers ? t[i].layers : 1) * t[i].rows * t[i].cols;
    }
    *total_floats = off;
    return n;
}

/* Opens the file, reads the header and checks that its size is what the header implies. */
static int open_checked(const char *path, FILE **fp, llama2c_config *cfg,
                        llama2c_tensor t[LLAMA2C_MAX_TENSORS], size_t *nt, qb_error *err) {
    int checked = 0;
    int s = llama2c_read_config(path, cfg, err);
    /* A SHA256SUMS beside the checkpoint (as for the shipped one) is checked on every read. */
    if (s || (s = sha256_verify_beside(path, &checked, err)))
        return s;
    FILE *f = fopen(path, "rb");
    uint64_t size = 0, floats = 0;
    if (!f || file_size(f, &size) != 0) {
        if (f)
            fclose(f);
        return qb_fail(err, "cannot read '%s'", path);
    }
    *nt = llama2c_layout(cfg, t, &floats);
    uint64_t want = LLAMA2C_HEADER_BYTES + 4 * floats;
    if (size != want) {
        fclose(f);
        return qb_fail(err,
                       "'%s' is %s: the header (dim %d, hidden %d, layers %d, heads %d/%d, vocab "
                       "%d, seq_len %d) needs %llu bytes, the file has %llu",
                       path, size < want ? "truncated" : "not a legacy llama2.c checkpoint",
                       cfg->dim, cfg->hidden_dim, cfg->n_layers, cfg->n_heads, cfg->n_kv_heads,
                       cfg->vocab_size, cfg->seq_len, (unsigned long long)want,
                       (unsigned long long)size);
    }
    *fp = f;
    return QB_OK;
}

int llama2c_load(const char *path, llama2c_model *m, qb_error *err) {
    memset(m, 0, sizeof *m);
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    size_t nt;
    FILE *f;
    int s = open_checked(path, &f, &m->cfg, t, &nt, err);
    if (s)
        return s;
    uint64_t floats = t[nt - 1].offset + (uint64_t)t[nt - 1].rows * t[nt - 1].cols;
    char what[4200];
    snprintf(what, sizeof what, "the weights of '%s'", path);
    if ((s = size_check_memory(what, floats * sizeof(float), err))) {
        fclose(f);
        return s;
    }
    m->data = malloc(floats * sizeof(float));
    if (!m->data) {
        fclose(f);
        return qb_oom(err);
    }
    int bad = fseeko(f, LLAMA2C_HEADER_BYTES, SEEK_SET) != 0 ||
              fread(m->data, sizeof(float), floats, f) != floats;
    fclose(f);
    if (bad) {
        llama2c_free(m);
        return qb_fail(err, "cannot read the weights of '%s'", path);
    }
    llama2c_bind(m);
    for (uint64_t i = 0; i < floats; i++)
        if (!isfinite(m->data[i])) {
            llama2c_free(m);
            return qb_fail(err, "'%s' holds a NaN or Inf weight (float %llu)", path,
                           (unsigned long long)i);
        }
    return QB_OK;
}

void llama2c_bind(llama2c_model *m) {
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    uint64_t floats;
    size_t nt = llama2c_layout(&m->cfg, t, &floats);
    float **slot[] = {&m->tok_embeddings,
                      &m->rms_att,
                      &m->wq,
                      &m->wk,
                      &m->wv,
                      &m->wo,
                      &m->rms_ffn,
                      &m->w1,
                      &m->w2,
                      &m->w3,
                      &m->rms_final,
                      NULL,
                      NULL,
                      &m->wcls};
    for (size_t i = 0; i < nt; i++)
        if (slot[i])
            *slot[i] = m->data + t[i].offset;
    if (m->cfg.shared_classifier)
        m->wcls = m->tok_embeddings;
    m->head_size = (size_t)(m->cfg.dim / m->cfg.n_heads);
    m->kv_dim = (size_t)m->cfg.dim * (size_t)m->cfg.n_kv_heads / (size_t)m->cfg.n_heads;
}

void llama2c_free(llama2c_model *m) {
    free(m->data);
    memset(m, 0, sizeof *m);
}

int llama2c_to_h5(const char *path, const char *out, const char *source, const char *license,
                  qb_error *err) {
    llama2c_config cfg;
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    size_t nt;
    FILE *f;
    int s = open_checked(path, &f, &cfg, t, &nt, err);
    if (s)
        return s;
    h5_writer w;
    if ((s = h5_writer_open(&w, out, err))) {
        fclose(f);
        return s;
    }
    char desc[512];
    snprintf(desc, sizeof desc,
             "llama2.c checkpoint weight, LLaMA-2 architecture: dim %d, hidden %d, layers %d, "
             "heads %d, kv heads %d, vocab %d; matrix is (out, in)",
             cfg.dim, cfg.hidden_dim, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads, cfg.vocab_size);
    h5_attrs attrs = {.source = source ? source : path,
                      .license = license ? license : "unknown (see the checkpoint's origin)",
                      .description = desc,
                      .source_bits = 32};
    matrix m = {0};
    for (size_t i = 0; i < nt && !s; i++) {
        /* Per-layer stacks and the embedding/classifier tables; norms and RoPE tables are 1-D. */
        int is_matrix =
            t[i].layers || !strcmp(t[i].name, "tok_embeddings") || !strcmp(t[i].name, "output");
        if (!is_matrix)
            continue;
        size_t layers = t[i].layers ? t[i].layers : 1;
        if ((s = matrix_alloc(&m, t[i].rows, t[i].cols, err)))
            break;
        for (size_t l = 0; l < layers && !s; l++) {
            uint64_t off =
                LLAMA2C_HEADER_BYTES + 4 * (t[i].offset + (uint64_t)l * t[i].rows * t[i].cols);
            size_t count = t[i].rows * t[i].cols;
            if (fseeko(f, (off_t)off, SEEK_SET) != 0 ||
                fread(m.data, sizeof(float), count, f) != count) {
                s = qb_fail(err, "cannot read tensor %s of '%s'", t[i].name, path);
                break;
            }
            char name[128];
            if (t[i].layers)
                snprintf(name, sizeof name, "/layers/%zu/%s", l, t[i].name);
            else
                snprintf(name, sizeof name, "/%s", t[i].name);
            s = matrix_check_finite(&m, name, err);
            if (!s)
                s = h5_writer_put(&w, name, &m, &attrs, err);
        }
        matrix_free(&m);
    }
    fclose(f);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "source", attrs.source, err);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "license", attrs.license, err);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "description", desc, err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}
