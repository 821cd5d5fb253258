/* fvecs.h - the vector-file formats of the ANN benchmarks, read into float32 matrices so the
 * full-size paper data (TEXMEX GIST1M .fvecs, SIFT .bvecs, ann-wiki .fbin, NumPy .npy) runs
 * unchanged when a user has it.
 *   .fvecs / .ivecs / .bvecs: per row, int32 d then d float32 / int32 / uint8 values
 *   .fbin: uint32 n, uint32 d, then n*d float32
 *   .npy: NumPy format 1-3, 2-D, dtype <f4 <f2 <f8 |u1 |i1 <i4, C or Fortran order */
#ifndef QB_FVECS_H
#define QB_FVECS_H

#include <stddef.h>

#include "error.h"
#include "matrix.h"

typedef enum { FVECS_FVECS, FVECS_IVECS, FVECS_BVECS, FVECS_FBIN, FVECS_NPY } fvecs_format;

/* The format named by the file's extension; QB_EINPUT for anything else. */
int fvecs_format_of(const char *path, fvecs_format *fmt, qb_error *err);
/* At most max_rows rows (0: all). source_bits: bits per element in the file. */
int fvecs_read(const char *path, size_t max_rows, matrix *out, unsigned *source_bits,
               qb_error *err);
/* Writes .fvecs or .fbin (by extension), for tests and for handing data to other tools. */
int fvecs_write(const char *path, const matrix *m, qb_error *err);

#endif
