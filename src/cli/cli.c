/* cli.c - option parsing shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int cli_u64(const char *opt, const char *val, uint64_t *out, qb_error *err) {
    char *end;
    errno = 0;
    if (!val || !*val || *val == '-')
        return qb_fail(err, "%s needs a non-negative integer (got '%s')", opt, val ? val : "");
    unsigned long long v = strtoull(val, &end, 10);
    if (errno || *end)
        return qb_fail(err, "%s needs a non-negative integer (got '%s')", opt, val);
    *out = v;
    return QB_OK;
}

int cli_size(const char *opt, const char *val, size_t *out, qb_error *err) {
    uint64_t v = 0;
    int s = cli_u64(opt, val, &v, err);
    if (!s)
        *out = (size_t)v;
    return s;
}

int cli_double(const char *opt, const char *val, double *out, qb_error *err) {
    char *end;
    errno = 0;
    double v = val ? strtod(val, &end) : 0;
    if (!val || !*val || errno || *end || !isfinite(v))
        return qb_fail(err, "%s needs a finite number (got '%s')", opt, val ? val : "");
    *out = v;
    return QB_OK;
}

int cli_margin(const char *val, double *out, qb_error *err) {
    double pct = 0;
    int s = cli_double("--margin", val, &pct, err);
    if (!s && !(pct > 0 && pct < 100))
        s = qb_fail(err, "--margin needs a percentage above 0 and below 100 (got '%s')", val);
    if (!s)
        *out = pct / 100;
    return s;
}

int cli_shape(const char *opt, const char *val, size_t *n, size_t *d, qb_error *err) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", val);
    char *comma = strchr(buf, ',');
    if (!comma)
        return qb_fail(err, "%s needs N,D (got '%s')", opt, val);
    *comma = 0;
    int s = cli_size(opt, buf, n, err);
    if (!s)
        s = cli_size(opt, comma + 1, d, err);
    if (!s && (*n == 0 || *d == 0))
        s = qb_fail(err, "%s needs positive N and D (got '%s')", opt, val);
    return s;
}

int cli_threads(const char *val, qb_error *err) {
    size_t t;
    int s = cli_size("--threads", val, &t, err);
    if (s)
        return s;
    if (t < 1 || t > 1024)
        return qb_fail(err, "--threads must be in 1..1024");
#ifdef _OPENMP
    omp_set_num_threads((int)t);
#endif
    return QB_OK;
}

int cli_bad_option(const char *cmd, int argc, char **argv, qb_error *err) {
    const char *arg = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "?";
    return qb_fail(err, "%s: unknown or incomplete option '%s' (see qetbench %s --help)", cmd, arg,
                   cmd);
}

void cli_method_flags(struct option *opts, const struct option *fixed, size_t n_fixed,
                      cli_method_args *m, int base) {
    size_t at = n_fixed;
    memcpy(opts, fixed, n_fixed * sizeof *opts);
    for (size_t i = 0; option_at(i); i++) {
        char *flag = m->flags[i];
        snprintf(flag, 64, "%s", option_at(i)->name);
        for (char *ch = flag; *ch; ch++)
            if (*ch == '_')
                *ch = '-';
        opts[at++] = (struct option){flag, required_argument, 0, base + (int)i};
    }
    opts[at] = (struct option){0, 0, 0, 0};
}

int cli_method_take(cli_method_args *m, const char *cmd, int c, int base, const char *arg,
                    int *took, qb_error *err) {
    *took = c >= base && (size_t)(c - base) < option_count();
    if (!*took)
        return QB_OK;
    if (m->n_given == sizeof m->given / sizeof *m->given)
        return qb_fail(err, "%s: too many options", cmd);
    m->given[m->n_given++] = (option_assign){option_at((size_t)(c - base)), arg};
    return QB_OK;
}

int cli_method_resolve(const cli_method_args *m, const char *cmd, quant_params *p, qb_error *err) {
    *p = quant_params_defaults();
    int s = options_resolve(p, m->method, m->preset, m->given, m->n_given, NULL, 0, "cli", err);
    if (!s && p->ratio <= 0 && !p->ks && !p->rtn_bits)
        s = qb_fail(err, "%s needs --ratio, --ks or --bits", cmd);
    return s;
}

void cli_method_help(const char *usage) {
    static char help[8192];
    options_help(help, sizeof help);
    fputs(usage, stdout);
    fputs(help, stdout);
}
