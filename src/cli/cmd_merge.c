/* cmd_merge.c - `qetbench merge --out DIR SHARD...`: joins the results of shards (or of runs on
 * several hosts) into one directory, exactly as if one run had made them. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "results.h"
#include "results_lock.h"
#include "sweep.h"

static const char usage[] =
    "usage: qetbench merge --out DIR SRC_DIR...\n"
    "  joins SRC_DIR/results.csv into DIR (rows already in DIR are kept); the same cell in two\n"
    "  sources must have the same measurements (timings aside), else merge refuses\n";

/* Two rows of one cell agree when everything but the timings matches. */
static int same_measurement(const result_row *a, const result_row *b) {
    return !strcmp(a->status, b->status) && a->ks == b->ks && a->rtn_bits == b->rtn_bits &&
           a->bits_total == b->bits_total && a->bits_charged == b->bits_charged &&
           (a->mse == b->mse || (isnan(a->mse) && isnan(b->mse)));
}

int cmd_merge(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("merge", argc, argv, err);
        }
    }
    if (!out || optind >= argc)
        return qb_fail(err, "merge needs --out DIR and at least one source directory");
    results_lock lock;
    int s = results_lock_take(&lock, out, "qetbench merge", err);
    if (s)
        return s;
    results_remove_stale(out);
    result_table all;
    s = results_read(out, &all, err);
    size_t added = 0;
    for (int i = optind; !s && i < argc; i++) {
        result_table t;
        char csv[4200];
        snprintf(csv, sizeof csv, "%s/results.csv", argv[i]);
        FILE *f = fopen(csv, "r");
        if (!f) {
            s = qb_fail(err, "%s: no results.csv", argv[i]);
            break;
        }
        fclose(f);
        s = results_read(argv[i], &t, err);
        for (size_t k = 0; !s && k < t.n; k++) {
            long at = result_table_find(&all, t.rows[k].key);
            if (at < 0) {
                s = result_table_push(&all, &t.rows[k], err);
                added++;
            } else if (!same_measurement(&all.rows[at], &t.rows[k]))
                s = qb_fail(err, "cell %s differs between sources (%s)", t.rows[k].key, argv[i]);
        }
        result_table_free(&t);
    }
    if (!s)
        s = results_mkdirs(out, err);
    if (!s)
        s = results_write_all(out, &all, err);
    if (!s)
        s = sweep_finalize(out, err);
    if (!s)
        fprintf(stderr, "merged %zu new rows into %s (%zu rows)\n", added, out, all.n);
    result_table_free(&all);
    results_lock_release(&lock);
    return s;
}
