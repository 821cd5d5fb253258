/* lua_api.h - experiment files in embedded Lua 5.4: the config table a script returns, checked
 * strictly (errors name file:line, unknown keys get the nearest valid key), and the `qet` module
 * scripts call for custom studies (qet.quantize, qet.dataset, qet.methods, qet.available).
 *
 * Typical use:
 *     sweep_config c; int has_sweep;
 *     if (lua_config_run("experiments/quick.lua", &c, &has_sweep, &err)) ... // file:line: message
 *     if (has_sweep) sweep_run(&c, &opts, &err); */
#ifndef QB_LUA_API_H
#define QB_LUA_API_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sweep.h"

/* How a config runs (lua_sandbox.h): sandboxed unless `unsafe`, for at most max_seconds of its
 * own Lua code (0: 10 s), and a sweep of at most max_cells cells (0: LUA_CONFIG_MAX_CELLS). */
typedef struct {
    int unsafe;
    double max_seconds;
    uint64_t max_cells;
} lua_config_options;
#define LUA_CONFIG_MAX_CELLS 1000000

/* Runs the script; when it returns a table, checks it into *c and sets *has_sweep. A script
 * that returns nothing (a custom study that used the qet module) leaves *has_sweep 0. Every
 * error -- a Lua error (also one a metamethod raises while the table is read), a removed
 * function, the time or memory bound, too many cells -- is QB_EINPUT with file:line. */
int lua_config_run_with(const char *path, const lua_config_options *o, sweep_config *c,
                        int *has_sweep, qb_error *err);
/* The same with the default bounds, sandboxed. */
int lua_config_run(const char *path, sweep_config *c, int *has_sweep, qb_error *err);

/* Levenshtein distance (for "did you mean"). */
size_t lua_edit_distance(const char *a, const char *b);
/* The candidate nearest to `word`, or NULL if none is close (distance > max(2, len/2)). */
const char *lua_nearest(const char *word, const char *const *candidates, size_t n);

#endif
