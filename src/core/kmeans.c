/* kmeans.c - Lloyd's k-means with BLAS assignment, deterministic for any thread count. */
#include "kmeans.h"
#include "parallel.h"

#include <cblas.h>
#include <float.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Relative perturbation when an empty cluster takes half of the largest one (faiss uses the same).
 */
#define SPLIT_EPS (1.0f / 1024.0f)

kmeans_config kmeans_defaults(void) {
    return (kmeans_config){
        .iters = 25, .init = KMEANS_INIT_PLUSPLUS, .max_points_per_centroid = 256};
}

const char *kmeans_init_name(kmeans_init init) {
    return init == KMEANS_INIT_RANDOM ? "random" : "kmeans++";
}

int kmeans_init_parse(const char *name, kmeans_init *out) {
    if (!strcmp(name, "kmeans++") || !strcmp(name, "plusplus") || !strcmp(name, "++")) {
        *out = KMEANS_INIT_PLUSPLUS;
        return 0;
    }
    if (!strcmp(name, "random")) {
        *out = KMEANS_INIT_RANDOM;
        return 0;
    }
    return -1;
}

/* Rows per GEMM block: depends only on k, never on the thread count, so every row is computed by
 * the same kernel call shape whatever the parallel split. About 1 MiB of scores per block. */
static size_t block_rows(size_t k) {
    size_t b = (1u << 17) / (k ? k : 1);
    if (b < 32)
        b = 32;
    if (b > 1024)
        b = 1024;
    return b;
}

/* Index of the smallest s[j] (the first one on ties). Sixteen running minima in four 4-wide
 * vectors (GNU vector extensions: SSE2 on any x86-64, NEON on ARM) hold the best value and its
 * index per lane; the lanes are merged by (value, index), which gives the answer of a left-to-right
 * scan. Compares and selects are exact, so the result does not depend on the vector width. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

uint32_t kmeans_argmin(const float *restrict s, size_t k, float *best_out) {
    float best = s[0];
    uint32_t arg = 0;
    size_t j = 1;
    if (k >= 16) {
        v4f bv[4];
        v4i bi[4], cur[4];
        const v4i sixteen = {16, 16, 16, 16};
        for (int u = 0; u < 4; u++) {
            memcpy(&bv[u], s + 4 * u, sizeof bv[u]);
            bi[u] = (v4i){4 * u, 4 * u + 1, 4 * u + 2, 4 * u + 3};
            cur[u] = bi[u] + sixteen;
        }
        for (j = 16; j + 16 <= k; j += 16)
            for (int u = 0; u < 4; u++) {
                v4f v;
                memcpy(&v, s + j + 4 * u, sizeof v);
                v4i lt = v < bv[u];
                bv[u] = (v4f)(((v4i)v & lt) | ((v4i)bv[u] & ~lt));
                bi[u] = (cur[u] & lt) | (bi[u] & ~lt);
                cur[u] += sixteen;
            }
        float lv[16];
        int32_t li[16];
        memcpy(lv, bv, sizeof lv);
        memcpy(li, bi, sizeof li);
        best = lv[0];
        arg = (uint32_t)li[0];
        for (int l = 1; l < 16; l++)
            if (lv[l] < best || (lv[l] == best && (uint32_t)li[l] < arg)) {
                best = lv[l];
                arg = (uint32_t)li[l];
            }
    }
    for (; j < k; j++) { /* indices above every lane's: strict < keeps the first minimum */
        if (s[j] < best) {
            best = s[j];
            arg = (uint32_t)j;
        }
    }
    *best_out = best;
    return arg;
}

/* BLAS runs single-threaded inside our OpenMP blocks: two nested levels of threads on a small
 * machine are many times slower than either alone (DESIGN §2). */
static void blas_serial(void) {
    static int done;
    if (!done) {
        openblas_set_num_threads(1);
        done = 1;
    }
}

int kmeans_assign(const float *x, size_t n, size_t dim, size_t ld, const float *centroids, size_t k,
                  uint32_t *codes, float *dist, qb_error *err) {
    blas_serial();
    float *cnorm = malloc(k * sizeof *cnorm);
    if (!cnorm)
        return qb_oom(err);
    for (size_t j = 0; j < k; j++) {
        float s = 0;
        for (size_t t = 0; t < dim; t++)
            s += centroids[j * dim + t] * centroids[j * dim + t];
        cnorm[j] = s;
    }
    size_t bs = block_rows(k);
    size_t nblocks = (n + bs - 1) / bs;
    int failed = 0;
#pragma omp parallel if (par_worth(n * k * dim))
    {
        float *scores = malloc(bs * k * sizeof *scores);
        if (!scores) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblocks; b++) {
            if (!scores)
                continue;
            size_t r0 = b * bs, rows = n - r0 < bs ? n - r0 : bs;
            for (size_t i = 0; i < rows;
                 i++) /* scores = ||c||^2 - 2 x.c, the GEMM adds the second term */
                memcpy(scores + i * k, cnorm, k * sizeof *scores);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)k, (int)dim, -2.0f,
                        x + r0 * ld, (int)ld, centroids, (int)dim, 1.0f, scores, (int)k);
            for (size_t i = 0; i < rows; i++) {
                float best;
                uint32_t arg = kmeans_argmin(scores + i * k, k, &best);
                codes[r0 + i] = arg;
                if (dist) {
                    const float *xi = x + (r0 + i) * ld;
                    float xx = 0;
                    for (size_t t = 0; t < dim; t++)
                        xx += xi[t] * xi[t];
                    float dd = xx + best;
                    dist[r0 + i] = dd > 0 ? dd : 0;
                }
            }
        }
        free(scores);
    }
    free(cnorm);
    return failed ? qb_oom(err) : QB_OK;
}

static float sq_dist(const float *a, const float *b, size_t dim) {
    float s = 0;
    for (size_t t = 0; t < dim; t++) {
        float e = a[t] - b[t];
        s += e * e;
    }
    return s;
}

void kmeans_assign_naive(const float *x, size_t n, size_t dim, size_t ld, const float *centroids,
                         size_t k, uint32_t *codes) {
    for (size_t i = 0; i < n; i++) {
        float best = FLT_MAX;
        uint32_t arg = 0;
        for (size_t j = 0; j < k; j++) {
            float d = sq_dist(x + i * ld, centroids + j * dim, dim);
            if (d < best) {
                best = d;
                arg = (uint32_t)j;
            }
        }
        codes[i] = arg;
    }
}

/* k-means++ seeding (D^2 sampling). Points already chosen have weight 0, so duplicates are only
 * picked once every distinct point is a centroid. */
static void init_plusplus(const float *x, size_t n, size_t dim, size_t k, gsl_rng *r, float *cent,
                          float *d2) {
    size_t first = gsl_rng_uniform_int(r, n);
    memcpy(cent, x + first * dim, dim * sizeof *cent);
#pragma omp parallel for schedule(static) if (par_worth(n * dim))
    for (size_t i = 0; i < n; i++)
        d2[i] = sq_dist(x + i * dim, cent, dim);
    for (size_t c = 1; c < k; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += d2[i];
        size_t pick = n - 1;
        if (total > 0) {
            double target = gsl_rng_uniform(r) * total, acc = 0;
            for (size_t i = 0; i < n; i++) {
                acc += d2[i];
                if (acc > target && d2[i] > 0) {
                    pick = i;
                    break;
                }
            }
        } else {
            pick = gsl_rng_uniform_int(r, n);
        }
        float *cc = cent + c * dim;
        memcpy(cc, x + pick * dim, dim * sizeof *cc);
#pragma omp parallel for schedule(static) if (par_worth(n * dim))
        for (size_t i = 0; i < n; i++) {
            float d = sq_dist(x + i * dim, cc, dim);
            if (d < d2[i])
                d2[i] = d;
        }
    }
}

/* New centroids as the mean of their rows, summed in row order (counting sort by cluster), so the
 * result is independent of how clusters are spread over threads. Empty clusters keep their old
 * centroid and count 0. */
static void update_centroids(const float *x, size_t n, size_t dim, size_t k, const uint32_t *codes,
                             size_t *counts, size_t *start, size_t *order, float *cent) {
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++)
        counts[codes[i]]++;
    start[0] = 0;
    for (size_t j = 1; j <= k; j++)
        start[j] = start[j - 1] + counts[j - 1];
    for (size_t j = 0; j < k; j++)
        counts[j] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = codes[i];
        order[start[c] + counts[c]++] = i;
    }
#pragma omp parallel if (par_worth(n * dim))
    {
        double *acc = malloc(dim * sizeof *acc);
#pragma omp for schedule(dynamic, 16)
        for (size_t j = 0; j < k; j++) {
            if (!acc || counts[j] == 0)
                continue;
            memset(acc, 0, dim * sizeof *acc);
            for (size_t p = start[j]; p < start[j + 1]; p++) {
                const float *xi = x + order[p] * dim;
                for (size_t t = 0; t < dim; t++)
                    acc[t] += xi[t];
            }
            for (size_t t = 0; t < dim; t++)
                cent[j * dim + t] = (float)(acc[t] / (double)counts[j]);
        }
        free(acc);
    }
}

/* Each empty cluster takes half of the currently largest one: both centroids move apart by a small
 * relative step (alternating sign per coordinate), and the next assignment splits the points. */
static void repair_empty(size_t dim, size_t k, size_t *counts, float *cent) {
    for (size_t j = 0; j < k; j++) {
        if (counts[j] != 0)
            continue;
        size_t big = 0;
        for (size_t c = 1; c < k; c++)
            if (counts[c] > counts[big])
                big = c;
        if (counts[big] < 2)
            return; /* nothing left to split: fewer distinct rows than clusters */
        float *a = cent + j * dim, *b = cent + big * dim;
        for (size_t t = 0; t < dim; t++) {
            float v = b[t];
            float up = v * (1 + SPLIT_EPS), down = v * (1 - SPLIT_EPS);
            a[t] = (t % 2 == 0) ? up : down;
            b[t] = (t % 2 == 0) ? down : up;
        }
        counts[j] = counts[big] / 2;
        counts[big] -= counts[j];
    }
}

/* Lloyd iterations from the given centroids on n contiguous rows; stops early once no assignment
 * changes. Work arrays: codes, prev, order (n), counts (k), start (k + 1). */
static int lloyd(const float *xt, size_t nt, size_t dim, size_t k, int iters, float *centroids,
                 uint32_t *codes, uint32_t *prev, size_t *counts, size_t *start, size_t *order,
                 qb_error *err) {
    for (int it = 0; it < iters; it++) {
        int status = kmeans_assign(xt, nt, dim, dim, centroids, k, codes, NULL, err);
        if (status)
            return status;
        int changed = it == 0 || memcmp(codes, prev, nt * sizeof *codes) != 0;
        update_centroids(xt, nt, dim, k, codes, counts, start, order, centroids);
        if (!changed)
            break; /* converged; the update above undid any split of the last repair */
        if (it + 1 < iters)
            repair_empty(dim, k, counts, centroids);
        memcpy(prev, codes, nt * sizeof *codes);
    }
    return QB_OK;
}

int kmeans_fit(const float *x, size_t n, size_t dim, size_t ld, size_t k, const kmeans_config *cfg,
               uint64_t seed_stream, float *centroids, qb_error *err) {
    if (k < 1 || k > n)
        return qb_fail(err, "k-means needs 1 <= k <= n (k = %zu, n = %zu rows)", k, n);
    if (dim == 0)
        return qb_fail(err, "k-means on zero-dimensional vectors");
    gsl_rng *r = rng_stream(seed_stream, 0, 0);
    if (!r)
        return qb_oom(err);

    /* Training rows, contiguous: all of them, or a random subset of k * max_points_per_centroid. */
    size_t nt = n;
    if (cfg->max_points_per_centroid > 0 && n / k > (size_t)cfg->max_points_per_centroid)
        nt = k * (size_t)cfg->max_points_per_centroid;
    float *xt = malloc(nt * dim * sizeof *xt);
    uint32_t *codes = malloc(nt * sizeof *codes), *prev = malloc(nt * sizeof *prev);
    size_t *counts = malloc(k * sizeof *counts), *start = malloc((k + 1) * sizeof *start);
    size_t *order = malloc(nt * sizeof *order);
    float *d2 = malloc(nt * sizeof *d2);
    int status = QB_OK;
    if (!xt || !codes || !prev || !counts || !start || !order || !d2) {
        status = qb_oom(err);
        goto done;
    }
    if (nt < n) {
        size_t *pick = malloc(nt * sizeof *pick);
        if (!pick || rng_choose_indices(r, pick, nt, n)) {
            free(pick);
            status = qb_oom(err);
            goto done;
        }
        for (size_t i = 0; i < nt; i++)
            memcpy(xt + i * dim, x + pick[i] * ld, dim * sizeof *xt);
        free(pick);
    } else {
        for (size_t i = 0; i < n; i++)
            memcpy(xt + i * dim, x + i * ld, dim * sizeof *xt);
    }

    if (cfg->init == KMEANS_INIT_RANDOM) {
        size_t *pick = malloc(k * sizeof *pick);
        if (!pick || rng_choose_indices(r, pick, k, nt)) {
            free(pick);
            status = qb_oom(err);
            goto done;
        }
        rng_shuffle_indices(r, pick, k);
        for (size_t j = 0; j < k; j++)
            memcpy(centroids + j * dim, xt + pick[j] * dim, dim * sizeof *xt);
        free(pick);
    } else {
        init_plusplus(xt, nt, dim, k, r, centroids, d2);
    }

    status = lloyd(xt, nt, dim, k, cfg->iters, centroids, codes, prev, counts, start, order, err);
done:
    free(xt);
    free(codes);
    free(prev);
    free(counts);
    free(start);
    free(order);
    free(d2);
    gsl_rng_free(r);
    return status;
}

int kmeans_refine(const float *x, size_t n, size_t dim, size_t ld, size_t k, int iters,
                  float *centroids, qb_error *err) {
    if (k < 1 || k > n)
        return qb_fail(err, "k-means needs 1 <= k <= n (k = %zu, n = %zu rows)", k, n);
    float *xt = malloc(n * dim * sizeof *xt);
    uint32_t *codes = malloc(n * sizeof *codes), *prev = malloc(n * sizeof *prev);
    size_t *counts = malloc(k * sizeof *counts), *start = malloc((k + 1) * sizeof *start);
    size_t *order = malloc(n * sizeof *order);
    int status = QB_OK;
    if (!xt || !codes || !prev || !counts || !start || !order) {
        status = qb_oom(err);
    } else {
        for (size_t i = 0; i < n; i++)
            memcpy(xt + i * dim, x + i * ld, dim * sizeof *xt);
        status = lloyd(xt, n, dim, k, iters, centroids, codes, prev, counts, start, order, err);
    }
    free(xt);
    free(codes);
    free(prev);
    free(counts);
    free(start);
    free(order);
    return status;
}
