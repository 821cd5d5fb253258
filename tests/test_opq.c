/* test_opq.c - OPQ and LOPQ: orthogonal rotations, Procrustes and eigenvalue allocation on
 * hand-made cases, OPQ with no rounds is PQ, both beat PQ where they should, every stored bit
 * matches the budget, bad parameters are refused. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "cell.h"
#include "check.h"
#include "opq.h"
#include "options.h"
#include "synthetic.h"

/* Frobenius norm of R^T R - I. */
static double orthogonality_error(const float *r, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double dot = 0;
            for (size_t t = 0; t < d; t++)
                dot += (double)r[t * d + i] * r[t * d + j];
            double e = dot - (i == j);
            s += e * e;
        }
    return sqrt(s);
}

/* X = G diag(scale) Q: Gaussian rows with column standard deviations decaying as 0.85^j, then a
 * random rotation that mixes the strong and weak directions across all subspaces. */
static void anisotropic(matrix *x, size_t n, size_t d, uint64_t seed, qb_error *err) {
    matrix g;
    CHECK_OK(synthetic_gaussian(&g, n, d, 0, 1, seed, err), err);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            g.data[i * d + j] *= (float)pow(0.85, (double)j);
    float *q = malloc(d * d * sizeof *q);
    CHECK_OK(opq_random_rotation(q, d, seed + 1000, err), err);
    CHECK_OK(matrix_alloc(x, n, d, err), err);
    opq_rotate(g.data, n, d, q, x->data);
    free(q);
    matrix_free(&g);
}

/* `clusters` well-separated Gaussian clusters: centre i * 40 along a random direction per cluster,
 * each cluster anisotropic in its own random orientation. */
static void mixture(matrix *x, size_t n, size_t d, size_t clusters, uint64_t seed, qb_error *err) {
    CHECK_OK(matrix_alloc(x, n, d, err), err);
    size_t per = n / clusters;
    for (size_t c = 0; c < clusters; c++) {
        matrix part, centre;
        size_t rows = c + 1 < clusters ? per : n - per * c;
        anisotropic(&part, rows, d, seed + 17 * c, err);
        CHECK_OK(synthetic_gaussian(&centre, 1, d, 0, 40, seed + 17 * c + 5, err), err);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < d; j++)
                x->data[(c * per + i) * d + j] = part.data[i * d + j] + centre.data[j];
        matrix_free(&part);
        matrix_free(&centre);
    }
}

static quant_params params(const char *method, size_t m, uint64_t ks, uint64_t seed) {
    quant_params p = quant_params_defaults();
    strcpy(p.method, method);
    p.subspaces = m;
    p.ks = ks;
    p.seed = seed;
    return p;
}

/* 1-D points 0, 1, 10, 11 from centroids 0 and 1: {0} | {1, 10, 11} -> 0, 22/3; then
 * {0, 1} | {10, 11} -> 0.5, 10.5; then nothing changes. */
static void test_kmeans_refine(qb_error *err) {
    const float x[4] = {0, 1, 10, 11};
    float c[2] = {0, 1};
    CHECK_OK(kmeans_refine(x, 4, 1, 1, 2, 1, c, err), err);
    CHECK_NEAR(c[0], 0, 0);
    CHECK_NEAR(c[1], 22.0 / 3, 1e-6);
    CHECK_OK(kmeans_refine(x, 4, 1, 1, 2, 10, c, err), err);
    CHECK_NEAR(c[0], 0.5, 0);
    CHECK_NEAR(c[1], 10.5, 0);
    CHECK(kmeans_refine(x, 4, 1, 1, 5, 1, c, err) == QB_EINPUT);
}

static void test_rotations(qb_error *err) {
    enum { D = 48 };
    float r[D * D], q[D * D], back[D * D];
    CHECK_OK(opq_random_rotation(r, D, 7, err), err);
    CHECK(orthogonality_error(r, D) < 1e-4);
    opq_identity(q, D);
    CHECK(orthogonality_error(q, D) == 0);

    /* Procrustes recovers a known rotation from X and Y = X Q. */
    matrix x, y;
    CHECK_OK(synthetic_gaussian(&x, 300, D, 0, 1, 3, err), err);
    CHECK_OK(matrix_alloc(&y, 300, D, err), err);
    opq_rotate(x.data, 300, D, r, y.data);
    CHECK_OK(opq_procrustes(x.data, y.data, 300, D, back, err), err);
    double worst = 0;
    for (size_t i = 0; i < D * D; i++)
        worst = fmax(worst, fabs(back[i] - r[i]));
    CHECK_MSG(worst < 1e-4, "Procrustes recovered Q to %g", worst);

    /* The learned rotation stays orthogonal, from either initialisation. */
    matrix a;
    anisotropic(&a, 1024, 32, 11, err);
    kmeans_config cfg = kmeans_defaults();
    float learned[32 * 32];
    opq_identity(learned, 32);
    CHECK_OK(opq_learn_rotation(&a, 4, 16, 8, &cfg, 1, 0, learned, err), err);
    CHECK_MSG(orthogonality_error(learned, 32) < 1e-4, "%g", orthogonality_error(learned, 32));
    CHECK_OK(opq_random_rotation(learned, 32, 5, err), err);
    CHECK_OK(opq_learn_rotation(&a, 4, 16, 8, &cfg, 1, 0, learned, err), err);
    CHECK_MSG(orthogonality_error(learned, 32) < 1e-4, "%g", orthogonality_error(learned, 32));
    matrix_free(&a);
    matrix_free(&x);
    matrix_free(&y);
}

/* Columns of a 4x4 Hadamard matrix are orthogonal, so z = H diag(s) has covariance diag(s^2):
 * variances 4, 1, 8, 2 in columns 0..3. Allocation to 2 subspaces: 8 -> A, 4 -> B, 2 -> B (product
 * 4 < 8), 1 -> A; products 8 and 8. So rotated columns are original columns 2, 1 | 0, 3. */
static void test_eigen_allocation(qb_error *err) {
    const float h[4][4] = {{1, 1, 1, 1}, {1, -1, 1, -1}, {1, 1, -1, -1}, {1, -1, -1, 1}};
    const float sd[4] = {2, 1, sqrtf(8), sqrtf(2)};
    float z[16], r[16];
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            z[i * 4 + j] = h[i][j] * sd[j];
    CHECK_OK(opq_eigen_allocation(z, 4, 4, 2, r, err), err);
    const size_t expect[4] = {2, 1, 0, 3}; /* rotated column -> original column */
    for (size_t col = 0; col < 4; col++)
        for (size_t i = 0; i < 4; i++)
            CHECK_NEAR(fabs(r[i * 4 + col]), i == expect[col] ? 1.0 : 0.0, 1e-5);
    CHECK(orthogonality_error(r, 4) < 1e-4);
    CHECK(opq_eigen_allocation(z, 4, 4, 3, r, err) == QB_EINPUT);
}

static void test_zero_rounds_is_pq(qb_error *err) {
    matrix x, a, b;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 1000, 32, &spec, 4, err), err);
    quant_params pq = params("pq", 4, 32, 9), opq = params("opq", 4, 32, 9);
    opq.opq_iters = 0;
    cell_result ra, rb;
    CHECK_OK(cell_run(&pq, &x, &ra, &a, err), err);
    CHECK_OK(cell_run(&opq, &x, &rb, &b, err), err);
    CHECK(memcmp(a.data, b.data, x.rows * x.cols * sizeof *a.data) == 0);
    CHECK(ra.error.mse == rb.error.mse);
    CHECK(rb.bits.rotation == 32 * 32 * 32);
    matrix_free(&a);
    matrix_free(&b);
    matrix_free(&x);
}

static void test_opq_beats_pq(qb_error *err) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
        matrix x;
        anisotropic(&x, 2048, 32, seed, err);
        for (int init = OPQ_INIT_IDENTITY; init <= OPQ_INIT_EIGEN; init++) {
            quant_params pq = params("pq", 4, 16, seed), opq = params("opq", 4, 16, seed);
            opq.opq_iters = 10;
            opq.opq_init_random = init;
            cell_result ra, rb;
            CHECK_OK(cell_run(&pq, &x, &ra, NULL, err), err);
            CHECK_OK(cell_run(&opq, &x, &rb, NULL, err), err);
            CHECK_MSG(rb.error.mse < 0.6 * ra.error.mse, "seed %llu init %d: OPQ %g vs PQ %g",
                      (unsigned long long)seed, init, rb.error.mse, ra.error.mse);
        }
        matrix_free(&x);
    }
}

/* Equal code bits per row: PQ 4 x log2(16) = 16; LOPQ log2(16) cells + 4 x log2(8) = 16. */
static void test_lopq_beats_pq(qb_error *err) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
        matrix x;
        mixture(&x, 2048, 32, 16, seed, err);
        quant_params pq = params("pq", 4, 16, seed), lopq = params("lopq", 4, 8, seed);
        lopq.lopq_cells = 16;
        lopq.opq_iters = 4;
        cell_result ra, rb;
        CHECK_OK(cell_run(&pq, &x, &ra, NULL, err), err);
        CHECK_OK(cell_run(&lopq, &x, &rb, NULL, err), err);
        CHECK(ra.bits.codes == rb.bits.codes + x.rows * 4); /* coarse codes: the other 4 bits */
        CHECK(rb.bits.coarse == x.rows * 4 + 2 * 16 * 32 * 32);
        CHECK_MSG(rb.error.mse < 0.5 * ra.error.mse, "seed %llu: LOPQ %g vs PQ %g",
                  (unsigned long long)seed, rb.error.mse, ra.error.mse);
        matrix_free(&x);
    }
}

static void test_budget(qb_error *err) {
    /* Hand-computed items. */
    storage_bits s = budget_opq(4096, 128, 8, 256);
    CHECK(s.codes == 4096ull * 8 * 8 && s.codebooks == 256ull * 128 * 32);
    CHECK(s.rotation == 128ull * 128 * 32 && s.coarse == 0 && s.scales == 0);
    s = budget_lopq(100, 8, 2, 5, 3);
    CHECK(s.codes == 100 * 2 * 3);        /* ceil(log2 5) = 3 */
    CHECK(s.codebooks == 3 * 5 * 8 * 32); /* 3 cells x 2 codebooks x 5 x 4 floats */
    CHECK(s.rotation == 3 * 8 * 8 * 32);
    CHECK(s.coarse == 100 * 2 + 2 * 3 * 8 * 32); /* ceil(log2 3) = 2; centroids and means */
    /* Default V: rotations at most a quarter of the budget; at least 1; at most n. */
    uint64_t r4 = budget_for_ratio(budget_original_bits(4096, 128, 32), 4);
    CHECK(budget_lopq_default_cells(4096, 128, r4) == 2);
    CHECK(budget_lopq_default_cells(4096, 128, r4 / 4) == 1);
    CHECK(budget_lopq_default_cells(10, 4, 1ull << 40) == 10);

    /* Solved cells: what the method stores equals the prediction (cell_run fails otherwise), the
     * items add up, the charge fits the budget and k_s + 1 would not. */
    matrix x;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 2048, 64, &spec, 2, err), err);
    const char *methods[] = {"opq", "lopq"};
    const double ratios[] = {4, 8, 16};
    for (size_t mi = 0; mi < 2; mi++)
        for (size_t ri = 0; ri < 3; ri++) {
            quant_params p = params(methods[mi], 8, 0, 1);
            p.ratio = ratios[ri];
            p.opq_iters = 2;
            p.kmeans.iters = 3; /* accounting only: quality is not the point here */
            cell_result r;
            CHECK_OK(cell_run(&p, &x, &r, NULL, err), err);
            const storage_bits *b = &r.bits;
            CHECK(storage_total(b) == b->codes + b->codebooks + b->indicator_maps + b->rotation +
                                          b->coarse + b->scales);
            uint64_t budget = budget_for_ratio(r.original_bits, p.ratio);
            CHECK(r.charged_bits <= budget);
            CHECK(b->rotation == (mi ? r.params.lopq_cells : 1) * 64ull * 64 * 32);
            storage_bits next = mi ? budget_lopq(2048, 64, 8, r.params.ks + 1, r.params.lopq_cells)
                                   : budget_opq(2048, 64, 8, r.params.ks + 1);
            CHECK_MSG(storage_total(&next) > budget, "%s ratio %g: k_s %llu not the largest",
                      methods[mi], p.ratio, (unsigned long long)r.params.ks);
            if (mi)
                CHECK(r.params.lopq_cells * 64ull * 64 * 32 <= budget / 4 ||
                      r.params.lopq_cells == 1);
        }
    matrix_free(&x);
    /* Half the rows: at ratio 16 the rotation alone takes the whole budget: infeasible, said so. */
    CHECK_OK(synthetic_generate(&x, 1024, 64, &spec, 2, err), err);
    for (size_t mi = 0; mi < 2; mi++) {
        quant_params p = params(methods[mi], 8, 0, 1);
        p.ratio = 16;
        cell_result r;
        CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
        CHECK(strstr(err->msg, "infeasible") != NULL);
    }
    matrix_free(&x);
}

static void test_bad_parameters(qb_error *err) {
    matrix x;
    CHECK_OK(synthetic_gaussian(&x, 50, 30, 0, 1, 1, err), err);
    cell_result r;
    quant_params p = params("lopq", 5, 4, 1);
    p.lopq_cells = 51;
    CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
    CHECK(strstr(err->msg, "lopq-cells") != NULL);
    p.lopq_cells = 0; /* no ratio to derive V from */
    CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
    const char *methods[] = {"opq", "lopq"};
    for (size_t mi = 0; mi < 2; mi++) {
        p = params(methods[mi], 4, 4, 1); /* 4 does not divide 30 */
        p.lopq_cells = 2;
        CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
        CHECK(strstr(err->msg, "subspaces") != NULL);
        p = params(methods[mi], 5, 51, 1); /* k_s > n */
        p.lopq_cells = 2;
        CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
        p = params(methods[mi], 5, 4, 1);
        p.lopq_cells = 2;
        p.opq_iters = -1;
        CHECK(cell_run(&p, &x, &r, NULL, err) == QB_EINPUT);
    }
    /* LOPQ's rotations always start from eigenvalue allocation: opq_init is not its option */
    option_assign start = {option_find("opq_init"), "random"};
    p = quant_params_defaults();
    CHECK(options_resolve(&p, "lopq", NULL, &start, 1, NULL, 0, "cli", err) == QB_EINPUT);
    CHECK(strstr(err->msg, "does not apply") != NULL);
    matrix_free(&x);
}

/* Rank 1 without noise: every 2x2 minor vanishes. With noise, mean variance is 1 + noise^2. */
static void test_lowrank(qb_error *err) {
    matrix a, b;
    CHECK_OK(synthetic_lowrank(&a, 20, 6, 1, 0, 3, err), err);
    double worst = 0;
    for (size_t i = 1; i < 20; i++)
        for (size_t j = 0; j < 6; j++)
            for (size_t k = 0; k < 6; k++)
                worst = fmax(worst, fabs((double)a.data[i * 6 + j] * a.data[k] -
                                         (double)a.data[i * 6 + k] * a.data[j]));
    CHECK_MSG(worst < 1e-4, "rank-1 minor %g", worst);
    matrix_free(&a);
    CHECK_OK(synthetic_lowrank(&a, 8000, 64, 16, 0.5, 3, err), err);
    CHECK_OK(synthetic_lowrank(&b, 8000, 64, 16, 0.5, 3, err), err);
    CHECK(memcmp(a.data, b.data, a.rows * a.cols * sizeof *a.data) == 0);
    /* Mean column variance: 1 + 0.25, up to W's 1024 draws (relative sd 4.4%) and sampling. */
    double ss = 0;
    for (size_t i = 0; i < a.rows * a.cols; i++)
        ss += (double)a.data[i] * a.data[i];
    CHECK_NEAR(ss / (double)(a.rows * a.cols), 1.25, 0.2);
    matrix_free(&a);
    matrix_free(&b);
    CHECK(synthetic_lowrank(&a, 5, 4, 5, 0.1, 1, err) == QB_EINPUT);
}

/* Same seed, same bits, whatever the thread count. */
static void test_threads(qb_error *err) {
    matrix x, a, b;
    mixture(&x, 600, 16, 3, 8, err);
    const char *methods[] = {"opq", "lopq"};
    for (size_t mi = 0; mi < 2; mi++) {
        quant_params p = params(methods[mi], 4, 8, 3);
        p.lopq_cells = 3;
        p.opq_iters = 3;
        p.opq_init_random = mi == 0;
        cell_result r;
        omp_set_num_threads(1);
        int sa = cell_run(&p, &x, &r, &a, err);
        CHECK_MSG(sa == 0, "%s", err->msg);
        omp_set_num_threads(2);
        int sb = cell_run(&p, &x, &r, &b, err);
        CHECK_MSG(sb == 0, "%s", err->msg);
        if (sa || sb)
            continue;
        CHECK_MSG(memcmp(a.data, b.data, x.rows * x.cols * sizeof *a.data) == 0, "%s", methods[mi]);
        matrix_free(&a);
        matrix_free(&b);
    }
    matrix_free(&x);
}

int main(void) {
    openblas_set_num_threads(1);
    qb_error err = {0};
    test_kmeans_refine(&err);
    test_rotations(&err);
    test_eigen_allocation(&err);
    test_zero_rounds_is_pq(&err);
    test_opq_beats_pq(&err);
    test_lopq_beats_pq(&err);
    test_budget(&err);
    test_bad_parameters(&err);
    test_threads(&err);
    test_lowrank(&err);
    return check_done("opq");
}
