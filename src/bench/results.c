/* results.c - the results store: CSV lines appended atomically, the HDF5 table and the CSV
 * rewritten whole through a temporary and a rename. One column table drives all three. */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5io.h"
#include "names.h"
#include "options.h"

typedef enum { COL_STR, COL_U64, COL_UINT, COL_I64, COL_F64 } col_type;

typedef struct {
    const char *name;
    col_type type;
    size_t offset, size;
} column;

#define S(f)                                                                                       \
    { #f, COL_STR, offsetof(result_row, f), sizeof(((result_row *)0)->f) }
#define U64(f)                                                                                     \
    { #f, COL_U64, offsetof(result_row, f), sizeof(uint64_t) }
#define UINT(f)                                                                                    \
    { #f, COL_UINT, offsetof(result_row, f), sizeof(unsigned) }
#define F64(f)                                                                                     \
    { #f, COL_F64, offsetof(result_row, f), sizeof(double) }

/* The fixed columns; the method options of the option table follow, generated (see columns_build)
 * before `baseline`. */
static const column fixed_head[] = {
    S(key),
    S(status),
    S(experiment),
    S(dataset),
    S(label),
    S(method),
    S(preset),
    S(data_kind),
    F64(data_mu),
    F64(data_sigma),
    U64(n),
    U64(d),
    UINT(source_bits),
    U64(subspaces),
    U64(ks),
    UINT(rtn_bits),
    UINT(iterations),
    S(accounting),
    UINT(seed_index),
    U64(seed),
    F64(target_ratio),
    S(stages),
    F64(ratio),
    U64(bits_codes),
    U64(bits_codebooks),
    U64(bits_indicator_maps),
    U64(bits_rotation),
    U64(bits_coarse),
    U64(bits_scales),
    U64(bits_total),
    U64(bits_charged),
    U64(original_bits),
    F64(mse),
    F64(mae),
    F64(mre),
    U64(mre_excluded),
    F64(seconds_quantize),
    F64(seconds_dequantize),
    F64(seconds_fit),
    F64(seconds_encode),
    F64(kl_mean),
    F64(kl_p99),
    F64(top1),
    F64(ppl),
    F64(ppl_fp32),
    U64(positions),
    F64(recall1_at_1),
    F64(recall1_at_10),
    F64(recall1_at_100),
    F64(recall10_at_10),
    U64(queries),
    S(distance),
};
static const column fixed_tail[] = {
    S(baseline), F64(qtr), F64(dtr), S(versions), S(revision), S(note),
};
#define N_HEAD (sizeof fixed_head / sizeof *fixed_head)
#define N_TAIL (sizeof fixed_tail / sizeof *fixed_tail)
#define MAX_COLUMNS (N_HEAD + RESULT_MAX_OPTIONS + N_TAIL)

/* Columns of earlier versions that a results file may still hold: read and dropped. */
static const char *const retired_columns[] = {"opq_init_random", "rtn_clip_note"};

static column columns[MAX_COLUMNS];
static size_t n_columns;
static pthread_once_t columns_once = PTHREAD_ONCE_INIT;

static int fixed_column(const char *name) {
    for (size_t i = 0; i < N_HEAD; i++)
        if (!strcmp(fixed_head[i].name, name))
            return 1;
    return 0;
}

/* Every option with no fixed column of its name gets one: integers (and enums' names, text) as
 * the option table types them. */
static void columns_build(void) {
    size_t n = 0, k = 0;
    for (size_t i = 0; i < N_HEAD; i++)
        columns[n++] = fixed_head[i];
    for (size_t i = 0; option_at(i); i++) {
        const option_def *o = option_at(i);
        if (fixed_column(option_field(o)))
            continue;
        if (k == RESULT_MAX_OPTIONS)
            abort(); /* RESULT_MAX_OPTIONS is smaller than the option table */
        columns[n++] =
            o->type == OPT_UINT
                ? (column){option_field(o), COL_I64,
                           offsetof(result_row, option_int) + k * sizeof(int64_t), sizeof(int64_t)}
                : (column){option_field(o), COL_STR,
                           offsetof(result_row, option_text) + k * RESULT_OPTION_TEXT,
                           RESULT_OPTION_TEXT};
        k++;
    }
    for (size_t i = 0; i < N_TAIL; i++)
        columns[n++] = fixed_tail[i];
    n_columns = n;
}

static void columns_ready(void) {
    pthread_once(&columns_once, columns_build);
}

static const column *column_named(const char *name) {
    columns_ready();
    char want[96];
    snprintf(want, sizeof want, "%s", name);
    for (char *c = want; *c; c++)
        if (*c == '.')
            *c = '_';
    for (size_t i = 0; i < n_columns; i++)
        if (!strcmp(columns[i].name, want))
            return &columns[i];
    return NULL;
}

int results_has_column(const char *name) {
    return column_named(name) != NULL;
}

void result_table_free(result_table *t) {
    free(t->rows);
    free(t->slots);
    *t = (result_table){0};
}

void result_row_clear(result_row *r) {
    memset(r, 0, sizeof *r);
    r->qtr = r->dtr = NAN;
    r->recall1_at_1 = r->recall1_at_10 = r->recall1_at_100 = r->recall10_at_10 = NAN;
    r->kl_mean = r->kl_p99 = r->top1 = r->ppl = r->ppl_fp32 = NAN;
}

int result_table_push(result_table *t, const result_row *r, qb_error *err) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        result_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows)
            return qb_oom(err);
        t->rows = rows;
        t->cap = cap;
    }
    t->rows[t->n++] = *r;
    return QB_OK;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A string -> index map with open addressing: sweeps of tens of thousands of cells look up every
 * key, so a linear scan per lookup would be quadratic. */
typedef struct {
    size_t *slots; /* index + 1, 0 empty */
    size_t n;      /* power of two */
} str_map;

static int map_init(str_map *m, size_t count) {
    m->n = 16;
    while (m->n < 2 * count + 16)
        m->n *= 2;
    m->slots = calloc(m->n, sizeof *m->slots);
    return m->slots ? 0 : -1;
}

/* The slot holding `key` (per `key_of`), or the empty slot where it would go. */
static size_t *map_slot(const str_map *m, const char *key,
                        const char *(*key_of)(const void *, size_t), const void *ctx) {
    size_t i = (size_t)hash_str(key) & (m->n - 1);
    while (m->slots[i] && strcmp(key_of(ctx, m->slots[i] - 1), key))
        i = (i + 1) & (m->n - 1);
    return &m->slots[i];
}

static const char *row_key(const void *t, size_t i) {
    return ((const result_table *)t)->rows[i].key;
}

long result_table_find(const result_table *ct, const char *key) {
    result_table *t = (result_table *)ct; /* the index is a cache: logically const */
    if (t->n_slots < 2 * t->n + 16) {
        str_map m;
        if (map_init(&m, 2 * t->n + 64)) { /* no memory for the index: scan */
            for (size_t i = 0; i < t->n; i++)
                if (!strcmp(t->rows[i].key, key))
                    return (long)i;
            return -1;
        }
        free(t->slots);
        t->slots = m.slots;
        t->n_slots = m.n;
        t->indexed = 0;
    }
    str_map m = {t->slots, t->n_slots};
    for (; t->indexed < t->n; t->indexed++) {
        size_t *slot = map_slot(&m, t->rows[t->indexed].key, row_key, t);
        if (!*slot) /* the first of duplicate keys wins */
            *slot = t->indexed + 1;
    }
    size_t *slot = map_slot(&m, key, row_key, t);
    return *slot ? (long)(*slot - 1) : -1;
}

static int cmp_num(double a, double b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

static int row_cmp(const void *pa, const void *pb) {
    const result_row *a = pa, *b = pb;
    int c;
    if ((c = strcmp(a->dataset, b->dataset)) || (c = strcmp(a->label, b->label)) ||
        (c = strcmp(a->accounting, b->accounting)) ||
        (c = cmp_num((double)a->subspaces, (double)b->subspaces)) ||
        (c = cmp_num(a->iterations, b->iterations)) ||
        (c = cmp_num(a->target_ratio, b->target_ratio)) ||
        (c = cmp_num(a->seed_index, b->seed_index)))
        return c;
    return strcmp(a->key, b->key);
}

void result_table_sort(result_table *t) {
    if (t->n > 1)
        qsort(t->rows, t->n, sizeof *t->rows, row_cmp);
    t->indexed = 0; /* rows moved: rebuild the index on the next lookup */
    if (t->slots)
        memset(t->slots, 0, t->n_slots * sizeof *t->slots);
}

/* What identifies a baseline row for QTR/DTR; m, l and the accounting are given explicitly so a
 * row can look up the variants a baseline may be stored under. */
static void baseline_key(const result_row *r, const char *label, uint64_t m, unsigned l,
                         const char *acc, char *buf, size_t len) {
    snprintf(buf, len, "%s|%s|%u|%.17g|%llu|%u|%s", r->dataset, label, r->seed_index,
             r->target_ratio, (unsigned long long)m, l, acc);
}

typedef struct {
    const result_table *t;
    char (*keys)[400];
} keyed;

static const char *keyed_key(const void *k, size_t i) {
    return ((const keyed *)k)->keys[i];
}

int result_table_time_ratios(result_table *t, qb_error *err) {
    keyed k = {t, malloc((t->n + 1) * sizeof *k.keys)};
    str_map m = {0};
    if (!k.keys || map_init(&m, t->n)) {
        free(k.keys);
        return qb_oom(err);
    }
    for (size_t j = 0; j < t->n; j++) {
        const result_row *b = &t->rows[j];
        baseline_key(b, b->label, b->subspaces, b->iterations, b->accounting, k.keys[j],
                     sizeof k.keys[j]);
        size_t *slot = map_slot(&m, k.keys[j], keyed_key, &k);
        if (!*slot && !strcmp(b->status, RESULT_OK))
            *slot = j + 1;
    }
    for (size_t i = 0; i < t->n; i++) {
        result_row *r = &t->rows[i];
        r->qtr = r->dtr = NAN;
        if (strcmp(r->status, RESULT_OK) || !r->baseline[0])
            continue;
        /* The baseline's own m / l / accounting count only when it has them (rtn has no m;
         * methods without indicator maps are stored under "full" only). */
        const result_row *b = NULL;
        for (int v = 0; v < 8 && !b; v++) {
            char key[400];
            baseline_key(r, r->baseline, v & 1 ? 0 : r->subspaces, v & 2 ? 0 : r->iterations,
                         v & 4 ? "full" : r->accounting, key, sizeof key);
            size_t *slot = map_slot(&m, key, keyed_key, &k);
            if (*slot)
                b = &t->rows[*slot - 1];
        }
        if (!b)
            continue;
        if (b->seconds_quantize > 0)
            r->qtr = r->seconds_quantize / b->seconds_quantize;
        if (b->seconds_dequantize > 0)
            r->dtr = r->seconds_dequantize / b->seconds_dequantize;
    }
    free(m.slots);
    free(k.keys);
    return QB_OK;
}

/* ---- CSV ---- */

const char *results_csv_header(void) {
    static char header[4096];
    columns_ready();
    if (!header[0]) {
        size_t at = 0;
        for (size_t c = 0; c < n_columns; c++)
            at += (size_t)snprintf(header + at, sizeof header - at, "%s%s", c ? "," : "",
                                   columns[c].name);
        snprintf(header + at, sizeof header - at, "\n");
    }
    return header;
}

static size_t put_field(char *buf, size_t len, const result_row *r, const column *c) {
    const char *p = (const char *)r + c->offset;
    switch (c->type) {
    case COL_STR: {
        /* Quote when needed; embedded quotes doubled. */
        int quote = strpbrk(p, ",\"\n") != NULL;
        size_t at = 0;
        if (quote && at < len)
            buf[at++] = '"';
        for (; *p && at + 2 < len; p++) {
            char ch = *p == '\n' ? ' ' : *p;
            if (ch == '"')
                buf[at++] = '"';
            buf[at++] = ch;
        }
        if (quote && at < len)
            buf[at++] = '"';
        return *p ? len : at;
    }
    case COL_U64:
        return (size_t)snprintf(buf, len, "%llu", *(const unsigned long long *)(const void *)p);
    case COL_UINT:
        return (size_t)snprintf(buf, len, "%u", *(const unsigned *)(const void *)p);
    case COL_I64:
        return (size_t)snprintf(buf, len, "%lld", (long long)*(const int64_t *)(const void *)p);
    case COL_F64: {
        double v = *(const double *)(const void *)p;
        return isfinite(v) ? (size_t)snprintf(buf, len, "%.17g", v)
                           : (size_t)snprintf(buf, len, "nan");
    }
    }
    return len;
}

size_t results_format_csv(const result_row *r, char *buf, size_t len) {
    columns_ready();
    size_t at = 0;
    for (size_t c = 0; c < n_columns; c++) {
        if (c) {
            if (at + 1 >= len)
                return 0;
            buf[at++] = ',';
        }
        size_t w = put_field(buf + at, len - at, r, &columns[c]);
        if (w >= len - at)
            return 0;
        at += w;
    }
    if (at + 2 > len)
        return 0;
    buf[at++] = '\n';
    buf[at] = 0;
    return at;
}

/* Splits one CSV line into at most max fields (in place); returns the count, or -1 if malformed. */
static int split_csv(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            char *q = p + 1;
            for (;;) {
                if (!*q)
                    return -1;
                if (*q == '"') {
                    if (q[1] == '"') {
                        *out++ = '"';
                        q += 2;
                        continue;
                    }
                    q++;
                    break;
                }
                *out++ = *q++;
            }
            if (*q != ',' && *q)
                return -1;
            char next = *q;
            *out = 0;
            if (!next)
                return n;
            p = q + 1;
        } else {
            char *comma = strchr(p, ',');
            if (!comma)
                return n;
            *comma = 0;
            p = comma + 1;
        }
    }
}

static int parse_field(result_row *r, const column *c, const char *s) {
    char *p = (char *)r + c->offset, *end;
    errno = 0;
    switch (c->type) {
    case COL_STR:
        if (strlen(s) >= c->size)
            return -1;
        strcpy(p, s);
        return 0;
    case COL_U64: /* strtoull takes "-5" as 2^64 - 5: no sign allowed */
        if (*s < '0' || *s > '9')
            return -1;
        *(uint64_t *)(void *)p = strtoull(s, &end, 10);
        break;
    case COL_UINT: {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned long long v = strtoull(s, &end, 10);
        if (v > UINT_MAX)
            return -1;
        *(unsigned *)(void *)p = (unsigned)v;
        break;
    }
    case COL_I64:
        *(int64_t *)(void *)p = strtoll(s, &end, 10);
        break;
    case COL_F64:
        *(double *)(void *)p = strtod(s, &end);
        break;
    }
    return errno || *end || end == s ? -1 : 0;
}

int results_row_set(result_row *r, const char *name, const char *text, qb_error *err) {
    const column *c = column_named(name);
    if (!c)
        return qb_internal(err, "a cell reports '%s' but the results have no such column", name);
    if (parse_field(r, c, text))
        return qb_internal(err, "results column %s cannot hold '%s'", c->name, text);
    return QB_OK;
}

int results_row_get(const result_row *r, const char *name, char *buf, size_t len, qb_error *err) {
    const column *c = column_named(name);
    if (!c)
        return qb_internal(err, "the results have no column '%s'", name);
    if (c->type == COL_STR)
        snprintf(buf, len, "%s", (const char *)r + c->offset);
    else if (put_field(buf, len, r, c) >= len)
        return qb_internal(err, "results column %s does not fit %zu characters", c->name, len);
    return QB_OK;
}

/* At most 64 bytes of a field for a message, control bytes as \xNN: an error stays one line. */
static const char *printable(const char *f, char *buf, size_t len) {
    size_t at = 0, i = 0;
    for (; f[i] && i < 64 && at + 5 < len; i++)
        at += (size_t)((unsigned char)f[i] < 0x20 || f[i] == 0x7f
                           ? snprintf(buf + at, len - at, "\\x%02x", (unsigned char)f[i])
                           : snprintf(buf + at, len - at, "%c", f[i]));
    snprintf(buf + at, len - at, "%s", f[i] ? "..." : "");
    return buf;
}

/* Why a parsed row cannot be a results row, or NULL: every name is one a sweep could have
 * written (they become file names: figures/<dataset>/), the grid's numbers are finite, and an ok
 * row has every measurement (a NaN MRE only when every element was too small to divide by). */
static const char *row_problem(const result_row *r, char *buf, size_t len) {
    const char *why;
    if (!r->key[0])
        return "empty key";
    if (strcmp(r->status, RESULT_OK) && strcmp(r->status, RESULT_INFEASIBLE) &&
        strcmp(r->status, RESULT_INVALID)) {
        snprintf(buf, len, "unknown status '%s'", r->status);
        return buf;
    }
    const char *names[][2] = {{"dataset", r->dataset}, {"label", r->label}, {"method", r->method}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if ((why = name_problem(names[i][1]))) {
            snprintf(buf, len, "%s '%s' %s", names[i][0], names[i][1], why);
            return buf;
        }
    const struct {
        const char *name;
        double v;
        int ok_only;
    } nums[] = {{"target_ratio", r->target_ratio, 0},
                {"data_mu", r->data_mu, 0},
                {"data_sigma", r->data_sigma, 0},
                {"ratio", r->ratio, 1},
                {"mse", r->mse, 1},
                {"mae", r->mae, 1},
                {"mre", r->mre_excluded == r->n * r->d ? 0 : r->mre, 1},
                {"seconds_quantize", r->seconds_quantize, 1},
                {"seconds_dequantize", r->seconds_dequantize, 1},
                {"seconds_fit", r->seconds_fit, 1},
                {"seconds_encode", r->seconds_encode, 1}};
    int ok = !strcmp(r->status, RESULT_OK);
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if ((ok || !nums[i].ok_only) && !isfinite(nums[i].v)) {
            snprintf(buf, len, "%s is %g%s", nums[i].name, nums[i].v,
                     nums[i].ok_only ? " in an ok row" : "");
            return buf;
        }
    if (r->target_ratio < 0)
        return "negative target_ratio";
    return NULL;
}

/* The keys seen so far and the line of each: a growing open-addressing set. */
typedef struct {
    char (*keys)[256];
    long *lines;
    size_t n, cap;
    str_map m;
} key_set;

static const char *set_key(const void *s, size_t i) {
    return ((const key_set *)s)->keys[i];
}

static void key_set_free(key_set *s) {
    free(s->keys);
    free(s->lines);
    free(s->m.slots);
}

/* Adds key (seen on `line`); *first: the line it was seen on before, or 0. -1 out of memory. */
static int key_set_add(key_set *s, const char *key, long line, long *first) {
    *first = 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        char(*k)[256] = realloc(s->keys, cap * sizeof *k);
        if (k)
            s->keys = k;
        long *l = realloc(s->lines, cap * sizeof *l);
        if (l)
            s->lines = l;
        str_map m;
        if (!k || !l || map_init(&m, cap))
            return -1;
        free(s->m.slots);
        s->m = m;
        s->cap = cap;
        for (size_t i = 0; i < s->n; i++)
            *map_slot(&s->m, s->keys[i], set_key, s) = i + 1;
    }
    size_t *slot = map_slot(&s->m, key, set_key, s);
    if (*slot) {
        *first = s->lines[*slot - 1];
        return 0;
    }
    snprintf(s->keys[s->n], sizeof s->keys[s->n], "%s", key);
    s->lines[s->n] = line;
    *slot = ++s->n;
    return 0;
}

int results_scan(const char *dir, results_line_fn fn, void *ctx, qb_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    columns_ready();
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? QB_OK : qb_fail(err, "cannot read %s: %s", path, strerror(errno));
    char *line = NULL, *copy = NULL;
    size_t cap = 0, copy_cap = 0;
    ssize_t len;
    int map[MAX_COLUMNS + 9], n_header = 0, s = QB_OK; /* as many as split_csv gives */
    long lineno = 0;
    key_set seen = {0};
    while (!s && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        results_line l = {lineno, line, NULL, NULL, 0, line[len - 1] != '\n'};
        if (!l.cut)
            line[--len] = 0;
        if (copy_cap < (size_t)len + 1) { /* split_csv cuts the line up; l.text stays whole */
            free(copy);
            copy_cap = (size_t)len + 1;
            if (!(copy = malloc(copy_cap))) {
                s = qb_oom(err);
                break;
            }
        }
        memcpy(copy, line, (size_t)len + 1);
        char *fields[MAX_COLUMNS + 9];
        int nf = strlen(copy) == (size_t)len ? split_csv(copy, fields, (int)MAX_COLUMNS + 9) : -2;
        if (lineno == 1) {
            if (l.cut || nf < 1) {
                s = qb_fail(err, "%s: malformed header", path);
                break;
            }
            n_header = nf;
            for (int i = 0; i < nf && !s; i++) {
                map[i] = -1;
                for (size_t c = 0; c < n_columns; c++)
                    if (!strcmp(fields[i], columns[c].name))
                        map[i] = (int)c;
                for (size_t k = 0;
                     map[i] < 0 && k < sizeof retired_columns / sizeof *retired_columns; k++)
                    if (!strcmp(fields[i], retired_columns[k]))
                        map[i] = -2;
                char shown[300];
                if (map[i] == -1)
                    s = qb_fail(err, "%s: unknown column '%s' in the header", path,
                                printable(fields[i], shown, sizeof shown));
                for (int k = 0; !s && k < i; k++)
                    if (map[i] >= 0 && map[k] == map[i])
                        s = qb_fail(err, "%s: column '%s' twice in the header", path,
                                    columns[map[i]].name);
            }
            continue;
        }
        result_row r;
        char why[400];
        result_row_clear(&r);
        if (l.cut) {
            l.problem = "the last line has no newline (a write cut by a kill; never committed)";
        } else if (nf == -2) {
            l.problem = "a NUL byte in the line";
        } else if (nf != n_header) {
            snprintf(why, sizeof why, "%d fields, the header has %d", nf, n_header);
            l.problem = why;
        } else {
            for (int i = 0; i < nf && !l.problem; i++)
                if (map[i] >= 0 && parse_field(&r, &columns[map[i]], fields[i])) {
                    char shown[300];
                    snprintf(why, sizeof why, "bad value '%s' in column %s",
                             printable(fields[i], shown, sizeof shown), columns[map[i]].name);
                    l.problem = why;
                }
            if (!l.problem)
                l.problem = row_problem(&r, why, sizeof why);
        }
        if (!l.problem && key_set_add(&seen, r.key, lineno, &l.first_line)) {
            s = qb_oom(err);
            break;
        }
        if (!l.problem)
            l.row = &r;
        s = fn(&l, ctx);
    }
    free(line);
    free(copy);
    fclose(f);
    key_set_free(&seen);
    return s;
}

typedef struct {
    const char *dir;
    result_table *t;
    qb_error *err;
} read_ctx;

static int read_line(const results_line *l, void *ctx) {
    read_ctx *c = ctx;
    if (l->cut)
        return QB_OK; /* that row was never committed */
    if (l->first_line)
        return qb_fail(c->err,
                       "%s/results.csv:%ld: cell '%.200s' is already on line %ld (two runs "
                       "on one directory?); " RESULTS_WAY_OUT,
                       c->dir, l->line, l->row->key, l->first_line, c->dir);
    if (l->problem)
        return qb_fail(c->err, "%s/results.csv:%ld: %s; " RESULTS_WAY_OUT, c->dir, l->line,
                       l->problem, c->dir);
    return result_table_push(c->t, l->row, c->err);
}

int results_read(const char *dir, result_table *t, qb_error *err) {
    *t = (result_table){0};
    read_ctx c = {dir, t, err};
    int s = results_scan(dir, read_line, &c, err);
    if (s)
        result_table_free(t);
    return s;
}

int results_append_open(results_appender *a, const char *dir, qb_error *err) {
    snprintf(a->path, sizeof a->path, "%s/results.csv", dir);
    a->fd = open(a->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (a->fd < 0)
        return qb_fail(err, "cannot open %s: %s", a->path, strerror(errno));
    off_t size = lseek(a->fd, 0, SEEK_END);
    if (size > 0) {
        /* Drop a partial last line left by a kill, so the next row starts on its own line. */
        off_t end = size;
        char ch = 0;
        while (end > 0 && pread(a->fd, &ch, 1, end - 1) == 1 && ch != '\n')
            end--;
        if (end != size && ftruncate(a->fd, end)) {
            int e = errno;
            close(a->fd);
            return qb_internal(err, "cannot truncate %s: %s", a->path, strerror(e));
        }
        size = end;
    }
    if (size == 0) {
        const char *h = results_csv_header();
        ssize_t w = write(a->fd, h, strlen(h));
        if (w != (ssize_t)strlen(h)) {
            int e = w < 0 ? errno : ENOSPC;
            if (ftruncate(a->fd, 0) != 0)
                e = e ? e : errno;
            close(a->fd);
            return qb_internal(err, "cannot write %s: %s", a->path, strerror(e));
        }
    }
    return QB_OK;
}

int results_append(results_appender *a, const result_row *r, qb_error *err) {
    char buf[4096];
    size_t len = results_format_csv(r, buf, sizeof buf);
    if (!len)
        return qb_internal(err, "results row too long");
    /* One write() of the whole line: a kill leaves it whole or absent (a cut tail is dropped). */
    off_t before = lseek(a->fd, 0, SEEK_END);
    ssize_t w = write(a->fd, buf, len);
    if (w == (ssize_t)len)
        return QB_OK;
    /* A short write says nothing of why; the next byte meets the reason (a full disk). */
    int e = errno;
    if (w >= 0) {
        ssize_t w2 = write(a->fd, buf + w, len - (size_t)w);
        if (w2 == (ssize_t)(len - (size_t)w))
            return QB_OK; /* whole after all, in two pieces */
        e = w2 < 0 ? errno : EIO;
    }
    if (before >= 0 && ftruncate(a->fd, before) != 0) /* no half row stays behind */
        e = e ? e : errno;
    return qb_internal(err, "cannot append a row to %s: %s", a->path, strerror(e));
}

void results_append_close(results_appender *a) {
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

int results_mkdirs(const char *dir, qb_error *err) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) && errno != EEXIST)
                return qb_fail(err, "cannot create directory %s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return QB_OK;
}

int results_write_text(const char *path, const char *text, size_t len, qb_error *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return qb_fail(err, "cannot write %s: %s", tmp, strerror(errno));
    /* The first failure's errno is the cause; later calls may set another. */
    int e = 0;
    for (size_t at = 0; !e && at < len;) {
        ssize_t w = write(fd, text + at, len - at);
        if (w > 0)
            at += (size_t)w;
        else if (w == 0 || errno != EINTR)
            e = w == 0 ? EIO : errno;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return qb_internal(err, "cannot write %s: %s", path, strerror(e));
    }
    return QB_OK;
}

static int write_csv(const char *dir, const result_table *t, qb_error *err) {
    size_t cap = 4096 * (t->n + 1), at = 0;
    char *text = malloc(cap);
    if (!text)
        return qb_oom(err);
    const char *h = results_csv_header();
    at = strlen(h);
    memcpy(text, h, at);
    for (size_t i = 0; i < t->n; i++) {
        size_t len = results_format_csv(&t->rows[i], text + at, cap - at);
        if (!len) {
            free(text);
            return qb_internal(err, "results row too long");
        }
        at += len;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    int s = results_write_text(path, text, at, err);
    free(text);
    return s;
}

/* The compound type of one row: strings as fixed-size C strings, numbers native. */
static hid_t row_type(void) {
    columns_ready();
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(result_row));
    for (size_t c = 0; c < n_columns; c++) {
        const column *col = &columns[c];
        hid_t m;
        switch (col->type) {
        case COL_STR:
            m = H5Tcopy(H5T_C_S1);
            H5Tset_size(m, col->size);
            H5Tset_strpad(m, H5T_STR_NULLTERM);
            break;
        case COL_U64:
            m = H5Tcopy(H5T_NATIVE_UINT64);
            break;
        case COL_UINT:
            m = H5Tcopy(H5T_NATIVE_UINT);
            break;
        case COL_I64:
            m = H5Tcopy(H5T_NATIVE_INT64);
            break;
        default:
            m = H5Tcopy(H5T_NATIVE_DOUBLE);
            break;
        }
        H5Tinsert(t, col->name, col->offset, m);
        H5Tclose(m);
    }
    return t;
}

int results_write_h5(const char *dir, const result_table *t, qb_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/results.h5", dir);
    h5_writer w;
    int s = h5_writer_open(&w, path, err);
    if (s)
        return s;
    hsize_t dims[1] = {t->n};
    hid_t type = row_type();
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(w.file, "/results", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = ds < 0 ? -1 : t->n ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->rows) : 0;
    char why[512] = "";
    if (e < 0)
        h5_last_cause(why, sizeof why);
    if (ds >= 0 && H5Dclose(ds) < 0 && e >= 0) {
        h5_last_cause(why, sizeof why);
        e = -1;
    }
    H5Sclose(space);
    H5Tclose(type);
    if (e < 0) {
        h5_writer_abort(&w);
        return qb_internal(err, "cannot write the results table to %s: %s", path, why);
    }
    s = h5_writer_string_attr(&w, "/results", "description",
                              "one row per cell: parameters, stored bits by item, achieved ratio, "
                              "MSE/MAE/MRE, timings, QTR/DTR, versions",
                              err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}

int results_write_all(const char *dir, const result_table *t, qb_error *err) {
    int s = write_csv(dir, t, err);
    return s ? s : results_write_h5(dir, t, err);
}
