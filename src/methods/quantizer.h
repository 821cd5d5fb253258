/* quantizer.h - the one descriptor every method fills (rtn, lloyd, pq, rpq, opq, lopq, qet, ...):
 * how it solves its budget, counts its storage, which grid dimensions and options it reads, its
 * family in the comparisons and its presets; and the parameters of one cell.
 *
 * Typical use (cell_run in cell.h does all of this, with timing and metrics):
 *     quant_params p = quant_params_defaults();
 *     options_resolve(&p, "pq", NULL, assignments, n_assignments, NULL, &err);  // options.h
 *     p.ratio = 8;
 *     method_solve(&p, n, d, &err);                  // fills the free parameter (p.ks)
 *     const quantizer_ops *q = quantizer_find(p.method);
 *     void *st; q->create(&p, n, d, &st, &err);
 *     q->fit(st, &x, &err); q->encode(st, &x, &err); // quantize
 *     q->decode(st, &out, &err);                     // dequantize into an n x d matrix
 *     q->storage(st, &bits); q->destroy(st);
 *
 * Adding a method: one file (its functions and its descriptor) and one line in the `methods` list
 * of baselines/meson.build, which generates the registry. */
#ifndef QB_QUANTIZER_H
#define QB_QUANTIZER_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "error.h"
#include "kmeans.h"
#include "matrix.h"
#include "qet_reorder.h"

typedef enum { RTN_PER_TENSOR = 0, RTN_PER_ROW = 1, RTN_PER_GROUP = 2 } rtn_granularity;
typedef enum { RTN_CLIP_MINMAX = 0, RTN_CLIP_MSE = 1 } rtn_clip_mode;

/* One stage of a residual chain (QET's RO): a vector stage (QET at `levels`; 0 levels is PQ) or
 * an RTN stage, with its share of the budget left after the indicator maps. Solved values filled
 * by budget_solve. */
#define QB_MAX_STAGES 8
typedef enum { STAGE_VECTOR = 0, STAGE_RTN = 1 } stage_kind;
typedef struct {
    stage_kind kind;
    unsigned levels;   /* QET levels l of this stage (vector stages) */
    double share;      /* fraction of the budget after indicator maps */
    uint64_t ks;       /* solved: centroids per subspace (vector stages) */
    unsigned rtn_bits; /* solved: bits per element (RTN stages) */
} quant_stage;

typedef struct quant_params {
    char method[16];      /* a registered method's name */
    char preset[16];      /* the preset applied first ("" none) */
    double ratio;         /* target compression ratio; 0 when ks / rtn_bits are given */
    unsigned source_bits; /* bits per original element (32 float32, 16 fp16 checkpoints) */
    accounting_mode accounting;
    uint64_t seed; /* the cell's seed; streams derive from (seed, cell) */
    uint64_t cell;

    /* vector quantizers */
    size_t subspaces; /* m */
    uint64_t ks;      /* centroids per subspace; 0: solved from ratio */
    kmeans_config kmeans;
    unsigned codebook_bits; /* 32: float codebooks; 1..31: CQO */

    /* scalar quantizers (rtn, lloyd) */
    unsigned rtn_bits; /* 0: solved from ratio */
    rtn_granularity rtn_granularity;
    size_t rtn_group;       /* columns per group for RTN_PER_GROUP (default 128) */
    rtn_clip_mode rtn_clip; /* min-max range (default) or the MSE-optimal clipped range */

    /* qet */
    unsigned iterations;     /* l */
    qet_layout qet_layout;   /* blocks (the paper's) or inplace (qet_reorder.h) */
    qet_pairing qet_pairing; /* adjacent (the paper's) or strided */
    size_t pairing_window;   /* strided: window w, 0 = the whole row (solved: the window used) */
    char residual[128];      /* RO stage spec after the first stage, "" for none (see qet.h) */
    size_t n_stages;         /* filled by the solver for chains: stage 0 is QET at `iterations` */
    quant_stage stages[QB_MAX_STAGES];

    /* opq / lopq */
    int opq_iters;
    int opq_init_random; /* OPQ's start: 0 identity, 1 random, 2 eigenvalue allocation */
    size_t lopq_cells;   /* 0: default */
} quant_params;

/* Where a method stands in the comparisons (the headline and the claims). */
typedef enum {
    METHOD_FAMILY_QET = 0, /* QET-like: the methods whose claims are tested */
    METHOD_FAMILY_PQ = 1,  /* the PQ family (PQ, OPQ, LOPQ): the paper's vector baselines */
    METHOD_FAMILY_PAPER_SCALAR = 2, /* the paper's scalar baseline (RTN) */
    METHOD_FAMILY_STRONG = 3, /* baselines stronger than the paper's (Lloyd-Max, residual PQ) */
} method_family;

/* The sets of baselines QET is compared with. */
typedef enum {
    BASELINES_PQ_FAMILY = 0, /* PQ, OPQ, LOPQ */
    BASELINES_PAPER = 1,     /* the PQ family and RTN: the paper's own set */
    BASELINES_ALL = 2,       /* every method that is not QET-like */
} baseline_set;

/* The grid dimensions a method's results depend on (dims): the others collapse to one cell. */
enum {
    METHOD_USES_SUBSPACES = 1,  /* m */
    METHOD_USES_ITERATIONS = 2, /* l */
    METHOD_STORES_IMAPS = 4,    /* indicator maps, so the accounting modes charge it differently */
};

/* A named configuration: option assignments ("key=value,key=value", keys of the option table),
 * applied before the options given beside it, which override it. */
typedef struct {
    const char *name;
    const char *assignments;
    const char *help;
} method_preset;

typedef struct {
    const char *name;
    const char *help; /* one line for `qetbench --help` */
    method_family family;
    unsigned dims;                /* METHOD_USES_* flags */
    const char *const *options;   /* names of the option-table entries it reads, NULL-ended */
    const method_preset *presets; /* NULL-ended list, or NULL */
    /* Fills the free parameter (k_s, bits, the stage chain...) so the stored bits fit `budget`
     * (0 when p->ks / p->rtn_bits are given explicitly instead of a ratio); checks the shape.
     * qb_infeasible when no setting fits, qb_fail for parameters the method rejects. */
    int (*solve)(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err);
    /* The storage the solved parameters imply, by the accounting formulas (budget.h): checked
     * against `storage`, which counts what the fitted state holds. */
    void (*predict)(const quant_params *p, size_t n, size_t d, storage_bits *out);
    int (*create)(const quant_params *p, size_t n, size_t d, void **state, qb_error *err);
    int fit_encodes; /* fit leaves x encoded (a residual chain must encode to train its next
                      * stage): quantizing is then fit alone, not fit + encode */
    int (*fit)(void *state, const matrix *x, qb_error *err);
    int (*encode)(void *state, const matrix *x, qb_error *err);
    int (*decode)(const void *state, matrix *out, qb_error *err); /* out: n x d, allocated */
    void (*storage)(const void *state, storage_bits *out);        /* counted from its state */
    void (*destroy)(void *state);
} quantizer_ops;

/* NULL for an unknown method. */
const quantizer_ops *quantizer_find(const char *method);
/* The registered methods, in registry order; NULL past the end. */
const quantizer_ops *quantizer_at(size_t i);
/* Comma-separated names of the methods built in, for help and errors. */
const char *quantizer_names(void);

/* Whether `method` belongs to a baseline set / is QET-like / has a grid dimension (METHOD_USES_*
 * flag) / reads an option of the table; 0 for an unknown method. */
int method_is_baseline(const char *method, baseline_set set);
int method_is_qet_like(const char *method);
int method_uses(const char *method, unsigned dim);
int method_reads(const quantizer_ops *q, const char *option);

/* Fill the free parameter of p from p->ratio for an n x d matrix (the method's solver). */
int method_solve(quant_params *p, size_t n, size_t d, qb_error *err);

/* ---- generic pieces for solvers ---- */
/* A scalar method's group along a row for p's granularity: d per row, the group size, 0 for the
 * whole tensor (defined by rtn; Lloyd-Max shares it). */
size_t rtn_group_of(const quant_params *p, size_t d);
/* m >= 1 and m divides d. */
int solve_vq_shape(const quant_params *p, size_t d, qb_error *err);
/* With p->ks given: checks 1 <= k_s <= n and the code width. Otherwise the largest k_s in
 * [1, min(n, 2^BITS_MAX_WIDTH)] whose storage f(k) the accounting fits into `budget`; qb_infeasible
 * (naming the smallest setting's size) when none does. */
int solve_largest_k(quant_params *p, size_t n, uint64_t budget, budget_storage_fn f,
                    const void *ctx, qb_error *err);
/* The same for bits per element (p->rtn_bits) in 1..max_bits. */
int solve_largest_bits(quant_params *p, unsigned max_bits, uint64_t budget, budget_storage_fn f,
                       const void *ctx, qb_error *err);

#endif
