/* test_kmeans_fast.c - the fast paths of k-means against the plain ones: the batched k-means++
 * seeding draws centroids as good as the one-at-a-time scan (mean over seeds, on clustered data
 * where a batch without its rejection step would double up centroids, and on the paper's synthetic
 * matrix after Lloyd), and the dim = 1 assignment equals a plain scan exactly, ties included. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kmeans.h"
#include "rng.h"
#include "synthetic.h"

/* Mean squared distance of every row to its nearest centroid. */
static double mse_of(const float *x, size_t n, size_t dim, size_t ld, const float *c, size_t k) {
    uint32_t *codes = malloc(n * sizeof *codes);
    float *d = malloc(n * sizeof *d);
    qb_error err;
    CHECK_OK(kmeans_assign(x, n, dim, ld, c, k, codes, d, &err), &err);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += d[i];
    free(codes);
    free(d);
    return s / (double)n;
}

/* Mean over `seeds` seeds of the MSE after kmeans_fit with `iters` Lloyd iterations (0: of the
 * seeds themselves), and its standard error in *se. */
static double mean_mse(const float *x, size_t n, size_t dim, size_t ld, size_t k, kmeans_init init,
                       int iters, int seeds, double *se) {
    kmeans_config cfg = kmeans_defaults();
    cfg.init = init;
    cfg.iters = iters;
    cfg.max_points_per_centroid = 0;
    float *c = malloc(k * dim * sizeof *c);
    double s = 0, s2 = 0;
    qb_error err;
    for (int seed = 0; seed < seeds; seed++) {
        CHECK_OK(kmeans_fit(x, n, dim, ld, k, &cfg, rng_derive(77, (uint64_t)seed, 0), c, &err),
                 &err);
        double m = mse_of(x, n, dim, ld, c, k);
        s += m;
        s2 += m * m;
    }
    free(c);
    double mean = s / seeds, var = (s2 - s * mean) / (seeds - 1);
    *se = sqrt((var > 0 ? var : 0) / seeds);
    return mean;
}

/* The two inits' mean MSE differ by at most 4 standard errors of the difference (a wrong law, such
 * as a batch without its rejection step, is off by hundreds here). */
static void same_quality(const char *what, size_t dim, size_t k, double batched, double se_b,
                         double plain, double se_p) {
    double z = (batched - plain) / sqrt(se_b * se_b + se_p * se_p + 1e-300);
    CHECK_MSG(z <= 4 && z >= -4,
              "%s, dim %zu, k %zu: MSE %.5g +- %.2g batched vs %.5g +- %.2g one "
              "at a time (z = %.1f)",
              what, dim, k, batched, se_b, plain, se_p, z);
}

/* `k` tight clusters of unequal size at random places: a batch of 64 draws from stale weights
 * without the rejection step puts several centroids in one cluster and misses others. */
static void clusters(float *x, size_t n, size_t dim, size_t k, uint64_t seed) {
    gsl_rng *r = rng_stream(seed, 0, 0);
    float *centre = malloc(k * dim * sizeof *centre);
    for (size_t j = 0; j < k * dim; j++)
        centre[j] = (float)(20 * gsl_rng_uniform(r));
    for (size_t i = 0; i < n; i++) {
        size_t j = i % 7 == 0 ? gsl_rng_uniform_int(r, k) : gsl_rng_uniform_int(r, k / 4 + 1);
        for (size_t t = 0; t < dim; t++)
            x[i * dim + t] = centre[j * dim + t] + (float)(0.05 * (gsl_rng_uniform(r) - 0.5));
    }
    free(centre);
    gsl_rng_free(r);
}

static void seeding_quality(void) {
    /* the seeds alone: dim 24 takes the GEMM update, dim 3 the direct one */
    const size_t dims[] = {24, 3};
    for (size_t q = 0; q < 2; q++) {
        size_t n = 4000, dim = dims[q], k = 96;
        float *x = malloc(n * dim * sizeof *x);
        clusters(x, n, dim, k, 5 + q);
        double sp, sb, plain = mean_mse(x, n, dim, dim, k, KMEANS_INIT_PLUSPLUS_SCAN, 0, 40, &sp);
        double batched = mean_mse(x, n, dim, dim, k, KMEANS_INIT_PLUSPLUS, 0, 40, &sb);
        same_quality("seeds on clusters", dim, k, batched, sb, plain, sp);
        free(x);
    }
    /* after Lloyd, on the paper's synthetic matrix (a PQ subspace of 16 and of 1 column) */
    matrix m;
    qb_error err;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&m, 2048, 32, &spec, 3, &err), &err);
    const size_t sub[] = {16, 1}, ks[] = {256, 64};
    for (size_t q = 0; q < 2; q++) {
        double sp, sb;
        double plain =
            mean_mse(m.data, m.rows, sub[q], 32, ks[q], KMEANS_INIT_PLUSPLUS_SCAN, 10, 8, &sp);
        double batched =
            mean_mse(m.data, m.rows, sub[q], 32, ks[q], KMEANS_INIT_PLUSPLUS, 10, 8, &sb);
        same_quality("after 10 Lloyd iterations", sub[q], ks[q], batched, sb, plain, sp);
    }
    /* bit-identical for 1 and 2 threads */
    kmeans_config cfg = kmeans_defaults();
    cfg.max_points_per_centroid = 0;
    float *c1 = malloc(300 * 16 * sizeof *c1), *c2 = malloc(300 * 16 * sizeof *c2);
    omp_set_num_threads(1);
    CHECK_OK(kmeans_fit(m.data, m.rows, 16, 32, 300, &cfg, 4, c1, &err), &err);
    omp_set_num_threads(2);
    CHECK_OK(kmeans_fit(m.data, m.rows, 16, 32, 300, &cfg, 4, c2, &err), &err);
    CHECK(memcmp(c1, c2, 300 * 16 * sizeof *c1) == 0);
    free(c1);
    free(c2);
    matrix_free(&m);
}

/* dim = 1: the binary search and the merge equal the scan on random shapes, with values drawn from
 * a few integers (ties between centroids, duplicate centroids, rows on centroids and on midpoints),
 * from a continuous law, and with the centroids Lloyd ends at. */
static void assign_1d_exact(void) {
    gsl_rng *r = rng_stream(11, 2, 3);
    qb_error err;
    size_t differ = 0, cases = 0;
    for (int rep = 0; rep < 300; rep++) {
        size_t n = 1 + gsl_rng_uniform_int(r, rep % 10 ? 700 : 9000),
               k = 1 + gsl_rng_uniform_int(r, 300);
        size_t ld = 1 + gsl_rng_uniform_int(r, 3);
        float *x = malloc(n * ld * sizeof *x), *c = malloc(k * sizeof *c);
        int few = rep % 3;
        for (size_t i = 0; i < n * ld; i++)
            x[i] = few ? (float)gsl_rng_uniform_int(r, 9 * (unsigned)few) * 0.5f - 3.0f
                       : (float)(4 * gsl_rng_uniform(r) - 2);
        for (size_t j = 0; j < k; j++)
            c[j] = few ? (float)gsl_rng_uniform_int(r, 5 * (unsigned)few) - 2.0f
                       : (float)(4 * gsl_rng_uniform(r) - 2);
        if (rep % 5 == 4 && k <= n) {
            kmeans_config cfg = kmeans_defaults();
            cfg.iters = 5;
            CHECK_OK(kmeans_fit(x, n, 1, ld, k, &cfg, (uint64_t)rep, c, &err), &err);
        }
        uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        float *d = malloc(n * sizeof *d);
        CHECK_OK(kmeans_assign(x, n, 1, ld, c, k, a, d, &err), &err);
        kmeans_assign_scan1d(x, n, ld, c, k, b);
        for (size_t i = 0; i < n; i++) {
            float e = x[i * ld] - c[b[i]];
            differ += a[i] != b[i] || d[i] != e * e;
        }
        /* the merge Lloyd uses, on the column made contiguous */
        float *col = malloc(n * sizeof *col);
        for (size_t i = 0; i < n; i++)
            col[i] = x[i * ld];
        CHECK_OK(kmeans_assign_merge1d(col, n, c, k, a, &err), &err);
        for (size_t i = 0; i < n; i++)
            differ += a[i] != b[i];
        free(col);
        cases += 2 * n;
        free(x);
        free(c);
        free(a);
        free(b);
        free(d);
    }
    CHECK_MSG(differ == 0, "%zu of %zu dim-1 assignments differ from the scan", differ, cases);
    gsl_rng_free(r);
}

/* The assignment adds ||c||^2 inside the argmin instead of giving it to the GEMM as C (beta = 1):
 * the same scores to the bit (the GEMM's -2 x.c is exact scaling), so the same codes and
 * distances, on random shapes. */
static void scores_as_gemm(void) {
    gsl_rng *r = rng_stream(13, 0, 1);
    qb_error err;
    size_t differ = 0;
    openblas_set_num_threads(1);
    for (int rep = 0; rep < 200; rep++) {
        /* at most 32 rows: one row block of the assignment (a GEMM's rows at the edge of its
         * kernel's tile may round differently, so the reference must be the same call shape) */
        size_t n = 1 + gsl_rng_uniform_int(r, 32), k = 1 + gsl_rng_uniform_int(r, 400);
        size_t dim = 2 + gsl_rng_uniform_int(r, 40), ld = dim + gsl_rng_uniform_int(r, 3);
        float *x = malloc(n * ld * sizeof *x), *c = malloc(k * dim * sizeof *c);
        for (size_t i = 0; i < n * ld; i++)
            x[i] = (float)(4 * gsl_rng_uniform(r) - 2);
        for (size_t j = 0; j < k * dim; j++) /* some centroids on rows: exact zeros */
            c[j] = j / dim % 3 == 0 && j / dim < n ? x[(j / dim) * ld + j % dim]
                                                   : (float)(4 * gsl_rng_uniform(r) - 2);
        float *sc = malloc(n * k * sizeof *sc), *d = malloc(n * sizeof *d);
        uint32_t *a = malloc(n * sizeof *a);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) {
                float t = 0;
                for (size_t u = 0; u < dim; u++)
                    t += c[j * dim + u] * c[j * dim + u];
                sc[i * k + j] = t;
            }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)dim, -2.0f, x,
                    (int)ld, c, (int)dim, 1.0f, sc, (int)k);
        CHECK_OK(kmeans_assign(x, n, dim, ld, c, k, a, d, &err), &err);
        for (size_t i = 0; i < n; i++) {
            float best, xx = 0;
            uint32_t want = kmeans_argmin(sc + i * k, k, &best);
            for (size_t u = 0; u < dim; u++)
                xx += x[i * ld + u] * x[i * ld + u];
            float dd = xx + best;
            differ += a[i] != want || d[i] != (dd > 0 ? dd : 0);
        }
        free(x);
        free(c);
        free(sc);
        free(d);
        free(a);
    }
    CHECK_MSG(differ == 0, "%zu assignments differ from the GEMM with beta = 1", differ);
    gsl_rng_free(r);
}

int main(void) {
    scores_as_gemm();
    assign_1d_exact();
    seeding_quality();
    return check_done("kmeans_fast");
}
