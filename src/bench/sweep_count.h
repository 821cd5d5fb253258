/* sweep_count.h - how many cells an experiment has, counted without making them (sweep_expand
 * spends some 800 bytes a cell before anything runs: a config's bound is checked first). */
#ifndef QB_SWEEP_COUNT_H
#define QB_SWEEP_COUNT_H

#include <stdint.h>

#include "sweep.h"

/* The number of cells sweep_expand makes (UINT64_MAX when that does not fit in 64 bits). */
uint64_t sweep_cell_count(const sweep_config *c);

#endif
