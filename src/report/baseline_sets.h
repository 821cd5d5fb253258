/* baseline_sets.h - the sets of baselines QET is compared with, in one place. A set is defined by
 * the method families of the descriptors (quantizer.h) and by configuration: options a member must
 * hold (read from its results columns), and whether it must be at the compared configuration's m.
 * Members are named by their labels in every table, never chosen by method name. */
#ifndef QB_BASELINE_SETS_H
#define QB_BASELINE_SETS_H

#include <stddef.h>
#include <stdint.h>

#include "quantizer.h"
#include "scope.h"

typedef enum {
    SET_PAPER = 0,     /* the paper's: PQ, OPQ, LOPQ at the same m; per-tensor min-max RTN */
    SET_PQ_FAMILY = 1, /* PQ, OPQ, LOPQ at the same m, any options */
    SET_STRONGEST = 2, /* every configuration run that is not QET-like, any m */
    BASELINE_SETS = 3,
} baseline_set_id;

/* An option a member must hold when its method reads that option (results column = value). */
typedef struct {
    const char *option;
    const char *value;
} config_requirement;

typedef struct {
    const char *key;     /* its column prefix in headline.csv and claims.csv */
    const char *name;    /* as the tables name it */
    const char *members; /* what it holds, for the tables' preambles */
    baseline_set families;
    int same_m;                         /* members at the compared configuration's m (or none) */
    const config_requirement *requires; /* ends with {NULL, NULL} */
} baseline_set_def;

const baseline_set_def *baseline_set_at(baseline_set_id id);

/* Whether configuration b (its options read from its first row) belongs to set s when compared
 * with a configuration at m subspaces. */
int baseline_set_admits(const baseline_set_def *s, const scope *sc, const summary_group *b,
                        uint64_t m);

#endif
