/* opq.h - optimized product quantization (Ge, He, Ke, Sun 2013): an orthogonal rotation R learned
 * by alternating PQ and Procrustes, then PQ of XR. The pieces are shared with LOPQ's per-cell
 * rotations (lopq.c).
 *
 * Rotations are d x d, row-major, applied to row vectors: y = x R, x = y R^T.
 *
 * Typical use (the `opq` method does this):
 *     float *r = malloc(d * d * sizeof *r);
 *     opq_identity(r, d);                                  // or opq_random_rotation
 *     opq_learn_rotation(&x, m, k, 20, &cfg, seed, cell, r, &err);
 *     opq_rotate(x.data, n, d, r, y);                     // then PQ on y */
#ifndef QB_OPQ_H
#define QB_OPQ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kmeans.h"
#include "matrix.h"

/* Where OPQ's rotation starts (quant_params.opq_init_random). */
enum { OPQ_INIT_IDENTITY = 0, OPQ_INIT_RANDOM = 1, OPQ_INIT_EIGEN = 2 };

/* Lloyd iterations per OPQ round after the first, warm-started from the previous round's
 * centroids (faiss's niter_pq uses the same number). */
#define OPQ_ROUND_KMEANS_ITERS 4

void opq_identity(float *r, size_t d);
/* Q of the QR decomposition of a d x d standard Gaussian matrix drawn from `seed_stream`. */
int opq_random_rotation(float *r, size_t d, uint64_t seed_stream, qb_error *err);

/* out = x R and out = y R^T, for n rows of d floats. */
void opq_rotate(const float *x, size_t n, size_t d, const float *r, float *out);
void opq_unrotate(const float *y, size_t n, size_t d, const float *r, float *out);

/* Orthogonal Procrustes: the R minimising ||X R - Y||_F, R = U V^T where X^T Y = U S V^T.
 * x, y: (n, d); r: (d, d) out. */
int opq_procrustes(const float *x, const float *y, size_t n, size_t d, float *r, qb_error *err);

/* Parametric OPQ (eigenvalue allocation): eigenvectors of the covariance z^T z / n (z assumed
 * centred) dealt to m subspaces of d/m columns, each next-largest eigenvalue going to the non-full
 * subspace with the smallest product of eigenvalues so far, so subspace variances balance.
 * z: (n, d); r: (d, d) out, column j = the eigenvector placed at rotated coordinate j. */
int opq_eigen_allocation(const float *z, size_t n, size_t d, size_t m, float *r, qb_error *err);

/* `rounds` alternations of (a) PQ of XR with m subspaces, k centroids and (b) the Procrustes update
 * of R from X and the PQ reconstruction. r: the initial rotation in, the learned one out. Round 0
 * runs k-means with `cfg`, later rounds OPQ_ROUND_KMEANS_ITERS warm-started Lloyd iterations.
 * Trains on at most k * cfg->max_points_per_centroid rows, sampled. Random streams derive from
 * (seed, cell, RNG_STREAM_ROTATION). rounds = 0 leaves r unchanged. Requires 1 <= k <= n. */
int opq_learn_rotation(const matrix *x, size_t m, size_t k, int rounds, const kmeans_config *cfg,
                       uint64_t seed, uint64_t cell, float *r, qb_error *err);

#endif
