/* rtn.h - uniform round-to-nearest with min/max scale and offset per tensor, row or group.
 * Also the codebook quantizer of QET's CQO. */
#ifndef QB_RTN_H
#define QB_RTN_H

#include <stddef.h>
#include <stdint.h>

/* Quantizes `count` floats to b-bit codes with one (offset = min, step = (max - min) / (2^b - 1))
 * pair; writes codes and the pair. A constant range gives step 0 and all codes 0. */
void rtn_quantize_range(const float *x, size_t count, unsigned b, uint32_t *codes, float *offset,
                        float *step);
static inline float rtn_level(uint32_t code, float offset, float step) {
    return offset + (float)code * step;
}

#endif
