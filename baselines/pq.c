/* pq.c - the `pq` method: product quantization (pq_codec.h) at the largest k_s that fits. */
#include <stdlib.h>
#include <string.h>

#include "pq_codec.h"
#include "quantizer.h"

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
