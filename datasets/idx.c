/* idx.c - reads uint8 IDX files through zlib's gz interface (which passes plain files through),
 * checking the header against what the file can hold and that the data is all there. */
#define _FILE_OFFSET_BITS 64
#include "idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "sizes.h"

/* Deflate never packs more than 1032 bytes into one (RFC 1951's longest match per code), so a
 * compressed file of c bytes holds at most about 1032 c. */
#define DEFLATE_MAX_RATIO 1032

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
    struct stat st;
    if (stat(path, &st) != 0) {
        gzclose(f);
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    }
    /* n * width < 2^56: no wrap */
    uint64_t need = (uint64_t)n * width, room = (uint64_t)st.st_size;
    if (!gzdirect(f))
        room = room > UINT64_MAX / DEFLATE_MAX_RATIO ? UINT64_MAX : room * DEFLATE_MAX_RATIO;
    if (need > room) {
        gzclose(f);
        return qb_fail(err,
                       "'%s' declares %zu items of %zu x %zu bytes (%llu bytes), more than its "
                       "%llu bytes%s can hold",
                       path, dims[0], dims[1], dims[2], (unsigned long long)need,
                       (unsigned long long)st.st_size, gzdirect(f) ? "" : " of compressed data");
    }
    char what[4200];
    snprintf(what, sizeof what, "'%s' (%zu items of %zu bytes) as float32", path, n, width);
    if ((s = size_check_memory(what, need * sizeof(float), err)) ||
        (s = matrix_alloc(out, n, width, err))) {
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
