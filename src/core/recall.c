/* recall.c - exhaustive k-nearest-row search (GEMM candidates, exact double distances) and the
 * recall metrics of a search over dequantized rows. */
#include "recall.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"

enum { QUERY_BLOCK = 64, ROW_BLOCK = 2048 };

/* Squared distance of two rows, summed in double in column order: identical rows give identical
 * distances, so ties are exact and the row index breaks them. */
static double exact_distance(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t t = 0; t < d; t++) {
        double e = (double)a[t] - (double)b[t];
        s += e * e;
    }
    return s;
}

/* A max-heap of (distance, row) under the order (distance, row): its top is the worst kept. */
typedef struct {
    double *d;
    uint32_t *i;
    size_t n, k;
} kheap;

static int worse(const kheap *h, size_t a, size_t b) {
    return h->d[a] > h->d[b] || (h->d[a] == h->d[b] && h->i[a] > h->i[b]);
}

static void swap_at(kheap *h, size_t a, size_t b) {
    double td = h->d[a];
    uint32_t ti = h->i[a];
    h->d[a] = h->d[b];
    h->i[a] = h->i[b];
    h->d[b] = td;
    h->i[b] = ti;
}

static void sift_down(kheap *h, size_t p) {
    for (;;) {
        size_t l = 2 * p + 1, r = l + 1, m = p;
        if (l < h->n && worse(h, l, m))
            m = l;
        if (r < h->n && worse(h, r, m))
            m = r;
        if (m == p)
            return;
        swap_at(h, p, m);
        p = m;
    }
}

static void heap_offer(kheap *h, double d, uint32_t i) {
    if (h->n < h->k) {
        size_t c = h->n++;
        h->d[c] = d;
        h->i[c] = i;
        while (c && worse(h, c, (c - 1) / 2)) {
            swap_at(h, c, (c - 1) / 2);
            c = (c - 1) / 2;
        }
    } else if (d < h->d[0] || (d == h->d[0] && i < h->i[0])) {
        h->d[0] = d;
        h->i[0] = i;
        sift_down(h, 0);
    }
}

/* Empties the heap into ascending order (heap sort in place). */
static void heap_sort(kheap *h) {
    size_t n = h->n;
    while (h->n > 1) {
        swap_at(h, 0, h->n - 1);
        h->n--;
        sift_down(h, 0);
    }
    h->n = n;
}

static void centre_rows(const float *x, size_t rows, size_t d, const double *mu, float *out) {
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < d; t++)
            out[r * d + t] = matrix_narrow((double)x[r * d + t] - mu[t]);
}

static double norm2(const float *x, size_t d) {
    double s = 0;
    for (size_t t = 0; t < d; t++)
        s += (double)x[t] * (double)x[t];
    return s;
}

int recall_search(const matrix *base, const matrix *queries, size_t k, uint32_t *out, double *dist,
                  qb_error *err) {
    size_t n = base->rows, d = base->cols, nq = queries->rows;
    if (queries->cols != d)
        return qb_fail(err, "the queries have %zu columns but the data %zu", queries->cols, d);
    if (k < 1 || k > n || n > UINT32_MAX || d > INT32_MAX / ROW_BLOCK)
        return qb_internal(err, "recall_search: k = %zu of %zu rows x %zu columns", k, n, d);
    openblas_set_num_threads(1); /* one level of threads: ours over query blocks */
    /* Distances do not change under a shift, but the GEMM's rounding grows with the norms:
     * centring on the rows' mean keeps them, and so the candidate sets, small. */
    double *mu = calloc(d + 1, sizeof *mu), *bnorm = malloc((n + 1) * sizeof *bnorm);
    int failed = !mu || !bnorm;
    for (size_t r = 0; !failed && r < n; r++)
        for (size_t t = 0; t < d; t++)
            mu[t] += (double)base->data[r * d + t];
    for (size_t t = 0; !failed && t < d; t++)
        mu[t] /= (double)n;
    float *tmp = failed ? NULL : malloc(d * sizeof *tmp);
    failed |= !tmp;
    for (size_t r = 0; !failed && r < n; r++) {
        centre_rows(matrix_row(base, r), 1, d, mu, tmp);
        bnorm[r] = norm2(tmp, d);
    }
    free(tmp);
    /* |GEMM score - exact distance| <= bound * (|q| + |x|)^2 (centred norms): the dot product's
     * rounding (gamma_d), the centring's, and a margin for the double sums. */
    const double u = ldexp(1.0, -24), bound = (2.0 * (double)d + 16.0) * u + 1e-9;
    size_t nblocks = (nq + QUERY_BLOCK - 1) / QUERY_BLOCK;
#pragma omp parallel if (!failed && par_worth(nq * n * d))
    {
        float *qc = malloc(QUERY_BLOCK * d * sizeof *qc), *xc = malloc(ROW_BLOCK * d * sizeof *xc),
              *ip = malloc((size_t)QUERY_BLOCK * ROW_BLOCK * sizeof *ip);
        double *hd = malloc(QUERY_BLOCK * k * sizeof *hd), qn[QUERY_BLOCK];
        uint32_t *hi = malloc(QUERY_BLOCK * k * sizeof *hi);
        if (!qc || !xc || !ip || !hd || !hi) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nblocks; b++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop)
                continue; /* this thread's buffers, or another's, could not be allocated */
            size_t q0 = b * QUERY_BLOCK, nb = nq - q0 < QUERY_BLOCK ? nq - q0 : QUERY_BLOCK;
            kheap h[QUERY_BLOCK];
            centre_rows(matrix_row(queries, q0), nb, d, mu, qc);
            for (size_t i = 0; i < nb; i++) {
                qn[i] = norm2(qc + i * d, d);
                h[i] = (kheap){hd + i * k, hi + i * k, 0, k};
            }
            for (size_t r0 = 0; r0 < n; r0 += ROW_BLOCK) {
                size_t rn = n - r0 < ROW_BLOCK ? n - r0 : ROW_BLOCK;
                centre_rows(matrix_row(base, r0), rn, d, mu, xc);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)rn, (int)d, 1.0f,
                            qc, (int)d, xc, (int)d, 0.0f, ip, (int)rn);
                for (size_t i = 0; i < nb; i++) {
                    const float *q = matrix_row(queries, q0 + i);
                    double qa = sqrt(qn[i]);
                    for (size_t j = 0; j < rn; j++) {
                        double xa = sqrt(bnorm[r0 + j]);
                        double approx = qn[i] + bnorm[r0 + j] - 2.0 * (double)ip[i * rn + j];
                        double slack = bound * (qa + xa) * (qa + xa);
                        if (h[i].n == k && approx - slack > h[i].d[0])
                            continue; /* provably farther than every row kept */
                        heap_offer(&h[i], exact_distance(q, matrix_row(base, r0 + j), d),
                                   (uint32_t)(r0 + j));
                    }
                }
            }
            for (size_t i = 0; i < nb; i++) {
                heap_sort(&h[i]);
                memcpy(out + (q0 + i) * k, h[i].i, k * sizeof *out);
                if (dist)
                    memcpy(dist + (q0 + i) * k, h[i].d, k * sizeof *dist);
            }
        }
        free(qc);
        free(xc);
        free(ip);
        free(hd);
        free(hi);
    }
    free(mu);
    free(bnorm);
    return failed ? qb_oom(err) : QB_OK;
}

recall_metrics recall_score(const uint32_t *truth, size_t k_truth, const uint32_t *found,
                            size_t k_found, size_t nq) {
    recall_metrics m = {0, 0, 0, 0, nq};
    static const size_t depth[3] = {1, 10, 100};
    double *at[3] = {&m.r1_at_1, &m.r1_at_10, &m.r1_at_100};
    size_t ten = k_truth < k_found ? k_truth : k_found;
    ten = ten < 10 ? ten : 10;
    size_t hits[3] = {0, 0, 0}, common = 0;
    for (size_t q = 0; q < nq; q++) {
        const uint32_t *t = truth + q * k_truth, *f = found + q * k_found;
        for (int r = 0; r < 3; r++) {
            size_t upto = depth[r] < k_found ? depth[r] : k_found;
            for (size_t j = 0; j < upto; j++)
                if (f[j] == t[0]) {
                    hits[r]++;
                    break;
                }
        }
        for (size_t a = 0; a < ten; a++)
            for (size_t b = 0; b < ten; b++)
                common += f[a] == t[b];
    }
    for (int r = 0; r < 3; r++)
        *at[r] = nq ? (double)hits[r] / (double)nq : NAN;
    m.r10_at_10 = nq && ten ? (double)common / ((double)ten * (double)nq) : NAN;
    return m;
}

void recall_normalise(matrix *m) {
    for (size_t r = 0; r < m->rows; r++) {
        float *x = matrix_row(m, r);
        double s = sqrt(norm2(x, m->cols));
        if (s > 0)
            for (size_t t = 0; t < m->cols; t++)
                x[t] = (float)((double)x[t] / s);
    }
}
