/* scope.c - a dataset's grid, its usable cells and its rate-distortion curves. */
#include "scope.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "quantizer.h"

/* ---- the grid ---- */

static void add_ratio(scope *sc, double r) {
    size_t k = 0;
    while (k < sc->nr && sc->ratios[k] != r)
        k++;
    if (k == sc->nr && sc->nr < 256)
        sc->ratios[sc->nr++] = r;
}

static void add_subspaces(scope *sc, uint64_t m) {
    size_t k = 0;
    while (k < sc->nm && sc->ms[k] != m)
        k++;
    if (m && k == sc->nm && sc->nm < 64)
        sc->ms[sc->nm++] = m;
}

static void add_accounting(scope *sc, const char *acc) {
    size_t k = 0;
    while (k < sc->na && strcmp(sc->accs[k], acc))
        k++;
    if (k == sc->na && sc->na < 2)
        sc->accs[sc->na++] = acc;
}

static void sort_ratios(scope *sc) {
    for (size_t a = 1; a < sc->nr; a++)
        for (size_t b = a; b > 0 && sc->ratios[b - 1] > sc->ratios[b]; b--) {
            double tmp = sc->ratios[b];
            sc->ratios[b] = sc->ratios[b - 1];
            sc->ratios[b - 1] = tmp;
        }
}

scope scope_of(const result_table *t, const summary_group *g, size_t ng, const char *dataset,
               double margin) {
    scope sc = {t, g, ng, dataset, {0}, 0, {0}, 0, {NULL, NULL}, 0, log1p(margin)};
    for (size_t k = 0; k < ng; k++) {
        if (strcmp(g[k].dataset, dataset))
            continue;
        add_ratio(&sc, g[k].target_ratio);
        add_subspaces(&sc, g[k].subspaces);
        add_accounting(&sc, g[k].accounting);
    }
    sort_ratios(&sc);
    if (sc.na == 2 && strcmp(sc.accs[0], "full")) {
        const char *tmp = sc.accs[0];
        sc.accs[0] = sc.accs[1];
        sc.accs[1] = tmp;
    }
    return sc;
}

int accounting_counts_under(const char *accounting, const char *method, const char *acc) {
    return !strcmp(accounting, acc) || !method_uses(method, METHOD_STORES_IMAPS);
}

int scope_counts_under(const summary_group *x, const char *acc) {
    return accounting_counts_under(x->accounting, x->method, acc);
}

int scope_has(const scope *sc, const summary_group *x, const char *acc) {
    return !strcmp(x->dataset, sc->dataset) && scope_counts_under(x, acc);
}

/* ---- cells ---- */

static int row_ok(const result_row *r) {
    return !strcmp(r->status, RESULT_OK);
}

static int row_degenerate(const result_row *r) {
    return row_ok(r) && r->bits_codes == 0;
}

static int row_usable(const result_row *r) {
    return row_ok(r) && !row_degenerate(r) && r->mse > 0 && isfinite(r->mse);
}

const char *group_left_out(const scope *sc, const summary_group *x) {
    const char *why = NULL;
    for (size_t i = x->first; i < x->first + x->count; i++) {
        const result_row *r = &sc->t->rows[i];
        if (row_usable(r))
            return NULL;
        if (!why)
            why = row_degenerate(r) ? "degenerate" : row_ok(r) ? "zero MSE" : r->status;
    }
    return why ? why : "no cell";
}

unsigned group_seeds(const scope *sc, const summary_group *x) {
    unsigned m = 0;
    for (size_t i = x->first; i < x->first + x->count; i++)
        if (sc->t->rows[i].seed_index > m)
            m = sc->t->rows[i].seed_index;
    return m;
}

static const result_row *usable_at(const scope *sc, const summary_group *x, unsigned s) {
    for (size_t i = x->first; i < x->first + x->count; i++) {
        const result_row *r = &sc->t->rows[i];
        if (r->seed_index == s)
            return row_usable(r) ? r : NULL;
    }
    return NULL;
}

static double bits_per_element(const result_row *r) {
    return (double)r->bits_charged / ((double)r->n * (double)r->d);
}

const result_row *group_row_at(const scope *sc, const summary_group *x, unsigned s) {
    return usable_at(sc, x, s);
}

double group_log_mse_at(const scope *sc, const summary_group *x, unsigned s) {
    const result_row *r = usable_at(sc, x, s);
    return r ? log(r->mse) : NAN;
}

double group_bits_at(const scope *sc, const summary_group *x, unsigned s) {
    const result_row *r = usable_at(sc, x, s);
    return r ? bits_per_element(r) : NAN;
}

double group_log_mse_mean(const scope *sc, const summary_group *x) {
    double sum = 0;
    size_t n = 0;
    for (size_t i = x->first; i < x->first + x->count; i++)
        if (row_usable(&sc->t->rows[i])) {
            sum += log(sc->t->rows[i].mse);
            n++;
        }
    return n ? sum / (double)n : NAN;
}

double group_bits_mean(const scope *sc, const summary_group *x) {
    double sum = 0;
    size_t n = 0;
    for (size_t i = x->first; i < x->first + x->count; i++)
        if (row_usable(&sc->t->rows[i])) {
            sum += bits_per_element(&sc->t->rows[i]);
            n++;
        }
    return n ? sum / (double)n : NAN;
}

void group_name(char *out, size_t size, const summary_group *x) {
    int per_l = method_uses(x->method, METHOD_USES_ITERATIONS);
    if (per_l && x->subspaces)
        snprintf(out, size, "%s l=%u m=%llu", x->label, x->iterations,
                 (unsigned long long)x->subspaces);
    else if (x->subspaces)
        snprintf(out, size, "%s m=%llu", x->label, (unsigned long long)x->subspaces);
    else
        snprintf(out, size, "%s", x->label);
}

/* ---- curves ---- */

static int same_configuration(const summary_group *a, const summary_group *b) {
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->label, b->label) &&
           !strcmp(a->accounting, b->accounting) && a->subspaces == b->subspaces &&
           a->iterations == b->iterations;
}

rd_curve scope_curve_of(const scope *sc, const summary_group *x) {
    size_t i = (size_t)(x - sc->g), first = i, last = i;
    while (first > 0 && same_configuration(&sc->g[first - 1], x))
        first--;
    while (last + 1 < sc->ng && same_configuration(&sc->g[last + 1], x))
        last++;
    return (rd_curve){first, last - first + 1};
}

int scope_opens_curve(const scope *sc, const summary_group *x) {
    return scope_curve_of(sc, x).first == (size_t)(x - sc->g);
}

const summary_group *curve_at_ratio(const scope *sc, rd_curve c, double ratio) {
    for (size_t i = c.first; i < c.first + c.n; i++)
        if (sc->g[i].target_ratio == ratio)
            return &sc->g[i];
    return NULL;
}

int curve_usable(const scope *sc, rd_curve c) {
    for (size_t i = c.first; i < c.first + c.n; i++)
        if (!group_left_out(sc, &sc->g[i]))
            return 1;
    return 0;
}

/* The mean log MSE of the curve's usable points at exactly `bits` (seed s), NaN if none. */
static double mean_at_bits(const scope *sc, rd_curve c, unsigned s, double bits) {
    double sum = 0;
    size_t n = 0;
    for (size_t i = c.first; i < c.first + c.n; i++) {
        double b = group_bits_at(sc, &sc->g[i], s);
        if (b == bits) {
            sum += group_log_mse_at(sc, &sc->g[i], s);
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

rd_reading curve_read(const scope *sc, rd_curve c, unsigned s, double bits) {
    rd_reading none = {NAN, NAN, NAN};
    double below = -INFINITY, above = INFINITY;
    for (size_t i = c.first; i < c.first + c.n; i++) {
        double b = group_bits_at(sc, &sc->g[i], s);
        if (isnan(b))
            continue;
        if (b <= bits && b > below)
            below = b;
        if (b >= bits && b < above)
            above = b;
    }
    if (isinf(below) || isinf(above))
        return none;
    double y0 = mean_at_bits(sc, c, s, below);
    if (below == above)
        return (rd_reading){y0, below, above};
    double y1 = mean_at_bits(sc, c, s, above);
    return (rd_reading){y0 + (y1 - y0) * (bits - below) / (above - below), below, above};
}
