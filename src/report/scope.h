/* scope.h - one dataset of a results table as the headline and claims tables read it: its grid
 * (ratios, m, accounting modes), the cells a comparison may use, and each configuration's
 * rate-distortion curve (log MSE against stored bits per element, seed by seed) read at given
 * bits.
 *
 * A configuration is a summary group without its target ratio: (dataset, label, accounting, m, l).
 * The groups are sorted (result_table_sort), so a configuration's groups are adjacent, one per
 * target ratio. A cell (one row) is usable by a comparison when it ran ("ok"), has a positive MSE
 * and stores codes: a cell with one centroid per subspace stores none (every row decodes to the
 * same vector) and is called degenerate. */
#ifndef QB_SCOPE_H
#define QB_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"
#include "summary.h"

typedef struct {
    const result_table *t;
    const summary_group *g;
    size_t ng;
    const char *dataset;
    double ratios[256]; /* ascending */
    size_t nr;
    uint64_t ms[64]; /* in the order the groups list them */
    size_t nm;
    const char *accs[2]; /* full first */
    size_t na;
    double margin; /* equivalence margin on the log MSE ratio: log(1 + relative margin) */
} scope;

/* The grid of `dataset`; margin is relative (0.05: +-5% MSE). */
scope scope_of(const result_table *t, const summary_group *g, size_t ng, const char *dataset,
               double margin);

/* Methods without indicator maps are stored once, under full accounting, and stand in either
 * accounting mode: whether a cell of `method` stored under `accounting` counts under acc. */
int accounting_counts_under(const char *accounting, const char *method, const char *acc);
/* The same for a summary group. */
int scope_counts_under(const summary_group *x, const char *acc);
/* x belongs to the scope's dataset and counts under acc (whatever its status). */
int scope_has(const scope *sc, const summary_group *x, const char *acc);

/* Why no cell of x is usable: "infeasible", "invalid" (or another status), "degenerate" when it ran
 * but stored no codes, "no error" for a zero or undefined MSE; NULL when some cell is usable. */
const char *group_left_out(const scope *sc, const summary_group *x);
/* The largest seed index among x's rows. */
unsigned group_seeds(const scope *sc, const summary_group *x);
/* At seed s: the log MSE and the charged bits per element (bits_charged / (n d)) of x's cell, NaN
 * unless that cell is usable. */
double group_log_mse_at(const scope *sc, const summary_group *x, unsigned s);
double group_bits_at(const scope *sc, const summary_group *x, unsigned s);
/* x's cell at seed s when it is usable, else NULL. */
const result_row *group_row_at(const scope *sc, const summary_group *x, unsigned s);
/* Over the usable cells: the mean log MSE (the log of the geometric mean), NaN if none. */
double group_log_mse_mean(const scope *sc, const summary_group *x);
double group_bits_mean(const scope *sc, const summary_group *x);

/* "LABEL", "LABEL m=M", "LABEL l=L m=M": a configuration as the tables name it. */
void group_name(char *out, size_t size, const summary_group *x);

/* A configuration: the groups g[first .. first + n), ascending in target ratio. */
typedef struct {
    size_t first, n;
} rd_curve;

rd_curve scope_curve_of(const scope *sc, const summary_group *x);
/* x is its configuration's first group: a loop over groups meets each configuration once there. */
int scope_opens_curve(const scope *sc, const summary_group *x);
/* The curve's group at a target ratio, NULL if it has none. */
const summary_group *curve_at_ratio(const scope *sc, rd_curve c, double ratio);
/* Whether any cell of the curve is usable. */
int curve_usable(const scope *sc, rd_curve c);

/* A curve read at `bits` at one seed: log MSE linear in bits between the nearest usable points at
 * or below and at or above (points at equal bits averaged); NaN when no point lies on one side:
 * never extrapolated. below / above: the bits of those two points (NaN when not spanned). */
typedef struct {
    double log_mse, below, above;
} rd_reading;

rd_reading curve_read(const scope *sc, rd_curve c, unsigned s, double bits);

#endif
