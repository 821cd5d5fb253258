/* pq_codec.c - the product-quantization engine (Jegou et al. 2010): per-subspace k-means, packed
 * codes, decode; under PQ, OPQ, LOPQ and every vector stage of a QET chain. */
#include "pq_codec.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

#include "bits.h"
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
