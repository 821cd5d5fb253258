/* sweep_count.c - the size of an experiment's grid, walked as sweep_expand walks it
 * (sweep_method_grid), without making its cells. */
#include "sweep_count.h"

#include "sizes.h"

/* a * b, saturating at UINT64_MAX */
static uint64_t times(uint64_t a, uint64_t b) {
    uint64_t r;
    return size_mul(a, b, &r) ? UINT64_MAX : r;
}

uint64_t sweep_cell_count(const sweep_config *c) {
    uint64_t total = 0;
    for (size_t di = 0; di < c->n_datasets; di++)
        for (size_t mi = 0; mi < c->n_methods; mi++) {
            sweep_grid g;
            sweep_method_grid(c, &c->datasets[di], &c->methods[mi], &g);
            uint64_t n_m = g.n_m, n_l = g.n_l, n_a = g.n_acc;
            uint64_t per = times(times(times(times(n_m, n_l), n_a), c->n_ratios), c->seeds);
            total = per > UINT64_MAX - total ? UINT64_MAX : total + per;
        }
    return total;
}
