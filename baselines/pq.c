/* pq.c - product quantization (Jegou et al. 2010) from scratch, and the `pq` method. */
#include "pq.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "quantizer.h"
#include "rng.h"

int pq_codec_init(pq_codec *c, size_t n, size_t d, size_t m, size_t k, qb_error *err) {
    memset(c, 0, sizeof *c);
    int s = matrix_check_divides(d, m, "subspaces m", err);
    if (s)
        return s;
    if (k < 1 || k > n)
        return qb_fail(err, "k_s = %zu must be in 1..n (n = %zu rows)", k, n);
    if (bits_for_count(k) > BITS_MAX_WIDTH)
        return qb_fail(err, "k_s = %zu needs more than %d bits per code", k, BITS_MAX_WIDTH);
    c->n = n;
    c->d = d;
    c->m = m;
    c->k = k;
    c->dsub = d / m;
    c->width = bits_for_count(k);
    c->codebooks = malloc(m * k * c->dsub * sizeof *c->codebooks);
    c->codes = calloc(bits_packed_bytes(n * m, c->width) + 1, 1);
    if (!c->codebooks || !c->codes) {
        pq_codec_free(c);
        return qb_oom(err);
    }
    return QB_OK;
}

void pq_codec_free(pq_codec *c) {
    free(c->codebooks);
    free(c->codes);
    c->codebooks = NULL;
    c->codes = NULL;
}

int pq_codec_train(pq_codec *c, const matrix *x, const kmeans_config *cfg, uint64_t seed,
                   uint64_t cell, qb_error *err) {
    for (size_t s = 0; s < c->m; s++) {
        uint64_t stream = rng_derive(seed, cell, ((uint64_t)RNG_STREAM_KMEANS << 32) | s);
        int st = kmeans_fit(x->data + s * c->dsub, c->n, c->dsub, c->d, c->k, cfg, stream,
                            c->codebooks + s * c->k * c->dsub, err);
        if (st)
            return st;
    }
    return QB_OK;
}

int pq_codec_encode(pq_codec *c, const matrix *x, qb_error *err) {
    uint32_t *idx = malloc(c->n * sizeof *idx), *all = malloc(c->n * c->m * sizeof *all);
    if (!idx || !all) {
        free(idx);
        free(all);
        return qb_oom(err);
    }
    int st = QB_OK;
    for (size_t s = 0; s < c->m && !st; s++) {
        st = kmeans_assign(x->data + s * c->dsub, c->n, c->dsub, c->d,
                           c->codebooks + s * c->k * c->dsub, c->k, idx, NULL, err);
        for (size_t i = 0; i < c->n; i++)
            all[i * c->m + s] = idx[i];
    }
    if (!st)
        bits_pack(all, c->n * c->m, c->width, c->codes);
    free(idx);
    free(all);
    return st;
}

int pq_codec_decode(const pq_codec *c, matrix *out, qb_error *err) {
    uint32_t *all = malloc(c->n * c->m * sizeof *all);
    if (!all)
        return qb_oom(err);
    bits_unpack(c->codes, c->n * c->m, c->width, all);
#pragma omp parallel for schedule(static) if (par_worth(c->n * c->d))
    for (size_t i = 0; i < c->n; i++) {
        float *row = out->data + i * c->d;
        for (size_t s = 0; s < c->m; s++)
            memcpy(row + s * c->dsub, c->codebooks + (s * c->k + all[i * c->m + s]) * c->dsub,
                   c->dsub * sizeof *row);
    }
    free(all);
    return QB_OK;
}

uint64_t pq_codec_code_bits(const pq_codec *c) {
    return (uint64_t)c->n * c->m * c->width;
}

uint64_t pq_codec_codebook_bits(const pq_codec *c, unsigned entry_bits) {
    return (uint64_t)c->m * c->k * c->dsub * entry_bits;
}

/* ---- the `pq` method ---- */

typedef struct {
    quant_params p;
    pq_codec codec;
} pq_state;

static int pq_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    pq_state *s = calloc(1, sizeof *s);
    if (!s)
        return qb_oom(err);
    s->p = *p;
    int st = pq_codec_init(&s->codec, n, d, p->subspaces, p->ks, err);
    if (st) {
        free(s);
        return st;
    }
    *state = s;
    return QB_OK;
}

static int pq_fit(void *state, const matrix *x, qb_error *err) {
    pq_state *s = state;
    return pq_codec_train(&s->codec, x, &s->p.kmeans, s->p.seed, s->p.cell, err);
}

static int pq_encode(void *state, const matrix *x, qb_error *err) {
    return pq_codec_encode(&((pq_state *)state)->codec, x, err);
}

static int pq_decode(const void *state, matrix *out, qb_error *err) {
    return pq_codec_decode(&((const pq_state *)state)->codec, out, err);
}

/* Counted from what the codec holds: packed codes and float codebooks. */
static void pq_storage(const void *state, storage_bits *out) {
    const pq_state *s = state;
    memset(out, 0, sizeof *out);
    out->codes = pq_codec_code_bits(&s->codec);
    out->codebooks = pq_codec_codebook_bits(&s->codec, FLOAT_BITS);
}

static storage_bits pq_of_k(uint64_t k, const void *ctx) {
    const pq_shape *c = ctx;
    return budget_pq(c->n, c->d, c->m, k, FLOAT_BITS);
}

static int pq_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    int s = solve_vq_shape(p, d, err);
    pq_shape c = {n, d, p->subspaces};
    return s ? s : solve_largest_k(p, n, budget, pq_of_k, &c, err);
}

static void pq_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    *out = budget_pq(n, d, p->subspaces, p->ks, FLOAT_BITS);
}

static const char *const pq_options[] = {
    "subspaces", "ks", "kmeans_init", "kmeans_iters", "max_points_per_centroid", NULL};

static void pq_destroy(void *state) {
    pq_state *s = state;
    if (!s)
        return;
    pq_codec_free(&s->codec);
    free(s);
}

const quantizer_ops pq_method = {
    .name = "pq",
    .help = "product quantization: m subspaces, k_s centroids each (Jegou et al. 2010)",
    .family = METHOD_FAMILY_PQ,
    .dims = METHOD_USES_SUBSPACES,
    .options = pq_options,
    .solve = pq_solve,
    .predict = pq_predict,
    .create = pq_create,
    .fit = pq_fit,
    .encode = pq_encode,
    .decode = pq_decode,
    .storage = pq_storage,
    .destroy = pq_destroy,
};
