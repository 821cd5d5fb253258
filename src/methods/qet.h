/* qet.h - the `qet` quantizer (paper §3, DESIGN §2): reorder (qet_reorder.h) -> PQ on contiguous
 * subspaces, optional residual stages (RO) and codebook quantization (CQO). */
#ifndef QB_QET_H
#define QB_QET_H

#include <stddef.h>

#include "error.h"
#include "matrix.h"
#include "qet_reorder.h"

struct quant_params;

/* The order a vector stage at `levels` uses under p's layout and pairing (strided window 0 means
 * the whole row). */
qet_order qet_order_of(const struct quant_params *p, unsigned levels, size_t d);

/* The stage chain of a `qet` cell: stage 0 is QET at p->iterations; p->residual adds stages
 *   "pq:SHARE", "qet:L:SHARE" or "rtn:SHARE", comma-separated (e.g. "pq:0.3"),
 * each taking SHARE of the budget left after all indicator maps; stage 0 takes the rest.
 * Fills p->stages and p->n_stages (shares only; budget_solve fills k_s and bits). */
int qet_parse_stages(struct quant_params *p, qb_error *err);

/* One stage's own reconstruction of a fitted+encoded `qet` quantizer state (out: n x d); the
 * method's decode is the sum of these. */
int qet_decode_stage(const void *state, size_t stage, matrix *out, qb_error *err);

/* Named presets: "basic" (one stage, float codebooks: the paper's QET) and "authors" (the released
 * code's advanced configuration: l = 3 then a PQ stage, 70% / 30%, 10-bit codebooks). */
int qet_apply_preset(struct quant_params *p, const char *name, qb_error *err);

#endif
