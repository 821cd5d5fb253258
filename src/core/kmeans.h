/* kmeans.h - k-means for the vector quantizers: k-means++ or random init, Lloyd iterations,
 * BLAS nearest-centroid search, empty clusters repaired by splitting the largest one.
 * Results are bit-identical for any OpenMP thread count: work is split into fixed row blocks and
 * every sum is taken in row order. */
#ifndef QB_KMEANS_H
#define QB_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* KMEANS_INIT_PLUSPLUS draws k-means++'s centroids with the rows rescanned once per batch (one
 * GEMM); KMEANS_INIT_PLUSPLUS_SCAN is the same law one centroid and one rescan at a time, the
 * reference the batched one is tested against (no config name reaches it). */
typedef enum {
    KMEANS_INIT_PLUSPLUS = 0,
    KMEANS_INIT_RANDOM = 1,
    KMEANS_INIT_PLUSPLUS_SCAN = 2
} kmeans_init;

typedef struct {
    int iters;                   /* Lloyd iterations (default 25; 0: the seeds alone) */
    kmeans_init init;            /* default k-means++ */
    int max_points_per_centroid; /* train on at most k * this many rows (default 256; 0: all) */
} kmeans_config;

kmeans_config kmeans_defaults(void);
const char *kmeans_init_name(kmeans_init init);
int kmeans_init_parse(const char *name, kmeans_init *out); /* 0 ok, -1 unknown */

/* Trains k centroids on n rows of `dim` floats, row i at x + i * ld.
 * centroids: (k, dim), caller-owned. Requires 1 <= k <= n. Deterministic given `seed_stream`
 * (a 64-bit seed from rng_derive). */
int kmeans_fit(const float *x, size_t n, size_t dim, size_t ld, size_t k, const kmeans_config *cfg,
               uint64_t seed_stream, float *centroids, qb_error *err);

/* Lloyd iterations on all n rows starting from the given centroids (k, dim), updated in place:
 * the warm start OPQ's alternating rounds need. No sampling, so no random stream. */
int kmeans_refine(const float *x, size_t n, size_t dim, size_t ld, size_t k, int iters,
                  float *centroids, qb_error *err);

/* Index of the nearest centroid for each row (ties: lowest index), via ||c||^2 - 2 x.c with sgemm
 * in row blocks; for dim = 1 by |x - c| exactly, with a binary search over the sorted centroids
 * (equal to kmeans_assign_scan1d). dist (optional, may be NULL): the squared distance to it. */
int kmeans_assign(const float *x, size_t n, size_t dim, size_t ld, const float *centroids, size_t k,
                  uint32_t *codes, float *dist, qb_error *err);

/* Index of the smallest of s[0..k-1], the first one on ties (vectorised; equal to a plain scan). */
uint32_t kmeans_argmin(const float *s, size_t k, float *best);

/* The same, by a plain loop: the reference the BLAS path is tested against. */
void kmeans_assign_naive(const float *x, size_t n, size_t dim, size_t ld, const float *centroids,
                         size_t k, uint32_t *codes);

/* dim = 1 on n contiguous values as Lloyd's iterations assign them: the rows sorted once, then
 * one merge with the sorted centroids (equal to kmeans_assign_scan1d; exposed for its test). */
int kmeans_assign_merge1d(const float *x, size_t n, const float *centroids, size_t k,
                          uint32_t *codes, qb_error *err);
/* dim = 1, by a plain scan of |x - c_j| in double (ties: lowest index): what the dim = 1 path of
 * kmeans_assign is tested against. */
void kmeans_assign_scan1d(const float *x, size_t n, size_t ld, const float *centroids, size_t k,
                          uint32_t *codes);

#endif
