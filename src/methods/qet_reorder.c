/* qet_reorder.c - QET's per-row reordering with indicator maps: the scalar reference, the
 * row-blocked fast path and the exact inverse, for every layout and pairing window. */
#include "qet_reorder.h"
#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"

/* Rows per parallel chunk: a multiple of 8, so every chunk's indicator bits start on a byte and
 * chunks never share a byte of the map. */
#define ROW_CHUNK 64

qet_order qet_order_paper(unsigned levels) {
    qet_order o = {levels, QET_LAYOUT_BLOCKS, 2};
    return o;
}

const char *qet_layout_name(qet_layout layout) {
    return layout == QET_LAYOUT_INPLACE ? "inplace" : "blocks";
}

int qet_layout_parse(const char *name, qet_layout *out) {
    if (!strcmp(name, "blocks"))
        *out = QET_LAYOUT_BLOCKS;
    else if (!strcmp(name, "inplace"))
        *out = QET_LAYOUT_INPLACE;
    else
        return -1;
    return 0;
}

const char *qet_pairing_name(qet_pairing pairing) {
    return pairing == QET_PAIRING_STRIDED ? "strided" : "adjacent";
}

int qet_pairing_parse(const char *name, qet_pairing *out) {
    if (!strcmp(name, "adjacent"))
        *out = QET_PAIRING_ADJACENT;
    else if (!strcmp(name, "strided"))
        *out = QET_PAIRING_STRIDED;
    else
        return -1;
    return 0;
}

int qet_check_levels(size_t d, unsigned levels, qb_error *err) {
    if (levels == 0)
        return QB_OK;
    if (levels < 63 && d % ((size_t)1 << levels) == 0)
        return QB_OK;
    unsigned max = 0;
    while (max < 62 && d % ((size_t)1 << (max + 1)) == 0)
        max++;
    return qb_fail(err, "QET with l = %u levels needs 2^l to divide d = %zu; valid l: 0..%u",
                   levels, d, max);
}

/* The window of level k: w capped at the block width d / 2^k. */
static size_t level_window(size_t d, size_t w, unsigned k) {
    size_t width = d >> k;
    return w < width ? w : width;
}

int qet_check_order(size_t d, const qet_order *o, qb_error *err) {
    int s = qet_check_levels(d, o->levels, err);
    if (s || o->levels == 0)
        return s;
    if (o->window < 2 || o->window % 2)
        return qb_fail(err, "QET pairing window must be even and at least 2 (got %zu)", o->window);
    for (unsigned k = 0; k < o->levels; k++) {
        size_t wk = level_window(d, o->window, k);
        if ((d >> k) % wk)
            return qb_fail(err,
                           "QET pairing window %zu does not divide the %zu-column blocks of level "
                           "%u (d = %zu, l = %u); use a window dividing d / 2^(l-1) = %zu",
                           o->window, d >> k, k + 1, d, o->levels, d >> (o->levels - 1));
    }
    return QB_OK;
}

size_t qet_imap_bytes(size_t n, size_t d, unsigned levels) {
    return bits_packed_bytes(n * levels * (d / 2), 1);
}

/* ---- reference: the recursion as stated in qet.h, one element at a time ---- */

/* One block of width w at a level whose window is wk. */
static void ref_split(float *v, size_t w, size_t wk, float *scratch, uint8_t *imap, size_t bit0) {
    size_t h = w / 2, hk = wk / 2;
    for (size_t win = 0; win < w / wk; win++)
        for (size_t p = 0; p < hk; p++) {
            size_t q = win * hk + p; /* pair index inside the block, S/L position */
            float a = v[win * wk + p], b = v[win * wk + hk + p];
            int swapped = a > b;
            scratch[q] = swapped ? b : a;
            scratch[h + q] = swapped ? a : b;
            bits_set(imap, bit0 + q, swapped);
        }
    memcpy(v, scratch, w * sizeof *v);
}

int qet_reorder_reference_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                               uint8_t *imap, qb_error *err) {
    unsigned levels = o->levels;
    float *scratch = malloc(d * sizeof *scratch);
    if (!scratch)
        return qb_oom(err);
    size_t groups = levels ? (size_t)1 << levels : 1, per = d / groups;
    for (size_t i = 0; i < n; i++) {
        float *row = out + i * d;
        memcpy(row, x + i * d, d * sizeof *row);
        for (unsigned k = 0; k < levels; k++) {
            size_t w = d >> k, wk = level_window(d, o->window, k);
            for (size_t b = 0; b < ((size_t)1 << k); b++)
                ref_split(row + b * w, w, wk, scratch, imap,
                          (i * levels + k) * (d / 2) + b * (w / 2));
        }
        if (levels && o->layout == QET_LAYOUT_INPLACE) {
            /* block b's j-th value to column j * 2^l + b */
            for (size_t b = 0; b < groups; b++)
                for (size_t j = 0; j < per; j++)
                    scratch[j * groups + b] = row[b * per + j];
            memcpy(row, scratch, d * sizeof *row);
        }
    }
    free(scratch);
    return QB_OK;
}

int qet_reorder_reference(const float *x, size_t n, size_t d, unsigned levels, float *out,
                          uint8_t *imap, qb_error *err) {
    qet_order o = qet_order_paper(levels);
    return qet_reorder_reference_with(x, n, d, &o, out, imap, err);
}

/* ---- fast path ----
 * Windows never straddle blocks, so at every level the pairs run across the whole row whatever the
 * block size: one branch-free streaming pass splits all d/2 pairs into mins and maxs (adjacent:
 * (2q, 2q+1); window wk: two contiguous runs per window), then each block's run of mins and maxs
 * is copied to its S and L halves. Pair q = b * h + p is pair p of block b, the same numbering as
 * the reference and the map. */

typedef struct {
    float *mins, *maxs; /* (d/2) */
    uint8_t *flags;     /* (d/2) */
    float *row, *tr;    /* (d) ping-pong buffer; (d) the inplace transpose, or a copy of
                         * the input row for an in-place inverse */
} row_scratch;

static int scratch_alloc(row_scratch *sc, size_t d) {
    sc->mins = malloc(d / 2 * sizeof *sc->mins);
    sc->maxs = malloc(d / 2 * sizeof *sc->maxs);
    sc->flags = malloc(d / 2 + 1);
    sc->row = malloc(d * sizeof *sc->row);
    sc->tr = malloc(d * sizeof *sc->tr);
    return sc->mins && sc->maxs && sc->flags && sc->row && sc->tr;
}

static void scratch_free(row_scratch *sc) {
    free(sc->mins);
    free(sc->maxs);
    free(sc->flags);
    free(sc->row);
    free(sc->tr);
}

static void level_forward(const float *restrict src, float *restrict dst, row_scratch *sc, size_t d,
                          unsigned k, size_t wk) {
    size_t pairs = d / 2, w = d >> k, h = w / 2;
    float *restrict lo = sc->mins, *restrict hi = sc->maxs;
    uint8_t *restrict f = sc->flags;
    if (wk == 2) {
        for (size_t q = 0; q < pairs; q++) {
            float a = src[2 * q], b = src[2 * q + 1];
            int sw = a > b;
            lo[q] = sw ? b : a;
            hi[q] = sw ? a : b;
            f[q] = (uint8_t)sw;
        }
    } else {
        size_t hk = wk / 2;
        for (size_t base = 0, q0 = 0; base < d; base += wk, q0 += hk)
            for (size_t p = 0; p < hk; p++) {
                float a = src[base + p], b = src[base + hk + p];
                int sw = a > b;
                lo[q0 + p] = sw ? b : a;
                hi[q0 + p] = sw ? a : b;
                f[q0 + p] = (uint8_t)sw;
            }
    }
    for (size_t base = 0, q = 0; base < d; base += w, q += h) {
        memcpy(dst + base, lo + q, h * sizeof *dst);
        memcpy(dst + base + h, hi + q, h * sizeof *dst);
    }
}

static void level_inverse(const float *restrict src, float *restrict dst, row_scratch *sc, size_t d,
                          unsigned k, size_t wk) {
    size_t pairs = d / 2, w = d >> k, h = w / 2;
    float *restrict lo = sc->mins, *restrict hi = sc->maxs;
    const uint8_t *restrict f = sc->flags;
    for (size_t base = 0, q = 0; base < d; base += w, q += h) {
        memcpy(lo + q, src + base, h * sizeof *lo);
        memcpy(hi + q, src + base + h, h * sizeof *hi);
    }
    if (wk == 2) {
        for (size_t q = 0; q < pairs; q++) {
            int sw = f[q];
            float s = lo[q], l = hi[q];
            dst[2 * q] = sw ? l : s;
            dst[2 * q + 1] = sw ? s : l;
        }
    } else {
        size_t hk = wk / 2;
        for (size_t base = 0, q0 = 0; base < d; base += wk, q0 += hk)
            for (size_t p = 0; p < hk; p++) {
                int sw = f[q0 + p];
                float s = lo[q0 + p], l = hi[q0 + p];
                dst[base + p] = sw ? l : s;
                dst[base + hk + p] = sw ? s : l;
            }
    }
}

/* Inplace layout: (groups, per) blocks view <-> (per, groups). */
static void to_inplace(const float *restrict src, float *restrict dst, size_t groups, size_t per) {
    for (size_t b = 0; b < groups; b++)
        for (size_t j = 0; j < per; j++)
            dst[j * groups + b] = src[b * per + j];
}

static void from_inplace(const float *restrict src, float *restrict dst, size_t groups,
                         size_t per) {
    for (size_t j = 0; j < per; j++)
        for (size_t b = 0; b < groups; b++)
            dst[b * per + j] = src[j * groups + b];
}

#define LITTLE_ENDIAN_WORDS (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* Flags (0/1 bytes) to map bits; whole bytes at a time when the run starts on a byte, which it
 * does whenever d/2 is a multiple of 8. The map bits are zero on entry. */
static void pack_flags(const uint8_t *flags, size_t count, uint8_t *imap, size_t bit0) {
    size_t p = 0;
    if ((bit0 & 7) == 0)
        for (uint8_t *out = imap + (bit0 >> 3); p + 8 <= count; p += 8, out++) {
            /* eight 0/1 bytes (little-endian word) -> one byte: the multiply moves byte i's bit
             * to bit 56 + i without carries */
            uint64_t w;
            memcpy(&w, flags + p, 8);
            if (LITTLE_ENDIAN_WORDS)
                *out = (uint8_t)((w * 0x0102040810204080ULL) >> 56);
            else
                *out = (uint8_t)(flags[p] | flags[p + 1] << 1 | flags[p + 2] << 2 |
                                 flags[p + 3] << 3 | flags[p + 4] << 4 | flags[p + 5] << 5 |
                                 flags[p + 6] << 6 | flags[p + 7] << 7);
        }
    for (; p < count; p++)
        imap[(bit0 + p) >> 3] |= (uint8_t)(flags[p] << ((bit0 + p) & 7));
}

/* byte_flags[v]: the eight 0/1 bytes of the bits of v, LSB first (one load per map byte). */
#define BF8(v)                                                                                     \
    {                                                                                              \
        (v) & 1, (v) >> 1 & 1, (v) >> 2 & 1, (v) >> 3 & 1, (v) >> 4 & 1, (v) >> 5 & 1,             \
            (v) >> 6 & 1, (v) >> 7 & 1                                                             \
    }
#define BF4(v) BF8(v), BF8((v) + 1), BF8((v) + 2), BF8((v) + 3)
#define BF16(v) BF4(v), BF4((v) + 4), BF4((v) + 8), BF4((v) + 12)
#define BF64(v) BF16(v), BF16((v) + 16), BF16((v) + 32), BF16((v) + 48)
static const uint8_t byte_flags[256][8] = {BF64(0), BF64(64), BF64(128), BF64(192)};

static void unpack_flags(const uint8_t *imap, size_t bit0, size_t count, uint8_t *flags) {
    size_t p = 0;
    if ((bit0 & 7) == 0)
        for (const uint8_t *in = imap + (bit0 >> 3); p + 8 <= count; p += 8, in++)
            memcpy(flags + p, byte_flags[*in], 8);
    for (; p < count; p++)
        flags[p] = (uint8_t)((imap[(bit0 + p) >> 3] >> ((bit0 + p) & 7)) & 1);
}

int qet_reorder_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                     uint8_t *imap, qb_error *err) {
    unsigned levels = o->levels;
    if (levels == 0) {
        memcpy(out, x, n * d * sizeof *out);
        return QB_OK;
    }
    int inplace = o->layout == QET_LAYOUT_INPLACE;
    size_t pairs = d / 2, chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
    size_t groups = (size_t)1 << levels, per = d / groups;
    int failed = 0; /* some thread could not get its scratch: its rows are not written */
#pragma omp parallel if (par_worth(n * d * levels))
    {
        row_scratch sc;
        int ok = scratch_alloc(&sc, d);
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t c = 0; c < chunks; c++) {
            if (!ok)
                continue;
            size_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < n ? r0 + ROW_CHUNK : n;
            size_t b0 = r0 * levels * pairs, b1 = r1 * levels * pairs;
            /* this chunk owns bits [b0, b1): clear them byte-wise (b0 is byte aligned) */
            memset(imap + b0 / 8, 0, (b1 - b0 + 7) / 8);
            for (size_t i = r0; i < r1; i++) {
                const float *src = x + i * d;
                float *last = inplace ? sc.tr : out + i * d;
                for (unsigned k = 0; k < levels; k++) {
                    float *dst = ((levels - k) % 2 == 1) ? last : sc.row;
                    level_forward(src, dst, &sc, d, k, level_window(d, o->window, k));
                    pack_flags(sc.flags, pairs, imap, (i * levels + k) * pairs);
                    src = dst;
                }
                if (inplace)
                    to_inplace(sc.tr, out + i * d, groups, per);
            }
        }
        scratch_free(&sc);
    }
    return failed ? qb_oom(err) : QB_OK;
}

int qet_reorder(const float *x, size_t n, size_t d, unsigned levels, float *out, uint8_t *imap,
                qb_error *err) {
    qet_order o = qet_order_paper(levels);
    return qet_reorder_with(x, n, d, &o, out, imap, err);
}

int qet_inverse_with(const float *xr, size_t n, size_t d, const qet_order *o, const uint8_t *imap,
                     float *out, qb_error *err) {
    unsigned levels = o->levels;
    if (levels == 0) {
        if (xr != out)
            memcpy(out, xr, n * d * sizeof *out);
        return QB_OK;
    }
    int inplace = o->layout == QET_LAYOUT_INPLACE;
    size_t pairs = d / 2, groups = (size_t)1 << levels, per = d / groups;
    int failed = 0; /* some thread could not get its scratch: its rows are not written */
#pragma omp parallel if (par_worth(n * d * levels))
    {
        row_scratch sc;
        int ok = scratch_alloc(&sc, d);
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!ok)
                continue;
            const float *src = xr + i * d;
            if (inplace) {
                from_inplace(src, sc.tr, groups, per);
                src = sc.tr;
            } else if (xr ==
                       out) { /* in place: the row's first level must not overwrite its input */
                memcpy(sc.tr, src, d * sizeof *src);
                src = sc.tr;
            }
            for (unsigned j = 0; j < levels; j++) {
                unsigned k = levels - 1 - j; /* undo the deepest level first */
                float *dst = ((levels - j) % 2 == 1) ? out + i * d : sc.row;
                unpack_flags(imap, (i * levels + k) * pairs, pairs, sc.flags);
                level_inverse(src, dst, &sc, d, k, level_window(d, o->window, k));
                src = dst;
            }
        }
        scratch_free(&sc);
    }
    return failed ? qb_oom(err) : QB_OK;
}

int qet_inverse(const float *xr, size_t n, size_t d, unsigned levels, const uint8_t *imap,
                float *out, qb_error *err) {
    qet_order o = qet_order_paper(levels);
    return qet_inverse_with(xr, n, d, &o, imap, out, err);
}
