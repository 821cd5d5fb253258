/* llama_safetensors.h - LLaMA checkpoints saved by Hugging Face (safetensors with the names
 * model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight, ...) as a llama2c_model for
 * the forward pass, and one loader for either checkpoint format, chosen by the file's content.
 *
 * The tensors' shapes give dim, hidden_dim, layers, vocab and kv_dim; the number of heads and the
 * context come from a config.json beside the file (num_attention_heads, num_key_value_heads,
 * max_position_embeddings) or from the caller. q_proj and k_proj are stored permuted for Hugging
 * Face's rotate-half RoPE; they are permuted back, as llama2.c's export does, so the interleaved
 * RoPE of forward.c computes the same model.
 *
 * Typical use:
 *     llama_hparams hp = {0};            // or hp.n_heads = 8 ... when there is no config.json
 *     llama2c_model m;
 *     if (llama_checkpoint_load(path, &hp, &m, err)) return err->status;
 *     ... llama2c_free(&m);
 */
#ifndef QB_LLAMA_SAFETENSORS_H
#define QB_LLAMA_SAFETENSORS_H

#include "error.h"
#include "llama2c.h"

typedef struct {
    int n_heads, n_kv_heads, seq_len; /* 0: from config.json (or a llama2.c header) */
} llama_hparams;

/* *yes = 1 when the file starts as a safetensors file does (a header length below 2^32, then
 * '{'); a llama2.c header never does (its second int32, hidden_dim, is positive). */
int llama_st_sniff(const char *path, int *yes, qb_error *err);

/* A safetensors file with the LLaMA names into m (every tensor widened to float32). lm_head.weight
 * absent or equal to the embeddings: a shared classifier. given overrides config.json. */
int llama_st_load(const char *path, const llama_hparams *given, llama2c_model *m, qb_error *err);

/* llama_st_load or llama2c_load by content; for a llama2.c file, values in given must agree
 * with its header. */
int llama_checkpoint_load(const char *path, const llama_hparams *given, llama2c_model *m,
                          qb_error *err);

#endif
