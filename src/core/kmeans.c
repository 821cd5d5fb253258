/* kmeans.c - Lloyd's k-means with BLAS assignment, deterministic for any thread count. */
#include "kmeans.h"
#include "parallel.h"

#include <cblas.h>
#include <float.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
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
    return init == KMEANS_INIT_RANDOM          ? "random"
           : init == KMEANS_INIT_PLUSPLUS_SCAN ? "kmeans++ (scan)"
                                               : "kmeans++";
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

/* Index of the smallest s[j] (the first one on ties). 16 running minima in four 4-wide vectors
 * (GNU vector extensions) hold the best value and its index per lane; the lanes are merged
 * by (value, index), which gives the answer of a left-to-right scan. Compares and selects are
 * exact, so the result does not depend on the vector width: this SSE2/NEON form and, on x86-64,
 * the AVX2 one below (chosen at run time) give the same answer. */
#define ARGMIN_VAL(j) (off ? off[j] + s[j] : s[j])
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* off (may be NULL): the minimum is of off[j] + s[j], each sum rounded once as a float. */
static uint32_t argmin_v4(const float *restrict s, const float *restrict off, size_t k,
                          float *best_out) {
    float best = ARGMIN_VAL(0);
    uint32_t arg = 0;
    size_t j = 1;
    if (k >= 16) {
        v4f bv[4];
        v4i bi[4], cur[4], step;
        for (int l = 0; l < 4; l++)
            step[l] = 16;
        for (int u = 0; u < 4; u++) {
            memcpy(&bv[u], s + 4 * u, sizeof bv[u]);
            if (off) {
                v4f o;
                memcpy(&o, off + 4 * u, sizeof o);
                bv[u] = o + bv[u];
            }
            for (int l = 0; l < 4; l++)
                bi[u][l] = 4 * u + l;
            cur[u] = bi[u] + step;
        }
        for (j = 16; j + 16 <= k; j += 16)
            for (int u = 0; u < 4; u++) {
                v4f v;
                memcpy(&v, s + j + 4 * u, sizeof v);
                if (off) {
                    v4f o;
                    memcpy(&o, off + j + 4 * u, sizeof o);
                    v = o + v;
                }
                v4i lt = v < bv[u];
                bv[u] = (v4f)(((v4i)v & lt) | ((v4i)bv[u] & ~lt));
                bi[u] = (cur[u] & lt) | (bi[u] & ~lt);
                cur[u] += step;
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
        float v = ARGMIN_VAL(j);
        if (v < best) {
            best = v;
            arg = (uint32_t)j;
        }
    }
    *best_out = best;
    return arg;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* AVX2 by intrinsics: min_ps(v, b) is exactly "v < b ? v : b" (NaN and equal keep b), and the
 * index lanes follow the same compare by a blend, so the lanes hold what the generic loop's hold
 * with half the instructions. */
/* Lane by lane, (v, i) becomes (w, j) where (w, j) is the smaller pair by value, then index. */
__attribute__((target("avx2"))) static inline void lanes_merge8(__m256 *v, __m256i *i, __m256 w,
                                                                __m256i j) {
    __m256 take = _mm256_or_ps(_mm256_cmp_ps(w, *v, _CMP_LT_OQ),
                               _mm256_and_ps(_mm256_cmp_ps(w, *v, _CMP_EQ_OQ),
                                             _mm256_castsi256_ps(_mm256_cmpgt_epi32(*i, j))));
    *v = _mm256_blendv_ps(*v, w, take);
    *i = _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(*i), _mm256_castsi256_ps(j), take));
}

__attribute__((target("avx2"))) static uint32_t
argmin_v8(const float *restrict s, const float *restrict off, size_t k, float *best_out) {
    float best = ARGMIN_VAL(0);
    uint32_t arg = 0;
    size_t j = 1;
    if (k >= 32) {
        __m256 bv[4];
        __m256i bi[4], cur[4];
        const __m256i step = _mm256_set1_epi32(32);
        for (int u = 0; u < 4; u++) {
            bv[u] = _mm256_loadu_ps(s + 8 * u);
            if (off)
                bv[u] = _mm256_add_ps(_mm256_loadu_ps(off + 8 * u), bv[u]);
            bi[u] = _mm256_setr_epi32(8 * u, 8 * u + 1, 8 * u + 2, 8 * u + 3, 8 * u + 4, 8 * u + 5,
                                      8 * u + 6, 8 * u + 7);
            cur[u] = _mm256_add_epi32(bi[u], step);
        }
        const __m256i bi0 = bi[0];
        for (j = 32; j + 32 <= k; j += 32)
            for (int u = 0; u < 4; u++) {
                __m256 v = _mm256_loadu_ps(s + j + 8 * u);
                if (off)
                    v = _mm256_add_ps(_mm256_loadu_ps(off + j + 8 * u), v);
                __m256 lt = _mm256_cmp_ps(v, bv[u], _CMP_LT_OQ);
                bv[u] = _mm256_min_ps(v, bv[u]);
                bi[u] = _mm256_castps_si256(
                    _mm256_blendv_ps(_mm256_castsi256_ps(bi[u]), _mm256_castsi256_ps(cur[u]), lt));
                cur[u] = _mm256_add_epi32(cur[u], step);
            }
        for (; j + 8 <= k; j += 8) { /* what is left of k, 8 at a time, into the first lanes */
            __m256 v = _mm256_loadu_ps(s + j);
            if (off)
                v = _mm256_add_ps(_mm256_loadu_ps(off + j), v);
            __m256i at = _mm256_add_epi32(_mm256_set1_epi32((int32_t)j), bi0);
            lanes_merge8(&bv[0], &bi[0], v, at);
        }
        /* the 32 lanes merged by (value, index) in a tree of vector steps: the same answer as
         * a scan of them in order, without 32 scalar compares per row (half the cost at k = 256) */
        lanes_merge8(&bv[0], &bi[0], bv[1], bi[1]);
        lanes_merge8(&bv[2], &bi[2], bv[3], bi[3]);
        lanes_merge8(&bv[0], &bi[0], bv[2], bi[2]);
        __m256 v = bv[0];
        __m256i i = bi[0];
        lanes_merge8(&v, &i, _mm256_permute2f128_ps(v, v, 1), _mm256_permute2x128_si256(i, i, 1));
        lanes_merge8(&v, &i, _mm256_permute_ps(v, 0x4e),
                     _mm256_castps_si256(_mm256_permute_ps(_mm256_castsi256_ps(i), 0x4e)));
        lanes_merge8(&v, &i, _mm256_permute_ps(v, 0xb1),
                     _mm256_castps_si256(_mm256_permute_ps(_mm256_castsi256_ps(i), 0xb1)));
        best = _mm256_cvtss_f32(v);
        arg = (uint32_t)_mm256_cvtsi256_si32(i);
    }
    for (; j < k; j++) { /* indices above every lane's: strict < keeps the first minimum */
        float v = ARGMIN_VAL(j);
        if (v < best) {
            best = v;
            arg = (uint32_t)j;
        }
    }
    *best_out = best;
    return arg;
}

static uint32_t argmin_off(const float *restrict s, const float *restrict off, size_t k,
                           float *best_out) {
    static int avx2 = -1;
    int have = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&avx2, have, __ATOMIC_RELAXED);
    }
    return have ? argmin_v8(s, off, k, best_out) : argmin_v4(s, off, k, best_out);
}
#else
static uint32_t argmin_off(const float *restrict s, const float *restrict off, size_t k,
                           float *best_out) {
    return argmin_v4(s, off, k, best_out);
}
#endif

uint32_t kmeans_argmin(const float *restrict s, size_t k, float *best_out) {
    return argmin_off(s, NULL, k, best_out);
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

/* One centroid value and its index, for the 1-D search. */
typedef struct {
    float v;
    uint32_t j;
} value_index;

static int cmp_value_index(const void *a, const void *b) {
    const value_index *p = a, *q = b;
    if (p->v != q->v)
        return p->v < q->v ? -1 : 1;
    return (p->j > q->j) - (p->j < q->j);
}

/* The nearest centroid to xi, where lo is the first sorted position whose value is >= xi. The
 * distance does not decrease away from xi on either side, so the centroids at the smallest
 * distance are the runs next to lo, and (only where the double difference rounds) the runs beyond
 * them at the very same distance: walk those, keep the lowest index of each side, then the nearer
 * side (the lower index on a tie). first/last: the first and last position of each position's run
 * of equal values (the first holds the run's lowest index). */
static uint32_t pick_1d(const value_index *sorted, const size_t *first, const size_t *last,
                        size_t k, float xi, size_t lo) {
    if (xi != xi) /* NaN: every distance is NaN and the scan keeps index 0 */
        return 0;
    double db = 0, da = 0;
    uint32_t jb = UINT32_MAX, ja = UINT32_MAX;
    if (lo > 0) {
        size_t f = first[lo - 1];
        db = (double)xi - sorted[f].v;
        jb = sorted[f].j;
        while (f > 0 && (double)xi - sorted[f - 1].v == db) {
            f = first[f - 1];
            jb = sorted[f].j < jb ? sorted[f].j : jb;
        }
    }
    if (lo < k) {
        size_t l = lo;
        da = (double)sorted[lo].v - xi;
        ja = sorted[lo].j;
        while (last[l] + 1 < k && (double)sorted[last[l] + 1].v - xi == da) {
            l = last[l] + 1;
            ja = sorted[l].j < ja ? sorted[l].j : ja;
        }
    }
    if (lo == 0 || (lo < k && da < db))
        return ja;
    if (lo == k || db < da)
        return jb;
    return jb < ja ? jb : ja;
}

/* First position p >= lo of the sorted centroids whose value is >= xi (k if none). */
static size_t search_1d(const value_index *sorted, size_t lo, size_t k, float xi) {
    size_t hi = k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid].v < xi)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* dim = 1: the nearest centroid by |x - c| (taken in double: exact for any two floats whose
 * exponents differ by less than 29, and monotone always), the lowest index on ties, found over the
 * centroids sorted by (value, index) instead of a scan of all k: the same answer as scanning
 * j = 0..k-1 for the smallest |x - c_j| (kmeans_assign_scan1d), for finite centroids. Each row's
 * place among the centroids is a binary search; given `order` (the rows by ascending value, no
 * NaN), a merge instead: one pass over both sorted lists, in fixed chunks of rows. */
#define CHUNK_1D 4096
static int assign_1d(const float *x, size_t n, size_t ld, const float *centroids, size_t k,
                     const uint32_t *order, uint32_t *codes, float *dist, qb_error *err) {
    value_index *sorted = malloc(k * sizeof *sorted);
    size_t *first = malloc(2 * k * sizeof *first), *last = first ? first + k : NULL;
    if (!sorted || !first) {
        free(sorted);
        free(first);
        return qb_oom(err);
    }
    for (size_t j = 0; j < k; j++)
        sorted[j] = (value_index){centroids[j], (uint32_t)j};
    qsort(sorted, k, sizeof *sorted, cmp_value_index);
    for (size_t p = 0; p < k; p++)
        first[p] = p > 0 && sorted[p].v == sorted[p - 1].v ? first[p - 1] : p;
    for (size_t p = k; p-- > 0;)
        last[p] = p + 1 < k && sorted[p].v == sorted[p + 1].v ? last[p + 1] : p;
    size_t chunks = (n + CHUNK_1D - 1) / CHUNK_1D;
#pragma omp parallel for schedule(static) if (par_worth(n * 16))
    for (size_t ch = 0; ch < chunks; ch++) {
        size_t end = (ch + 1) * CHUNK_1D < n ? (ch + 1) * CHUNK_1D : n, lo = 0;
        for (size_t q = ch * CHUNK_1D; q < end; q++) {
            size_t i = order ? order[q] : q;
            float xi = x[i * ld];
            if (order) /* ascending rows: the place only moves up */
                while (lo < k && sorted[lo].v < xi)
                    lo++;
            else
                lo = search_1d(sorted, 0, k, xi);
            uint32_t pick = pick_1d(sorted, first, last, k, xi, lo);
            codes[i] = pick;
            if (dist) {
                float e = xi - centroids[pick];
                dist[i] = e * e;
            }
        }
    }
    free(sorted);
    free(first);
    return QB_OK;
}

/* The rows of a dim = 1 column by ascending value (ties by row), for assign_1d's merge; NULL with
 * *oom = 0 if the column holds a NaN (the binary search then serves). A stable LSD radix sort of
 * the floats' bits mapped to unsigned order (-0 as +0, which compare equal), three passes of 11
 * bits, from the rows in order: the same order as sorting by (value, row). */
static uint32_t *order_1d(const float *x, size_t n, int *oom) {
    *oom = 0;
    if (n > UINT32_MAX)
        return NULL;
    uint32_t *key = malloc(2 * n * sizeof *key), *order = malloc(2 * n * sizeof *order);
    size_t *count = malloc(3 * 2048 * sizeof *count);
    if (!key || !order || !count) {
        *oom = 1;
        goto fail;
    }
    memset(count, 0, 3 * 2048 * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        if (x[i] != x[i])
            goto fail;
        uint32_t b;
        float v = x[i] == 0 ? 0.0f : x[i];
        memcpy(&b, &v, sizeof b);
        b = b & 0x80000000u ? ~b : b | 0x80000000u;
        key[i] = b;
        order[i] = (uint32_t)i;
        for (int p = 0; p < 3; p++)
            count[p * 2048 + ((b >> (11 * p)) & 2047)]++;
    }
    uint32_t *k0 = key, *k1 = key + n, *o0 = order, *o1 = order + n;
    for (int p = 0; p < 3; p++) {
        size_t *c = count + p * 2048, sum = 0;
        for (size_t v = 0; v < 2048; v++) {
            size_t t = c[v];
            c[v] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = c[(k0[i] >> (11 * p)) & 2047]++;
            k1[at] = k0[i];
            o1[at] = o0[i];
        }
        uint32_t *t = k0;
        k0 = k1;
        k1 = t;
        t = o0;
        o0 = o1;
        o1 = t;
    }
    if (o0 != order) /* three passes end in the second half */
        memmove(order, o0, n * sizeof *order);
    free(key);
    free(count);
    return order;
fail:
    free(key);
    free(order);
    free(count);
    return NULL;
}

int kmeans_assign_merge1d(const float *x, size_t n, const float *centroids, size_t k,
                          uint32_t *codes, qb_error *err) {
    int oom;
    uint32_t *order = order_1d(x, n, &oom);
    if (oom)
        return qb_oom(err);
    int s = assign_1d(x, n, 1, centroids, k, order, codes, NULL, err);
    free(order);
    return s;
}

void kmeans_assign_scan1d(const float *x, size_t n, size_t ld, const float *centroids, size_t k,
                          uint32_t *codes) {
    for (size_t i = 0; i < n; i++) {
        double best = 0;
        uint32_t arg = 0;
        for (size_t j = 0; j < k; j++) {
            double e = (double)x[i * ld] - centroids[j];
            e = e < 0 ? -e : e;
            if (j == 0 || e < best) {
                best = e;
                arg = (uint32_t)j;
            }
        }
        codes[i] = arg;
    }
}

static float sq_dist(const float *a, const float *b, size_t dim) {
    float s = 0;
    for (size_t t = 0; t < dim; t++) {
        float e = a[t] - b[t];
        s += e * e;
    }
    return s;
}

/* ||a||^2, summed in order (every caller's norms round alike). */
static float sq_norm(const float *a, size_t dim) {
    float s = 0;
    for (size_t t = 0; t < dim; t++)
        s += a[t] * a[t];
    return s;
}

int kmeans_assign(const float *x, size_t n, size_t dim, size_t ld, const float *centroids, size_t k,
                  uint32_t *codes, float *dist, qb_error *err) {
    if (dim == 1)
        return assign_1d(x, n, ld, centroids, k, NULL, codes, dist, err);
    blas_serial();
    float *cnorm = malloc(k * sizeof *cnorm);
    if (!cnorm)
        return qb_oom(err);
    for (size_t j = 0; j < k; j++)
        cnorm[j] = sq_norm(centroids + j * dim, dim);
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
            /* scores = -2 x.c by the GEMM (the factor 2 is exact), ||c||^2 added in the argmin:
             * the same rounding as a GEMM adding -2 x.c to ||c||^2, without the copy */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)k, (int)dim, -2.0f,
                        x + r0 * ld, (int)ld, centroids, (int)dim, 0.0f, scores, (int)k);
            for (size_t i = 0; i < rows; i++) {
                float best;
                uint32_t arg = argmin_off(scores + i * k, cnorm, k, &best);
                codes[r0 + i] = arg;
                if (dist) {
                    float dd = sq_norm(x + (r0 + i) * ld, dim) + best;
                    dist[r0 + i] = dd > 0 ? dd : 0;
                }
            }
        }
        free(scores);
    }
    free(cnorm);
    return failed ? qb_oom(err) : QB_OK;
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

/* k-means++ seeding (D^2 sampling) one centroid at a time, every row rescanned after each: n * k
 * matrix-vector work, memory-bound. Points already chosen have weight 0, so duplicates are only
 * picked once every distinct point is a centroid. Kept as the reference init_plusplus is tested
 * against (KMEANS_INIT_PLUSPLUS_SCAN, not a config choice). */
static void init_plusplus_scan(const float *x, size_t n, size_t dim, size_t k, gsl_rng *r,
                               float *cent, float *d2) {
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

/* Most centroids one batch of seeding may add before the rows' distances are brought up to date,
 * and most draws per batch. Neither changes what is sampled, only how often rows are rescanned. */
#define SEED_BATCH 64
#define SEED_DRAWS (4 * SEED_BATCH)

/* d2[i] = min(d2[i], ||x_i - c||^2) over the nb centroids c (contiguous): for dim >= 16 as
 * ||x||^2 + ||c||^2 - 2 x.c with sgemm in fixed row blocks (clamped at 0), below that directly. */
static int lower_d2(const float *x, size_t n, size_t dim, const float *xnorm, const float *c,
                    size_t nb, float *d2) {
    if (dim < 16) { /* the batch transposed, so each row's nb distances are one vector loop */
        float ct[16 * SEED_BATCH];
        for (size_t b = 0; b < nb; b++)
            for (size_t t = 0; t < dim; t++)
                ct[t * nb + b] = c[b * dim + t];
#pragma omp parallel for schedule(static) if (par_worth(n * nb * dim))
        for (size_t i = 0; i < n; i++) {
            float acc[SEED_BATCH] = {0};
            for (size_t t = 0; t < dim; t++) {
                float v = x[i * dim + t];
                for (size_t b = 0; b < nb; b++) {
                    float e = v - ct[t * nb + b];
                    acc[b] += e * e;
                }
            }
            float m = d2[i];
            for (size_t b = 0; b < nb; b++)
                m = acc[b] < m ? acc[b] : m;
            d2[i] = m;
        }
        return 0;
    }
    blas_serial();
    float cn[SEED_BATCH];
    for (size_t b = 0; b < nb; b++)
        cn[b] = sq_norm(c + b * dim, dim);
    const size_t bs = 256;
    size_t nblocks = (n + bs - 1) / bs;
    int failed = 0;
#pragma omp parallel if (par_worth(n * nb * dim))
    {
        float *dot = malloc(bs * SEED_BATCH * sizeof *dot);
        if (!dot) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t blk = 0; blk < nblocks; blk++) {
            if (!dot)
                continue;
            size_t r0 = blk * bs, rows = n - r0 < bs ? n - r0 : bs;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)nb, (int)dim, 1.0f,
                        x + r0 * dim, (int)dim, c, (int)dim, 0.0f, dot, (int)nb);
            for (size_t i = 0; i < rows; i++)
                for (size_t b = 0; b < nb; b++) {
                    float d = xnorm[r0 + i] + cn[b] - 2.0f * dot[i * nb + b];
                    d = d > 0 ? d : 0;
                    if (d < d2[r0 + i])
                        d2[r0 + i] = d;
                }
        }
        free(dot);
    }
    return failed ? -1 : 0;
}

/* k-means++ seeding with the rows rescanned once per batch of up to SEED_BATCH centroids, by one
 * GEMM, instead of once per centroid. Within a batch the D^2 weights d2 are those of the batch's
 * start; a row drawn in proportion to them (binary search on their prefix sums) is kept with
 * probability w / d2[i], where w is its squared distance to the nearest centroid including those
 * added in this batch, and drawn again otherwise. That is rejection sampling with the stale weights
 * as the envelope (w <= d2[i]), so every centroid is drawn from exactly k-means++'s distribution
 * given the ones before it; batching changes the cost, not the law. All draws are serial and the
 * distance updates work on fixed row blocks, so the result is the same for any thread count. */
static int init_plusplus(const float *x, size_t n, size_t dim, size_t k, gsl_rng *r, float *cent,
                         float *d2) {
    double *prefix = malloc(n * sizeof *prefix);
    float *xnorm = dim >= 16 ? malloc(n * sizeof *xnorm) : NULL;
    if (!prefix || (dim >= 16 && !xnorm)) {
        free(prefix);
        free(xnorm);
        return -1;
    }
    size_t first = gsl_rng_uniform_int(r, n);
    memcpy(cent, x + first * dim, dim * sizeof *cent);
#pragma omp parallel for schedule(static) if (par_worth(n * dim))
    for (size_t i = 0; i < n; i++) {
        d2[i] = sq_dist(x + i * dim, cent, dim);
        if (xnorm)
            xnorm[i] = sq_norm(x + i * dim, dim);
    }
    d2[first] = 0;
    size_t c = 1, picked[SEED_BATCH];
    int status = 0;
    while (c < k && !status) {
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            total += d2[i];
            prefix[i] = total;
        }
        size_t b0 = c, nb = 0;
        if (!(total > 0)) { /* every row is a centroid already: a uniform draw, as the scan does */
            picked[nb++] = gsl_rng_uniform_int(r, n);
            memcpy(cent + c++ * dim, x + picked[0] * dim, dim * sizeof *cent);
        }
        for (int draws = 0; c < k && nb < SEED_BATCH && draws < SEED_DRAWS && total > 0; draws++) {
            double target = gsl_rng_uniform(r) * total;
            size_t lo = 0, hi = n; /* first row whose prefix sum exceeds the target */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (prefix[mid] > target)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            double u = gsl_rng_uniform(r);
            if (lo == n || !(d2[lo] > 0))
                continue; /* only where rounding put the target at the very top */
            float w = d2[lo];
            for (size_t b = b0; b < c; b++) {
                float d = sq_dist(x + lo * dim, cent + b * dim, dim);
                w = d < w ? d : w;
            }
            if (u * d2[lo] < w) {
                picked[nb++] = lo;
                memcpy(cent + c++ * dim, x + lo * dim, dim * sizeof *cent);
            }
        }
        if (c < k && lower_d2(x, n, dim, xnorm, cent + b0 * dim, c - b0, d2))
            status = -1;
        for (size_t b = 0; b < nb; b++)
            d2[picked[b]] = 0;
    }
    free(prefix);
    free(xnorm);
    return status;
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
 * changes. For dim = 1 the rows are sorted once and each assignment is a merge. Work arrays: codes,
 * prev, order (n), counts (k), start (k + 1). */
static int lloyd(const float *xt, size_t nt, size_t dim, size_t k, int iters, float *centroids,
                 uint32_t *codes, uint32_t *prev, size_t *counts, size_t *start, size_t *order,
                 qb_error *err) {
    uint32_t *sorted_rows = NULL;
    if (dim == 1 && iters > 0) {
        int oom;
        sorted_rows = order_1d(xt, nt, &oom);
        if (oom)
            return qb_oom(err);
    }
    for (int it = 0; it < iters; it++) {
        int status = dim == 1 ? assign_1d(xt, nt, 1, centroids, k, sorted_rows, codes, NULL, err)
                              : kmeans_assign(xt, nt, dim, dim, centroids, k, codes, NULL, err);
        if (status) {
            free(sorted_rows);
            return status;
        }
        int changed = it == 0 || memcmp(codes, prev, nt * sizeof *codes) != 0;
        update_centroids(xt, nt, dim, k, codes, counts, start, order, centroids);
        if (!changed)
            break; /* converged; the update above undid any split of the last repair */
        if (it + 1 < iters)
            repair_empty(dim, k, counts, centroids);
        memcpy(prev, codes, nt * sizeof *codes);
    }
    free(sorted_rows);
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
    } else if (cfg->init == KMEANS_INIT_PLUSPLUS_SCAN) {
        init_plusplus_scan(xt, nt, dim, k, r, centroids, d2);
    } else if (init_plusplus(xt, nt, dim, k, r, centroids, d2)) {
        status = qb_oom(err);
        goto done;
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
