/* llama2c.h - llama2.c checkpoints (the legacy format: seven int32, then float32 tensors): the
 * header, the tensor layout, the whole model in memory for a forward pass, and a streaming
 * conversion of every 2-D weight to HDF5 that also takes full-size LLaMA-2-7B exports.
 *
 * Typical use:
 *     llama2c_model m;
 *     if (llama2c_load("stories260K.bin", &m, err)) return err->status;
 *     ... forward_init(&st, &m, ...) ...
 *     llama2c_free(&m);
 */
#ifndef QB_LLAMA2C_H
#define QB_LLAMA2C_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    int shared_classifier; /* 1 when the header's vocab_size was positive */
} llama2c_config;

#define LLAMA2C_HEADER_BYTES 28
#define LLAMA2C_MAX_TENSORS 16

/* One block of the file: `layers` stacked (rows, cols) float32 matrices (layers 0: a single one).
 */
typedef struct {
    const char *name; /* "tok_embeddings", "wq", ... */
    size_t layers, rows, cols;
    uint64_t offset; /* in floats, from the end of the header */
} llama2c_tensor;

/* Reads and checks the header (positive sizes, heads dividing dim, even head size). */
int llama2c_read_config(const char *path, llama2c_config *cfg, qb_error *err);
/* The blocks in file order; returns their count. *total_floats: everything after the header. */
size_t llama2c_layout(const llama2c_config *cfg, llama2c_tensor t[LLAMA2C_MAX_TENSORS],
                      uint64_t *total_floats);

typedef struct {
    llama2c_config cfg;
    size_t kv_dim, head_size;
    float *data;           /* every float after the header, as in the file */
    float *tok_embeddings; /* (vocab, dim) */
    float *rms_att;        /* (layers, dim) */
    float *wq;             /* (layers, dim, dim); every matrix is (out, in) */
    float *wk;             /* (layers, kv_dim, dim) */
    float *wv;             /* (layers, kv_dim, dim) */
    float *wo;             /* (layers, dim, dim) */
    float *rms_ffn;        /* (layers, dim) */
    float *w1;             /* (layers, hidden, dim) */
    float *w2;             /* (layers, dim, hidden) */
    float *w3;             /* (layers, hidden, dim) */
    float *rms_final;      /* (dim) */
    float *wcls;           /* (vocab, dim): tok_embeddings when the classifier is shared */
} llama2c_model;

/* Whole checkpoint in memory; the file size must match the header exactly, and the SHA-256
 * listed for it in a SHA256SUMS file beside it, if any (sha256_verify_beside). */
int llama2c_load(const char *path, llama2c_model *m, qb_error *err);
void llama2c_free(llama2c_model *m);
/* Points the tensor fields and sets head_size and kv_dim from m->cfg and m->data (the floats in
 * llama2c_layout order), as the loaders of either checkpoint format fill them. */
void llama2c_bind(llama2c_model *m);

/* Every 2-D weight to its own float32 dataset: /tok_embeddings, /layers/<i>/{wq,wk,wv,wo,w1,w2,w3},
 * /output when unshared. One matrix in memory at a time. source: text for the `source` attribute
 * (NULL: the file name); license: likewise ("unknown" when NULL). */
int llama2c_to_h5(const char *path, const char *out, const char *source, const char *license,
                  qb_error *err);

#endif
