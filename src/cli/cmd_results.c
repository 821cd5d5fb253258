/* cmd_results.c - `qetbench results check DIR [--repair]`: the way out of a results file that a
 * run, plot or merge refuses (a cut or tampered line, a cell written twice). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "results_check.h"
#include "results_lock.h"
#include "sweep.h"

static const char usage[] =
    "usage: qetbench results check DIR [--repair]\n"
    "  lists every bad line of DIR/results.csv: malformed, a value its column cannot hold, a\n"
    "  name that is a path, a non-finite number where one is needed, a cell an earlier line\n"
    "  already holds, a last line cut by a kill. Exit 0 when there is none, 2 otherwise.\n"
    "  --repair   keep the file as DIR/results.csv.bad-TIME, then drop the bad lines (the\n"
    "             first line of a doubled cell stays) and rebuild results.h5 and summary.csv\n";

/* What check found; without a repair, bad lines are an error (exit 2). */
static int report(const char *dir, const results_check_report *rep, qb_error *err) {
    size_t bad = rep->bad + rep->duplicates;
    if (!bad) {
        printf("%s/results.csv: %zu rows, all good\n", dir, rep->rows);
        return QB_OK;
    }
    if (!rep->copy[0])
        return qb_fail(err,
                       "%s/results.csv: %zu of %zu lines are bad (%zu of them a cell an earlier "
                       "line holds); --repair drops them, keeping a copy of the file",
                       dir, bad, rep->rows, rep->duplicates);
    printf("%s/results.csv: dropped %zu bad lines of %zu; the original is %s\n", dir, bad,
           rep->rows, rep->copy);
    return QB_OK;
}

int cmd_results(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {
        {"repair", no_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, repair = 0;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return QB_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check"))
        return qb_fail(err, "results needs a subcommand: check (see qetbench results --help)");
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            repair = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("results", argc, argv, err);
        }
    }
    if (optind + 1 != argc)
        return qb_fail(err, "results check needs exactly one results directory");
    const char *dir = argv[optind];
    /* A repair writes: it takes the directory's lock, as a run does (and makes no folder). */
    results_lock lock = {-1};
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    int s = repair && access(csv, F_OK) == 0
                ? results_lock_take(&lock, dir, "qetbench results check --repair", err)
                : QB_OK;
    results_check_report rep;
    if (!s)
        s = results_check(dir, repair, stdout, &rep, err);
    if (!s)
        s = report(dir, &rep, err);
    if (!s && rep.copy[0])
        s = sweep_finalize(dir, err); /* results.h5 and summary.csv from the rows kept */
    results_lock_release(&lock);
    return s;
}
