/* compare.c - paired comparisons on the log scale, their grades and a claim's verdict. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const grade_names[GRADES] = {"for", "equivalent", "against", "unclear"};

/* Family-wise level of the "against" side and level of each one-sided and TOST test. */
static const double alpha = 0.05;

int compare_values(const scope *sc, const double *log_ratio, size_t n, int direction,
                   double reference, comparison *c) {
    stats_moments m = stats_moments_of(log_ratio, n);
    if (!m.n)
        return 0;
    c->ratio = stats_geo_of_logs(m);
    stats_moments shifted = m; /* the test is of log(ratio / reference) */
    shifted.mean -= log(reference);
    c->test = stats_directional(shifted, direction, sc->margin);
    c->grade = GRADE_UNCLEAR;
    c->what[0] = 0;
    return 1;
}

/* The per-seed log ratio as the pair states it, from the point's and the rival's log MSE. */
static double pair_log_ratio(claim_pair p, double point, double rival) {
    return p.point_on_top ? point - rival : rival - point;
}

int compare_at_bits(const scope *sc, claim_pair p, rd_curve rival, comparison *c) {
    unsigned seeds = group_seeds(sc, p.point);
    double *v = malloc((seeds + 1) * sizeof *v), bits_sum = 0;
    if (!v)
        return -1;
    size_t used = 0;
    c->bits_lo = INFINITY;
    c->bits_hi = -INFINITY;
    for (unsigned s = 1; s <= seeds; s++) {
        double bits = group_bits_at(sc, p.point, s), y = group_log_mse_at(sc, p.point, s);
        rd_reading r = isnan(y) ? (rd_reading){NAN, NAN, NAN} : curve_read(sc, rival, s, bits);
        v[s - 1] = isnan(r.log_mse) ? NAN : pair_log_ratio(p, y, r.log_mse);
        if (isnan(v[s - 1]))
            continue;
        used++;
        bits_sum += bits;
        c->bits_lo = fmin(c->bits_lo, r.below);
        c->bits_hi = fmax(c->bits_hi, r.above);
    }
    c->bits_point = used ? bits_sum / (double)used : NAN;
    c->point = p.point;
    int found = compare_values(sc, v, seeds, p.direction, p.reference, c);
    free(v);
    return found;
}

int compare_same_ratio(const scope *sc, claim_pair p, const summary_group *rival, comparison *c) {
    unsigned seeds = group_seeds(sc, p.point);
    double *v = malloc((seeds + 1) * sizeof *v);
    if (!v)
        return -1;
    for (unsigned s = 1; s <= seeds; s++) {
        double y = group_log_mse_at(sc, p.point, s), z = group_log_mse_at(sc, rival, s);
        v[s - 1] = isnan(y) || isnan(z) ? NAN : pair_log_ratio(p, y, z);
    }
    c->bits_point = group_bits_mean(sc, p.point);
    c->bits_lo = c->bits_hi = group_bits_mean(sc, rival);
    c->point = p.point;
    int found = compare_values(sc, v, seeds, p.direction, p.reference, c);
    free(v);
    return found;
}

/* ---- a claim's list ---- */

void comparisons_add(comparison_list *l, const comparison *c) {
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        comparison *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            l->failed = 1;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *c;
}

void comparisons_free(comparison_list *l) {
    free(l->items);
    *l = (comparison_list){0};
}

int comparisons_grade(comparison_list *l, qb_error *err) {
    if (l->failed)
        return qb_oom(err);
    double *p = malloc((l->n + 1) * sizeof *p);
    int *against = malloc((l->n + 1) * sizeof *against);
    int s = p && against ? QB_OK : qb_oom(err);
    for (size_t i = 0; !s && i < l->n; i++)
        p[i] = l->items[i].test.p_against;
    if (!s)
        s = stats_holm(p, l->n, alpha, against, err);
    for (size_t i = 0; !s && i < l->n; i++) {
        comparison *c = &l->items[i];
        c->grade = c->test.equivalent      ? GRADE_EQUIVALENT
                   : c->test.p_for < alpha ? GRADE_FOR
                   : against[i]            ? GRADE_AGAINST
                                           : GRADE_UNCLEAR;
    }
    free(p);
    free(against);
    return s;
}

grade_counts comparisons_count(const comparison_list *l) {
    grade_counts c = {0, {0}, 0, 0, NAN, NAN};
    for (size_t i = 0; i < l->n; i++) {
        const comparison *x = &l->items[i];
        c.count[x->grade]++;
        if (!c.n || x->test.m.n < c.min_seeds)
            c.min_seeds = x->test.m.n;
        if (x->test.m.n > c.max_seeds)
            c.max_seeds = x->test.m.n;
        if (!c.n || x->ratio.center < c.lo_ratio)
            c.lo_ratio = x->ratio.center;
        if (!c.n || x->ratio.center > c.hi_ratio)
            c.hi_ratio = x->ratio.center;
        c.n++;
    }
    return c;
}

const char *verdict_of(const grade_counts *c) {
    if (!c->n)
        return "not measured";
    if (c->count[GRADE_AGAINST])
        return "does not hold";
    if (c->count[GRADE_FOR] == c->n)
        return "holds";
    if (c->count[GRADE_EQUIVALENT] == c->n)
        return "equivalent";
    if (c->count[GRADE_FOR] + c->count[GRADE_EQUIVALENT] == c->n)
        return "holds or equivalent";
    return "unclear";
}

void verdict_rule(text *out, double margin_percent) {
    text_printf(
        out,
        "Each comparison is paired by seed (the same matrix) on the log of an MSE ratio and graded "
        "in the claim's direction: **for** when a one-sided t-test in that direction is "
        "significant at 5%%; **equivalent** when TOST puts the ratio within ±%g%% (the 90%% "
        "interval of the mean log ratio inside ±log(1 + %g%%); checked first, so tiny effects "
        "are neither for nor against); **against** when the one-sided test against the claim "
        "is rejected by Holm–Bonferroni over all of the claim's comparisons at 5%% family-wise; "
        "**unclear** otherwise (and always with fewer than two seeds). The verdict: **holds** "
        "when every comparison is for (an intersection-union test at 5%%); **holds or "
        "equivalent** when each is for or equivalent, some of each; **equivalent** when every "
        "one is; **does not hold** when any is against; **unclear** otherwise; **not measured** "
        "without comparisons. A verdict resting on fewer than %d seeds is flagged ⚠.\n",
        margin_percent, margin_percent, VERDICT_MIN_SEEDS);
}

void put_ratio(text *out, stats_geo r, double scale, const char *unit) {
    if (!r.n) {
        text_printf(out, "—");
        return;
    }
    int has_interval = r.n >= 2 && isfinite(r.lo);
    if (scale == 1)
        text_printf(out, "%.3g%s", r.center, unit);
    else
        text_printf(out, "%.1f%s", scale * r.center, unit);
    if (!has_interval)
        text_printf(out, " (1 seed)");
    else if (scale == 1)
        text_printf(out, " [%.3g, %.3g]", r.lo, r.hi);
    else
        text_printf(out, " [%.1f, %.1f]", scale * r.lo, scale * r.hi);
}
