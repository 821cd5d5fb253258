/* metrics.c - error metrics and timing. */
#include "metrics.h"
#include "parallel.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#define BLOCK 256 /* rows per partial sum */

error_metrics metrics_compare(const matrix *x, const matrix *y) {
    size_t n = x->rows, d = x->cols, nb = (n + BLOCK - 1) / BLOCK;
    double *part = calloc(nb * 3, sizeof *part);
    size_t *excl = calloc(nb, sizeof *excl);
    error_metrics m = {0};
    if (!part || !excl) {
        free(part);
        free(excl);
        m.mse = m.mae = m.mre = NAN;
        return m;
    }
#pragma omp parallel for schedule(static) if (par_worth(n * d))
    for (size_t b = 0; b < nb; b++) {
        double se = 0, ae = 0, re = 0;
        size_t ex = 0;
        size_t end = (b + 1) * BLOCK < n ? (b + 1) * BLOCK : n;
        for (size_t i = b * BLOCK * d; i < end * d; i++) {
            double xv = x->data[i], e = xv - (double)y->data[i];
            se += e * e;
            ae += fabs(e);
            if (fabs(xv) > MRE_MIN_ABS)
                re += fabs(e) / fabs(xv);
            else
                ex++;
        }
        part[3 * b] = se;
        part[3 * b + 1] = ae;
        part[3 * b + 2] = re;
        excl[b] = ex;
    }
    double se = 0, ae = 0, re = 0;
    for (size_t b = 0; b < nb; b++) {
        se += part[3 * b];
        ae += part[3 * b + 1];
        re += part[3 * b + 2];
        m.mre_excluded += excl[b];
    }
    double total = (double)n * (double)d;
    m.mse = se / total;
    m.mae = ae / total;
    m.mre = total > (double)m.mre_excluded ? re / (total - (double)m.mre_excluded) : NAN;
    free(part);
    free(excl);
    return m;
}

double metrics_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
