/* sweep_count.c - the size of an experiment's grid, by sweep_expand's rules: a method's own m and
 * l lists win over the experiment's, and a dimension the method ignores is one value. */
#include "sweep_count.h"

#include "sizes.h"

/* a * b, saturating at UINT64_MAX */
static uint64_t times(uint64_t a, uint64_t b) {
    uint64_t r;
    return size_mul(a, b, &r) ? UINT64_MAX : r;
}

uint64_t sweep_cell_count(const sweep_config *c) {
    uint64_t total = 0;
    for (size_t mi = 0; mi < c->n_methods; mi++) {
        const method_spec *ms = &c->methods[mi];
        const quant_params *b = &ms->base;
        uint64_t n_m = ms->n_subspaces ? ms->n_subspaces : c->n_subspaces ? c->n_subspaces : 1;
        uint64_t n_l = ms->n_iterations ? ms->n_iterations : c->n_iterations ? c->n_iterations : 1;
        if (!sweep_uses_subspaces(b))
            n_m = 1;
        if (!sweep_uses_iterations(b))
            n_l = 1;
        uint64_t n_a = sweep_uses_accounting(b) ? c->n_accounting : 1;
        uint64_t per = times(times(times(times(n_m, n_l), n_a), c->n_ratios), c->seeds);
        uint64_t all = times(per, c->n_datasets);
        total = all > UINT64_MAX - total ? UINT64_MAX : total + all;
    }
    return total;
}
