/* compare.h - one comparison of a claim, seed by seed, and how a claim's comparisons are graded.
 *
 * A comparison puts a point (one configuration at one target ratio) against a rival
 * configuration, paired by seed (the same matrix), on the log of their MSE ratio:
 *   - at equal bits: the rival's rate-distortion curve read at the point's achieved bits per
 *     element (scope.h: interpolated, never extrapolated; a rival that does not span them is
 *     not compared);
 *   - at the same target ratio: the rival's cell at that ratio, whatever bits it achieved.
 * Graded (compare_grade) for the claim's direction: "for" when the one-sided t-test in the
 * claim's direction is significant at 5%; "equivalent" when TOST shows the ratio within the margin
 * (checked first, so tiny effects are never for or against); "against" when the one-sided test
 * against the claim survives Holm-Bonferroni over the claim's comparisons at 5% family-wise;
 * "unclear" otherwise, and always with fewer than two seeds. */
#ifndef QB_COMPARE_H
#define QB_COMPARE_H

#include <stddef.h>

#include "error.h"
#include "scope.h"
#include "stats.h"
#include "text.h"

typedef enum {
    GRADE_FOR = 0,
    GRADE_EQUIVALENT = 1,
    GRADE_AGAINST = 2,
    GRADE_UNCLEAR = 3,
    GRADES = 4,
} grade;

extern const char *const grade_names[GRADES]; /* "for", "equivalent", "against", "unclear" */

/* What a claim says of a pair: the MSE ratio (point over rival when point_on_top, else rival
 * over point) is above (direction +1) or below (-1) `reference` (1 for "better", or the paper's
 * percentage / 100). */
typedef struct {
    const summary_group *point;
    int point_on_top;
    int direction;
    double reference;
} claim_pair;

typedef struct {
    const summary_group *point;
    char what[160];    /* the pair, for the reader */
    stats_test test;   /* of the per-seed log(ratio / reference) */
    stats_geo ratio;   /* the MSE ratio: geometric mean over seeds, 95% interval */
    double bits_point; /* the point's achieved bits per element (mean over its seeds) */
    double bits_lo;    /* the rival's: at the same ratio its achieved bits (lo = hi); at equal */
    double bits_hi;    /* bits the lowest and highest of the points read (the span used) */
    grade grade;
} comparison;

/* Equal bits: 1 and *c filled when the rival curve spans the point's bits at some seed, 0 when
 * it does not (not compared), -1 out of memory. */
int compare_at_bits(const scope *sc, claim_pair p, rd_curve rival, comparison *c);
/* Same target ratio: 1 when some seed has both cells, 0 when none, -1 out of memory. */
int compare_same_ratio(const scope *sc, claim_pair p, const summary_group *rival, comparison *c);
/* A comparison from per-seed log ratios already computed (NaN: no value at that seed); 0 when
 * there is none. */
int compare_values(const scope *sc, const double *log_ratio, size_t n, int direction,
                   double reference, comparison *c);

/* A claim's comparisons under one basis. */
typedef struct {
    comparison *items;
    size_t n, cap;
    int failed; /* out of memory: the list is incomplete */
} comparison_list;

void comparisons_add(comparison_list *l, const comparison *c);
void comparisons_free(comparison_list *l);
/* Grades every comparison: the for / equivalent tests, then Holm on the "against" side. */
int comparisons_grade(comparison_list *l, qb_error *err);

typedef struct {
    size_t n, count[GRADES];
    size_t min_seeds, max_seeds;
    double lo_ratio, hi_ratio; /* range of the geometric-mean ratios */
} grade_counts;

grade_counts comparisons_count(const comparison_list *l);

/* "holds" (every comparison for), "holds or equivalent" (each for or equivalent, some of both),
 * "equivalent" (every one), "does not hold" (any against), "unclear" (otherwise), "not measured"
 * (no comparison). */
const char *verdict_of(const grade_counts *c);
/* The rule above and the grading, as the preamble of a table states it. */
void verdict_rule(text *out, double margin_percent);

/* Seeds below which a verdict is flagged. */
#define VERDICT_MIN_SEEDS 10

/* "0.987 [0.981, 0.993]": a geometric-mean ratio (times `scale`) and its interval. */
void put_ratio(text *out, stats_geo r, double scale, const char *unit);

#endif
