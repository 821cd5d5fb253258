/* left_out.c - counting and naming the configurations a table could not use. */
#include "left_out.h"

#include <stdlib.h>
#include <string.h>

#include "quantizer.h"

int left_out_init(left_out *l, const scope *sc, qb_error *err) {
    *l = (left_out){0};
    l->sc = sc;
    l->seen = calloc(sc->ng + 1, 1);
    return l->seen ? QB_OK : qb_oom(err);
}

void left_out_free(left_out *l) {
    free(l->seen);
    free(l->items);
    *l = (left_out){0};
}

static void push(left_out *l, const summary_group *x, const char *why) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        left_out_item *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            l->failed = 1;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = (left_out_item){x, why};
}

int left_out_check(left_out *l, const summary_group *x) {
    const char *why = group_left_out(l->sc, x);
    if (!why)
        return 1;
    size_t i = (size_t)(x - l->sc->g);
    if (l->seen[i])
        return 0;
    l->seen[i] = 1;
    if (!strcmp(why, "infeasible"))
        l->infeasible++;
    else if (!strcmp(why, "degenerate"))
        l->degenerate++;
    else
        l->other++;
    push(l, x, why);
    return 0;
}

/* Two items name the same configuration but its m (so their m's are listed together). */
static int same_but_m(const left_out_item *a, const left_out_item *b) {
    return a->g->target_ratio == b->g->target_ratio && !strcmp(a->g->label, b->g->label) &&
           a->g->iterations == b->g->iterations && !strcmp(a->why, b->why);
}

/* "LABEL[ l=L][ m=A,B,...] (why)" for item k and the later items like it; marks them done. */
static void put_configuration(const left_out *l, size_t k, unsigned char *done, text *out) {
    const summary_group *x = l->items[k].g;
    text_printf(out, "%s", x->label);
    if (method_uses(x->method, METHOD_USES_ITERATIONS))
        text_printf(out, " l=%u", x->iterations);
    for (size_t j = k, listed = 0; j < l->n; j++) {
        if (done[j] || !same_but_m(&l->items[k], &l->items[j]))
            continue;
        done[j] = 1;
        if (l->items[j].g->subspaces)
            text_printf(out, "%s%llu",
                        listed++ ? "," : " m=", (unsigned long long)l->items[j].g->subspaces);
    }
    text_printf(out, " (%s)", l->items[k].why);
}

void left_out_names(const left_out *l, text *out) {
    if (!l->n) {
        text_printf(out, "none");
        return;
    }
    unsigned char *done = calloc(l->n, 1);
    if (!done) {
        out->failed = 1;
        return;
    }
    size_t written = 0;
    for (size_t r = 0; r < l->sc->nr; r++) {
        double ratio = l->sc->ratios[r];
        size_t at_ratio = 0;
        for (size_t k = 0; k < l->n; k++) {
            if (done[k] || l->items[k].g->target_ratio != ratio)
                continue;
            if (at_ratio++)
                text_printf(out, ", ");
            else
                text_printf(out, "%sr=%g: ", written ? "; " : "", ratio);
            put_configuration(l, k, done, out);
            written++;
        }
    }
    free(done);
}
