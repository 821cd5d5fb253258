/* synthetic.h - generated matrices: the paper's truncated normal with outliers (the default data
 * set) and plain Gaussians for the theorem and the property tests. Same seed, same bytes. */
#ifndef QB_SYNTHETIC_H
#define QB_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "matrix.h"

typedef struct {
    double mean, sd, lo, hi; /* normal(mean, sd) truncated to [lo, hi] */
    double outlier_rate;     /* each element independently, with this probability, ... */
    double outlier_abs;      /* ... is replaced by a uniform value in [-abs, abs] */
} synthetic_spec;

/* mean 0.5, sd 0.16 on [0, 1]; one element in 10,000 an outlier in [-100, 100] (paper §5.1). */
synthetic_spec synthetic_paper(void);

int synthetic_generate(matrix *out, size_t n, size_t d, const synthetic_spec *spec, uint64_t seed,
                       qb_error *err);
/* N(mu, sigma^2), no truncation, no outliers. */
int synthetic_gaussian(matrix *out, size_t n, size_t d, double mu, double sigma, uint64_t seed,
                       qb_error *err);

/* Low rank plus noise, correlated across columns: Z W + noise * E, with Z (n, rank) and E standard
 * Gaussian and W (rank, d) Gaussian of variance 1 / rank, so each column has variance 1 + noise^2.
 */
int synthetic_lowrank(matrix *out, size_t n, size_t d, size_t rank, double noise, uint64_t seed,
                      qb_error *err);

/* Rows are stationary AR(1) sequences along the columns: x_0 ~ N(0, 1),
 * x_j = rho x_{j-1} + sqrt(1 - rho^2) e_j, so every element is N(0, 1) and columns i, j correlate
 * as rho^|i - j| (neighbouring columns strongly, for rho near 1). |rho| < 1. */
int synthetic_ar1(matrix *out, size_t n, size_t d, double rho, uint64_t seed, qb_error *err);

#endif
