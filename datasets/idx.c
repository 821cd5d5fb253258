/* idx.c - reads uint8 IDX files through zlib's gz interface (which passes plain files through),
 * checking the header and that the data is all there. */
#include "idx.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

int idx_read(const char *path, size_t max_items, matrix *out, size_t dims[3], qb_error *err) {
    *out = (matrix){0};
    gzFile f = gzopen(path, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s'", path);
    unsigned char h[4];
    int s = QB_OK;
    if (gzread(f, h, 4) != 4) {
        gzclose(f);
        return qb_fail(err, "'%s' is truncated: no IDX magic", path);
    }
    unsigned rank = h[3];
    if (h[0] || h[1] || h[2] != 0x08 || rank < 1 || rank > 3) {
        gzclose(f);
        return qb_fail(err,
                       "'%s' is not an unsigned-byte IDX file of rank 1-3 (magic %02x%02x%02x%02x)",
                       path, h[0], h[1], h[2], h[3]);
    }
    dims[0] = dims[1] = dims[2] = 1;
    for (unsigned r = 0; r < rank; r++) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) {
            gzclose(f);
            return qb_fail(err, "'%s' is truncated in its header", path);
        }
        dims[r] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
    }
    size_t n = dims[0], width = dims[1] * dims[2];
    if (!n || !width || width > (1u << 24)) {
        gzclose(f);
        return qb_fail(err, "'%s' has impossible IDX dimensions", path);
    }
    if (max_items && max_items < n)
        n = max_items;
    if ((s = matrix_alloc(out, n, width, err))) {
        gzclose(f);
        return s;
    }
    unsigned char *row = malloc(width);
    if (!row) {
        gzclose(f);
        matrix_free(out);
        return qb_oom(err);
    }
    for (size_t i = 0; i < n && !s; i++) {
        if (gzread(f, row, (unsigned)width) != (int)width) {
            s = qb_fail(err, "'%s' is truncated: item %zu of %zu missing", path, i, dims[0]);
            break;
        }
        float *o = matrix_row(out, i);
        for (size_t j = 0; j < width; j++)
            o[j] = row[j];
    }
    free(row);
    gzclose(f);
    if (s)
        matrix_free(out);
    return s;
}
