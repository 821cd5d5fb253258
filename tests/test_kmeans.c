/* test_kmeans.c - k-means: exact recovery of separated clusters, BLAS assignment equal to the naive
 * loop, identical results for 1 and 2 threads, any k in 1..n, errors for bad k. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kmeans.h"
#include "rng.h"
#include "synthetic.h"

/* n points around `k` centres spaced 100 apart on the diagonal, with noise of sd 0.1. */
static void clustered(float *x, size_t n, size_t dim, size_t k, uint32_t *truth) {
    gsl_rng *r = rng_stream(7, 0, 0);
    for (size_t i = 0; i < n; i++) {
        truth[i] = (uint32_t)(i % k);
        for (size_t t = 0; t < dim; t++)
            x[i * dim + t] = (float)(100.0 * (double)truth[i] * (t % 2 ? 1 : -1) +
                                     0.1 * (gsl_rng_uniform(r) - 0.5));
    }
    gsl_rng_free(r);
}

static void separated_clusters(kmeans_init init) {
    enum { N = 600, DIM = 5, K = 6 };
    float x[N * DIM], c[K * DIM];
    uint32_t truth[N], codes[N];
    clustered(x, N, DIM, K, truth);
    kmeans_config cfg = kmeans_defaults();
    cfg.init = init;
    qb_error err;
    CHECK_OK(kmeans_fit(x, N, DIM, DIM, K, &cfg, 42, c, &err), &err);
    CHECK_OK(kmeans_assign(x, N, DIM, DIM, c, K, codes, NULL, &err), &err);
    /* the partition must equal the truth up to relabelling */
    int map[K];
    for (int j = 0; j < K; j++)
        map[j] = -1;
    int ok = 1;
    for (size_t i = 0; i < N; i++) {
        if (map[truth[i]] < 0)
            map[truth[i]] = (int)codes[i];
        ok &= map[truth[i]] == (int)codes[i];
    }
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++)
            ok &= map[a] != map[b];
    CHECK_MSG(ok, "clusters not recovered with %s init", kmeans_init_name(init));
}

/* The vectorised argmin equals a left-to-right scan, ties included, for every k. */
static void argmin_equals_scan(void) {
    gsl_rng *r = rng_stream(3, 1, 4);
    float s[300];
    int same = 1;
    for (size_t k = 1; k <= 300; k++)
        for (int rep = 0; rep < 20; rep++) {
            for (size_t j = 0; j < k; j++) /* few distinct values: many ties */
                s[j] = (float)gsl_rng_uniform_int(r, rep % 2 ? 5 : 1000) - 2.0f;
            size_t want = 0;
            for (size_t j = 1; j < k; j++)
                if (s[j] < s[want])
                    want = j;
            float best;
            uint32_t got = kmeans_argmin(s, k, &best);
            same &= got == want && best == s[want];
        }
    CHECK_MSG(same, "vectorised argmin differs from the scan");
    gsl_rng_free(r);
}

int main(void) {
    argmin_equals_scan();
    /* k-means++ finds them; random init may legitimately stop in a local optimum (two centroids in
     * one cluster), which is why the harness records the init of every cell */
    separated_clusters(KMEANS_INIT_PLUSPLUS);

    /* BLAS assignment equals the naive loop (on the synthetic data, odd k, strided input) */
    qb_error err;
    matrix x;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 3000, 24, &spec, 3, &err), &err);
    size_t k = 37, dim = 8;
    float *c = malloc(k * dim * sizeof *c);
    uint32_t *a = malloc(x.rows * sizeof *a), *b = malloc(x.rows * sizeof *b);
    kmeans_config cfg = kmeans_defaults();
    CHECK_OK(kmeans_fit(x.data + 8, x.rows, dim, 24, k, &cfg, 5, c, &err), &err);
    CHECK_OK(kmeans_assign(x.data + 8, x.rows, dim, 24, c, k, a, NULL, &err), &err);
    kmeans_assign_naive(x.data + 8, x.rows, dim, 24, c, k, b);
    size_t differ = 0;
    for (size_t i = 0; i < x.rows; i++)
        differ += a[i] != b[i];
    /* float rounding of the expanded distance may flip exact near-ties only */
    CHECK_MSG(differ <= 2, "%zu of %zu assignments differ from the naive loop", differ, x.rows);

    /* bit-identical for 1 and 2 threads, both inits */
    for (int init = 0; init < 2; init++) {
        cfg.init = (kmeans_init)init;
        float *c1 = malloc(k * dim * sizeof *c1), *c2 = malloc(k * dim * sizeof *c2);
        omp_set_num_threads(1);
        CHECK_OK(kmeans_fit(x.data, x.rows, dim, 24, k, &cfg, 9, c1, &err), &err);
        omp_set_num_threads(2);
        CHECK_OK(kmeans_fit(x.data, x.rows, dim, 24, k, &cfg, 9, c2, &err), &err);
        CHECK(memcmp(c1, c2, k * dim * sizeof *c1) == 0);
        free(c1);
        free(c2);
    }

    /* subsampling: 3000 rows, k = 4, 256 points per centroid -> trains on 1024 rows; differs from
     * training on all rows but stays deterministic */
    cfg = kmeans_defaults();
    float c3[4 * 8], c4[4 * 8];
    CHECK_OK(kmeans_fit(x.data, x.rows, dim, 24, 4, &cfg, 11, c3, &err), &err);
    CHECK_OK(kmeans_fit(x.data, x.rows, dim, 24, 4, &cfg, 11, c4, &err), &err);
    CHECK(memcmp(c3, c4, sizeof c3) == 0);

    /* k = 1 is the mean; k = n puts a centroid on every (distinct) row */
    float one[8];
    cfg.max_points_per_centroid = 0;
    CHECK_OK(kmeans_fit(x.data, 50, 8, 24, 1, &cfg, 1, one, &err), &err);
    for (size_t t = 0; t < 8; t++) {
        double m = 0;
        for (size_t i = 0; i < 50; i++)
            m += x.data[i * 24 + t];
        CHECK_NEAR(one[t], m / 50, 1e-5);
    }
    float *all = malloc(50 * 8 * sizeof *all);
    CHECK_OK(kmeans_fit(x.data, 50, 8, 24, 50, &cfg, 1, all, &err), &err);
    uint32_t codes50[50];
    CHECK_OK(kmeans_assign(x.data, 50, 8, 24, all, 50, codes50, NULL, &err), &err);
    int exact = 1;
    for (size_t i = 0; i < 50; i++)
        exact &= memcmp(all + codes50[i] * 8, x.data + i * 24, 8 * sizeof(float)) == 0;
    CHECK_MSG(exact, "k = n must reproduce every row exactly");

    /* errors */
    CHECK(kmeans_fit(x.data, 10, 8, 24, 11, &cfg, 1, all, &err) == QB_EINPUT);
    CHECK(kmeans_fit(x.data, 10, 8, 24, 0, &cfg, 1, all, &err) == QB_EINPUT);
    kmeans_init ki;
    CHECK(kmeans_init_parse("random", &ki) == 0 && ki == KMEANS_INIT_RANDOM);
    CHECK(kmeans_init_parse("bogus", &ki) == -1);

    free(all);
    free(c);
    free(a);
    free(b);
    matrix_free(&x);
    return check_done("kmeans");
}
