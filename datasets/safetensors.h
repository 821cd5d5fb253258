/* safetensors.h - safetensors files (u64 header length, JSON header naming each tensor's dtype,
 * shape and byte range, then raw little-endian data): the header, one tensor at a time as
 * float32 (F32, F16, BF16, F64), and conversion of every 2-D tensor to HDF5. Tensors are read
 * one by one, so a multi-gigabyte LLaMA-2-7B shard converts without loading the whole file. */
#ifndef QB_SAFETENSORS_H
#define QB_SAFETENSORS_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "matrix.h"

#define SAFETENSORS_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_OTHER } safetensors_dtype;

typedef struct {
    char name[256];
    char dtype_name[16];
    safetensors_dtype dtype;
    size_t ndim;
    uint64_t shape[SAFETENSORS_MAX_DIMS];
    uint64_t begin, end; /* byte range within the data section */
} safetensors_tensor;

typedef struct {
    FILE *f;
    char path[4096];
    uint64_t data_start; /* 8 + header length */
    size_t n;
    safetensors_tensor *t; /* (n), in header order */
} safetensors_file;

/* Parses and checks the header: every range inside the file and matching its shape and dtype. */
int safetensors_open(const char *path, safetensors_file *sf, qb_error *err);
/* Tensor i as a float32 matrix: 2-D as is, 1-D as one row, higher ranks flattened to
 * (shape[0], product of the rest). */
int safetensors_read(safetensors_file *sf, size_t i, matrix *out, qb_error *err);
void safetensors_close(safetensors_file *sf);
/* Bits per element of a float dtype (32, 16, 16, 64), 0 for others. */
unsigned safetensors_bits(safetensors_dtype d);

float safetensors_f16_to_f32(uint16_t h);
float safetensors_bf16_to_f32(uint16_t h);

/* Every 2-D float tensor to its own dataset: "model.layers.0.mlp.up_proj.weight" becomes
 * /model/layers/0/mlp/up_proj/weight; source_bits is the tensor's dtype width. */
int safetensors_to_h5(const char *path, const char *out, const char *source, const char *license,
                      qb_error *err);

#endif
