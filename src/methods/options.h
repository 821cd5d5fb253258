/* options.h - the one table of every option a cell takes (name, CLI flag, Lua key, type, range,
 * enum names, default, cell key, results column, JSON field), and the code every front end shares:
 * the CLI parser and its help, the Lua method entries and qet.quantize, the cell key, the results
 * columns and the JSON all read this table; no option is parsed or printed anywhere else.
 *
 * Precedence, the same everywhere: the defaults, then the experiment's `kmeans` defaults (sweeps),
 * then the preset, then the options given explicitly, whatever order they were written in.
 *
 * Typical use:
 *     option_assign a[2] = {{option_find("iterations"), "2"}, {option_find("ratio"), "8"}};
 *     quant_params p = quant_params_defaults();
 *     options_resolve(&p, "qet", "authors", a, 2, NULL, &err);    // l = 2: explicit wins */
#ifndef QB_OPTIONS_H
#define QB_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "quantizer.h"

typedef enum { OPT_UINT, OPT_REAL, OPT_ENUM, OPT_TEXT } option_type;

/* Where an option may be given and what it joins. */
enum {
    OPT_CELL = 1,   /* a cell's own parameter (CLI, qet.quantize); sweeps set it from their grid */
    OPT_METHOD = 2, /* a method option: also a key of sweep method entries, and part of the key */
    OPT_EVEN = 4,   /* UINT: 0 or an even number */
    OPT_ALL = 8,    /* read by every method (the descriptors need not list it) */
};

typedef struct {
    const char *name;  /* Lua key; the CLI flag is --name with '_' as '-' */
    const char *field; /* JSON field and results column (NULL: the name) */
    option_type type;
    unsigned flags;                /* OPT_* */
    uint64_t lo, hi;               /* UINT: the range */
    const char *const *enum_names; /* ENUM: value i is called enum_names[i]; NULL-ended */
    const char *defaults;          /* the default, as written on the command line */
    size_t offset, size;           /* the quant_params field */
    const char *help;              /* one line for --help */
} option_def;

/* One option given by a front end, as text (Lua numbers and strings are converted first). */
typedef struct {
    const option_def *opt;
    const char *value;
} option_assign;

/* The table, in its fixed order; NULL past the end. */
const option_def *option_at(size_t i);
size_t option_count(void);
/* By Lua key / CLI name ("kmeans_iters" or "kmeans-iters"); NULL if none. */
const option_def *option_find(const char *name);
/* The output name: JSON field and results column. */
const char *option_field(const option_def *o);
/* Whether method q reads option o. */
int option_applies(const option_def *o, const quantizer_ops *q);

/* Every field at its table default (method "pq"). */
quant_params quant_params_defaults(void);

/* Parses `value` into p's field, with the range and names of the table. `spelled` is how the user
 * wrote the option ("--opq-iters" or "opq_iters"), for the message. */
int option_set(quant_params *p, const option_def *o, const char *value, const char *spelled,
               qb_error *err);
/* The field's value as text ("" for TEXT when empty), and as a number (UINT and REAL; enums give
 * their index). */
void option_text(const quant_params *p, const option_def *o, char *buf, size_t len);
double option_number(const quant_params *p, const option_def *o);

/* The whole rule: p->method = method, then `defaults` (assignments applied only where the method
 * reads them: an experiment's kmeans table), the preset (if any), then `explicit` (each must be
 * read by the method). `spelling` names options in errors: "cli" (--flag) or "lua" (key). */
int options_resolve(quant_params *p, const char *method, const char *preset,
                    const option_assign *explicit, size_t n_explicit, const option_assign *defaults,
                    size_t n_defaults, const char *spelling, qb_error *err);

/* Whether `preset` of `method` assigns `option` (a sweep then takes the preset's m or l, unless the
 * method entry lists its own). */
int options_preset_assigns(const char *method, const char *preset, const char *option);

/* The options of p that change its result, as "name=value,..." (the method's OPT_METHOD options,
 * in table order): the options part of a sweep's cell key. */
void options_describe(const quant_params *p, char *buf, size_t len);

/* The CLI help lines of every option (and the presets of every method). */
void options_help(char *buf, size_t len);

/* Output of a solved cell: the option's value when the method reads it, else the neutral value
 * (0 or ""). */
void option_output(const quant_params *p, const option_def *o, char *text, size_t len,
                   double *number);

#endif
