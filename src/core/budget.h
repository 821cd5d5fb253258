/* budget.h - the one place that counts stored bits, for every method, and the solver that picks the
 * largest free parameter (k_s, RTN bits) fitting a compression ratio. Nothing is ever clamped: a
 * budget no setting fits is reported as infeasible. */
#ifndef QB_BUDGET_H
#define QB_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* What a method stores to reconstruct the matrix, itemised, in bits. */
typedef struct {
    uint64_t codes;          /* packed indices (all stages) */
    uint64_t codebooks;      /* centroid entries, at 32 bits or CQO's b_c bits */
    uint64_t indicator_maps; /* QET's swap bits */
    uint64_t rotation;       /* OPQ / LOPQ rotations */
    uint64_t coarse;         /* LOPQ coarse centroids, codes and per-cell means */
    uint64_t scales;         /* RTN scales/offsets, CQO codebook scale/offset */
} storage_bits;

typedef enum { ACCOUNTING_FULL = 0, ACCOUNTING_FREE_IMAP = 1 } accounting_mode;

#define FLOAT_BITS 32u /* every stored float counts 32 bits unless CQO says otherwise */

const char *accounting_name(accounting_mode mode);
int accounting_parse(const char *name, accounting_mode *out); /* 0 ok, -1 unknown */

/* Every stored bit. */
uint64_t storage_total(const storage_bits *s);
/* The bits the budget charges: every bit under `full`, all but the indicator maps under
 * `free-imap`. */
uint64_t storage_charged(const storage_bits *s, accounting_mode mode);
void storage_add(storage_bits *into, const storage_bits *s);

/* Original size: n * d * source_bits. */
uint64_t budget_original_bits(size_t n, size_t d, unsigned source_bits);
/* The budget of a ratio: floor(original / ratio), UINT64_MAX when that does not fit in 64 bits
 * (a ratio like 1e-300), 0 for a NaN or negative ratio. */
uint64_t budget_for_ratio(uint64_t original_bits, double ratio);

/* floor(bits * share) for a share in [0, 1], saturating as budget_for_ratio does. */
uint64_t budget_share(uint64_t bits, double share);

/* Storage formulas, one per method family. */
/* PQ-like: n rows, m subspaces of d/m columns, k centroids each, codebook entries at entry_bits
 * (32 = plain floats; fewer = CQO, which adds one scale and one offset at 32 bits). */
storage_bits budget_pq(size_t n, size_t d, size_t m, uint64_t k, unsigned entry_bits);
/* OPQ: PQ on the rotated matrix plus the d x d rotation, 32 bits per entry. */
storage_bits budget_opq(size_t n, size_t d, size_t m, uint64_t k);
/* LOPQ with V cells: per row a coarse code (ceil(log2 V) bits) and m codes; per cell a coarse
 * centroid and a residual mean (d floats each, under `coarse`), a d x d rotation and its own m
 * sub-codebooks of k entries. */
storage_bits budget_lopq(size_t n, size_t d, size_t m, uint64_t k, size_t cells);
/* LOPQ's default V: the largest whose rotations take at most a quarter of the budget, capped at n;
 * 1 when even one rotation takes more (LOPQ is then OPQ on mean-centred residuals). */
size_t budget_lopq_default_cells(size_t n, size_t d, uint64_t budget);
/* RTN: b bits per element, one (scale, offset) pair at 32 bits each per group of `group` elements
 * along a row (group = d: per row; group = 0: one pair for the whole tensor). */
storage_bits budget_rtn(size_t n, size_t d, unsigned b, size_t group);
/* Lloyd-Max: b bits per element and a codebook of 2^b levels at 32 bits per group of `group`
 * elements along a row (group = d: per row; group = 0: one codebook for the whole tensor). */
storage_bits budget_lloyd(size_t n, size_t d, unsigned b, size_t group);
/* QET's indicator maps: l * d / 2 bits per row. */
uint64_t budget_indicator_bits(size_t n, size_t d, unsigned levels);

/* Largest k in [1, k_max] with charged(f(k)) <= budget, for any storage that grows with k;
 * 0 if none fits. */
typedef storage_bits (*budget_storage_fn)(uint64_t k, const void *ctx);
uint64_t budget_largest_k(budget_storage_fn f, const void *ctx, uint64_t k_max, uint64_t budget,
                          accounting_mode mode);

#endif
