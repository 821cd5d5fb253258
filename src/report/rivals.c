/* rivals.c - choosing the best baseline of a set for one point. */
#include "rivals.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int member(const scope *sc, const baseline_set_def *set, const char *acc,
                  const summary_group *point, const summary_group *x) {
    return scope_has(sc, x, acc) && baseline_set_admits(set, sc, x, point->subspaces);
}

/* The curve's mean log MSE read at the point's bits over the seeds where both exist; NaN when it
 * spans them at no seed. */
static double mean_reading(const scope *sc, rd_curve c, const summary_group *point) {
    double sum = 0;
    size_t n = 0;
    for (unsigned s = 1, seeds = group_seeds(sc, point); s <= seeds; s++) {
        double bits = group_bits_at(sc, point, s);
        if (isnan(bits))
            continue;
        rd_reading r = curve_read(sc, c, s, bits);
        if (!isnan(r.log_mse)) {
            sum += r.log_mse;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

int best_at_bits(const scope *sc, const baseline_set_def *set, const char *acc, claim_pair p,
                 best_rival *out, left_out *dropped, text *not_spanning) {
    const summary_group *best = NULL;
    double best_mean = INFINITY;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!member(sc, set, acc, p.point, x) || !scope_opens_curve(sc, x))
            continue;
        rd_curve c = scope_curve_of(sc, x);
        if (!curve_usable(sc, c)) {
            left_out_check_curve(dropped, c);
            continue;
        }
        double mean = mean_reading(sc, c, p.point);
        if (isnan(mean)) {
            char name[96];
            group_name(name, sizeof name, x);
            text_printf(not_spanning, "%s%s", not_spanning->n ? ", " : "", name);
        } else if (mean < best_mean) {
            best_mean = mean;
            best = x;
        }
    }
    if (!best)
        return 0;
    out->config = best;
    int found = compare_at_bits(sc, p, scope_curve_of(sc, best), &out->cmp);
    if (found > 0)
        group_name(out->cmp.what, sizeof out->cmp.what, best);
    return found;
}

int best_same_ratio(const scope *sc, const baseline_set_def *set, const char *acc, claim_pair p,
                    best_rival *out, left_out *dropped) {
    const summary_group *best = NULL;
    double best_mean = INFINITY;
    for (size_t i = 0; i < sc->ng; i++) {
        const summary_group *x = &sc->g[i];
        if (!member(sc, set, acc, p.point, x) || x->target_ratio != p.point->target_ratio ||
            !left_out_check(dropped, x))
            continue;
        double mean = group_log_mse_mean(sc, x);
        if (mean < best_mean) {
            best_mean = mean;
            best = x;
        }
    }
    if (!best)
        return 0;
    out->config = best;
    int found = compare_same_ratio(sc, p, best, &out->cmp);
    if (found > 0)
        group_name(out->cmp.what, sizeof out->cmp.what, best);
    return found;
}
