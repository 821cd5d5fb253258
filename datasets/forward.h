/* forward.h - a LLaMA-2 forward pass over a llama2.c model (RMSNorm, rotary embeddings,
 * grouped-query attention, SwiGLU), one token at a time with a key/value cache, and the sampler
 * that makes KV-cache data sets from the model's own continuations.
 *
 * Typical use:
 *     forward_state st;
 *     forward_init(&st, &model, 256, err);
 *     for (pos = 0; pos < n; pos++) { forward_step(&st, tok, pos); tok = argmax(st.logits); }
 *     // st.key_cache now holds every layer's keys after RoPE
 *     forward_free(&st);
 */
#ifndef QB_FORWARD_H
#define QB_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "h5io.h"
#include "llama2c.h"
#include "matrix.h"

#define FORWARD_BOS 1

typedef struct {
    const llama2c_model *m;
    size_t max_tokens;
    float *x;           /* (dim) residual stream */
    float *xb, *xb2;    /* (dim) scratch */
    float *hb, *hb2;    /* (hidden) feed-forward scratch */
    float *q;           /* (dim) */
    float *att;         /* (n_heads, max_tokens) attention weights */
    float *logits;      /* (vocab) */
    float *key_cache;   /* (layers, max_tokens, kv_dim), keys after RoPE */
    float *value_cache; /* (layers, max_tokens, kv_dim) */
} forward_state;

/* max_tokens: positions the cache holds (at most the model's seq_len). */
int forward_init(forward_state *s, const llama2c_model *m, size_t max_tokens, qb_error *err);
/* Runs `token` at position `pos` (0 <= pos < max_tokens, positions in order); fills s->logits and
 * the caches at `pos`. Returns QB_EINPUT for an out-of-range token or position. */
int forward_step(forward_state *s, int token, size_t pos, qb_error *err);
void forward_free(forward_state *s);
/* The whole sequence one layer at a time (every position's projections as one matrix product),
 * for a pass whose keys and values are changed between layers. hook (may be NULL) sees each
 * layer's keys after RoPE and values, (n, kv_dim) each, row t = position t, and may replace them
 * in place before attention reads them. logits: (n, vocab), allocated here. Without a hook it
 * gives forward_step's logits up to float rounding (sgemm instead of sgemv). */
typedef int (*forward_kv_hook)(void *ctx, size_t layer, matrix *k, matrix *v, qb_error *err);
int forward_sequence(const llama2c_model *m, const int *tokens, size_t n, forward_kv_hook hook,
                     void *ctx, matrix *logits, qb_error *err);
/* log sum exp(logits), in double (the softmax's normaliser). */
double forward_log_sum_exp(const float *logits, size_t vocab);
/* log softmax(logits)[token]. */
double forward_log_prob(const float *logits, size_t vocab, int token);
int forward_argmax(const float *logits, size_t vocab);

typedef struct {
    size_t tokens; /* positions per sequence, BOS at position 0 included */
    size_t sequences;
    uint64_t seed;      /* sequence j samples from the stream (seed, j, RNG_STREAM_DATA) */
    double temperature; /* 1: sample from the model; 0: greedy */
} kvcache_spec;

typedef struct {
    matrix k, v;    /* (sequences * tokens, layers * kv_dim): row = one position, layer-major */
    int *token_ids; /* (sequences, tokens), position 0 is BOS */
    double mean_log_prob; /* of each chosen next token under the model, averaged */
    double mean_entropy;  /* of the predictive distributions, nats */
} kvcache;

/* Runs the model over seeded self-sampled sequences and records every layer's K and V. */
int kvcache_generate(const llama2c_model *m, const kvcache_spec *spec, kvcache *out, qb_error *err);
/* K/V rows for a given token sequence (teacher forcing): (n, layers * kv_dim) each. */
int kvcache_of_tokens(const llama2c_model *m, const int *tokens, size_t n, matrix *k, matrix *v,
                      qb_error *err);
void kvcache_free(kvcache *c);
/* Writes /k/all, /v/all (rows, layers * kv_dim), /k/layer_<i>, /v/layer_<i> (rows, kv_dim),
 * /tokens (sequences, tokens) and root attributes mean_log_prob, mean_entropy, source, license.
 * base: source, license and a description prefix for every dataset. Atomic. */
int kvcache_write_h5(const kvcache *c, const llama2c_model *m, const kvcache_spec *spec,
                     const char *out, const h5_attrs *base, qb_error *err);

#endif
