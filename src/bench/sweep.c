/* sweep.c - expands an experiment into cells, runs the missing ones in parallel (one cell per
 * OpenMP thread, each cell single-threaded inside) and keeps the results directory consistent. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cell.h"
#include "h5io.h"
#include "metrics.h"
#include "options.h"
#include "qet.h"
#include "queries.h"
#include "results.h"
#include "rng.h"
#include "shard.h"
#include "summary.h"
#include "synthetic.h"
#include "versions.h"

void sweep_config_defaults(sweep_config *c) {
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->seeds = 1;
    c->accounting[0] = ACCOUNTING_FULL;
    c->n_accounting = 1;
    /* no subspaces or iterations lists: each method's own m and l (options.h defaults, presets) */
}

void sweep_method_grid(const sweep_config *c, const dataset_spec *ds, const method_spec *ms,
                       sweep_grid *g) {
    static const accounting_mode full_only[1] = {ACCOUNTING_FULL};
    const char *method = ms->base.method;
    /* Lists given win, the method entry's before the dataset's (m only) before the experiment's;
     * where none lists m or l, the method's own
     * value (a preset's, or the default) is the one cell; a dimension the method ignores is one
     * value (0), and a method without indicator maps is charged the same under both accountings. */
    g->own_m = ms->base.subspaces;
    g->own_l = ms->base.iterations;
    g->m = ms->n_subspaces ? ms->subspaces : ds->n_subspaces ? ds->subspaces : c->subspaces;
    g->n_m = ms->n_subspaces ? ms->n_subspaces : ds->n_subspaces ? ds->n_subspaces : c->n_subspaces;
    g->l = ms->n_iterations ? ms->iterations : c->iterations;
    g->n_l = ms->n_iterations ? ms->n_iterations : c->n_iterations;
    if (!method_uses(method, METHOD_USES_SUBSPACES))
        g->own_m = 0, g->n_m = 0;
    if (!method_uses(method, METHOD_USES_ITERATIONS))
        g->own_l = 0, g->n_l = 0;
    if (!g->n_m)
        g->m = &g->own_m, g->n_m = 1;
    if (!g->n_l)
        g->l = &g->own_l, g->n_l = 1;
    g->acc = c->accounting;
    g->n_acc = c->n_accounting;
    if (!method_uses(method, METHOD_STORES_IMAPS))
        g->acc = full_only, g->n_acc = 1;
}

/* Everything about the data that changes a matrix, as one string. */
static void describe_data(const dataset_spec *ds, char *buf, size_t len) {
    const model_spec *m = &ds->model;
    int w = snprintf(buf, len, "data=%d,%zu,%zu,%.17g,%.17g,%s,%s,%u", (int)ds->kind, ds->n, ds->d,
                     ds->mu, ds->sigma, ds->file, ds->path, ds->source_bits);
    if (ds->rows && w > 0 && (size_t)w < len) /* only when given: older keys stay as they were */
        w += snprintf(buf + w, len - (size_t)w, ",rows=%zu", ds->rows);
    if (ds->kind == DATASET_MODEL && w > 0 && (size_t)w < len)
        w += snprintf(buf + w, len - (size_t)w, ",model=%s,%s,%s,%zu,%zu,%llu,%zu,%d",
                      m->checkpoint, model_target_name(m->target), m->eval_tokens, m->sequences,
                      m->tokens, (unsigned long long)m->seed, m->kv_block, m->include_embeddings);
    const llama_hparams *h = &m->hparams; /* only when given: older keys stay as they were */
    if (ds->kind == DATASET_MODEL && (h->n_heads || h->n_kv_heads || h->seq_len) && w > 0 &&
        (size_t)w < len)
        snprintf(buf + w, len - (size_t)w, ",hparams=%d,%d,%d", h->n_heads, h->n_kv_heads,
                 h->seq_len);
}

/* ... and the data plus the method's options (those it reads, from the option table). */
static void describe(const dataset_spec *ds, const quant_params *b, char *buf, size_t len) {
    char data[1400], opts[600];
    describe_data(ds, data, sizeof data);
    options_describe(b, opts, sizeof opts);
    snprintf(buf, len, "%s;method=%s,preset=%s,%s", data, b->method, b->preset, opts);
    if (ds->queries[0]) /* new cells when queries are added; keys without them unchanged */
        snprintf(buf + strlen(buf), len - strlen(buf), ";queries=%s", ds->queries);
}

static int push_cell(sweep_cell **cells, size_t *n, size_t *cap, const sweep_cell *c,
                     qb_error *err) {
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 256;
        sweep_cell *p = realloc(*cells, nc * sizeof *p);
        if (!p)
            return qb_oom(err);
        *cells = p;
        *cap = nc;
    }
    (*cells)[(*n)++] = *c;
    return QB_OK;
}

int sweep_expand(const sweep_config *c, sweep_cell **cells, size_t *n, qb_error *err) {
    *cells = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t di = 0; di < c->n_datasets; di++) {
        const dataset_spec *ds = &c->datasets[di];
        for (size_t mi = 0; mi < c->n_methods; mi++) {
            const method_spec *ms = &c->methods[mi];
            const quant_params *b = &ms->base;
            char desc[3600];
            describe(ds, b, desc, sizeof desc - 32);
            /* The experiment's seed too: a new seed is new cells, never "already done". */
            snprintf(desc + strlen(desc), 32, ";seed=%llu", (unsigned long long)c->seed);
            char opt_hash[17];
            snprintf(opt_hash, sizeof opt_hash, "%016llx",
                     (unsigned long long)rng_hash_string(desc));
            sweep_grid grid;
            sweep_method_grid(c, ds, ms, &grid);
            const size_t *ml = grid.m;
            const unsigned *ll = grid.l;
            const accounting_mode *al = grid.acc;
            size_t n_m = grid.n_m, n_l = grid.n_l, n_a = grid.n_acc;
            for (size_t a = 0; a < n_a; a++)
                for (size_t im = 0; im < n_m; im++)
                    for (size_t il = 0; il < n_l; il++)
                        for (size_t ir = 0; ir < c->n_ratios; ir++)
                            for (unsigned s = 1; s <= c->seeds; s++) {
                                sweep_cell cell;
                                memset(&cell, 0, sizeof cell);
                                cell.dataset = di;
                                cell.method = mi;
                                cell.seed_index = s;
                                cell.p = *b;
                                cell.p.subspaces = ml[im];
                                cell.p.iterations = ll[il];
                                cell.p.ratio = c->ratios[ir];
                                cell.p.accounting = al[a];
                                int w = snprintf(cell.key, sizeof cell.key,
                                                 "%s/%s/m%zu/l%u/r%.17g/%s/s%u#%s", ds->name,
                                                 ms->label, ml[im], ll[il], c->ratios[ir],
                                                 accounting_name(al[a]), s, opt_hash);
                                if (w < 0 || (size_t)w >= sizeof cell.key)
                                    return qb_fail(err, "cell key too long for %s/%s", ds->name,
                                                   ms->label);
                                /* The matrix depends on (seed, dataset, seed index) only, so all
                                 * methods of one seed see the same data; the method's streams
                                 * depend on the whole key. */
                                char dkey[1500];
                                describe_data(ds, dkey, sizeof dkey - 16);
                                snprintf(dkey + strlen(dkey), 16, "/s%u", s);
                                cell.data_seed =
                                    rng_derive(c->seed, rng_hash_string(dkey), RNG_STREAM_DATA);
                                cell.p.seed = c->seed;
                                cell.p.cell = rng_hash_string(cell.key);
                                int st = push_cell(cells, n, &cap, &cell, err);
                                if (st)
                                    return st;
                            }
        }
    }
    return QB_OK;
}

int sweep_load_data(const dataset_spec *ds, uint64_t data_seed, matrix *out, unsigned *source_bits,
                    qb_error *err) {
    *source_bits = ds->source_bits ? ds->source_bits : 32;
    if (ds->kind == DATASET_SYNTHETIC) {
        synthetic_spec spec = synthetic_paper();
        return synthetic_generate(out, ds->n, ds->d, &spec, data_seed, err);
    }
    if (ds->kind == DATASET_GAUSSIAN)
        return synthetic_gaussian(out, ds->n, ds->d, ds->mu, ds->sigma, data_seed, err);
    if (ds->kind == DATASET_MODEL)
        return qb_fail(err, "'%s' is a model (its weights or KV cache), not one matrix", ds->name);
    char spec[1400];
    snprintf(spec, sizeof spec, "%s%s%s", ds->file, ds->path[0] ? ":" : "", ds->path);
    unsigned bits = 0;
    int s = h5_read_matrix(spec, out, &bits, err);
    if (!s && !ds->source_bits)
        *source_bits = bits;
    if (!s && ds->rows > out->rows) {
        s = qb_fail(err, "dataset '%s': rows = %zu, but %s has %zu", ds->name, ds->rows, spec,
                    out->rows);
        matrix_free(out);
    } else if (!s && ds->rows) {
        out->rows = ds->rows; /* the first rows; the allocation is freed whole as before */
    }
    return s;
}

/* ---- progress on stderr ---- */

typedef struct {
    size_t done, total, printed;
    double start, last;
    int tty;
} progress;

static void fmt_time(double s, char *buf, size_t len) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

static void progress_show(progress *p, int final) {
    double now = metrics_now(), el = now - p->start;
    if (!p->tty && (final ? p->printed == p->done : now - p->last < 10 && p->done != p->total))
        return; /* plain lines: one every 10 s, and the last */
    if (!final && p->tty && now - p->last < 0.2)
        return;
    p->last = now;
    p->printed = p->done;
    char e[32], eta[32] = "?";
    fmt_time(el, e, sizeof e);
    if (p->done)
        fmt_time(el / (double)p->done * (double)(p->total - p->done), eta, sizeof eta);
    if (p->tty) {
        char bar[31];
        size_t fill = p->total ? 30 * p->done / p->total : 30;
        for (size_t i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        fprintf(stderr, "\r[%s] %zu/%zu cells, %s elapsed, ETA %s ", bar, p->done, p->total, e,
                eta);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "cells %zu/%zu, %s elapsed, ETA %s\n", p->done, p->total, e, eta);
    }
    fflush(stderr);
}

/* ---- one cell ---- */

typedef struct {
    result_row *row;
    qb_error *err;
} row_sink;

static int set_column(const cell_field *f, void *ctx) {
    row_sink *rs = ctx;
    return results_row_set(rs->row, f->name, f->text, rs->err);
}

/* The row of a cell: what the experiment says about it, then every field the cell reports. */
static int fill_row(result_row *r, const sweep_config *c, const sweep_cell *cell,
                    const cell_result *cr, qb_error *err) {
    const dataset_spec *ds = &c->datasets[cell->dataset];
    snprintf(r->key, sizeof r->key, "%s", cell->key);
    snprintf(r->experiment, sizeof r->experiment, "%s", c->name);
    snprintf(r->dataset, sizeof r->dataset, "%s", ds->name);
    snprintf(r->label, sizeof r->label, "%s", c->methods[cell->method].label);
    static const char *kinds[] = {"synthetic", "gaussian", "file", "model"};
    snprintf(r->data_kind, sizeof r->data_kind, "%s", kinds[ds->kind]);
    r->data_mu = ds->mu;
    r->data_sigma = ds->sigma;
    r->seed_index = cell->seed_index;
    snprintf(r->baseline, sizeof r->baseline, "%s", c->baseline);
    snprintf(r->versions, sizeof r->versions, "%s", qb_versions());
    snprintf(r->revision, sizeof r->revision, "%s", qb_revision());
    row_sink rs = {r, err};
    int s = cell_fields(cr, set_column, &rs);
    r->seed = c->seed; /* the experiment's seed: cells differ by seed_index */
    return s;
}

/* A dataset's recall queries, and for a file dataset the truth of its (one) matrix. */
typedef struct {
    queries_set q;
    uint32_t *truth; /* (queries, k); NULL: computed per cell (generated data) */
    size_t k;
    int used;
} sweep_queries;

/* Runs one cell into r. Bad parameters and infeasible budgets become rows; only internal
 * failures (memory, I/O) are errors. */
static int run_cell(const sweep_config *c, const sweep_cell *cell, const matrix *loaded,
                    unsigned loaded_bits, const model_bench *mb, const sweep_queries *sq,
                    result_row *r, qb_error *err) {
    result_row_clear(r);
    r->ratio = r->mse = r->mae = r->mre = NAN;
    r->seconds_quantize = r->seconds_dequantize = NAN;
    const dataset_spec *ds = &c->datasets[cell->dataset];
    matrix own = {0};
    const matrix *x = loaded;
    quant_params p = cell->p;
    p.source_bits = loaded_bits;
    int s = QB_OK;
    cell_result cr;
    qb_error cerr = {0};
    if (mb) { /* a model: its matrices quantized, then the model measured */
        model_result mr;
        s = model_bench_run(mb, &p, &mr, &cerr);
        cr = mr.quant;
        if (!s)
            r->n = cr.n, r->d = cr.d;
    } else if (!x) {
        s = sweep_load_data(ds, cell->data_seed, &own, &p.source_bits, err);
        if (s)
            return s;
        x = &own;
    }
    uint32_t *truth = sq->used ? sq->truth : NULL;
    size_t truth_k = sq->k;
    if (!mb && sq->used && !truth) { /* generated data: this cell's matrix */
        if (sq->q.angular)
            recall_normalise(&own);
        s = queries_truth(&sq->q, x, &truth, &truth_k, err);
        if (s) {
            matrix_free(&own);
            return s;
        }
    }
    matrix recon = {0};
    if (!mb) {
        r->n = x->rows;
        r->d = x->cols;
        s = cell_run(&p, x, &cr, sq->used ? &recon : NULL, &cerr);
    }
    if (!mb && !s && sq->used) {
        s = queries_recall(&sq->q, truth, truth_k, &recon, &cr.recall, &cerr);
        cr.angular = sq->q.angular;
    }
    if (truth != sq->truth)
        free(truth);
    matrix_free(&recon);
    matrix_free(&own);
    if (s == QB_EINPUT) {
        /* the parameters as given, and NaN for everything not measured */
        memset(&cr, 0, sizeof cr);
        cr.params = p;
        cr.n = r->n;
        cr.d = r->d;
        cr.ratio = cr.error.mse = cr.error.mae = cr.error.mre = NAN;
        cr.seconds_quantize = cr.seconds_dequantize = cr.seconds_fit = cr.seconds_encode = NAN;
        s = fill_row(r, c, cell, &cr, err);
        snprintf(r->status, sizeof r->status, "%s",
                 cerr.infeasible ? RESULT_INFEASIBLE : RESULT_INVALID);
        snprintf(r->note, sizeof r->note, "%.255s", cerr.msg);
        return s;
    }
    if (s) {
        *err = cerr;
        return s;
    }
    snprintf(r->status, sizeof r->status, "%s", RESULT_OK);
    return fill_row(r, c, cell, &cr, err);
}

/* Canonical files from whatever the CSV holds: sorted rows, QTR/DTR, HDF5 copy, summary. */
int sweep_finalize(const char *dir, qb_error *err) {
    result_table t;
    int s = results_read(dir, &t, err);
    if (s)
        return s;
    result_table_sort(&t);
    s = result_table_time_ratios(&t, err);
    if (!s)
        s = results_write_all(dir, &t, err);
    if (!s)
        s = summary_write(dir, &t, err);
    result_table_free(&t);
    return s;
}

/* DIR/shard.cells: the keys of the shard's cells (shard.h). */
static int write_plan(const char *name, const sweep_cell *cells, size_t n, const sweep_options *o,
                      qb_error *err) {
    const char **keys = malloc((n + 1) * sizeof *keys);
    if (!keys)
        return qb_oom(err);
    for (size_t i = 0; i < n; i++)
        keys[i] = cells[i].key;
    shard_plan plan;
    int s = shard_plan_make(name, keys, n, o->shard, o->shards, &plan, err);
    if (!s)
        s = shard_plan_write(o->out_dir, &plan, err);
    shard_plan_free(&plan);
    free(keys);
    return s;
}

/* Peak memory of one cell beyond the shared input, per byte of its matrix: the reconstruction
 * and the training copies (measured 2.1-2.3 x the input at the paper's shapes, input included). */
#define CELL_MEMORY_PER_INPUT 1.4

/* Refuses, before any cell runs, a matrix whose one cell cannot fit this machine's memory, and
 * warns when the cells running side by side (one per thread) may not. */
static int check_memory(const sweep_config *c, const matrix *loaded, const sweep_cell *cells,
                        const size_t *todo, size_t n_todo, qb_error *err) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0)
        return QB_OK;
    double machine = (double)pages * (double)page, shared = 0, cell_max = 0;
    size_t worst = 0;
    for (size_t d = 0; d < c->n_datasets; d++)
        shared += 4.0 * (double)loaded[d].rows * (double)loaded[d].cols;
    for (size_t i = 0; i < n_todo; i++) {
        const dataset_spec *ds = &c->datasets[cells[todo[i]].dataset];
        size_t d = cells[todo[i]].dataset;
        double input = ds->kind == DATASET_FILE
                           ? 4.0 * (double)loaded[d].rows * (double)loaded[d].cols
                           : 4.0 * (double)ds->n * (double)ds->d;
        double need = input * CELL_MEMORY_PER_INPUT + (ds->kind == DATASET_FILE ? 0 : input);
        if (need > cell_max)
            cell_max = need, worst = d;
    }
    const double gb = 1e9;
    if (shared + cell_max > machine)
        return qb_fail(err,
                       "dataset '%s': one cell needs about %.1f GB (its matrix, reconstruction "
                       "and training copies, besides %.1f GB of loaded data), more than this "
                       "machine's %.1f GB",
                       c->datasets[worst].name, cell_max / gb, shared / gb, machine / gb);
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    size_t side_by_side = (size_t)threads < n_todo ? (size_t)threads : n_todo;
    if (shared + (double)side_by_side * cell_max > machine)
        fprintf(stderr,
                "warning: %zu cells side by side on '%s' may need about %.1f GB, more than this "
                "machine's %.1f GB; fewer --threads would be safer\n",
                side_by_side, c->datasets[worst].name,
                (shared + (double)side_by_side * cell_max) / gb, machine / gb);
    return QB_OK;
}

int sweep_run(const sweep_config *c, const sweep_options *o, qb_error *err) {
    /* A dry run writes nothing but a shard's plan. */
    int s = o->dry_run && !o->sharded ? QB_OK : results_mkdirs(o->out_dir, err);
    if (s)
        return s;
    result_table have;
    s = results_read(o->out_dir, &have, err);
    if (s)
        return s;
    sweep_cell *cells = NULL;
    size_t n_cells = 0;
    s = sweep_expand(c, &cells, &n_cells, err);
    /* Pending: this shard's cells not already stored. */
    size_t *todo = s ? NULL : malloc((n_cells + 1) * sizeof *todo);
    size_t n_todo = 0, n_shard = 0;
    if (!s && !todo)
        s = qb_oom(err);
    for (size_t i = 0; !s && i < n_cells; i++) {
        if (!shard_owns(cells[i].key, o->shard, o->shards))
            continue;
        n_shard++;
        if (result_table_find(&have, cells[i].key) < 0)
            todo[n_todo++] = i;
    }
    /* Rows of another configuration under the same dataset and label (options or data changed
     * since) would be averaged with these: refuse rather than mix them. */
    const char *hashes[SWEEP_LIST_MAX][SWEEP_LIST_MAX] = {{0}}; /* [dataset][method] */
    for (size_t k = 0; !s && k < n_cells; k++)
        if (!hashes[cells[k].dataset][cells[k].method])
            hashes[cells[k].dataset][cells[k].method] = strchr(cells[k].key, '#');
    for (size_t i = 0; !s && i < have.n; i++) {
        const result_row *r = &have.rows[i];
        const char *hash = strchr(r->key, '#');
        for (size_t d = 0; hash && d < c->n_datasets; d++)
            for (size_t m = 0; m < c->n_methods; m++)
                if (!s && hashes[d][m] && strcmp(hashes[d][m], hash) &&
                    !strcmp(c->datasets[d].name, r->dataset) &&
                    !strcmp(c->methods[m].label, r->label))
                    s = qb_fail(err,
                                "%s already holds results of '%s' on '%s' with other options or "
                                "data; use another --out or remove them",
                                o->out_dir, r->label, r->dataset);
    }

    /* What the shard owns, on disk before any of its rows: a merge tells a shard that stopped
     * early from a whole one by it. */
    if (!s && o->sharded)
        s = write_plan(c->name, cells, n_cells, o, err);
    if (!s && o->dry_run) {
        fprintf(stderr, "%s: %zu cells (%zu in this shard), %zu already done, %zu to run\n",
                c->name, n_cells, n_shard, n_shard - n_todo, n_todo);
        result_table_free(&have);
        free(todo);
        free(cells);
        return QB_OK;
    }

    /* Files and models are read once and shared (read-only) by every cell; so are queries, and
     * the truth of a file's matrix (normalised first for angular queries). */
    matrix loaded[SWEEP_LIST_MAX];
    unsigned loaded_bits[SWEEP_LIST_MAX];
    memset(loaded, 0, sizeof loaded);
    model_bench *benches = calloc(SWEEP_LIST_MAX, sizeof *benches);
    sweep_queries *sq = calloc(SWEEP_LIST_MAX, sizeof *sq);
    if (!s && (!benches || !sq))
        s = qb_oom(err);
    for (size_t d = 0; !s && d < c->n_datasets; d++) {
        const dataset_spec *ds = &c->datasets[d];
        loaded_bits[d] = 32;
        int used = 0;
        for (size_t i = 0; i < n_todo && !used; i++)
            used = cells[todo[i]].dataset == d;
        if (used && ds->kind == DATASET_FILE)
            s = sweep_load_data(ds, 0, &loaded[d], &loaded_bits[d], err);
        else if (used && ds->kind == DATASET_MODEL)
            s = model_bench_open(&ds->model, &benches[d], err);
        if (!s && used && ds->queries[0]) {
            s = queries_read(ds->queries, &sq[d].q, err);
            sq[d].used = !s;
            if (!s && ds->kind != DATASET_FILE && sq[d].q.queries.cols != ds->d)
                s = qb_fail(err, "dataset '%s': the queries %s have %zu columns but the data %zu",
                            ds->name, sq[d].q.spec, sq[d].q.queries.cols, ds->d);
            if (!s && ds->kind == DATASET_FILE && sq[d].q.angular)
                recall_normalise(&loaded[d]);
            if (!s && ds->rows) /* the file's neighbours are among all of its rows */
                matrix_free(&sq[d].q.neighbors);
            if (!s && ds->kind == DATASET_FILE)
                s = queries_truth(&sq[d].q, &loaded[d], &sq[d].truth, &sq[d].k, err);
        }
    }
    if (!s)
        s = check_memory(c, loaded, cells, todo, n_todo, err);
    if (!s && o->before_cells)
        s = o->before_cells(o->ctx, err);
    if (!s)
        fprintf(stderr, "%s: %zu cells (%zu in this shard), %zu already done, %zu to run\n",
                c->name, n_cells, n_shard, n_shard - n_todo, n_todo);

    results_appender app = {.fd = -1};
    if (!s && n_todo)
        s = results_append_open(&app, o->out_dir, err);
    progress prog = {0, n_todo, (size_t)-1, metrics_now(), 0, isatty(2)};
    /* The HDF5 copy follows the CSV from memory: `have` (the rows stored before) takes each row
     * appended, and is written at most every 30 s. It is a convenience (the CSV is the source of
     * truth, and the final rewrite from it is checked), so its failure is a warning naming the
     * cause, and ends the snapshots; so does a row it could not take, which they would lack. */
    const double h5_every = 30;
    double last_h5 = metrics_now();
    int h5_live = 1, h5_warned = 0;
    int failed = s;
    qb_error first = {0};
    if (!s && n_todo) {
#ifdef _OPENMP
        int nested = omp_get_max_active_levels();
        omp_set_max_active_levels(1); /* each cell single-threaded: one level of parallelism */
#endif
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t i = 0; i < n_todo; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop)
                continue;
            const sweep_cell *cell = &cells[todo[i]];
            result_row row;
            qb_error e = {0};
            int st = run_cell(
                c, cell,
                c->datasets[cell->dataset].kind == DATASET_FILE ? &loaded[cell->dataset] : NULL,
                loaded_bits[cell->dataset],
                c->datasets[cell->dataset].kind == DATASET_MODEL ? &benches[cell->dataset] : NULL,
                &sq[cell->dataset], &row, &e);
#pragma omp critical(sweep_results)
            {
                if (!st)
                    st = results_append(&app, &row, &e);
                if (st && !failed) {
                    failed = st;
                    first = e;
                }
                prog.done++;
                progress_show(&prog, 0);
                if (!st && h5_live) {
                    qb_error he = {0};
                    int hs = result_table_push(&have, &row, &he);
                    if (hs) {
                        h5_live = 0;
                        result_table_free(&have);
                    } else if (metrics_now() - last_h5 >= h5_every) {
                        hs = results_write_h5(o->out_dir, &have, &he);
                        last_h5 = metrics_now();
                    }
                    if (hs && !h5_warned) {
                        /* No more tries: after a failed write HDF5 may keep the file open. */
                        h5_warned = 1;
                        h5_live = 0;
                        result_table_free(&have);
                        fprintf(stderr,
                                "%swarning: the HDF5 snapshot of %s stops (%s); results.csv "
                                "has every row, and the run's end writes results.h5 again\n",
                                prog.tty ? "\n" : "", o->out_dir, he.msg);
                    }
                }
            }
        }
#ifdef _OPENMP
        omp_set_max_active_levels(nested);
#endif
        progress_show(&prog, 1);
        if (failed) {
            s = failed;
            *err = first;
        }
    }
    results_append_close(&app);
    result_table_free(&have);
    for (size_t d = 0; d < c->n_datasets; d++) {
        matrix_free(&loaded[d]);
        if (benches)
            model_bench_close(&benches[d]);
        if (sq) {
            queries_free(&sq[d].q);
            free(sq[d].truth);
        }
    }
    free(benches);
    free(sq);
    free(todo);
    free(cells);
    if (!s)
        s = sweep_finalize(o->out_dir, err);
    return s;
}
