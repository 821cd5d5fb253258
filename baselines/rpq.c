/* rpq.c - residual PQ: QET's stage chain with no reordering anywhere (by default the authors' RO
 * split, 70% / 30%), so that RO's gain can be told apart from the reordering's. */
#include <stdio.h>

#include "qet.h"
#include "quantizer.h"

static int rpq_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    p->iterations = 0;
    if (!p->residual[0])
        snprintf(p->residual, sizeof p->residual, "pq:0.3");
    int s = qet_parse_stages(p, err);
    for (size_t i = 1; !s && i < p->n_stages; i++)
        if (p->stages[i].kind != STAGE_VECTOR || p->stages[i].levels)
            return qb_fail(err, "rpq stages are PQ stages only (pq:SHARE), got '%s'", p->residual);
    return s ? s : qet_solve_chain(p, n, d, budget, err);
}

static const char *const rpq_options[] = {
    "subspaces",     "ks",       "kmeans_init", "kmeans_iters", "max_points_per_centroid",
    "codebook_bits", "residual", NULL};

const quantizer_ops rpq_method = {
    .name = "rpq",
    .help = "residual PQ: the RO chain without reordering (default residual pq:0.3)",
    .family = METHOD_FAMILY_STRONG,
    .dims = METHOD_USES_SUBSPACES,
    .options = rpq_options,
    .solve = rpq_solve,
    .predict = qet_predict,
    .fit_encodes = 1,
    .create = qet_chain_create,
    .fit = qet_chain_fit,
    .encode = qet_chain_encode,
    .decode = qet_chain_decode,
    .storage = qet_chain_storage,
    .destroy = qet_chain_destroy,
};
