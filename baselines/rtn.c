/* rtn.c - round-to-nearest scalar quantization (the authors' baseline: one scale and offset per
 * tensor; per-row and per-group of g columns as LLM practice does), every scale counted. */
#include "rtn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "parallel.h"
#include "quantizer.h"

void rtn_quantize_range(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                        float *step) {
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < count; i++) {
        if (x[i] < lo)
            lo = x[i];
        if (x[i] > hi)
            hi = x[i];
    }
    double levels = (double)((1ULL << b) - 1);
    float st = (float)(((double)hi - (double)lo) / levels);
    *offset = lo;
    *step = st;
    for (size_t i = 0; i < count; i++) {
        double q = st > 0 ? nearbyint(((double)x[i] - lo) / st) : 0;
        if (q < 0)
            q = 0;
        if (q > levels)
            q = levels;
        codes[i] = (uint32_t)q;
    }
}

typedef struct {
    size_t n, d, group; /* group: elements per (offset, step) pair along a row; n*d for the tensor */
    unsigned bits;
    int per_tensor;
    float *offsets, *steps; /* (groups) */
    uint8_t *codes;         /* n * d codes of `bits` bits */
} rtn_state;

static size_t rtn_groups(const rtn_state *s) { return s->per_tensor ? 1 : s->n * (s->d / s->group); }

static int rtn_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    if (p->rtn_bits < 1 || p->rtn_bits > BITS_MAX_WIDTH)
        return qb_fail(err, "RTN bits must be in 1..%d (got %u)", BITS_MAX_WIDTH, p->rtn_bits);
    rtn_state *s = calloc(1, sizeof *s);
    if (!s)
        return qb_oom(err);
    s->n = n;
    s->d = d;
    s->bits = p->rtn_bits;
    s->per_tensor = p->rtn_granularity == RTN_PER_TENSOR;
    s->group = p->rtn_granularity == RTN_PER_ROW ? d : p->rtn_granularity == RTN_PER_GROUP ? p->rtn_group : d;
    if (!s->per_tensor && (s->group == 0 || d % s->group)) {
        size_t g = s->group;
        free(s);
        return qb_fail(err, "RTN group size %zu does not divide the %zu columns", g, d);
    }
    size_t g = rtn_groups(s);
    s->offsets = malloc(g * sizeof *s->offsets);
    s->steps = malloc(g * sizeof *s->steps);
    s->codes = calloc(bits_packed_bytes(n * d, s->bits) + 1, 1);
    if (!s->offsets || !s->steps || !s->codes) {
        free(s->offsets);
        free(s->steps);
        free(s->codes);
        free(s);
        return qb_oom(err);
    }
    *state = s;
    return QB_OK;
}

/* RTN has nothing to train apart from the ranges, which encode computes with the codes. */
static int rtn_fit(void *state, const matrix *x, qb_error *err) {
    (void)state;
    (void)x;
    (void)err;
    return QB_OK;
}

static int rtn_encode(void *state, const matrix *x, qb_error *err) {
    rtn_state *s = state;
    size_t total = s->n * s->d;
    uint32_t *codes = malloc(total * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    if (s->per_tensor) {
        rtn_quantize_range(x->data, total, s->bits, codes, &s->offsets[0], &s->steps[0]);
    } else {
        size_t g = rtn_groups(s);
#pragma omp parallel for schedule(static) if (par_worth(total))
        for (size_t j = 0; j < g; j++)
            rtn_quantize_range(x->data + j * s->group, s->group, s->bits, codes + j * s->group,
                               &s->offsets[j], &s->steps[j]);
    }
    bits_pack(codes, total, s->bits, s->codes);
    free(codes);
    return QB_OK;
}

static int rtn_decode(const void *state, matrix *out, qb_error *err) {
    const rtn_state *s = state;
    size_t total = s->n * s->d;
    uint32_t *codes = malloc(total * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    bits_unpack(s->codes, total, s->bits, codes);
    size_t group = s->per_tensor ? total : s->group;
#pragma omp parallel for schedule(static) if (par_worth(total))
    for (size_t i = 0; i < total; i++)
        out->data[i] = rtn_level(codes[i], s->offsets[i / group], s->steps[i / group]);
    free(codes);
    return QB_OK;
}

static void rtn_storage(const void *state, storage_bits *out) {
    const rtn_state *s = state;
    *out = budget_rtn(s->n, s->d, s->bits, s->per_tensor ? 0 : s->group);
}

static void rtn_destroy(void *state) {
    rtn_state *s = state;
    if (!s)
        return;
    free(s->offsets);
    free(s->steps);
    free(s->codes);
    free(s);
}

const quantizer_ops rtn_ops = {"rtn", rtn_create, rtn_fit, rtn_encode, rtn_decode, rtn_storage, rtn_destroy};
