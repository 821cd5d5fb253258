/* wink.c - a streaming reader for wink's embedding JSON: a byte-level JSON scanner that keeps
 * only the numbers of the rows it returns, and checks each row's stored norm and index. */
#include "wink.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sizes.h"

typedef struct {
    FILE *f;
    const char *path;
    long long offset; /* bytes consumed, for error messages */
    int c;            /* current byte (EOF at the end) */
    qb_error *err;
} scan;

static void next(scan *s) {
    s->c = getc(s->f);
    s->offset++;
}

static void ws(scan *s) {
    while (s->c == ' ' || s->c == '\n' || s->c == '\r' || s->c == '\t')
        next(s);
}

static int fail(scan *s, const char *what) {
    return qb_fail(s->err, "'%s': malformed embedding JSON: %s at byte %lld%s", s->path, what,
                   s->offset, s->c == EOF ? " (file ends: truncated?)" : "");
}

static int eat(scan *s, int ch) {
    ws(s);
    if (s->c != ch) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", ch);
        return fail(s, what);
    }
    next(s);
    return QB_OK;
}

/* A string; up to len-1 bytes kept in buf (escapes kept as written). */
static int string(scan *s, char *buf, size_t len) {
    if (eat(s, '"'))
        return QB_EINPUT;
    size_t n = 0;
    while (s->c != '"') {
        if (s->c == EOF)
            return fail(s, "unterminated string");
        if (s->c < 0x20) /* JSON escapes them; words end up quoted in messages */
            return fail(s, "a control character in a string");
        if (s->c == '\\') {
            if (buf && n + 1 < len)
                buf[n++] = '\\';
            next(s);
            if (s->c == EOF)
                return fail(s, "unterminated string");
        }
        if (buf && n + 1 < len)
            buf[n++] = (char)s->c;
        next(s);
    }
    next(s);
    if (buf)
        buf[n] = 0;
    return QB_OK;
}

static int number(scan *s, double *v) {
    ws(s);
    char tok[64];
    size_t n = 0;
    while (s->c != EOF && (strchr("+-.eE", s->c) || (s->c >= '0' && s->c <= '9')) &&
           n + 1 < sizeof tok) {
        tok[n++] = (char)s->c;
        next(s);
    }
    tok[n] = 0;
    char *end;
    errno = 0;
    *v = strtod(tok, &end);
    if (!n || *end || errno)
        return fail(s, "expected a number");
    return QB_OK;
}

/* Skips any JSON value (depth-limited). */
static int skip(scan *s, int depth) {
    ws(s);
    if (depth > 64)
        return fail(s, "nesting too deep");
    if (s->c == '"')
        return string(s, NULL, 0);
    if (s->c == '[' || s->c == '{') {
        int close = s->c == '[' ? ']' : '}', obj = s->c == '{';
        next(s);
        ws(s);
        if (s->c == close) {
            next(s);
            return QB_OK;
        }
        for (;;) {
            if (obj && (string(s, NULL, 0) || eat(s, ':')))
                return QB_EINPUT;
            if (skip(s, depth + 1))
                return QB_EINPUT;
            ws(s);
            if (s->c == ',') {
                next(s);
                continue;
            }
            return eat(s, close);
        }
    }
    if (s->c == 't' || s->c == 'f' || s->c == 'n') {
        while (s->c >= 'a' && s->c <= 'z')
            next(s);
        return QB_OK;
    }
    double v;
    return number(s, &v);
}

/* "vectors": {"w": [...], ...}: fills rows until max_rows, then skips the rest. */
static int vectors(scan *s, matrix *out, size_t max_rows, wink_info *info, size_t *rows) {
    size_t d = info->dimensions, width = d + 2;
    double *row = malloc(width * sizeof *row);
    if (!row)
        return qb_oom(s->err);
    int st = eat(s, '{');
    ws(s);
    if (!st && s->c == '}') {
        next(s);
        free(row);
        return QB_OK;
    }
    while (!st) {
        char word[128];
        if ((st = string(s, word, sizeof word)) || (st = eat(s, ':')))
            break;
        if (*rows >= max_rows) {
            st = skip(s, 0);
        } else if (!(st = eat(s, '['))) {
            size_t k = 0;
            for (;;) {
                double v;
                if ((st = number(s, &v)))
                    break;
                if (k < width)
                    row[k] = v;
                k++;
                ws(s);
                if (s->c == ',') {
                    next(s);
                    continue;
                }
                st = eat(s, ']');
                break;
            }
            if (!st && k != width)
                st = qb_fail(s->err,
                             "'%s': vector of '%s' has %zu numbers, expected %zu "
                             "(dimensions + norm + index)",
                             s->path, word, k, width);
            if (!st && row[d + 1] != (double)*rows)
                st = qb_fail(s->err, "'%s': vector %zu ('%s') carries word index %g", s->path,
                             *rows, word, row[d + 1]);
            for (size_t j = 0; !st && j < d; j++)
                if (fabs(row[j]) > FLT_MAX)
                    st = qb_fail(s->err, "'%s': vector of '%s' holds %g, beyond float32's range",
                                 s->path, word, row[j]);
            if (!st) {
                double ss = 0;
                float *o = matrix_row(out, *rows);
                for (size_t j = 0; j < d; j++) {
                    o[j] = (float)row[j]; /* within float's range: checked */
                    ss += row[j] * row[j];
                }
                double e = fabs(sqrt(ss) - row[d]);
                info->max_norm_error = e > info->max_norm_error ? e : info->max_norm_error;
                (*rows)++;
            }
        }
        ws(s);
        if (st || s->c != ',')
            break;
        next(s);
    }
    if (!st)
        st = eat(s, '}');
    free(row);
    return st;
}

int wink_read(const char *path, size_t max_rows, matrix *out, wink_info *info, qb_error *err) {
    *out = (matrix){0};
    memset(info, 0, sizeof *info);
    FILE *f = fopen(path, "rb");
    if (!f)
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    scan s = {f, path, -1, 0, err};
    next(&s);
    size_t rows = 0, norm_index = 0, word_index = 0;
    int st = eat(&s, '{'), saw_vectors = 0;
    while (!st) {
        char key[64];
        double v;
        if ((st = string(&s, key, sizeof key)) || (st = eat(&s, ':')))
            break;
        if (!strcmp(key, "dimensions") || !strcmp(key, "size") || !strcmp(key, "l2NormIndex") ||
            !strcmp(key, "wordIndex")) {
            if (saw_vectors) { /* the vectors were read against the header as it stood */
                st = fail(&s, "a header field after \"vectors\"");
                break;
            }
            if ((st = number(&s, &v)))
                break;
            if (!(v >= 0 && v <= 1e9 && v == floor(v))) {
                st = fail(&s, "impossible header number");
                break;
            }
            size_t u = (size_t)v;
            if (key[0] == 'd')
                info->dimensions = u;
            else if (key[0] == 's')
                info->size = u;
            else if (key[0] == 'l')
                norm_index = u;
            else
                word_index = u;
        } else if (!strcmp(key, "vectors") && saw_vectors) {
            st = fail(&s, "a second \"vectors\" object");
        } else if (!strcmp(key, "vectors")) {
            /* The header fields come first in wink's files; they size the output. */
            size_t d = info->dimensions;
            if (!d || !info->size || norm_index != d || word_index != d + 1) {
                st = qb_fail(err,
                             "'%s': 'vectors' before a consistent header (dimensions %zu, "
                             "size %zu, l2NormIndex %zu, wordIndex %zu)",
                             path, d, info->size, norm_index, word_index);
                break;
            }
            size_t n = max_rows && max_rows < info->size ? max_rows : info->size;
            /* Each row takes at least two bytes per number ("0,"): a header promising more
             * than the file holds is refused before the matrix is allocated. */
            struct stat fs;
            uint64_t need;
            if (fstat(fileno(f), &fs) == 0 &&
                (size_mul3(n, d + 2, 2, &need) || need > (uint64_t)fs.st_size)) {
                st = qb_fail(err,
                             "'%s': its header promises %zu vectors of %zu numbers, more than "
                             "its %lld bytes can hold",
                             path, n, d, (long long)fs.st_size);
                break;
            }
            if ((st = matrix_alloc(out, n, d, err)))
                break;
            st = vectors(&s, out, n, info, &rows);
            saw_vectors = 1;
        } else {
            st = skip(&s, 0);
        }
        ws(&s);
        if (st || s.c != ',')
            break;
        next(&s);
    }
    if (!st)
        st = eat(&s, '}');
    fclose(f);
    if (!st && !saw_vectors)
        st = qb_fail(err, "'%s' has no \"vectors\" object", path);
    if (!st && rows != out->rows)
        st = qb_fail(err, "'%s' holds %zu vectors, its header promises %zu", path, rows, out->rows);
    if (st)
        matrix_free(out);
    return st;
}
