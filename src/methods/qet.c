/* qet.c - the `qet` quantizer: a chain of stages (QET at l levels, PQ, RTN) each quantizing the
 * residual of the ones before it (RO), with codebooks optionally stored by RTN at b_c bits (CQO). */
#include "qet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "pq.h"
#include "quantizer.h"
#include "rng.h"
#include "rtn.h"

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
        int rs = qet_reorder_with(in->data, s->n, s->d, &o, work->data, st->imap, err);
        if (rs)
            return rs;
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

const quantizer_ops qet_ops = {
    .name = "qet",
    .family = METHOD_FAMILY_QET,
    .dims = METHOD_USES_SUBSPACES | METHOD_USES_ITERATIONS | METHOD_STORES_IMAPS,
    .create = qet_create,
    .fit = qet_fit,
    .encode = qet_encode,
    .decode = qet_decode,
    .storage = qet_storage,
    .destroy = qet_destroy,
};

/* Residual PQ: the same chain with every stage at l = 0 (budget_solve enforces it). */
const quantizer_ops rpq_ops = {
    .name = "rpq",
    .family = METHOD_FAMILY_STRONG,
    .dims = METHOD_USES_SUBSPACES,
    .create = qet_create,
    .fit = qet_fit,
    .encode = qet_encode,
    .decode = qet_decode,
    .storage = qet_storage,
    .destroy = qet_destroy,
};
