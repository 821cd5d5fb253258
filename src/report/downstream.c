/* downstream.c - the table of downstream metrics, their values in results rows, and the
 * downstream tables (per configuration and ratio, and MSE's rank correlation with each). */
#include "downstream.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quantizer.h"
#include "save.h"
#include "scope.h"
#include "text.h"

#define FIELD(f) offsetof(result_row, f)
static const downstream_metric metrics[] = {
    {"recall10_at_10", "recall@10 (shared with the true top 10)", +1, 0, FIELD(recall10_at_10)},
    {"recall1_at_10", "1-recall@10 (true nearest in the first 10)", +1, 0, FIELD(recall1_at_10)},
    {"kl_mean", "mean KL divergence to fp32 (nats)", -1, 1, FIELD(kl_mean)},
    {"top1", "top-1 agreement with fp32", +1, 0, FIELD(top1)},
    {"ppl", "perplexity", -1, 1, FIELD(ppl)},
};
#define N_METRICS (sizeof metrics / sizeof *metrics)
_Static_assert(N_METRICS <= DOWNSTREAM_MAX, "DOWNSTREAM_MAX is smaller than the table");

size_t downstream_count(void) {
    return N_METRICS;
}

const downstream_metric *downstream_at(size_t i) {
    return i < N_METRICS ? &metrics[i] : NULL;
}

double downstream_value(const result_row *r, const downstream_metric *m) {
    if (strcmp(r->status, RESULT_OK))
        return NAN;
    double v;
    memcpy(&v, (const char *)r + m->field, sizeof v);
    return isfinite(v) ? v : NAN;
}

int downstream_measured(const result_table *t, const char *dataset, const downstream_metric *m) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].dataset, dataset) && !isnan(downstream_value(&t->rows[i], m)))
            return 1;
    return 0;
}

stats_geo downstream_point(const result_table *t, const summary_group *g,
                           const downstream_metric *m) {
    double *v = malloc((g->count + 1) * sizeof *v);
    stats_geo p = {NAN, NAN, NAN, 0};
    if (!v)
        return p;
    for (size_t i = 0; i < g->count; i++)
        v[i] = downstream_value(&t->rows[g->first + i], m);
    if (m->log_scale) {
        p = stats_geometric(v, g->count);
    } else {
        summary_stat s = summary_of(v, g->count);
        p = (stats_geo){s.mean, s.mean - s.half, s.mean + s.half, s.n};
    }
    free(v);
    return p;
}

double downstream_spearman(const result_table *t, const char *dataset, const char *acc,
                           double ratio, const downstream_metric *m, size_t *n) {
    double *x = malloc((t->n + 1) * sizeof *x), *y = malloc((t->n + 1) * sizeof *y);
    *n = 0;
    if (!x || !y) {
        free(x);
        free(y);
        return NAN;
    }
    for (size_t i = 0; i < t->n; i++) {
        const result_row *r = &t->rows[i];
        double v = downstream_value(r, m);
        if (strcmp(r->dataset, dataset) ||
            !accounting_counts_under(r->accounting, r->method, acc) || isnan(v) ||
            !isfinite(r->mse) || (ratio > 0 && r->target_ratio != ratio))
            continue;
        x[*n] = r->mse;
        y[(*n)++] = v;
    }
    double rho = stats_spearman(x, y, *n);
    free(x);
    free(y);
    return rho;
}

/* ---- DIR/downstream.md, .csv ---- */

static void put_point(text *md, stats_geo p) {
    if (isnan(p.center))
        text_printf(md, " — |");
    else if (isfinite(p.lo))
        text_printf(md, " %.4g [%.4g, %.4g] |", p.center, p.lo, p.hi);
    else
        text_printf(md, " %.4g |", p.center);
}

/* The rank correlations of one dataset under one accounting: over every cell, then per ratio. */
static void put_correlations(text *md, const result_table *t, const char *dataset, const char *acc,
                             const downstream_metric *m) {
    size_t n;
    double rho = downstream_spearman(t, dataset, acc, 0, m, &n);
    text_printf(md,
                "%s, %s accounting: Spearman ρ(MSE, %s) = %.3f over %zu cells; at each "
                "target ratio:",
                dataset, acc, m->column, rho, n);
    double seen[256];
    size_t ns = 0;
    for (size_t i = 0; i < t->n; i++) {
        const result_row *r = &t->rows[i];
        size_t k = 0;
        while (k < ns && seen[k] != r->target_ratio)
            k++;
        if (strcmp(r->dataset, dataset) || k < ns || ns == 256)
            continue;
        seen[ns++] = r->target_ratio;
        double rr = downstream_spearman(t, dataset, acc, r->target_ratio, m, &n);
        if (n)
            text_printf(md, " r=%g: %.3f (%zu)", r->target_ratio, rr, n);
    }
    text_printf(md, " (%s is better, so MSE carries to it where ρ is %s)\n\n",
                m->better > 0 ? "higher" : "lower", m->better > 0 ? "negative" : "positive");
}

int downstream_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                     qb_error *err) {
    text md = {0}, csv = {0};
    int any = 0;
    text_printf(&csv, "dataset,label,method,accounting,subspaces,iterations,target_ratio,seeds,"
                      "ratio_mean,mse_geomean,metric,value,lo95,hi95\n");
    for (size_t i = 0; i < t->n; i++) {
        const char *ds = t->rows[i].dataset;
        if (i && !strcmp(ds, t->rows[i - 1].dataset))
            continue; /* sorted: each dataset once */
        const downstream_metric *ms[DOWNSTREAM_MAX];
        size_t nm = 0;
        for (size_t k = 0; k < N_METRICS; k++)
            if (downstream_measured(t, ds, &metrics[k]))
                ms[nm++] = &metrics[k];
        if (!nm)
            continue;
        if (!any++)
            text_printf(&md, "# Downstream metrics, as measured\n\nRegenerated by `qetbench "
                             "plot` from results.csv (downstream.csv holds the same values). "
                             "Means over seeds with 95%% Student-t intervals; metrics marked "
                             "(log) and MSE as geometric means with the interval on the log "
                             "scale.\n");
        text_printf(&md,
                    "\n## %s\n\n| configuration | accounting | target ratio | achieved "
                    "ratio | seeds | MSE |",
                    ds);
        for (size_t k = 0; k < nm; k++)
            text_printf(&md, " %s%s |", ms[k]->column, ms[k]->log_scale ? " (log)" : "");
        text_printf(&md, "\n|---|---|---|---|---|---|");
        for (size_t k = 0; k < nm; k++)
            text_printf(&md, "---|");
        text_printf(&md, "\n");
        const char *accs[2] = {NULL, NULL};
        for (size_t j = 0; j < ng; j++) {
            const summary_group *x = &g[j];
            if (strcmp(x->dataset, ds) || !x->n_ok)
                continue;
            if (!accs[0] || (strcmp(accs[0], x->accounting) && !accs[1]))
                accs[accs[0] ? 1 : 0] = x->accounting;
            char name[96];
            group_name(name, sizeof name, x);
            text_printf(&md, "| %s | %s | %g | %.4g | %zu |", name, x->accounting, x->target_ratio,
                        x->ratio.mean, x->n_ok);
            put_point(&md, x->mse_geo);
            for (size_t k = 0; k < nm; k++) {
                stats_geo p = downstream_point(t, x, ms[k]);
                put_point(&md, p);
                if (isnan(p.center))
                    continue;
                text_printf(&csv,
                            "%s,%s,%s,%s,%llu,%u,%.17g,%zu,%.10g,%.10g,%s,%.10g,%.10g,%.10g\n", ds,
                            x->label, x->method, x->accounting, (unsigned long long)x->subspaces,
                            x->iterations, x->target_ratio, p.n, x->ratio.mean, x->mse_geo.center,
                            ms[k]->column, p.center, p.lo, p.hi);
            }
            text_printf(&md, "\n");
        }
        text_printf(&md, "\nMSE against each metric, ranked over the cells (each seed's cell one "
                         "point):\n\n");
        for (size_t a = 0; a < 2 && accs[a]; a++)
            for (size_t k = 0; k < nm; k++)
                put_correlations(&md, t, ds, accs[a], ms[k]);
    }
    int s = QB_OK;
    char path[4200];
    if (!any) {
        static const char *const names[] = {"downstream.md", "downstream.csv"};
        for (size_t k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            unlink(path);
        }
    } else {
        s = report_save(dir, "downstream.md", &md, err);
        if (!s)
            s = report_save(dir, "downstream.csv", &csv, err);
    }
    text_free(&md);
    text_free(&csv);
    return s;
}
