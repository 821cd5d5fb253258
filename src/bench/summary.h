/* summary.h - per-configuration statistics over seeds from a results table: the mean with its 95%
 * Student-t interval, and for the error metrics the geometric mean with the interval computed on
 * their logs (asymmetric), written to DIR/summary.csv and used by the figures and the claims. */
#ifndef QB_SUMMARY_H
#define QB_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"
#include "stats.h"

typedef struct {
    double mean, half; /* half-width of the 95% interval; NaN with fewer than two values */
    size_t n;
} summary_stat;

/* One configuration: every row that differs only in its seed. */
typedef struct {
    char dataset[64], label[64], method[16], accounting[16];
    uint64_t subspaces;
    unsigned iterations;
    double target_ratio;
    size_t first, count; /* its rows in the (sorted) table */
    size_t n_ok;         /* rows with status ok */
    char status[16];     /* ok when any row is, else the first row's status */
    summary_stat ratio, ks, mse, mae, mre, seconds_quantize, seconds_dequantize, qtr, dtr;
    summary_stat bits;                   /* charged bits per element: bits_charged / (n d) */
    stats_geo mse_geo, mae_geo, mre_geo; /* errors span decades: their spread is on the log scale */
} summary_group;

/* Mean and 95% interval half-width (t quantile with n - 1 degrees of freedom); NaNs skipped. */
summary_stat summary_of(const double *x, size_t n);
/* Two-sided 95% Student-t quantile for `dof` degrees of freedom. */
double summary_t95(size_t dof);

/* Groups of a table sorted by result_table_sort. *groups is malloc'ed. */
int summary_build(const result_table *t, summary_group **groups, size_t *n, qb_error *err);
/* DIR/summary.csv, atomically. */
int summary_write(const char *dir, const result_table *t, qb_error *err);

/* The summary group of (dataset, label, m, l, ratio) under an accounting mode. Methods without
 * indicator maps are stored once under "full" and match either mode; rtn (m = 0) matches any m. */
const summary_group *summary_find(const summary_group *g, size_t n, const char *dataset,
                                  const char *label, const char *accounting, uint64_t m, unsigned l,
                                  double ratio);

#endif
