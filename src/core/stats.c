/* stats.c - statistics over seeds on GSL's t distribution. */
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

stats_moments stats_moments_of(const double *x, size_t n) {
    stats_moments m = {NAN, NAN, 0};
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            m.n++;
        }
    if (!m.n)
        return m;
    m.mean = sum / (double)m.n;
    if (m.n < 2)
        return m;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - m.mean) * (x[i] - m.mean);
    m.sd = sqrt(ss / (double)(m.n - 1));
    return m;
}

double stats_t_quantile(double p, size_t dof) {
    return dof ? gsl_cdf_tdist_Pinv(p, (double)dof) : NAN;
}

double stats_t_upper(double t, size_t dof) {
    if (!dof || isnan(t))
        return NAN;
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    return gsl_cdf_tdist_Q(t, (double)dof);
}

static double standard_error(stats_moments m) {
    return m.n >= 2 ? m.sd / sqrt((double)m.n) : NAN;
}

stats_geo stats_geo_of_logs(stats_moments m) {
    stats_geo g = {NAN, NAN, NAN, m.n};
    if (!m.n)
        return g;
    g.center = exp(m.mean);
    if (m.n >= 2) {
        double half = stats_t_quantile(0.975, m.n - 1) * standard_error(m);
        g.lo = exp(m.mean - half);
        g.hi = exp(m.mean + half);
    }
    return g;
}

stats_geo stats_geometric(const double *x, size_t n) {
    stats_geo none = {NAN, NAN, NAN, 0};
    double *logs = malloc((n + 1) * sizeof *logs);
    if (!logs)
        return none;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i]) && !(x[i] > 0)) {
            free(logs);
            return none;
        }
        logs[i] = log(x[i]); /* NaN stays NaN */
    }
    stats_geo g = stats_geo_of_logs(stats_moments_of(logs, n));
    free(logs);
    return g;
}

/* P(T > mean / se) for a sample with no spread: the sign of the mean decides. */
static double upper_without_spread(double mean) {
    return mean > 0 ? 0.0 : 1.0;
}

stats_test stats_directional(stats_moments m, int direction, double margin) {
    stats_test t = {m, NAN, NAN, 0};
    if (m.n < 2)
        return t;
    double d = direction * m.mean, se = standard_error(m);
    if (!(se > 0)) {
        t.p_for = upper_without_spread(d);
        t.p_against = upper_without_spread(-d);
        t.equivalent = fabs(m.mean) < margin;
        return t;
    }
    size_t dof = m.n - 1;
    t.p_for = stats_t_upper(d / se, dof);
    t.p_against = stats_t_upper(-d / se, dof);
    /* TOST: mean > -margin and mean < margin, each one-sided at 5%. */
    double p_low = stats_t_upper((m.mean + margin) / se, dof);
    double p_high = stats_t_upper((margin - m.mean) / se, dof);
    t.equivalent = p_low < 0.05 && p_high < 0.05;
    return t;
}

typedef struct {
    double p;
    size_t index;
} ranked_p;

static int by_p(const void *a, const void *b) {
    const ranked_p *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int stats_holm(const double *p, size_t n, double alpha, int *reject, qb_error *err) {
    ranked_p *r = malloc((n + 1) * sizeof *r);
    if (!r)
        return qb_oom(err);
    size_t family = 0;
    for (size_t i = 0; i < n; i++) {
        reject[i] = 0;
        if (!isnan(p[i]))
            r[family++] = (ranked_p){p[i], i};
    }
    qsort(r, family, sizeof *r, by_p);
    /* The k-th smallest p (k from 0) is tested at alpha / (family - k); the first that fails stops
     * the procedure. */
    for (size_t k = 0; k < family && r[k].p <= alpha / (double)(family - k); k++)
        reject[r[k].index] = 1;
    free(r);
    return QB_OK;
}

double stats_spearman(const double *x, const double *y, size_t n) {
    /* the complete pairs, then GSL's rank correlation (ties share their mean rank) */
    double *xs = malloc((n + 1) * sizeof *xs), *ys = malloc((n + 1) * sizeof *ys),
           *work = malloc((2 * n + 1) * sizeof *work);
    size_t m = 0;
    double rho = NAN;
    if (xs && ys && work) {
        for (size_t i = 0; i < n; i++)
            if (!isnan(x[i]) && !isnan(y[i])) {
                xs[m] = x[i];
                ys[m++] = y[i];
            }
        if (m >= 3)
            rho = gsl_stats_spearman(xs, 1, ys, 1, m, work);
    }
    free(xs);
    free(ys);
    free(work);
    return isfinite(rho) ? rho : NAN; /* a constant side has no ranks to correlate */
}
