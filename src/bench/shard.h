/* shard.h - the cells a shard owns, recorded in its directory. `qetbench run --shard I/N` writes
 * DIR/shard.cells before it runs any cell: the shard's keys, their count and a hash of them. A
 * merge checks a shard against it, so a shard that stopped early (killed, cancelled, its rows
 * truncated) is never taken for a whole one. */
#ifndef QB_SHARD_H
#define QB_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "results.h"

#define SHARD_PLAN_FILE "shard.cells"

typedef struct {
    unsigned shard, shards;
    size_t total; /* cells of the whole sweep */
    char experiment[64];
    char **keys; /* this shard's cells, in sweep order */
    size_t n_keys;
    char *buf; /* the keys' storage */
} shard_plan;

/* Whether a cell is shard I's of N: its key hash mod N (every cell when N <= 1). */
int shard_owns(const char *key, unsigned shard, unsigned shards);

/* The plan of shard I of N of a sweep whose cells have these keys (in sweep order). */
int shard_plan_make(const char *experiment, const char *const *keys, size_t n, unsigned shard,
                    unsigned shards, shard_plan *p, qb_error *err);
/* Writes DIR/shard.cells atomically. */
int shard_plan_write(const char *dir, const shard_plan *p, qb_error *err);
/* Reads DIR/shard.cells; none there: *found = 0 and QB_OK. A file whose keys do not match its
 * count or hash (cut short, edited) is an error. */
int shard_plan_read(const char *dir, shard_plan *p, int *found, qb_error *err);
void shard_plan_free(shard_plan *p);

/* How many of the plan's cells t lacks; the first (at most max) of them into first[]. */
size_t shard_plan_missing(const shard_plan *p, const result_table *t, const char **first,
                          size_t max);

#endif
