/* test_sweep.c - experiment files and their cells: edit distance and suggestions, a config read
 * into every field, errors at file:line, the cell product with ignored dimensions collapsed, keys
 * unique, and seeds that depend on the key only (data shared by all methods of one seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lua_api.h"
#include "shard.h"
#include "sweep.h"
#include "sweep_count.h"

static char dir[] = "/tmp/qb_test_sweepXXXXXX";

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static const char config[] =
    "-- a test experiment\n"
    "return {\n"
    "  name = \"t\", seed = 7, seeds = 2,\n"
    "  datasets = { { name = \"synthetic\", n = 64, d = 16 },\n"
    "               { name = \"g\", kind = \"gaussian\", n = 32, d = 16, mu = 1, sigma = 2 } },\n"
    "  methods = { \"rtn\", \"pq\", { method = \"qet\", label = \"q\", codebook_bits = 10 } },\n"
    "  subspaces = { 4, 8 }, iterations = { 1, 2, 3 }, ratios = { 4, 8 },\n"
    "  accounting = { \"full\", \"free-imap\" }, kmeans = { iters = 5, init = \"random\" },\n"
    "}\n";

/* Shard plans: three shards own every cell once; a plan reads back as written; the cells a
 * results table lacks are counted and named; a plan cut short is refused. */
static void check_plans(const sweep_cell *cells, size_t n) {
    qb_error err = {0};
    shard_plan p[3], back;
    memset(p, 0, sizeof p);
    size_t owned = 0;
    const char **keys = malloc(n * sizeof *keys);
    CHECK(keys != NULL);
    for (size_t i = 0; keys && i < n; i++)
        keys[i] = cells[i].key;
    for (unsigned i = 0; keys && i < 3; i++) {
        CHECK_OK(shard_plan_make("t", keys, n, i, 3, &p[i], &err), &err);
        owned += p[i].n_keys;
        CHECK(p[i].n_keys > 0 && p[i].total == n);
    }
    CHECK_MSG(owned == n, "%zu of %zu cells owned", owned, n);
    int found = 1;
    CHECK_OK(shard_plan_read(dir, &back, &found, &err), &err);
    CHECK(!found);
    CHECK_OK(shard_plan_write(dir, &p[1], &err), &err);
    CHECK_OK(shard_plan_read(dir, &back, &found, &err), &err);
    CHECK(found && back.shard == 1 && back.shards == 3 && back.total == n);
    CHECK(!strcmp(back.experiment, "t") && back.n_keys == p[1].n_keys);
    for (size_t k = 0; k < back.n_keys && k < p[1].n_keys; k++)
        CHECK_MSG(!strcmp(back.keys[k], p[1].keys[k]), "key %zu: %s", k, back.keys[k]);
    result_table t = {0};
    const char *first[2] = {NULL, NULL};
    CHECK(shard_plan_missing(&back, &t, first, 2) == back.n_keys);
    result_row r;
    memset(&r, 0, sizeof r);
    for (size_t k = 1; k < back.n_keys; k++) {
        snprintf(r.key, sizeof r.key, "%s", back.keys[k]);
        CHECK_OK(result_table_push(&t, &r, &err), &err);
    }
    CHECK(shard_plan_missing(&back, &t, first, 2) == 1 && !strcmp(first[0], back.keys[0]));
    result_table_free(&t);
    shard_plan_free(&back);
    /* The last key gone: the count and hash no longer match. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "sed -i '$d' %s/%s", dir, SHARD_PLAN_FILE);
    CHECK(system(cmd) == 0);
    CHECK(shard_plan_read(dir, &back, &found, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "is damaged") != NULL, "%s", err.msg);
    for (unsigned i = 0; i < 3; i++)
        shard_plan_free(&p[i]);
    free(keys);
}

int main(void) {
    qb_error err = {0};
    CHECK(mkdtemp(dir) != NULL);

    CHECK(lua_edit_distance("ratio", "ratios") == 1);
    CHECK(lua_edit_distance("kitten", "sitting") == 3);
    CHECK(lua_edit_distance("", "abc") == 3);
    const char *keys[] = {"ratios", "seeds", "subspaces"};
    CHECK(!strcmp(lua_nearest("subspace", keys, 3), "subspaces"));
    CHECK(lua_nearest("zzzzzzzz", keys, 3) == NULL);

    sweep_config c;
    int has = 0;
    CHECK_OK(lua_config_run(write_file("ok.lua", config), &c, &has, &err), &err);
    CHECK(has == 1);
    CHECK(!strcmp(c.name, "t") && c.seed == 7 && c.seeds == 2);
    CHECK(c.n_datasets == 2 && c.datasets[1].kind == DATASET_GAUSSIAN && c.datasets[1].sigma == 2);
    CHECK(c.n_methods == 3 && !strcmp(c.methods[2].label, "q"));
    CHECK(c.methods[2].base.codebook_bits == 10);
    CHECK(c.methods[1].base.kmeans.iters == 5 &&
          c.methods[1].base.kmeans.init == KMEANS_INIT_RANDOM);
    CHECK(c.n_subspaces == 2 && c.n_iterations == 3 && c.n_ratios == 2 && c.n_accounting == 2);
    CHECK(!strcmp(c.baseline, "pq"));

    /* Cells: per dataset, rtn 2 ratios x 2 seeds; pq 2 m x 2 r x 2 s; qet 2 acc x 2 m x 3 l x 2 r
     * x 2 s. */
    sweep_cell *cells;
    size_t n;
    CHECK_OK(sweep_expand(&c, &cells, &n, &err), &err);
    size_t per = 4 + 8 + 48;
    CHECK_MSG(n == 2 * per, "%zu cells", n);
    /* The count a config's bound is checked with, before any cell exists, is sweep_expand's. */
    CHECK_MSG(sweep_cell_count(&c) == n, "counted %llu", (unsigned long long)sweep_cell_count(&c));
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            CHECK_MSG(strcmp(cells[i].key, cells[j].key), "duplicate key %s", cells[i].key);
    /* The same seed index of one dataset: same data for every method, different method streams. */
    size_t a = 0, b = 0;
    while (a < n && !(cells[a].method == 0 && cells[a].seed_index == 2 && cells[a].dataset == 0))
        a++;
    while (b < n && !(cells[b].method == 2 && cells[b].seed_index == 2 && cells[b].dataset == 0))
        b++;
    CHECK(a < n && b < n);
    if (a < n && b < n) {
        CHECK(cells[a].data_seed == cells[b].data_seed);
        CHECK(cells[a].p.cell != cells[b].p.cell);
        CHECK(cells[a].p.subspaces == 0 && cells[a].p.accounting == ACCOUNTING_FULL);
    }
    /* ... also with per-method lists, presets and methods that ignore m, l or the accounting. */
    sweep_config c2;
    CHECK_OK(
        lua_config_run(
            write_file("count.lua",
                       "return { methods = { 'rtn', { method = 'pq', subspaces = { 2, 4, 8 } },"
                       " { method = 'qet', preset = 'authors' }, { method = 'qet', label = 'q2',"
                       " iterations = { 1, 2 } }, 'lloyd' }, subspaces = { 4, 8 },"
                       " iterations = { 1, 3 }, ratios = { 4, 8, 16 }, seeds = 3,"
                       " accounting = { 'full', 'free-imap' },"
                       " datasets = { { name = 's', n = 64, d = 16 }, { name = 'g', n = 64, d = 16,"
                       " mu = 0, sigma = 1, subspaces = { 2 } } } }"),
            &c2, &has, &err),
        &err);
    sweep_cell *cells2;
    size_t n3;
    CHECK_OK(sweep_expand(&c2, &cells2, &n3, &err), &err);
    CHECK_MSG(sweep_cell_count(&c2) == n3 && n3 > 100, "counted %llu, expanded %zu",
              (unsigned long long)sweep_cell_count(&c2), n3);
    /* A dataset's m list replaces the experiment's, and a method entry's list replaces both. */
    size_t q2_cells[2] = {0, 0};
    for (size_t i = 0; i < n3; i++) {
        const sweep_cell *x = &cells2[i];
        if (x->method == 3) {
            q2_cells[x->dataset]++;
            CHECK_MSG(x->dataset ? x->p.subspaces == 2 : x->p.subspaces == 4 || x->p.subspaces == 8,
                      "%s", x->key);
        }
        if (x->method == 1)
            CHECK_MSG(x->p.subspaces == 2 || x->p.subspaces == 4 || x->p.subspaces == 8, "%s",
                      x->key);
    }
    CHECK_MSG(q2_cells[0] == 2 * q2_cells[1], "%zu, %zu", q2_cells[0], q2_cells[1]);
    free(cells2);
    /* Expanding again gives the same keys and seeds (nothing depends on run order). */
    sweep_cell *again;
    size_t n2;
    CHECK_OK(sweep_expand(&c, &again, &n2, &err), &err);
    CHECK(n2 == n && !memcmp(cells, again, n * sizeof *cells));
    free(again);
    check_plans(cells, n);
    free(cells);

    /* Errors name file:line. */
    CHECK(lua_config_run(write_file("e1.lua", "return {\n methods = {'pq'},\n ratios = 4,\n "
                                              "subspace = 8,\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e1.lua:4: unknown key 'subspace'") &&
                  strstr(err.msg, "did you mean 'subspaces'"),
              "%s", err.msg);
    CHECK(lua_config_run(
              write_file("e2.lua", "return {\n methods = {'pq'},\n ratios = {4, -1},\n}\n"), &c,
              &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e2.lua:3:") != NULL, "%s", err.msg);
    CHECK(lua_config_run(write_file("e3.lua", "return {\n methods = {'pq'},\n ratios = {4},\n "
                                              "accounting = 'free'\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e3.lua:4:") != NULL, "%s", err.msg);
    CHECK(
        lua_config_run(write_file("e4.lua", "return {\n methods = {'pq', 'pq'},\n ratios = 4 }\n"),
                       &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "labelled 'pq'") != NULL, "%s", err.msg);
    CHECK(lua_config_run(
              write_file("e6.lua", "return {\n methods = {'pq'},\n ratios = {4, 8, 4},\n}\n"), &c,
              &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e6.lua:3: 'ratios' lists 4 twice") != NULL, "%s", err.msg);
    CHECK(lua_config_run(write_file("e7.lua", "return {\n methods = {'pq'},\n ratios = 4,\n "
                                              "subspaces = {8, 8},\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e7.lua:4: 'subspaces' lists 8 twice") != NULL, "%s", err.msg);
    CHECK(lua_config_run(write_file("e5.lua", "error('custom failure')\n"), &c, &has, &err) ==
          QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "e5.lua:1: custom failure") != NULL, "%s", err.msg);

    /* The qet module: a custom study returns nothing and runs. */
    CHECK_OK(
        lua_config_run(
            write_file(
                "study.lua",
                "local x = qet.dataset{name='synthetic', n=64, d=16, seed=3}\n"
                "assert(x.n == 64 and x.d == 16)\n"
                "local r = qet.quantize{data=x, method='pq', ratio=4, subspaces=4}\n"
                "assert(r.mse > 0 and r.bits.total > 0 and r.ratio >= 4)\n"
                "assert(r.bits.charged * r.ratio == r.original_bits)\n"
                "local q = qet.quantize{data=x, method='qet', preset='authors', ratio=4, "
                "subspaces=2}\n"
                "assert(q.stages:match('^qet:l3:k%d+:0.7%+pq:l0:k%d+:0.3$'), q.stages)\n"
                "assert(q.codebook_bits == 10 and q.residual == 'pq:0.3' and q.preset == "
                "'authors')\n"
                "assert(q.bits.indicator_maps == 64 * 16 / 2 * 3)\n"
                "local ok, e = pcall(qet.quantize, {data=x, method='pq', ratoi=4})\n"
                "assert(not ok and e:find('ratio'), e)\n"
                "local v = qet.quantize{data=x, method='qet', iterations=2, ratio=4, subspaces=2,\n"
                "  qet_layout='inplace', qet_pairing='strided', pairing_window=8}\n"
                "assert(v.qet_layout == 'inplace' and v.qet_pairing == 'strided' and "
                "v.pairing_window == 8)\n"
                "assert(v.bits.indicator_maps == 64 * 16 / 2 * 2)\n"
                "local c = qet.quantize{data=x, method='rtn', bits=3, rtn_clip='mse'}\n"
                "local u = qet.quantize{data=x, method='rtn', bits=3}\n"
                "assert(c.rtn_clip == 'mse' and c.mse <= u.mse and c.bits.total == u.bits.total)\n"
                "local ok2, e2 = pcall(qet.quantize, {data=x, method='qet', ratio=4, "
                "qet_layout='diagonal'})\n"
                "assert(not ok2 and e2:find('qet_layout'), e2)\n"
                "local m = qet.available{'pq', 'no-such-method', {method='rtn'}}\n"
                "assert(#m == 2)\n"),
            &c, &has, &err),
        &err);
    CHECK(has == 0);

    /* Data sets named in datasets/manifest.lua (read from the working directory). */
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    CHECK(system("mkdir -p datasets") == 0);
    write_file("datasets/manifest.lua",
               "return { synthetic = { generator = 'synthetic' },\n"
               "  kv = { file = 'data/none.h5', path = '/k/all', source_bits = 16,\n"
               "         make = 'scripts/fetch-data kv' } }\n");
    CHECK(lua_config_run(write_file("m1.lua", "return {\n methods = {'pq'}, ratios = 4,\n "
                                              "datasets = {{ manifest = 'kvv' }},\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "m1.lua:3: no data set 'kvv'") &&
                  strstr(err.msg, "did you mean 'kv'"),
              "%s", err.msg);
    CHECK(lua_config_run(write_file("m2.lua", "return {\n methods = {'pq'}, ratios = 4,\n "
                                              "datasets = {{ manifest = 'kv' }},\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "data/none.h5 not found; make it with scripts/fetch-data kv"), "%s",
              err.msg);
    CHECK(system("mkdir -p data && touch data/none.h5") == 0);
    CHECK_OK(
        lua_config_run(write_file("m3.lua", "return {\n methods = {'pq'}, ratios = 4,\n "
                                            "datasets = {{ manifest = 'kv', name = 'kv-v', "
                                            "path = '/v/all' },\n"
                                            "  { manifest = 'synthetic', n = 8, d = 4 }},\n}\n"),
                       &c, &has, &err),
        &err);
    CHECK(c.n_datasets == 2 && c.datasets[0].kind == DATASET_FILE);
    CHECK(!strcmp(c.datasets[0].file, "data/none.h5") && !strcmp(c.datasets[0].path, "/v/all"));
    CHECK(c.datasets[0].source_bits == 16 && !strcmp(c.datasets[0].name, "kv-v"));
    CHECK(c.datasets[1].kind == DATASET_SYNTHETIC && c.datasets[1].n == 8);
    /* QETBENCH_MANIFEST names another manifest (a sweep's snapshot): only it is read. */
    write_file("snap.lua", "return { kv2 = { file = 'data/none.h5', path = '/k/all' } }\n");
    CHECK(setenv("QETBENCH_MANIFEST", "snap.lua", 1) == 0);
    CHECK(lua_config_run(write_file("m4.lua", "return {\n methods = {'pq'}, ratios = 4,\n "
                                              "datasets = {{ manifest = 'kv' }},\n}\n"),
                         &c, &has, &err) == QB_EINPUT);
    CHECK_MSG(strstr(err.msg, "m4.lua:3: no data set 'kv' in snap.lua"), "%s", err.msg);
    CHECK_OK(lua_config_run(write_file("m5.lua", "return {\n methods = {'pq'}, ratios = 4,\n "
                                                 "datasets = {{ manifest = 'kv2' }},\n}\n"),
                            &c, &has, &err),
             &err);
    CHECK(c.n_datasets == 1 && !strcmp(c.datasets[0].path, "/k/all"));
    CHECK(unsetenv("QETBENCH_MANIFEST") == 0);
    CHECK(chdir(cwd) == 0);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_done("sweep");
}
