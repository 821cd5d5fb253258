/* claims.h - the headline table (QET's MSE as a percentage of the best baseline's, l = 1..4 at
 * m = 8, against the PQ family and against all baselines) and the claims table (each claim of the
 * paper's §5 with the measured numbers and a verdict), regenerated from the results beside them.
 * The verdicts report what the data show; nothing here knows which answer the paper wants. */
#ifndef QB_CLAIMS_H
#define QB_CLAIMS_H

#include <stddef.h>

#include "results.h"
#include "summary.h"

/* Outcome of comparing two configurations seed by seed (paired 95% t-interval on the per-seed
 * difference of log MSE): -1 first significantly lower, +1 significantly higher, 0 neither. */
typedef struct {
    int sign;
    size_t pairs;
    double ratio;  /* exp(mean log(a / b)): the typical MSE ratio */
    double lo, hi; /* its 95% interval */
} claims_cmp;

claims_cmp claims_compare(const result_table *t, const summary_group *a, const summary_group *b);

/* DIR/headline.md, DIR/headline.csv and DIR/claims.md. t sorted, g its summary. */
int claims_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                 qb_error *err);

#endif
