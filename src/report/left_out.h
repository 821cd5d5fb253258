/* left_out.h - the configurations a table could not compare, counted and named: infeasible (no
 * setting fits the budget), invalid, degenerate (ran, but stored no codes). A claim or a headline
 * table notes every configuration it looks at; the unusable ones are counted once each and listed
 * by target ratio, so nothing drops out of a table silently. */
#ifndef QB_LEFT_OUT_H
#define QB_LEFT_OUT_H

#include <stddef.h>

#include "scope.h"
#include "text.h"

typedef struct {
    const summary_group *g;
    const char *why;
} left_out_item;

typedef struct {
    const scope *sc;
    unsigned char *seen; /* per group of the scope: noted already */
    left_out_item *items;
    size_t n, cap;
    size_t infeasible, degenerate, other;
    int failed; /* out of memory: the list is incomplete */
} left_out;

int left_out_init(left_out *l, const scope *sc, qb_error *err);
void left_out_free(left_out *l);
/* 1 when x has a usable cell; otherwise notes x (once) and returns 0. */
int left_out_check(left_out *l, const summary_group *x);
/* Notes every group of a curve none of whose cells is usable. */
void left_out_check_curve(left_out *l, rd_curve c);
/* "r=8: lopq m=8 (infeasible), opq m=8,16 (infeasible); r=32: rtn (infeasible)", or "none":
 * by ratio, then label, l, reason and m. */
void left_out_names(const left_out *l, text *out);

#endif
