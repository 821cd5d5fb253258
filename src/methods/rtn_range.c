/* rtn_range.c - uniform round-to-nearest of a run of floats with one (offset, step) pair: the
 * min-max range or the MSE-optimal clipped one. Under RTN, Lloyd-Max's start, CQO and RTN stages.
 */
#include "rtn_range.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"

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
