/* headline.h - the headline table: QET at the paper's m = 8 and l = 1..4, its MSE as a percentage
 * of the best baseline's, against each baseline set (baseline_sets.h) at equal bits and at the
 * same target ratio, with the bits of both sides. DIR/headline.md and DIR/headline.csv. */
#ifndef QB_HEADLINE_H
#define QB_HEADLINE_H

#include <stddef.h>

#include "error.h"
#include "results.h"
#include "summary.h"

/* t sorted, g its summary. */
int headline_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                   qb_error *err);

#endif
