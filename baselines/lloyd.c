/* lloyd.c - Lloyd-Max scalar quantization per tensor, row or group, and the `lloyd` method: the
 * non-uniform scalar quantizer a practitioner would set against vector quantization. */
#include "lloyd.h"

#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "quantizer.h"
#include "rtn_range.h"

#define LLOYD_ITERS 100

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

uint32_t lloyd_nearest(const float *levels, size_t k, float v) {
    size_t lo = 0, hi = k; /* first level >= v */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (levels[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == k)
        return (uint32_t)(k - 1);
    if (lo > 0 && (double)v - levels[lo - 1] <= (double)levels[lo] - v)
        return (uint32_t)(lo - 1);
    return (uint32_t)lo;
}

/* One pass over the sorted values with ascending levels y: the squared error of the nearest-level
 * assignment, and each cell's mean into next (a cell with no values keeps its level). */
static double lloyd_pass(const float *v, size_t count, const float *y, size_t k, float *next) {
    double sse = 0, sum = 0;
    size_t j = 0, in_cell = 0;
    for (size_t i = 0; i < count; i++) {
        while (j + 1 < k && (double)v[i] - y[j] > (double)y[j + 1] - v[i]) {
            next[j] = in_cell ? (float)(sum / (double)in_cell) : y[j];
            sum = 0;
            in_cell = 0;
            j++;
        }
        double e = (double)v[i] - y[j];
        sse += e * e;
        sum += v[i];
        in_cell++;
    }
    for (; j < k; j++) {
        next[j] = in_cell ? (float)(sum / (double)in_cell) : y[j];
        sum = 0;
        in_cell = 0;
    }
    return sse;
}

double lloyd_fit(const float *x, size_t count, unsigned b, int iters, float *sorted,
                 float *levels) {
    size_t k = (size_t)1 << b;
    float *cur = malloc(2 * k * sizeof *cur);
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!cur || !codes) {
        free(cur);
        free(codes);
        return -1;
    }
    float *next = cur + k, offset, step;
    rtn_quantize_clipped(x, count, b, codes, &offset, &step);
    for (size_t j = 0; j < k; j++)
        cur[j] = rtn_level((uint32_t)j, offset, step);
    free(codes);
    memcpy(sorted, x, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, cmp_float);
    double best = -1;
    for (int it = 0; it <= iters; it++) {
        double sse = lloyd_pass(sorted, count, cur, k, next);
        if (best < 0 || sse < best) {
            best = sse;
            memcpy(levels, cur, k * sizeof *levels);
        }
        qsort(next, k, sizeof *next,
              cmp_float); /* an empty cell's kept level may be out of order */
        if (!memcmp(next, cur, k * sizeof *cur))
            break;
        memcpy(cur, next, k * sizeof *cur);
    }
    free(cur);
    return best;
}

/* ---- the `lloyd` method ---- */

typedef struct {
    size_t n, d, group; /* group: elements per codebook along a row; n * d for the tensor */
    unsigned bits;
    size_t groups;
    float *levels;  /* (groups, 2^bits) */
    uint8_t *codes; /* n * d codes of `bits` bits */
} lloyd_state;

static int lloyd_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    if (p->rtn_bits < 1 || p->rtn_bits > LLOYD_MAX_BITS)
        return qb_fail(err, "Lloyd-Max bits must be in 1..%d (got %u)", LLOYD_MAX_BITS,
                       p->rtn_bits);
    size_t group = p->rtn_granularity == RTN_PER_TENSOR ? n * d
                   : p->rtn_granularity == RTN_PER_ROW  ? d
                                                        : p->rtn_group;
    if (group == 0 || (p->rtn_granularity != RTN_PER_TENSOR && d % group))
        return qb_fail(err, "Lloyd-Max group size %zu does not divide the %zu columns", group, d);
    lloyd_state *s = calloc(1, sizeof *s);
    if (!s)
        return qb_oom(err);
    s->n = n;
    s->d = d;
    s->group = group;
    s->bits = p->rtn_bits;
    s->groups = n * d / group;
    s->levels = malloc(s->groups * ((size_t)1 << s->bits) * sizeof *s->levels);
    s->codes = calloc(bits_packed_bytes(n * d, s->bits) + 1, 1);
    if (!s->levels || !s->codes) {
        free(s->levels);
        free(s->codes);
        free(s);
        return qb_oom(err);
    }
    *state = s;
    return QB_OK;
}

static int lloyd_fit_method(void *state, const matrix *x, qb_error *err) {
    lloyd_state *s = state;
    size_t k = (size_t)1 << s->bits;
    int failed = 0;
#pragma omp parallel
    {
        float *sorted = malloc(s->group * sizeof *sorted);
#pragma omp for schedule(static)
        for (size_t g = 0; g < s->groups; g++) {
            if (!sorted || lloyd_fit(x->data + g * s->group, s->group, s->bits, LLOYD_ITERS, sorted,
                                     s->levels + g * k) < 0) {
#pragma omp atomic write
                failed = 1;
            }
        }
        free(sorted);
    }
    return failed ? qb_oom(err) : QB_OK;
}

static int lloyd_encode(void *state, const matrix *x, qb_error *err) {
    lloyd_state *s = state;
    size_t total = s->n * s->d, k = (size_t)1 << s->bits;
    uint32_t *codes = malloc(total * sizeof *codes);
    if (!codes)
        return qb_oom(err);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < total; i++)
        codes[i] = lloyd_nearest(s->levels + (i / s->group) * k, k, x->data[i]);
    bits_pack(codes, total, s->bits, s->codes);
    free(codes);
    return QB_OK;
}

static int lloyd_decode(const void *state, matrix *out, qb_error *err) {
    const lloyd_state *s = state;
    size_t total = s->n * s->d, k = (size_t)1 << s->bits;
    uint32_t *codes = malloc(total * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    bits_unpack(s->codes, total, s->bits, codes);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < total; i++)
        out->data[i] = s->levels[(i / s->group) * k + codes[i]];
    free(codes);
    return QB_OK;
}

/* Counted from what the state holds: packed codes and every group's 2^b levels as floats. */
static void lloyd_storage(const void *state, storage_bits *out) {
    const lloyd_state *s = state;
    memset(out, 0, sizeof *out);
    out->codes = (uint64_t)s->n * s->d * s->bits;
    out->codebooks = (uint64_t)s->groups * (1ULL << s->bits) * FLOAT_BITS;
}

typedef struct {
    size_t n, d, group;
} lloyd_shape;

static storage_bits lloyd_of_bits(uint64_t b, const void *ctx) {
    const lloyd_shape *c = ctx;
    return budget_lloyd(c->n, c->d, (unsigned)b, c->group);
}

static int lloyd_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    lloyd_shape c = {n, d, rtn_group_of(p, d)};
    if (p->rtn_granularity == RTN_PER_GROUP && (c.group == 0 || d % c.group != 0))
        return qb_fail(err, "%s group size %zu does not divide the %zu columns", p->method, c.group,
                       d);
    return solve_largest_bits(p, LLOYD_MAX_BITS, budget, lloyd_of_bits, &c, err);
}

static void lloyd_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    *out = budget_lloyd(n, d, p->rtn_bits, rtn_group_of(p, d));
}

static const char *const lloyd_options[] = {"bits", "rtn_granularity", "rtn_group", NULL};

static void lloyd_destroy(void *state) {
    lloyd_state *s = state;
    if (!s)
        return;
    free(s->levels);
    free(s->codes);
    free(s);
}

const quantizer_ops lloyd_method = {
    .name = "lloyd",
    .help =
        "Lloyd-Max: 2^b levels fitted per tensor, row or group, started from the MSE-clipped grid",
    .family = METHOD_FAMILY_STRONG,
    .dims = 0,
    .options = lloyd_options,
    .solve = lloyd_solve,
    .predict = lloyd_predict,
    .create = lloyd_create,
    .fit = lloyd_fit_method,
    .encode = lloyd_encode,
    .decode = lloyd_decode,
    .storage = lloyd_storage,
    .destroy = lloyd_destroy,
};
