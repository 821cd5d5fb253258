/* cmd_run.c - `qetbench run FILE.lua`: runs an experiment's sweep (or a custom study script) into
 * a results directory, resuming where an earlier run stopped. */
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "cli.h"
#include "html.h"
#include "lua_api.h"
#include "metrics.h"
#include "plot.h"
#include "results.h"
#include "results_lock.h"
#include "sweep.h"
#include "text.h"

static const char usage[] =
    "usage: qetbench run FILE.lua [--out DIR] [--threads T] [--shard I/N] [--dry-run]\n"
    "                             [--margin PCT]\n"
    "  FILE.lua      an experiment: returns a table (datasets, methods, subspaces, iterations,\n"
    "                ratios, seeds, accounting, plots), or a script using the qet module\n"
    "  --out DIR     results directory (default results/<name>, or\n"
    "                results/<name>/shard-I-of-N with --shard); cells already there are skipped\n"
    "  --threads T   cells run in parallel on T threads (results are identical for any T)\n"
    "  --shard I/N   run only shard I of N (I = 0..N-1); join shards with qetbench merge.\n"
    "                DIR/shard.cells lists the shard's cells before any runs, so a merge can\n"
    "                tell a shard that stopped early from a whole one\n"
    "  --dry-run     read the experiment and count its cells (those of the shard, those\n"
    "                already done); run none, write nothing but DIR/shard.cells with --shard\n"
    "                (a script that returns no experiment table runs all the same)\n"
    "  --margin PCT  the claims' equivalence margin in % of MSE (default 5; see qetbench plot)\n"
    "The config is data: it runs sandboxed (no io, os.execute/remove/exit, package, modules,\n"
    "binary chunks or debug), for at most 10 s of its own Lua code, and a sweep of more than\n"
    "10^6 cells is refused before anything runs.\n"
    "  --unsafe-config     the full Lua libraries, for a config you trust\n"
    "  --config-seconds S  the time bound of the config's Lua code (default 10)\n"
    "  --max-cells N       the bound on a sweep's cells (default 1000000)\n";

static int parse_shard(const char *v, unsigned *i, unsigned *n, qb_error *err) {
    unsigned a, b;
    char tail;
    if (sscanf(v, "%u/%u%c", &a, &b, &tail) != 2 || b < 1 || a >= b || b > 100000)
        return qb_fail(err, "--shard needs I/N with 0 <= I < N (got '%s')", v);
    *i = a;
    *n = b;
    return QB_OK;
}

/* The experiment as run, beside its results (the report shows it with its hash). */
static int keep_experiment(const char *dir, const char *config_path, qb_error *err) {
    text t = {0};
    if (text_read_file(&t, config_path)) {
        text_free(&t);
        return qb_fail(err, "cannot read %s: %s", config_path, strerror(errno));
    }
    char path[4200];
    int w = snprintf(path, sizeof path, "%s/experiment.lua", dir);
    int s = w < 0 || (size_t)w >= sizeof path ? qb_fail(err, "path too long: %s", dir)
            : t.failed                        ? qb_oom(err)
            : results_mkdirs(dir, err)        ? QB_EINPUT
                                              : results_write_text(path, t.s, t.n, err);
    text_free(&t);
    return s;
}

/* sweep_options.before_cells: the experiment is kept once its input has been read and checked,
 * so a run refused for bad data writes nothing. */
typedef struct {
    const char *dir, *config_path;
    int kept;
} keep_ctx;
static int keep_before_cells(void *ctx, qb_error *err) {
    keep_ctx *k = ctx;
    int s = keep_experiment(k->dir, k->config_path, err);
    k->kept = !s;
    return s;
}

/* One line per run in DIR/runs.log: when, how long, on what, with what outcome. */
static void log_run(const char *dir, const char *config_path, time_t start, double wall,
                    const sweep_options *o, int status) {
    char path[4200], when[32], host[256] = "";
    int w = snprintf(path, sizeof path, "%s/runs.log", dir);
    FILE *f = w < 0 || (size_t)w >= sizeof path ? NULL : fopen(path, "a");
    if (!f)
        return; /* the log is a courtesy: the results are what counts */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    gethostname(host, sizeof host - 1);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&start));
    fprintf(f, "%s run %s: %.1f s wall, %.1f s CPU, %d threads, shard %u/%u, host %s, %s\n", when,
            config_path, wall, cpu, omp_get_max_threads(), o->shard, o->shards, host,
            status ? "failed" : "finished");
    fclose(f);
}

int cmd_run(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"threads", required_argument, 0, 't'},
                                         {"shard", required_argument, 0, 's'},
                                         {"dry-run", no_argument, 0, 'n'},
                                         {"margin", required_argument, 0, 'm'},
                                         {"unsafe-config", no_argument, 0, 'U'},
                                         {"config-seconds", required_argument, 0, 'S'},
                                         {"max-cells", required_argument, 0, 'C'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    sweep_options o = {.shards = 1};
    plot_options po = {1, CLAIMS_DEFAULT_MARGIN};
    lua_config_options lo = {0};
    int c, s = QB_OK;
    optind = 1;
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 't':
            s = cli_threads(optarg, err);
            break;
        case 's':
            s = parse_shard(optarg, &o.shard, &o.shards, err);
            o.sharded = 1;
            break;
        case 'n':
            o.dry_run = 1;
            break;
        case 'm':
            s = cli_margin(optarg, &po.margin, err);
            break;
        case 'U':
            lo.unsafe = 1;
            break;
        case 'S':
            s = cli_double("--config-seconds", optarg, &lo.max_seconds, err);
            if (!s && !(lo.max_seconds > 0))
                s = qb_fail(err, "--config-seconds must be positive");
            break;
        case 'C':
            s = cli_u64("--max-cells", optarg, &lo.max_cells, err);
            if (!s && !lo.max_cells)
                s = qb_fail(err, "--max-cells must be positive");
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("run", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (optind + 1 != argc)
        return qb_fail(err, "run needs exactly one FILE.lua (see qetbench run --help)");
    o.config_path = argv[optind];
    sweep_config *cfg = calloc(1, sizeof *cfg); /* about 180 KB: not for the stack */
    if (!cfg)
        return qb_oom(err);
    int has_sweep = 0;
    s = lua_config_run_with(o.config_path, &lo, cfg, &has_sweep, err);
    if (s || !has_sweep) {
        free(cfg);
        return s;
    }
    char dir[4096];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else if (o.shards > 1)
        snprintf(dir, sizeof dir, "results/%s/shard-%u-of-%u", cfg->name, o.shard, o.shards);
    else
        snprintf(dir, sizeof dir, "results/%s", cfg->name);
    o.out_dir = dir;
    /* One writer per directory, from the first row to the last figure (a dry run without a
     * shard writes nothing, and makes no directory). */
    struct stat before;
    int dir_existed = stat(dir, &before) == 0;
    results_lock lock = {-1};
    char command[4200];
    snprintf(command, sizeof command, "qetbench run %s", o.config_path);
    if (!o.dry_run || o.sharded)
        s = results_lock_take(&lock, dir, command, err);
    size_t stale = s ? 0 : results_remove_stale(dir);
    if (stale)
        fprintf(stderr, "%s: removed %zu temporaries left by a killed run\n", dir, stale);
    time_t start = time(NULL);
    double t0 = metrics_now();
    keep_ctx keep = {dir, o.config_path, 0};
    if (!o.dry_run) {
        o.before_cells = keep_before_cells;
        o.ctx = &keep;
    }
    if (!s)
        s = sweep_run(cfg, &o, err);
    if (keep.kept)
        log_run(dir, o.config_path, start, metrics_now() - t0, &o, s);
    int plots = cfg->plots && o.shards == 1 && !o.dry_run;
    free(cfg);
    if (!s && plots)
        s = plot_all(dir, &po, err);
    if (!s && plots)
        s = report_write(dir, NULL, err);
    if (s && !keep.kept && !dir_existed && !o.sharded) {
        results_lock_discard(&lock, dir); /* refused before anything ran: leave no trace */
        rmdir(dir);
    }
    results_lock_release(&lock);
    if (!s && !o.dry_run)
        fprintf(stderr, "results in %s/ (results.csv, results.h5, summary.csv%s)\n", dir,
                plots ? ", figures/, headline.md, claims.md, report.html" : "");
    return s;
}
