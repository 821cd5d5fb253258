/* rtn_range.h - uniform round-to-nearest of a run of floats with one (offset, step) pair, the
 * min-max or the MSE-clipped range: the numerics under the rtn method, Lloyd-Max's start, QET's CQO
 * and its RTN stages. */
#ifndef QB_RTN_RANGE_H
#define QB_RTN_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* Quantizes `count` floats to b-bit codes with one (offset = min, step = (max - min) / (2^b - 1))
 * pair; writes codes and the pair. A constant range gives step 0 and all codes 0. */
void rtn_quantize_range(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                        float *step);
/* The same with the range chosen to minimise the squared error: the min-max range and ranges
 * shrunk around the midrange, around the mean and towards zero (48 geometric steps down to 2^-10
 * of the range each, then a golden-section refinement around the best), the min-max range kept
 * unless another is strictly better. Groups over 65536 elements are searched on an evenly strided
 * sample and the winner is checked against min-max on all of them. */
void rtn_quantize_clipped(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                          float *step);
/* Quantizes with the given range [lo, hi] (values outside are clamped); returns the sum of squared
 * errors of the reconstruction. codes may be NULL (error only). */
double rtn_quantize_given(const float *x, size_t count, size_t stride, unsigned b, float lo,
                          float hi, uint32_t *codes, float *offset, float *step);
static inline float rtn_level(uint32_t code, float offset, float step) {
    return offset + (float)code * step;
}

#endif
