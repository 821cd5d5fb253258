/* headline.c - QET's MSE as % of the best baseline of each set, at equal bits and at the same
 * target ratio. Percentages are geometric means over seeds of the per-seed MSE ratio, with the
 * 95% interval computed on its log (asymmetric). */
#include "headline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_sets.h"
#include "compare.h"
#include "left_out.h"
#include "quantizer.h"
#include "rivals.h"
#include "save.h"
#include "scope.h"
#include "text.h"

static const uint64_t paper_m = 8; /* §5's headline figures are at m = 8 */

/* Its rows: QET-like configurations at m = 8 and l = 1..4. */
static int in_headline(const scope *sc, const summary_group *q, const char *acc) {
    return !strcmp(q->dataset, sc->dataset) && method_is_qet_like(q->method) &&
           q->subspaces == paper_m && !strcmp(q->accounting, acc) && q->iterations >= 1 &&
           q->iterations <= 4;
}

static void intro(text *md) {
    text_printf(
        md, "# Headline: QET's MSE as %% of the best baseline\n\n"
            "QET at the paper's m = 8 (paper §5: 70.4, 49.7, 35.1, 12.3%% for l = 1..4), against "
            "each of three baseline sets, each in its own table:\n\n");
    for (baseline_set_id k = 0; k < BASELINE_SETS; k++)
        text_printf(md, "- **%s**: %s.\n", baseline_set_at(k)->name, baseline_set_at(k)->members);
    text_printf(
        md,
        "\nA percentage is the geometric mean over seeds of QET's MSE over the baseline's at the "
        "same seed (the same matrix), with its 95%% interval computed on the log ratio and "
        "transformed back (so it is asymmetric). **At equal bits** (the fair comparison) each "
        "baseline's MSE is read off its own rate–distortion curve, log MSE interpolated linearly "
        "in stored bits per element between its two nearest measured ratios, at the bits QET "
        "achieved; never extrapolated: a baseline whose points do not span QET's bits is listed "
        "as not spanning. The best baseline is the member with the lowest geometric-mean MSE "
        "there; the bits column gives the span of the two points it was read between. **At the "
        "same target ratio** the best member's cell at that ratio is taken as it is, whatever "
        "bits it achieved (beside its name). Degenerate cells (one centroid per subspace: no "
        "codes stored) and infeasible ones are never compared; below each table, the members "
        "that dropped out at each ratio. Seeds: the number of paired seeds (⚠ below %d).\n",
        VERDICT_MIN_SEEDS);
}

static void table_head(text *md, const scope *sc, const char *acc, const baseline_set_def *set) {
    text_printf(md, "\n### %s, %s accounting, m = 8: against %s\n\n", sc->dataset, acc, set->name);
    text_printf(md,
                "| method | l | ratio | QET bits | equal bits: QET %% of best | best (bits "
                "read between) | not spanning QET's bits | same target ratio: QET %% of "
                "best | best (its bits) | seeds |\n|---|---|---|---|---|---|---|---|---|---|\n");
}

static void csv_head(text *csv) {
    text_printf(csv, "dataset,accounting,label,iterations,target_ratio,status,qet_bits");
    for (baseline_set_id k = 0; k < BASELINE_SETS; k++) {
        const char *p = baseline_set_at(k)->key;
        text_printf(csv,
                    ",%s_bits_pct,%s_bits_lo,%s_bits_hi,%s_bits_best,%s_bits_read_lo,"
                    "%s_bits_read_hi,%s_bits_seeds,%s_not_spanning,%s_ratio_pct,%s_ratio_lo,"
                    "%s_ratio_hi,%s_ratio_best,%s_ratio_best_bits,%s_ratio_seeds",
                    p, p, p, p, p, p, p, p, p, p, p, p, p, p);
    }
    text_printf(csv, "\n");
}

/* The point against one set: both comparisons, and what could not be compared. */
typedef struct {
    int at_bits, at_ratio; /* found */
    best_rival bits, ratio;
    text not_spanning;
} set_result;

static int against_set(const scope *sc, const char *acc, const summary_group *q,
                       const baseline_set_def *set, left_out *dropped, set_result *r) {
    claim_pair p = {q, 1, -1, 1};
    *r = (set_result){0};
    r->at_bits = best_at_bits(sc, set, acc, p, &r->bits, dropped, &r->not_spanning);
    r->at_ratio = best_same_ratio(sc, set, acc, p, &r->ratio, dropped);
    return r->at_bits < 0 || r->at_ratio < 0 || r->not_spanning.failed ? -1 : 0;
}

static void md_seeds(text *md, size_t n) {
    text_printf(md, " %zu%s |", n, n < VERDICT_MIN_SEEDS ? " ⚠" : "");
}

static void md_row(text *md, const scope *sc, const summary_group *q, const set_result *r) {
    text_printf(md, "| %s | %u | %g |", q->label, q->iterations, q->target_ratio);
    const char *why = group_left_out(sc, q);
    if (why) {
        text_printf(md, " — | %s | | | %s | | |\n", why, why);
        return;
    }
    text_printf(md, " %.3g |", group_bits_mean(sc, q));
    if (r->at_bits) {
        text_printf(md, " ");
        put_ratio(md, r->bits.cmp.ratio, 100, "%");
        text_printf(md, " | %s (%.3g–%.3g) |", r->bits.cmp.what, r->bits.cmp.bits_lo,
                    r->bits.cmp.bits_hi);
    } else
        text_printf(md, " no member spans QET's bits | |");
    text_printf(md, " %s |", r->not_spanning.n ? r->not_spanning.s : "—");
    if (r->at_ratio) {
        text_printf(md, " ");
        put_ratio(md, r->ratio.cmp.ratio, 100, "%");
        text_printf(md, " | %s (%.3g) |", r->ratio.cmp.what, r->ratio.cmp.bits_lo);
    } else
        text_printf(md, " no member at this ratio | |");
    md_seeds(md, r->at_bits ? r->bits.cmp.ratio.n : r->at_ratio ? r->ratio.cmp.ratio.n : 0);
    text_printf(md, "\n");
}

static void csv_geo(text *csv, stats_geo g) {
    text_printf(csv, ",%.6g,%.6g,%.6g", 100 * g.center, 100 * g.lo, 100 * g.hi);
}

static void csv_set(text *csv, const set_result *r) {
    if (r->at_bits) {
        csv_geo(csv, r->bits.cmp.ratio);
        csv_text(csv, r->bits.cmp.what);
        text_printf(csv, ",%.6g,%.6g,%zu", r->bits.cmp.bits_lo, r->bits.cmp.bits_hi,
                    r->bits.cmp.ratio.n);
    } else
        text_printf(csv, ",,,,,,,0");
    csv_text(csv, r->not_spanning.n ? r->not_spanning.s : "");
    if (r->at_ratio) {
        csv_geo(csv, r->ratio.cmp.ratio);
        csv_text(csv, r->ratio.cmp.what);
        text_printf(csv, ",%.6g,%zu", r->ratio.cmp.bits_lo, r->ratio.cmp.ratio.n);
    } else
        text_printf(csv, ",,,,,,0");
}

static void csv_row_start(text *csv, const scope *sc, const char *acc, const summary_group *q) {
    const char *why = group_left_out(sc, q);
    text_printf(csv, "%s,%s,%s,%u,%g,%s,", sc->dataset, acc, q->label, q->iterations,
                q->target_ratio, why ? why : RESULT_OK);
    if (!why)
        text_printf(csv, "%.6g", group_bits_mean(sc, q));
}

/* One set's table of one accounting mode; its CSV columns go into the rows' texts. */
static int set_table(const scope *sc, const char *acc, baseline_set_id k, text *md, text *rows,
                     size_t n_rows, qb_error *err) {
    const baseline_set_def *set = baseline_set_at(k);
    left_out dropped;
    int s = left_out_init(&dropped, sc, err);
    table_head(md, sc, acc, set);
    for (size_t i = 0, row = 0; !s && i < sc->ng && row < n_rows; i++) {
        const summary_group *q = &sc->g[i];
        if (!in_headline(sc, q, acc))
            continue;
        set_result r = {0};
        if (!group_left_out(sc, q) && against_set(sc, acc, q, set, &dropped, &r))
            s = qb_oom(err);
        md_row(md, sc, q, &r);
        csv_set(&rows[row++], &r);
        text_free(&r.not_spanning);
    }
    text_printf(md, "\nDropped out of %s (no usable cell) at each ratio: ", set->name);
    left_out_names(&dropped, md);
    text_printf(md, "\n");
    md->failed |= dropped.failed;
    left_out_free(&dropped);
    return s;
}

static size_t count_rows(const scope *sc, const char *acc) {
    size_t n = 0;
    for (size_t i = 0; i < sc->ng; i++)
        n += in_headline(sc, &sc->g[i], acc);
    return n;
}

/* The three tables of one dataset and accounting mode, and their CSV rows. */
static int headline_section(const scope *sc, const char *acc, text *md, text *csv, qb_error *err) {
    size_t n = count_rows(sc, acc);
    if (!n)
        return QB_OK;
    text *rows = calloc(n, sizeof *rows);
    if (!rows)
        return qb_oom(err);
    for (size_t i = 0, row = 0; i < sc->ng; i++)
        if (in_headline(sc, &sc->g[i], acc))
            csv_row_start(&rows[row++], sc, acc, &sc->g[i]);
    int s = QB_OK;
    for (baseline_set_id k = 0; !s && k < BASELINE_SETS; k++)
        s = set_table(sc, acc, k, md, rows, n, err);
    for (size_t row = 0; row < n; row++) {
        text_printf(csv, "%s\n", rows[row].s ? rows[row].s : "");
        csv->failed |= rows[row].failed;
        text_free(&rows[row]);
    }
    free(rows);
    return s;
}

int headline_write(const char *dir, const result_table *t, const summary_group *g, size_t ng,
                   qb_error *err) {
    text md = {0}, csv = {0};
    intro(&md);
    csv_head(&csv);
    int s = QB_OK;
    for (size_t i = 0; !s && i < t->n; i++) {
        if (i && !strcmp(t->rows[i].dataset, t->rows[i - 1].dataset))
            continue; /* the table is sorted: one scope per dataset */
        scope sc = scope_of(t, g, ng, t->rows[i].dataset, 0);
        for (size_t a = 0; !s && a < sc.na; a++)
            s = headline_section(&sc, sc.accs[a], &md, &csv, err);
    }
    if (!s)
        s = report_save(dir, "headline.md", &md, err);
    if (!s)
        s = report_save(dir, "headline.csv", &csv, err);
    text_free(&md);
    text_free(&csv);
    return s;
}
