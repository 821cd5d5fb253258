/* matrix.h - dense row-major float32 matrices and the shape checks every method needs.
 * One owner per buffer; views borrow. */
#ifndef QB_MATRIX_H
#define QB_MATRIX_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    size_t rows, cols;
    float *data; /* (rows, cols), row-major */
} matrix;

int matrix_alloc(matrix *m, size_t rows, size_t cols, qb_error *err); /* zero-filled */
void matrix_free(matrix *m);
int matrix_copy(matrix *dst, const matrix *src, qb_error *err);
static inline float *matrix_row(const matrix *m, size_t i) {
    return m->data + i * m->cols;
}

/* A double as float32 without undefined behaviour: beyond float's range it is +-Inf (which the
 * finiteness checks then report); (float) of such a double is undefined in C. */
static inline float matrix_narrow(double v) {
    return v > FLT_MAX ? INFINITY : v < -FLT_MAX ? -INFINITY : (float)v;
}

/* QB_EINPUT naming the first NaN/Inf (row, column) if any. */
int matrix_check_finite(const matrix *m, const char *what, qb_error *err);
/* QB_EINPUT unless `parts` divides `cols` (m | d for subspaces and the like). */
int matrix_check_divides(size_t cols, size_t parts, const char *what, qb_error *err);

#endif
