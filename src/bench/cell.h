/* cell.h - one measurement: solve the budget, quantize (fit + encode, timed), dequantize (timed),
 * compare, and report every stored bit. The CLI, the Lua module and the sweep all call this. */
#ifndef QB_CELL_H
#define QB_CELL_H

#include <stdio.h>

#include "budget.h"
#include "metrics.h"
#include "options.h"
#include "quantizer.h"
#include "recall.h"

/* A quantized model against its fp32 self (model_eval.h); positions 0: not measured, and then
 * none of these is reported. */
typedef struct {
    double kl_mean, kl_p99, top1, ppl, ppl_fp32;
    uint64_t positions;
} cell_model;

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
    cell_model model;                            /* model_eval.h fills it */
    recall_metrics recall; /* of a search over the reconstruction; queries 0: not measured */
    int angular;           /* recall on unit rows: the queries' file declares angular distance */
} cell_result;

/* Runs `p` on x. recon (optional): receives the reconstruction (allocated here). */
int cell_run(const quant_params *p, const matrix *x, cell_result *r, matrix *recon, qb_error *err);

/* One reported field of a cell. The CLI's JSON, the Lua result table and the results row are all
 * written from this one list, so they cannot disagree. Names with a "bits." prefix form the
 * `bits` group (JSON object, Lua table, bits_* columns). */
typedef enum { FIELD_TEXT, FIELD_INT, FIELD_REAL } cell_field_kind;
typedef struct {
    const char *name;
    cell_field_kind kind;
    char text[256]; /* the value as JSON and CSV write it (reals: %.17g, or nan) */
} cell_field;
typedef int (*cell_field_fn)(const cell_field *f, void *ctx);

/* Calls fn for every field of r in a fixed order: method, preset, n, d, every option of the table
 * (neutral 0 or "" where the method does not read it), the stored bits, the metrics, the times,
 * the solved stages, the model measures when measured (cell_model), the recall fields when
 * measured (recall1_at_1, recall1_at_10, recall1_at_100, recall10_at_10, queries, distance) and a
 * note (free-imap says so); stops at the first non-zero return and returns it. */
int cell_fields(const cell_result *r, cell_field_fn fn, void *ctx);

/* One JSON object on one line (the CLI contract). */
void cell_result_json(FILE *f, const cell_result *r);

#endif
