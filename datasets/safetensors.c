/* safetensors.c - a small reader for the safetensors format: a strict JSON parser for its
 * header and little-endian float conversions (F16, BF16 widened exactly to float32). */
#define _FILE_OFFSET_BITS 64
#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"
#include "sizes.h"

/* Real headers are a few hundred kilobytes at most (7B: ~30 kB per shard). */
#define MAX_HEADER (100u << 20)

float safetensors_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        float v = ldexpf((float)man, -24); /* zero and subnormals: man * 2^-24 */
        return sign ? -v : v;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13);
    else
        bits = sign | ((exp + 112) << 23) | (man << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float safetensors_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

unsigned safetensors_bits(safetensors_dtype d) {
    return d == ST_F32 ? 32 : d == ST_F16 || d == ST_BF16 ? 16 : d == ST_F64 ? 64 : 0;
}

static size_t dtype_size(const char *name) {
    static const struct {
        const char *n;
        size_t s;
    } t[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2},    {"I64", 8},
             {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},      {"BOOL", 1},
             {"U16", 2}, {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(name, t[i].n))
            return t[i].s;
    return 0;
}

/* --- a strict JSON reader for the header ------------------------------------------------- */

typedef struct {
    const char *start, *p, *end;
    const char *path;
    qb_error *err;
} json;

static void skip_ws(json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int bad(json *j, const char *what) {
    return qb_fail(j->err, "'%s': malformed safetensors header: %s at header byte %ld", j->path,
                   what, (long)(j->p - j->start));
}

static int expect(json *j, char c) {
    skip_ws(j);
    if (j->p >= j->end || *j->p != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return bad(j, what);
    }
    j->p++;
    return QB_OK;
}

/* A string into buf (escapes kept verbatim except \" and \\, which names never need). */
static int parse_string(json *j, char *buf, size_t len) {
    if (expect(j, '"'))
        return QB_EINPUT;
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            if (j->p >= j->end)
                break;
            c = *j->p++;
            if (c != '"' && c != '\\' && c != '/') {
                if (n + 1 < len)
                    buf[n++] = '\\';
            }
        }
        if (n + 1 < len)
            buf[n++] = c;
        else
            return bad(j, "string too long");
    }
    if (j->p >= j->end)
        return bad(j, "unterminated string");
    j->p++;
    buf[n] = 0;
    return QB_OK;
}

static int parse_u64(json *j, uint64_t *v) {
    skip_ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return bad(j, "expected a non-negative integer");
    uint64_t x = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10)
            return bad(j, "integer too large");
        x = x * 10 + (uint64_t)(*j->p++ - '0');
    }
    *v = x;
    return QB_OK;
}

static int peek(json *j, char c) {
    skip_ws(j);
    return j->p < j->end && *j->p == c;
}

/* [u64, ...] into v (at most cap entries). */
static int parse_u64_array(json *j, uint64_t *v, size_t cap, size_t *n) {
    *n = 0;
    if (expect(j, '['))
        return QB_EINPUT;
    if (peek(j, ']'))
        return expect(j, ']');
    do {
        if (*n == cap)
            return bad(j, "array too long");
        if (parse_u64(j, &v[(*n)++]))
            return QB_EINPUT;
    } while (peek(j, ',') && !expect(j, ','));
    return expect(j, ']');
}

/* Skips the __metadata__ object (string to string). */
static int skip_metadata(json *j) {
    char buf[4096];
    if (expect(j, '{'))
        return QB_EINPUT;
    if (peek(j, '}'))
        return expect(j, '}');
    do {
        if (parse_string(j, buf, sizeof buf) || expect(j, ':') || parse_string(j, buf, sizeof buf))
            return QB_EINPUT;
    } while (peek(j, ',') && !expect(j, ','));
    return expect(j, '}');
}

static int parse_tensor(json *j, safetensors_tensor *t) {
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    if (expect(j, '{'))
        return QB_EINPUT;
    do {
        char key[64];
        if (parse_string(j, key, sizeof key) || expect(j, ':'))
            return QB_EINPUT;
        if (!strcmp(key, "dtype")) {
            if (parse_string(j, t->dtype_name, sizeof t->dtype_name))
                return QB_EINPUT;
            have_dtype = 1;
        } else if (!strcmp(key, "shape")) {
            if (parse_u64_array(j, t->shape, SAFETENSORS_MAX_DIMS, &t->ndim))
                return QB_EINPUT;
            have_shape = 1;
        } else if (!strcmp(key, "data_offsets")) {
            uint64_t o[2];
            size_t n;
            if (parse_u64_array(j, o, 2, &n))
                return QB_EINPUT;
            if (n != 2)
                return bad(j, "data_offsets needs two numbers");
            t->begin = o[0];
            t->end = o[1];
            have_offsets = 1;
        } else {
            return bad(j, "unknown tensor field");
        }
    } while (peek(j, ',') && !expect(j, ','));
    if (expect(j, '}'))
        return QB_EINPUT;
    if (!have_dtype || !have_shape || !have_offsets)
        return qb_fail(j->err, "'%s': tensor '%s' lacks dtype, shape or data_offsets", j->path,
                       t->name);
    return QB_OK;
}

/* --- the file ----------------------------------------------------------------------------- */

static int check_tensor(const char *path, const safetensors_tensor *t, uint64_t data_bytes,
                        qb_error *err) {
    size_t es = dtype_size(t->dtype_name);
    if (!es)
        return qb_fail(err, "'%s': tensor '%s' has unknown dtype '%s'", path, t->name,
                       t->dtype_name);
    uint64_t count = 1;
    for (size_t d = 0; d < t->ndim; d++) {
        if (t->shape[d] && count > UINT64_MAX / t->shape[d] / es)
            return qb_fail(err, "'%s': tensor '%s' is impossibly large", path, t->name);
        count *= t->shape[d];
    }
    if (t->end < t->begin || t->end > data_bytes)
        return qb_fail(err,
                       "'%s' is truncated or corrupt: tensor '%s' spans bytes %llu..%llu of "
                       "a %llu-byte data section",
                       path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)data_bytes);
    if (t->end - t->begin != count * es)
        return qb_fail(err,
                       "'%s': tensor '%s' (%s, %llu elements) needs %llu bytes, its range "
                       "has %llu",
                       path, t->name, t->dtype_name, (unsigned long long)count,
                       (unsigned long long)(count * es), (unsigned long long)(t->end - t->begin));
    return QB_OK;
}

static int by_begin(const void *a, const void *b) {
    const safetensors_tensor *x = *(const safetensors_tensor *const *)a,
                             *y = *(const safetensors_tensor *const *)b;
    return x->begin < y->begin   ? -1
           : x->begin > y->begin ? 1
                                 : (x->end > y->end) - (x->end < y->end);
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const safetensors_tensor *const *)a)->name,
                  (*(const safetensors_tensor *const *)b)->name);
}

/* As the format requires (and its reference reader checks): the tensors' byte ranges tile the
 * data section exactly, so no two share a byte and nothing hides between or after them; and no
 * name is given twice. */
static int check_layout(const safetensors_file *sf, uint64_t data_bytes, qb_error *err) {
    const safetensors_tensor **order = malloc((sf->n + 1) * sizeof *order);
    if (!order)
        return qb_oom(err);
    for (size_t i = 0; i < sf->n; i++)
        order[i] = &sf->t[i];
    qsort(order, sf->n, sizeof *order, by_begin);
    int s = QB_OK;
    uint64_t at = 0;
    for (size_t i = 0; !s && i < sf->n; i++) {
        const safetensors_tensor *t = order[i];
        if (t->begin != at)
            s = qb_fail(err,
                        "'%s': tensor '%s' starts at data byte %llu, but the tensors before it end "
                        "at %llu (%s)",
                        sf->path, t->name, (unsigned long long)t->begin, (unsigned long long)at,
                        t->begin < at ? "overlapping tensors" : "a gap between tensors");
        at = t->end;
    }
    qsort(order, sf->n, sizeof *order, by_name);
    for (size_t i = 1; !s && i < sf->n; i++)
        if (!strcmp(order[i - 1]->name, order[i]->name))
            s = qb_fail(err, "'%s' names tensor '%s' twice", sf->path, order[i]->name);
    if (!s && at != data_bytes)
        s = qb_fail(err,
                    "'%s': %llu bytes after the last tensor (the data section has %llu, the "
                    "tensors cover %llu): not a safetensors file, or one with something appended",
                    sf->path, (unsigned long long)(data_bytes - at), (unsigned long long)data_bytes,
                    (unsigned long long)at);
    free(order);
    return s;
}

int safetensors_open(const char *path, safetensors_file *sf, qb_error *err) {
    memset(sf, 0, sizeof *sf);
    snprintf(sf->path, sizeof sf->path, "%s", path);
    sf->f = fopen(path, "rb");
    if (!sf->f)
        return qb_fail(err, "cannot open '%s': %s", path, strerror(errno));
    uint8_t le[8];
    uint64_t hlen = 0, size = 0;
    if (fseeko(sf->f, 0, SEEK_END) == 0) {
        off_t e = ftello(sf->f);
        size = e > 0 ? (uint64_t)e : 0;
    }
    rewind(sf->f);
    if (fread(le, 1, 8, sf->f) != 8) {
        safetensors_close(sf);
        return qb_fail(err, "'%s' is truncated: no safetensors header length", path);
    }
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | le[i];
    if (hlen < 2 || hlen > MAX_HEADER || hlen > size - 8) {
        safetensors_close(sf);
        return qb_fail(err, "'%s' is not a safetensors file (header length %llu, file %llu bytes)",
                       path, (unsigned long long)hlen, (unsigned long long)size);
    }
    char *h = malloc(hlen);
    if (!h) {
        safetensors_close(sf);
        return qb_oom(err);
    }
    if (fread(h, 1, hlen, sf->f) != hlen) {
        free(h);
        safetensors_close(sf);
        return qb_fail(err, "cannot read the header of '%s'", path);
    }
    sf->data_start = 8 + hlen;
    json j = {h, h, h + hlen, path, err};
    size_t cap = 0;
    int s = expect(&j, '{');
    if (!s && peek(&j, '}'))
        s = expect(&j, '}');
    else
        while (!s) {
            char name[256];
            if ((s = parse_string(&j, name, sizeof name)) || (s = expect(&j, ':')))
                break;
            if (!strcmp(name, "__metadata__")) {
                s = skip_metadata(&j);
            } else {
                if (sf->n == cap) {
                    cap = cap ? 2 * cap : 64;
                    safetensors_tensor *t = realloc(sf->t, cap * sizeof *t);
                    if (!t) {
                        s = qb_oom(err);
                        break;
                    }
                    sf->t = t;
                }
                safetensors_tensor *t = &sf->t[sf->n++];
                memset(t, 0, sizeof *t);
                snprintf(t->name, sizeof t->name, "%s", name);
                if (!(s = parse_tensor(&j, t)))
                    s = check_tensor(path, t, size - sf->data_start, err);
                const char *dn = t->dtype_name;
                t->dtype = !strcmp(dn, "F32")    ? ST_F32
                           : !strcmp(dn, "F16")  ? ST_F16
                           : !strcmp(dn, "BF16") ? ST_BF16
                           : !strcmp(dn, "F64")  ? ST_F64
                                                 : ST_OTHER;
            }
            if (s || !peek(&j, ','))
                break;
            s = expect(&j, ',');
        }
    if (!s)
        s = expect(&j, '}');
    if (!s) { /* the header may be padded with spaces, nothing else */
        skip_ws(&j);
        if (j.p < j.end)
            s = bad(&j, "bytes after the header's closing brace");
    }
    free(h);
    if (!s)
        s = check_layout(sf, size - sf->data_start, err);
    if (s)
        safetensors_close(sf);
    return s;
}

void safetensors_close(safetensors_file *sf) {
    if (sf->f)
        fclose(sf->f);
    free(sf->t);
    memset(sf, 0, sizeof *sf);
}

int safetensors_read(safetensors_file *sf, size_t i, matrix *out, qb_error *err) {
    *out = (matrix){0};
    const safetensors_tensor *t = &sf->t[i];
    if (t->dtype == ST_OTHER)
        return qb_fail(err, "'%s': tensor '%s' is %s; only F32, F16, BF16 and F64 are read",
                       sf->path, t->name, t->dtype_name);
    size_t rows = t->ndim ? (size_t)t->shape[0] : 1, cols = 1;
    if (t->ndim == 1) {
        cols = rows;
        rows = 1;
    }
    for (size_t d = 1; d < t->ndim; d++)
        cols *= (size_t)t->shape[d];
    size_t es = safetensors_bits(t->dtype) / 8;
    /* rows * cols * es was checked against the file when it was opened; widened types also hold
     * the raw bytes while they convert. */
    char what[4400];
    snprintf(what, sizeof what, "tensor '%s' of '%s' as float32", t->name, sf->path);
    uint64_t need = (uint64_t)rows * cols * (sizeof(float) + (t->dtype == ST_F32 ? 0 : es));
    int s = size_check_memory(what, need, err);
    if (!s)
        s = matrix_alloc(out, rows, cols, err);
    if (s)
        return s;
    size_t count = rows * cols;
    unsigned char *raw = t->dtype == ST_F32 ? (unsigned char *)out->data : malloc(count * es);
    if (!raw) {
        matrix_free(out);
        return qb_oom(err);
    }
    if (fseeko(sf->f, (off_t)(sf->data_start + t->begin), SEEK_SET) != 0 ||
        fread(raw, es, count, sf->f) != count) {
        if ((void *)raw != (void *)out->data)
            free(raw);
        matrix_free(out);
        return qb_fail(err, "cannot read tensor '%s' of '%s'", t->name, sf->path);
    }
    /* The format is little-endian; so is every machine this builds on (x86-64, arm64). */
    for (size_t k = 0; k < count && t->dtype != ST_F32; k++) {
        uint16_t h16;
        double f64;
        switch (t->dtype) {
        case ST_F16:
            memcpy(&h16, raw + 2 * k, 2);
            out->data[k] = safetensors_f16_to_f32(h16);
            break;
        case ST_BF16:
            memcpy(&h16, raw + 2 * k, 2);
            out->data[k] = safetensors_bf16_to_f32(h16);
            break;
        case ST_F64:
            memcpy(&f64, raw + 8 * k, 8);
            out->data[k] = matrix_narrow(f64);
            break;
        default:
            break;
        }
    }
    if ((void *)raw != (void *)out->data)
        free(raw);
    return QB_OK;
}

int safetensors_to_h5(const char *path, const char *out, const char *source, const char *license,
                      qb_error *err) {
    safetensors_file sf;
    int s = safetensors_open(path, &sf, err);
    if (s)
        return s;
    h5_writer w;
    if ((s = h5_writer_open(&w, out, err))) {
        safetensors_close(&sf);
        return s;
    }
    size_t written = 0;
    for (size_t i = 0; i < sf.n && !s; i++) {
        const safetensors_tensor *t = &sf.t[i];
        if (t->ndim != 2 || t->dtype == ST_OTHER)
            continue; /* norms, biases and integer tables are not weight matrices */
        matrix m;
        if ((s = safetensors_read(&sf, i, &m, err)))
            break;
        char name[300], desc[400];
        snprintf(name, sizeof name, "/%s", t->name);
        for (char *c = name; *c; c++)
            if (*c == '.')
                *c = '/';
        snprintf(desc, sizeof desc, "safetensors tensor '%s' (%s, %llu x %llu)", t->name,
                 t->dtype_name, (unsigned long long)t->shape[0], (unsigned long long)t->shape[1]);
        h5_attrs attrs = {.source = source ? source : path,
                          .license = license ? license : "unknown (see the model's origin)",
                          .description = desc,
                          .source_bits = safetensors_bits(t->dtype)};
        s = matrix_check_finite(&m, t->name, err);
        if (!s)
            s = h5_writer_put(&w, name, &m, &attrs, err);
        matrix_free(&m);
        written++;
    }
    safetensors_close(&sf);
    if (!s && !written)
        s = qb_fail(err, "'%s' holds no 2-D float tensor", path);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "source", source ? source : path, err);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "license", license ? license : "unknown", err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}
