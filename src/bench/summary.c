/* summary.c - statistics over seeds (stats.h holds the distributions). */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantizer.h"

double summary_t95(size_t dof) {
    return stats_t_quantile(0.975, dof);
}

summary_stat summary_of(const double *x, size_t n) {
    summary_stat s = {NAN, NAN, 0};
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            s.n++;
        }
    if (!s.n)
        return s;
    s.mean = sum / (double)s.n;
    if (s.n < 2)
        return s;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - s.mean) * (x[i] - s.mean);
    s.half = summary_t95(s.n - 1) * sqrt(ss / (double)(s.n - 1) / (double)s.n);
    return s;
}

static double bits_per_element(const result_row *r) {
    return r->n && r->d ? (double)r->bits_charged / ((double)r->n * (double)r->d) : NAN;
}

static int same_config(const result_row *a, const result_row *b) {
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->label, b->label) &&
           !strcmp(a->accounting, b->accounting) && a->subspaces == b->subspaces &&
           a->iterations == b->iterations && a->target_ratio == b->target_ratio;
}

int summary_build(const result_table *t, summary_group **groups, size_t *n, qb_error *err) {
    *groups = NULL;
    *n = 0;
    summary_group *g = calloc(t->n + 1, sizeof *g);
    double *v = malloc((t->n + 1) * sizeof *v);
    if (!g || !v) {
        free(g);
        free(v);
        return qb_oom(err);
    }
    size_t ng = 0;
    for (size_t i = 0; i < t->n;) {
        /* A row is always in its own group, even one same_config cannot match with itself (a NaN
         * ratio): starting at i, the loop once never advanced and wrote past g. */
        size_t j = i + 1;
        while (j < t->n && same_config(&t->rows[i], &t->rows[j]))
            j++;
        summary_group *s = &g[ng++];
        const result_row *r0 = &t->rows[i];
        snprintf(s->dataset, sizeof s->dataset, "%s", r0->dataset);
        snprintf(s->label, sizeof s->label, "%s", r0->label);
        snprintf(s->method, sizeof s->method, "%s", r0->method);
        snprintf(s->accounting, sizeof s->accounting, "%s", r0->accounting);
        s->subspaces = r0->subspaces;
        s->iterations = r0->iterations;
        s->target_ratio = r0->target_ratio;
        s->first = i;
        s->count = j - i;
        snprintf(s->status, sizeof s->status, "%s", r0->status);
        for (size_t k = i; k < j; k++)
            if (!strcmp(t->rows[k].status, RESULT_OK)) {
                s->n_ok++;
                snprintf(s->status, sizeof s->status, "%s", RESULT_OK);
            }
#define STAT(field, expr)                                                                          \
    do {                                                                                           \
        for (size_t k = i; k < j; k++) {                                                           \
            const result_row *r = &t->rows[k];                                                     \
            v[k - i] = strcmp(r->status, RESULT_OK) ? NAN : (double)(expr);                        \
        }                                                                                          \
        s->field = summary_of(v, j - i);                                                           \
    } while (0)
#define GEO(field, expr)                                                                           \
    do {                                                                                           \
        for (size_t k = i; k < j; k++) {                                                           \
            const result_row *r = &t->rows[k];                                                     \
            v[k - i] = strcmp(r->status, RESULT_OK) ? NAN : (double)(expr);                        \
        }                                                                                          \
        s->field = stats_geometric(v, j - i);                                                      \
    } while (0)
        STAT(ratio, r->ratio);
        STAT(ks,
             method_uses(r->method, METHOD_USES_SUBSPACES) ? (double)r->ks : (double)r->rtn_bits);
        STAT(mse, r->mse);
        STAT(mae, r->mae);
        STAT(mre, r->mre);
        STAT(seconds_quantize, r->seconds_quantize);
        STAT(seconds_dequantize, r->seconds_dequantize);
        STAT(qtr, r->qtr);
        STAT(dtr, r->dtr);
        STAT(bits, bits_per_element(r));
        GEO(mse_geo, r->mse);
        GEO(mae_geo, r->mae);
        GEO(mre_geo, r->mre);
#undef STAT
#undef GEO
        i = j;
    }
    free(v);
    *groups = g;
    *n = ng;
    return QB_OK;
}

static size_t put_stat(char *buf, size_t len, summary_stat s) {
    return (size_t)snprintf(buf, len, ",%.10g,%.10g", s.mean, s.half);
}

static size_t put_geo(char *buf, size_t len, stats_geo g) {
    return (size_t)snprintf(buf, len, ",%.10g,%.10g,%.10g", g.center, g.lo, g.hi);
}

int summary_write(const char *dir, const result_table *t, qb_error *err) {
    summary_group *g;
    size_t n;
    int s = summary_build(t, &g, &n, err);
    if (s)
        return s;
    size_t cap = 1024 * (n + 2), at = 0;
    char *text = malloc(cap);
    if (!text) {
        free(g);
        return qb_oom(err);
    }
    at += (size_t)snprintf(
        text, cap,
        "dataset,label,method,accounting,subspaces,iterations,target_ratio,status,seeds,rows,"
        "ratio_mean,ratio_ci95,bits_per_element_mean,ks_or_bits_mean,ks_or_bits_ci95,mse_mean,"
        "mse_ci95,mse_geomean,mse_geo_lo95,mse_geo_hi95,mae_mean,mae_ci95,mae_geomean,mae_geo_lo95,"
        "mae_geo_hi95,mre_mean,mre_ci95,mre_geomean,mre_geo_lo95,mre_geo_hi95,"
        "seconds_quantize_mean,seconds_quantize_ci95,"
        "seconds_dequantize_mean,seconds_dequantize_ci95,qtr_mean,qtr_ci95,dtr_mean,dtr_ci95\n");
    for (size_t i = 0; i < n; i++) {
        const summary_group *x = &g[i];
        at += (size_t)snprintf(text + at, cap - at, "%s,%s,%s,%s,%llu,%u,%.17g,%s,%zu,%zu",
                               x->dataset, x->label, x->method, x->accounting,
                               (unsigned long long)x->subspaces, x->iterations, x->target_ratio,
                               x->status, x->n_ok, x->count);
        at += put_stat(text + at, cap - at, x->ratio);
        at += (size_t)snprintf(text + at, cap - at, ",%.10g", x->bits.mean);
        at += put_stat(text + at, cap - at, x->ks);
        at += put_stat(text + at, cap - at, x->mse);
        at += put_geo(text + at, cap - at, x->mse_geo);
        at += put_stat(text + at, cap - at, x->mae);
        at += put_geo(text + at, cap - at, x->mae_geo);
        at += put_stat(text + at, cap - at, x->mre);
        at += put_geo(text + at, cap - at, x->mre_geo);
        const summary_stat *times[] = {&x->seconds_quantize, &x->seconds_dequantize, &x->qtr,
                                       &x->dtr};
        for (size_t k = 0; k < sizeof times / sizeof *times; k++)
            at += put_stat(text + at, cap - at, *times[k]);
        at += (size_t)snprintf(text + at, cap - at, "\n");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    s = results_write_text(path, text, at, err);
    free(text);
    free(g);
    return s;
}

const summary_group *summary_find(const summary_group *g, size_t n, const char *dataset,
                                  const char *label, const char *accounting, uint64_t m, unsigned l,
                                  double ratio) {
    for (size_t i = 0; i < n; i++) {
        const summary_group *x = &g[i];
        if (strcmp(x->dataset, dataset) || strcmp(x->label, label) || x->target_ratio != ratio ||
            x->iterations != l || (x->subspaces && x->subspaces != m))
            continue;
        if (strcmp(x->accounting, accounting) && method_uses(x->method, METHOD_STORES_IMAPS))
            continue;
        return x;
    }
    return NULL;
}
