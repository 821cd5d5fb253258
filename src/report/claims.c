/* claims.c - the headline and claims tables. Every verdict comes from paired per-seed comparisons
 * with 95% Student-t intervals; a claim holds only where every comparison it makes is significant
 * in its favour, and does not hold where any comparison is significant against it. */
#include "text.h"
#include "claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_SEEDS 100000

/* Which baselines a comparison takes: the PQ family, the paper's baselines (the PQ family and
 * RTN, any of its ranges), or every baseline built in (Lloyd-Max and residual PQ too). */
enum { BASE_PQ_FAMILY = 0, BASE_PAPER = 1, BASE_ALL = 2 };

static int is_baseline(const char *method, int which) {
    if (!strcmp(method, "pq") || !strcmp(method, "opq") || !strcmp(method, "lopq"))
        return 1;
    if (which >= BASE_PAPER && !strcmp(method, "rtn"))
        return 1;
    return which == BASE_ALL && (!strcmp(method, "lloyd") || !strcmp(method, "rpq"));
}

static int compatible_acc(const summary_group *x, const char *acc) {
    return !strcmp(x->accounting, acc) || strcmp(x->method, "qet");
}

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

claims_cmp claims_compare(const result_table *t, const summary_group *a, const summary_group *b) {
    claims_cmp c = {0, 0, NAN, NAN, NAN};
    unsigned ms = max_seed(t, a);
    double *d = malloc((ms + 1) * sizeof *d);
    if (!d)
        return c;
    size_t n = 0;
    for (unsigned s = 1; s <= ms; s++) {
        double x = mse_at(t, a, s), y = mse_at(t, b, s);
        if (isfinite(x) && isfinite(y))
            d[n++] = log(x / y);
    }
    summary_stat st = summary_of(d, n);
    free(d);
    c.pairs = n;
    if (!n)
        return c;
    c.ratio = exp(st.mean);
    if (n >= 2 && isfinite(st.half)) {
        c.lo = exp(st.mean - st.half);
        c.hi = exp(st.mean + st.half);
        c.sign = st.mean - st.half > 0 ? 1 : st.mean + st.half < 0 ? -1 : 0;
    }
    return c;
}

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

static const char *verdict(const tally *y) {
    size_t n = y->support + y->against + y->unclear;
    if (!n)
        return "not measured";
    if (y->against)
        return "does not hold";
    if (y->support == n)
        return "holds";
    return "not significant at 95%";
}


static void tally_row(text *md, const char *claim, const char *how, const tally *y) {
    size_t n = y->support + y->against + y->unclear;
    text_printf(md, "| %s | %s | ", claim, how);
    if (n)
        text_printf(md, "%zu comparisons: %zu significantly for, %zu against, %zu not significant; "
               "MSE ratios %.3g..%.3g%s%s",
           n, y->support, y->against, y->unclear, y->lo_ratio, y->hi_ratio,
           y->against ? "; e.g. " : "", y->against ? y->worst : "");
    else
        text_printf(md, "no data");
    text_printf(md, " | %s | — |\n", verdict(y));
}

/* The best (lowest mean MSE) baseline at (dataset, m, ratio), any m when m = 0; NULL if none. */
static const summary_group *best_baseline(const summary_group *g, size_t ng, const char *dataset,
                                          uint64_t m, double ratio, int which) {
    const summary_group *best = NULL;
    for (size_t i = 0; i < ng; i++) {
        const summary_group *x = &g[i];
        if (strcmp(x->dataset, dataset) || x->target_ratio != ratio ||
            !is_baseline(x->method, which) || (m && x->subspaces && x->subspaces != m) ||
            !x->n_ok || !isfinite(x->mse.mean))
            continue;
        if (!best || x->mse.mean < best->mse.mean)
            best = x;
    }
    return best;
}

/* Per-seed QET / best baseline MSE in percent: mean and 95% interval. */
static summary_stat percent_of(const result_table *t, const summary_group *q,
                               const summary_group *b) {
    unsigned ms = max_seed(t, q);
    double *v = malloc((ms + 1) * sizeof *v);
    summary_stat st = {NAN, NAN, 0};
    if (!v)
        return st;
    size_t n = 0;
    for (unsigned s = 1; s <= ms; s++) {
        double x = mse_at(t, q, s), y = mse_at(t, b, s);
        if (isfinite(x) && isfinite(y))
            v[n++] = 100 * x / y;
    }
    st = summary_of(v, n);
    free(v);
    return st;
}

static const double paper_percent[4] = {70.4, 49.7, 35.1, 12.3}; /* §5, m = 8, l = 1..4 */

typedef struct {
    const result_table *t;
    const summary_group *g;
    size_t ng;
    const char *dataset;
    double ratios[256];
    size_t nr;
    uint64_t ms[64];
    size_t nm;
} scope;

static void headline(scope *sc, const char *acc, text *md, text *csv) {
    int any = 0;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *q = &sc->g[i];
        if (strcmp(q->dataset, sc->dataset) || strcmp(q->method, "qet") || q->subspaces != 8 ||
            strcmp(q->accounting, acc) || q->iterations < 1 || q->iterations > 4)
            continue;
        if (!any) {
            text_printf(md, "\n### %s, %s accounting, m = 8\n\n", sc->dataset, acc);
            text_printf(md, "QET's mean MSE as %% of the best baseline's at the same ratio (95%% interval "
                   "of the per-seed percentage; best baseline in brackets). Paper: 70.4, 49.7, "
                   "35.1, 12.3%% for l = 1..4. The PQ family and the paper's baselines (PQ, OPQ, "
                   "LOPQ, RTN) are at m = 8, the paper's comparison; the best of all baselines is "
                   "the strongest baseline configuration run at that ratio, any m, Lloyd-Max and "
                   "residual PQ included.\n\n");
            text_printf(md, "| method | l | ratio | vs PQ family | vs all baselines | vs best of all "
                   "baselines (any m) |\n|---|---|---|---|---|---|\n");
            any = 1;
        }
        text_printf(md, "| %s | %u | %g |", q->label, q->iterations, q->target_ratio);
        text_printf(csv, "%s,%s,%s,%u,%g", sc->dataset, acc, q->label, q->iterations, q->target_ratio);
        for (int col = 0; col < 3; col++) { /* PQ family at m = 8, all at m = 8, all at any m */
            const summary_group *b = best_baseline(sc->g, sc->ng, sc->dataset, col == 2 ? 0 : 8,
                                                   q->target_ratio, col);
            if (!b || !q->n_ok) {
                text_printf(md, " %s |", q->n_ok ? "no baseline" : q->status);
                text_printf(csv, ",,,");
                continue;
            }
            summary_stat p = percent_of(sc->t, q, b);
            char name[96];
            if (b->subspaces && col == 2)
                snprintf(name, sizeof name, "%s m=%llu", b->label,
                         (unsigned long long)b->subspaces);
            else
                snprintf(name, sizeof name, "%s", b->label);
            if (isfinite(p.half))
                text_printf(md, " %.1f%% ± %.1f (%s) |", p.mean, p.half, name);
            else /* one seed: no interval */
                text_printf(md, " %.1f%%, %zu seed (%s) |", p.mean, p.n, name);
            text_printf(csv, ",%.6g,%.6g,%s", p.mean, p.half, name);
        }
        text_printf(md, "\n");
        text_printf(csv, "\n");
    }
}

static void claims_for(scope *sc, const char *acc, text *md) {
    const result_table *t = sc->t;
    const summary_group *g = sc->g;
    size_t ng = sc->ng;
    text_printf(md, "\n### %s, %s accounting\n\n| claim (paper §5) | how it is measured | measured | "
           "verdict | best of all baselines (any m) |\n|---|---|---|---|---|\n",
       sc->dataset, acc);
    tally rises = {0}, opq = {0}, pq = {0}, iters = {0}, sens = {0};
    char what[160];
    for (size_t i = 0; i < ng; i++) {
        const summary_group *x = &g[i];
        if (strcmp(x->dataset, sc->dataset) || !compatible_acc(x, acc) || !x->n_ok)
            continue;
        /* 1: the next larger ratio of the same configuration has a larger MSE */
        size_t k = 0;
        while (k < sc->nr && sc->ratios[k] != x->target_ratio)
            k++;
        if (k + 1 < sc->nr) {
            const summary_group *y = summary_find(g, ng, x->dataset, x->label, acc, x->subspaces,
                                               x->iterations, sc->ratios[k + 1]);
            snprintf(what, sizeof what, "%s m=%llu l=%u r=%g->%g", x->label,
                     (unsigned long long)x->subspaces, x->iterations, x->target_ratio,
                     sc->ratios[k + 1]);
            if (y && y->n_ok)
                tally_add(&rises, claims_compare(t, y, x), 1, what);
        }
        for (size_t j = 0; j < ng; j++) {
            const summary_group *y = &g[j];
            if (j == i || strcmp(y->dataset, x->dataset) || y->target_ratio != x->target_ratio ||
                !compatible_acc(y, acc) || !y->n_ok)
                continue;
            int same_m = y->subspaces == x->subspaces || !y->subspaces || !x->subspaces;
            snprintf(what, sizeof what, "%s vs %s l=%u, m=%llu r=%g", x->label, y->label,
                     y->iterations, (unsigned long long)(x->subspaces ? x->subspaces : y->subspaces),
                     x->target_ratio);
            /* 2: OPQ's MSE above every other method's at the same ratio */
            if (!strcmp(x->method, "opq") && strcmp(y->method, "opq") && same_m)
                tally_add(&opq, claims_compare(t, x, y), 1, what);
            /* 3: PQ's MSE above QET's at the same m and ratio */
            if (!strcmp(x->method, "pq") && !strcmp(y->method, "qet") &&
                y->subspaces == x->subspaces)
                tally_add(&pq, claims_compare(t, x, y), 1, what);
            /* 4: QET with the next larger l below QET with l */
            if (!strcmp(x->method, "qet") && !strcmp(y->label, x->label) &&
                y->subspaces == x->subspaces && y->iterations > x->iterations &&
                !strcmp(y->accounting, x->accounting)) {
                int next = 1;
                for (size_t z = 0; z < ng; z++)
                    if (!strcmp(g[z].label, x->label) && !strcmp(g[z].dataset, x->dataset) &&
                        g[z].subspaces == x->subspaces && g[z].target_ratio == x->target_ratio &&
                        !strcmp(g[z].accounting, x->accounting) &&
                        g[z].iterations > x->iterations && g[z].iterations < y->iterations)
                        next = 0;
                snprintf(what, sizeof what, "%s l=%u->%u m=%llu r=%g", x->label, x->iterations,
                         y->iterations, (unsigned long long)x->subspaces, x->target_ratio);
                if (next)
                    tally_add(&iters, claims_compare(t, y, x), -1, what);
            }
        }
    }
    /* 6: spread of log MSE across m, per seed: QET (each label, l) against PQ */
    for (size_t i = 0; i < ng; i++) {
        const summary_group *q = &g[i];
        if (strcmp(q->dataset, sc->dataset) || strcmp(q->method, "qet") ||
            strcmp(q->accounting, acc) || q->subspaces != sc->ms[0] || sc->nm < 2)
            continue;
        unsigned ms = max_seed(t, q);
        double *d = malloc((ms + 1) * sizeof *d);
        size_t n = 0;
        for (unsigned s = 1; d && s <= ms; s++) {
            double qlo = INFINITY, qhi = -INFINITY, plo = INFINITY, phi = -INFINITY;
            size_t used = 0;
            for (size_t im = 0; im < sc->nm; im++) {
                const summary_group *qm = summary_find(g, ng, q->dataset, q->label, acc, sc->ms[im],
                                                    q->iterations, q->target_ratio);
                const summary_group *pm =
                    summary_find(g, ng, q->dataset, "pq", acc, sc->ms[im], 0, q->target_ratio);
                double a = qm ? mse_at(t, qm, s) : NAN, b = pm ? mse_at(t, pm, s) : NAN;
                if (!isfinite(a) || !isfinite(b))
                    continue;
                used++;
                qlo = fmin(qlo, log(a)), qhi = fmax(qhi, log(a));
                plo = fmin(plo, log(b)), phi = fmax(phi, log(b));
            }
            if (used >= 2)
                d[n++] = (qhi - qlo) - (phi - plo);
        }
        if (d && n) {
            summary_stat st = summary_of(d, n);
            claims_cmp c = {0, n, exp(st.mean), NAN, NAN};
            if (n >= 2 && isfinite(st.half))
                c.sign = st.mean - st.half > 0 ? 1 : st.mean + st.half < 0 ? -1 : 0;
            snprintf(what, sizeof what, "%s l=%u r=%g", q->label, q->iterations, q->target_ratio);
            tally_add(&sens, c, -1, what);
        }
        free(d);
    }
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
    /* 5: the headline percentages */
    for (unsigned l = 1; l <= 4; l++) {
        tally y = {0};
        text detail = {0}, best = {0};
        for (size_t i = 0; i < ng; i++) {
            const summary_group *q = &g[i];
            if (strcmp(q->dataset, sc->dataset) || strcmp(q->label, "qet") ||
                q->iterations != l || q->subspaces != 8 || strcmp(q->accounting, acc) ||
                !q->n_ok)
                continue;
            const summary_group *b =
                best_baseline(g, ng, sc->dataset, 8, q->target_ratio, BASE_PAPER);
            if (!b)
                continue;
            summary_stat p = percent_of(t, q, b);
            if (!p.n)
                continue;
            claims_cmp c = {0, p.n, p.mean / paper_percent[l - 1], NAN, NAN};
            if (p.n >= 2 && isfinite(p.half))
                c.sign = p.mean - p.half > paper_percent[l - 1]   ? 1
                         : p.mean + p.half <= paper_percent[l - 1] ? -1
                                                                   : 0;
            snprintf(what, sizeof what, "r=%g: %.1f%%", q->target_ratio, p.mean);
            tally_add(&y, c, -1, what);
            const summary_group *ba =
                best_baseline(g, ng, sc->dataset, 0, q->target_ratio, BASE_ALL);
            summary_stat pa = ba ? percent_of(t, q, ba) : (summary_stat){NAN, NAN, 0};
            if (ba && pa.n) {
                char m[32] = "";
                if (ba->subspaces)
                    snprintf(m, sizeof m, " m=%llu", (unsigned long long)ba->subspaces);
                text_printf(&best, "%sr=%g: QET at %.1f%% of %s%s", best.n ? "; " : "", q->target_ratio,
                   pa.mean, ba->label, m);
            }
            if (isfinite(p.half))
                text_printf(&detail, "%sr=%g: %.1f%% ± %.1f of %s (%s)", detail.n ? "; " : "",
                   q->target_ratio, p.mean, p.half, b->label,
                   c.sign < 0 ? "holds" : c.sign > 0 ? "above the claim" : "not significant");
            else
                text_printf(&detail, "%sr=%g: %.1f%% (%zu seed) of %s", detail.n ? "; " : "",
                   q->target_ratio, p.mean, p.n, b->label);
        }
        char claim[96], how[160];
        snprintf(claim, sizeof claim, "QET reaches %.1f%% of the best baseline's MSE (l = %u)",
                 paper_percent[l - 1], l);
        snprintf(how, sizeof how, "qet at m = 8: per-seed MSE / best baseline's, in %%; holds "
                                  "where the interval is at or below %.1f%%",
                 paper_percent[l - 1]);
        size_t n = y.support + y.against + y.unclear;
        text_printf(md, "| %s | %s | %s | %s | %s |\n", claim, how, n ? detail.s : "no data", verdict(&y),
           best.n ? best.s : "—");
        free(detail.s);
        free(best.s);
    }
}

int claims_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                 qb_error *err) {
    text md = {0}, hl = {0}, csv = {0};
    text_printf(&md, "# Claims of the paper, as measured\n\nRegenerated by `qetbench plot` from "
            "results.csv. Comparisons are paired by seed (same data): a 95%% Student-t interval "
            "on the per-seed log MSE ratio. A claim **holds** when every comparison it makes is "
            "significant in its favour, **does not hold** when any is significant against it, "
            "and is **not significant at 95%%** otherwise. MSE ratios are geometric means over "
            "seeds.\n");
    text_printf(&hl, "# Headline: QET MSE as %% of the best baseline\n");
    text_printf(&csv, "dataset,accounting,label,iterations,target_ratio,pct_vs_pq_family,ci95,"
             "best_pq_family,pct_vs_all,ci95_all,best_all,pct_vs_best_any_m,ci95_best_any_m,"
             "best_any_m\n");
    for (size_t i = 0; i < t->n; i++) {
        if (i && !strcmp(t->rows[i].dataset, t->rows[i - 1].dataset))
            continue;
        scope sc = {t, g, ng, t->rows[i].dataset, {0}, 0, {0}, 0};
        const char *accs[2] = {NULL, NULL};
        size_t na = 0;
        for (size_t k = 0; k < ng; k++) {
            if (strcmp(g[k].dataset, sc.dataset))
                continue;
            size_t r = 0;
            while (r < sc.nr && sc.ratios[r] != g[k].target_ratio)
                r++;
            if (r == sc.nr && sc.nr < 256)
                sc.ratios[sc.nr++] = g[k].target_ratio;
            size_t m = 0;
            while (m < sc.nm && sc.ms[m] != g[k].subspaces)
                m++;
            if (g[k].subspaces && m == sc.nm && sc.nm < 64)
                sc.ms[sc.nm++] = g[k].subspaces;
            size_t a = 0;
            while (a < na && strcmp(accs[a], g[k].accounting))
                a++;
            if (a == na && na < 2)
                accs[na++] = g[k].accounting;
        }
        for (size_t a = 1; a < sc.nr; a++)
            for (size_t b = a; b > 0 && sc.ratios[b - 1] > sc.ratios[b]; b--) {
                double tmp = sc.ratios[b];
                sc.ratios[b] = sc.ratios[b - 1];
                sc.ratios[b - 1] = tmp;
            }
        if (na == 2 && strcmp(accs[0], "full")) {
            const char *tmp = accs[0];
            accs[0] = accs[1];
            accs[1] = tmp;
        }
        for (size_t a = 0; a < na; a++) {
            headline(&sc, accs[a], &hl, &csv);
            claims_for(&sc, accs[a], &md);
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
