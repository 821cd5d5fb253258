/* matrix.c - allocation and validation of dense float32 matrices. */
#include "matrix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sizes.h"

int matrix_alloc(matrix *m, size_t rows, size_t cols, qb_error *err) {
    m->rows = rows;
    m->cols = cols;
    m->data = NULL;
    if (rows == 0 || cols == 0)
        return qb_fail(err, "empty matrix (%zu x %zu)", rows, cols);
    uint64_t bytes;
    if (size_mul3(rows, cols, sizeof(float), &bytes) || bytes > SIZE_MAX)
        return qb_fail(err, "matrix %zu x %zu is too large: its size overflows 64 bits", rows,
                       cols);
    char what[96];
    snprintf(what, sizeof what, "a %zu x %zu float32 matrix", rows, cols);
    int s = size_check_memory(what, bytes, err);
    if (s)
        return s;
    m->data = calloc(rows * cols, sizeof(float));
    return m->data ? QB_OK : qb_oom(err);
}

void matrix_free(matrix *m) {
    free(m->data);
    m->data = NULL;
    m->rows = m->cols = 0;
}

int matrix_copy(matrix *dst, const matrix *src, qb_error *err) {
    int s = matrix_alloc(dst, src->rows, src->cols, err);
    if (s)
        return s;
    memcpy(dst->data, src->data, src->rows * src->cols * sizeof(float));
    return QB_OK;
}

int matrix_check_finite(const matrix *m, const char *what, qb_error *err) {
    size_t total = m->rows * m->cols;
    for (size_t i = 0; i < total; i++)
        if (!isfinite(m->data[i]))
            return qb_fail(err, "%s contains %s at row %zu, column %zu", what,
                           isnan(m->data[i]) ? "NaN" : "Inf", i / m->cols, i % m->cols);
    return QB_OK;
}

int matrix_check_divides(size_t cols, size_t parts, const char *what, qb_error *err) {
    if (parts == 0 || cols % parts != 0)
        return qb_fail(err, "%s = %zu does not divide the %zu columns", what, parts, cols);
    return QB_OK;
}
