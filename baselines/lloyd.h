/* lloyd.h - non-uniform scalar quantization: a Lloyd-Max codebook of 2^b levels per tensor, row or
 * group of g columns (the `lloyd` method), every level stored as a 32-bit float and counted. */
#ifndef QB_LLOYD_H
#define QB_LLOYD_H

#include <stddef.h>
#include <stdint.h>

#define LLOYD_MAX_BITS 16 /* 65536 levels per group: beyond this the codebook dwarfs any budget */

/* Fits K = 2^b levels (ascending) to `count` values: starts from the MSE-clipped uniform grid
 * (rtn_quantize_clipped) and runs Lloyd iterations (nearest level, then cell means) until the
 * levels stop moving or `iters` passes, keeping the levels with the smallest squared error seen,
 * so the result is never worse than the uniform grids. sorted: count floats of scratch.
 * Returns that squared error. */
double lloyd_fit(const float *x, size_t count, unsigned b, int iters, float *sorted, float *levels);
/* Index of the level nearest to v (ties: the lower level). */
uint32_t lloyd_nearest(const float *levels, size_t k, float v);

#endif
