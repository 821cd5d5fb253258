/* claims.c - the headline and claims tables. Every verdict comes from paired per-seed comparisons
 * with 95% Student-t intervals; a claim holds only where every comparison it makes is significant
 * in its favour, and does not hold where any comparison is significant against it. */
#include "claims.h"
#include "quantizer.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One dataset of the results: its groups and the grid they span. */
typedef struct {
    const result_table *t;
    const summary_group *g;
    size_t ng;
    const char *dataset;
    double ratios[256]; /* ascending */
    size_t nr;
    uint64_t ms[64]; /* in the order the groups list them */
    size_t nm;
    const char *accs[2]; /* full first */
    size_t na;
} scope;

/* ---- which groups a comparison takes ---- */

/* Methods without indicator maps are stored once, under full accounting, and stand in either
 * accounting mode. */
static int counts_under(const summary_group *x, const char *acc) {
    return !strcmp(x->accounting, acc) || !method_uses(x->method, METHOD_STORES_IMAPS);
}

/* x has results (some seed ok) on the scope's dataset that count under accounting acc. */
static int measured(const scope *sc, const summary_group *x, const char *acc) {
    return !strcmp(x->dataset, sc->dataset) && counts_under(x, acc) && x->n_ok;
}

/* Two of the paper's claims are each about one method (OPQ's results, PQ's), not a family: for
 * them the subject is that method itself, named. The only method names the report compares. */
static int method_is(const char *method, const char *name) {
    return !strcmp(method, name);
}

/* The best (lowest mean MSE) baseline of `set` at (m, ratio), any m when m = 0; NULL if none. */
static const summary_group *best_baseline(const scope *sc, uint64_t m, double ratio,
                                          baseline_set set) {
    const summary_group *best = NULL;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (strcmp(x->dataset, sc->dataset) || x->target_ratio != ratio ||
            !method_is_baseline(x->method, set) || (m && x->subspaces && x->subspaces != m) ||
            !x->n_ok || !isfinite(x->mse.mean))
            continue;
        if (!best || x->mse.mean < best->mse.mean)
            best = x;
    }
    return best;
}

/* "LABEL" or "LABEL m=M": a baseline as the reader sees it. */
static void baseline_name(char *out, size_t size, const summary_group *b, int show_m) {
    if (b->subspaces && show_m)
        snprintf(out, size, "%s m=%llu", b->label, (unsigned long long)b->subspaces);
    else
        snprintf(out, size, "%s", b->label);
}

/* ---- per-seed statistics ---- */

/* The MSE of group g at seed index s, or NaN. */
static double mse_at(const result_table *t, const summary_group *g, unsigned s) {
    for (size_t i = g->first; i < g->first + g->count; i++) {
        const result_row *r = &t->rows[i];
        if (r->seed_index == s)
            return strcmp(r->status, RESULT_OK) || !(r->mse > 0) ? NAN : r->mse;
    }
    return NAN;
}

static unsigned max_seed(const result_table *t, const summary_group *g) {
    unsigned m = 0;
    for (size_t i = g->first; i < g->first + g->count; i++)
        if (t->rows[i].seed_index > m)
            m = t->rows[i].seed_index;
    return m;
}

/* One number per seed, NaN where that seed has none. */
typedef double (*seed_value)(const void *ctx, unsigned seed);

/* Mean and 95% interval of value(ctx, s) over the seeds of g that have one. */
static summary_stat over_seeds(const result_table *t, const summary_group *g, seed_value value,
                               const void *ctx) {
    summary_stat none = {NAN, NAN, 0};
    unsigned ms = max_seed(t, g);
    double *v = malloc((ms + 1) * sizeof *v);
    if (!v)
        return none;
    size_t n = 0;
    for (unsigned s = 1; s <= ms; s++) {
        double x = value(ctx, s);
        if (!isnan(x))
            v[n++] = x;
    }
    summary_stat st = summary_of(v, n);
    free(v);
    return st;
}

/* Two groups' MSE at the same seed (same data), combined by `of`. */
typedef struct {
    const result_table *t;
    const summary_group *a, *b;
    double (*of)(double mse_a, double mse_b);
} pairing;

static double paired_value(const void *ctx, unsigned s) {
    const pairing *p = ctx;
    double x = mse_at(p->t, p->a, s), y = mse_at(p->t, p->b, s);
    return isfinite(x) && isfinite(y) ? p->of(x, y) : NAN;
}

static summary_stat paired(const result_table *t, const summary_group *a, const summary_group *b,
                           double (*of)(double mse_a, double mse_b)) {
    pairing p = {t, a, b, of};
    return over_seeds(t, a, paired_value, &p);
}

static double log_ratio(double x, double y) {
    return log(x / y);
}
static double percent(double x, double y) {
    return 100 * x / y;
}

/* One seed gives a mean but no interval. */
static int has_interval(summary_stat st) {
    return st.n >= 2 && isfinite(st.half);
}

/* +1 when the 95% interval lies above zero, -1 below, 0 when it straddles zero or is unknown. */
static int interval_sign(summary_stat st) {
    if (!has_interval(st))
        return 0;
    return st.mean - st.half > 0 ? 1 : st.mean + st.half < 0 ? -1 : 0;
}

claims_cmp claims_compare(const result_table *t, const summary_group *a, const summary_group *b) {
    summary_stat st = paired(t, a, b, log_ratio);
    claims_cmp c = {0, st.n, NAN, NAN, NAN};
    if (!st.n)
        return c;
    c.ratio = exp(st.mean);
    if (has_interval(st)) {
        c.lo = exp(st.mean - st.half);
        c.hi = exp(st.mean + st.half);
        c.sign = interval_sign(st);
    }
    return c;
}

/* ---- verdicts ---- */

typedef struct {
    size_t support, against, unclear;
    double lo_ratio, hi_ratio; /* range of the typical ratios seen */
    char worst[160];           /* one comparison against the claim, for the reader */
} tally;

static void tally_add(tally *y, claims_cmp c, int expect, const char *what) {
    if (!c.pairs)
        return;
    if (y->support + y->against + y->unclear == 0)
        y->lo_ratio = y->hi_ratio = c.ratio;
    if (c.ratio < y->lo_ratio)
        y->lo_ratio = c.ratio;
    if (c.ratio > y->hi_ratio)
        y->hi_ratio = c.ratio;
    if (c.sign == expect)
        y->support++;
    else if (c.sign == -expect) {
        if (!y->against)
            snprintf(y->worst, sizeof y->worst, "%.130s: ratio %.3g", what, c.ratio);
        y->against++;
    } else
        y->unclear++;
}

static size_t tally_count(const tally *y) {
    return y->support + y->against + y->unclear;
}

static const char *verdict(const tally *y) {
    size_t n = tally_count(y);
    if (!n)
        return "not measured";
    if (y->against)
        return "does not hold";
    if (y->support == n)
        return "holds";
    return "not significant at 95%";
}

static void tally_row(text *md, const char *claim, const char *how, const tally *y) {
    size_t n = tally_count(y);
    text_printf(md, "| %s | %s | ", claim, how);
    if (n)
        text_printf(md,
                    "%zu comparisons: %zu significantly for, %zu against, %zu not significant; "
                    "MSE ratios %.3g..%.3g%s%s",
                    n, y->support, y->against, y->unclear, y->lo_ratio, y->hi_ratio,
                    y->against ? "; e.g. " : "", y->against ? y->worst : "");
    else
        text_printf(md, "no data");
    text_printf(md, " | %s | — |\n", verdict(y));
}

/* ---- the headline table ---- */

static const double paper_percent[4] = {70.4, 49.7, 35.1, 12.3}; /* §5, m = 8, l = 1..4 */

/* Its columns: the best baseline of each set, at the paper's m = 8 or (m = 0) at any m. */
static const struct {
    uint64_t m;
    baseline_set set;
} headline_columns[3] = {{8, BASELINES_PQ_FAMILY}, {8, BASELINES_PAPER}, {0, BASELINES_ALL}};

/* Its rows: QET at the paper's m = 8 and l = 1..4. */
static int in_headline(const scope *sc, const summary_group *q, const char *acc) {
    return !strcmp(q->dataset, sc->dataset) && method_is_qet_like(q->method) && q->subspaces == 8 &&
           !strcmp(q->accounting, acc) && q->iterations >= 1 && q->iterations <= 4;
}

static void headline_intro(text *md, const char *dataset, const char *acc) {
    text_printf(md, "\n### %s, %s accounting, m = 8\n\n", dataset, acc);
    text_printf(md, "QET's mean MSE as %% of the best baseline's at the same ratio (95%% interval "
                    "of the per-seed percentage; best baseline in brackets). Paper: 70.4, 49.7, "
                    "35.1, 12.3%% for l = 1..4. The PQ family and the paper's baselines (PQ, OPQ, "
                    "LOPQ, RTN) are at m = 8, the paper's comparison; the best of all baselines is "
                    "the strongest baseline configuration run at that ratio, any m, Lloyd-Max and "
                    "residual PQ included.\n\n");
    text_printf(md, "| method | l | ratio | vs PQ family | vs all baselines | vs best of all "
                    "baselines (any m) |\n|---|---|---|---|---|---|\n");
}

static void headline_cell(const scope *sc, const summary_group *q, size_t col, text *md,
                          text *csv) {
    const summary_group *b =
        best_baseline(sc, headline_columns[col].m, q->target_ratio, headline_columns[col].set);
    if (!b || !q->n_ok) {
        text_printf(md, " %s |", q->n_ok ? "no baseline" : q->status);
        text_printf(csv, ",,,");
        return;
    }
    summary_stat p = paired(sc->t, q, b, percent);
    char name[96];
    baseline_name(name, sizeof name, b, headline_columns[col].m == 0);
    if (isfinite(p.half))
        text_printf(md, " %.1f%% ± %.1f (%s) |", p.mean, p.half, name);
    else /* one seed: no interval */
        text_printf(md, " %.1f%%, %zu seed (%s) |", p.mean, p.n, name);
    text_printf(csv, ",%.6g,%.6g,%s", p.mean, p.half, name);
}

static void headline(const scope *sc, const char *acc, text *md, text *csv) {
    size_t rows = 0;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!in_headline(sc, q, acc))
            continue;
        if (!rows++)
            headline_intro(md, sc->dataset, acc);
        text_printf(md, "| %s | %u | %g |", q->label, q->iterations, q->target_ratio);
        text_printf(csv, "%s,%s,%s,%u,%g", sc->dataset, acc, q->label, q->iterations,
                    q->target_ratio);
        for (size_t col = 0; col < 3; col++)
            headline_cell(sc, q, col, md, csv);
        text_printf(md, "\n");
        text_printf(csv, "\n");
    }
}

/* ---- the claims, one function each ---- */

/* Sets *next to the grid's next ratio above r on this dataset; 0 at the top of the grid. */
static int next_ratio(const scope *sc, double r, double *next) {
    size_t k = 0;
    while (k < sc->nr && sc->ratios[k] != r)
        k++;
    if (k + 1 >= sc->nr)
        return 0;
    *next = sc->ratios[k + 1];
    return 1;
}

/* Error rises with the compression ratio: each configuration's MSE at the grid's next larger
 * ratio over its MSE at this one, > 1 expected. */
static tally claim_error_rises(const scope *sc, const char *acc) {
    tally y = {0};
    char what[160];
    double up_ratio;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!measured(sc, x, acc) || !next_ratio(sc, x->target_ratio, &up_ratio))
            continue;
        const summary_group *up = summary_find(sc->g, sc->ng, x->dataset, x->label, acc,
                                               x->subspaces, x->iterations, up_ratio);
        if (!up || !up->n_ok)
            continue;
        snprintf(what, sizeof what, "%s m=%llu l=%u r=%g->%g", x->label,
                 (unsigned long long)x->subspaces, x->iterations, x->target_ratio, up_ratio);
        tally_add(&y, claims_compare(sc->t, up, x), 1, what);
    }
    return y;
}

/* Whether a subject method's group x is compared with the group o of another method at its ratio.
 */
typedef int (*rival_test)(const summary_group *x, const summary_group *o);

/* The subject method's MSE over each rival's at the same ratio, > 1 expected. */
static tally subject_worse_than_rivals(const scope *sc, const char *acc, const char *subject,
                                       rival_test is_rival) {
    tally y = {0};
    char what[160];
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!measured(sc, x, acc) || !method_is(x->method, subject))
            continue;
        for (size_t j = 0; j < sc->ng; j++) {
            const summary_group *o = &sc->g[j];
            if (!measured(sc, o, acc) || o->target_ratio != x->target_ratio || !is_rival(x, o))
                continue;
            snprintf(
                what, sizeof what, "%s vs %s l=%u, m=%llu r=%g", x->label, o->label, o->iterations,
                (unsigned long long)(x->subspaces ? x->subspaces : o->subspaces), x->target_ratio);
            tally_add(&y, claims_compare(sc->t, x, o), 1, what);
        }
    }
    return y;
}

/* Any other method at the same m; a method without subspaces matches every m. */
static int other_method_same_m(const summary_group *x, const summary_group *o) {
    return !method_is(o->method, "opq") &&
           (o->subspaces == x->subspaces || !o->subspaces || !x->subspaces);
}

/* OPQ worse than the others at the same ratio. */
static tally claim_opq_worse(const scope *sc, const char *acc) {
    return subject_worse_than_rivals(sc, acc, "opq", other_method_same_m);
}

static int qet_same_m(const summary_group *x, const summary_group *o) {
    return method_is_qet_like(o->method) && o->subspaces == x->subspaces;
}

/* PQ worse than QET at the same m and ratio, each l. */
static tally claim_pq_worse_than_qet(const scope *sc, const char *acc) {
    return subject_worse_than_rivals(sc, acc, "pq", qet_same_m);
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
static tally claim_more_iterations_better(const scope *sc, const char *acc) {
    tally y = {0};
    char what[160];
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!measured(sc, x, acc) || !method_is_qet_like(x->method))
            continue;
        const summary_group *up = next_iterations(sc, x);
        if (!up || !measured(sc, up, acc))
            continue;
        snprintf(what, sizeof what, "%s l=%u->%u m=%llu r=%g", x->label, x->iterations,
                 up->iterations, (unsigned long long)x->subspaces, x->target_ratio);
        tally_add(&y, claims_compare(sc->t, up, x), -1, what);
    }
    return y;
}

/* A QET configuration swept over the grid's m under one accounting. */
typedef struct {
    const scope *sc;
    const summary_group *q;
    const char *acc;
} m_sweep;

/* At one seed: the spread (max - min) of log MSE over m for QET minus PQ's, over the m where both
 * have a result; NaN with fewer than two such m. PQ is the plain one, labelled "pq". */
static double spread_excess(const void *ctx, unsigned s) {
    const m_sweep *w = ctx;
    const scope *sc = w->sc;
    const summary_group *q = w->q;
    double qlo = INFINITY, qhi = -INFINITY, plo = INFINITY, phi = -INFINITY;
    size_t used = 0;
    for (size_t im = 0; im < sc->nm; im++) {
        const summary_group *qm = summary_find(sc->g, sc->ng, q->dataset, q->label, w->acc,
                                               sc->ms[im], q->iterations, q->target_ratio);
        const summary_group *pm =
            summary_find(sc->g, sc->ng, q->dataset, "pq", w->acc, sc->ms[im], 0, q->target_ratio);
        double a = qm ? mse_at(sc->t, qm, s) : NAN, b = pm ? mse_at(sc->t, pm, s) : NAN;
        if (!isfinite(a) || !isfinite(b))
            continue;
        used++;
        qlo = fmin(qlo, log(a)), qhi = fmax(qhi, log(a));
        plo = fmin(plo, log(b)), phi = fmax(phi, log(b));
    }
    return used >= 2 ? (qhi - qlo) - (phi - plo) : NAN;
}

/* Reduced parameter sensitivity: per seed, QET's spread of log MSE over m minus PQ's (exp shown),
 * < 1 expected; each QET configuration once, through its group at the grid's first m. */
static tally claim_reduced_sensitivity(const scope *sc, const char *acc) {
    tally y = {0};
    char what[160];
    if (sc->nm < 2)
        return y;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (strcmp(q->dataset, sc->dataset) || !method_is_qet_like(q->method) ||
            strcmp(q->accounting, acc) || q->subspaces != sc->ms[0])
            continue;
        m_sweep w = {sc, q, acc};
        summary_stat st = over_seeds(sc->t, q, spread_excess, &w);
        claims_cmp c = {interval_sign(st), st.n, exp(st.mean), NAN, NAN};
        snprintf(what, sizeof what, "%s l=%u r=%g", q->label, q->iterations, q->target_ratio);
        tally_add(&y, c, -1, what);
    }
    return y;
}

/* The headline claim's comparisons: the paper's QET configuration at m = 8 and one l. It is the
 * one labelled "qet"; variants of QET run under other labels are not the paper's figures. */
static int in_headline_claim(const scope *sc, const summary_group *q, const char *acc, unsigned l) {
    return !strcmp(q->dataset, sc->dataset) && !strcmp(q->label, "qet") && q->iterations == l &&
           q->subspaces == 8 && !strcmp(q->accounting, acc) && q->n_ok;
}

/* +1 when the interval of a percentage lies above the paper's figure, -1 when at or below it. */
static int sign_against(summary_stat p, double paper) {
    if (!has_interval(p))
        return 0;
    return p.mean - p.half > paper ? 1 : p.mean + p.half <= paper ? -1 : 0;
}

/* "r=R: QET at P% of LABEL m=M": q against the strongest baseline run at its ratio, any m. */
static void append_best_of_all(text *best, const scope *sc, const summary_group *q) {
    const summary_group *ba = best_baseline(sc, 0, q->target_ratio, BASELINES_ALL);
    if (!ba)
        return;
    summary_stat pa = paired(sc->t, q, ba, percent);
    if (!pa.n)
        return;
    char name[96];
    baseline_name(name, sizeof name, ba, 1);
    text_printf(best, "%sr=%g: QET at %.1f%% of %s", best->n ? "; " : "", q->target_ratio, pa.mean,
                name);
}

static void append_percent(text *detail, const summary_group *q, const summary_group *b,
                           summary_stat p, int sign) {
    if (isfinite(p.half))
        text_printf(detail, "%sr=%g: %.1f%% ± %.1f of %s (%s)", detail->n ? "; " : "",
                    q->target_ratio, p.mean, p.half, b->label,
                    sign < 0   ? "holds"
                    : sign > 0 ? "above the claim"
                               : "not significant");
    else
        text_printf(detail, "%sr=%g: %.1f%% (%zu seed) of %s", detail->n ? "; " : "",
                    q->target_ratio, p.mean, p.n, b->label);
}

/* QET reaches the paper's percentage of the best baseline's MSE at l: per seed, QET's MSE over the
 * best of the paper's baselines at m = 8, in percent, at or below the paper's figure expected. */
static void claim_headline_percent(const scope *sc, const char *acc, unsigned l, text *md) {
    double paper = paper_percent[l - 1];
    tally y = {0};
    text detail = {0}, best = {0};
    char what[160];
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (!in_headline_claim(sc, q, acc, l))
            continue;
        const summary_group *b = best_baseline(sc, 8, q->target_ratio, BASELINES_PAPER);
        if (!b)
            continue;
        summary_stat p = paired(sc->t, q, b, percent);
        if (!p.n)
            continue;
        claims_cmp c = {sign_against(p, paper), p.n, p.mean / paper, NAN, NAN};
        snprintf(what, sizeof what, "r=%g: %.1f%%", q->target_ratio, p.mean);
        tally_add(&y, c, -1, what);
        append_best_of_all(&best, sc, q);
        append_percent(&detail, q, b, p, c.sign);
    }
    char claim[96], how[160];
    snprintf(claim, sizeof claim, "QET reaches %.1f%% of the best baseline's MSE (l = %u)", paper,
             l);
    snprintf(how, sizeof how,
             "qet at m = 8: per-seed MSE / best baseline's, in %%; holds "
             "where the interval is at or below %.1f%%",
             paper);
    md->failed |= detail.failed | best.failed; /* a lost piece makes the whole table lost */
    if (!md->failed)
        text_printf(md, "| %s | %s | %s | %s | %s |\n", claim, how,
                    tally_count(&y) && detail.s ? detail.s : "no data", verdict(&y),
                    best.n && best.s ? best.s : "—");
    free(detail.s);
    free(best.s);
}

static void claims_for(const scope *sc, const char *acc, text *md) {
    text_printf(md,
                "\n### %s, %s accounting\n\n| claim (paper §5) | how it is measured | measured | "
                "verdict | best of all baselines (any m) |\n|---|---|---|---|---|\n",
                sc->dataset, acc);
    tally rises = claim_error_rises(sc, acc), opq = claim_opq_worse(sc, acc),
          pq = claim_pq_worse_than_qet(sc, acc), iters = claim_more_iterations_better(sc, acc),
          sens = claim_reduced_sensitivity(sc, acc);
    tally_row(md, "error rises with compression ratio",
              "each configuration's MSE at the next larger ratio vs this one (ratio > 1 expected)",
              &rises);
    tally_row(md, "OPQ worse than the others at the same ratio",
              "OPQ's MSE / each other method's, same m and ratio (> 1 expected)", &opq);
    tally_row(md, "PQ worse than QET", "PQ's MSE / QET's, same m and ratio, each l (> 1 expected)",
              &pq);
    tally_row(md, "more iterations are better",
              "QET's MSE at the next larger l / at l, same m and ratio (< 1 expected)", &iters);
    tally_row(md, "reduced parameter sensitivity",
              "per seed: spread of log MSE over m for QET minus PQ's (exp shown; < 1 expected)",
              &sens);
    for (unsigned l = 1; l <= 4; l++)
        claim_headline_percent(sc, acc, l, md);
}

/* ---- one dataset's grid, and the files ---- */

static void scope_add_ratio(scope *sc, double r) {
    size_t k = 0;
    while (k < sc->nr && sc->ratios[k] != r)
        k++;
    if (k == sc->nr && sc->nr < 256)
        sc->ratios[sc->nr++] = r;
}

static void scope_add_subspaces(scope *sc, uint64_t m) {
    size_t k = 0;
    while (k < sc->nm && sc->ms[k] != m)
        k++;
    if (m && k == sc->nm && sc->nm < 64)
        sc->ms[sc->nm++] = m;
}

static void scope_add_accounting(scope *sc, const char *acc) {
    size_t k = 0;
    while (k < sc->na && strcmp(sc->accs[k], acc))
        k++;
    if (k == sc->na && sc->na < 2)
        sc->accs[sc->na++] = acc;
}

/* The grid of `dataset`: its ratios ascending, its m, its accounting modes with full first. */
static scope scope_of(const result_table *t, const summary_group *g, size_t ng,
                      const char *dataset) {
    scope sc = {t, g, ng, dataset, {0}, 0, {0}, 0, {NULL, NULL}, 0};
    for (size_t k = 0; k < ng; k++) {
        if (strcmp(g[k].dataset, dataset))
            continue;
        scope_add_ratio(&sc, g[k].target_ratio);
        scope_add_subspaces(&sc, g[k].subspaces);
        scope_add_accounting(&sc, g[k].accounting);
    }
    for (size_t a = 1; a < sc.nr; a++)
        for (size_t b = a; b > 0 && sc.ratios[b - 1] > sc.ratios[b]; b--) {
            double tmp = sc.ratios[b];
            sc.ratios[b] = sc.ratios[b - 1];
            sc.ratios[b - 1] = tmp;
        }
    if (sc.na == 2 && strcmp(sc.accs[0], "full")) {
        const char *tmp = sc.accs[0];
        sc.accs[0] = sc.accs[1];
        sc.accs[1] = tmp;
    }
    return sc;
}

int claims_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                 qb_error *err) {
    text md = {0}, hl = {0}, csv = {0};
    text_printf(
        &md, "# Claims of the paper, as measured\n\nRegenerated by `qetbench plot` from "
             "results.csv. Comparisons are paired by seed (same data): a 95%% Student-t interval "
             "on the per-seed log MSE ratio. A claim **holds** when every comparison it makes is "
             "significant in its favour, **does not hold** when any is significant against it, "
             "and is **not significant at 95%%** otherwise. MSE ratios are geometric means over "
             "seeds.\n");
    text_printf(&hl, "# Headline: QET MSE as %% of the best baseline\n");
    text_printf(&csv,
                "dataset,accounting,label,iterations,target_ratio,pct_vs_pq_family,ci95,"
                "best_pq_family,pct_vs_all,ci95_all,best_all,pct_vs_best_any_m,ci95_best_any_m,"
                "best_any_m\n");
    for (size_t i = 0; i < t->n; i++) {
        if (i && !strcmp(t->rows[i].dataset, t->rows[i - 1].dataset))
            continue; /* the table is sorted: one scope per dataset */
        scope sc = scope_of(t, g, ng, t->rows[i].dataset);
        for (size_t a = 0; a < sc.na; a++) {
            headline(&sc, sc.accs[a], &hl, &csv);
            claims_for(&sc, sc.accs[a], &md);
        }
    }
    char path[4096];
    int s = QB_OK;
    struct {
        const char *name;
        text *t;
    } out[] = {{"claims.md", &md}, {"headline.md", &hl}, {"headline.csv", &csv}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, out[i].name);
        if (!s && (!out[i].t->s || out[i].t->failed))
            s = qb_oom(err);
        if (!s)
            s = results_write_text(path, out[i].t->s, out[i].t->n, err);
        free(out[i].t->s);
    }
    return s;
}
