/* test_recall.c - the nearest-row search and recall metrics against cases worked out by hand and
 * against a naive double-precision search (ties by row index), including data whose large offset
 * makes the GEMM's rounding larger than the gaps between neighbours. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "recall.h"
#include "rng.h"

static matrix make(size_t rows, size_t cols, const float *v) {
    matrix m;
    qb_error e = {0};
    matrix_alloc(&m, rows, cols, &e);
    if (v)
        memcpy(m.data, v, rows * cols * sizeof *v);
    return m;
}

/* The k nearest rows by a plain double loop and a stable order on (distance, row). */
static void naive(const matrix *x, const matrix *q, size_t k, uint32_t *out) {
    double *d = malloc(x->rows * sizeof *d);
    for (size_t i = 0; i < q->rows; i++) {
        for (size_t j = 0; j < x->rows; j++) {
            double s = 0;
            for (size_t t = 0; t < x->cols; t++) {
                double e = (double)matrix_row(q, i)[t] - (double)matrix_row(x, j)[t];
                s += e * e;
            }
            d[j] = s;
        }
        for (size_t r = 0; r < k; r++) { /* selection: the smallest (d, j) not taken yet */
            size_t best = (size_t)-1;
            for (size_t j = 0; j < x->rows; j++) {
                int taken = 0;
                for (size_t p = 0; p < r; p++)
                    taken |= out[i * k + p] == j;
                if (!taken && (best == (size_t)-1 || d[j] < d[best]))
                    best = j;
            }
            out[i * k + r] = (uint32_t)best;
        }
    }
    free(d);
}

/* Rows 0..11 at x = i; the reconstruction moves row 0 to 10.6. Query 0.2: true top 10 rows 0..9,
 * found 1..10 then 0 (11th): misses at 1 and 10, hit at 100 (clipped to 12), 9 of 10 shared.
 * Query 11.4: true 11,10..2, found 11,0,10..3: hits everywhere, 9 of 10 shared. */
static void hand_case(void) {
    float xv[12], yv[12], qv[2] = {0.2f, 11.4f};
    for (int i = 0; i < 12; i++)
        xv[i] = yv[i] = (float)i;
    yv[0] = 10.6f;
    matrix x = make(12, 1, xv), y = make(12, 1, yv), q = make(2, 1, qv);
    uint32_t truth[20], found[24];
    qb_error e = {0};
    CHECK_OK(recall_search(&x, &q, 10, truth, NULL, &e), &e);
    CHECK_OK(recall_search(&y, &q, 12, found, NULL, &e), &e);
    for (uint32_t j = 0; j < 10; j++) {
        CHECK(truth[j] == j);
        CHECK(truth[10 + j] == 11 - j);
    }
    CHECK(found[0] == 1 && found[9] == 10 && found[10] == 0 && found[11] == 11);
    CHECK(found[12] == 11 && found[13] == 0 && found[14] == 10 && found[21] == 3);
    recall_metrics m = recall_score(truth, 10, found, 12, 2);
    CHECK(m.queries == 2);
    CHECK_NEAR(m.r1_at_1, 0.5, 0);
    CHECK_NEAR(m.r1_at_10, 0.5, 0);
    CHECK_NEAR(m.r1_at_100, 1, 0);
    CHECK_NEAR(m.r10_at_10, 0.9, 1e-15);
    /* fewer rows than R: every R clipped, and recall@10 over min(10, rows) */
    recall_metrics small = recall_score(truth, 3, found, 3, 1); /* truth 0,1,2; found 1,2,3 */
    CHECK_NEAR(small.r1_at_100, 0, 0);
    CHECK_NEAR(small.r10_at_10, 2.0 / 3.0, 1e-15);
    matrix_free(&x);
    matrix_free(&y);
    matrix_free(&q);
}

/* Identical rows tie exactly, and the lower row index comes first, through the GEMM path too. */
static void ties(void) {
    size_t n = 500, d = 64;
    matrix x = make(n, d, NULL), q = make(1, d, NULL);
    rng_gaussian_fill(x.data, n * d, 0, 1, 7, 0, 0);
    memcpy(matrix_row(&x, 10), matrix_row(&x, 200), d * sizeof(float));
    memcpy(matrix_row(&x, 400), matrix_row(&x, 200), d * sizeof(float));
    memcpy(q.data, matrix_row(&x, 200), d * sizeof(float));
    uint32_t out[5];
    double dist[5];
    qb_error e = {0};
    CHECK_OK(recall_search(&x, &q, 5, out, dist, &e), &e);
    CHECK(out[0] == 10 && out[1] == 200 && out[2] == 400);
    CHECK(dist[0] == 0 && dist[1] == 0 && dist[2] == 0 && dist[3] > 0);
    matrix_free(&x);
    matrix_free(&q);
}

/* Against the naive search on data far from the origin with tiny spread: the float GEMM alone
 * could not order these rows; the exact pass must. And an unquantized database has recall 1. */
static void against_naive(void) {
    size_t n = 1500, d = 96, nq = 70, k = 12;
    matrix x = make(n, d, NULL), q = make(nq, d, NULL);
    rng_gaussian_fill(x.data, n * d, 1000, 0.01, 3, 0, 0);
    rng_gaussian_fill(q.data, nq * d, 1000, 0.01, 3, 1, 0);
    uint32_t *a = malloc(nq * k * sizeof *a), *b = malloc(nq * k * sizeof *b);
    qb_error e = {0};
    CHECK_OK(recall_search(&x, &q, k, a, NULL, &e), &e);
    naive(&x, &q, k, b);
    CHECK(!memcmp(a, b, nq * k * sizeof *a));
    /* an unquantized database: its reconstruction is the rows themselves, searched to depth 100 */
    matrix same = make(n, d, x.data);
    uint32_t *f = malloc(nq * 100 * sizeof *f);
    CHECK_OK(recall_search(&same, &q, 100, f, NULL, &e), &e);
    recall_metrics m = recall_score(a, k, f, 100, nq);
    CHECK(m.queries == nq);
    CHECK(m.r1_at_1 == 1 && m.r1_at_10 == 1 && m.r1_at_100 == 1 && m.r10_at_10 == 1);
    free(f);
    matrix_free(&same);
    matrix bad = make(2, d + 1, NULL);
    CHECK(recall_search(&x, &bad, k, a, NULL, &e) == QB_EINPUT);
    free(a);
    free(b);
    matrix_free(&x);
    matrix_free(&q);
    matrix_free(&bad);
}

/* Normalised rows have unit norm (zero rows stay zero), and L2 order on them is cosine order:
 * (30, 40) points the way (6, 8) does, so it is nearest after normalising, (3, 4.01) next. */
static void angular(void) {
    float v[] = {30, 40, 1, 0, 0, 0, 3, 4.01f};
    float qv[] = {6, 8};
    matrix x = make(4, 2, v), q = make(1, 2, qv);
    recall_normalise(&x);
    recall_normalise(&q);
    CHECK_NEAR(x.data[0], 0.6, 1e-7);
    CHECK_NEAR(x.data[1], 0.8, 1e-7);
    CHECK(x.data[4] == 0 && x.data[5] == 0);
    uint32_t out[4];
    qb_error e = {0};
    CHECK_OK(recall_search(&x, &q, 4, out, NULL, &e), &e);
    CHECK(out[0] == 0 && out[1] == 3 && out[2] == 1 && out[3] == 2); /* 0.8, then the zero row: 1 */
    matrix_free(&x);
    matrix_free(&q);
}

int main(void) {
    hand_case();
    ties();
    against_naive();
    angular();
    return check_done("recall");
}
