/* idx.h - IDX files (the MNIST family's format: big-endian magic giving the element type and
 * rank, the dimensions, then the data), plain or gzip-compressed, read into float32 matrices. */
#ifndef QB_IDX_H
#define QB_IDX_H

#include <stddef.h>

#include "error.h"
#include "matrix.h"

/* Unsigned-byte IDX of rank 1 to 3: n items of (dims[1] x dims[2]) as the rows of out
 * (n, dims[1]*dims[2]); at most max_items rows (0: all). dims gets (n_in_file, rows, cols),
 * 1 for missing ranks. */
int idx_read(const char *path, size_t max_items, matrix *out, size_t dims[3], qb_error *err);

#endif
