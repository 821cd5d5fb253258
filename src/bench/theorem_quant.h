/* theorem_quant.h - the variance theorem through the quantizers: QET on N(mu, sigma^2) against PQ
 * on data of the predicted variance, cell by cell (theorem.h holds the closed forms). */
#ifndef QB_THEOREM_QUANT_H
#define QB_THEOREM_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The paper's equivalence: QET at l levels on N(mu, sigma^2) has the MSE of PQ on data of variance
 * fraction * sigma^2 (0.682 at l = 1), at the same k_s and subspaces. Each seed draws fresh
 * matrices (the reduced-variance one from its own stream, so the two sides are independent). */
#define THEOREM_QUANT_MAX_SEEDS 64

typedef struct {
    size_t n, d, subspaces;
    uint64_t ks;
    unsigned levels; /* QET levels (1: the paper's claim) */
    unsigned seeds;  /* seeds 1..seeds, at most THEOREM_QUANT_MAX_SEEDS */
    double mu, sigma;
    double fraction; /* the PQ data's variance is fraction * sigma^2 */
} theorem_quant_config;

/* Mean over seeds with its 95% Student t interval. */
typedef struct {
    double mean, sd, lo, hi;
} theorem_summary;

typedef struct {
    theorem_quant_config cfg;
    double qet[THEOREM_QUANT_MAX_SEEDS];        /* MSE of QET on N(mu, sigma^2), per seed */
    double pq_reduced[THEOREM_QUANT_MAX_SEEDS]; /* MSE of PQ on N(mu, fraction sigma^2) */
    double pq[THEOREM_QUANT_MAX_SEEDS];         /* MSE of PQ on the QET side's matrix */
    theorem_summary s_qet, s_pq_reduced, s_pq;
    theorem_summary ratio;      /* per seed: qet / pq_reduced (1 if the equivalence holds) */
    theorem_summary gain;       /* per seed: qet / pq on the same matrix */
    double qet_ratio, pq_ratio; /* compression ratios achieved (QET also stores indicator maps) */
} theorem_quant_result;

theorem_quant_config theorem_quant_defaults(void);
theorem_summary theorem_summarize(const double *x, size_t n);
/* Runs the 3 * seeds cells through cell_run (methods "qet" and "pq"). */
int theorem_quant_run(const theorem_quant_config *c, theorem_quant_result *out, qb_error *err);

#endif
