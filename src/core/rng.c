/* rng.c - derivation of independent GSL streams from (seed, cell, stream). */
#include "rng.h"
#include "matrix.h"

#include <gsl/gsl_randist.h>
#include <stdlib.h>

static uint64_t splitmix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_derive(uint64_t seed, uint64_t cell, uint64_t stream) {
    return splitmix(splitmix(splitmix(seed) ^ cell) ^ stream);
}

uint64_t rng_hash_string(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

gsl_rng *rng_stream(uint64_t seed, uint64_t cell, uint64_t stream) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    /* mt19937 takes an unsigned long; 0 would select GSL's default seed, so avoid it. */
    uint64_t s = rng_derive(seed, cell, stream);
    gsl_rng_set(r, (unsigned long)(s ? s : 1));
    return r;
}

int rng_choose_indices(gsl_rng *r, size_t *out, size_t k, size_t n) {
    size_t *all = malloc(n * sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    gsl_ran_choose(r, out, k, all, n, sizeof(size_t));
    free(all);
    return 0;
}

void rng_shuffle_indices(gsl_rng *r, size_t *idx, size_t k) {
    gsl_ran_shuffle(r, idx, k, sizeof(size_t));
}

int rng_gaussian_fill(float *out, size_t count, double mu, double sigma, uint64_t seed,
                      uint64_t cell, uint64_t stream) {
    gsl_rng *r = rng_stream(seed, cell, stream);
    if (!r)
        return -1;
    for (size_t i = 0; i < count; i++)
        out[i] = matrix_narrow(mu + gsl_ran_gaussian_ziggurat(r, sigma));
    gsl_rng_free(r);
    return 0;
}
