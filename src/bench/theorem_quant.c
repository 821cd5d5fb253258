/* theorem_quant.c - the variance theorem measured through the quantizers: QET on N(mu, sigma^2)
 * against PQ on N(mu, fraction sigma^2) at the same k_s and subspaces, over seeds. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "rng.h"
#include "synthetic.h"
#include "theorem.h"
#include "theorem_quant.h"

theorem_quant_config theorem_quant_defaults(void) {
    return (theorem_quant_config){.n = 4096,
                                  .d = 64,
                                  .subspaces = 8,
                                  .ks = 256,
                                  .levels = 1,
                                  .seeds = 10,
                                  .mu = 0,
                                  .sigma = 1,
                                  .fraction = 1 - 1 / M_PI};
}

theorem_summary theorem_summarize(const double *x, size_t n) {
    theorem_summary s = {0};
    for (size_t i = 0; i < n; i++)
        s.mean += x[i];
    s.mean /= (double)n;
    if (n < 2) {
        s.lo = s.hi = s.mean;
        return s;
    }
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - s.mean) * (x[i] - s.mean);
    s.sd = sqrt(ss / (double)(n - 1));
    double h = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * s.sd / sqrt((double)n);
    s.lo = s.mean - h;
    s.hi = s.mean + h;
    return s;
}

static int one_cell(const char *method, unsigned levels, const theorem_quant_config *c,
                    const matrix *x, uint64_t seed, double *mse, double *ratio, qb_error *err) {
    quant_params p = quant_params_defaults();
    snprintf(p.method, sizeof p.method, "%s", method);
    p.subspaces = c->subspaces;
    p.ks = c->ks;
    p.iterations = levels;
    p.seed = seed;
    char key[128];
    snprintf(key, sizeof key, "theorem/quant/%s/l=%u", method, levels);
    p.cell = rng_hash_string(key);
    cell_result r;
    int s = cell_run(&p, x, &r, NULL, err);
    if (!s) {
        *mse = r.error.mse;
        *ratio = r.ratio;
    }
    return s;
}

int theorem_quant_run(const theorem_quant_config *c, theorem_quant_result *out, qb_error *err) {
    if (c->seeds < 2 || c->seeds > THEOREM_QUANT_MAX_SEEDS)
        return qb_fail(err, "theorem: seeds must be in 2..%d (got %u)", THEOREM_QUANT_MAX_SEEDS,
                       c->seeds);
    if (!(c->sigma > 0) || !(c->fraction > 0))
        return qb_fail(err, "theorem: sigma and the variance fraction must be positive");
    memset(out, 0, sizeof *out);
    out->cfg = *c;
    double reduced_sigma = c->sigma * sqrt(c->fraction);
    double ratio_qr[THEOREM_QUANT_MAX_SEEDS], ratio_qp[THEOREM_QUANT_MAX_SEEDS];
    int s = QB_OK;
    for (unsigned k = 0; !s && k < c->seeds; k++) {
        uint64_t seed = k + 1;
        matrix x = {0}, y = {0};
        s = synthetic_gaussian(&x, c->n, c->d, c->mu, c->sigma, seed, err);
        /* Its own stream: the reduced matrix is not the first one rescaled. */
        if (!s)
            s = synthetic_gaussian(&y, c->n, c->d, c->mu, reduced_sigma,
                                   rng_derive(seed, rng_hash_string("theorem/quant/reduced"), 0),
                                   err);
        if (!s)
            s = one_cell("qet", c->levels, c, &x, seed, &out->qet[k], &out->qet_ratio, err);
        if (!s)
            s = one_cell("pq", 0, c, &y, seed, &out->pq_reduced[k], &out->pq_ratio, err);
        if (!s)
            s = one_cell("pq", 0, c, &x, seed, &out->pq[k], &out->pq_ratio, err);
        matrix_free(&x);
        matrix_free(&y);
        if (!s) {
            ratio_qr[k] = out->qet[k] / out->pq_reduced[k];
            ratio_qp[k] = out->qet[k] / out->pq[k];
        }
    }
    if (s)
        return s;
    out->s_qet = theorem_summarize(out->qet, c->seeds);
    out->s_pq_reduced = theorem_summarize(out->pq_reduced, c->seeds);
    out->s_pq = theorem_summarize(out->pq, c->seeds);
    out->ratio = theorem_summarize(ratio_qr, c->seeds);
    out->gain = theorem_summarize(ratio_qp, c->seeds);
    return QB_OK;
}
