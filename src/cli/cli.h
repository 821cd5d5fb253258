/* cli.h - the `qetbench` subcommands and the strict option parsing they share. */
#ifndef QB_CLI_H
#define QB_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

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
/* The option table's flags (options.h) for getopt_long, appended at opts[at]: --name with '_' as
 * '-', each returning base + its table index; names holds their spellings. Returns the new count
 * (the caller ends the list). Every command that runs a cell parses its options this way. */
struct option;
size_t cli_table_flags(struct option *opts, size_t at, char (*names)[64], int base);
/* The error for an option getopt rejected. */
int cli_bad_option(const char *cmd, int argc, char **argv, qb_error *err);

#endif
