/* rtn.c - round-to-nearest scalar quantization (the authors' baseline: one scale and offset per
 * tensor; per-row and per-group of g columns as LLM practice does), every scale counted. */
#include "rtn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "parallel.h"
#include "quantizer.h"

double rtn_quantize_given(const float *x, size_t count, size_t stride, unsigned b, float lo,
                          float hi, uint32_t *codes, float *offset, float *step) {
    double levels = (double)((1ULL << b) - 1);
    float st = (float)(((double)hi - (double)lo) / levels);
    if (offset) {
        *offset = lo;
        *step = st;
    }
    double sse = 0;
    for (size_t i = 0; i < count; i++) {
        float v = x[i * stride];
        double q = st > 0 ? nearbyint(((double)v - lo) / st) : 0;
        if (q < 0)
            q = 0;
        if (q > levels)
            q = levels;
        if (codes)
            codes[i] = (uint32_t)q;
        double e = (double)v - (double)rtn_level((uint32_t)q, lo, st);
        sse += e * e;
    }
    return sse;
}

static void min_max(const float *x, size_t count, float *lo, float *hi) {
    *lo = x[0];
    *hi = x[0];
    for (size_t i = 1; i < count; i++) {
        if (x[i] < *lo)
            *lo = x[i];
        if (x[i] > *hi)
            *hi = x[i];
    }
}

void rtn_quantize_range(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                        float *step) {
    float lo, hi;
    min_max(x, count, &lo, &hi);
    rtn_quantize_given(x, count, 1, b, lo, hi, codes, offset, step);
}

/* ---- MSE-optimal clipping ---- */

#define CLIP_STEPS 48     /* shrink factors 2^(-10 i / 47), i = 0..47 */
#define CLIP_GOLDEN 16    /* golden-section iterations around the best grid point */
#define CLIP_SAMPLE 65536 /* search on at most this many elements */

typedef struct {
    const float *x;
    size_t count, stride;
    unsigned b;
    float lo, hi; /* the data's range: candidates never reach beyond it */
    double centre[3], half[3];
} clip_search;

/* Family f's range at shrink factor a, clamped to the data's range. */
static void clip_range(const clip_search *c, int f, double a, float *lo, float *hi) {
    double l = c->centre[f] - a * c->half[f], h = c->centre[f] + a * c->half[f];
    if (f == 2) { /* towards zero */
        l = a * c->lo;
        h = a * c->hi;
    }
    *lo = (float)(l < c->lo ? c->lo : l);
    *hi = (float)(h > c->hi ? c->hi : h);
    if (*hi < *lo)
        *hi = *lo;
}

/* The search's error of a range: the same grid, rounded by multiplication in float so the loop
 * vectorises (a rare tie may round the other way; the winner is re-measured exactly). */
static double clip_sse(const clip_search *c, int f, double a) {
    float lo, hi;
    clip_range(c, f, a, &lo, &hi);
    float levels = (float)((1ULL << c->b) - 1);
    float st = (float)(((double)hi - (double)lo) / levels), inv = st > 0 ? 1.0f / st : 0.0f;
    const float *x = c->x;
    size_t stride = c->stride;
    float sse = 0;
    double total = 0;
    for (size_t i = 0; i < c->count; i++) {
        float v = x[i * stride];
        float q = floorf((v - lo) * inv + 0.5f);
        q = q < 0 ? 0 : q > levels ? levels : q;
        float e = v - (lo + q * st);
        sse += e * e;
        if ((i & 255) == 255) { /* float partial sums over short runs, double across them */
            total += sse;
            sse = 0;
        }
    }
    return total + sse;
}

void rtn_quantize_clipped(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                          float *step) {
    float lo, hi;
    min_max(x, count, &lo, &hi);
    clip_search c = {x, count, 1, b, lo, hi, {0}, {0}};
    if (count > CLIP_SAMPLE) {
        c.stride = (count + CLIP_SAMPLE - 1) / CLIP_SAMPLE;
        c.count = (count + c.stride - 1) / c.stride;
    }
    double mean = 0;
    for (size_t i = 0; i < c.count; i++)
        mean += x[i * c.stride];
    mean /= (double)c.count;
    c.centre[0] = 0.5 * ((double)lo + hi);
    c.half[0] = 0.5 * ((double)hi - lo);
    c.centre[1] = mean;
    c.half[1] = hi - mean > mean - lo ? hi - mean : mean - lo;
    double best = clip_sse(&c, 0, 1.0), best_a = 1.0;
    int best_f = 0;
    double ratio = pow(2.0, -10.0 / (CLIP_STEPS - 1));
    for (int f = 0; f < 3; f++) {
        double a = 1.0;
        for (int i = 0; i < CLIP_STEPS; i++, a *= ratio) {
            double e = clip_sse(&c, f, a);
            if (e < best) {
                best = e;
                best_a = a;
                best_f = f;
            }
        }
    }
    /* golden section on [a * ratio, a / ratio] around the best grid point */
    double g = 0.5 * (sqrt(5.0) - 1), u = best_a * ratio, v = best_a / ratio;
    if (v > 1)
        v = 1;
    double p1 = v - g * (v - u), p2 = u + g * (v - u);
    double e1 = clip_sse(&c, best_f, p1), e2 = clip_sse(&c, best_f, p2);
    for (int i = 0; i < CLIP_GOLDEN; i++) {
        if (e1 < e2) {
            v = p2;
            p2 = p1;
            e2 = e1;
            p1 = v - g * (v - u);
            e1 = clip_sse(&c, best_f, p1);
        } else {
            u = p1;
            p1 = p2;
            e1 = e2;
            p2 = u + g * (v - u);
            e2 = clip_sse(&c, best_f, p2);
        }
    }
    if (e1 < best) {
        best = e1;
        best_a = p1;
    }
    if (e2 < best)
        best_a = p2;
    float clo, chi;
    clip_range(&c, best_f, best_a, &clo, &chi);
    /* on all elements: the chosen range, unless min-max does at least as well */
    double e_clip = rtn_quantize_given(x, count, 1, b, clo, chi, NULL, NULL, NULL);
    double e_full = rtn_quantize_given(x, count, 1, b, lo, hi, NULL, NULL, NULL);
    if (!(e_clip < e_full)) {
        clo = lo;
        chi = hi;
    }
    rtn_quantize_given(x, count, 1, b, clo, chi, codes, offset, step);
}

typedef struct {
    size_t n, d,
        group; /* group: elements per (offset, step) pair along a row; n*d for the tensor */
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
