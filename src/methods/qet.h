/* qet.h - the `qet` quantizer (paper §3, DESIGN §2): reorder (qet_reorder.h) -> PQ on contiguous
 * subspaces, optional residual stages (RO) and codebook quantization (CQO). */
#ifndef QB_QET_H
#define QB_QET_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
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

/* The chain's budget: indicator maps off the top (unless free-imap), then each stage fits its
 * largest k_s (or RTN bits) into its share of what remains. qb_infeasible when a stage cannot. */
int qet_solve_chain(struct quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err);
/* The storage of a solved chain, by the accounting formulas. */
void qet_predict(const struct quant_params *p, size_t n, size_t d, storage_bits *out);

/* The chain quantizer (the `qet` descriptor's functions; residual PQ runs the same chain). fit
 * trains every stage and leaves x encoded. */
int qet_chain_create(const struct quant_params *p, size_t n, size_t d, void **state, qb_error *err);
int qet_chain_fit(void *state, const matrix *x, qb_error *err);
int qet_chain_encode(void *state, const matrix *x, qb_error *err);
int qet_chain_decode(const void *state, matrix *out, qb_error *err);
void qet_chain_storage(const void *state, storage_bits *out);
void qet_chain_destroy(void *state);

#endif
