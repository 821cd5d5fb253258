/* rtn.c - round-to-nearest scalar quantization (the authors' baseline: one scale and offset per
 * tensor; per-row and per-group of g columns as LLM practice does), every scale counted. */
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "parallel.h"
#include "quantizer.h"
#include "rtn_range.h"

typedef struct {
    size_t n, d;
    size_t group; /* elements per (offset, step) pair along a row; n * d for the tensor */
    unsigned bits;
    int per_tensor;
    int clip;               /* MSE-optimal ranges instead of min-max */
    float *offsets, *steps; /* (groups) */
    uint8_t *codes;         /* n * d codes of `bits` bits */
} rtn_state;

static size_t rtn_groups(const rtn_state *s) {
    return s->per_tensor ? 1 : s->n * (s->d / s->group);
}

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
    s->clip = p->rtn_clip == RTN_CLIP_MSE;
    s->group = p->rtn_granularity == RTN_PER_ROW     ? d
               : p->rtn_granularity == RTN_PER_GROUP ? p->rtn_group
                                                     : d;
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
    void (*quantize)(const float *, size_t, unsigned, uint32_t *, float *, float *) =
        s->clip ? rtn_quantize_clipped : rtn_quantize_range;
    if (s->per_tensor) {
        quantize(x->data, total, s->bits, codes, &s->offsets[0], &s->steps[0]);
    } else {
        size_t g = rtn_groups(s);
#pragma omp parallel for schedule(static) if (par_worth(total))
        for (size_t j = 0; j < g; j++)
            quantize(x->data + j * s->group, s->group, s->bits, codes + j * s->group,
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

/* Counted from what the state holds: packed codes and one (offset, step) float pair per group. */
static void rtn_storage(const void *state, storage_bits *out) {
    const rtn_state *s = state;
    memset(out, 0, sizeof *out);
    out->codes = (uint64_t)s->n * s->d * s->bits;
    out->scales = (uint64_t)rtn_groups(s) * 2 * FLOAT_BITS;
}

/* Elements per (offset, step) pair along a row; 0 for the whole tensor. */
size_t rtn_group_of(const quant_params *p, size_t d) {
    switch (p->rtn_granularity) {
    case RTN_PER_ROW:
        return d;
    case RTN_PER_GROUP:
        return p->rtn_group;
    default:
        return 0;
    }
}

typedef struct {
    size_t n, d, group;
} rtn_shape;

static storage_bits rtn_of_bits(uint64_t b, const void *ctx) {
    const rtn_shape *c = ctx;
    return budget_rtn(c->n, c->d, (unsigned)b, c->group);
}

static int rtn_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    rtn_shape c = {n, d, rtn_group_of(p, d)};
    if (p->rtn_granularity == RTN_PER_GROUP && (c.group == 0 || d % c.group != 0))
        return qb_fail(err, "%s group size %zu does not divide the %zu columns", p->method, c.group,
                       d);
    return solve_largest_bits(p, BITS_MAX_WIDTH, budget, rtn_of_bits, &c, err);
}

static void rtn_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    *out = budget_rtn(n, d, p->rtn_bits, rtn_group_of(p, d));
}

static const char *const rtn_options[] = {"bits", "rtn_granularity", "rtn_group", "rtn_clip", NULL};

static void rtn_destroy(void *state) {
    rtn_state *s = state;
    if (!s)
        return;
    free(s->offsets);
    free(s->steps);
    free(s->codes);
    free(s);
}

const quantizer_ops rtn_method = {
    .name = "rtn",
    .help = "round to nearest: b bits per element, one range per tensor, row or group",
    .family = METHOD_FAMILY_PAPER_SCALAR,
    .dims = 0,
    .options = rtn_options,
    .solve = rtn_solve,
    .predict = rtn_predict,
    .create = rtn_create,
    .fit = rtn_fit,
    .encode = rtn_encode,
    .decode = rtn_decode,
    .storage = rtn_storage,
    .destroy = rtn_destroy,
};
