/* baseline_sets.c - the three baseline sets. The paper's RTN is one min-max range per tensor (its
 * §5 and the authors' code); clipped or per-group RTN is a stronger baseline, not the paper's. */
#include "baseline_sets.h"

#include <string.h>

static const config_requirement paper_configuration[] = {
    {"rtn_granularity", "tensor"},
    {"rtn_clip", "minmax"},
    {NULL, NULL},
};
static const config_requirement any_configuration[] = {{NULL, NULL}};

static const baseline_set_def sets[BASELINE_SETS] = {
    {"paper", "the paper's baselines",
     "PQ, OPQ, LOPQ at QET's m and RTN with one min-max range per tensor", BASELINES_PAPER, 1,
     paper_configuration},
    {"pq_family", "the PQ family", "PQ, OPQ, LOPQ at QET's m, any options", BASELINES_PQ_FAMILY, 1,
     any_configuration},
    {"strongest", "the strongest baselines",
     "every configuration run that is not QET, at any m: clipped and per-group RTN, Lloyd-Max "
     "and residual PQ included",
     BASELINES_ALL, 0, any_configuration},
};

const baseline_set_def *baseline_set_at(baseline_set_id id) {
    return id < BASELINE_SETS ? &sets[id] : NULL;
}

/* b holds every required option its method reads at the required value. */
static int meets(const config_requirement *req, const scope *sc, const summary_group *b) {
    const quantizer_ops *q = quantizer_find(b->method);
    const result_row *r = &sc->t->rows[b->first];
    for (; req->option; req++) {
        char value[RESULT_OPTION_TEXT];
        qb_error err = {0};
        if (!method_reads(q, req->option))
            continue;
        if (results_row_get(r, req->option, value, sizeof value, &err) || strcmp(value, req->value))
            return 0;
    }
    return 1;
}

int baseline_set_admits(const baseline_set_def *s, const scope *sc, const summary_group *b,
                        uint64_t m) {
    if (!method_is_baseline(b->method, s->families))
        return 0;
    if (s->same_m && b->subspaces && b->subspaces != m)
        return 0;
    return meets(s->requires, sc, b);
}
