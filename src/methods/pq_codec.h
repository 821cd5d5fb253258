/* pq_codec.h - product quantization codec: m contiguous subspaces, k centroids each, packed codes.
 * The engine under PQ itself and under every method that quantizes a transformed matrix
 * (QET's reordered matrix, OPQ's rotated one). */
#ifndef QB_PQ_CODEC_H
#define QB_PQ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kmeans.h"
#include "matrix.h"

typedef struct {
    size_t n, d, m, k, dsub;
    unsigned width;   /* bits per code: ceil(log2 k) */
    float *codebooks; /* (m, k, dsub) */
    uint8_t *codes;   /* n * m codes of `width` bits, row-major, packed */
} pq_codec;

int pq_codec_init(pq_codec *c, size_t n, size_t d, size_t m, size_t k, qb_error *err);
void pq_codec_free(pq_codec *c);
/* k-means per subspace; subspace s uses the stream rng_derive(seed, cell, KMEANS stream + s). */
int pq_codec_train(pq_codec *c, const matrix *x, const kmeans_config *cfg, uint64_t seed,
                   uint64_t cell, qb_error *err);
int pq_codec_encode(pq_codec *c, const matrix *x, qb_error *err);
/* out: n x d. */
int pq_codec_decode(const pq_codec *c, matrix *out, qb_error *err);
/* Bits actually held: the packed codes; the codebooks at entry_bits per entry. */
uint64_t pq_codec_code_bits(const pq_codec *c);
uint64_t pq_codec_codebook_bits(const pq_codec *c, unsigned entry_bits);

/* The shape a vector method's storage formula needs, for the budget solvers. */
typedef struct {
    size_t n, d, m;
} pq_shape;

#endif
