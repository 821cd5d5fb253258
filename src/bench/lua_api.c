/* lua_api.c - the embedded Lua 5.4 side of qetbench: reads an experiment's config table into a
 * sweep_config, and provides the `qet` module (quantize one matrix, make a dataset) to scripts. */
#include "lua_api.h"

#include <ctype.h>
#include <float.h>
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cell.h"
#include "lua_sandbox.h"
#include "names.h"
#include "options.h"
#include "results.h"
#include "sweep_count.h"
#include "text.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

static const char *const top_keys[] = {"name",       "seed",      "seeds",      "datasets",
                                       "methods",    "subspaces", "iterations", "ratios",
                                       "accounting", "baseline",  "plots",      "kmeans"};
static const char *const dataset_keys[] = {
    "name", "kind",        "n",        "d",     "mu",      "sigma",     "file",
    "path", "source_bits", "manifest", "model", "queries", "subspaces", "rows"};
static const char *const model_keys[] = {
    "checkpoint",         "target",   "eval_tokens", "sequences", "tokens", "seed",
    "include_embeddings", "kv_block", "heads",       "kv_heads",  "context"};
/* Keys of a sweep's method entries and of qet.quantize beyond the option table's (options.h). */
static const char *const method_entry_keys[] = {"method", "label", "preset", "subspaces",
                                                "iterations"};
static const char *const quantize_extra_keys[] = {"data", "method", "preset"};
/* The experiment's kmeans table: defaults for every method that reads them. */
static const char *const kmeans_keys[] = {"init", "iters", "max_points_per_centroid"};
static const char *const kmeans_options[] = {"kmeans_init", "kmeans_iters",
                                             "max_points_per_centroid"};

#define MAX_KEYS 64

/* extra keys, then the option table's entries with any of `flags`. */
static size_t key_list(const char *const *extra, size_t n_extra, unsigned flags, const char **out) {
    size_t n = 0;
    for (size_t i = 0; i < n_extra; i++)
        out[n++] = extra[i];
    for (size_t i = 0; option_at(i) && n < MAX_KEYS; i++)
        if (option_at(i)->flags & flags) {
            size_t k = 0;
            while (k < n && strcmp(out[k], option_at(i)->name))
                k++;
            if (k == n)
                out[n++] = option_at(i)->name;
        }
    return n;
}

size_t lua_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return la > lb ? la : lb;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *lua_nearest(const char *word, const char *const *candidates, size_t n) {
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = lua_edit_distance(word, candidates[i]);
        if (d < bd) {
            bd = d;
            best = candidates[i];
        }
    }
    size_t limit = strlen(word) / 2 > 2 ? strlen(word) / 2 : 2;
    return bd <= limit ? best : NULL;
}

/* ---- reading the config with errors at file:line ---- */

typedef struct {
    lua_State *L;
    const char *path;
    char *src; /* the file's text, to find the line a key is on; NULL inside qet.* calls */
    qb_error *err;
} reader;

/* The first line where `key` appears as a field name (`key =` but not `key ==`); the line of the
 * last `return` when it does not appear (a table built by code). */
static int line_of(const reader *r, const char *key) {
    size_t kl = key ? strlen(key) : 0;
    int line = 1, ret_line = 1;
    for (const char *p = r->src; p && *p; p++) {
        if (*p == '\n') {
            line++;
            continue;
        }
        if (!strncmp(p, "return", 6) && (p == r->src || p[-1] == '\n' || p[-1] == ' '))
            ret_line = line;
        if (kl && !strncmp(p, key, kl) &&
            (p == r->src || !(p[-1] == '_' || p[-1] == '.' || isalnum((unsigned char)p[-1])))) {
            const char *q = p + kl;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '=' && q[1] != '=')
                return line;
        }
    }
    return ret_line;
}

static int fail_at(reader *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(reader *r, const char *key, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!r->src) /* a qet.* call: raise() adds the caller's file:line */
        return qb_fail(r->err, "%s", msg);
    return qb_fail(r->err, "%s:%d: %s", r->path, line_of(r, key), msg);
}

/* Every key of the table at idx must be one of `keys`. */
static int check_keys(reader *r, int idx, const char *const *keys, size_t n, const char *where) {
    lua_State *L = r->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return fail_at(r, NULL, "%s: keys must be names (found a list entry)", where);
        }
        const char *k = lua_tostring(L, -1);
        size_t i = 0;
        while (i < n && strcmp(k, keys[i]))
            i++;
        if (i == n) {
            const char *near = lua_nearest(k, keys, n);
            char key[64];
            snprintf(key, sizeof key, "%s", k);
            lua_pop(L, 1);
            if (near)
                return fail_at(r, key, "unknown key '%s' in %s (did you mean '%s'?)", key, where,
                               near);
            return fail_at(r, key, "unknown key '%s' in %s", key, where);
        }
    }
    return QB_OK;
}

/* Field getters: leave the value on the stack only while reading it. Missing: *found = 0. */
static int get_int(reader *r, int t, const char *key, long long lo, long long hi, long long *out,
                   int *found) {
    lua_getfield(r->L, t, key);
    int ty = lua_type(r->L, -1);
    int s = QB_OK;
    if (found)
        *found = ty != LUA_TNIL;
    if (ty != LUA_TNIL) {
        int ok = 0;
        lua_Integer v = lua_tointegerx(r->L, -1, &ok);
        if (!ok || ty != LUA_TNUMBER)
            s = fail_at(r, key, "'%s' must be an integer", key);
        else if (v < lo || v > hi)
            s = fail_at(r, key, "'%s' must be in %lld..%lld (got %lld)", key, lo, hi, (long long)v);
        else
            *out = v;
    }
    lua_pop(r->L, 1);
    return s;
}

static int get_str(reader *r, int t, const char *key, char *out, size_t len, int *found) {
    lua_getfield(r->L, t, key);
    int ty = lua_type(r->L, -1), s = QB_OK;
    if (found)
        *found = ty != LUA_TNIL;
    if (ty != LUA_TNIL) {
        if (ty != LUA_TSTRING)
            s = fail_at(r, key, "'%s' must be a string", key);
        else if (strlen(lua_tostring(r->L, -1)) >= len)
            s = fail_at(r, key, "'%s' is too long (at most %zu characters)", key, len - 1);
        else
            strcpy(out, lua_tostring(r->L, -1));
    }
    lua_pop(r->L, 1);
    return s;
}

static int get_num(reader *r, int t, const char *key, double *out, int *found) {
    lua_getfield(r->L, t, key);
    int ty = lua_type(r->L, -1), s = QB_OK;
    if (found)
        *found = ty != LUA_TNIL;
    if (ty != LUA_TNIL) {
        if (ty != LUA_TNUMBER || !isfinite(lua_tonumber(r->L, -1)))
            s = fail_at(r, key, "'%s' must be a finite number", key);
        else
            *out = lua_tonumber(r->L, -1);
    }
    lua_pop(r->L, 1);
    return s;
}

/* A name used in keys, file names and CSV (names.h): no path, no "." or "..". */
static int check_name(reader *r, const char *key, const char *v) {
    const char *why = name_problem(v);
    return why ? fail_at(r, key, "'%s' = \"%s\" %s", key, v, why) : QB_OK;
}

/* A list field (a number alone counts as a one-element list) of integers in [lo, hi]. */
static int get_int_list(reader *r, int t, const char *key, long long lo, long long hi,
                        long long *out, size_t *n, int *found) {
    lua_State *L = r->L;
    lua_getfield(L, t, key);
    int s = QB_OK;
    *found = !lua_isnil(L, -1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
        lua_pop(L, 1);
        *n = 1;
        return get_int(r, t, key, lo, hi, out, NULL);
    }
    if (*found) {
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            return fail_at(r, key, "'%s' must be a number or a list of numbers", key);
        }
        size_t len = (size_t)luaL_len(L, -1);
        if (len == 0 || len > SWEEP_LIST_MAX)
            s = fail_at(r, key, "'%s' must list 1..%d values", key, SWEEP_LIST_MAX);
        for (size_t i = 0; !s && i < len; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            int ok = 0;
            lua_Integer v = lua_tointegerx(L, -1, &ok);
            if (!ok || lua_type(L, -1) != LUA_TNUMBER)
                s = fail_at(r, key, "'%s'[%zu] must be an integer", key, i + 1);
            else if (v < lo || v > hi)
                s = fail_at(r, key, "'%s'[%zu] must be in %lld..%lld (got %lld)", key, i + 1, lo,
                            hi, (long long)v);
            else
                out[i] = v;
            for (size_t j = 0; !s && j < i; j++)
                if (out[j] == out[i])
                    s = fail_at(r, key, "'%s' lists %lld twice", key, out[i]);
            lua_pop(L, 1);
        }
        *n = len;
    }
    lua_pop(L, 1);
    return s;
}

/* The value at the top of the stack as an option's text, checked against its Lua type. */
static int lua_option_text(reader *r, const option_def *o, const char *key, char *buf, size_t len) {
    lua_State *L = r->L;
    int ty = lua_type(L, -1);
    if (o->type == OPT_UINT) {
        if (!lua_isinteger(L, -1))
            return fail_at(r, key, "'%s' must be an integer", key);
        lua_Integer v = lua_tointeger(L, -1);
        if (v < 0)
            return fail_at(r, key, "'%s' must be in %llu..%llu (got %lld)", key,
                           (unsigned long long)o->lo, (unsigned long long)o->hi, (long long)v);
        snprintf(buf, len, "%lld", (long long)v);
    } else if (o->type == OPT_REAL) {
        if (ty != LUA_TNUMBER)
            return fail_at(r, key, "'%s' must be a number", key);
        snprintf(buf, len, "%.17g", lua_tonumber(L, -1));
    } else {
        if (ty != LUA_TSTRING)
            return fail_at(r, key, "'%s' must be a string", key);
        snprintf(buf, len, "%s", lua_tostring(L, -1));
    }
    return QB_OK;
}

#define MAX_ASSIGN 64
typedef struct {
    option_assign a[MAX_ASSIGN];
    char text[MAX_ASSIGN][256];
    size_t n;
} assignments;

/* Collects the options of the table at t whose key is an option with any of `flags` (keys were
 * checked already; grid lists and the other keys are read by the caller). */
static int collect_options(reader *r, int t, unsigned flags, const char *const *skip, size_t n_skip,
                           assignments *as) {
    lua_State *L = r->L;
    as->n = 0;
    for (size_t i = 0; option_at(i); i++) {
        const option_def *o = option_at(i);
        if (!(o->flags & flags))
            continue;
        size_t k = 0;
        while (k < n_skip && strcmp(skip[k], o->name))
            k++;
        if (k < n_skip)
            continue;
        lua_getfield(L, t, o->name);
        int s = QB_OK;
        if (!lua_isnil(L, -1)) {
            s = lua_option_text(r, o, o->name, as->text[as->n], sizeof as->text[as->n]);
            if (!s) {
                as->a[as->n].opt = o;
                as->a[as->n].value = as->text[as->n];
                as->n++;
            }
        }
        lua_pop(L, 1);
        if (s)
            return s;
    }
    return QB_OK;
}

/* The one precedence rule (options.h) for a method entry or a qet.quantize call; an error names
 * the option's line. */
static int resolve(reader *r, quant_params *p, const char *method, const char *preset,
                   const assignments *as, const assignments *defaults, const char *where) {
    qb_error e = {0};
    int s = options_resolve(p, method, preset, as->a, as->n, defaults ? defaults->a : NULL,
                            defaults ? defaults->n : 0, "lua", &e);
    if (!s)
        return QB_OK;
    const char *key = preset && *preset && strstr(e.msg, "preset") ? "preset" : NULL;
    for (size_t i = 0; !key && i < as->n; i++)
        if (!strncmp(e.msg, as->a[i].opt->name, strlen(as->a[i].opt->name)))
            key = as->a[i].opt->name;
    return fail_at(r, key, "%s: %s", where, e.msg);
}

static int method_name(reader *r, const char *key, const char *name) {
    if (quantizer_find(name))
        return QB_OK;
    const char *names[64];
    size_t nn = 0;
    for (; quantizer_at(nn) && nn < 64; nn++)
        names[nn] = quantizer_at(nn)->name;
    const char *near = lua_nearest(name, names, nn);
    return fail_at(r, key,
                   "unknown method '%s'%s%s%s (built in: %s; qet.available{...} keeps "
                   "only those built in)",
                   name, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "",
                   quantizer_names());
}

/* queries = { file = "F.h5", path = "/test" } (path optional, /test by default): the recall
 * queries of a dataset (queries.h), as d->queries "F.h5:/test". Nothing when absent. */
static int get_queries(reader *r, int t, dataset_spec *d) {
    static const char *const keys[] = {"file", "path"};
    lua_State *L = r->L;
    lua_getfield(L, t, "queries");
    int s = QB_OK, f = 0;
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return QB_OK;
    }
    int q = lua_gettop(L);
    char file[1024] = "", path[256] = "/test";
    if (!lua_istable(L, q))
        s = fail_at(r, "queries", "'queries' must be a table {file = \"F.h5\", path = \"/test\"}");
    if (!s)
        s = check_keys(r, q, keys, COUNT(keys), "queries");
    if (!s)
        s = get_str(r, q, "file", file, sizeof file, &f);
    if (!s && !f)
        s = fail_at(r, "queries", "'queries' needs file = \"F.h5\"");
    if (!s)
        s = get_str(r, q, "path", path, sizeof path, NULL);
    if (!s && path[0] != '/')
        s = fail_at(r, "queries", "queries' path must start with '/' (got '%s')", path);
    if (!s)
        snprintf(d->queries, sizeof d->queries, "%s:%s", file, path);
    lua_pop(L, 1);
    return s;
}

/* {manifest = "kv"}: file, path and source_bits (or the generator) of a data set named in
 * datasets/manifest.lua (read from the working directory: the repository root), or in the file
 * QETBENCH_MANIFEST names (a sweep's snapshot of it, so every shard reads the same one). */
static const char *manifest_path(void) {
    const char *p = getenv("QETBENCH_MANIFEST");
    return p && *p ? p : "datasets/manifest.lua";
}

static int from_manifest(reader *r, const char *name, dataset_spec *d, char *kind, size_t kind_len,
                         int *has_file) {
    lua_State *L = r->L;
    const char *manifest = manifest_path();
    if (luaL_loadfilex(L, manifest, "t") || lua_pcall(L, 0, 1, 0)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return fail_at(r, "manifest", "cannot read the data manifest: %s", msg);
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return fail_at(r, "manifest", "%s does not return a table", manifest);
    }
    lua_getfield(L, -1, name);
    if (!lua_istable(L, -1)) {
        const char *names[64];
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -3) && n < 64) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING)
                names[n++] = lua_tostring(L, -1);
        }
        const char *near = lua_nearest(name, names, n);
        int s = fail_at(r, "manifest", "no data set '%s' in %s%s%s%s", name, manifest,
                        near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        lua_pop(L, 2);
        return s;
    }
    int e = lua_gettop(L), f, s;
    char gen[32] = "";
    long long v;
    s = get_str(r, e, "generator", gen, sizeof gen, &f);
    if (!s && f) {
        snprintf(kind, kind_len, "%s", gen);
    } else if (!s) {
        snprintf(kind, kind_len, "file");
        if (!d->file[0])
            s = get_str(r, e, "file", d->file, sizeof d->file, has_file);
        if (!s && !d->path[0])
            s = get_str(r, e, "path", d->path, sizeof d->path, NULL);
        if (!s && !d->source_bits && !(s = get_int(r, e, "source_bits", 1, 64, &v, &f)) && f)
            d->source_bits = (unsigned)v;
        if (!s && !d->queries[0])
            s = get_queries(r, e, d);
        if (!s && d->file[0]) {
            FILE *fp = fopen(d->file, "rb");
            char make[256] = "";
            get_str(r, e, "make", make, sizeof make, NULL);
            if (!fp)
                s = fail_at(r, "manifest", "data set '%s': %s not found%s%s", name, d->file,
                            make[0] ? "; make it with " : "", make);
            else
                fclose(fp);
        }
    }
    lua_pop(L, 2);
    return s;
}

/* model = {checkpoint = ..., target = "weights" | "kv", eval_tokens = ... | sequences, tokens,
 * seed, include_embeddings, kv_block, heads, kv_heads, context}: the dataset's cells measure the
 * model (model_eval.h). */
static int read_model(reader *r, int e, model_spec *m, const char *where) {
    lua_State *L = r->L;
    lua_getfield(L, e, "model");
    int t = lua_gettop(L), f, s = QB_OK;
    long long v;
    char target[16] = "weights", w[64];
    *m = model_spec_defaults();
    snprintf(w, sizeof w, "%s.model", where);
    if (!lua_istable(L, t))
        s = fail_at(r, "model",
                    "%s must be a table such as {checkpoint = \"FILE.bin\", target = "
                    "\"kv\"}",
                    w);
    if (!s)
        s = check_keys(r, t, model_keys, COUNT(model_keys), w);
    if (!s && !(s = get_str(r, t, "checkpoint", m->checkpoint, sizeof m->checkpoint, &f)) && !f)
        s = fail_at(r, "model",
                    "%s needs checkpoint = \"FILE\" (a llama2.c .bin or LLaMA safetensors)", w);
    if (!s)
        s = get_str(r, t, "target", target, sizeof target, NULL);
    qb_error te = {0};
    if (!s && model_target_parse(target, &m->target, &te))
        s = fail_at(r, "target", "%s: %s", w, te.msg);
    if (!s)
        s = get_str(r, t, "eval_tokens", m->eval_tokens, sizeof m->eval_tokens, NULL);
    if (!s && !(s = get_int(r, t, "sequences", 1, 1 << 20, &v, &f)) && f)
        m->sequences = (size_t)v;
    if (!s && !(s = get_int(r, t, "tokens", 2, 1 << 20, &v, &f)) && f)
        m->tokens = (size_t)v;
    if (!s && !(s = get_int(r, t, "seed", 0, LLONG_MAX, &v, &f)) && f)
        m->seed = (uint64_t)v;
    if (!s && !(s = get_int(r, t, "kv_block", 1, 1 << 20, &v, &f)) && f)
        m->kv_block = (size_t)v;
    int *hp[] = {&m->hparams.n_heads, &m->hparams.n_kv_heads, &m->hparams.seq_len};
    const char *hp_key[] = {"heads", "kv_heads", "context"};
    for (int k = 0; k < 3 && !s; k++)
        if (!(s = get_int(r, t, hp_key[k], 1, 1 << 20, &v, &f)) && f)
            *hp[k] = (int)v;
    if (!s && m->kv_block && m->target != MODEL_TARGET_KV)
        s = fail_at(r, "kv_block", "%s: kv_block applies to target \"kv\" only", w);
    if (!s) {
        lua_getfield(L, t, "include_embeddings");
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            s = fail_at(r, "include_embeddings", "%s: include_embeddings must be true or false", w);
        m->include_embeddings = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return s;
}

static int read_datasets(reader *r, int t, sweep_config *c) {
    lua_State *L = r->L;
    lua_getfield(L, t, "datasets");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        dataset_spec *d = &c->datasets[0];
        memset(d, 0, sizeof *d);
        strcpy(d->name, "synthetic");
        d->n = 4096;
        d->d = 128;
        c->n_datasets = 1;
        return QB_OK;
    }
    if (!lua_istable(L, -1) || luaL_len(L, -1) < 1 || luaL_len(L, -1) > SWEEP_LIST_MAX) {
        lua_pop(L, 1);
        return fail_at(r, "datasets", "'datasets' must be a list of 1..%d tables", SWEEP_LIST_MAX);
    }
    int s = QB_OK;
    c->n_datasets = (size_t)luaL_len(L, -1);
    for (size_t i = 0; !s && i < c->n_datasets; i++) {
        char where[32];
        snprintf(where, sizeof where, "datasets[%zu]", i + 1);
        lua_geti(L, -1, (lua_Integer)i + 1);
        int e = lua_gettop(L);
        dataset_spec *d = &c->datasets[i];
        memset(d, 0, sizeof *d);
        long long v;
        int f, fn = 0, fd = 0, ff = 0;
        char kind[32] = "";
        if (!lua_istable(L, e))
            s = fail_at(r, "datasets",
                        "%s must be a table such as {name=\"synthetic\", n=4096, "
                        "d=128}",
                        where);
        if (!s)
            s = check_keys(r, e, dataset_keys, COUNT(dataset_keys), where);
        if (!s)
            s = get_str(r, e, "name", d->name, sizeof d->name, &f);
        if (!s)
            s = get_str(r, e, "kind", kind, sizeof kind, NULL);
        if (!s)
            s = get_str(r, e, "file", d->file, sizeof d->file, &ff);
        if (!s)
            s = get_str(r, e, "path", d->path, sizeof d->path, NULL);
        if (!s)
            s = get_queries(r, e, d);
        char man[64] = "";
        if (!s)
            s = get_str(r, e, "manifest", man, sizeof man, &f);
        if (!s && f) {
            if (!d->name[0])
                snprintf(d->name, sizeof d->name, "%s", man);
            s = from_manifest(r, man, d, kind, sizeof kind, &ff);
        }
        lua_getfield(L, e, "model");
        int has_model = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!s && has_model && (ff || kind[0] || d->queries[0]))
            s = fail_at(r, "model", "%s: a model entry takes no file, kind or queries", where);
        if (!s && has_model && !(s = read_model(r, e, &d->model, where)))
            strcpy(kind, "model");
        if (!s && !kind[0])
            strcpy(kind, ff ? "file" : !strcmp(d->name, "gaussian") ? "gaussian" : "synthetic");
        if (!s && !strcmp(kind, "synthetic"))
            d->kind = DATASET_SYNTHETIC;
        else if (!s && !strcmp(kind, "gaussian"))
            d->kind = DATASET_GAUSSIAN;
        else if (!s && !strcmp(kind, "file"))
            d->kind = DATASET_FILE;
        else if (!s && has_model)
            d->kind = DATASET_MODEL;
        else if (!s)
            s = fail_at(r, "kind", "%s: kind must be synthetic, gaussian or file", where);
        if (!s && d->kind == DATASET_FILE && !ff)
            s = fail_at(r, "kind", "%s: a file dataset needs file = \"FILE.h5\"", where);
        if (!s && !d->name[0])
            snprintf(d->name, sizeof d->name, "%s", kind);
        if (!s)
            s = check_name(r, "name", d->name);
        if (!s && (s = get_int(r, e, "n", 1, 1LL << 40, &v, &fn)) == 0 && fn)
            d->n = (size_t)v;
        if (!s && (s = get_int(r, e, "d", 1, 1LL << 30, &v, &fd)) == 0 && fd)
            d->d = (size_t)v;
        if (!s && d->kind < DATASET_FILE && (!fn || !fd))
            s = fail_at(r, "datasets", "%s: generated data needs n and d", where);
        if (!s && (s = get_int(r, e, "rows", 1, 1LL << 40, &v, &f)) == 0 && f)
            d->rows = (size_t)v;
        if (!s && d->rows && d->kind != DATASET_FILE)
            s = fail_at(r, "rows", "%s: rows = N keeps a file's first rows (generated data: n)",
                        where);
        if (!s && d->kind >= DATASET_FILE && (fn || fd))
            s = fail_at(r, fn ? "n" : "d", "%s: a file dataset takes its shape from the file",
                        where);
        d->mu = 0;
        d->sigma = 1;
        if (!s)
            s = get_num(r, e, "mu", &d->mu, NULL);
        if (!s)
            s = get_num(r, e, "sigma", &d->sigma, NULL);
        if (!s && (s = get_int(r, e, "source_bits", 1, 64, &v, &f)) == 0 && f)
            d->source_bits = (unsigned)v;
        if (!s && d->kind == DATASET_GAUSSIAN && !(d->sigma > 0))
            s = fail_at(r, "sigma", "%s: sigma must be positive (got %g)", where, d->sigma);
        /* 40 standard deviations out is as far as the generator ever goes */
        if (!s && d->kind == DATASET_GAUSSIAN && fabs(d->mu) + 40 * d->sigma > FLT_MAX)
            s = fail_at(r, fabs(d->mu) > d->sigma ? "mu" : "sigma",
                        "%s: mu = %g, sigma = %g give values beyond float32's range", where, d->mu,
                        d->sigma);
        if (!s && d->kind != DATASET_GAUSSIAN)
            d->mu = d->sigma = 0;
        long long ms[SWEEP_LIST_MAX];
        if (!s)
            s = get_int_list(r, e, "subspaces", 1, 1 << 20, ms, &d->n_subspaces, &f);
        for (size_t k = 0; !s && k < d->n_subspaces; k++)
            d->subspaces[k] = (size_t)ms[k];
        for (size_t j = 0; !s && j < i; j++)
            if (!strcmp(c->datasets[j].name, d->name))
                s = fail_at(r, "name", "two datasets are named '%s'", d->name);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return s;
}

/* A method entry: a name, or a table of method, label, preset, options and m / l lists. */
static int read_method(reader *r, int e, method_spec *m, const assignments *defaults,
                       const char *where) {
    lua_State *L = r->L;
    assignments none = {.n = 0};
    m->base = quant_params_defaults();
    if (lua_type(L, e) == LUA_TSTRING) {
        const char *name = lua_tostring(L, e);
        int s = method_name(r, "methods", name);
        snprintf(m->label, sizeof m->label, "%s", name);
        return s ? s : resolve(r, &m->base, name, NULL, &none, defaults, where);
    }
    if (!lua_istable(L, e))
        return fail_at(r, "methods", "%s must be a method name or a table", where);
    const char *keys[MAX_KEYS];
    size_t nk = key_list(method_entry_keys, COUNT(method_entry_keys), OPT_METHOD, keys);
    char method[16] = "", preset[16] = "";
    int f, s = check_keys(r, e, keys, nk, where);
    if (!s)
        s = get_str(r, e, "method", method, sizeof method, &f);
    if (!s && !f)
        s = fail_at(r, "methods", "%s needs method = \"...\"", where);
    if (!s)
        s = method_name(r, "method", method);
    if (!s)
        s = get_str(r, e, "label", m->label, sizeof m->label, &f);
    if (!s && !f)
        snprintf(m->label, sizeof m->label, "%s", method);
    if (!s)
        s = get_str(r, e, "preset", preset, sizeof preset, NULL);
    assignments as;
    if (!s)
        s = collect_options(r, e, OPT_METHOD, NULL, 0, &as);
    if (!s)
        s = resolve(r, &m->base, method, preset, &as, defaults, where);
    /* m and l lists: the entry's own, else the preset's value (both beat the experiment's) */
    long long vals[SWEEP_LIST_MAX];
    size_t n = 0;
    if (!s)
        s = get_int_list(r, e, "subspaces", 1, 1 << 20, vals, &n, &f);
    if (!s && f) {
        m->n_subspaces = n;
        for (size_t k = 0; k < n; k++)
            m->subspaces[k] = (size_t)vals[k];
    } else if (!s && options_preset_assigns(method, preset, "subspaces")) {
        m->subspaces[0] = m->base.subspaces;
        m->n_subspaces = 1;
    }
    if (!s)
        s = get_int_list(r, e, "iterations", 0, 30, vals, &n, &f);
    if (!s && f) {
        m->n_iterations = n;
        for (size_t k = 0; k < n; k++)
            m->iterations[k] = (unsigned)vals[k];
    } else if (!s && options_preset_assigns(method, preset, "iterations")) {
        m->iterations[0] = m->base.iterations;
        m->n_iterations = 1;
    }
    return s;
}

static int read_methods(reader *r, int t, sweep_config *c, const assignments *defaults) {
    lua_State *L = r->L;
    lua_getfield(L, t, "methods");
    if (!lua_istable(L, -1) || luaL_len(L, -1) < 1 || luaL_len(L, -1) > SWEEP_LIST_MAX) {
        lua_pop(L, 1);
        return fail_at(r, "methods",
                       "'methods' must be a list of 1..%d methods (names or "
                       "tables)",
                       SWEEP_LIST_MAX);
    }
    int s = QB_OK;
    c->n_methods = (size_t)luaL_len(L, -1);
    for (size_t i = 0; !s && i < c->n_methods; i++) {
        char where[32];
        snprintf(where, sizeof where, "methods[%zu]", i + 1);
        lua_geti(L, -1, (lua_Integer)i + 1);
        method_spec *m = &c->methods[i];
        memset(m, 0, sizeof *m);
        s = read_method(r, lua_gettop(L), m, defaults, where);
        if (!s)
            s = check_name(r, "label", m->label);
        for (size_t j = 0; !s && j < i; j++)
            if (!strcmp(c->methods[j].label, m->label))
                s = fail_at(r, "label", "two methods are labelled '%s' (give each a label)",
                            m->label);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return s;
}

static int read_config(reader *r, int t, sweep_config *c) {
    lua_State *L = r->L;
    int s = check_keys(r, t, top_keys, COUNT(top_keys), "the experiment table");
    if (s)
        return s;
    long long v, vals[SWEEP_LIST_MAX];
    size_t n;
    int f;
    if ((s = get_str(r, t, "name", c->name, sizeof c->name, NULL)) ||
        (s = check_name(r, "name", c->name)))
        return s;
    if ((s = get_int(r, t, "seed", 0, LLONG_MAX, &v, &f)))
        return s;
    if (f)
        c->seed = (uint64_t)v;
    if ((s = get_int(r, t, "seeds", 1, 100000, &v, &f)))
        return s;
    if (f)
        c->seeds = (unsigned)v;
    if ((s = get_int_list(r, t, "subspaces", 1, 1 << 20, vals, &n, &f)))
        return s;
    if (f) {
        c->n_subspaces = n;
        for (size_t k = 0; k < n; k++)
            c->subspaces[k] = (size_t)vals[k];
    }
    if ((s = get_int_list(r, t, "iterations", 0, 30, vals, &n, &f)))
        return s;
    if (f) {
        c->n_iterations = n;
        for (size_t k = 0; k < n; k++)
            c->iterations[k] = (unsigned)vals[k];
    }
    /* ratios: numbers > 1 (a ratio is original bits / stored bits) */
    lua_getfield(L, t, "ratios");
    if (lua_type(L, -1) == LUA_TNUMBER) {
        c->ratios[0] = lua_tonumber(L, -1);
        c->n_ratios = 1;
    } else if (lua_istable(L, -1)) {
        c->n_ratios = (size_t)luaL_len(L, -1);
        if (c->n_ratios < 1 || c->n_ratios > SWEEP_LIST_MAX)
            s = fail_at(r, "ratios", "'ratios' must list 1..%d ratios", SWEEP_LIST_MAX);
        for (size_t k = 0; !s && k < c->n_ratios; k++) {
            lua_geti(L, -1, (lua_Integer)k + 1);
            if (lua_type(L, -1) != LUA_TNUMBER)
                s = fail_at(r, "ratios", "'ratios'[%zu] must be a number", k + 1);
            c->ratios[k] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    } else {
        s = fail_at(r, "ratios", "'ratios' is required: a list of compression ratios");
    }
    lua_pop(L, 1);
    for (size_t k = 0; !s && k < c->n_ratios; k++) {
        if (!(c->ratios[k] > 0) || !isfinite(c->ratios[k]))
            s = fail_at(r, "ratios", "'ratios'[%zu] must be a positive number", k + 1);
        for (size_t j = 0; !s && j < k; j++)
            if (c->ratios[j] == c->ratios[k])
                s = fail_at(r, "ratios", "'ratios' lists %g twice", c->ratios[k]);
    }
    if (s)
        return s;
    /* accounting: "full", "free-imap" or a list of them */
    lua_getfield(L, t, "accounting");
    if (!lua_isnil(L, -1)) {
        int list = lua_istable(L, -1);
        size_t len = list ? (size_t)luaL_len(L, -1) : 1;
        if (len < 1 || len > 2)
            s = fail_at(r, "accounting", "'accounting' lists one or two modes");
        c->n_accounting = len;
        for (size_t k = 0; !s && k < len; k++) {
            if (list)
                lua_geti(L, -1, (lua_Integer)k + 1);
            const char *a = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
            if (accounting_parse(a, &c->accounting[k]))
                s = fail_at(r, "accounting", "accounting must be \"full\" or \"free-imap\"");
            if (list)
                lua_pop(L, 1);
        }
        if (!s && len == 2 && c->accounting[0] == c->accounting[1])
            s = fail_at(r, "accounting", "'accounting' lists the same mode twice");
    }
    lua_pop(L, 1);
    if (s)
        return s;
    /* kmeans defaults for every method that reads them */
    assignments defaults = {.n = 0};
    lua_getfield(L, t, "kmeans");
    if (!lua_isnil(L, -1)) {
        int e = lua_gettop(L);
        if (!lua_istable(L, e))
            s = fail_at(r, "kmeans",
                        "'kmeans' must be a table {init=, iters=, "
                        "max_points_per_centroid=}");
        if (!s)
            s = check_keys(r, e, kmeans_keys, COUNT(kmeans_keys), "kmeans");
        for (size_t k = 0; !s && k < COUNT(kmeans_keys); k++) {
            lua_getfield(L, e, kmeans_keys[k]);
            if (!lua_isnil(L, -1)) {
                const option_def *o = option_find(kmeans_options[k]);
                s = lua_option_text(r, o, kmeans_keys[k], defaults.text[defaults.n],
                                    sizeof defaults.text[defaults.n]);
                quant_params probe = quant_params_defaults();
                qb_error e2 = {0};
                if (!s && option_set(&probe, o, defaults.text[defaults.n], kmeans_keys[k], &e2))
                    s = fail_at(r, kmeans_keys[k], "kmeans.%s", e2.msg);
                defaults.a[defaults.n].opt = o;
                defaults.a[defaults.n].value = defaults.text[defaults.n];
                defaults.n++;
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (s || (s = read_datasets(r, t, c)) || (s = read_methods(r, t, c, &defaults)))
        return s;
    if ((s = get_str(r, t, "baseline", c->baseline, sizeof c->baseline, &f)))
        return s;
    if (!f) {
        for (size_t k = 0; k < c->n_methods; k++)
            if (!strcmp(c->methods[k].label, "pq"))
                strcpy(c->baseline, "pq");
    } else {
        size_t k = 0;
        while (k < c->n_methods && strcmp(c->methods[k].label, c->baseline))
            k++;
        if (k == c->n_methods)
            return fail_at(r, "baseline", "baseline '%s' is not one of the method labels",
                           c->baseline);
    }
    lua_getfield(L, t, "plots");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        s = fail_at(r, "plots", "'plots' must be true or false");
    c->plots = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return s;
}

/* ---- the qet module ---- */

#define QET_MATRIX "qetbench.matrix"

static int l_matrix_gc(lua_State *L) {
    matrix *m = luaL_checkudata(L, 1, QET_MATRIX);
    matrix_free(m);
    return 0;
}

static int l_matrix_index(lua_State *L) {
    matrix *m = luaL_checkudata(L, 1, QET_MATRIX);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "rows") || !strcmp(k, "n"))
        lua_pushinteger(L, (lua_Integer)m->rows);
    else if (!strcmp(k, "cols") || !strcmp(k, "d"))
        lua_pushinteger(L, (lua_Integer)m->cols);
    else
        return luaL_error(L, "a qet matrix has fields n (rows) and d (cols), not '%s'", k);
    return 1;
}

/* Raises a Lua error (with the caller's file:line) from a qb_error. */
static int raise(lua_State *L, const qb_error *e) {
    luaL_where(L, 1);
    lua_pushstring(L, e->msg);
    lua_concat(L, 2);
    return lua_error(L);
}

/* A reader for tables passed to qet.* at run time: errors point at the calling line. */
static void call_reader(lua_State *L, reader *r, qb_error *e) {
    r->L = L;
    r->src = NULL;
    r->err = e;
    r->path = "";
}

static int l_dataset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    reader r;
    qb_error e = {0};
    call_reader(L, &r, &e);
    /* About 180 KB: on the heap, as a userdata, so that no error raised below (ours, Lua's, a
     * metamethod's) can leak it; Lua raises a memory error when it cannot be had. */
    sweep_config *c = lua_newuserdatauv(L, sizeof *c, 0);
    sweep_config_defaults(c);
    /* Reuse the config reader on {datasets = {arg}}. */
    lua_createtable(L, 0, 1);
    lua_createtable(L, 1, 0);
    lua_newtable(L); /* the argument without `seed`, which only qet.dataset takes */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), "seed")) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -4);
    }
    lua_rawseti(L, -2, 1);
    lua_setfield(L, -2, "datasets");
    int s = read_datasets(&r, lua_gettop(L), c);
    long long seed = 1;
    if (!s) {
        lua_getfield(L, 1, "seed");
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0)
            seed = lua_tointeger(L, -1);
        else if (!lua_isnil(L, -1))
            s = qb_fail(&e, "qet.dataset: 'seed' must be a non-negative integer");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (s)
        return raise(L, &e);
    matrix *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, QET_MATRIX);
    unsigned bits;
    lua_sandbox *sb = lua_sandbox_of(L); /* the time making data is not the config's */
    if (sb)
        lua_sandbox_pause(sb);
    s = sweep_load_data(&c->datasets[0], (uint64_t)seed, m, &bits, &e);
    if (sb)
        lua_sandbox_resume(sb);
    if (s)
        return raise(L, &e);
    return 1;
}

/* The result table of qet.quantize: the fields of `qetbench quantize --json` (cell_fields), the
 * bits.* ones as a `bits` subtable. */
static int push_field(const cell_field *f, void *ctx) {
    lua_State *L = ctx;
    int bits = !strncmp(f->name, "bits.", 5);
    if (bits) {
        lua_getfield(L, -1, "bits");
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, "bits");
        }
    }
    if (f->kind == FIELD_TEXT)
        lua_pushstring(L, f->text);
    else if (f->kind == FIELD_INT)
        lua_pushinteger(L, (lua_Integer)strtoull(f->text, NULL, 10));
    else
        lua_pushnumber(L, strtod(f->text, NULL));
    lua_setfield(L, -2, bits ? f->name + 5 : f->name);
    if (bits)
        lua_pop(L, 1);
    return 0;
}

static int l_quantize(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    reader r;
    qb_error e = {0};
    call_reader(L, &r, &e);
    const char *keys[MAX_KEYS];
    size_t nk =
        key_list(quantize_extra_keys, COUNT(quantize_extra_keys), OPT_CELL | OPT_METHOD, keys);
    char method[16] = "pq", preset[16] = "";
    assignments as;
    int s = check_keys(&r, 1, keys, nk, "qet.quantize");
    if (!s)
        s = get_str(&r, 1, "method", method, sizeof method, NULL);
    if (!s)
        s = get_str(&r, 1, "preset", preset, sizeof preset, NULL);
    if (!s)
        s = collect_options(&r, 1, OPT_CELL | OPT_METHOD, NULL, 0, &as);
    quant_params p = quant_params_defaults();
    if (!s)
        s = resolve(&r, &p, method, preset, &as, NULL, "qet.quantize");
    if (!s && p.ratio <= 0 && !p.ks && !p.rtn_bits)
        s = qb_fail(&e, "qet.quantize needs ratio, ks or bits");
    if (s)
        return raise(L, &e);
    lua_getfield(L, 1, "data");
    matrix *x = luaL_testudata(L, -1, QET_MATRIX);
    if (!x)
        return luaL_error(L, "qet.quantize needs data = qet.dataset{...}");
    cell_result cr;
    lua_sandbox *sb = lua_sandbox_of(L); /* measuring is not the config's own time */
    if (sb)
        lua_sandbox_pause(sb);
    s = cell_run(&p, x, &cr, NULL, &e);
    if (sb)
        lua_sandbox_resume(sb);
    if (s)
        return raise(L, &e);
    lua_newtable(L);
    cell_fields(&cr, push_field, L);
    return 1;
}

static int l_methods(lua_State *L) {
    lua_newtable(L);
    for (size_t i = 0; quantizer_at(i); i++) {
        lua_pushstring(L, quantizer_at(i)->name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* qet.available{...}: the entries whose method is built into this binary, in order. Lets one
 * experiment file name methods that other builds may not have yet. */
static int l_available(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_newtable(L);
    lua_Integer out = 1, n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        const char *name = NULL;
        if (lua_type(L, -1) == LUA_TSTRING)
            name = lua_tostring(L, -1);
        else if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "method");
            name = lua_tostring(L, -1);
            lua_pop(L, 1); /* the entry table still holds the string */
        }
        if (name && quantizer_find(name))
            lua_rawseti(L, -2, out++);
        else
            lua_pop(L, 1);
    }
    return 1;
}

static const luaL_Reg qet_functions[] = {{"quantize", l_quantize},
                                         {"dataset", l_dataset},
                                         {"methods", l_methods},
                                         {"available", l_available},
                                         {NULL, NULL}};

static int open_qet(lua_State *L) {
    luaL_newmetatable(L, QET_MATRIX);
    lua_pushcfunction(L, l_matrix_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_matrix_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, qet_functions);
    return 1;
}

/* The file's text, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path) {
    text t = {0};
    if (text_read_file(&t, path) || t.failed) {
        text_free(&t);
        return NULL;
    }
    return t.s;
}

/* ---- running a config: in the sandbox, on a worker thread the caller watches ---- */

typedef struct {
    reader *r;
    sweep_config *c;
    int status;
} read_job;

/* read_config in protected mode: a metamethod of the config's tables (__index, __len) may raise,
 * or run past the time bound, and must not reach Lua's panic handler. */
static int protected_read(lua_State *L) {
    read_job *j = lua_touserdata(L, 2);
    j->status = read_config(j->r, 1, j->c);
    return 0;
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, abandoned;
    char *path;
    lua_config_options o;
    int threads; /* the caller's OpenMP thread count, for qet.quantize */
    lua_sandbox sb;
    sweep_config c;
    int has_sweep, status;
    qb_error err;
} config_job;

static void job_free(config_job *j) {
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    lua_sandbox_destroy(&j->sb);
    free(j->path);
    free(j);
}

/* The error of a failed load or pcall: Lua's message (it names file:line), or the bound on Lua's
 * memory (a memory error has no message handler, so no place). */
static int lua_failed(lua_State *L, int status, const char *path, qb_error *err) {
    lua_sandbox *sb = lua_sandbox_of(L);
    if (status == LUA_ERRMEM && sb)
        return qb_fail(err,
                       "%s: the config used more than %zu MiB of Lua memory (a config is data: "
                       "it needs a few)",
                       path, sb->limits.max_memory >> 20);
    int s = qb_fail(err, "%s", lua_sandbox_message(L, -1));
    for (char *c = err->msg; *c; c++) /* error("a\nb"): still one line */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return s;
}

/* Everything Lua does for one config, on the worker thread. */
static int evaluate(config_job *j) {
    const char *path = j->path;
    sweep_config *c = &j->c;
    qb_error *err = &j->err;
    reader r = {NULL, path, slurp(path), err};
    if (!r.src)
        return qb_fail(err, "cannot read %s", path);
    lua_State *L = lua_sandbox_new(&j->sb);
    if (!L) {
        free(r.src);
        return qb_oom(err);
    }
    r.L = L;
    int s = QB_OK;
    lua_pushcfunction(L, lua_sandbox_msgh);
    int msgh = lua_gettop(L);
    luaL_requiref(L, "qet", open_qet, 1); /* global `qet`, and require("qet") works too */
    lua_pop(L, 1);
    /* require finds Lua modules beside the config, or here */
    const char *slash = strrchr(path, '/');
    if (slash)
        lua_pushlstring(L, path, (size_t)(slash - path));
    else
        lua_pushliteral(L, ".");
    const char *folder = lua_tostring(L, -1);
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;./?.lua;./?/init.lua", folder, folder);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_SANDBOX_PATH);
    lua_pop(L, 1);
    int st = luaL_loadfilex(L, path, "t");
    if (st == LUA_OK)
        st = lua_pcall(L, 0, 1, msgh);
    if (st != LUA_OK) {
        /* Lua's message already starts with file:line. */
        s = lua_failed(L, st, path, err);
    } else if (lua_istable(L, -1)) {
        /* Default name: the file's base name without .lua. */
        const char *base = strrchr(path, '/');
        snprintf(c->name, sizeof c->name, "%s", base ? base + 1 : path);
        char *dot = strrchr(c->name, '.');
        if (dot && !strcmp(dot, ".lua"))
            *dot = 0;
        read_job rj = {&r, c, QB_OK};
        lua_pushcfunction(L, protected_read);
        lua_insert(L, -2);
        lua_pushlightuserdata(L, &rj);
        st = lua_pcall(L, 2, 0, msgh);
        s = st ? lua_failed(L, st, path, err) : rj.status;
        uint64_t cells = s ? 0 : sweep_cell_count(c);
        if (!s && cells > j->o.max_cells)
            s = qb_fail(err,
                        "%s:%d: the experiment has %llu cells, more than the bound of %llu "
                        "(qetbench run --max-cells N raises it); nothing was run",
                        path, line_of(&r, NULL), (unsigned long long)cells,
                        (unsigned long long)j->o.max_cells);
        j->has_sweep = !s;
    } else if (!lua_isnil(L, -1)) {
        s = qb_fail(err, "%s:%d: the script must return the experiment table (or nothing)", path,
                    line_of(&r, NULL));
    }
    lua_close(L);
    free(r.src);
    return s;
}

static void *config_worker(void *arg) {
    config_job *j = arg;
#ifdef _OPENMP
    omp_set_num_threads(j->threads);
#endif
    int s = evaluate(j);
    pthread_mutex_lock(&j->mu);
    j->status = s;
    j->done = 1;
    int orphan = j->abandoned;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (orphan) /* the caller gave up on it: nobody else will */
        job_free(j);
    return NULL;
}

int lua_config_run_with(const char *path, const lua_config_options *o, sweep_config *c,
                        int *has_sweep, qb_error *err) {
    sweep_config_defaults(c);
    *has_sweep = 0;
    config_job *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return qb_oom(err);
    }
    j->o = *o;
    if (!j->o.max_cells)
        j->o.max_cells = LUA_CONFIG_MAX_CELLS;
    lua_sandbox_limits lim = {o->unsafe, o->max_seconds, 0};
    lua_sandbox_init(&j->sb, &lim);
    sweep_config_defaults(&j->c);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
#ifdef _OPENMP
    j->threads = omp_get_max_threads();
#endif
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int made = pthread_create(&t, &attr, config_worker, j) == 0;
    pthread_attr_destroy(&attr);
    if (!made) {
        job_free(j);
        return qb_internal(err, "cannot start a thread for the config");
    }
    /* The hook stops Lua code once its time is up; this watch stops what the hook cannot see:
     * one long call into a library (a backtracking string pattern) or a __gc finalizer. */
    const double grace = 2;
    pthread_mutex_lock(&j->mu);
    while (!j->done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&j->cv, &j->mu, &until);
        if (!j->done && lua_sandbox_seconds(&j->sb) > j->sb.limits.max_seconds + grace) {
            atomic_store(&j->sb.stop, 1);
            j->abandoned = 1; /* the worker frees the job if it ever finishes */
            pthread_mutex_unlock(&j->mu);
            return qb_fail(err,
                           "%s: the config ran longer than %g s, inside one library call or a "
                           "__gc finalizer, where it cannot be interrupted (qetbench run "
                           "--config-seconds S raises the bound); stopped",
                           path, j->sb.limits.max_seconds);
        }
    }
    pthread_mutex_unlock(&j->mu);
    int s = j->status;
    if (s)
        *err = j->err;
    else
        *c = j->c;
    *has_sweep = j->has_sweep;
    job_free(j);
    return s;
}

int lua_config_run(const char *path, sweep_config *c, int *has_sweep, qb_error *err) {
    lua_config_options o = {0};
    return lua_config_run_with(path, &o, c, has_sweep, err);
}
