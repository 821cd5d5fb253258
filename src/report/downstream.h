/* downstream.h - what the quantization error does downstream: the metrics measured beside MSE
 * (the recall of a search over the dequantized rows, a model's fidelity), in one table that
 * drives their figures (plot.c), their claims (claims.c) and DIR/downstream.md. A metric is one
 * row; a metric no row holds a value of draws nothing. */
#ifndef QB_DOWNSTREAM_H
#define QB_DOWNSTREAM_H

#include <stddef.h>

#include "results.h"
#include "stats.h"
#include "summary.h"

typedef struct {
    const char *column; /* results column */
    const char *label;  /* as figures and tables name it */
    int better;         /* +1: higher is better; -1: lower is better */
    int log_scale;      /* spans decades: geometric means, a log axis */
    size_t field;       /* offset of its double in result_row (NaN where not measured) */
} downstream_metric;

#define DOWNSTREAM_MAX 8

size_t downstream_count(void);
const downstream_metric *downstream_at(size_t i);

/* The metric in row r: NaN unless r is ok and holds a finite value of it. */
double downstream_value(const result_row *r, const downstream_metric *m);
/* Whether some row of `dataset` holds the metric. */
int downstream_measured(const result_table *t, const char *dataset, const downstream_metric *m);
/* Over g's rows: the mean with its 95% Student-t interval, or for log_scale metrics the geometric
 * mean with its interval on the log scale (center NaN without a value). */
stats_geo downstream_point(const result_table *t, const summary_group *g,
                           const downstream_metric *m);
/* Spearman's rank correlation of MSE and the metric over the ok cells of `dataset` counted under
 * `acc` (methods without indicator maps count under either), at one target ratio when `ratio` > 0,
 * else over all of them; *n: the cells used. */
double downstream_spearman(const result_table *t, const char *dataset, const char *acc,
                           double ratio, const downstream_metric *m, size_t *n);

/* DIR/downstream.md and DIR/downstream.csv: per dataset with a downstream metric, each
 * configuration's MSE and metrics by target ratio, and the rank correlations. No dataset with
 * one: neither file (an older one is removed). */
int downstream_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                     qb_error *err);

#endif
