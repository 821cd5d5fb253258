/* test_model_eval.c - the model measures on stories260K: the layer-by-layer pass against the
 * token-at-a-time one, the fp32 model against itself (KL 0, equal perplexities, top-1 1), the
 * formulas on hand-made logits, determinism over thread counts, and bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "forward.h"
#include "model_eval.h"
#include "options.h"

static const char *ckpt;

/* forward_sequence (sgemm per layer) gives forward_step's logits up to float rounding. */
static void test_layerwise(const llama2c_model *m) {
    qb_error err = {0};
    int tok[48];
    for (int i = 0; i < 48; i++)
        tok[i] = (i * 97 + 5) % 512;
    tok[0] = FORWARD_BOS;
    matrix lg;
    CHECK_OK(forward_sequence(m, tok, 48, NULL, NULL, &lg, &err), &err);
    forward_state st;
    CHECK_OK(forward_init(&st, m, 48, &err), &err);
    double worst = 0, scale = 0;
    for (size_t t = 0; t < 48; t++) {
        CHECK_OK(forward_step(&st, tok[t], t, &err), &err);
        for (size_t v = 0; v < 512; v++) {
            double d = fabs((double)st.logits[v] - matrix_row(&lg, t)[v]);
            worst = d > worst ? d : worst;
            scale = fabs(st.logits[v]) > scale ? fabs(st.logits[v]) : scale;
        }
    }
    CHECK_MSG(worst <= 1e-5 * scale, "largest logit difference %g (largest logit %g)", worst,
              scale);
    CHECK(scale > 1); /* real logits, not zeros */
    forward_free(&st);
    matrix_free(&lg);
    tok[3] = 512;
    CHECK(forward_sequence(m, tok, 48, NULL, NULL, &lg, &err) == QB_EINPUT);
    CHECK(forward_sequence(m, tok, 513, NULL, NULL, &lg, &err) == QB_EINPUT);
}

/* A quantizer that stores nothing and changes nothing. */
static int identity(void *ctx, const matrix *x, uint64_t index, matrix *recon, cell_result *r,
                    qb_error *err) {
    (void)ctx;
    (void)index;
    memset(r, 0, sizeof *r);
    r->n = x->rows;
    r->d = x->cols;
    r->original_bits = 32ull * x->rows * x->cols;
    r->charged_bits = r->original_bits;
    return matrix_copy(recon, x, err);
}

static void test_self(void) {
    qb_error err = {0};
    for (int target = 0; target < 2; target++) {
        model_spec sp = model_spec_defaults();
        snprintf(sp.checkpoint, sizeof sp.checkpoint, "%s", ckpt);
        sp.target = (model_target)target;
        sp.sequences = 3;
        sp.tokens = 40;
        sp.include_embeddings = target == 0;
        model_bench mb;
        CHECK_OK(model_bench_open(&sp, &mb, &err), &err);
        CHECK(mb.positions == 3 * 39);
        model_result r;
        CHECK_OK(model_bench_eval(&mb, identity, NULL, &r, &err), &err);
        const cell_model *md = &r.quant.model;
        CHECK(md->kl_mean == 0 && md->kl_p99 == 0 && md->top1 == 1);
        CHECK(md->ppl == md->ppl_fp32 && md->ppl_fp32 == mb.ppl_fp32);
        CHECK(md->positions == 3 * 39);
        CHECK(r.quant.error.mse == 0 && r.quant.ratio == 1);
        /* 5 layers x 7 matrices (+ the embeddings); 3 sequences x 5 layers x (K, V) */
        CHECK(r.matrices == (target == 0 ? 36u : 30u));
        CHECK(r.quant.n * r.quant.d == (target == 0 ? 226560u + 512 * 64 : 3 * 40 * 5 * 2 * 32u));
        /* A model that predicts its own samples: far below the uniform 512. */
        CHECK(md->ppl_fp32 > 1 && md->ppl_fp32 < 100);
        model_bench_close(&mb);
    }
}

/* KL, NLL and agreement on two positions of a 2-token vocabulary, by hand. */
static void test_formulas(void) {
    matrix a, b;
    qb_error err = {0};
    CHECK_OK(matrix_alloc(&a, 3, 2, &err), &err);
    CHECK_OK(matrix_alloc(&b, 3, 2, &err), &err);
    /* position 0: p = (1/2, 1/2), q = (1/4, 3/4); position 1: p = (3/4, 1/4), q = (1/2, 1/2) */
    a.data[0] = 0, a.data[1] = 0, b.data[0] = 0, b.data[1] = (float)log(3.0);
    a.data[2] = (float)log(3.0), a.data[3] = 0, b.data[2] = 1, b.data[3] = 1;
    int tok[3] = {1, 1, 0};
    double kl[2], nq[2], nf[2], ag[2];
    model_position_measures(&a, &b, tok, 3, kl, nq, nf, ag);
    double l3 = (double)(float)log(3.0); /* the logit as stored */
    double p1 = exp(l3) / (1 + exp(l3));
    CHECK_NEAR(kl[0], 0.5 * log(0.5 / (1 - p1)) + 0.5 * log(0.5 / p1), 1e-12);
    CHECK_NEAR(kl[0], 0.5 * log(4.0 / 3), 1e-7);
    CHECK_NEAR(kl[1], p1 * log(p1 / 0.5) + (1 - p1) * log((1 - p1) / 0.5), 1e-12);
    CHECK_NEAR(nq[0], -log(p1), 1e-12); /* t_1 = 1 */
    CHECK_NEAR(nf[0], log(2.0), 1e-12);
    CHECK_NEAR(nq[1], log(2.0), 1e-12); /* t_2 = 0 */
    CHECK_NEAR(nf[1], -log(p1), 1e-12);
    CHECK(ag[0] == 0); /* fp32's tie goes to token 0, q's argmax is 1 */
    CHECK(ag[1] == 1); /* 0 and (tie) 0 */
    matrix_free(&a);
    matrix_free(&b);
}

static void run_pq_kv(const model_bench *mb, model_result *r) {
    qb_error err = {0};
    option_assign as[2] = {{option_find("ratio"), "8"}, {option_find("subspaces"), "4"}};
    quant_params p = quant_params_defaults();
    CHECK_OK(options_resolve(&p, "pq", NULL, as, 2, NULL, 0, "cli", &err), &err);
    CHECK_OK(model_bench_run(mb, &p, r, &err), &err);
}

static void test_threads(void) {
    qb_error err = {0};
    model_spec sp = model_spec_defaults();
    snprintf(sp.checkpoint, sizeof sp.checkpoint, "%s", ckpt);
    sp.target = MODEL_TARGET_KV;
    sp.sequences = 4;
    sp.tokens = 48;
    model_bench mb;
    CHECK_OK(model_bench_open(&sp, &mb, &err), &err);
    model_result r1, r2;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    run_pq_kv(&mb, &r1);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    run_pq_kv(&mb, &r2);
    CHECK(!memcmp(&r1.quant.model, &r2.quant.model, sizeof r1.quant.model));
    CHECK(r1.quant.error.mse == r2.quant.error.mse && r1.quant.bits.codes == r2.quant.bits.codes);
    const cell_model *md = &r1.quant.model;
    CHECK(md->kl_mean > 0 && md->kl_p99 >= md->kl_mean && md->top1 < 1 && md->top1 >= 0);
    CHECK(isfinite(md->ppl) && md->ppl > 1);
    CHECK(r1.quant.ratio >= 8 && r1.quant.error.mse > 0);
    /* Blocks of 16 tokens: three per layer's K and V. */
    model_bench_close(&mb);
    sp.kv_block = 16;
    CHECK_OK(model_bench_open(&sp, &mb, &err), &err);
    model_result rb;
    CHECK_OK(model_bench_eval(&mb, identity, NULL, &rb, &err), &err);
    CHECK(rb.matrices == 4 * 5 * 2 * 3 && rb.quant.model.kl_mean == 0);
    model_bench_close(&mb);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_bad_input(void) {
    qb_error err = {0};
    model_bench mb;
    model_spec sp = model_spec_defaults();
    snprintf(sp.checkpoint, sizeof sp.checkpoint, "%s", ckpt);
    const char *tf = "test_model_eval_tokens.txt";
    snprintf(sp.eval_tokens, sizeof sp.eval_tokens, "%s", tf);
    const struct {
        const char *text, *msg;
    } bad[] = {{"1 5 9\n1 2 512\n", ":2: token 512 outside the vocabulary"},
               {"1 5 -1\n", "token -1 outside"},
               {"1 5 x7\n", "'x7' is not a token id"},
               {"1 5 7x\n", "'7x' is not a token id"},
               {"1 5\n\n3\n", ":3: a sequence needs at least 2 tokens"},
               {"\n \n", "holds no token sequence"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(tf, bad[i].text);
        int s = model_bench_open(&sp, &mb, &err);
        CHECK_MSG(s == QB_EINPUT && strstr(err.msg, bad[i].msg) && !strchr(err.msg, '\n'),
                  "case %zu: %d '%s'", i, s, err.msg);
    }
    FILE *f = fopen(tf, "w");
    for (int i = 0; i < 513; i++)
        fprintf(f, "%d ", i % 512);
    fclose(f);
    CHECK(model_bench_open(&sp, &mb, &err) == QB_EINPUT && strstr(err.msg, "context (512"));
    /* A good file: two sequences of different lengths, CRLF and extra spaces. */
    write_file(tf, "1 5 9 200\r\n\n  1   7 8\n");
    CHECK_OK(model_bench_open(&sp, &mb, &err), &err);
    CHECK(mb.n_seq == 2 && mb.positions == 5 && mb.ids[4] == 1 && mb.ids[6] == 8);
    model_bench_close(&mb);
    unlink(tf);

    sp.eval_tokens[0] = 0;
    sp.tokens = 1;
    CHECK(model_bench_open(&sp, &mb, &err) == QB_EINPUT && strstr(err.msg, "at least 2"));
    sp.tokens = 513;
    CHECK(model_bench_open(&sp, &mb, &err) == QB_EINPUT && strstr(err.msg, "context"));
    /* A header that does not fit the file, and a file that is no checkpoint. */
    const char *bf = "test_model_eval_bad.bin";
    FILE *in = fopen(ckpt, "rb"), *out = fopen(bf, "wb");
    char buf[4096];
    size_t got = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, got, out); /* the header and a little: truncated */
    fclose(in);
    fclose(out);
    sp.tokens = 8;
    snprintf(sp.checkpoint, sizeof sp.checkpoint, "%s", bf);
    CHECK(model_bench_open(&sp, &mb, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    write_file(bf, "not a checkpoint at all, just some text here");
    CHECK(model_bench_open(&sp, &mb, &err) == QB_EINPUT && strstr(err.msg, "llama2.c"));
    unlink(bf);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_model_eval STORIES260K.bin\n");
        return 2;
    }
    ckpt = argv[1];
    qb_error err = {0};
    llama2c_model m;
    if (llama2c_load(ckpt, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    test_layerwise(&m);
    llama2c_free(&m);
    test_self();
    test_formulas();
    test_threads();
    test_bad_input();
    return check_done("model_eval");
}
