/* model_eval.h - what a quantizer's error does to a language model: the next-token distributions
 * of a LLaMA checkpoint (llama2.c or safetensors) whose layer weights, or whose KV cache, are
 * quantized, against the fp32 model's on the same text (KL divergence, perplexity, top-1
 * agreement), as llama.cpp reports for its quantization types.
 *
 * For a sequence t_0..t_{T-1}, p_i is the next-token distribution after t_0..t_i, i = 0..T-2;
 * over all (sequence, i): ppl = exp(mean -log p_i(t_{i+1})), kl_mean = mean KL(p_fp32,i || p_q,i),
 * kl_p99 its 99th percentile, top1 = the fraction where both argmaxes agree. Softmax, KL and the
 * sums are double; per-position values are summed in position order, so any thread count gives
 * the same bits.
 *
 * Typical use:
 *     model_bench mb;
 *     model_spec spec = model_spec_defaults();  // then checkpoint, target, tokens...
 *     if (model_bench_open(&spec, &mb, err)) return err->status;   // fp32 reference once
 *     model_bench_run(&mb, &params, &result, err);                 // through cell_run
 *     model_bench_close(&mb);
 */
#ifndef QB_MODEL_EVAL_H
#define QB_MODEL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "llama2c.h"
#include "llama_safetensors.h"
#include "matrix.h"

typedef enum { MODEL_TARGET_WEIGHTS = 0, MODEL_TARGET_KV = 1 } model_target;

typedef struct {
    char checkpoint[1024]; /* llama2.c legacy checkpoint, or LLaMA safetensors (by content) */
    llama_hparams hparams; /* heads, kv heads, context; 0: config.json or the .bin header */
    model_target target;
    char eval_tokens[1024];   /* one sequence of token ids per line; "" to sample instead */
    size_t sequences, tokens; /* sampled text: S sequences of T tokens from BOS, temperature 1 */
    uint64_t seed;            /* of the sampled text */
    size_t kv_block;          /* kv: quantize the cache in blocks of this many tokens; 0 whole */
    int include_embeddings;   /* weights: the embedding table too (and a classifier sharing it) */
} model_spec;

model_spec model_spec_defaults(void); /* weights, 8 sequences of 128 tokens, seed 1 */
const char *model_target_name(model_target t);
int model_target_parse(const char *name, model_target *t, qb_error *err);

/* A checkpoint, its evaluation text and the fp32 model's logits on it: read-only once open, so
 * one serves many cells at once. */
typedef struct {
    model_spec spec;
    llama2c_model model;
    size_t n_seq;
    size_t *start;    /* (n_seq + 1): sequence j is ids[start[j] .. start[j+1]) */
    int *ids;         /* every sequence's token ids, back to back */
    matrix *ref;      /* (n_seq): the fp32 logits of sequence j, (length, vocab) */
    size_t positions; /* sum over sequences of (length - 1) */
    double ppl_fp32;
} model_bench;

int model_bench_open(const model_spec *spec, model_bench *mb, qb_error *err);
void model_bench_close(model_bench *mb);

/* The quantizer as a callback: x is one weight matrix (rows = output features) or one layer's
 * keys or values (rows = positions); index numbers the matrices of a run. It fills recon (same
 * shape, allocated by it) and r (what it stored and its error, as cell_run reports them). */
typedef int (*model_quant_fn)(void *ctx, const matrix *x, uint64_t index, matrix *recon,
                              cell_result *r, qb_error *err);
/* The cell_run quantizer: ctx is a const quant_params * (ratio / bits / ks and every option, as
 * `qetbench quantize` runs them); matrix `index` gets its own streams, derived from p->cell. */
int model_quant_cell(void *ctx, const matrix *x, uint64_t index, matrix *recon, cell_result *r,
                     qb_error *err);

typedef struct {
    /* Every quantized matrix together: bits, original bits and times summed, the ratio of the
     * sums, MSE / MAE over all elements (MRE over the counted ones); params and stages those of
     * the first matrix; n = elements / d with d = dim (weights) or kv_dim (kv). The model's
     * measures are in quant.model. */
    cell_result quant;
    size_t matrices;
} model_result;

/* Quantizes the target with quant(ctx, ...) and measures the model against the fp32 one. */
int model_bench_eval(const model_bench *mb, model_quant_fn quant, void *ctx, model_result *out,
                     qb_error *err);
/* The same with model_quant_cell and p. */
int model_bench_run(const model_bench *mb, const quant_params *p, model_result *out, qb_error *err);

/* The measures of one sequence's positions from both models' logits (n, vocab) and its tokens:
 * per position i = 0..n-2, KL(fp32 || q), -log p_q(t_{i+1}), -log p_fp32(t_{i+1}), argmax
 * agreement. Exposed for tests on hand-made logits. */
void model_position_measures(const matrix *fp32, const matrix *q, const int *tokens, size_t n,
                             double *kl, double *nll_q, double *nll_fp32, double *agree);

#endif
