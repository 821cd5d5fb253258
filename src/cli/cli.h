/* cli.h - the `qetbench` subcommands and the strict option parsing they share. */
#ifndef QB_CLI_H
#define QB_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "options.h"

/* A subcommand: returns QB_OK, QB_EINPUT (exit 2) or QB_EINTERNAL (exit 1) with err filled. */
typedef int (*cli_command_fn)(int argc, char **argv, qb_error *err);

int cmd_gen(int argc, char **argv, qb_error *err);
int cmd_quantize(int argc, char **argv, qb_error *err);
int cmd_model(int argc, char **argv, qb_error *err);
int cmd_methods(int argc, char **argv, qb_error *err);
int cmd_bench(int argc, char **argv, qb_error *err);
int cmd_data(int argc, char **argv, qb_error *err);
int cmd_theorem(int argc, char **argv, qb_error *err);
int cmd_run(int argc, char **argv, qb_error *err);
int cmd_plot(int argc, char **argv, qb_error *err);
int cmd_merge(int argc, char **argv, qb_error *err);
int cmd_report(int argc, char **argv, qb_error *err);
int cmd_results(int argc, char **argv, qb_error *err);

/* Whole-string numbers (reals finite); a clear error naming the option otherwise. */
int cli_size(const char *opt, const char *val, size_t *out, qb_error *err);
int cli_u64(const char *opt, const char *val, uint64_t *out, qb_error *err);
int cli_double(const char *opt, const char *val, double *out, qb_error *err);
/* "N,D" */
int cli_shape(const char *opt, const char *val, size_t *n, size_t *d, qb_error *err);
/* Sets the OpenMP thread count (BLAS stays single-threaded inside our parallel regions). */
int cli_threads(const char *val, qb_error *err);
/* --margin PCT: the claims' equivalence margin in percent of MSE, 0 < PCT < 100; *out relative. */
int cli_margin(const char *val, double *out, qb_error *err);
/* What a command that runs a method (quantize, model) reads besides its own flags: --method,
 * --preset and the option table's flags (options.h), resolved by options_resolve's one rule. */
typedef struct {
    const char *method, *preset;
    option_assign given[64];
    size_t n_given;
    char flags[64][64]; /* the table's flags as spelled: --name with '_' as '-' */
} cli_method_args;

/* getopt_long's list: the command's own `fixed` flags, then one flag per option of the table,
 * each returning base + its table index, then the end. opts holds n_fixed + the table + 1. */
struct option;
void cli_method_flags(struct option *opts, const struct option *fixed, size_t n_fixed,
                      cli_method_args *m, int base);
/* If getopt's c is a table flag (base + index), records it with its argument and sets *took
 * (an error, "CMD: too many options", past 64 of them). */
int cli_method_take(cli_method_args *m, const char *cmd, int c, int base, const char *arg,
                    int *took, qb_error *err);
/* The parameters: defaults, preset, then the options given; "CMD needs --ratio, --ks or --bits"
 * without a size. */
int cli_method_resolve(const cli_method_args *m, const char *cmd, quant_params *p, qb_error *err);
/* --help: the command's usage, then every option of the table. */
void cli_method_help(const char *usage);
/* The error for an option getopt rejected. */
int cli_bad_option(const char *cmd, int argc, char **argv, qb_error *err);

#endif
