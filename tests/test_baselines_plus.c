/* test_baselines_plus.c - the stronger baselines: MSE-clipped RTN never worse than min-max RTN at
 * equal bits (synthetic data, every granularity) and strictly better with an outlier; Lloyd-Max by
 * hand, against Max's (1960) table on N(0,1), never worse than uniform at equal bits per group;
 * storage counted; residual PQ's first stage is PQ byte for byte and the chain rejects reordering.
 */
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "check.h"
#include "lloyd.h"
#include "qet.h"
#include "rtn_range.h"
#include "synthetic.h"

static cell_result run(const quant_params *p, const matrix *x, matrix *recon) {
    cell_result r;
    qb_error err;
    memset(&r, 0, sizeof r);
    CHECK_OK(cell_run(p, x, &r, recon, &err), &err);
    return r;
}

static void clipped_rtn(void) {
    /* one outlier: min-max spends the 4 levels on [0, 100]; clipping does better */
    float x[9] = {0, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 100};
    uint32_t codes[9];
    float off, step;
    rtn_quantize_range(x, 9, 2, codes, &off, &step);
    double e_mm = rtn_quantize_given(x, 9, 1, 2, off, off + 3 * step, NULL, NULL, NULL);
    CHECK_NEAR(e_mm, 0.01 + 0.04 + 0.09 + 0.16 + 0.25 + 0.36 + 0.49, 1e-5); /* all but 100 -> 0 */
    rtn_quantize_clipped(x, 9, 2, codes, &off, &step);
    double e_cl = 0;
    for (int i = 0; i < 9; i++) {
        double e = x[i] - rtn_level(codes[i], off, step);
        e_cl += e * e;
    }
    CHECK_MSG(e_cl < e_mm, "clipped %g vs min-max %g", e_cl, e_mm);

    qb_error err;
    matrix m;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&m, 256, 256, &spec, 5, &err), &err);
    quant_params p = quant_params_defaults();
    strcpy(p.method, "rtn");
    for (int g = RTN_PER_TENSOR; g <= RTN_PER_GROUP; g++)
        for (unsigned b = 1; b <= 6; b++) {
            p.rtn_granularity = (rtn_granularity)g;
            p.rtn_bits = b;
            p.rtn_clip = RTN_CLIP_MINMAX;
            cell_result mm = run(&p, &m, NULL);
            p.rtn_clip = RTN_CLIP_MSE;
            cell_result cl = run(&p, &m, NULL);
            CHECK(storage_total(&mm.bits) == storage_total(&cl.bits));
            CHECK_MSG(cl.error.mse <= mm.error.mse * (1 + 1e-12), "g=%d b=%u: %g vs %g", g, b,
                      cl.error.mse, mm.error.mse);
            /* per tensor the outliers set the range: clipping must win by far at low bits */
            if (g == RTN_PER_TENSOR && b <= 4)
                CHECK_MSG(cl.error.mse < 0.5 * mm.error.mse, "b=%u: %g vs %g", b, cl.error.mse,
                          mm.error.mse);
        }
    matrix_free(&m);
}

static void lloyd_cases(void) {
    /* two clusters, 1 bit: levels at the cluster means */
    const float x[8] = {0, 11, 1, 10, 0, 11, 1, 10};
    float sorted[8], lv[2];
    double sse = lloyd_fit(x, 8, 1, 100, sorted, lv);
    CHECK_NEAR(lv[0], 0.5, 1e-6);
    CHECK_NEAR(lv[1], 10.5, 1e-6);
    CHECK_NEAR(sse, 2.0, 1e-9);
    CHECK(lloyd_nearest(lv, 2, 5.5f) == 0 && lloyd_nearest(lv, 2, 5.6f) == 1);
    CHECK(lloyd_nearest(lv, 2, -3) == 0 && lloyd_nearest(lv, 2, 30) == 1);

    /* Max (1960): MSE of the optimal 1-, 2-, 3-bit quantizers of N(0,1) */
    qb_error err;
    matrix g;
    CHECK_OK(synthetic_gaussian(&g, 512, 128, 0, 1, 11, &err), &err);
    const double max_table[] = {0.3634, 0.1175, 0.03454};
    quant_params p = quant_params_defaults();
    strcpy(p.method, "lloyd");
    for (unsigned b = 1; b <= 3; b++) {
        p.rtn_bits = b;
        p.rtn_granularity = RTN_PER_TENSOR;
        cell_result r = run(&p, &g, NULL);
        CHECK_MSG(fabs(r.error.mse / max_table[b - 1] - 1) < 0.02, "b=%u: %g vs Max %g", b,
                  r.error.mse, max_table[b - 1]);
        CHECK(r.bits.codebooks == (1u << b) * 32u && r.bits.codes == 512u * 128 * b);
    }
    /* never worse than uniform (min-max or clipped) at equal bits per group */
    for (int gr = RTN_PER_TENSOR; gr <= RTN_PER_GROUP; gr++)
        for (unsigned b = 1; b <= 4; b++) {
            quant_params q = p;
            q.rtn_bits = b;
            q.rtn_granularity = (rtn_granularity)gr;
            cell_result lm = run(&q, &g, NULL);
            strcpy(q.method, "rtn");
            for (int c = 0; c < 2; c++) {
                q.rtn_clip = (rtn_clip_mode)c;
                cell_result u = run(&q, &g, NULL);
                CHECK_MSG(lm.error.mse <= u.error.mse * (1 + 1e-12), "g=%d b=%u clip=%d: %g vs %g",
                          gr, b, c, lm.error.mse, u.error.mse);
            }
            if (gr == RTN_PER_GROUP)
                CHECK(lm.bits.codebooks == 512ull * (128 / 128) * (1u << b) * 32);
        }
    /* the budget charges the codebooks: at ratio 8 per group of 128, b = 2 (3 bits/elem) */
    p.rtn_bits = 0;
    p.ratio = 8;
    p.rtn_granularity = RTN_PER_GROUP;
    cell_result r = run(&p, &g, NULL);
    CHECK(r.params.rtn_bits == 2 && r.ratio >= 8);
    matrix_free(&g);
}

static void residual_pq(void) {
    qb_error err;
    matrix x, a, b;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 1024, 32, &spec, 6, &err), &err);
    quant_params p = quant_params_defaults();
    strcpy(p.method, "rpq");
    p.ratio = 12;
    p.seed = 2;
    p.kmeans.iters = 10;
    p.subspaces = 4;
    cell_result rr = run(&p, &x, &a);
    CHECK(rr.params.n_stages == 2 && rr.params.iterations == 0);
    CHECK(rr.bits.indicator_maps == 0 && storage_total(&rr.bits) <= rr.original_bits / 12);
    /* stage 0 of the chain is PQ at its own k_s, byte for byte */
    quant_params solved = p;
    CHECK_OK(method_solve(&solved, 1024, 32, &err), &err);
    CHECK(solved.stages[0].ks == rr.params.stages[0].ks && solved.stages[1].ks > 0);
    void *st = NULL;
    CHECK_OK(quantizer_find("rpq")->create(&solved, 1024, 32, &st, &err), &err);
    CHECK_OK(quantizer_find("rpq")->fit(st, &x, &err), &err);
    CHECK_OK(quantizer_find("rpq")->encode(st, &x, &err), &err);
    matrix s0;
    matrix_alloc(&s0, 1024, 32, &err);
    CHECK_OK(qet_decode_stage(st, 0, &s0, &err), &err);
    quantizer_find("rpq")->destroy(st);
    quant_params q = p;
    strcpy(q.method, "pq");
    q.ratio = 0;
    q.ks = solved.stages[0].ks;
    run(&q, &x, &b);
    CHECK(memcmp(s0.data, b.data, 1024 * 32 * sizeof(float)) == 0);
    /* and the chain is identical to the qet method's at l = 0 with the same split */
    quant_params z = p;
    strcpy(z.method, "qet");
    z.iterations = 0;
    strcpy(z.residual, "pq:0.3");
    matrix c;
    run(&z, &x, &c);
    CHECK(memcmp(a.data, c.data, 1024 * 32 * sizeof(float)) == 0);
    /* reordering stages are refused */
    strcpy(p.residual, "qet:2:0.3");
    cell_result rf;
    CHECK(cell_run(&p, &x, &rf, NULL, &err) == QB_EINPUT && strstr(err.msg, "rpq"));
    matrix_free(&a);
    matrix_free(&b);
    matrix_free(&c);
    matrix_free(&s0);
    matrix_free(&x);
}

extern const quantizer_ops rpq_method;

int main(void) {
    clipped_rtn();
    lloyd_cases();
    residual_pq();
    return check_done("baselines_plus");
}
