/* rivals.h - the best member of a baseline set against one QET point, at equal bits and at the
 * same target ratio; the members that could not be compared are named, never skipped silently. */
#ifndef QB_RIVALS_H
#define QB_RIVALS_H

#include "baseline_sets.h"
#include "compare.h"
#include "left_out.h"
#include "scope.h"
#include "text.h"

typedef struct {
    const summary_group *config; /* the best member (equal bits: a group of its curve) */
    comparison cmp;              /* the point against it */
} best_rival;

/* Equal bits: among the set's members under acc whose curve spans the point's bits, the one with
 * the lowest geometric-mean MSE read there (over the seeds the point has). Members with no usable
 * cell at all are noted in `dropped`; members that do not span the bits are named in
 * not_spanning ("pq m=16, rtn"). 1 found, 0 none, -1 out of memory. */
int best_at_bits(const scope *sc, const baseline_set_def *set, const char *acc, claim_pair p,
                 best_rival *out, left_out *dropped, text *not_spanning);
/* Same target ratio: the member at the point's ratio with the lowest geometric-mean MSE; members
 * at that ratio with no usable cell are noted in `dropped`. */
int best_same_ratio(const scope *sc, const baseline_set_def *set, const char *acc, claim_pair p,
                    best_rival *out, left_out *dropped);

#endif
