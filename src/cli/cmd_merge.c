/* cmd_merge.c - `qetbench merge --out DIR SHARD...`: joins the results of shards (or of runs on
 * several hosts) into one directory, exactly as if one run had made them. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "results.h"
#include "results_lock.h"
#include "shard.h"
#include "sweep.h"

static const char usage[] =
    "usage: qetbench merge --out DIR [--partial] SRC_DIR...\n"
    "       qetbench merge --check SRC_DIR...\n"
    "  joins SRC_DIR/results.csv into DIR (rows already in DIR are kept); the same cell in two\n"
    "  sources must have the same measurements (timings aside), else merge refuses.\n"
    "  A shard (qetbench run --shard) lists its cells in SRC_DIR/shard.cells: merge refuses a\n"
    "  shard that lacks any of them, naming it and the cells missing, and merges nothing\n"
    "  --partial   merge incomplete shards anyway (each is named on stderr)\n"
    "  --check     merge nothing; print one line per source, `DONE TOTAL SRC_DIR` (TOTAL is ?\n"
    "              without shard.cells), and fail if a shard is incomplete\n";

/* Two rows of one cell agree when everything but the timings matches. */
static int same_measurement(const result_row *a, const result_row *b) {
    return !strcmp(a->status, b->status) && a->ks == b->ks && a->rtn_bits == b->rtn_bits &&
           a->bits_total == b->bits_total && a->bits_charged == b->bits_charged &&
           (a->mse == b->mse || (isnan(a->mse) && isnan(b->mse)));
}

/* A source's rows, and whether it holds every cell its plan lists (a directory without a plan is
 * whole by definition: nothing says otherwise). *incomplete counts a shard that lacks cells. */
static int read_source(const char *src, int check, result_table *t, size_t *incomplete,
                       qb_error *err) {
    shard_plan plan;
    int planned;
    int s = shard_plan_read(src, &plan, &planned, err);
    if (s)
        return s;
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/results.csv", src);
    FILE *f = fopen(csv, "r");
    if (!f && !planned)
        return qb_fail(err, "%s: no results.csv (and no %s: not a results directory)", src,
                       SHARD_PLAN_FILE);
    if (f)
        fclose(f);
    s = results_read(src, t, err); /* a shard that never started: no rows */
    const char *first[3] = {"", "", ""};
    size_t missing = s || !planned ? 0 : shard_plan_missing(&plan, t, first, 3);
    if (!s && check) {
        if (planned)
            printf("%zu %zu %s\n", plan.n_keys - missing, plan.n_keys, src);
        else
            printf("%zu ? %s\n", t->n, src);
    }
    if (!s && missing) {
        (*incomplete)++;
        fprintf(stderr,
                "qetbench merge: %s: shard %u/%u of '%s' is incomplete: %zu of %zu cells, %zu "
                "missing (%s%s%s%s%s%s)\n",
                src, plan.shard, plan.shards, plan.experiment, plan.n_keys - missing, plan.n_keys,
                missing, first[0], missing > 1 ? ", " : "", missing > 1 ? first[1] : "",
                missing > 2 ? ", " : "", missing > 2 ? first[2] : "", missing > 3 ? ", ..." : "");
    }
    shard_plan_free(&plan);
    return s;
}

int cmd_merge(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"partial", no_argument, 0, 'p'},
                                         {"check", no_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    int c, partial = 0, check = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'p':
            partial = 1;
            break;
        case 'c':
            check = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("merge", argc, argv, err);
        }
    }
    if (optind >= argc || (!out && !check) || (check && (out || partial)))
        return qb_fail(err, "merge needs --out DIR (or --check) and at least one source directory");
    results_lock lock = {-1}; /* a check writes nothing and takes no lock */
    struct stat before;
    int existed = out && !stat(out, &before); /* a refused merge leaves no directory behind */
    int s = check ? QB_OK : results_lock_take(&lock, out, "qetbench merge", err);
    if (s)
        return s;
    if (!check)
        results_remove_stale(out);
    result_table all = {0};
    s = check ? QB_OK : results_read(out, &all, err);
    size_t added = 0, incomplete = 0;
    for (int i = optind; !s && i < argc; i++) {
        result_table t = {0};
        s = read_source(argv[i], check, &t, &incomplete, err);
        for (size_t k = 0; !s && !check && k < t.n; k++) {
            long at = result_table_find(&all, t.rows[k].key);
            if (at < 0) {
                s = result_table_push(&all, &t.rows[k], err);
                added++;
            } else if (!same_measurement(&all.rows[at], &t.rows[k]))
                s = qb_fail(err, "cell %s differs between sources (%s)", t.rows[k].key, argv[i]);
        }
        result_table_free(&t);
    }
    if (!s && incomplete && (check || !partial))
        s = qb_fail(err, "%zu of %d sources are incomplete shards (named above)%s", incomplete,
                    argc - optind,
                    check ? "" : "; nothing merged (--partial merges what they hold)");
    if (!s && check)
        fprintf(stderr, "qetbench merge: %d sources complete\n", argc - optind);
    if (!s && !check)
        s = results_mkdirs(out, err);
    if (!s && !check)
        s = results_write_all(out, &all, err);
    if (!s && !check)
        s = sweep_finalize(out, err);
    if (!s && !check)
        fprintf(stderr, "merged %zu new rows into %s (%zu rows%s)\n", added, out, all.n,
                incomplete ? ", from incomplete shards" : "");
    result_table_free(&all);
    results_lock_release(&lock);
    if (s && !check && !existed) {
        char path[4200];
        snprintf(path, sizeof path, "%s/.qetbench-lock", out);
        unlink(path);
        rmdir(out);
    }
    return s;
}
