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

void left_out_check_curve(left_out *l, rd_curve c) {
    for (size_t i = c.first; i < c.first + c.n; i++)
        left_out_check(l, &l->sc->g[i]);
}

/* The order the names are listed in: by ratio, label, l, reason, m. */
static int by_name(const void *pa, const void *pb) {
    const left_out_item *a = pa, *b = pb;
    int c;
    if (a->g->target_ratio != b->g->target_ratio)
        return a->g->target_ratio < b->g->target_ratio ? -1 : 1;
    if ((c = strcmp(a->g->label, b->g->label)))
        return c;
    if (a->g->iterations != b->g->iterations)
        return a->g->iterations < b->g->iterations ? -1 : 1;
    if ((c = strcmp(a->why, b->why)))
        return c;
    return a->g->subspaces < b->g->subspaces ? -1 : a->g->subspaces > b->g->subspaces;
}

/* Two items name the same configuration at the same ratio but its m. */
static int same_but_m(const left_out_item *a, const left_out_item *b) {
    return a->g->target_ratio == b->g->target_ratio && !strcmp(a->g->label, b->g->label) &&
           a->g->iterations == b->g->iterations && !strcmp(a->why, b->why);
}

/* "LABEL[ l=L][ m=A,B,...] (why)" for the run of items like items[k] (sorted: adjacent); returns
 * the index after it. */
static size_t put_configuration(const left_out_item *items, size_t n, size_t k, text *out) {
    const summary_group *x = items[k].g;
    text_printf(out, "%s", x->label);
    if (method_uses(x->method, METHOD_USES_ITERATIONS))
        text_printf(out, " l=%u", x->iterations);
    size_t j = k, listed = 0;
    for (; j < n && same_but_m(&items[k], &items[j]); j++)
        if (items[j].g->subspaces)
            text_printf(out, "%s%llu",
                        listed++ ? "," : " m=", (unsigned long long)items[j].g->subspaces);
    text_printf(out, " (%s)", items[k].why);
    return j;
}

void left_out_names(const left_out *l, text *out) {
    if (!l->n) {
        text_printf(out, "none");
        return;
    }
    left_out_item *items = malloc(l->n * sizeof *items);
    if (!items) {
        out->failed = 1;
        return;
    }
    memcpy(items, l->items, l->n * sizeof *items);
    qsort(items, l->n, sizeof *items, by_name);
    for (size_t k = 0; k < l->n;) {
        int new_ratio = !k || items[k].g->target_ratio != items[k - 1].g->target_ratio;
        if (new_ratio)
            text_printf(out, "%sr=%g: ", k ? "; " : "", items[k].g->target_ratio);
        else
            text_printf(out, ", ");
        k = put_configuration(items, l->n, k, out);
    }
    free(items);
}
