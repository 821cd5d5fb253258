/* bits.c - LSB-first bit packing through a 64-bit accumulator. */
#include "bits.h"

#include <string.h>

unsigned bits_for_count(uint64_t k) {
    unsigned b = 0;
    while (b < 64 && (1ULL << b) < k)
        b++;
    return b;
}

size_t bits_packed_bytes(size_t count, unsigned width) {
    return (count * width + 7) / 8;
}

void bits_pack(const uint32_t *values, size_t count, unsigned width, uint8_t *out) {
    size_t nbytes = bits_packed_bytes(count, width);
    if (width == 0)
        return;
    memset(out, 0, nbytes);
    uint64_t acc = 0;
    unsigned filled = 0;
    size_t o = 0;
    uint32_t mask = width == 32 ? 0xffffffffu : ((1u << width) - 1);
    for (size_t i = 0; i < count; i++) {
        acc |= (uint64_t)(values[i] & mask) << filled;
        filled += width;
        while (filled >= 8) {
            out[o++] = (uint8_t)acc;
            acc >>= 8;
            filled -= 8;
        }
    }
    if (filled)
        out[o] = (uint8_t)acc;
}

void bits_unpack(const uint8_t *in, size_t count, unsigned width, uint32_t *values) {
    if (width == 0) {
        memset(values, 0, count * sizeof *values);
        return;
    }
    uint64_t acc = 0;
    unsigned avail = 0;
    size_t p = 0;
    uint32_t mask = width == 32 ? 0xffffffffu : ((1u << width) - 1);
    for (size_t i = 0; i < count; i++) {
        while (avail < width) {
            acc |= (uint64_t)in[p++] << avail;
            avail += 8;
        }
        values[i] = (uint32_t)acc & mask;
        acc >>= width;
        avail -= width;
    }
}
