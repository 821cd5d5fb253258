/* theorem.h - the paper's variance theorem (§4) checked three ways: closed forms, GSL quadrature
 * over the density of order statistics, and Monte Carlo with GSL streams; extended to every block
 * after l levels of QET pairing, for the normal, the paper's truncated normal and a heavy-tailed
 * Student t.
 *
 * After l levels a row of 2^l independent values holds one value per block. Block b's path is read
 * from its bits, most significant first: bit k (level k) is 0 for the min side S, 1 for the max
 * side L, matching the reorder's order [S | L] -> [SS | SL | LS | LL]. The two values paired at
 * every level come from disjoint sets of originals, hence are independent, so the block's CDF is
 * the composition of F_min = 1 - (1 - F)^2 and F_max = F^2 along its path.
 *
 * Typical use:
 *     theorem_dist d = theorem_normal(0, 1);
 *     theorem_moments q;  theorem_block_quad(&d, 2, 3, &q, &err);    // block LL after 2 levels
 *     theorem_mc r;       theorem_mc_run(&d, 2, 1000000, seed, &r, &err); */
#ifndef QB_THEOREM_H
#define QB_THEOREM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define THEOREM_MAX_LEVELS 4
#define THEOREM_MAX_BLOCKS (1u << THEOREM_MAX_LEVELS)

typedef enum { THEOREM_NORMAL, THEOREM_TRUNCNORMAL, THEOREM_STUDENT_T } theorem_family;

typedef struct {
    theorem_family family;
    double mu, sigma; /* location, scale (for the truncated normal: of the untruncated normal) */
    double lo, hi;    /* truncation interval (truncated normal only) */
    double nu;        /* degrees of freedom (Student t only) */
    char name[32];    /* "normal", "truncnormal", "t3": names the Monte Carlo streams too */
} theorem_dist;

theorem_dist theorem_normal(double mu, double sigma);
/* The paper's synthetic distribution without outliers: N(0.5, 0.16^2) truncated to [0, 1]. */
theorem_dist theorem_truncnormal_paper(void);
/* Student t with nu degrees of freedom, location 0, scale 1. */
theorem_dist theorem_student_t(double nu);

/* Tail index: moments of order p are finite for p < tail_index (infinity for the normals). */
double theorem_tail_index(const theorem_dist *d);
/* Whether block `block` after `levels` levels has a finite fourth moment: a Monte Carlo standard
 * error of its variance means something only then. Min keeps the lower tail's index and doubles
 * the upper's; max the reverse. */
int theorem_block_fourth_moment_finite(const theorem_dist *d, unsigned levels, unsigned block);

/* Density and CDF of the base distribution and of a block after `levels` levels. */
double theorem_pdf(const theorem_dist *d, double x);
double theorem_block_pdf(const theorem_dist *d, unsigned levels, unsigned block, double x);
double theorem_block_cdf(const theorem_dist *d, unsigned levels, unsigned block, double x);

/* Closed forms for X1, X2 iid N(mu, sigma^2). */
typedef struct {
    double mean_max, var_max, mean_min, var_min, cov_min_max;
} theorem_pair_moments;
theorem_pair_moments theorem_closed_form(double mu, double sigma);
/* The same five moments by quadrature for any distribution: the marginals over the block
 * densities, and E[min max] as the double integral of 2 x y f(x) f(y) over x < y. */
int theorem_pair_quad(const theorem_dist *d, theorem_pair_moments *out, qb_error *err);

typedef struct {
    double mean, var;
} theorem_moments;
/* Mean and variance of block `block` after `levels` (0 = the base distribution) by GSL adaptive
 * quadrature (qagi on the line, qags on a truncation interval). */
int theorem_block_quad(const theorem_dist *d, unsigned levels, unsigned block, theorem_moments *out,
                       qb_error *err);
/* Average over the 2^levels blocks of Var(block) / Var(X), by quadrature. */
int theorem_fraction_quad(const theorem_dist *d, unsigned levels, double *fraction, qb_error *err);

/* One block's Monte Carlo estimates. Standard errors: of the mean s/sqrt(N), of the variance
 * sqrt((m4 - s^4) / N) (delta method, meaningful only if fourth_moment_finite). */
typedef struct {
    double mean, mean_se, var, var_se;
    int fourth_moment_finite;
} theorem_mc_block;

typedef struct {
    unsigned levels;
    uint64_t samples;                            /* rows of 2^levels values */
    theorem_mc_block blocks[THEOREM_MAX_BLOCKS]; /* (2^levels) */
    double base_var;                             /* Var(X) from all the values drawn */
    /* Average variance fraction and, at l = 1, Cov(min, max): ratio / cross estimators whose
     * standard errors come from batch means over THEOREM_MC_BATCHES fixed chunks (blocks of one
     * row are dependent, so per-block errors do not add up). */
    double fraction, fraction_se;
    double cov, cov_se; /* l = 1 only, else 0 */
} theorem_mc;

#define THEOREM_MC_BATCHES 64
/* Batch means of ratio estimators need chunks far from tiny: at least 100 rows each. */
#define THEOREM_MC_MIN_SAMPLES (100 * THEOREM_MC_BATCHES)
/* Student t quantile for 95% two-sided intervals from the batch means (63 degrees of freedom). */
double theorem_batch_t95(void);

/* Draws `samples` rows of 2^levels iid values, pairs them with its own scalar tournament (an
 * implementation independent of src/qet.c, which tests compare against it), and estimates every
 * block. Deterministic for (dist, levels, samples, seed) whatever the thread count: fixed chunks,
 * one stream each, combined in order. samples >= THEOREM_MC_MIN_SAMPLES. */
int theorem_mc_run(const theorem_dist *d, unsigned levels, uint64_t samples, uint64_t seed,
                   theorem_mc *out, qb_error *err);

/* The pairing itself, in place on a row of 2^levels values: after it, v[b] is block b's value. */
void theorem_tournament(double *v, unsigned levels);

/* Histogram density of max(X1, X2) from `samples` pairs: density[i] over [lo + i w, lo + (i+1) w),
 * w = (hi - lo) / bins, normalised by all samples (mass outside [lo, hi) is dropped). */
int theorem_max_histogram(const theorem_dist *d, uint64_t samples, uint64_t seed, double lo,
                          double hi, size_t bins, double *density, qb_error *err);

/* "S", "L", "SL", ...: block `block`'s path after `levels` levels; buf holds levels + 1 bytes. */
void theorem_block_path(unsigned levels, unsigned block, char *buf);

#endif
