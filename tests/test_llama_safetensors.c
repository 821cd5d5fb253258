/* test_llama_safetensors.c - stories260K written as Hugging Face would save it (safetensors with
 * the LLaMA names, q_proj / k_proj permuted for rotate-half RoPE, a config.json beside it) must
 * load as the very same model: every weight and the fp32 logits bit for bit; and malformed
 * variants are refused, naming what is wrong.
 * usage: test_llama_safetensors STORIES260K.bin
 *        test_llama_safetensors --write STORIES260K.bin OUT.safetensors VARIANT   (for the CLI
 *        test; VARIANT as in write_hf below) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "forward.h"
#include "llama_safetensors.h"

typedef struct {
    char name[96];
    const char *dtype;
    const float *src;
    size_t rows, cols; /* cols 0: 1-D */
    size_t heads;      /* > 0: rows permuted as Hugging Face stores q_proj / k_proj */
} out_tensor;

/* llama.c row h*hs + 2i + j is Hugging Face's row h*hs + j*hs/2 + i (llama2.c export's permute). */
static void write_rows(FILE *f, const out_tensor *t) {
    size_t cols = t->cols ? t->cols : t->rows, rows = t->cols ? t->rows : 1;
    size_t hs = t->heads ? rows / t->heads : 0, half = hs / 2;
    for (size_t r = 0; r < rows; r++) {
        size_t src = r;
        if (t->heads) {
            size_t h = r / hs, j = (r % hs) / half, i = (r % hs) % half;
            src = h * hs + 2 * i + j;
        }
        if (strcmp(t->dtype, "BF16")) {
            fwrite(t->src + src * cols, sizeof(float), cols, f);
            continue;
        }
        for (size_t c = 0; c < cols; c++) { /* bfloat16: the upper half of the float32 */
            uint32_t bits;
            memcpy(&bits, t->src + src * cols + c, 4);
            uint16_t hi = (uint16_t)(bits >> 16);
            fwrite(&hi, 2, 1, f);
        }
    }
}

/* Variants: ok, lmhead (lm_head.weight equal to the embeddings), missing (no layer 2 up_proj),
 * shape (layer 1 k_proj as [dim, kv_dim]), int (a norm as I32), extra (a q_proj bias),
 * bf16 (every layer tensor as bfloat16), noconfig, heads7, layers6 and theta (config.json with 7
 * heads, 6 layers, rope_theta 5e5). */
static int write_hf(const llama2c_model *m, const char *path, const char *variant) {
    const llama2c_config *c = &m->cfg;
    size_t dim = (size_t)c->dim, hid = (size_t)c->hidden_dim, kv = m->kv_dim,
           L = (size_t)c->n_layers;
    size_t n = 0, cap = 4 + 10 * L;
    out_tensor *t = calloc(cap, sizeof *t);
    if (!t)
        return 1;
#define ADD(nm, p, r, cl, hd)                                                                      \
    do {                                                                                           \
        t[n] = (out_tensor){"", "F32", (p), (r), (cl), (hd)};                                      \
        snprintf(t[n].name, sizeof t[n].name, "%s", (nm));                                         \
        n++;                                                                                       \
    } while (0)
    ADD("model.embed_tokens.weight", m->tok_embeddings, (size_t)c->vocab_size, dim, 0);
    for (size_t l = 0; l < L; l++) {
        struct {
            const char *name;
            const float *p;
            size_t r, cl, heads;
        } w[] = {{"self_attn.q_proj.weight", m->wq + l * dim * dim, dim, dim, (size_t)c->n_heads},
                 {"self_attn.k_proj.weight", m->wk + l * kv * dim, kv, dim, (size_t)c->n_kv_heads},
                 {"self_attn.v_proj.weight", m->wv + l * kv * dim, kv, dim, 0},
                 {"self_attn.o_proj.weight", m->wo + l * dim * dim, dim, dim, 0},
                 {"mlp.gate_proj.weight", m->w1 + l * hid * dim, hid, dim, 0},
                 {"mlp.down_proj.weight", m->w2 + l * dim * hid, dim, hid, 0},
                 {"mlp.up_proj.weight", m->w3 + l * hid * dim, hid, dim, 0},
                 {"input_layernorm.weight", m->rms_att + l * dim, dim, 0, 0},
                 {"post_attention_layernorm.weight", m->rms_ffn + l * dim, dim, 0, 0}};
        for (size_t k = 0; k < sizeof w / sizeof *w; k++) {
            char name[96];
            snprintf(name, sizeof name, "model.layers.%zu.%s", l, w[k].name);
            if (!strcmp(variant, "missing") && l == 2 && k == 6)
                continue;
            ADD(name, w[k].p, w[k].r, w[k].cl, w[k].heads);
            if (!strcmp(variant, "shape") && l == 1 && k == 1) {
                t[n - 1].rows = dim; /* the same bytes, the shape transposed */
                t[n - 1].cols = kv;
                t[n - 1].heads = 0;
            }
            if (!strcmp(variant, "int") && l == 0 && k == 7)
                t[n - 1].dtype = "I32";
            if (!strcmp(variant, "bf16"))
                t[n - 1].dtype = "BF16";
        }
    }
    if (!strcmp(variant, "extra"))
        ADD("model.layers.0.self_attn.q_proj.bias", m->rms_att, dim, 0, 0);
    ADD("model.norm.weight", m->rms_final, dim, 0, 0);
    if (!strcmp(variant, "lmhead"))
        ADD("lm_head.weight", m->wcls, (size_t)c->vocab_size, dim, 0);
#undef ADD
    /* Header: name -> dtype, shape, byte range; padded with spaces to a multiple of 8. */
    size_t hcap = 200 * n + 16, hl = 0, off = 0;
    char *h = malloc(hcap);
    if (!h) {
        free(t);
        return 1;
    }
    hl += (size_t)snprintf(h + hl, hcap - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n; i++) {
        size_t bytes =
            (strcmp(t[i].dtype, "BF16") ? 4 : 2) * t[i].rows * (t[i].cols ? t[i].cols : 1);
        char shape[48];
        if (t[i].cols)
            snprintf(shape, sizeof shape, "[%zu,%zu]", t[i].rows, t[i].cols);
        else
            snprintf(shape, sizeof shape, "[%zu]", t[i].rows);
        hl += (size_t)snprintf(h + hl, hcap - hl,
                               ",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                               t[i].name, t[i].dtype, shape, off, off + bytes);
        off += bytes;
    }
    h[hl++] = '}';
    while (hl % 8)
        h[hl++] = ' ';
    FILE *f = fopen(path, "wb");
    int bad = !f;
    if (f) {
        uint64_t len = hl;
        unsigned char le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)(len >> (8 * i));
        fwrite(le, 1, 8, f);
        fwrite(h, 1, hl, f);
        for (size_t i = 0; i < n; i++)
            write_rows(f, &t[i]);
        bad = fclose(f) != 0;
    }
    free(h);
    free(t);
    /* config.json beside it, as transformers writes one (only some keys are read). */
    char cpath[4200];
    const char *slash = strrchr(path, '/');
    snprintf(cpath, sizeof cpath, "%.*sconfig.json", slash ? (int)(slash - path + 1) : 0, path);
    unlink(cpath);
    if (bad || !strcmp(variant, "noconfig"))
        return bad;
    f = fopen(cpath, "w");
    if (!f)
        return 1;
    fprintf(f,
            "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_act\": \"silu\",\n"
            "  \"hidden_size\": %d,\n  \"intermediate_size\": %d,\n"
            "  \"max_position_embeddings\": %d,\n  \"model_type\": \"llama\",\n"
            "  \"num_attention_heads\": %d,\n  \"num_hidden_layers\": %d,\n"
            "  \"num_key_value_heads\": %d,\n  \"rms_norm_eps\": 1e-05,\n"
            "  \"rope_scaling\": null,\n  \"rope_theta\": %s,\n  \"tie_word_embeddings\": true,\n"
            "  \"torch_dtype\": \"float32\",\n  \"vocab_size\": %d\n}\n",
            c->dim, c->hidden_dim, c->seq_len, !strcmp(variant, "heads7") ? 7 : c->n_heads,
            !strcmp(variant, "layers6") ? 6 : c->n_layers, c->n_kv_heads,
            !strcmp(variant, "theta") ? "500000.0" : "10000.0", c->vocab_size);
    return fclose(f) != 0;
}

static int same(const float *a, const float *b, size_t n) {
    return a && b && !memcmp(a, b, n * sizeof *a);
}

/* b holds a's values cut to bfloat16. */
static int same_bf16(const float *a, const float *b, size_t n) {
    for (size_t i = 0; a && b && i < n; i++) {
        uint32_t x, y;
        memcpy(&x, &a[i], 4);
        memcpy(&y, &b[i], 4);
        if ((x & 0xffff0000u) != y)
            return 0;
    }
    return a && b;
}

static void check_same_model(const llama2c_model *a, const llama2c_model *b) {
    const llama2c_config *x = &a->cfg, *y = &b->cfg;
    CHECK(x->dim == y->dim && x->hidden_dim == y->hidden_dim && x->n_layers == y->n_layers);
    CHECK(x->n_heads == y->n_heads && x->n_kv_heads == y->n_kv_heads);
    CHECK(x->vocab_size == y->vocab_size && x->seq_len == y->seq_len);
    CHECK(x->shared_classifier == y->shared_classifier && b->wcls == b->tok_embeddings);
    CHECK(a->kv_dim == b->kv_dim && a->head_size == b->head_size);
    size_t dim = (size_t)x->dim, hid = (size_t)x->hidden_dim, L = (size_t)x->n_layers;
    size_t kv = a->kv_dim;
    CHECK(same(a->tok_embeddings, b->tok_embeddings, (size_t)x->vocab_size * dim));
    CHECK(same(a->rms_att, b->rms_att, L * dim));
    CHECK(same(a->wq, b->wq, L * dim * dim));
    CHECK(same(a->wk, b->wk, L * kv * dim));
    CHECK(same(a->wv, b->wv, L * kv * dim));
    CHECK(same(a->wo, b->wo, L * dim * dim));
    CHECK(same(a->rms_ffn, b->rms_ffn, L * dim));
    CHECK(same(a->w1, b->w1, L * hid * dim));
    CHECK(same(a->w2, b->w2, L * dim * hid));
    CHECK(same(a->w3, b->w3, L * hid * dim));
    CHECK(same(a->rms_final, b->rms_final, dim));
    /* The fp32 logits of a sampled sequence, bit for bit (the same weights, the same code). */
    int tokens[48];
    forward_state st;
    qb_error err = {0};
    CHECK_OK(forward_init(&st, a, 48, &err), &err);
    int tok = FORWARD_BOS;
    for (size_t p = 0; p < 48; p++) {
        tokens[p] = tok;
        CHECK_OK(forward_step(&st, tok, p, &err), &err);
        tok = forward_argmax(st.logits, (size_t)x->vocab_size);
    }
    forward_free(&st);
    matrix la, lb;
    CHECK_OK(forward_sequence(a, tokens, 48, NULL, NULL, &la, &err), &err);
    CHECK_OK(forward_sequence(b, tokens, 48, NULL, NULL, &lb, &err), &err);
    CHECK(la.rows == 48 && lb.rows == 48 && same(la.data, lb.data, 48 * la.cols));
    matrix_free(&la);
    matrix_free(&lb);
}

/* The variant must be refused (QB_EINPUT, one line) with a message containing want. */
static void check_refused(const llama2c_model *ref, const char *dir, const char *variant,
                          const llama_hparams *hp, const char *want) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, variant);
    CHECK(write_hf(ref, path, variant) == 0);
    llama2c_model m;
    qb_error err = {0};
    int s = llama_checkpoint_load(path, hp, &m, &err);
    CHECK_MSG(s == QB_EINPUT && strstr(err.msg, want) && !strchr(err.msg, '\n'),
              "%s: status %d, '%s' (wanted '%s')", variant, s, err.msg, want);
    CHECK(m.data == NULL);
    unlink(path);
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--write")) {
        llama2c_model m;
        qb_error err = {0};
        if (llama2c_load(argv[2], &m, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        int bad = write_hf(&m, argv[3], argv[4]);
        llama2c_free(&m);
        return bad;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: test_llama_safetensors STORIES260K.bin\n");
        return 2;
    }
    char dir[] = "/tmp/qb_llama_st_XXXXXX", path[4200], cpath[4200];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(cpath, sizeof cpath, "%s/config.json", dir);
    qb_error err = {0};
    llama2c_model ref, m;
    CHECK_OK(llama2c_load(argv[1], &ref, &err), &err);

    /* The same model through config.json, through lm_head equal to the embeddings, and through
     * the caller's numbers with no config.json. */
    CHECK(write_hf(&ref, path, "ok") == 0);
    int st = 0;
    CHECK_OK(llama_st_sniff(path, &st, &err), &err);
    CHECK(st == 1);
    CHECK_OK(llama_st_sniff(argv[1], &st, &err), &err);
    CHECK(st == 0);
    CHECK_OK(llama_checkpoint_load(path, NULL, &m, &err), &err);
    check_same_model(&ref, &m);
    llama2c_free(&m);
    /* Chosen by content, not by name: the safetensors file named .bin still loads as one. */
    char renamed[4300];
    snprintf(renamed, sizeof renamed, "%s/model.bin", dir);
    CHECK(rename(path, renamed) == 0);
    CHECK_OK(llama_checkpoint_load(renamed, NULL, &m, &err), &err);
    CHECK(m.cfg.n_heads == 8 && m.cfg.n_kv_heads == 4 && same(m.wq, ref.wq, 64 * 64));
    llama2c_free(&m);
    unlink(renamed);

    CHECK(write_hf(&ref, path, "lmhead") == 0);
    CHECK_OK(llama_checkpoint_load(path, NULL, &m, &err), &err);
    check_same_model(&ref, &m);
    llama2c_free(&m);

    /* bfloat16 layer tensors widen exactly: the weights cut to 16 bits, the rest as they were. */
    CHECK(write_hf(&ref, path, "bf16") == 0);
    CHECK_OK(llama_checkpoint_load(path, NULL, &m, &err), &err);
    if (m.data) {
        size_t D = 64, H = (size_t)ref.cfg.hidden_dim, L = (size_t)ref.cfg.n_layers;
        CHECK(same_bf16(ref.wq, m.wq, L * D * D) && same_bf16(ref.wk, m.wk, L * 32 * D));
        CHECK(same_bf16(ref.wv, m.wv, L * 32 * D) && same_bf16(ref.wo, m.wo, L * D * D));
        CHECK(same_bf16(ref.w1, m.w1, L * H * D) && same_bf16(ref.w2, m.w2, L * D * H));
        CHECK(same_bf16(ref.w3, m.w3, L * H * D) && same_bf16(ref.rms_att, m.rms_att, L * D));
        CHECK(!same(ref.wq, m.wq, L * D * D)); /* the cut changed something */
        CHECK(same(ref.tok_embeddings, m.tok_embeddings, 512 * D));
        CHECK(same(ref.rms_final, m.rms_final, D));
    }
    llama2c_free(&m);

    llama_hparams given = {8, 4, ref.cfg.seq_len};
    CHECK(write_hf(&ref, path, "noconfig") == 0);
    CHECK(access(cpath, F_OK) != 0);
    CHECK_OK(llama_checkpoint_load(path, &given, &m, &err), &err);
    check_same_model(&ref, &m);
    llama2c_free(&m);
    given.n_kv_heads = 0; /* the shapes give it */
    CHECK_OK(llama_checkpoint_load(path, &given, &m, &err), &err);
    CHECK(m.cfg.n_kv_heads == 4);
    llama2c_free(&m);
    unlink(path);

    /* Bad input, each one line naming the problem. */
    const llama_hparams none = {0}, kv2 = {0, 2, 0}, h7 = {7, 0, 0};
    check_refused(&ref, dir, "missing", &none, "lacks tensor 'model.layers.2.mlp.up_proj.weight'");
    check_refused(&ref, dir, "shape", &none,
                  "'model.layers.1.self_attn.k_proj.weight' has shape [64, 32], expected [32, 64]");
    check_refused(&ref, dir, "int", &none,
                  "'model.layers.0.input_layernorm.weight' is I32; only F32, F16, BF16 and F64");
    check_refused(&ref, dir, "extra", &none,
                  "'model.layers.0.self_attn.q_proj.bias' does not fit the LLaMA architecture");
    check_refused(&ref, dir, "noconfig", &none, "number of attention heads is not in the tensors");
    check_refused(&ref, dir, "heads7", &none, "7 heads do not divide dim 64");
    check_refused(&ref, dir, "ok", &h7, "7 heads do not divide dim 64");
    check_refused(&ref, dir, "ok", &kv2, "2 key/value heads given, but k_proj's 32 rows make 4");
    check_refused(&ref, dir, "layers6", &none, "says num_hidden_layers 6, but the tensors");
    check_refused(&ref, dir, "theta", &none, "rope_theta 500000 is not supported");
    /* A llama2.c file: its header gives the heads; a different number given is an error. */
    CHECK(llama_checkpoint_load(argv[1], &kv2, &m, &err) == QB_EINPUT &&
          strstr(err.msg, "header gives key/value heads 4; 2 given"));
    llama_hparams agree = {8, 4, 0};
    CHECK_OK(llama_checkpoint_load(argv[1], &agree, &m, &err), &err);
    llama2c_free(&m);

    unlink(cpath);
    rmdir(dir);
    llama2c_free(&ref);
    return check_done("llama_safetensors");
}
