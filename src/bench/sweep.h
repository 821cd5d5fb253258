/* sweep.h - an experiment as data (datasets x methods x subspaces x iterations x ratios x
 * accounting x seeds) and the engine that runs its cells in parallel, resumably, into a results
 * directory. */
#ifndef QB_SWEEP_H
#define QB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "matrix.h"
#include "model_eval.h"
#include "quantizer.h"

#define SWEEP_NAME_MAX 64
#define SWEEP_LIST_MAX 64

/* DATASET_MODEL: a model's weights or KV cache, whose cells also measure the model (model_eval.h).
 */
typedef enum {
    DATASET_SYNTHETIC = 0,
    DATASET_GAUSSIAN = 1,
    DATASET_FILE = 2,
    DATASET_MODEL = 3
} dataset_kind;

typedef struct {
    char name[SWEEP_NAME_MAX]; /* label in results and figure names */
    dataset_kind kind;
    size_t n, d;                /* generated shapes */
    double mu, sigma;           /* gaussian */
    char file[1024], path[256]; /* HDF5 file and dataset path */
    unsigned source_bits;       /* 0: the file's attribute (32 for generated data) */
    model_spec model;           /* DATASET_MODEL: checkpoint, target, evaluation text */
    char queries[1400];         /* FILE:/path of recall queries (queries.h); "" none */
    size_t subspaces[SWEEP_LIST_MAX], n_subspaces; /* replaces the experiment's m list here */
    size_t rows; /* a file's first `rows` rows only (0: all of them) */
} dataset_spec;

/* One entry of `methods`: a labelled method with its options. Lists given here (subspaces,
 * iterations) replace the experiment's for this method only. */
typedef struct {
    char label[SWEEP_NAME_MAX];
    quant_params base; /* method, options; ratio / m / l / accounting / seed filled per cell */
    size_t subspaces[SWEEP_LIST_MAX], n_subspaces;
    unsigned iterations[SWEEP_LIST_MAX], n_iterations;
} method_spec;

typedef struct {
    char name[SWEEP_NAME_MAX]; /* experiment name: results/<name>/ by default */
    uint64_t seed;             /* every cell's seed derives from this and the cell's key */
    dataset_spec datasets[SWEEP_LIST_MAX];
    size_t n_datasets;
    method_spec methods[SWEEP_LIST_MAX];
    size_t n_methods;
    size_t subspaces[SWEEP_LIST_MAX], n_subspaces;
    unsigned iterations[SWEEP_LIST_MAX], n_iterations;
    double ratios[SWEEP_LIST_MAX];
    size_t n_ratios;
    accounting_mode accounting[2];
    size_t n_accounting;
    unsigned seeds;                /* seed indices 1..seeds */
    char baseline[SWEEP_NAME_MAX]; /* label whose times QTR/DTR divide by */
    int plots;                     /* draw figures and tables after the run */
} sweep_config;

/* One measurement to make. Methods that ignore m (rtn) or l (all but qet), or that store no
 * indicator maps (so both accountings charge the same), get one cell, not copies. */
typedef struct {
    char key[256];  /* canonical: every parameter that changes the result, and the seed index */
    size_t dataset; /* index into config->datasets */
    size_t method;  /* index into config->methods */
    unsigned seed_index;
    uint64_t data_seed; /* the matrix: the same for every method at one (dataset, seed index) */
    quant_params p;     /* ready for cell_run */
} sweep_cell;

void sweep_config_defaults(sweep_config *c);

/* The grid of one method entry: its m, l and accounting lists as sweep_expand walks them. The
 * lists may point into g (use g where it was filled). */
typedef struct {
    const size_t *m;
    size_t n_m, own_m;
    const unsigned *l;
    size_t n_l;
    unsigned own_l;
    const accounting_mode *acc;
    size_t n_acc;
} sweep_grid;
void sweep_method_grid(const sweep_config *c, const dataset_spec *ds, const method_spec *ms,
                       sweep_grid *g);

/* All cells of the experiment in a fixed order; *cells is malloc'ed. */
int sweep_expand(const sweep_config *c, sweep_cell **cells, size_t *n, qb_error *err);

/* The matrix of a cell (generated, or a copy of the loaded file); source_bits of the data. */
int sweep_load_data(const dataset_spec *ds, uint64_t data_seed, matrix *out, unsigned *source_bits,
                    qb_error *err);

typedef struct {
    const char *out_dir;
    unsigned shard, shards; /* this run does the cells whose key hash is shard mod shards */
    const char *config_path;
    int sharded; /* --shard given: record the shard's cells in out_dir (shard.h) first */
    int dry_run; /* count the cells (and record the shard's), run none */
    /* Called once the data, models and queries are read and checked, before the first cell runs
     * (NULL: none): what the caller writes beside the results waits until the input is known
     * good. A non-zero return stops the run. */
    int (*before_cells)(void *ctx, qb_error *err);
    void *ctx;
} sweep_options;

/* Runs every cell of the shard not already in out_dir's results, in parallel over the OpenMP
 * threads, appending each row as it finishes; then rewrites the results in canonical order with
 * QTR/DTR and the summary. A dry run stops after counting (and, sharded, recording the plan). */
int sweep_run(const sweep_config *c, const sweep_options *o, qb_error *err);
/* Rewrites DIR's results in canonical order with QTR/DTR, the HDF5 copy and DIR/summary.csv. */
int sweep_finalize(const char *dir, qb_error *err);

#endif
