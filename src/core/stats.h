/* stats.h - the statistics over seeds that the summary, the figures and the claims share: Student-t
 * quantiles and tail probabilities, geometric means with intervals computed on the log scale,
 * one-sided and equivalence (TOST) tests on a sample of paired differences, and Holm's step-down
 * correction. NaNs in a sample are skipped everywhere: they are the seeds without a value. */
#ifndef QB_STATS_H
#define QB_STATS_H

#include <stddef.h>

#include "error.h"

/* Mean and sample standard deviation (n - 1) of the non-NaN values; sd NaN when n < 2. */
typedef struct {
    double mean, sd;
    size_t n;
} stats_moments;

stats_moments stats_moments_of(const double *x, size_t n);

/* The p quantile of Student's t with dof degrees of freedom; NaN for dof 0. */
double stats_t_quantile(double p, size_t dof);
/* P(T > t) for Student's t with dof degrees of freedom (t may be +-infinity); NaN for dof 0. */
double stats_t_upper(double t, size_t dof);

/* A positive quantity summarised on the log scale: exp(mean log x) and the 95% Student-t interval
 * of the mean log transformed back, so lo <= center <= hi and the interval is asymmetric. */
typedef struct {
    double center, lo, hi; /* lo, hi NaN with fewer than two values */
    size_t n;
} stats_geo;

/* Of the non-NaN values of x; all NaN (n = 0) when any of them is not positive, since its log is
 * undefined. */
stats_geo stats_geometric(const double *x, size_t n);
/* The same from the moments of values that are already logs. */
stats_geo stats_geo_of_logs(stats_moments m);

/* A directional test of a sample of per-seed differences d (e.g. log MSE ratios) whose claim says
 * direction * mean(d) > 0: the one-sided p-values for and against it, and whether TOST at
 * +-margin shows the mean inside the margin (both one-sided tests at 5%, i.e. the 90% interval
 * within (-margin, margin)). With no spread (sd 0) the mean decides: p is 0 or 1, and the
 * equivalence holds when |mean| < margin. */
typedef struct {
    stats_moments m;
    double p_for, p_against; /* NaN when n < 2 */
    int equivalent;
} stats_test;

stats_test stats_directional(stats_moments m, int direction, double margin);

/* Spearman's rank correlation of the pairs (x[i], y[i]) where neither is NaN: Pearson's on their
 * ranks, ties given their mean rank. NaN with fewer than 3 pairs or a constant side. */
double stats_spearman(const double *x, const double *y, size_t n);

/* Holm's step-down procedure at family-wise level alpha: reject[i] = 1 for the hypotheses it
 * rejects. NaN p-values are never rejected and do not count in the family. */
int stats_holm(const double *p, size_t n, double alpha, int *reject, qb_error *err);

#endif
