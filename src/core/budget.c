/* budget.c - memory accounting for every method and the budget solver. */
#include "budget.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bits.h"

const char *accounting_name(accounting_mode mode) {
    return mode == ACCOUNTING_FREE_IMAP ? "free-imap" : "full";
}

int accounting_parse(const char *name, accounting_mode *out) {
    if (!strcmp(name, "full"))
        *out = ACCOUNTING_FULL;
    else if (!strcmp(name, "free-imap"))
        *out = ACCOUNTING_FREE_IMAP;
    else
        return -1;
    return 0;
}

uint64_t storage_total(const storage_bits *s) {
    return s->codes + s->codebooks + s->indicator_maps + s->rotation + s->coarse + s->scales;
}

uint64_t storage_charged(const storage_bits *s, accounting_mode mode) {
    uint64_t t = storage_total(s);
    return mode == ACCOUNTING_FREE_IMAP ? t - s->indicator_maps : t;
}

void storage_add(storage_bits *into, const storage_bits *s) {
    into->codes += s->codes;
    into->codebooks += s->codebooks;
    into->indicator_maps += s->indicator_maps;
    into->rotation += s->rotation;
    into->coarse += s->coarse;
    into->scales += s->scales;
}

uint64_t budget_original_bits(size_t n, size_t d, unsigned source_bits) {
    return (uint64_t)n * d * source_bits;
}

uint64_t budget_for_ratio(uint64_t original_bits, double ratio) {
    double b = floor((double)original_bits / ratio);
    /* Converting a double outside [0, 2^64) is undefined: a tiny ratio (1e-300) allows more bits
     * than 64 bits count, which is every setting; a NaN or negative ratio allows none. */
    if (!(b >= 0))
        return 0;
    return b >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)b;
}

uint64_t budget_share(uint64_t bits, double share) {
    double b = floor((double)bits * share);
    /* (double)bits rounds 2^64 - 1 up to 2^64: a saturated budget times a share near 1 would not
     * convert (undefined behaviour) */
    if (!(b >= 0))
        return 0;
    return b >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)b;
}

storage_bits budget_pq(size_t n, size_t d, size_t m, uint64_t k, unsigned entry_bits) {
    storage_bits s = {0};
    s.codes = (uint64_t)n * m * bits_for_count(k);
    s.codebooks = k * (uint64_t)d * entry_bits; /* m codebooks of k entries of d/m floats */
    if (entry_bits < FLOAT_BITS)
        s.scales = 2 * FLOAT_BITS;
    return s;
}

storage_bits budget_opq(size_t n, size_t d, size_t m, uint64_t k) {
    storage_bits s = budget_pq(n, d, m, k, FLOAT_BITS);
    s.rotation = (uint64_t)d * d * FLOAT_BITS;
    return s;
}

storage_bits budget_lopq(size_t n, size_t d, size_t m, uint64_t k, size_t cells) {
    storage_bits s = {0};
    s.codes = (uint64_t)n * m * bits_for_count(k);
    s.codebooks = (uint64_t)cells * k * d * FLOAT_BITS; /* per cell: m codebooks of k x d/m */
    s.rotation = (uint64_t)cells * d * d * FLOAT_BITS;
    s.coarse = (uint64_t)n * bits_for_count(cells) + 2 * (uint64_t)cells * d * FLOAT_BITS;
    return s;
}

size_t budget_lopq_default_cells(size_t n, size_t d, uint64_t budget) {
    uint64_t per_cell = (uint64_t)d * d * FLOAT_BITS;
    uint64_t v = budget / 4 / per_cell;
    if (v < 1)
        v = 1;
    return v < n ? (size_t)v : n;
}

storage_bits budget_rtn(size_t n, size_t d, unsigned b, size_t group) {
    storage_bits s = {0};
    s.codes = (uint64_t)n * d * b;
    uint64_t groups = group == 0 ? 1 : (uint64_t)n * (d / group);
    s.scales = groups * 2 * FLOAT_BITS;
    return s;
}

storage_bits budget_lloyd(size_t n, size_t d, unsigned b, size_t group) {
    storage_bits s = {0};
    s.codes = (uint64_t)n * d * b;
    uint64_t groups = group == 0 ? 1 : (uint64_t)n * (d / group);
    s.codebooks = groups * (1ULL << b) * FLOAT_BITS;
    return s;
}

uint64_t budget_indicator_bits(size_t n, size_t d, unsigned levels) {
    return (uint64_t)n * levels * (d / 2);
}

uint64_t budget_largest_k(budget_storage_fn f, const void *ctx, uint64_t k_max, uint64_t budget,
                          accounting_mode mode) {
    if (k_max == 0)
        return 0;
    storage_bits s = f(1, ctx);
    if (storage_charged(&s, mode) > budget)
        return 0;
    uint64_t lo = 1, hi = k_max; /* invariant: lo fits */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        s = f(mid, ctx);
        if (storage_charged(&s, mode) <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}
