/* cell.h - one measurement: solve the budget, quantize (fit + encode, timed), dequantize (timed),
 * compare, and report every stored bit. The CLI, the Lua module and the sweep all call this. */
#ifndef QB_CELL_H
#define QB_CELL_H

#include <stdio.h>

#include "budget.h"
#include "metrics.h"
#include "quantizer.h"

typedef struct {
    quant_params params; /* as run: the solved k_s / bits filled in */
    size_t n, d;
    storage_bits bits;      /* what the method stores, itemised */
    uint64_t original_bits; /* n * d * source_bits */
    uint64_t charged_bits;  /* what the accounting mode charges */
    double ratio;           /* achieved: original / charged */
    error_metrics error;
    double seconds_quantize, seconds_dequantize; /* fit + encode; decode */
    double seconds_fit, seconds_encode;          /* the two parts of seconds_quantize */
} cell_result;

/* Runs `p` on x. recon (optional): receives the reconstruction (allocated here). */
int cell_run(const quant_params *p, const matrix *x, cell_result *r, matrix *recon, qb_error *err);

/* One JSON object on one line (the CLI contract). */
void cell_result_json(FILE *f, const cell_result *r);

#endif
