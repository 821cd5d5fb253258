/* queries.h - the queries of a recall measurement (recall.h): read from an HDF5 file in
 * ann-benchmarks' layout or any 2-D dataset, with the distance the file declares and the true
 * neighbours it may hold beside them (/neighbors, checked against the exact search on a sample of
 * queries), and the recall of a dequantized database against the originals. */
#ifndef QB_QUERIES_H
#define QB_QUERIES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "matrix.h"
#include "recall.h"

typedef struct {
    matrix queries;   /* (nq, d); unit rows for angular data */
    int angular;      /* the file's root attribute `distance` is "angular" */
    matrix neighbors; /* (nq, k) row indices from the file's `neighbors` beside the queries, or
                         empty: then the exact search gives the truth */
    char spec[1400];  /* FILE:/path, for messages */
} queries_set;

/* Reads FILE[:/path] (default /test): the queries (no NaN or Inf), the root attribute `distance`
 * ("euclidean" / "l2" or absent: L2; "angular" / "cosine": the queries are normalised) and a
 * dataset `neighbors` in the same group, if there is one. */
int queries_read(const char *spec, queries_set *q, qb_error *err);
void queries_free(queries_set *q);

/* The true nearest rows of base (the originals, normalised already for angular data) for every
 * query: *truth (nq, *k) malloc'ed, *k = min(10, rows). From the file's neighbours when it has
 * them, after checking them on a sample of queries against the exact search (QB_EINPUT naming
 * the first disagreement); else by the exact search. */
int queries_truth(const queries_set *q, const matrix *base, uint32_t **truth, size_t *k,
                  qb_error *err);

/* The recall of an exhaustive search over recon (the dequantized rows) against truth. */
int queries_recall(const queries_set *q, const uint32_t *truth, size_t k, const matrix *recon,
                   recall_metrics *m, qb_error *err);

#endif
