/* recall.h - nearest-neighbour recall of a quantized database: the exact nearest rows of each
 * query (squared L2, ties broken by row index) and how many of them a search over the dequantized
 * rows returns (faiss's 1-recall@R, ann-benchmarks' recall@10). Pure computation, deterministic
 * for any thread count.
 *
 * Typical use:
 *     uint32_t *truth = ..., *found = ...;                  // (nq, k) each
 *     recall_search(&original, &queries, k, truth, NULL, err);
 *     recall_search(&dequantized, &queries, k, found, NULL, err);
 *     recall_metrics m = recall_score(truth, k, found, k, nq);
 */
#ifndef QB_RECALL_H
#define QB_RECALL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "matrix.h"

/* The depth of a search: the largest R of R-recall reported. With fewer rows than this, every
 * search returns all of them, so recall1_at_100 counts the whole database (and is 1). */
#define RECALL_DEPTH 100
/* How many true neighbours the metrics read: recall10_at_10 needs the first 10. */
#define RECALL_TRUTH 10

typedef struct {
    double r1_at_1, r1_at_10, r1_at_100; /* fraction of queries whose true nearest row is among
                                            the first 1, 10, 100 returned */
    double r10_at_10;                    /* mean |returned top 10 ∩ true top 10| / 10 */
    size_t queries;
} recall_metrics;

/* The k rows of base nearest each query, nearest first, ties by the lower row index: out (nq, k)
 * row indices; dist (optional, (nq, k)) their squared distances in double. Requires
 * 1 <= k <= base->rows and matching columns. A GEMM on centred rows proposes candidates and a
 * proven bound on its rounding lets every row that could be among the k through; their distances
 * are then summed exactly in double, so the result is the same whatever the BLAS does. */
int recall_search(const matrix *base, const matrix *queries, size_t k, uint32_t *out, double *dist,
                  qb_error *err);

/* The metrics of `found` (nq, k_found: a search of the dequantized rows) against `truth`
 * (nq, k_truth: the exact neighbours among the originals). R is clipped to k_found (the rows
 * there are) and the 10 of recall10_at_10 to min(10, k_truth, k_found). */
recall_metrics recall_score(const uint32_t *truth, size_t k_truth, const uint32_t *found,
                            size_t k_found, size_t nq);

/* Scales each row to unit L2 norm (angular data: L2 order on unit rows is cosine order); a row of
 * zeros stays zero. */
void recall_normalise(matrix *m);

#endif
