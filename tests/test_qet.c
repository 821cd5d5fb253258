/* test_qet.c - QET: hand-computed 1x8 reorders for l = 1, 2, 3 (layout and bits), fast path equal
 * to the reference, exact inverse with ties/-0.0/subnormals, l = 0 identical to PQ, block variances
 * of reordered N(0,1) data against an independent tournament simulation, RO decode = sum of stages,
 * CQO, storage itemisation, errors, and scratch that cannot be allocated reported as out of
 * memory. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cell.h"
#include "check.h"
#include "qet.h"
#include "rng.h"
#include "synthetic.h"

/* Under AddressSanitizer an impossible allocation returns NULL, as malloc does, instead of
 * stopping the test: scratch_out_of_memory needs it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}

static int get_bit(const uint8_t *map, size_t i) {
    return bits_get(map, i);
}

static void hand_cases(void) {
    /* row 5 3 8 1 2 2 7 9 */
    const float x[8] = {5, 3, 8, 1, 2, 2, 7, 9};
    float out[8], back[8];
    uint8_t map[4];
    qb_error err = {0};
    /* l = 1: pairs (5,3) swap, (8,1) swap, (2,2) tie: no swap, (7,9) no swap
     * S = 3 1 2 7, L = 5 8 2 9; bits 1 1 0 0 */
    const float l1[8] = {3, 1, 2, 7, 5, 8, 2, 9};
    memset(map, 0, sizeof map);
    CHECK_OK(qet_reorder(x, 1, 8, 1, out, map, &err), &err);
    CHECK(memcmp(out, l1, sizeof out) == 0);
    CHECK(get_bit(map, 0) == 1 && get_bit(map, 1) == 1 && get_bit(map, 2) == 0 &&
          get_bit(map, 3) == 0);
    /* l = 2: block S = 3 1 2 7 -> (3,1) swap (2,7) no -> 1 2 | 3 7
     *        block L = 5 8 2 9 -> (5,8) no (2,9) no  -> 5 2 | 8 9
     * row: 1 2 3 7 5 2 8 9; level-2 bits: 1 0 0 0 */
    const float l2[8] = {1, 2, 3, 7, 5, 2, 8, 9};
    CHECK_OK(qet_reorder(x, 1, 8, 2, out, map, &err), &err);
    CHECK(memcmp(out, l2, sizeof out) == 0);
    int b2[8] = {1, 1, 0, 0, 1, 0, 0, 0};
    for (int i = 0; i < 8; i++)
        CHECK_MSG(get_bit(map, (size_t)i) == b2[i], "l=2 bit %d", i);
    /* l = 3: blocks (1 2) (3 7) (5 2) (8 9): only (5,2) swaps -> 1 2 3 7 2 5 8 9, bits 0 0 1 0
     * block 0 = min of mins (1), last block = max of maxes (9) */
    const float l3[8] = {1, 2, 3, 7, 2, 5, 8, 9};
    CHECK_OK(qet_reorder(x, 1, 8, 3, out, map, &err), &err);
    CHECK(memcmp(out, l3, sizeof out) == 0);
    int b3[12] = {1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0};
    for (int i = 0; i < 12; i++)
        CHECK_MSG(get_bit(map, (size_t)i) == b3[i], "l=3 bit %d", i);
    CHECK_OK(qet_inverse(out, 1, 8, 3, map, back, &err), &err);
    CHECK(memcmp(back, x, sizeof back) == 0);
    CHECK(qet_imap_bytes(1, 8, 3) == 2);
}

/* Awkward values: ties, signed zeros, subnormals, infinities of magnitude. */
static void fill_awkward(float *x, size_t count, gsl_rng *r) {
    const float special[] = {0.0f, -0.0f, FLT_MIN / 4, -FLT_MIN / 8, FLT_MAX, -FLT_MAX, 1.0f, 1.0f};
    for (size_t i = 0; i < count; i++) {
        unsigned long u = gsl_rng_uniform_int(r, 4);
        x[i] = u == 0 ? special[gsl_rng_uniform_int(r, 8)] : (float)(gsl_rng_uniform(r) * 4 - 2);
        if (u == 1)
            x[i] = (float)(int)x[i]; /* many ties */
    }
}

static void fast_equals_reference(void) {
    gsl_rng *r = rng_stream(99, 0, 0);
    size_t shapes[][2] = {{1, 2}, {3, 4}, {17, 8}, {130, 16}, {65, 24}, {200, 128}, {9, 96}};
    qb_error err = {0};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t n = shapes[s][0], d = shapes[s][1];
        float *x = malloc(n * d * sizeof *x), *a = malloc(n * d * sizeof *a),
              *b = malloc(n * d * sizeof *b), *back = malloc(n * d * sizeof *back);
        fill_awkward(x, n * d, r);
        for (unsigned l = 0; l <= 7 && (d % (1u << l)) == 0; l++) {
            size_t bytes = qet_imap_bytes(n, d, l) + 1;
            uint8_t *ma = calloc(bytes, 1), *mb = calloc(bytes, 1);
            memset(ma, 0xff, bytes); /* the fast path must clear what it owns */
            CHECK_OK(qet_reorder(x, n, d, l, a, ma, &err), &err);
            CHECK_OK(qet_reorder_reference(x, n, d, l, b, mb, &err), &err);
            CHECK_MSG(memcmp(a, b, n * d * sizeof *a) == 0, "n=%zu d=%zu l=%u values", n, d, l);
            CHECK_MSG(memcmp(ma, mb, bytes - 1) == 0, "n=%zu d=%zu l=%u bits", n, d, l);
            CHECK_OK(qet_inverse(a, n, d, l, ma, back, &err), &err);
            CHECK_MSG(memcmp(back, x, n * d * sizeof *x) == 0, "n=%zu d=%zu l=%u inverse", n, d, l);
            CHECK_OK(qet_inverse(a, n, d, l, ma, a, &err), &err); /* in place */
            CHECK_MSG(memcmp(a, x, n * d * sizeof *x) == 0, "n=%zu d=%zu l=%u in place", n, d, l);
            free(ma);
            free(mb);
        }
        free(x);
        free(a);
        free(b);
        free(back);
    }
    gsl_rng_free(r);
}

/* Rows of d = 2^61 columns: no machine has the per-row scratch, and with n = 0 no row is touched,
 * so every entry point must say out of memory instead of returning as if it had worked. */
static void scratch_out_of_memory(void) {
    size_t d = (SIZE_MAX >> 3) + 1;
    qet_order orders[] = {{1, QET_LAYOUT_BLOCKS, 2}, {2, QET_LAYOUT_INPLACE, 4}};
    for (size_t i = 0; i < sizeof orders / sizeof *orders; i++) {
        const qet_order *o = &orders[i];
        qb_error err = {0};
        CHECK(qet_reorder_with(NULL, 0, d, o, NULL, NULL, &err) == QB_EINTERNAL &&
              strstr(err.msg, "out of memory"));
        err = (qb_error){0};
        CHECK(qet_reorder_reference_with(NULL, 0, d, o, NULL, NULL, &err) == QB_EINTERNAL &&
              strstr(err.msg, "out of memory"));
        err = (qb_error){0};
        CHECK(qet_inverse_with(NULL, 0, d, o, NULL, NULL, &err) == QB_EINTERNAL &&
              strstr(err.msg, "out of memory"));
    }
    qb_error err = {0};
    CHECK(qet_reorder(NULL, 0, d, 1, NULL, NULL, &err) == QB_EINTERNAL);
    CHECK(qet_reorder_reference(NULL, 0, d, 1, NULL, NULL, &err) == QB_EINTERNAL);
    CHECK(qet_inverse(NULL, 0, d, 1, NULL, NULL, &err) == QB_EINTERNAL);
    /* l = 0 needs no scratch */
    float none[1] = {0};
    uint8_t no_map[1] = {0};
    CHECK(qet_reorder(none, 0, d, 0, none, no_map, &err) == QB_OK);
}

/* Plays the pairing tournament on 2^l values directly: the block order the recursion makes. */
static void tournament(double *v, size_t w, double *tmp) {
    if (w < 2)
        return;
    size_t h = w / 2;
    for (size_t p = 0; p < h; p++) {
        double a = v[2 * p], b = v[2 * p + 1];
        tmp[p] = a > b ? b : a;
        tmp[h + p] = a > b ? a : b;
    }
    memcpy(v, tmp, w * sizeof *v);
}

static void block_variances(void) {
    qb_error err;
    matrix x;
    size_t n = 4000, d = 64;
    CHECK_OK(synthetic_gaussian(&x, n, d, 0, 1, 21, &err), &err);
    float *out = malloc(n * d * sizeof *out);
    uint8_t *map = calloc(qet_imap_bytes(n, d, 4) + 1, 1);
    gsl_rng *r = rng_stream(5, 0, 0);
    for (unsigned l = 1; l <= 4; l++) {
        CHECK_OK(qet_reorder(x.data, n, d, l, out, map, &err), &err);
        size_t blocks = 1u << l, w = d / blocks;
        /* average over blocks of each block's variance (its columns pooled) */
        double frac = 0;
        for (size_t b = 0; b < blocks; b++) {
            double s = 0, sq = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t c = b * w; c < (b + 1) * w; c++) {
                    s += out[i * d + c];
                    sq += (double)out[i * d + c] * out[i * d + c];
                }
            double cnt = (double)(n * w), m = s / cnt;
            frac += (sq / cnt - m * m) / (double)blocks;
        }
        /* independent estimate: the tournament on 2^l fresh normals, levels applied in place */
        size_t reps = 200000;
        double sums[16] = {0}, sqs[16] = {0}, v[16], tmp[16];
        for (size_t t = 0; t < reps; t++) {
            for (size_t j = 0; j < blocks; j++) {
                double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform(r);
                v[j] = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
            }
            for (unsigned k = 0; k < l; k++)
                for (size_t b = 0; b < (1u << k); b++)
                    tournament(v + b * (blocks >> k), blocks >> k, tmp);
            for (size_t j = 0; j < blocks; j++) {
                sums[j] += v[j];
                sqs[j] += v[j] * v[j];
            }
        }
        double ref = 0;
        for (size_t j = 0; j < blocks; j++) {
            double m = sums[j] / (double)reps;
            ref += (sqs[j] / (double)reps - m * m) / (double)blocks;
        }
        /* both are Monte Carlo estimates (256k and 200k draws per block): agree within 0.01 */
        CHECK_MSG(fabs(frac - ref) < 0.01, "l=%u: reorder %.4f vs tournament %.4f", l, frac, ref);
        if (l == 1)
            CHECK_NEAR(frac, 1 - 1 / M_PI, 0.01); /* Var max = Var min = (1 - 1/pi) sigma^2 */
        if (l > 1)
            CHECK(frac < 0.7 - 0.1 * l); /* strictly shrinking with l */
    }
    gsl_rng_free(r);
    free(out);
    free(map);
    matrix_free(&x);
}

static cell_result run(quant_params *p, const matrix *x, matrix *recon) {
    cell_result r;
    qb_error err;
    memset(&r, 0, sizeof r);
    CHECK_OK(cell_run(p, x, &r, recon, &err), &err);
    return r;
}

static void quantizer_cases(void) {
    qb_error err;
    matrix x, a, b;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 2048, 64, &spec, 8, &err), &err);

    /* l = 0 is PQ, bit for bit */
    quant_params p = quant_params_defaults();
    p.subspaces = 8;
    p.ratio = 8;
    p.seed = 4;
    cell_result rp = run(&p, &x, &a);
    strcpy(p.method, "qet");
    p.iterations = 0;
    cell_result rq = run(&p, &x, &b);
    CHECK(rp.params.ks == rq.params.ks);
    CHECK(memcmp(a.data, b.data, 2048 * 64 * sizeof(float)) == 0);
    CHECK(storage_total(&rp.bits) == storage_total(&rq.bits));
    matrix_free(&a);
    matrix_free(&b);

    /* l = 1..3 at the same budget: itemised storage adds up and fits */
    for (unsigned l = 1; l <= 3; l++) {
        p.iterations = l;
        p.ks = 0;
        cell_result r = run(&p, &x, &a);
        CHECK(r.bits.indicator_maps == 2048ull * l * 32);
        CHECK(r.bits.codes + r.bits.codebooks + r.bits.indicator_maps + r.bits.scales ==
              storage_total(&r.bits));
        CHECK(storage_total(&r.bits) <= r.original_bits / 8);
        matrix_free(&a);
    }

    /* RO: decode of the chain = sum of each stage's decode (RTN stage included) */
    p.iterations = 2;
    p.ks = 0;
    p.ratio = 4; /* an RTN stage needs at least one bit per element */
    strcpy(p.residual, "pq:0.2,rtn:0.3");
    quant_params solved = p;
    CHECK_OK(method_solve(&solved, 2048, 64, &err), &err);
    CHECK(solved.n_stages == 3 && solved.stages[2].kind == STAGE_RTN);
    void *st = NULL;
    int created = quantizer_find("qet")->create(&solved, 2048, 64, &st, &err);
    CHECK_MSG(created == QB_OK, "%s", err.msg);
    if (created)
        return;
    CHECK_OK(quantizer_find("qet")->fit(st, &x, &err), &err);
    CHECK_OK(quantizer_find("qet")->encode(st, &x, &err), &err);
    matrix whole, part, sum;
    matrix_alloc(&whole, 2048, 64, &err);
    matrix_alloc(&part, 2048, 64, &err);
    matrix_alloc(&sum, 2048, 64, &err);
    CHECK_OK(quantizer_find("qet")->decode(st, &whole, &err), &err);
    for (size_t i = 0; i < 3; i++) {
        CHECK_OK(qet_decode_stage(st, i, &part, &err), &err);
        for (size_t e = 0; e < 2048 * 64; e++)
            sum.data[e] += part.data[e];
    }
    CHECK(memcmp(whole.data, sum.data, 2048 * 64 * sizeof(float)) == 0);
    /* the residual stages help: error of stage 0 alone is larger */
    CHECK_OK(qet_decode_stage(st, 0, &part, &err), &err);
    error_metrics e0 = metrics_compare(&x, &part), eall = metrics_compare(&x, &whole);
    CHECK(eall.mse < e0.mse);
    quantizer_find("qet")->destroy(st);
    matrix_free(&whole);
    matrix_free(&part);
    matrix_free(&sum);

    /* CQO: codebooks at 10 bits, one offset + step per stage counted */
    p.residual[0] = 0;
    p.ratio = 8;
    p.codebook_bits = 10;
    cell_result rc = run(&p, &x, &a);
    CHECK(rc.bits.scales == 64);
    CHECK(rc.bits.codebooks == rc.params.ks * 64 * 10);
    matrix_free(&a);

    /* infeasible: indicator maps over budget, reported */
    p.codebook_bits = 32;
    p.iterations = 5;
    p.ratio = 16; /* maps alone: 2048 * 5 * 32 = 327680 > 4194304 / 16 = 262144 */
    cell_result rf;
    CHECK(cell_run(&p, &x, &rf, NULL, &err) == QB_EINPUT && strstr(err.msg, "indicator maps"));
    /* free-imap makes it feasible and says so */
    p.accounting = ACCOUNTING_FREE_IMAP;
    CHECK_OK(cell_run(&p, &x, &rf, NULL, &err), &err);
    CHECK(rf.charged_bits == storage_total(&rf.bits) - rf.bits.indicator_maps);

    /* bad input */
    p.accounting = ACCOUNTING_FULL;
    p.ratio = 4;
    p.iterations = 7; /* 2^7 does not divide 64 */
    CHECK(cell_run(&p, &x, &rf, NULL, &err) == QB_EINPUT && strstr(err.msg, "valid l: 0..6"));
    p.iterations = 1;
    p.codebook_bits = 33;
    CHECK(cell_run(&p, &x, &rf, NULL, &err) == QB_EINPUT);
    p.codebook_bits = 32;
    const char *bad[] = {"pq", "pq:1.5", "qet:2", "foo:0.3", "pq:0.6,pq:0.5", "pq:0.3,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(p.residual, bad[i]);
        int s = cell_run(&p, &x, &rf, NULL, &err);
        CHECK_MSG(s == QB_EINPUT, "residual '%s' accepted", bad[i]);
    }
    matrix_free(&x);
}

extern const quantizer_ops qet_method;

int main(void) {
    hand_cases();
    fast_equals_reference();
    scratch_out_of_memory();
    block_variances();
    quantizer_cases();
    return check_done("qet");
}
