/* lopq.c - locally optimized product quantization (Kalantidis & Avrithis 2014) from scratch: a
 * coarse k-means of V cells, and per cell a residual mean, a rotation and its own PQ codebooks. */
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "opq.h"
#include "pq_codec.h"
#include "quantizer.h"
#include "rng.h"

typedef struct {
    quant_params p;
    size_t n, d, m, k, dsub, cells;
    unsigned width, cell_width; /* bits per PQ code, per coarse code */
    float *coarse;              /* (cells, d) coarse centroids */
    float *means;               /* (cells, d) mean of each cell's residuals x - c */
    float *rotations;           /* (cells, d, d) */
    float *codebooks;           /* (cells, m, k, dsub) */
    uint8_t *cell_codes;        /* n coarse codes of cell_width bits, packed */
    uint8_t *codes;             /* n * m codes of width bits, row-major, packed */
} lopq_state;

static void lopq_destroy(void *state) {
    lopq_state *s = state;
    if (!s)
        return;
    free(s->coarse);
    free(s->means);
    free(s->rotations);
    free(s->codebooks);
    free(s->cell_codes);
    free(s->codes);
    free(s);
}

static int lopq_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    int st = matrix_check_divides(d, p->subspaces, "subspaces m", err);
    if (st)
        return st;
    if (p->lopq_cells < 1 || p->lopq_cells > n)
        return qb_fail(err, "--lopq-cells V = %zu must be in 1..n (n = %zu rows)", p->lopq_cells,
                       n);
    if (p->ks < 1 || p->ks > n)
        return qb_fail(err, "k_s = %llu must be in 1..n (n = %zu rows)", (unsigned long long)p->ks,
                       n);
    if (bits_for_count(p->ks) > BITS_MAX_WIDTH)
        return qb_fail(err, "k_s = %llu needs more than %d bits per code",
                       (unsigned long long)p->ks, BITS_MAX_WIDTH);
    if (p->opq_iters < 0)
        return qb_fail(err, "--opq-iters must be at least 0");
    lopq_state *s = calloc(1, sizeof *s);
    if (!s)
        return qb_oom(err);
    s->p = *p;
    s->n = n;
    s->d = d;
    s->m = p->subspaces;
    s->k = p->ks;
    s->dsub = d / s->m;
    s->cells = p->lopq_cells;
    s->width = bits_for_count(s->k);
    s->cell_width = bits_for_count(s->cells);
    size_t v = s->cells;
    s->coarse = malloc(v * d * sizeof *s->coarse);
    s->means = malloc(v * d * sizeof *s->means);
    s->rotations = malloc(v * d * d * sizeof *s->rotations);
    s->codebooks = malloc(v * s->k * d * sizeof *s->codebooks);
    s->cell_codes = calloc(bits_packed_bytes(n, s->cell_width) + 1, 1);
    s->codes = calloc(bits_packed_bytes(n * s->m, s->width) + 1, 1);
    if (!s->coarse || !s->means || !s->rotations || !s->codebooks || !s->cell_codes || !s->codes) {
        lopq_destroy(s);
        return qb_oom(err);
    }
    *state = s;
    return QB_OK;
}

/* Rows grouped by cell: order[start[v] .. start[v + 1]) are cell v's rows, ascending. */
static int group_by_cell(const uint32_t *cell, size_t n, size_t cells, size_t **order,
                         size_t **start, qb_error *err) {
    *order = malloc((n ? n : 1) * sizeof **order);
    *start = calloc(cells + 1, sizeof **start);
    size_t *fill = calloc(cells, sizeof *fill);
    if (!*order || !*start || !fill) {
        free(*order);
        free(*start);
        free(fill);
        *order = *start = NULL;
        return qb_oom(err);
    }
    for (size_t i = 0; i < n; i++)
        (*start)[cell[i] + 1]++;
    for (size_t v = 0; v < cells; v++)
        (*start)[v + 1] += (*start)[v];
    for (size_t i = 0; i < n; i++)
        (*order)[(*start)[cell[i]] + fill[cell[i]]++] = i;
    free(fill);
    return QB_OK;
}

/* z (rows, d) = x[rows of cell v] - coarse centroid - mean; the mean is computed first when
 * `set_mean` (in double, in row order). */
static void residuals(const lopq_state *s, const matrix *x, size_t v, const size_t *rows,
                      size_t count, int set_mean, float *z) {
    const float *c = s->coarse + v * s->d;
    float *mu = s->means + v * s->d;
    for (size_t i = 0; i < count; i++) {
        const float *xi = matrix_row(x, rows[i]);
        for (size_t t = 0; t < s->d; t++)
            z[i * s->d + t] = xi[t] - c[t];
    }
    if (set_mean) {
        for (size_t t = 0; t < s->d; t++) {
            double acc = 0;
            for (size_t i = 0; i < count; i++)
                acc += z[i * s->d + t];
            mu[t] = count ? (float)(acc / (double)count) : 0.0f;
        }
    }
    for (size_t i = 0; i < count; i++)
        for (size_t t = 0; t < s->d; t++)
            z[i * s->d + t] -= mu[t];
}

/* One cell: rotation by eigenvalue allocation refined by OPQ rounds, then its PQ codebooks on the
 * rotated residuals. A cell with fewer rows than k trains as many centroids as it has rows and
 * repeats the first in the unused entries (still stored and counted; never chosen, as nearest-
 * centroid ties go to the lowest index). */
static int fit_cell(lopq_state *s, size_t v, matrix *z, qb_error *err) {
    const quant_params *p = &s->p;
    float *r = s->rotations + v * s->d * s->d, *cb = s->codebooks + v * s->m * s->k * s->dsub;
    if (z->rows == 0) {
        opq_identity(r, s->d);
        memset(cb, 0, s->m * s->k * s->dsub * sizeof *cb);
        return QB_OK;
    }
    uint64_t cell_seed =
        rng_derive(p->seed, p->cell, ((uint64_t)RNG_STREAM_COARSE << 32) | (v + 1));
    size_t k = s->k < z->rows ? s->k : z->rows;
    int st = opq_eigen_allocation(z->data, z->rows, s->d, s->m, r, err);
    if (!st)
        st = opq_learn_rotation(z, s->m, k, p->opq_iters, &p->kmeans, cell_seed, 0, r, err);
    matrix y = {0};
    pq_codec codec = {0};
    if (!st)
        st = matrix_alloc(&y, z->rows, s->d, err);
    if (!st)
        st = pq_codec_init(&codec, z->rows, s->d, s->m, k, err);
    if (!st) {
        opq_rotate(z->data, z->rows, s->d, r, y.data);
        st = pq_codec_train(&codec, &y, &p->kmeans, cell_seed, 1, err);
    }
    if (!st)
        for (size_t j = 0; j < s->m; j++) {
            float *dst = cb + j * s->k * s->dsub;
            memcpy(dst, codec.codebooks + j * k * s->dsub, k * s->dsub * sizeof *dst);
            for (size_t e = k; e < s->k; e++)
                memcpy(dst + e * s->dsub, dst, s->dsub * sizeof *dst);
        }
    pq_codec_free(&codec);
    matrix_free(&y);
    return st;
}

static int lopq_fit(void *state, const matrix *x, qb_error *err) {
    lopq_state *s = state;
    const quant_params *p = &s->p;
    uint32_t *cell = malloc(s->n * sizeof *cell);
    size_t *order = NULL, *start = NULL;
    matrix z = {0};
    int st = cell ? QB_OK : qb_oom(err);
    if (!st)
        st = kmeans_fit(x->data, s->n, s->d, s->d, s->cells, &p->kmeans,
                        rng_derive(p->seed, p->cell, (uint64_t)RNG_STREAM_COARSE << 32), s->coarse,
                        err);
    if (!st)
        st = kmeans_assign(x->data, s->n, s->d, s->d, s->coarse, s->cells, cell, NULL, err);
    if (!st)
        st = group_by_cell(cell, s->n, s->cells, &order, &start, err);
    for (size_t v = 0; v < s->cells && !st; v++) {
        size_t count = start[v + 1] - start[v];
        st = matrix_alloc(&z, count, s->d, err);
        if (st)
            break;
        residuals(s, x, v, order + start[v], count, 1, z.data);
        st = fit_cell(s, v, &z, err);
        matrix_free(&z);
    }
    free(cell);
    free(order);
    free(start);
    return st;
}

static int lopq_encode(void *state, const matrix *x, qb_error *err) {
    lopq_state *s = state;
    uint32_t *cell = malloc(s->n * sizeof *cell), *all = malloc(s->n * s->m * sizeof *all);
    uint32_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx);
    size_t *order = NULL, *start = NULL;
    matrix z = {0}, y = {0};
    int st = cell && all && idx ? QB_OK : qb_oom(err);
    if (!st)
        st = kmeans_assign(x->data, s->n, s->d, s->d, s->coarse, s->cells, cell, NULL, err);
    if (!st)
        st = group_by_cell(cell, s->n, s->cells, &order, &start, err);
    for (size_t v = 0; v < s->cells && !st; v++) {
        size_t count = start[v + 1] - start[v];
        const size_t *rows = order + start[v];
        if (!count)
            continue;
        st = matrix_alloc(&z, count, s->d, err);
        if (!st)
            st = matrix_alloc(&y, count, s->d, err);
        if (!st) {
            residuals(s, x, v, rows, count, 0, z.data);
            opq_rotate(z.data, count, s->d, s->rotations + v * s->d * s->d, y.data);
        }
        for (size_t j = 0; j < s->m && !st; j++) {
            st =
                kmeans_assign(y.data + j * s->dsub, count, s->dsub, s->d,
                              s->codebooks + (v * s->m + j) * s->k * s->dsub, s->k, idx, NULL, err);
            for (size_t i = 0; i < count && !st; i++)
                all[rows[i] * s->m + j] = idx[i];
        }
        matrix_free(&z);
        matrix_free(&y);
    }
    if (!st) {
        bits_pack(cell, s->n, s->cell_width, s->cell_codes);
        bits_pack(all, s->n * s->m, s->width, s->codes);
    }
    free(cell);
    free(all);
    free(idx);
    free(order);
    free(start);
    return st;
}

static int lopq_decode(const void *state, matrix *out, qb_error *err) {
    const lopq_state *s = state;
    uint32_t *cell = malloc(s->n * sizeof *cell), *all = malloc(s->n * s->m * sizeof *all);
    size_t *order = NULL, *start = NULL;
    matrix yhat = {0}, zhat = {0};
    int st = cell && all ? QB_OK : qb_oom(err);
    if (!st) {
        bits_unpack(s->cell_codes, s->n, s->cell_width, cell);
        bits_unpack(s->codes, s->n * s->m, s->width, all);
        st = group_by_cell(cell, s->n, s->cells, &order, &start, err);
    }
    for (size_t v = 0; v < s->cells && !st; v++) {
        size_t count = start[v + 1] - start[v];
        const size_t *rows = order + start[v];
        if (!count)
            continue;
        st = matrix_alloc(&yhat, count, s->d, err);
        if (!st)
            st = matrix_alloc(&zhat, count, s->d, err);
        if (st)
            break;
        const float *cb = s->codebooks + v * s->m * s->k * s->dsub;
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < s->m; j++)
                memcpy(matrix_row(&yhat, i) + j * s->dsub,
                       cb + (j * s->k + all[rows[i] * s->m + j]) * s->dsub,
                       s->dsub * sizeof *yhat.data);
        opq_unrotate(yhat.data, count, s->d, s->rotations + v * s->d * s->d, zhat.data);
        const float *c = s->coarse + v * s->d, *mu = s->means + v * s->d;
        for (size_t i = 0; i < count; i++) {
            float *o = matrix_row(out, rows[i]);
            const float *zi = matrix_row(&zhat, i);
            for (size_t t = 0; t < s->d; t++)
                o[t] = zi[t] + mu[t] + c[t];
        }
        matrix_free(&yhat);
        matrix_free(&zhat);
    }
    matrix_free(&yhat);
    matrix_free(&zhat);
    free(cell);
    free(all);
    free(order);
    free(start);
    return st;
}

/* Counted from what the state holds. */
typedef struct {
    size_t n, d, m, cells;
} lopq_shape;

static storage_bits lopq_of_k(uint64_t k, const void *ctx) {
    const lopq_shape *c = ctx;
    return budget_lopq(c->n, c->d, c->m, k, c->cells);
}

/* V cells first (given, or the default share of the budget), then the largest k_s. */
static int lopq_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    int s = solve_vq_shape(p, d, err);
    if (s)
        return s;
    if (!p->lopq_cells && p->ratio <= 0)
        return qb_fail(err, "LOPQ needs --lopq-cells when no --ratio is given");
    if (!p->lopq_cells)
        p->lopq_cells = budget_lopq_default_cells(n, d, budget);
    if (p->lopq_cells > n)
        return qb_fail(err, "--lopq-cells V = %zu exceeds the %zu rows", p->lopq_cells, n);
    lopq_shape c = {n, d, p->subspaces, p->lopq_cells};
    return solve_largest_k(p, n, budget, lopq_of_k, &c, err);
}

static void lopq_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    *out = budget_lopq(n, d, p->subspaces, p->ks, p->lopq_cells);
}

static const char *const lopq_options[] = {
    "subspaces", "ks",         "kmeans_init", "kmeans_iters", "max_points_per_centroid",
    "opq_iters", "lopq_cells", NULL};

static void lopq_storage(const void *state, storage_bits *out) {
    const lopq_state *s = state;
    memset(out, 0, sizeof *out);
    out->codes = (uint64_t)s->n * s->m * s->width;
    out->codebooks = (uint64_t)s->cells * s->m * s->k * s->dsub * FLOAT_BITS;
    out->rotation = (uint64_t)s->cells * s->d * s->d * FLOAT_BITS;
    out->coarse = (uint64_t)s->n * s->cell_width + (uint64_t)s->cells * s->d * FLOAT_BITS /* c */
                  + (uint64_t)s->cells * s->d * FLOAT_BITS;                               /* mu */
}

const quantizer_ops lopq_method = {
    .name = "lopq",
    .help = "locally optimized PQ: coarse cells, each with its rotation and codebooks",
    .family = METHOD_FAMILY_PQ,
    .dims = METHOD_USES_SUBSPACES,
    .options = lopq_options,
    .solve = lopq_solve,
    .predict = lopq_predict,
    .create = lopq_create,
    .fit = lopq_fit,
    .encode = lopq_encode,
    .decode = lopq_decode,
    .storage = lopq_storage,
    .destroy = lopq_destroy,
};
