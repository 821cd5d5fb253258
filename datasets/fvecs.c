/* fvecs.c - readers for .fvecs/.ivecs/.bvecs, .fbin and .npy; every row count and dimension is
 * checked against the file size (in overflow-checked arithmetic) and the memory bound before
 * anything is allocated. */
#define _FILE_OFFSET_BITS 64
#include "fvecs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "sizes.h"

/* No real data set has wider rows; keeps d * n products far from overflow. */
#define MAX_DIM (1u << 24)

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int fvecs_format_of(const char *path, fvecs_format *fmt, qb_error *err) {
    static const struct {
        const char *ext;
        fvecs_format f;
    } t[] = {{".fvecs", FVECS_FVECS},
             {".ivecs", FVECS_IVECS},
             {".bvecs", FVECS_BVECS},
             {".fbin", FVECS_FBIN},
             {".npy", FVECS_NPY}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (ends_with(path, t[i].ext)) {
            *fmt = t[i].f;
            return QB_OK;
        }
    return qb_fail(err,
                   "'%s': unknown vector format (expected .fvecs, .ivecs, .bvecs, .fbin or "
                   ".npy)",
                   path);
}

static uint64_t size_of(FILE *f) {
    if (fseeko(f, 0, SEEK_END) != 0)
        return 0;
    off_t e = ftello(f);
    rewind(f);
    return e > 0 ? (uint64_t)e : 0;
}

/* Converts count elements of the given kind to float. */
static void widen(float *dst, const unsigned char *src, size_t count, char kind, size_t es) {
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = src + i * es;
        if (kind == 'f' && es == 4) {
            memcpy(dst + i, p, 4);
        } else if (kind == 'f' && es == 8) {
            double v;
            memcpy(&v, p, 8);
            dst[i] = matrix_narrow(v);
        } else if (kind == 'f' && es == 2) {
            uint16_t h;
            memcpy(&h, p, 2);
            dst[i] = safetensors_f16_to_f32(h);
        } else if (kind == 'i' && es == 4) {
            int32_t v;
            memcpy(&v, p, 4);
            dst[i] = (float)v;
        } else if (kind == 'i' && es == 1) {
            dst[i] = (float)(int8_t)*p;
        } else { /* 'u', 1 */
            dst[i] = (float)*p;
        }
    }
}

static int read_vecs(FILE *f, const char *path, fvecs_format fmt, size_t max_rows, matrix *out,
                     unsigned *bits, qb_error *err) {
    size_t es = fmt == FVECS_BVECS ? 1 : 4;
    char kind = fmt == FVECS_FVECS ? 'f' : fmt == FVECS_IVECS ? 'i' : 'u';
    uint64_t size = size_of(f);
    int32_t d;
    if (fread(&d, 4, 1, f) != 1)
        return qb_fail(err, "'%s' is empty or truncated", path);
    if (d <= 0 || (uint32_t)d > MAX_DIM)
        return qb_fail(err, "'%s' is not a vecs file: first row's dimension is %d", path, (int)d);
    uint64_t row_bytes = 4 + (uint64_t)d * es;
    if (size % row_bytes)
        return qb_fail(err,
                       "'%s' is truncated or mixes dimensions: %llu bytes is not a multiple "
                       "of the %llu-byte row (d = %d)",
                       path, (unsigned long long)size, (unsigned long long)row_bytes, (int)d);
    size_t n = (size_t)(size / row_bytes);
    if (max_rows && max_rows < n)
        n = max_rows;
    int s = matrix_alloc(out, n, (size_t)d, err);
    if (s)
        return s;
    unsigned char *row = malloc(row_bytes);
    if (!row) {
        matrix_free(out);
        return qb_oom(err);
    }
    rewind(f);
    for (size_t i = 0; i < n && !s; i++) {
        int32_t di;
        if (fread(row, 1, row_bytes, f) != row_bytes)
            s = qb_fail(err, "cannot read row %zu of '%s'", i, path);
        else if (memcpy(&di, row, 4), di != d)
            s = qb_fail(err, "'%s': row %zu has dimension %d, the first row %d", path, i, (int)di,
                        (int)d);
        else
            widen(matrix_row(out, i), row + 4, (size_t)d, kind, es);
    }
    free(row);
    if (s)
        matrix_free(out);
    *bits = (unsigned)(8 * es);
    return s;
}

static int read_fbin(FILE *f, const char *path, size_t max_rows, matrix *out, unsigned *bits,
                     qb_error *err) {
    uint64_t size = size_of(f);
    uint32_t hd[2];
    if (fread(hd, 4, 2, f) != 2)
        return qb_fail(err, "'%s' is truncated: no .fbin header", path);
    if (hd[0] == 0 || hd[1] == 0 || hd[1] > MAX_DIM)
        return qb_fail(err, "'%s' has an impossible .fbin header (n %u, d %u)", path, hd[0], hd[1]);
    uint64_t want = 0;
    if (size_mul3(4, hd[0], hd[1], &want) || size_add(want, 8, &want))
        return qb_fail(err, "'%s' has an impossible .fbin header (n %u, d %u)", path, hd[0], hd[1]);
    if (size != want)
        return qb_fail(err, "'%s' is %s: header says %u x %u (%llu bytes), the file has %llu", path,
                       size < want ? "truncated" : "longer than its header", hd[0], hd[1],
                       (unsigned long long)want, (unsigned long long)size);
    size_t n = hd[0];
    if (max_rows && max_rows < n)
        n = max_rows;
    int s = matrix_alloc(out, n, hd[1], err);
    if (s)
        return s;
    if (fseeko(f, 8, SEEK_SET) != 0 || fread(out->data, 4, n * hd[1], f) != n * hd[1]) {
        matrix_free(out);
        return qb_fail(err, "cannot read '%s'", path);
    }
    *bits = 32;
    return QB_OK;
}

/* Value of `key` in the .npy header dict, copied up to the next ',' or '}' outside parentheses. */
static int npy_field(const char *h, const char *key, char *buf, size_t len) {
    const char *p = strstr(h, key);
    if (!p)
        return -1;
    p = strchr(p + strlen(key), ':');
    if (!p)
        return -1;
    p++;
    while (*p == ' ')
        p++;
    size_t n = 0;
    int depth = 0;
    for (; *p && n + 1 < len; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        else if (depth == 0 && (*p == ',' || *p == '}'))
            break;
        /* it may be quoted in an error: control bytes (a newline) become '?' */
        buf[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    }
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '?'))
        n--;
    buf[n] = 0;
    return 0;
}

static int read_npy(FILE *f, const char *path, size_t max_rows, matrix *out, unsigned *bits,
                    qb_error *err) {
    uint64_t size = size_of(f);
    unsigned char pre[10];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6))
        return qb_fail(err, "'%s' is not a .npy file (no \\x93NUMPY magic)", path);
    uint32_t hlen;
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            return qb_fail(err, "'%s' is truncated", path);
        hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        unsigned char l[4];
        if (fread(l, 1, 4, f) != 4)
            return qb_fail(err, "'%s' is truncated", path);
        hlen = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
    } else {
        return qb_fail(err, "'%s': unsupported .npy version %u", path, pre[6]);
    }
    if (hlen > (1u << 20))
        return qb_fail(err, "'%s': .npy header too long", path);
    uint64_t data_start = (pre[6] == 1 ? 10 : 12) + (uint64_t)hlen;
    char *h = calloc(hlen + 1, 1), descr[32], order[32], shape[128];
    if (!h)
        return qb_oom(err);
    int ok = fread(h, 1, hlen, f) == hlen && !npy_field(h, "'descr'", descr, sizeof descr) &&
             !npy_field(h, "'fortran_order'", order, sizeof order) &&
             !npy_field(h, "'shape'", shape, sizeof shape);
    free(h);
    if (!ok)
        return qb_fail(err, "'%s': malformed .npy header", path);
    unsigned long long n = 0, d = 0;
    char tail;
    if (sscanf(shape, " ( %llu , %llu %c", &n, &d, &tail) != 3 || tail != ')')
        return qb_fail(err, "'%s': only 2-D .npy arrays are read (shape %s)", path, shape);
    static const struct {
        const char *descr;
        char kind;
        size_t es;
    } types[] = {{"'<f4'", 'f', 4}, {"'<f2'", 'f', 2}, {"'<f8'", 'f', 8},
                 {"'|u1'", 'u', 1}, {"'|i1'", 'i', 1}, {"'<i4'", 'i', 4}};
    size_t ti = sizeof types / sizeof *types;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(descr, types[i].descr))
            ti = i;
    if (ti == sizeof types / sizeof *types)
        return qb_fail(err, "'%s': unsupported .npy dtype %s", path, descr);
    int fortran = !strncmp(order, "True", 4);
    if (n == 0 || d == 0 || d > MAX_DIM || n > (1ull << 40))
        return qb_fail(err, "'%s': impossible .npy shape %s", path, shape);
    size_t es = types[ti].es;
    uint64_t data_bytes = 0, want = 0;
    if (size_mul3(n, d, es, &data_bytes) || size_add(data_start, data_bytes, &want))
        return qb_fail(err, "'%s': impossible .npy shape %s (its size overflows 64 bits)", path,
                       shape);
    if (size != want)
        return qb_fail(err,
                       "'%s' is %s: shape %llu x %llu of %s needs %llu bytes, the file has "
                       "%llu",
                       path, size < want ? "truncated" : "longer than its header", n, d, descr,
                       (unsigned long long)want, (unsigned long long)size);
    /* Fortran order stores columns: read everything, then transpose. */
    size_t rows = (size_t)n;
    if (max_rows && max_rows < rows && !fortran)
        rows = max_rows;
    size_t count = fortran ? (size_t)(n * d) : rows * (size_t)d; /* n * d * es fits: checked */
    /* Fortran order holds the raw columns and their float copy besides the matrix. */
    uint64_t need = (uint64_t)count * es + (fortran ? (uint64_t)count * sizeof(float) : 0);
    char what[4200];
    snprintf(what, sizeof what, "reading '%s' (%llu x %llu of %s)", path, n, d, descr);
    int s = size_check_memory(what, need, err);
    if (s)
        return s;
    unsigned char *raw = malloc(count * es);
    float *tmp = fortran ? malloc(count * sizeof(float)) : NULL;
    if (!raw || (fortran && !tmp)) {
        s = qb_oom(err);
    } else if (fseeko(f, (off_t)data_start, SEEK_SET) != 0 || fread(raw, es, count, f) != count) {
        s = qb_fail(err, "cannot read '%s'", path);
    } else {
        size_t keep = max_rows && max_rows < (size_t)n ? max_rows : (size_t)n;
        s = matrix_alloc(out, keep, (size_t)d, err);
        if (!s && !fortran) {
            widen(out->data, raw, keep * (size_t)d, types[ti].kind, es);
        } else if (!s) {
            widen(tmp, raw, count, types[ti].kind, es);
            for (size_t i = 0; i < keep; i++)
                for (size_t j = 0; j < (size_t)d; j++)
                    out->data[i * d + j] = tmp[j * n + i];
        }
    }
    free(raw);
    free(tmp);
    *bits = (unsigned)(8 * es);
    return s;
}

int fvecs_read(const char *path, size_t max_rows, matrix *out, unsigned *source_bits,
               qb_error *err) {
    *out = (matrix){0};
    fvecs_format fmt;
    int s = fvecs_format_of(path, &fmt, err);
    if (s)
        return s;
    FILE *f = fopen(path, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    unsigned bits = 32;
    if (fmt == FVECS_FBIN)
        s = read_fbin(f, path, max_rows, out, &bits, err);
    else if (fmt == FVECS_NPY)
        s = read_npy(f, path, max_rows, out, &bits, err);
    else
        s = read_vecs(f, path, fmt, max_rows, out, &bits, err);
    fclose(f);
    if (!s && (s = matrix_check_finite(out, path, err)))
        matrix_free(out);
    if (!s && source_bits)
        *source_bits = bits;
    return s;
}

int fvecs_write(const char *path, const matrix *m, qb_error *err) {
    fvecs_format fmt;
    int s = fvecs_format_of(path, &fmt, err);
    if (s)
        return s;
    if (fmt != FVECS_FVECS && fmt != FVECS_FBIN)
        return qb_fail(err, "'%s': only .fvecs and .fbin are written", path);
    if (m->cols > MAX_DIM || m->rows > UINT32_MAX)
        return qb_fail(err, "matrix too large for '%s'", path);
    FILE *f = fopen(path, "wb");
    if (!f)
        return qb_fail(err, "cannot create '%s': %s", path, strerror(errno));
    int bad = 0;
    if (fmt == FVECS_FBIN) {
        uint32_t hd[2] = {(uint32_t)m->rows, (uint32_t)m->cols};
        bad |= fwrite(hd, 4, 2, f) != 2;
        bad |= fwrite(m->data, 4, m->rows * m->cols, f) != m->rows * m->cols;
    } else {
        int32_t d = (int32_t)m->cols;
        for (size_t i = 0; i < m->rows && !bad; i++)
            bad |= fwrite(&d, 4, 1, f) != 1 || fwrite(matrix_row(m, i), 4, m->cols, f) != m->cols;
    }
    bad |= fclose(f) != 0;
    if (bad) {
        remove(path);
        return qb_internal(err, "writing '%s' failed", path);
    }
    return QB_OK;
}
