/* claims.c - the claims table. Each claim collects paired comparisons (compare.h) at equal bits
 * and at the same target ratio; compare.c grades them and gives the verdict, which the equal-bits
 * comparisons decide where the claim has them. One function per claim. */
#include "claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_sets.h"
#include "compare.h"
#include "downstream.h"
#include "left_out.h"
#include "quantizer.h"
#include "rivals.h"
#include "save.h"
#include "scope.h"
#include "text.h"

/* One row of the table: a claim's comparisons under both bases, and what it could not compare. */
typedef struct {
    const char *key;     /* claims.csv */
    char key_buf[64];    /* a downstream row's key */
    const char *set_key; /* the baseline set of a headline claim, "" otherwise */
    char title[160], how[400];
    const char *no_bits_why; /* NULL when the claim has an equal-bits form */
    int percent;             /* a headline claim: one comparison per ratio, shown in % */
    comparison_list bits, same;
    size_t
        not_spanned; /* pairs (headline claims: ratios) with no rival spanning the point's bits */
    left_out dropped;
} claim_row;

static int row_init(claim_row *r, const scope *sc, const char *key, qb_error *err) {
    *r = (claim_row){0};
    r->key = key;
    r->set_key = "";
    return left_out_init(&r->dropped, sc, err);
}

static void row_free(claim_row *r) {
    comparisons_free(&r->bits);
    comparisons_free(&r->same);
    left_out_free(&r->dropped);
}

static void add(comparison_list *l, int found, comparison *c, const char *what) {
    if (found < 0)
        l->failed = 1;
    if (found <= 0)
        return;
    if (what)
        snprintf(c->what, sizeof c->what, "%s", what);
    comparisons_add(l, c);
}

/* The point against a rival configuration: read off its curve at the point's bits, and its cell
 * at the point's target ratio. */
static void compare_both(claim_row *row, const scope *sc, claim_pair p, rd_curve rival,
                         const char *what) {
    comparison c;
    if (!curve_usable(sc, rival)) {
        left_out_check_curve(&row->dropped, rival);
        return;
    }
    if (!row->no_bits_why) {
        int found = compare_at_bits(sc, p, rival, &c);
        if (!found)
            row->not_spanned++;
        add(&row->bits, found, &c, what);
    }
    const summary_group *o = curve_at_ratio(sc, rival, p.point->target_ratio);
    if (o && left_out_check(&row->dropped, o))
        add(&row->same, compare_same_ratio(sc, p, o, &c), &c, what);
}

/* Two of the paper's claims are each about one method (OPQ's results, PQ's), not a family: for
 * them the subject is that method itself, named. The only method names the report compares. */
static int method_is(const char *method, const char *name) {
    return !strcmp(method, name);
}

/* ---- the claims ---- */

/* The grid's next ratio above r on this dataset; 0 at the top of the grid. */
static double next_ratio(const scope *sc, double r) {
    for (size_t k = 0; k + 1 < sc->nr; k++)
        if (sc->ratios[k] == r)
            return sc->ratios[k + 1];
    return 0;
}

/* Error rises with the compression ratio: each configuration's MSE at the grid's next larger
 * ratio over its MSE at this one, > 1 expected. */
static void claim_error_rises(claim_row *row, const scope *sc, const char *acc) {
    row->no_bits_why = "a configuration against itself at the next ratio";
    snprintf(row->title, sizeof row->title, "error rises with compression ratio");
    snprintf(row->how, sizeof row->how,
             "each configuration's MSE at the grid's next larger target ratio over its MSE at "
             "this one (> 1 expected)");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!scope_has(sc, x, acc) || !left_out_check(&row->dropped, x))
            continue;
        const summary_group *up =
            curve_at_ratio(sc, scope_curve_of(sc, x), next_ratio(sc, x->target_ratio));
        if (!up || !left_out_check(&row->dropped, up))
            continue;
        char what[160], name[96];
        group_name(name, sizeof name, x);
        snprintf(what, sizeof what, "%s r=%g->%g", name, x->target_ratio, up->target_ratio);
        comparison c;
        add(&row->same, compare_same_ratio(sc, (claim_pair){up, 1, +1, 1}, x, &c), &c, what);
    }
}

/* "SUBJECT vs RIVAL r=R", R the point's target ratio. */
static void pair_name(char *what, size_t size, const summary_group *a, const summary_group *b,
                      double ratio) {
    char na[96], nb[96];
    group_name(na, sizeof na, a);
    group_name(nb, sizeof nb, b);
    snprintf(what, size, "%.70s vs %.70s r=%g", na, nb, ratio);
}

/* OPQ worse than the others at the same ratio: OPQ's MSE over every other configuration's at its
 * m (or without m), > 1 expected. */
static void claim_opq_worse(claim_row *row, const scope *sc, const char *acc) {
    snprintf(row->title, sizeof row->title, "OPQ worse than the others at the same ratio");
    snprintf(row->how, sizeof row->how,
             "OPQ's MSE over each other configuration's at the same m (or one without m), at "
             "OPQ's bits and at the same target ratio (> 1 expected)");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!scope_has(sc, x, acc) || !method_is(x->method, "opq") ||
            !left_out_check(&row->dropped, x))
            continue;
        for (size_t j = 0; j < sc->ng; j++) {
            const summary_group *o = &sc->g[j];
            if (!scope_has(sc, o, acc) || method_is(o->method, "opq") ||
                !scope_opens_curve(sc, o) ||
                (o->subspaces && x->subspaces && o->subspaces != x->subspaces))
                continue;
            char what[160];
            pair_name(what, sizeof what, x, o, x->target_ratio);
            compare_both(row, sc, (claim_pair){x, 1, +1, 1}, scope_curve_of(sc, o), what);
        }
    }
}

/* PQ worse than QET: PQ's MSE over each QET configuration's at the same m, > 1 expected. */
static void claim_pq_worse_than_qet(claim_row *row, const scope *sc, const char *acc) {
    snprintf(row->title, sizeof row->title, "PQ worse than QET");
    snprintf(row->how, sizeof row->how,
             "PQ's MSE over QET's, same m, each QET configuration, at QET's bits and at the same "
             "target ratio (> 1 expected)");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!scope_has(sc, q, acc) || !method_is_qet_like(q->method) ||
            !left_out_check(&row->dropped, q))
            continue;
        for (size_t j = 0; j < sc->ng; j++) {
            const summary_group *o = &sc->g[j];
            if (!scope_has(sc, o, acc) || !method_is(o->method, "pq") ||
                !scope_opens_curve(sc, o) || o->subspaces != q->subspaces)
                continue;
            char what[160];
            pair_name(what, sizeof what, o, q, q->target_ratio);
            compare_both(row, sc, (claim_pair){q, 0, +1, 1}, scope_curve_of(sc, o), what);
        }
    }
}

static int same_but_iterations(const summary_group *x, const summary_group *y) {
    return !strcmp(y->dataset, x->dataset) && !strcmp(y->label, x->label) &&
           y->subspaces == x->subspaces && y->target_ratio == x->target_ratio &&
           !strcmp(y->accounting, x->accounting);
}

/* x's configuration at the next larger l it has in the results, whether or not that one ran
 * (one that failed ends the comparison rather than being skipped); NULL at the top. */
static const summary_group *next_iterations(const scope *sc, const summary_group *x) {
    const summary_group *next = NULL;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *y = &sc->g[i];
        if (same_but_iterations(x, y) && y->iterations > x->iterations &&
            (!next || y->iterations < next->iterations))
            next = y;
    }
    return next;
}

/* More iterations are better: QET's MSE at the next larger l over its MSE at l, < 1 expected. */
static void claim_more_iterations_better(claim_row *row, const scope *sc, const char *acc) {
    snprintf(row->title, sizeof row->title, "more iterations are better");
    snprintf(row->how, sizeof row->how,
             "QET's MSE at the next larger l over at l, same m, at the larger l's bits and at the "
             "same target ratio (< 1 expected)");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!scope_has(sc, x, acc) || !method_is_qet_like(x->method))
            continue;
        const summary_group *up = next_iterations(sc, x);
        if (!left_out_check(&row->dropped, x) || !up || !left_out_check(&row->dropped, up))
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s l=%u->%u m=%llu r=%g", x->label, x->iterations,
                 up->iterations, (unsigned long long)x->subspaces, x->target_ratio);
        compare_both(row, sc, (claim_pair){up, 1, -1, 1}, scope_curve_of(sc, x), what);
    }
}

/* A QET configuration swept over the grid's m at one ratio under one accounting. */
typedef struct {
    const scope *sc;
    const summary_group *q;
    const char *acc;
} m_sweep;

/* At one seed: the spread (max - min) of log MSE over m for QET minus PQ's, over the m where both
 * have a usable cell; NaN with fewer than two such m. PQ is the plain one, labelled "pq". */
static double spread_excess(const m_sweep *w, unsigned s) {
    const scope *sc = w->sc;
    const summary_group *q = w->q;
    double qlo = INFINITY, qhi = -INFINITY, plo = INFINITY, phi = -INFINITY;
    size_t used = 0;
    for (size_t im = 0; im < sc->nm; im++) {
        const summary_group *qm = summary_find(sc->g, sc->ng, q->dataset, q->label, w->acc,
                                               sc->ms[im], q->iterations, q->target_ratio);
        const summary_group *pm =
            summary_find(sc->g, sc->ng, q->dataset, "pq", w->acc, sc->ms[im], 0, q->target_ratio);
        double a = qm ? group_log_mse_at(sc, qm, s) : NAN;
        double b = pm ? group_log_mse_at(sc, pm, s) : NAN;
        if (isnan(a) || isnan(b))
            continue;
        used++;
        qlo = fmin(qlo, a), qhi = fmax(qhi, a);
        plo = fmin(plo, b), phi = fmax(phi, b);
    }
    return used >= 2 ? (qhi - qlo) - (phi - plo) : NAN;
}

/* Notes every QET and PQ group of the sweep with no usable cell. */
static void note_sweep(claim_row *row, const m_sweep *w) {
    const scope *sc = w->sc;
    for (size_t im = 0; im < sc->nm; im++) {
        const summary_group *qm = summary_find(sc->g, sc->ng, w->q->dataset, w->q->label, w->acc,
                                               sc->ms[im], w->q->iterations, w->q->target_ratio);
        const summary_group *pm = summary_find(sc->g, sc->ng, w->q->dataset, "pq", w->acc,
                                               sc->ms[im], 0, w->q->target_ratio);
        if (qm)
            left_out_check(&row->dropped, qm);
        if (pm)
            left_out_check(&row->dropped, pm);
    }
}

/* Reduced parameter sensitivity: per seed, QET's spread of log MSE over m minus PQ's (exp shown),
 * < 1 expected; each QET configuration once, through its group at the grid's first m. */
static int claim_reduced_sensitivity(claim_row *row, const scope *sc, const char *acc) {
    row->no_bits_why = "spreads over m at one target ratio";
    snprintf(row->title, sizeof row->title, "reduced parameter sensitivity");
    snprintf(row->how, sizeof row->how,
             "per seed: the spread (max − min) of log MSE over m for QET minus PQ's at one "
             "target ratio (exp shown; < 1 expected)");
    if (sc->nm < 2)
        return 0;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (strcmp(q->dataset, sc->dataset) || !method_is_qet_like(q->method) ||
            strcmp(q->accounting, acc) || q->subspaces != sc->ms[0])
            continue;
        m_sweep w = {sc, q, acc};
        note_sweep(row, &w);
        unsigned seeds = group_seeds(sc, q);
        double *v = malloc((seeds + 1) * sizeof *v);
        if (!v)
            return -1;
        for (unsigned s = 1; s <= seeds; s++)
            v[s - 1] = spread_excess(&w, s);
        comparison c = {0};
        c.point = q;
        c.bits_point = c.bits_lo = c.bits_hi = NAN;
        int found = compare_values(sc, v, seeds, -1, 1, &c);
        free(v);
        char what[160];
        snprintf(what, sizeof what, "%s l=%u r=%g", q->label, q->iterations, q->target_ratio);
        add(&row->same, found, &c, what);
    }
    return 0;
}

static const double paper_percent[4] = {70.4, 49.7, 35.1, 12.3}; /* §5, m = 8, l = 1..4 */

/* The headline claim's points: the paper's QET configuration at m = 8 and one l. It is the one
 * labelled "qet"; variants of QET run under other labels are not the paper's figures. */
static int in_headline_claim(const scope *sc, const summary_group *q, const char *acc, unsigned l) {
    return !strcmp(q->dataset, sc->dataset) && !strcmp(q->label, "qet") && q->iterations == l &&
           q->subspaces == 8 && !strcmp(q->accounting, acc);
}

/* QET reaches the paper's percentage of the best baseline's MSE at l: per seed, QET's MSE over
 * the best member of the set, at or below the paper's figure expected. */
static int claim_headline_percent(claim_row *row, const scope *sc, const char *acc, unsigned l,
                                  baseline_set_id k) {
    const baseline_set_def *set = baseline_set_at(k);
    double paper = paper_percent[l - 1];
    row->percent = 1;
    row->set_key = set->key;
    snprintf(row->title, sizeof row->title,
             "QET reaches %.1f%% of the best baseline's MSE (l = %u), vs %s", paper, l, set->name);
    snprintf(row->how, sizeof row->how,
             "qet at m = 8: its MSE as %% of the best of %s (%s), at QET's bits and at the same "
             "target ratio; at or below %.1f%% expected",
             set->name, set->members, paper);
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!in_headline_claim(sc, q, acc, l) || !left_out_check(&row->dropped, q))
            continue;
        claim_pair p = {q, 1, -1, paper / 100};
        best_rival b;
        text not_spanning = {0};
        int found = best_at_bits(sc, set, acc, p, &b, &row->dropped, &not_spanning);
        text_free(&not_spanning);
        if (!found)
            row->not_spanned++;
        add(&row->bits, found, &b.cmp, NULL);
        add(&row->same, best_same_ratio(sc, set, acc, p, &b, &row->dropped), &b.cmp, NULL);
    }
    return row->bits.failed || row->same.failed ? -1 : 0;
}

/* ---- downstream: does the MSE carry to a search, a model? ---- */

/* The metric of q over o's (downstream.h), paired by seed, graded in the metric's better
 * direction; seeds where either value is missing or not positive (no log) left out. */
static int compare_metric(const scope *sc, const summary_group *q, const summary_group *o,
                          const downstream_metric *dm, comparison *c) {
    unsigned seeds = group_seeds(sc, q);
    double *v = malloc((seeds + 1) * sizeof *v);
    if (!v)
        return -1;
    for (unsigned s = 1; s <= seeds; s++) {
        const result_row *a = group_row_at(sc, q, s), *b = group_row_at(sc, o, s);
        double x = a ? downstream_value(a, dm) : NAN, y = b ? downstream_value(b, dm) : NAN;
        v[s - 1] = x > 0 && y > 0 ? log(x / y) : NAN;
    }
    c->point = q;
    c->bits_point = group_bits_mean(sc, q);
    c->bits_lo = c->bits_hi = group_bits_mean(sc, o);
    int found = compare_values(sc, v, seeds, dm->better, 1, c);
    free(v);
    return found;
}

/* Of the pairs (a QET configuration, a baseline at the same target ratio and m, or without m)
 * where QET's MSE is significantly lower (paired one-sided t-test at 5%), the metric's ratio,
 * better for QET expected: does the MSE gain carry downstream? */
static void claim_mse_carries(claim_row *row, const scope *sc, const char *acc,
                              const downstream_metric *dm) {
    row->no_bits_why = "pairs at one target ratio";
    snprintf(row->key_buf, sizeof row->key_buf, "mse_carries_%s", dm->column);
    row->key = row->key_buf;
    snprintf(row->title, sizeof row->title, "downstream: QET's lower MSE carries to %s",
             dm->column);
    snprintf(row->how, sizeof row->how,
             "%s, QET's over the baseline's, in each pair of a QET configuration and a baseline "
             "(same m, or none) at one target ratio where QET's MSE is significantly lower "
             "(paired by seed, one-sided 5%%); %s 1 expected",
             dm->label, dm->better > 0 ? ">" : "<");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!scope_has(sc, q, acc) || !method_is_qet_like(q->method) ||
            !left_out_check(&row->dropped, q))
            continue;
        for (size_t j = 0; j < sc->ng; j++) {
            const summary_group *o = &sc->g[j];
            if (!scope_has(sc, o, acc) || method_is_qet_like(o->method) ||
                o->target_ratio != q->target_ratio ||
                (o->subspaces && o->subspaces != q->subspaces) || !left_out_check(&row->dropped, o))
                continue;
            comparison mse, c;
            int found = compare_same_ratio(sc, (claim_pair){q, 1, -1, 1}, o, &mse);
            if (found > 0 && !(mse.test.p_for < 0.05))
                continue;
            if (found > 0)
                found = compare_metric(sc, q, o, dm, &c);
            char what[160];
            pair_name(what, sizeof what, q, o, q->target_ratio);
            add(&row->same, found, &c, what);
        }
    }
}

/* Each QET point against the baseline (any configuration that is not QET-like, any m) with the
 * best mean metric at its target ratio: the metric's ratio, better for QET expected. */
static void claim_downstream_best(claim_row *row, const scope *sc, const char *acc,
                                  const downstream_metric *dm) {
    row->no_bits_why = "the best baseline at one target ratio";
    snprintf(row->key_buf, sizeof row->key_buf, "best_baseline_%s", dm->column);
    row->key = row->key_buf;
    snprintf(row->title, sizeof row->title, "downstream: QET beats the best baseline in %s",
             dm->column);
    snprintf(row->how, sizeof row->how,
             "%s, QET's over the best baseline's (by its mean over seeds; any configuration that "
             "is not QET, any m) at the same target ratio, paired by seed; %s 1 expected",
             dm->label, dm->better > 0 ? ">" : "<");
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!scope_has(sc, q, acc) || !method_is_qet_like(q->method) ||
            !left_out_check(&row->dropped, q))
            continue;
        const summary_group *best = NULL;
        double best_v = NAN;
        for (size_t j = 0; j < sc->ng; j++) {
            const summary_group *o = &sc->g[j];
            if (!scope_has(sc, o, acc) || method_is_qet_like(o->method) ||
                o->target_ratio != q->target_ratio || !left_out_check(&row->dropped, o))
                continue;
            double v = downstream_point(sc->t, o, dm).center;
            if (!isnan(v) && (!best || (dm->better > 0 ? v > best_v : v < best_v))) {
                best = o;
                best_v = v;
            }
        }
        if (!best)
            continue;
        comparison c;
        char what[160];
        pair_name(what, sizeof what, q, best, q->target_ratio);
        add(&row->same, compare_metric(sc, q, best, dm, &c), &c, what);
    }
}

/* ---- the table ---- */

static void put_bits(text *md, const comparison *c, int equal_bits) {
    if (isnan(c->bits_point))
        return;
    if (equal_bits)
        text_printf(md, " at %.3g bits (read between %.3g and %.3g)", c->bits_point, c->bits_lo,
                    c->bits_hi);
    else
        text_printf(md, " at %.3g vs %.3g bits", c->bits_point, c->bits_lo);
}

static void put_comparison(text *md, const comparison *c, int equal_bits, int percent) {
    if (percent) {
        text_printf(md, "r=%g: ", c->point->target_ratio);
        put_ratio(md, c->ratio, 100, "%");
        text_printf(md, " of %s", c->what);
    } else {
        text_printf(md, "%s: ", c->what);
        put_ratio(md, c->ratio, 1, "");
    }
    put_bits(md, c, equal_bits);
}

/* The most significant comparison against the claim, NULL if none. */
static const comparison *strongest_against(const comparison_list *l) {
    const comparison *w = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].grade == GRADE_AGAINST &&
            (!w || l->items[i].test.p_against < w->test.p_against))
            w = &l->items[i];
    return w;
}

static void put_counts(text *md, const grade_counts *c) {
    text_printf(md, "%zu comparisons:", c->n);
    for (grade k = 0; k < GRADES; k++)
        text_printf(md, "%s %zu %s (%.0f%%)", k ? "," : "", c->count[k], grade_names[k],
                    100.0 * (double)c->count[k] / (double)c->n);
}

/* One basis of a row: counts and fractions, then each comparison (headline claims) or the range
 * of ratios and the strongest comparison against. */
static void put_basis(text *md, const claim_row *row, const comparison_list *l, int equal_bits) {
    if (equal_bits && row->no_bits_why) {
        text_printf(md, "— (%s)", row->no_bits_why);
        return;
    }
    grade_counts c = comparisons_count(l);
    if (!c.n)
        text_printf(md, "no comparison");
    else
        put_counts(md, &c);
    if (c.n && row->percent)
        for (size_t i = 0; i < l->n; i++) {
            text_printf(md, "; ");
            put_comparison(md, &l->items[i], equal_bits, 1);
            text_printf(md, " (%s)", grade_names[l->items[i].grade]);
        }
    else if (c.n) {
        text_printf(md, "; ratios %.3g..%.3g", c.lo_ratio, c.hi_ratio);
        const comparison *w = strongest_against(l);
        if (w) {
            text_printf(md, "; most significant against: ");
            put_comparison(md, w, equal_bits, 0);
        }
    }
    if (equal_bits && row->not_spanned)
        text_printf(md, "; not spanned: %zu %s%s", row->not_spanned,
                    row->percent ? "ratio" : "pair", row->not_spanned > 1 ? "s" : "");
}

static const comparison_list *deciding(const claim_row *row) {
    return row->no_bits_why ? &row->same : &row->bits;
}

static void put_seeds(text *md, const grade_counts *c) {
    if (!c->n)
        text_printf(md, "—");
    else if (c->min_seeds == c->max_seeds)
        text_printf(md, "%zu", c->min_seeds);
    else
        text_printf(md, "%zu–%zu", c->min_seeds, c->max_seeds);
    if (c->n && c->min_seeds < VERDICT_MIN_SEEDS)
        text_printf(md, " ⚠");
}

static void md_row(text *md, const claim_row *row) {
    grade_counts c = comparisons_count(deciding(row));
    text_printf(md, "| %s | %s | ", row->title, row->how);
    put_basis(md, row, &row->bits, 1);
    text_printf(md, " | ");
    put_basis(md, row, &row->same, 0);
    text_printf(md, " | %s | %s | ", verdict_of(&c),
                row->no_bits_why ? "same target ratio" : "equal bits");
    put_seeds(md, &c);
    text_printf(md, " | %zu infeasible, %zu degenerate, %zu other; ", row->dropped.infeasible,
                row->dropped.degenerate, row->dropped.other);
    left_out_names(&row->dropped, md);
    text_printf(md, " |\n");
    md->failed |= row->dropped.failed;
}

static void csv_basis(text *csv, const scope *sc, const char *acc, const claim_row *row,
                      const comparison_list *l, const char *basis) {
    grade_counts c = comparisons_count(l);
    text_printf(csv, "%s,%s,%s,%s,%s,%d,%zu", sc->dataset, acc, row->key, row->set_key, basis,
                l == deciding(row), c.n);
    for (grade k = 0; k < GRADES; k++)
        text_printf(csv, ",%zu", c.count[k]);
    text_printf(csv, ",%zu,%zu,%zu,%zu,%zu,%zu,%s\n", c.min_seeds, c.max_seeds,
                l == &row->bits ? row->not_spanned : 0, row->dropped.infeasible,
                row->dropped.degenerate, row->dropped.other, verdict_of(&c));
}

static void csv_row(text *csv, const scope *sc, const char *acc, const claim_row *row) {
    if (!row->no_bits_why)
        csv_basis(csv, sc, acc, row, &row->bits, "equal_bits");
    csv_basis(csv, sc, acc, row, &row->same, "same_ratio");
}

static const char comparisons_header[] =
    "dataset,accounting,claim,baseline_set,basis,target_ratio,comparison,bits_point,"
    "bits_rival_lo,bits_rival_hi,seeds,ratio,ratio_lo95,ratio_hi95,p_for,p_against,equivalent,"
    "grade\n";

/* One line per comparison of a basis: what claims.md summarises, each with its bits. */
static void csv_comparisons(text *csv, const scope *sc, const char *acc, const claim_row *row,
                            const comparison_list *l, const char *basis) {
    for (size_t i = 0; i < l->n; i++) {
        const comparison *c = &l->items[i];
        text_printf(csv, "%s,%s,%s,%s,%s,%g", sc->dataset, acc, row->key, row->set_key, basis,
                    c->point->target_ratio);
        csv_text(csv, c->what);
        text_printf(csv, ",%.6g,%.6g,%.6g,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%d,%s\n", c->bits_point,
                    c->bits_lo, c->bits_hi, c->ratio.n, c->ratio.center, c->ratio.lo, c->ratio.hi,
                    c->test.p_for, c->test.p_against, c->test.equivalent, grade_names[c->grade]);
    }
}

static void csv_row_comparisons(text *csv, const scope *sc, const char *acc, const claim_row *row) {
    if (!row->no_bits_why)
        csv_comparisons(csv, sc, acc, row, &row->bits, "equal_bits");
    csv_comparisons(csv, sc, acc, row, &row->same, "same_ratio");
}

/* ---- one section: a dataset under one accounting mode ---- */

enum { GENERAL_CLAIMS = 5, HEADLINE_CLAIMS = 4 * BASELINE_SETS };
#define SECTION_ROWS (GENERAL_CLAIMS + HEADLINE_CLAIMS)

static const char *const general_keys[GENERAL_CLAIMS] = {
    "error_rises", "opq_worse", "pq_worse_than_qet", "more_iterations_better",
    "reduced_sensitivity"};
static const char *const headline_keys[4] = {"headline_l1", "headline_l2", "headline_l3",
                                             "headline_l4"};

static int build_row(claim_row *row, const scope *sc, const char *acc, size_t k) {
    switch (k) {
    case 0:
        claim_error_rises(row, sc, acc);
        return 0;
    case 1:
        claim_opq_worse(row, sc, acc);
        return 0;
    case 2:
        claim_pq_worse_than_qet(row, sc, acc);
        return 0;
    case 3:
        claim_more_iterations_better(row, sc, acc);
        return 0;
    case 4:
        return claim_reduced_sensitivity(row, sc, acc);
    default: {
        size_t h = k - GENERAL_CLAIMS;
        return claim_headline_percent(row, sc, acc, (unsigned)(h / BASELINE_SETS + 1),
                                      (baseline_set_id)(h % BASELINE_SETS));
    }
    }
}

static const char *row_key(size_t k) {
    return k < GENERAL_CLAIMS ? general_keys[k]
                              : headline_keys[(k - GENERAL_CLAIMS) / BASELINE_SETS];
}

/* The paper's claims, then two rows per downstream metric measured on the dataset; *n the rows
 * made (each to be freed). */
static int build_rows(claim_row *rows, size_t *n, const scope *sc, const char *acc, qb_error *err) {
    int s = QB_OK;
    const downstream_metric *dms[DOWNSTREAM_MAX];
    size_t nd = 0;
    for (size_t k = 0; k < downstream_count(); k++)
        if (downstream_measured(sc->t, sc->dataset, downstream_at(k)))
            dms[nd++] = downstream_at(k);
    *n = 0;
    for (size_t k = 0; !s && k < SECTION_ROWS + 2 * nd; k++) {
        s = row_init(&rows[k], sc, k < SECTION_ROWS ? row_key(k) : "", err);
        *n += !s;
        if (!s && k < SECTION_ROWS && build_row(&rows[k], sc, acc, k))
            s = qb_oom(err);
        if (!s && k >= SECTION_ROWS && (k - SECTION_ROWS) % 2 == 0)
            claim_mse_carries(&rows[k], sc, acc, dms[(k - SECTION_ROWS) / 2]);
        else if (!s && k >= SECTION_ROWS)
            claim_downstream_best(&rows[k], sc, acc, dms[(k - SECTION_ROWS) / 2]);
        if (!s)
            s = comparisons_grade(&rows[k].bits, err);
        if (!s)
            s = comparisons_grade(&rows[k].same, err);
    }
    return s;
}

static size_t few_seed_verdicts(const claim_row *rows, size_t n_rows) {
    size_t n = 0;
    for (size_t k = 0; k < n_rows; k++) {
        grade_counts c = comparisons_count(deciding(&rows[k]));
        n += c.n && c.min_seeds < VERDICT_MIN_SEEDS;
    }
    return n;
}

/* The tables claims_write fills. */
typedef struct {
    text md, csv, comparisons;
} claims_texts;

static int claims_section(const scope *sc, const char *acc, claims_texts *out, qb_error *err) {
    text *md = &out->md;
    claim_row rows[SECTION_ROWS + 2 * DOWNSTREAM_MAX];
    memset(rows, 0, sizeof rows);
    size_t n_rows = 0;
    int s = build_rows(rows, &n_rows, sc, acc, err);
    if (!s) {
        text_printf(md, "\n### %s, %s accounting\n\n", sc->dataset, acc);
        size_t few = few_seed_verdicts(rows, n_rows);
        if (few)
            text_printf(md,
                        "⚠ %zu of the %zu verdicts below rest on fewer than %d seeds: read them "
                        "as indications, not findings.\n\n",
                        few, n_rows, VERDICT_MIN_SEEDS);
        text_printf(md, "| claim (paper §5) | how it is measured | at equal bits | at the same "
                        "target ratio | verdict | decided by | seeds | left out |\n"
                        "|---|---|---|---|---|---|---|---|\n");
        for (size_t k = 0; k < n_rows; k++) {
            md_row(md, &rows[k]);
            csv_row(&out->csv, sc, acc, &rows[k]);
            csv_row_comparisons(&out->comparisons, sc, acc, &rows[k]);
        }
    }
    for (size_t k = 0; k < n_rows; k++)
        row_free(&rows[k]);
    return s;
}

static void preamble(text *md, double margin) {
    text_printf(
        md, "# Claims of the paper, as measured\n\n"
            "Regenerated by `qetbench plot` from results.csv; claims.csv holds the same counts, "
            "comparisons.csv every comparison (its bits, ratio, interval, p-values, grade).\n\n"
            "**Two bases.** *At equal bits* (the fair comparison, which decides the verdict "
            "where a claim has it): the claim's subject at the bits per element it stored "
            "(bits_charged / (n·d)) against the rival's rate–distortion curve at the same seed, "
            "its log MSE interpolated linearly in bits between its two nearest measured ratios; "
            "never extrapolated: a rival whose points do not span the subject's bits is not "
            "compared and is counted as not spanned. *At the same target ratio*: the rival's "
            "cell at that ratio, whatever bits it achieved. Each comparison prints the bits of "
            "both sides. Ratios are geometric means over seeds with 95%% intervals on the log "
            "scale.\n\n"
            "**Grading and verdicts.** ");
    verdict_rule(md, 100 * margin);
    text_printf(md,
                "\nIn the headline claims (QET reaches the paper's percentage of the best "
                "baseline's MSE) the reference is the paper's figure: *for* means significantly "
                "below it (better than reported), *equivalent* within ±%g%% of it (the figure "
                "reproduced), *against* significantly above it.\n",
                100 * margin);
    text_printf(md, "\n**Baseline sets** (the headline claims are tested against each):\n\n");
    for (baseline_set_id k = 0; k < BASELINE_SETS; k++)
        text_printf(md, "- **%s**: %s.\n", baseline_set_at(k)->name, baseline_set_at(k)->members);
    text_printf(md, "\n**Left out**: configurations at a ratio with no usable cell, counted per "
                    "row (infeasible: no setting fits the budget; degenerate: ran but stored no "
                    "codes, one centroid per subspace; other: invalid or zero MSE) and named "
                    "at each ratio; they are never compared.\n");
}

static void csv_header(text *csv) {
    text_printf(csv, "dataset,accounting,claim,baseline_set,basis,decides,comparisons");
    for (grade k = 0; k < GRADES; k++)
        text_printf(csv, ",%s", grade_names[k]);
    text_printf(csv, ",min_seeds,max_seeds,not_spanned,infeasible,degenerate,other_left_out,"
                     "verdict\n");
}

int claims_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                 double margin, qb_error *err) {
    claims_texts out = {{0}, {0}, {0}};
    preamble(&out.md, margin);
    csv_header(&out.csv);
    text_printf(&out.comparisons, "%s", comparisons_header);
    int s = QB_OK;
    for (size_t i = 0; !s && i < t->n; i++) {
        if (i && !strcmp(t->rows[i].dataset, t->rows[i - 1].dataset))
            continue; /* the table is sorted: one scope per dataset */
        scope sc = scope_of(t, g, ng, t->rows[i].dataset, margin);
        for (size_t a = 0; !s && a < sc.na; a++)
            s = claims_section(&sc, sc.accs[a], &out, err);
    }
    if (!s)
        s = report_save(dir, "claims.md", &out.md, err);
    if (!s)
        s = report_save(dir, "claims.csv", &out.csv, err);
    if (!s)
        s = report_save(dir, "comparisons.csv", &out.comparisons, err);
    text_free(&out.md);
    text_free(&out.csv);
    text_free(&out.comparisons);
    return s;
}
