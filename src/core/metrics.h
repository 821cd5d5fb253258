/* metrics.h - reconstruction error (MSE, MAE, MRE) and wall-clock timing. */
#ifndef QB_METRICS_H
#define QB_METRICS_H

#include <stddef.h>

#include "matrix.h"

/* Elements with |x| at or below this are left out of MRE (their relative error is undefined). */
#define MRE_MIN_ABS 1e-12

typedef struct {
    double mse, mae, mre;
    size_t mre_excluded; /* elements with |x| <= MRE_MIN_ABS */
} error_metrics;

/* Sums in double over fixed row blocks combined in order: identical for any thread count. */
error_metrics metrics_compare(const matrix *x, const matrix *y);
/* Monotonic seconds. */
double metrics_now(void);

#endif
