/* test_rtn_pq.c - RTN on a hand-computed 2x4 case and its granularities; PQ lossless when k_s
 * covers every distinct subvector; codes and storage as counted; same seed, same bytes. */
#include <string.h>

#include "cell.h"
#include "check.h"
#include "rtn_range.h"
#include "synthetic.h"

static cell_result run(quant_params *p, const matrix *x, matrix *recon) {
    cell_result r;
    qb_error err;
    CHECK_OK(cell_run(p, x, &r, recon, &err), &err);
    return r;
}

int main(void) {
    /* 2x4, per tensor, 2 bits: min -1, max 2, step 1; levels -1, 0, 1, 2.
     * 0.4 -> (1.4) -> 1 -> 0.0; 0.6 -> 1.6 -> 2 -> 1.0; 1.5 -> 2.5 -> 2 (ties to even) -> 1.0 */
    float xv[8] = {-1, 0.4f, 0.6f, 2, 1.5f, 0, -0.4f, 1.2f};
    float expect[8] = {-1, 0, 1, 2, 1, 0, 0, 1};
    matrix x = {2, 4, xv}, recon;
    quant_params p = quant_params_defaults();
    strcpy(p.method, "rtn");
    p.rtn_bits = 2;
    cell_result r = run(&p, &x, &recon);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(recon.data[i], expect[i], 1e-6);
    CHECK(r.bits.codes == 16 && r.bits.scales == 64);
    double mse = 0;
    for (int i = 0; i < 8; i++)
        mse += (xv[i] - expect[i]) * (xv[i] - expect[i]) / 8.0;
    CHECK_NEAR(r.error.mse, mse, 1e-7);
    matrix_free(&recon);

    /* per row: row 0 range [-1, 2] as above; row 1 range [-0.4, 1.5], step 0.6333 */
    p.rtn_granularity = RTN_PER_ROW;
    r = run(&p, &x, &recon);
    CHECK(r.bits.scales == 2 * 64);
    CHECK_NEAR(recon.data[4], 1.5, 1e-6);
    CHECK_NEAR(recon.data[6], -0.4, 1e-6);
    CHECK_NEAR(recon.data[5], -0.4 + 0.6333333, 1e-5); /* 0 -> code 1 */
    matrix_free(&recon);
    /* per group of 2: 4 groups, each pair exact at 1 bit */
    p.rtn_granularity = RTN_PER_GROUP;
    p.rtn_group = 2;
    p.rtn_bits = 1;
    r = run(&p, &x, &recon);
    CHECK(r.bits.scales == 4 * 64);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(recon.data[i], xv[i], 1e-6); /* two values per group: both ends exact */
    matrix_free(&recon);

    /* every code within half a step of its value */
    uint32_t codes[8];
    float off, step;
    for (unsigned b = 1; b <= 8; b++) {
        rtn_quantize_range(xv, 8, b, codes, &off, &step);
        for (int i = 0; i < 8; i++)
            CHECK(fabsf(rtn_level(codes[i], off, step) - xv[i]) <= step / 2 * (1 + 1e-5f));
    }

    /* PQ is lossless when k_s >= distinct subvectors: 512 rows built from 5 distinct rows */
    qb_error err;
    matrix y;
    CHECK_OK(matrix_alloc(&y, 512, 12, &err), &err);
    for (size_t i = 0; i < 512; i++)
        for (size_t t = 0; t < 12; t++)
            y.data[i * 12 + t] = (float)((i * 7) % 5) * 0.37f - (float)t * 1.1f;
    p = quant_params_defaults();
    strcpy(p.method, "pq");
    p.subspaces = 3;
    p.ks = 5;
    r = run(&p, &y, &recon);
    CHECK_MSG(r.error.mse == 0, "PQ with k_s = distinct rows: mse %g", r.error.mse);
    CHECK(r.bits.codes == 512 * 3 * 3 && r.bits.codebooks == 5 * 12 * 32);
    matrix_free(&recon);
    p.ks = 8; /* more centroids than distinct vectors: still exact */
    r = run(&p, &y, &recon);
    CHECK(r.error.mse == 0);
    matrix_free(&recon);

    /* same seed -> identical reconstruction bytes; another seed -> a different one */
    matrix z, r1, r2, r3;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&z, 1024, 32, &spec, 5, &err), &err);
    p.subspaces = 4;
    p.ks = 0;
    p.ratio = 8;
    p.seed = 3;
    run(&p, &z, &r1);
    run(&p, &z, &r2);
    p.seed = 4;
    run(&p, &z, &r3);
    CHECK(memcmp(r1.data, r2.data, 1024 * 32 * sizeof(float)) == 0);
    CHECK(memcmp(r1.data, r3.data, 1024 * 32 * sizeof(float)) != 0);
    matrix_free(&r1);
    matrix_free(&r2);
    matrix_free(&r3);
    matrix_free(&z);
    matrix_free(&y);
    return check_done("rtn_pq");
}
