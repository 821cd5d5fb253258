/* options.c - the option table and the one parser, printer and precedence rule every front end
 * (CLI, Lua, sweep keys, results, JSON) goes through. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const accounting_names[] = {"full", "free-imap", NULL};
static const char *const kmeans_init_names[] = {"kmeans++", "random", NULL};
static const char *const layout_names[] = {"blocks", "inplace", NULL};
static const char *const pairing_names[] = {"adjacent", "strided", NULL};
static const char *const granularity_names[] = {"tensor", "row", "group", NULL};
static const char *const clip_names[] = {"minmax", "mse", NULL};
static const char *const opq_init_names[] = {"identity", "random", "eigen", NULL};

#define FIELD(f) offsetof(quant_params, f), sizeof(((quant_params *)0)->f)

static const option_def table[] = {
    {"ratio", "target_ratio", OPT_REAL, OPT_CELL | OPT_ALL, 0, 0, NULL, NULL, FIELD(ratio),
     "compression ratio: the largest free parameter whose stored bits fit original / R"},
    {"ks", NULL, OPT_UINT, OPT_CELL, 1, 1u << 24, NULL, NULL, FIELD(ks),
     "centroids per subspace k_s, instead of --ratio"},
    {"bits", "rtn_bits", OPT_UINT, OPT_CELL, 1, 24, NULL, NULL, FIELD(rtn_bits),
     "bits per element, instead of --ratio"},
    {"subspaces", NULL, OPT_UINT, OPT_CELL, 1, 1u << 20, NULL, "8", FIELD(subspaces),
     "m subspaces, must divide d"},
    {"iterations", NULL, OPT_UINT, OPT_CELL, 0, 30, NULL, "1", FIELD(iterations), "QET levels l"},
    {"seed", NULL, OPT_UINT, OPT_CELL | OPT_ALL, 0, INT64_MAX, NULL, "1", FIELD(seed),
     "seed of the data and of the method's random streams"},
    {"accounting", NULL, OPT_ENUM, OPT_CELL | OPT_ALL, 0, 0, accounting_names, "full",
     FIELD(accounting), "full, or free-imap: QET's indicator maps stored but not charged"},
    {"source_bits", NULL, OPT_UINT, OPT_CELL | OPT_ALL, 1, 64, NULL, "32", FIELD(source_bits),
     "bits per original element (default: the dataset's attribute, else 32)"},
    {"kmeans_init", NULL, OPT_ENUM, OPT_METHOD, 0, 0, kmeans_init_names, "kmeans++",
     FIELD(kmeans.init), "k-means start"},
    {"kmeans_iters", NULL, OPT_UINT, OPT_METHOD, 1, 100000, NULL, "25", FIELD(kmeans.iters),
     "Lloyd iterations of k-means"},
    {"max_points_per_centroid", NULL, OPT_UINT, OPT_METHOD, 0, 1u << 30, NULL, "256",
     FIELD(kmeans.max_points_per_centroid), "k-means trains on at most k * P rows (0: all)"},
    {"codebook_bits", NULL, OPT_UINT, OPT_METHOD, 1, 32, NULL, "32", FIELD(codebook_bits),
     "CQO: codebook entries stored at B bits (32: floats)"},
    {"residual", NULL, OPT_TEXT, OPT_METHOD, 0, 0, NULL, "", FIELD(residual),
     "residual stages after the first, e.g. 'qet:3:0.7,pq:0.3' (see README)"},
    {"qet_layout", NULL, OPT_ENUM, OPT_METHOD, 0, 0, layout_names, "blocks", FIELD(qet_layout),
     "blocks (the paper's) or inplace (a source group's values side by side)"},
    {"qet_pairing", NULL, OPT_ENUM, OPT_METHOD, 0, 0, pairing_names, "adjacent", FIELD(qet_pairing),
     "adjacent (the paper's) or strided (j with j + w/2 in a window)"},
    {"pairing_window", NULL, OPT_UINT, OPT_METHOD | OPT_EVEN, 0, 1u << 30, NULL, "0",
     FIELD(pairing_window), "strided pairing's window w in columns (0: the whole row)"},
    {"rtn_granularity", NULL, OPT_ENUM, OPT_METHOD, 0, 0, granularity_names, "tensor",
     FIELD(rtn_granularity), "one range per tensor, row or group"},
    {"rtn_group", NULL, OPT_UINT, OPT_METHOD, 1, 1u << 30, NULL, "128", FIELD(rtn_group),
     "columns per group (granularity group)"},
    {"rtn_clip", NULL, OPT_ENUM, OPT_METHOD, 0, 0, clip_names, "minmax", FIELD(rtn_clip),
     "minmax, or mse: the range minimising the squared error"},
    {"opq_iters", NULL, OPT_UINT, OPT_METHOD, 0, 100000, NULL, "20", FIELD(opq_iters),
     "OPQ rounds (PQ + Procrustes)"},
    {"opq_init", NULL, OPT_ENUM, OPT_METHOD, 0, 0, opq_init_names, "identity",
     FIELD(opq_init_random), "OPQ's starting rotation"},
    {"lopq_cells", NULL, OPT_UINT, OPT_METHOD, 0, 1u << 30, NULL, "0", FIELD(lopq_cells),
     "LOPQ coarse cells V (0: the largest whose rotations take a quarter of the budget)"},
};
#define N_OPTIONS (sizeof table / sizeof *table)

const option_def *option_at(size_t i) {
    return i < N_OPTIONS ? &table[i] : NULL;
}
size_t option_count(void) {
    return N_OPTIONS;
}

const option_def *option_find(const char *name) {
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *a = table[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-')))
            a++, b++;
        if (!*a && !*b)
            return &table[i];
    }
    return NULL;
}

const char *option_field(const option_def *o) {
    return o->field ? o->field : o->name;
}

int option_applies(const option_def *o, const quantizer_ops *q) {
    return (o->flags & OPT_ALL) || method_reads(q, o->name);
}

/* ---- typed access to the quant_params field ---- */

static void *field_of(quant_params *p, const option_def *o) {
    return (char *)p + o->offset;
}
static const void *cfield_of(const quant_params *p, const option_def *o) {
    return (const char *)p + o->offset;
}

static void put_uint(quant_params *p, const option_def *o, uint64_t v) {
    void *f = field_of(p, o);
    switch (o->size) {
    case 8:
        *(uint64_t *)f = v;
        break;
    default:
        *(unsigned *)f = (unsigned)v;
        break; /* int, unsigned and enums: 4 bytes */
    }
}

static uint64_t get_uint(const quant_params *p, const option_def *o) {
    const void *f = cfield_of(p, o);
    return o->size == 8 ? *(const uint64_t *)f : *(const unsigned *)f;
}

quant_params quant_params_defaults(void) {
    quant_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.method, "pq");
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (table[i].defaults && option_set(&p, &table[i], table[i].defaults, table[i].name, NULL))
            abort(); /* a default outside its own range: the table is wrong */
    return p;
}

/* ---- parsing ---- */

/* The enum names of o joined: "a, b or c" for messages (help = 0), "a|b|c" for --help. */
static void names_list(const option_def *o, int help, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; o->enum_names[i] && at < len; i++) {
        const char *sep = !i ? "" : help ? "|" : o->enum_names[i + 1] ? ", " : " or ";
        int w = snprintf(buf + at, len - at, "%s%s", sep, o->enum_names[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

int option_set(quant_params *p, const option_def *o, const char *value, const char *spelled,
               qb_error *err) {
    char *end;
    switch (o->type) {
    case OPT_UINT: {
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end || errno)
            return qb_fail(err, "%s needs a whole number (got '%s')", spelled, value);
        if (v < o->lo || v > o->hi)
            return qb_fail(err, "%s must be in %llu..%llu (got %s)", spelled,
                           (unsigned long long)o->lo, (unsigned long long)o->hi, value);
        if ((o->flags & OPT_EVEN) && v % 2)
            return qb_fail(err, "%s must be even (got %s)", spelled, value);
        put_uint(p, o, v);
        return QB_OK;
    }
    case OPT_REAL: {
        errno = 0;
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v))
            return qb_fail(err, "%s needs a finite number (got '%s')", spelled, value);
        if (!(v > 0))
            return qb_fail(err, "%s must be positive (got %s)", spelled, value);
        *(double *)field_of(p, o) = v;
        return QB_OK;
    }
    case OPT_ENUM:
        for (size_t i = 0; o->enum_names[i]; i++)
            if (!strcmp(o->enum_names[i], value)) {
                put_uint(p, o, i);
                return QB_OK;
            }
        {
            char names[128];
            names_list(o, 0, names, sizeof names);
            return qb_fail(err, "%s must be %s (got '%s')", spelled, names, value);
        }
    case OPT_TEXT:
        if (strlen(value) >= o->size)
            return qb_fail(err, "%s is too long (at most %zu characters)", spelled, o->size - 1);
        strcpy(field_of(p, o), value);
        return QB_OK;
    }
    return qb_internal(err, "option %s has no type", o->name);
}

void option_text(const quant_params *p, const option_def *o, char *buf, size_t len) {
    switch (o->type) {
    case OPT_UINT:
        snprintf(buf, len, "%llu", (unsigned long long)get_uint(p, o));
        break;
    case OPT_REAL:
        snprintf(buf, len, "%.17g", *(const double *)cfield_of(p, o));
        break;
    case OPT_ENUM: {
        uint64_t v = get_uint(p, o);
        size_t n = 0;
        while (o->enum_names[n])
            n++;
        snprintf(buf, len, "%s", v < n ? o->enum_names[v] : "?");
        break;
    }
    case OPT_TEXT:
        snprintf(buf, len, "%s", (const char *)cfield_of(p, o));
        break;
    }
}

double option_number(const quant_params *p, const option_def *o) {
    if (o->type == OPT_REAL)
        return *(const double *)cfield_of(p, o);
    return o->type == OPT_TEXT ? 0 : (double)get_uint(p, o);
}

void option_output(const quant_params *p, const option_def *o, char *text, size_t len,
                   double *number) {
    const quantizer_ops *q = quantizer_find(p->method);
    if (!q || !option_applies(o, q)) {
        snprintf(text, len, "%s", o->type == OPT_UINT || o->type == OPT_REAL ? "0" : "");
        *number = 0;
        return;
    }
    option_text(p, o, text, len);
    *number = option_number(p, o);
}

/* ---- precedence ---- */

static const char *spell(const option_def *o, const char *spelling, char *buf, size_t len) {
    if (strcmp(spelling, "cli"))
        return o->name;
    snprintf(buf, len, "--%s", o->name);
    for (char *c = buf; *c; c++)
        if (*c == '_')
            *c = '-';
    return buf;
}

static int apply_preset(quant_params *p, const quantizer_ops *q, const char *preset,
                        qb_error *err) {
    const method_preset *mp = q->presets;
    while (mp && mp->name && strcmp(mp->name, preset))
        mp++;
    if (!mp || !mp->name) {
        char names[256] = "";
        for (const method_preset *x = q->presets; x && x->name; x++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     x == q->presets ? "" : ", ", x->name);
        if (!names[0])
            return qb_fail(err, "method %s has no presets (got '%s')", q->name, preset);
        return qb_fail(err, "unknown %s preset '%s' (%s)", q->name, preset, names);
    }
    char spec[512];
    snprintf(spec, sizeof spec, "%s", mp->assignments);
    for (char *save = NULL, *tok = strtok_r(spec, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = 0;
        const option_def *o = option_find(tok);
        if (!eq || !o || option_set(p, o, eq + 1, tok, err))
            return qb_internal(err, "preset %s of %s is malformed at '%s'", mp->name, q->name, tok);
    }
    snprintf(p->preset, sizeof p->preset, "%s", mp->name);
    return QB_OK;
}

int options_resolve(quant_params *p, const char *method, const char *preset,
                    const option_assign *explicit, size_t n_explicit, const option_assign *defaults,
                    size_t n_defaults, const char *spelling, qb_error *err) {
    const quantizer_ops *q = quantizer_find(method);
    if (!q)
        return qb_fail(err, "unknown method '%s' (built in: %s)", method, quantizer_names());
    snprintf(p->method, sizeof p->method, "%s", method);
    char sp[64];
    for (size_t i = 0; i < n_defaults; i++)
        if (option_applies(defaults[i].opt, q)) {
            int s = option_set(p, defaults[i].opt, defaults[i].value,
                               spell(defaults[i].opt, spelling, sp, sizeof sp), err);
            if (s)
                return s;
        }
    if (preset && *preset) {
        int s = apply_preset(p, q, preset, err);
        if (s)
            return s;
    }
    for (size_t i = 0; i < n_explicit; i++) {
        const option_def *o = explicit[i].opt;
        const char *name = spell(o, spelling, sp, sizeof sp);
        if (!option_applies(o, q))
            return qb_fail(err, "%s does not apply to method %s", name, q->name);
        int s = option_set(p, o, explicit[i].value, name, err);
        if (s)
            return s;
    }
    return QB_OK;
}

void options_describe(const quant_params *p, char *buf, size_t len) {
    const quantizer_ops *q = quantizer_find(p->method);
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; q && i < N_OPTIONS; i++) {
        const option_def *o = &table[i];
        if (!(o->flags & OPT_METHOD) || !option_applies(o, q))
            continue;
        char v[256];
        option_text(p, o, v, sizeof v);
        int w = snprintf(buf + at, len - at, "%s%s=%s", at ? "," : "", o->name, v);
        if (w < 0 || (size_t)w >= len - at)
            return;
        at += (size_t)w;
    }
}

/* "methods: a, b" for an option some methods read; "" for one every method reads. */
static void readers_list(const option_def *o, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    if (o->flags & OPT_ALL)
        return;
    for (size_t m = 0; quantizer_at(m) && at < len; m++)
        if (option_applies(o, quantizer_at(m))) {
            int w = snprintf(buf + at, len - at, "%s%s",
                             at ? ", " : "; methods: ", quantizer_at(m)->name);
            if (w < 0)
                return;
            at += (size_t)w;
        }
}

void options_help(char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_OPTIONS && at < len; i++) {
        const option_def *o = &table[i];
        char flag[64], arg[128], readers[256];
        spell(o, "cli", flag, sizeof flag);
        if (o->type == OPT_ENUM)
            names_list(o, 1, arg, sizeof arg);
        else
            snprintf(arg, sizeof arg, "%s",
                     o->type == OPT_REAL   ? "R"
                     : o->type == OPT_TEXT ? "SPEC"
                                           : "N");
        readers_list(o, readers, sizeof readers);
        int w = snprintf(buf + at, len - at, "  %s %s\n        %s (default %s%s)\n", flag, arg,
                         o->help, o->defaults && *o->defaults ? o->defaults : "none", readers);
        if (w < 0)
            return;
        at += (size_t)w;
    }
    for (size_t m = 0; quantizer_at(m) && at < len; m++)
        for (const method_preset *x = quantizer_at(m)->presets; x && x->name && at < len; x++) {
            int w = snprintf(buf + at, len - at, "  --preset %s (%s): %s [%s]\n", x->name,
                             quantizer_at(m)->name, x->help, x->assignments);
            if (w < 0)
                return;
            at += (size_t)w;
        }
}

int options_preset_assigns(const char *method, const char *preset, const char *option) {
    const quantizer_ops *q = quantizer_find(method);
    if (!q || !preset || !*preset)
        return 0;
    for (const method_preset *mp = q->presets; mp && mp->name; mp++)
        if (!strcmp(mp->name, preset)) {
            size_t len = strlen(option);
            for (const char *a = mp->assignments; a && *a;
                 a = strchr(a, ';') ? strchr(a, ';') + 1 : NULL)
                if (!strncmp(a, option, len) && a[len] == '=')
                    return 1;
        }
    return 0;
}
