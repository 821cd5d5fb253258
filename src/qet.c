/* qet.c - QET: per-row reordering with indicator maps (scalar reference and fast path), and the
 * `qet` quantizer: a chain of stages (QET at l levels, PQ, RTN) each quantizing the residual of the
 * ones before it (RO), with codebooks optionally stored by RTN at b_c bits (CQO). */
#include "parallel.h"
#include "qet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "pq.h"
#include "quantizer.h"
#include "rng.h"
#include "rtn.h"

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
    return qb_fail(err, "QET with l = %u levels needs 2^l to divide d = %zu; valid l: 0..%u", levels,
                   d, max);
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

void qet_reorder_reference_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                                uint8_t *imap) {
    unsigned levels = o->levels;
    float *scratch = malloc(d * sizeof *scratch);
    if (!scratch)
        return;
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
}

void qet_reorder_reference(const float *x, size_t n, size_t d, unsigned levels, float *out,
                           uint8_t *imap) {
    qet_order o = qet_order_paper(levels);
    qet_reorder_reference_with(x, n, d, &o, out, imap);
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

static void level_forward(const float *restrict src, float *restrict dst, row_scratch *sc,
                          size_t d, unsigned k, size_t wk) {
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

static void level_inverse(const float *restrict src, float *restrict dst, row_scratch *sc,
                          size_t d, unsigned k, size_t wk) {
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
#define BF8(v) {(v) & 1, (v) >> 1 & 1, (v) >> 2 & 1, (v) >> 3 & 1, (v) >> 4 & 1, (v) >> 5 & 1, \
                (v) >> 6 & 1, (v) >> 7 & 1}
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

void qet_reorder_with(const float *x, size_t n, size_t d, const qet_order *o, float *out,
                      uint8_t *imap) {
    unsigned levels = o->levels;
    if (levels == 0) {
        memcpy(out, x, n * d * sizeof *out);
        return;
    }
    int inplace = o->layout == QET_LAYOUT_INPLACE;
    size_t pairs = d / 2, chunks = (n + ROW_CHUNK - 1) / ROW_CHUNK;
    size_t groups = (size_t)1 << levels, per = d / groups;
#pragma omp parallel if (par_worth(n * d * levels))
    {
        row_scratch sc;
        int ok = scratch_alloc(&sc, d);
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
}

void qet_reorder(const float *x, size_t n, size_t d, unsigned levels, float *out, uint8_t *imap) {
    qet_order o = qet_order_paper(levels);
    qet_reorder_with(x, n, d, &o, out, imap);
}

void qet_inverse_with(const float *xr, size_t n, size_t d, const qet_order *o, const uint8_t *imap,
                      float *out) {
    unsigned levels = o->levels;
    if (levels == 0) {
        if (xr != out)
            memcpy(out, xr, n * d * sizeof *out);
        return;
    }
    int inplace = o->layout == QET_LAYOUT_INPLACE;
    size_t pairs = d / 2, groups = (size_t)1 << levels, per = d / groups;
#pragma omp parallel if (par_worth(n * d * levels))
    {
        row_scratch sc;
        int ok = scratch_alloc(&sc, d);
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!ok)
                continue;
            const float *src = xr + i * d;
            if (inplace) {
                from_inplace(src, sc.tr, groups, per);
                src = sc.tr;
            } else if (xr == out) { /* in place: the row's first level must not overwrite its input */
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
}

void qet_inverse(const float *xr, size_t n, size_t d, unsigned levels, const uint8_t *imap,
                 float *out) {
    qet_order o = qet_order_paper(levels);
    qet_inverse_with(xr, n, d, &o, imap, out);
}

qet_order qet_order_of(const quant_params *p, unsigned levels, size_t d) {
    qet_order o = {levels, p->qet_layout, 2};
    if (p->qet_pairing == QET_PAIRING_STRIDED)
        o.window = p->pairing_window ? p->pairing_window : d;
    return o;
}

/* ---- stage chain (RO) ---- */

int qet_parse_stages(quant_params *p, qb_error *err) {
    p->n_stages = 1;
    memset(p->stages, 0, sizeof p->stages);
    p->stages[0].kind = STAGE_VECTOR;
    p->stages[0].levels = p->iterations;
    double rest = 1.0;
    size_t len = strlen(p->residual);
    if (len && (p->residual[0] == ',' || p->residual[len - 1] == ',' || strstr(p->residual, ",,")))
        return qb_fail(err, "residual spec '%s': empty stage", p->residual);
    char spec[sizeof p->residual];
    snprintf(spec, sizeof spec, "%s", p->residual);
    for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (p->n_stages == QB_MAX_STAGES)
            return qb_fail(err, "residual spec '%s': at most %d stages", p->residual,
                           QB_MAX_STAGES - 1);
        quant_stage *st = &p->stages[p->n_stages];
        char kind[8];
        unsigned lv = 0;
        double share = 0;
        int used = 0;
        if (sscanf(tok, "qet:%u:%lf%n", &lv, &share, &used) == 2 && !tok[used]) {
            st->kind = STAGE_VECTOR;
            st->levels = lv;
        } else if (sscanf(tok, "%7[a-z]:%lf%n", kind, &share, &used) == 2 && !tok[used] &&
                   (!strcmp(kind, "pq") || !strcmp(kind, "rtn"))) {
            st->kind = strcmp(kind, "pq") ? STAGE_RTN : STAGE_VECTOR;
        } else {
            return qb_fail(err,
                           "residual spec '%s': bad stage '%s' (expected pq:SHARE, qet:L:SHARE or "
                           "rtn:SHARE, e.g. 'pq:0.3')",
                           p->residual, tok);
        }
        if (!(share > 0 && share < 1))
            return qb_fail(err, "residual spec '%s': share %g must be in (0, 1)", p->residual,
                           share);
        if (lv > 30)
            return qb_fail(err, "residual spec '%s': %u levels is too many", p->residual, lv);
        st->share = share;
        rest -= share;
        p->n_stages++;
    }
    if (!(rest > 1e-9))
        return qb_fail(err, "residual spec '%s': shares must leave a positive share for stage 0",
                       p->residual);
    p->stages[0].share = rest;
    return QB_OK;
}

int qet_apply_preset(quant_params *p, const char *name, qb_error *err) {
    if (!strcmp(name, "basic")) {
        p->residual[0] = 0;
        p->codebook_bits = FLOAT_BITS;
        if (!p->iterations)
            p->iterations = 1;
    } else if (!strcmp(name, "authors")) {
        p->iterations = 3;
        snprintf(p->residual, sizeof p->residual, "pq:0.3");
        p->codebook_bits = 10;
    } else {
        return qb_fail(err, "unknown QET preset '%s' (basic or authors)", name);
    }
    return QB_OK;
}

/* ---- the `qet` method ---- */

typedef struct {
    quant_stage spec;
    /* vector stages */
    pq_codec codec;   /* codebooks hold the decoded (CQO-rounded) values after fit */
    uint8_t *imap;    /* indicator maps of this stage's reorder */
    uint8_t *cb_codes;/* CQO: m * k * dsub codes of codebook_bits bits */
    float cb_offset, cb_step;
    /* rtn stages */
    void *rtn;
} qet_stage_state;

typedef struct {
    quant_params p;
    size_t n, d;
    qet_stage_state st[QB_MAX_STAGES];
} qet_state;

static void qet_destroy(void *state) {
    qet_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->p.n_stages; i++) {
        pq_codec_free(&s->st[i].codec);
        free(s->st[i].imap);
        free(s->st[i].cb_codes);
        if (s->st[i].rtn)
            rtn_ops.destroy(s->st[i].rtn);
    }
    free(s);
}

static quant_params rtn_stage_params(const quant_params *p, const quant_stage *st) {
    quant_params r = *p;
    strcpy(r.method, "rtn");
    r.rtn_bits = st->rtn_bits;
    r.rtn_granularity = RTN_PER_TENSOR;
    return r;
}

static int qet_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    if (p->n_stages == 0)
        return qb_internal(err, "qet: stages not solved (call budget_solve first)");
    qet_state *s = calloc(1, sizeof *s);
    if (!s)
        return qb_oom(err);
    s->p = *p;
    s->n = n;
    s->d = d;
    int status = QB_OK;
    for (size_t i = 0; i < p->n_stages && !status; i++) {
        qet_stage_state *st = &s->st[i];
        st->spec = p->stages[i];
        if (st->spec.kind == STAGE_RTN) {
            quant_params rp = rtn_stage_params(p, &st->spec);
            status = rtn_ops.create(&rp, n, d, &st->rtn, err);
            continue;
        }
        qet_order o = qet_order_of(p, st->spec.levels, d);
        status = qet_check_order(d, &o, err);
        if (!status)
            status = pq_codec_init(&st->codec, n, d, p->subspaces, st->spec.ks, err);
        if (status)
            break;
        if (st->spec.levels) {
            st->imap = calloc(qet_imap_bytes(n, d, st->spec.levels) + 1, 1);
            if (!st->imap)
                status = qb_oom(err);
        }
        if (p->codebook_bits < FLOAT_BITS) {
            st->cb_codes = calloc(bits_packed_bytes(st->spec.ks * d, p->codebook_bits) + 1, 1);
            if (!st->cb_codes)
                status = qb_oom(err);
        }
    }
    if (status) {
        qet_destroy(s);
        return status;
    }
    *state = s;
    return QB_OK;
}

/* Stage i > 0 draws its k-means streams from another cell id, so stage 0 alone is exactly PQ. */
static uint64_t stage_cell(uint64_t cell, size_t i) { return cell + i * 0x9e3779b97f4a7c15ULL; }

/* CQO: the stage's whole codebook (m, k, dsub) through RTN at b_c bits with one offset and step;
 * the codebook then holds the values a decoder reconstructs. */
static int quantize_codebook(qet_stage_state *st, unsigned b, qb_error *err) {
    size_t count = st->codec.m * st->codec.k * st->codec.dsub;
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    rtn_quantize_range(st->codec.codebooks, count, b, codes, &st->cb_offset, &st->cb_step);
    bits_pack(codes, count, b, st->cb_codes);
    free(codes);
    return QB_OK;
}

static void dequantize_codebook(qet_stage_state *st, unsigned b, float *codebooks) {
    size_t count = st->codec.m * st->codec.k * st->codec.dsub;
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!codes)
        return;
    bits_unpack(st->cb_codes, count, b, codes);
    for (size_t i = 0; i < count; i++)
        codebooks[i] = rtn_level(codes[i], st->cb_offset, st->cb_step);
    free(codes);
}

/* One vector stage on input `in` (n x d): reorder into `work` (l > 0), train when asked, encode. */
static int vector_stage(qet_state *s, size_t i, const matrix *in, matrix *work, int train,
                        qb_error *err) {
    qet_stage_state *st = &s->st[i];
    const matrix *src = in;
    if (st->spec.levels) {
        qet_order o = qet_order_of(&s->p, st->spec.levels, s->d);
        qet_reorder_with(in->data, s->n, s->d, &o, work->data, st->imap);
        src = work;
    }
    int status = QB_OK;
    if (train) {
        status = pq_codec_train(&st->codec, src, &s->p.kmeans, s->p.seed,
                                stage_cell(s->p.cell, i), err);
        if (!status && st->cb_codes) {
            status = quantize_codebook(st, s->p.codebook_bits, err);
            if (!status)
                dequantize_codebook(st, s->p.codebook_bits, st->codec.codebooks);
        }
    }
    if (!status)
        status = pq_codec_encode(&st->codec, src, err);
    return status;
}

static int decode_stage(const qet_state *s, size_t i, matrix *out, qb_error *err) {
    const qet_stage_state *st = &s->st[i];
    if (st->spec.kind == STAGE_RTN)
        return rtn_ops.decode(st->rtn, out, err);
    int status = pq_codec_decode(&st->codec, out, err);
    qet_order o = qet_order_of(&s->p, st->spec.levels, s->d);
    if (!status)
        qet_inverse_with(out->data, s->n, s->d, &o, st->imap, out->data);
    return status;
}

int qet_decode_stage(const void *state, size_t stage, matrix *out, qb_error *err) {
    const qet_state *s = state;
    if (stage >= s->p.n_stages)
        return qb_fail(err, "stage %zu of a %zu-stage chain", stage, s->p.n_stages);
    return decode_stage(s, stage, out, err);
}

/* Runs the chain on x: stage i quantizes x minus the decoded stages before it. */
static int run_chain(qet_state *s, const matrix *x, int train, qb_error *err) {
    /* Buffers only where needed (peak memory is a budget too): the residual and a decode buffer
     * for chains of several stages, a reorder buffer when some stage reorders. */
    matrix resid = {0}, work = {0}, dec = {0};
    int chain = s->p.n_stages > 1, reorders = 0, status = QB_OK;
    for (size_t i = 0; i < s->p.n_stages; i++)
        reorders |= s->st[i].spec.kind == STAGE_VECTOR && s->st[i].spec.levels > 0;
    if (chain)
        status = matrix_copy(&resid, x, err);
    if (!status && (reorders || chain))
        status = matrix_alloc(&work, s->n, s->d, err);
    if (!status && chain)
        status = matrix_alloc(&dec, s->n, s->d, err);
    const matrix *in = chain ? &resid : x;
    for (size_t i = 0; i < s->p.n_stages && !status; i++) {
        qet_stage_state *st = &s->st[i];
        if (st->spec.kind == STAGE_RTN)
            status = rtn_ops.encode(st->rtn, in, err);
        else
            status = vector_stage(s, i, in, &work, train, err);
        if (status || i + 1 == s->p.n_stages)
            break;
        status = decode_stage(s, i, &dec, err);
        for (size_t e = 0; !status && e < s->n * s->d; e++)
            resid.data[e] -= dec.data[e];
    }
    matrix_free(&resid);
    matrix_free(&work);
    matrix_free(&dec);
    return status;
}

static int qet_fit(void *state, const matrix *x, qb_error *err) {
    return run_chain(state, x, 1, err);
}

static int qet_encode(void *state, const matrix *x, qb_error *err) {
    return run_chain(state, x, 0, err);
}

static int qet_decode(const void *state, matrix *out, qb_error *err) {
    const qet_state *s = state;
    matrix part = {0};
    int status = decode_stage(s, 0, out, err);
    if (!status && s->p.n_stages > 1)
        status = matrix_alloc(&part, s->n, s->d, err);
    for (size_t i = 1; i < s->p.n_stages && !status; i++) {
        status = decode_stage(s, i, &part, err);
        for (size_t e = 0; !status && e < s->n * s->d; e++)
            out->data[e] += part.data[e];
    }
    matrix_free(&part);
    return status;
}

/* Counted from what the stages hold (the budget's prediction is checked against this). */
static void qet_storage(const void *state, storage_bits *out) {
    const qet_state *s = state;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < s->p.n_stages; i++) {
        const qet_stage_state *st = &s->st[i];
        storage_bits b = {0};
        if (st->spec.kind == STAGE_RTN) {
            rtn_ops.storage(st->rtn, &b);
        } else {
            const pq_codec *c = &st->codec;
            unsigned entry = st->cb_codes ? s->p.codebook_bits : FLOAT_BITS;
            b.codes = pq_codec_code_bits(c);
            b.codebooks = (uint64_t)c->m * c->k * c->dsub * entry;
            b.scales = st->cb_codes ? 2 * FLOAT_BITS : 0; /* CQO offset and step */
            b.indicator_maps = (uint64_t)s->n * st->spec.levels * (s->d / 2);
        }
        storage_add(out, &b);
    }
}

const quantizer_ops qet_ops = {"qet", qet_create, qet_fit, qet_encode, qet_decode, qet_storage, qet_destroy};

/* Residual PQ: the same chain with every stage at l = 0 (budget_solve enforces it). */
const quantizer_ops rpq_ops = {"rpq", qet_create, qet_fit, qet_encode, qet_decode, qet_storage, qet_destroy};
