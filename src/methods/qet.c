/* qet.c - the `qet` quantizer: a chain of stages (QET at l levels, PQ, RTN) each quantizing the
 * residual of the ones before it (RO), with codebooks optionally stored by RTN at b_c bits (CQO).
 */
#include "qet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "pq_codec.h"
#include "quantizer.h"
#include "rng.h"
#include "rtn_range.h"

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

/* ---- budget ---- */

typedef struct {
    size_t n, d, m;
    unsigned entry_bits;
} stage_shape;

/* A vector stage: PQ storage with codebook entries at entry_bits (CQO adds its scale/offset). */
static storage_bits stage_of_k(uint64_t k, const void *ctx) {
    const stage_shape *c = ctx;
    return budget_pq(c->n, c->d, c->m, k, c->entry_bits);
}

static uint64_t qet_indicator_bits(const quant_params *p, size_t n, size_t d) {
    uint64_t bits = 0;
    for (size_t i = 0; i < p->n_stages; i++)
        if (p->stages[i].kind == STAGE_VECTOR)
            bits += budget_indicator_bits(n, d, p->stages[i].levels);
    return bits;
}

/* QET: indicator maps come off the top (unless free-imap), then each stage fits its largest k_s
 * (or RTN bits) into its share of what remains. */
int qet_solve_chain(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    int s = solve_vq_shape(p, d, err);
    if (!s && (p->codebook_bits < 1 || p->codebook_bits > 32))
        s = qb_fail(err, "codebook bits must be in 1..32 (got %u)", p->codebook_bits);
    if (!s)
        s = qet_parse_stages(p, err);
    for (size_t i = 0; !s && i < p->n_stages; i++)
        if (p->stages[i].kind == STAGE_VECTOR) {
            qet_order o = qet_order_of(p, p->stages[i].levels, d);
            s = qet_check_order(d, &o, err);
        }
    if (s)
        return s;
    if (p->ks) {
        if (p->n_stages > 1)
            return qb_fail(err, "a qet chain with residual stages needs --ratio, not --ks");
        if (p->ks > n)
            return qb_fail(err, "k_s = %llu exceeds the %zu rows", (unsigned long long)p->ks, n);
        p->stages[0].ks = p->ks;
        return QB_OK;
    }
    if (p->ratio <= 0)
        return qb_fail(err, "QET needs --ks or --ratio");
    uint64_t imap = qet_indicator_bits(p, n, d);
    uint64_t charged_imap = p->accounting == ACCOUNTING_FULL ? imap : 0;
    if (charged_imap >= budget)
        return qb_infeasible(err,
                             "infeasible budget: %s at ratio %g allows %llu bits but its indicator "
                             "maps alone need %llu (try fewer levels or --accounting free-imap)",
                             p->method, p->ratio, (unsigned long long)budget,
                             (unsigned long long)imap);
    uint64_t rest = budget - charged_imap;
    for (size_t i = 0; i < p->n_stages; i++) {
        quant_stage *st = &p->stages[i];
        uint64_t share = budget_share(rest, st->share);
        if (st->kind == STAGE_RTN) {
            st->rtn_bits = 0;
            for (unsigned b = BITS_MAX_WIDTH; b >= 1 && !st->rtn_bits; b--) {
                storage_bits sb = budget_rtn(n, d, b, 0);
                if (storage_total(&sb) <= share)
                    st->rtn_bits = b;
            }
            if (!st->rtn_bits)
                return qb_infeasible(err,
                                     "infeasible budget: %s stage %zu (rtn) gets %llu bits, "
                                     "less than 1 bit per element",
                                     p->method, i, (unsigned long long)share);
            continue;
        }
        stage_shape c = {n, d, p->subspaces, p->codebook_bits};
        uint64_t cap = 1ULL << BITS_MAX_WIDTH;
        /* the stage's own bits are all charged: its indicator maps were taken off above */
        st->ks = budget_largest_k(stage_of_k, &c, n < cap ? n : cap, share, ACCOUNTING_FULL);
        if (!st->ks) {
            storage_bits sb = stage_of_k(1, &c);
            return qb_infeasible(err,
                                 "infeasible budget: %s stage %zu gets %llu bits but needs "
                                 "at least %llu",
                                 p->method, i, (unsigned long long)share,
                                 (unsigned long long)storage_total(&sb));
        }
    }
    p->ks = p->stages[0].ks;
    return QB_OK;
}

void qet_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < p->n_stages; i++) {
        const quant_stage *st = &p->stages[i];
        storage_bits sb = st->kind == STAGE_RTN
                              ? budget_rtn(n, d, st->rtn_bits, 0)
                              : budget_pq(n, d, p->subspaces, st->ks, p->codebook_bits);
        storage_add(out, &sb);
    }
    out->indicator_maps = qet_indicator_bits(p, n, d);
}

/* The chain, with the pairing window recorded as used (the whole row when strided without one). */
static int qet_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    int s = qet_solve_chain(p, n, d, budget, err);
    if (!s)
        p->pairing_window = qet_order_of(p, p->iterations, d).window;
    return s;
}

/* ---- the `qet` method ---- */

typedef struct {
    quant_stage spec;
    /* vector stages */
    pq_codec codec;    /* codebooks hold the decoded (CQO-rounded) values after fit */
    uint8_t *imap;     /* indicator maps of this stage's reorder */
    uint8_t *cb_codes; /* CQO: m * k * dsub codes of codebook_bits bits */
    float cb_offset, cb_step;
    /* rtn stages: per tensor, one offset and step */
    uint8_t *rtn_codes; /* n * d codes of spec.rtn_bits bits */
    float rtn_offset, rtn_step;
} qet_stage_state;

typedef struct {
    quant_params p;
    size_t n, d;
    qet_stage_state st[QB_MAX_STAGES];
} qet_state;

void qet_chain_destroy(void *state) {
    qet_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->p.n_stages; i++) {
        pq_codec_free(&s->st[i].codec);
        free(s->st[i].imap);
        free(s->st[i].cb_codes);
        free(s->st[i].rtn_codes);
    }
    free(s);
}

/* An RTN stage: the whole residual through one min-max range at the stage's bits. */
static int rtn_stage_encode(qet_stage_state *st, const matrix *in, qb_error *err) {
    size_t count = in->rows * in->cols;
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    rtn_quantize_range(in->data, count, st->spec.rtn_bits, codes, &st->rtn_offset, &st->rtn_step);
    bits_pack(codes, count, st->spec.rtn_bits, st->rtn_codes);
    free(codes);
    return QB_OK;
}

static int rtn_stage_decode(const qet_stage_state *st, matrix *out, qb_error *err) {
    size_t count = out->rows * out->cols;
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!codes)
        return qb_oom(err);
    bits_unpack(st->rtn_codes, count, st->spec.rtn_bits, codes);
    for (size_t i = 0; i < count; i++)
        out->data[i] = rtn_level(codes[i], st->rtn_offset, st->rtn_step);
    free(codes);
    return QB_OK;
}

int qet_chain_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
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
            if (st->spec.rtn_bits < 1 || st->spec.rtn_bits > BITS_MAX_WIDTH)
                status = qb_internal(err, "qet: RTN stage %zu has %u bits", i, st->spec.rtn_bits);
            else if (!(st->rtn_codes = calloc(bits_packed_bytes(n * d, st->spec.rtn_bits) + 1, 1)))
                status = qb_oom(err);
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
        qet_chain_destroy(s);
        return status;
    }
    *state = s;
    return QB_OK;
}

/* Stage i > 0 draws its k-means streams from another cell id, so stage 0 alone is exactly PQ. */
static uint64_t stage_cell(uint64_t cell, size_t i) {
    return cell + i * 0x9e3779b97f4a7c15ULL;
}

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

static int dequantize_codebook(qet_stage_state *st, unsigned b, float *codebooks, qb_error *err) {
    size_t count = st->codec.m * st->codec.k * st->codec.dsub;
    uint32_t *codes = malloc(count * sizeof *codes);
    if (!codes) /* never leave float codebooks charged at b bits */
        return qb_oom(err);
    bits_unpack(st->cb_codes, count, b, codes);
    for (size_t i = 0; i < count; i++)
        codebooks[i] = rtn_level(codes[i], st->cb_offset, st->cb_step);
    free(codes);
    return QB_OK;
}

/* One vector stage on input `in` (n x d): reorder into `work` (l > 0), train when asked, encode. */
static int vector_stage(qet_state *s, size_t i, const matrix *in, matrix *work, int train,
                        qb_error *err) {
    qet_stage_state *st = &s->st[i];
    const matrix *src = in;
    if (st->spec.levels) {
        qet_order o = qet_order_of(&s->p, st->spec.levels, s->d);
        int rs = qet_reorder_with(in->data, s->n, s->d, &o, work->data, st->imap, err);
        if (rs)
            return rs;
        src = work;
    }
    int status = QB_OK;
    if (train) {
        status =
            pq_codec_train(&st->codec, src, &s->p.kmeans, s->p.seed, stage_cell(s->p.cell, i), err);
        if (!status && st->cb_codes) {
            status = quantize_codebook(st, s->p.codebook_bits, err);
            if (!status)
                status = dequantize_codebook(st, s->p.codebook_bits, st->codec.codebooks, err);
        }
    }
    if (!status)
        status = pq_codec_encode(&st->codec, src, err);
    return status;
}

static int decode_stage(const qet_state *s, size_t i, matrix *out, qb_error *err) {
    const qet_stage_state *st = &s->st[i];
    if (st->spec.kind == STAGE_RTN)
        return rtn_stage_decode(st, out, err);
    int status = pq_codec_decode(&st->codec, out, err);
    qet_order o = qet_order_of(&s->p, st->spec.levels, s->d);
    if (!status)
        status = qet_inverse_with(out->data, s->n, s->d, &o, st->imap, out->data, err);
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
            status = rtn_stage_encode(st, in, err);
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

int qet_chain_fit(void *state, const matrix *x, qb_error *err) {
    return run_chain(state, x, 1, err);
}

int qet_chain_encode(void *state, const matrix *x, qb_error *err) {
    return run_chain(state, x, 0, err);
}

int qet_chain_decode(const void *state, matrix *out, qb_error *err) {
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
void qet_chain_storage(const void *state, storage_bits *out) {
    const qet_state *s = state;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < s->p.n_stages; i++) {
        const qet_stage_state *st = &s->st[i];
        storage_bits b = {0};
        if (st->spec.kind == STAGE_RTN) {
            b.codes = (uint64_t)s->n * s->d * st->spec.rtn_bits;
            b.scales = 2 * FLOAT_BITS; /* its offset and step */
        } else {
            const pq_codec *c = &st->codec;
            unsigned entry = st->cb_codes ? s->p.codebook_bits : FLOAT_BITS;
            b.codes = pq_codec_code_bits(c);
            b.codebooks = pq_codec_codebook_bits(c, entry);
            b.scales = st->cb_codes ? 2 * FLOAT_BITS : 0; /* CQO offset and step */
            b.indicator_maps = (uint64_t)s->n * st->spec.levels * (s->d / 2);
        }
        storage_add(out, &b);
    }
}

static const char *const qet_options[] = {"subspaces",      "ks",
                                          "iterations",     "kmeans_init",
                                          "kmeans_iters",   "max_points_per_centroid",
                                          "codebook_bits",  "residual",
                                          "qet_layout",     "qet_pairing",
                                          "pairing_window", NULL};

static const method_preset qet_presets[] = {
    {"basic", "residual=;codebook_bits=32", "one stage, float codebooks: the paper's QET"},
    {"authors", "iterations=3;residual=pq:0.3;codebook_bits=10",
     "the released code's advanced configuration: l = 3 then a PQ stage, 70% / 30%, CQO at 10 "
     "bits"},
    {NULL, NULL, NULL}};

const quantizer_ops qet_method = {
    .name = "qet",
    .help = "QET: per-row reordering with indicator maps, then PQ (RO and CQO optional)",
    .family = METHOD_FAMILY_QET,
    .dims = METHOD_USES_SUBSPACES | METHOD_USES_ITERATIONS | METHOD_STORES_IMAPS,
    .options = qet_options,
    .presets = qet_presets,
    .solve = qet_solve,
    .predict = qet_predict,
    .fit_encodes = 1,
    .create = qet_chain_create,
    .fit = qet_chain_fit,
    .encode = qet_chain_encode,
    .decode = qet_chain_decode,
    .storage = qet_chain_storage,
    .destroy = qet_chain_destroy,
};
