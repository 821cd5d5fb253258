/* claims.h - the claims table: each claim of the paper's §5 with its comparisons graded for /
 * equivalent / against / unclear, at equal bits and at the same target ratio, the verdict they
 * give, the seeds it rests on, and what could not be compared. Regenerated from the results
 * beside it; nothing here knows which answer the paper wants. */
#ifndef QB_CLAIMS_H
#define QB_CLAIMS_H

#include <stddef.h>

#include "results.h"
#include "summary.h"

/* The relative equivalence margin by default: +-5% MSE. */
#define CLAIMS_DEFAULT_MARGIN 0.05

/* DIR/claims.md, DIR/claims.csv (the counts) and DIR/comparisons.csv (every comparison). t
 * sorted, g its summary; margin relative (0.05). */
int claims_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                 double margin, qb_error *err);

#endif
