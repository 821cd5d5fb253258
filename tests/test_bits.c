/* test_bits.c - bit packing round trips for every width and exact sizes. */
#include <stdlib.h>

#include "bits.h"
#include "check.h"

int main(void) {
    CHECK(bits_for_count(1) == 0);
    CHECK(bits_for_count(2) == 1);
    CHECK(bits_for_count(3) == 2);
    CHECK(bits_for_count(256) == 8);
    CHECK(bits_for_count(257) == 9);
    CHECK(bits_for_count(1u << 24) == 24);
    CHECK(bits_packed_bytes(10, 3) == 4); /* 30 bits */
    CHECK(bits_packed_bytes(8, 1) == 1);
    CHECK(bits_packed_bytes(9, 1) == 2);

    enum { N = 1001 };
    uint32_t in[N], out[N];
    uint8_t buf[N * 3 + 8];
    unsigned seed = 12345;
    for (unsigned w = 0; w <= BITS_MAX_WIDTH; w++) {
        for (size_t i = 0; i < N; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = w == 0 ? 0 : (seed ^ (seed >> 13)) & ((1u << w) - 1);
        }
        in[0] = w ? (1u << w) - 1 : 0;       /* the largest value */
        buf[bits_packed_bytes(N, w)] = 0xA5; /* guard byte must survive */
        bits_pack(in, N, w, buf);
        CHECK(buf[bits_packed_bytes(N, w)] == 0xA5);
        bits_unpack(buf, N, w, out);
        int same = 1;
        for (size_t i = 0; i < N; i++)
            same &= in[i] == out[i];
        CHECK_MSG(same, "width %u round trip", w);
    }
    /* Hand-computed: values 1,2,3 at width 2 -> 0b111001 = 0x39, LSB first. */
    uint32_t v[3] = {1, 2, 3};
    uint8_t b[1];
    bits_pack(v, 3, 2, b);
    CHECK(b[0] == 0x39);

    uint8_t map[2] = {0, 0};
    bits_set(map, 9, 1);
    bits_set(map, 0, 1);
    bits_set(map, 0, 0);
    CHECK(map[0] == 0 && map[1] == 2 && bits_get(map, 9) && !bits_get(map, 8));
    return check_done("bits");
}
