/* rng.h - reproducible random streams on GSL generators.
 * A stream is named by (seed, cell, stream): results never depend on run order, threads or shards.
 */
#ifndef QB_RNG_H
#define QB_RNG_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

/* Mixes the three words into one 64-bit seed (splitmix64 finaliser, order-sensitive). */
uint64_t rng_derive(uint64_t seed, uint64_t cell, uint64_t stream);
/* Stable 64-bit hash of a string (FNV-1a), for cell keys such as "synthetic/pq/m=8/r=4". */
uint64_t rng_hash_string(const char *s);
/* A new mt19937 generator seeded from rng_derive(seed, cell, stream); NULL on allocation failure.
 */
gsl_rng *rng_stream(uint64_t seed, uint64_t cell, uint64_t stream);

/* k distinct indices of 0..n-1 in increasing order, chosen uniformly; 0 ok, -1 out of memory.
 * (Wrapped here so BLAS code never includes GSL's randist, whose headers bring GSL's own CBLAS.) */
int rng_choose_indices(gsl_rng *r, size_t *out, size_t k, size_t n);
void rng_shuffle_indices(gsl_rng *r, size_t *idx, size_t k);

/* count draws of N(mu, sigma^2) from the stream (seed, cell, stream), as floats; 0 ok, -1 out of
 * memory. The data generators and random rotations share it. */
int rng_gaussian_fill(float *out, size_t count, double mu, double sigma, uint64_t seed,
                      uint64_t cell, uint64_t stream);

/* Named stream ids so modules never collide on the same stream of a cell. */
enum {
    RNG_STREAM_DATA = 1,   /* synthetic matrices */
    RNG_STREAM_KMEANS = 2, /* k-means init and subsampling (per subspace: + 1000 * index) */
    RNG_STREAM_ROTATION = 3,
    RNG_STREAM_COARSE = 4,
    RNG_STREAM_MONTE_CARLO = 5,
};

#endif
