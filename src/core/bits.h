/* bits.h - exact bit packing of codes (widths 0..24) and boolean maps.
 * What the budget charges is what these functions store: count * width bits, padded to a byte. */
#ifndef QB_BITS_H
#define QB_BITS_H

#include <stddef.h>
#include <stdint.h>

#define BITS_MAX_WIDTH 24

/* ceil(log2 k): bits needed for an index in 0..k-1 (0 for k = 1). */
unsigned bits_for_count(uint64_t k);
/* Bytes holding `count` values of `width` bits. */
size_t bits_packed_bytes(size_t count, unsigned width);
/* LSB-first packing; values must be < 2^width. `out` must hold bits_packed_bytes bytes. */
void bits_pack(const uint32_t *values, size_t count, unsigned width, uint8_t *out);
void bits_unpack(const uint8_t *in, size_t count, unsigned width, uint32_t *values);
/* Boolean maps: bit i of the map. */
static inline void bits_set(uint8_t *map, size_t i, int v) {
    if (v)
        map[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        map[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}
static inline int bits_get(const uint8_t *map, size_t i) {
    return (map[i >> 3] >> (i & 7)) & 1;
}

#endif
