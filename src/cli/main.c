/* main.c - the `qetbench` command line: dispatches to the subcommands and turns their errors into
 * one line on stderr and an exit status (2 for bad input, 1 for internal failures). */
#include <cblas.h>
#include <gsl/gsl_version.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "h5io.h"
#include "quantizer.h"

#ifndef QB_VERSION
#define QB_VERSION "unknown"
#endif

typedef struct {
    const char *name;
    cli_command_fn fn;
    const char *summary;
} command;

static const command commands[] = {
    {"gen", cmd_gen, "write a generated matrix (synthetic, gaussian) to HDF5"},
    {"methods", cmd_methods, "the methods built in, their options and presets (--json: the table)"},
    {"quantize", cmd_quantize, "quantize one matrix with one method and report error and bits"},
    {"model", cmd_model, "quantize a model's weights or KV cache: KL, perplexity, top-1 vs fp32"},
    {"bench", cmd_bench, "micro-benchmarks: QET reorder vs memcpy, k-means assignment vs sgemm"},
    {"data", cmd_data, "convert real data (checkpoints, KV cache, GIST, vectors) to HDF5"},
    {"theorem", cmd_theorem,
     "the variance theorem: closed form, quadrature, Monte Carlo, l levels"},
    {"run", cmd_run, "run an experiment (FILE.lua) into a results directory, resumably"},
    {"plot", cmd_plot, "draw figures and the headline and claims tables from a results directory"},
    {"report", cmd_report, "one self-contained HTML page of a results directory"},
    {"merge", cmd_merge, "join the results directories of shards into one"},
    {"results", cmd_results, "check a results directory's rows (and repair: drop the bad ones)"},
};

static void print_help(void) {
    printf("qetbench %s - matrix quantization benchmark (QET and baselines under equal budgets)\n\n"
           "usage: qetbench COMMAND [options]   (qetbench COMMAND --help for each)\n\n",
           QB_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nmethods:\n");
    for (size_t i = 0; quantizer_at(i); i++)
        printf("  %-10s %s\n", quantizer_at(i)->name, quantizer_at(i)->help);
}

int main(int argc, char **argv) {
    /* One level of parallelism: OpenMP over blocks, BLAS single-threaded inside (DESIGN §2). */
    openblas_set_num_threads(1);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("qetbench %s (HDF5 %s, GSL %s, %s)\n", QB_VERSION, h5_version(), GSL_VERSION,
               openblas_get_config());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        qb_error err = {0};
        int s = commands[i].fn(argc - 1, argv + 1, &err);
        if (s) {
            fprintf(stderr, "qetbench %s: %s\n", commands[i].name, err.msg);
            return s == QB_EINPUT ? 2 : 1;
        }
        return 0;
    }
    fprintf(stderr, "qetbench: unknown command '%s' (see qetbench --help)\n", argv[1]);
    return 2;
}
