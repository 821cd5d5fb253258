/* results.h - the results store of an experiment directory: one row per cell (DESIGN §6) in
 * DIR/results.csv (appended one whole line at a time, the source of truth) and DIR/results.h5 (a
 * compound table rewritten atomically), so an interrupted run loses no finished row. */
#ifndef QB_RESULTS_H
#define QB_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "budget.h"
#include "error.h"

/* Cell outcomes: measured, a budget no setting of the method fits, or parameters the method
 * rejects for this shape (e.g. m does not divide d). Never silently changed into another cell. */
#define RESULT_OK "ok"
#define RESULT_INFEASIBLE "infeasible"
#define RESULT_INVALID "invalid"

#define RESULT_MAX_OPTIONS 40 /* option-table entries that get a generated column */
#define RESULT_OPTION_TEXT 128

typedef struct {
    char key[256];
    char status[16];
    char note[256]; /* the reason, for rows that are not ok */
    char experiment[64], dataset[64], label[64], method[16], preset[16];
    char data_kind[16];         /* synthetic, gaussian or file */
    double data_mu, data_sigma; /* gaussian: the generator's parameters (0 otherwise) */
    uint64_t n, d;
    unsigned source_bits;
    uint64_t subspaces, ks; /* 0 for methods without subspaces */
    unsigned rtn_bits, iterations;
    char accounting[16];
    char stages[256]; /* a chain's solved stages, e.g. "qet:l3:k180:0.7+pq:l0:k64:0.3" */
    unsigned seed_index;
    uint64_t seed;
    double target_ratio, ratio;
    uint64_t bits_codes, bits_codebooks, bits_indicator_maps, bits_rotation, bits_coarse,
        bits_scales, bits_total, bits_charged, original_bits;
    double mse, mae, mre;
    uint64_t mre_excluded;
    double seconds_quantize, seconds_dequantize, seconds_fit, seconds_encode;
    double kl_mean, kl_p99, top1, ppl, ppl_fp32; /* a model's cells (model_eval.h); else NaN */
    uint64_t positions;                          /* 0 where not measured */
    /* Downstream metrics, NaN (0, "") where not measured. Recall (queries.h): */
    double recall1_at_1, recall1_at_10, recall1_at_100, recall10_at_10;
    uint64_t queries;
    char distance[16]; /* "l2" or "angular" (rows and queries normalised) */
    char baseline[64]; /* QTR/DTR divide by this label's times at the same data, m, ratio, seed */
    double qtr, dtr;   /* NaN when the baseline row is missing */
    char versions[256], revision[64];
    /* The method options (options.h) without a column above, one generated column each. */
    int64_t option_int[RESULT_MAX_OPTIONS];
    char option_text[RESULT_MAX_OPTIONS][RESULT_OPTION_TEXT];
} result_row;

typedef struct {
    result_row *rows;
    size_t n, cap;
    size_t *slots; /* hash index of keys (row + 1; 0 empty), built by result_table_find */
    size_t n_slots, indexed;
} result_table;

void result_table_free(result_table *t);
int result_table_push(result_table *t, const result_row *r, qb_error *err);
/* Index of the row with this key, or -1. */
long result_table_find(const result_table *t, const char *key);

/* A row with nothing measured: zeros, and NaN where a missing value must not read as 0. */
void result_row_clear(result_row *r);

/* Canonical order (dataset, label, accounting, m, l, ratio, seed index, key): the same rows give
 * the same files whatever order they finished in. */
void result_table_sort(result_table *t);
/* Fills qtr/dtr of every row from the row of its baseline label at the same dataset, m, l when
 * the baseline uses it, ratio, accounting when it uses it, and seed. Out of memory: qb_oom, and
 * no row is changed. */
int result_table_time_ratios(result_table *t, qb_error *err);

/* Reads DIR/results.csv (missing: empty table). A last line without its newline (a write cut by
 * a kill) is ignored. A bad line (malformed, a value its column cannot hold, a name that is a
 * path, a non-finite number where the grid or an ok row needs one) or a key given twice is an
 * error naming DIR/results.csv:LINE and the way out (RESULTS_WAY_OUT). */
int results_read(const char *dir, result_table *t, qb_error *err);
#define RESULTS_WAY_OUT                                                                            \
    "'qetbench results check %s' lists every bad line, and with --repair drops them (keeping "     \
    "a copy of the file)"

/* One line of DIR/results.csv after the header, as read. */
typedef struct {
    long line;             /* 1-based: the header is line 1 */
    const char *text;      /* the line as written, without its newline */
    const result_row *row; /* the row, when the line is good (even if its key is not new) */
    const char *problem;   /* why the line is bad, else NULL */
    long first_line;       /* a good row whose key an earlier line holds: that line; else 0 */
    int cut;               /* the last line, without its newline (also a problem) */
} results_line;
typedef int (*results_line_fn)(const results_line *l, void *ctx);
/* Calls fn for every line after the header, in order, and stops at its first non-zero return
 * (returned). The header must be good (else QB_EINPUT); a missing file has no lines. */
int results_scan(const char *dir, results_line_fn fn, void *ctx, qb_error *err);

/* Appending: one whole line per row, written with one write(): a killed process leaves it whole
 * or absent (the final rewrite fsyncs; a power cut may lose the last rows, never corrupt them). */
typedef struct {
    int fd;
    char path[4200];
} results_appender;
int results_append_open(results_appender *a, const char *dir, qb_error *err);
/* A failed append takes its partial line back and names the cause (errno, also after a short
 * write). */
int results_append(results_appender *a, const result_row *r, qb_error *err);
void results_append_close(results_appender *a);

/* Rewrites DIR/results.csv and DIR/results.h5 from t, each atomically (temporary + rename). */
int results_write_all(const char *dir, const result_table *t, qb_error *err);
/* Only DIR/results.h5 (called while a sweep runs, so the HDF5 copy trails the CSV by little). */
int results_write_h5(const char *dir, const result_table *t, qb_error *err);

/* Sets the column called `name` ("bits.codes" is column bits_codes) from its text form, as a CSV
 * field is read. QB_EINTERNAL for a name with no column: every field a cell reports has one. */
int results_row_set(result_row *r, const char *name, const char *text, qb_error *err);
/* Whether a column of that name exists. */
int results_has_column(const char *name);
/* The column called `name` of r as text, as the CSV writes it but unquoted (a configuration's
 * options are columns: rtn_clip, rtn_granularity, ...). QB_EINTERNAL for a name with no column. */
int results_row_get(const result_row *r, const char *name, char *buf, size_t len, qb_error *err);

/* One CSV line (with its newline) into buf; returns its length, or 0 if it does not fit. */
size_t results_format_csv(const result_row *r, char *buf, size_t len);
/* The header line. */
const char *results_csv_header(void);

/* mkdir -p */
int results_mkdirs(const char *dir, qb_error *err);
/* Writes a whole text file atomically. */
int results_write_text(const char *path, const char *text, size_t len, qb_error *err);

#endif
