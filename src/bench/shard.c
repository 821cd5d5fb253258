/* shard.c - DIR/shard.cells: one header line, then the shard's keys one per line.
 *   # qetbench shard 1/3: 46 of 138 cells, keys 0123456789abcdef, experiment NAME */
#include "shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

int shard_owns(const char *key, unsigned shard, unsigned shards) {
    return shards <= 1 || rng_hash_string(key) % shards == shard;
}

/* Order-sensitive: the same keys in another order are another list. */
static uint64_t keys_hash(char *const *keys, size_t n) {
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h = rng_derive(h, rng_hash_string(keys[i]), 0);
    return h;
}

void shard_plan_free(shard_plan *p) {
    free(p->keys);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

int shard_plan_make(const char *experiment, const char *const *keys, size_t n, unsigned shard,
                    unsigned shards, shard_plan *p, qb_error *err) {
    memset(p, 0, sizeof *p);
    p->shard = shard;
    p->shards = shards;
    p->total = n;
    snprintf(p->experiment, sizeof p->experiment, "%s", experiment);
    size_t bytes = 1;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(keys[i]) + 1;
    p->buf = malloc(bytes);
    p->keys = malloc((n + 1) * sizeof *p->keys);
    if (!p->buf || !p->keys) {
        shard_plan_free(p);
        return qb_oom(err);
    }
    char *at = p->buf;
    for (size_t i = 0; i < n; i++) {
        if (!shard_owns(keys[i], shard, shards))
            continue;
        size_t len = strlen(keys[i]) + 1;
        memcpy(at, keys[i], len);
        p->keys[p->n_keys++] = at;
        at += len;
    }
    return QB_OK;
}

int shard_plan_write(const char *dir, const shard_plan *p, qb_error *err) {
    size_t cap = 256, at;
    for (size_t i = 0; i < p->n_keys; i++)
        cap += strlen(p->keys[i]) + 1;
    char head[256];
    int hl = snprintf(
        head, sizeof head,
        "# qetbench shard %u/%u: %zu of %zu cells, keys %016" PRIx64 ", experiment %s\n", p->shard,
        p->shards, p->n_keys, p->total, keys_hash(p->keys, p->n_keys), p->experiment);
    if (hl < 0 || (size_t)hl >= sizeof head)
        return qb_internal(err, "shard plan header too long");
    char *text = malloc(cap);
    if (!text)
        return qb_oom(err);
    memcpy(text, head, (size_t)hl);
    at = (size_t)hl;
    for (size_t i = 0; i < p->n_keys; i++) {
        size_t len = strlen(p->keys[i]);
        memcpy(text + at, p->keys[i], len);
        at += len;
        text[at++] = '\n';
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, SHARD_PLAN_FILE);
    int s = results_write_text(path, text, at, err);
    free(text);
    return s;
}

/* The whole file, NUL-terminated; NULL with errno set. */
static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (!fseek(f, 0, SEEK_END)) {
        long n = ftell(f);
        if (n >= 0 && !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n + 1))) {
            *len = fread(buf, 1, (size_t)n, f);
            buf[*len] = 0;
        }
    }
    fclose(f);
    if (!buf)
        errno = ENOMEM;
    return buf;
}

int shard_plan_read(const char *dir, shard_plan *p, int *found, qb_error *err) {
    memset(p, 0, sizeof *p);
    *found = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, SHARD_PLAN_FILE);
    size_t len = 0;
    p->buf = read_all(path, &len);
    if (!p->buf)
        return errno == ENOENT ? QB_OK : qb_fail(err, "cannot read %s: %s", path, strerror(errno));
    *found = 1;
    uint64_t want = 0;
    size_t count = 0;
    int name_at = 0;
    char *nl = strchr(p->buf, '\n');
    if (!nl ||
        sscanf(p->buf,
               "# qetbench shard %u/%u: %zu of %zu cells, keys %16" SCNx64 ", experiment %n",
               &p->shard, &p->shards, &count, &p->total, &want, &name_at) != 5 ||
        !name_at) {
        shard_plan_free(p);
        return qb_fail(err, "%s: not a shard plan (its first line is not the header)", path);
    }
    *nl = 0;
    snprintf(p->experiment, sizeof p->experiment, "%s", p->buf + name_at);
    /* At most one key per remaining line. */
    size_t lines = 0;
    for (char *c = nl + 1; *c; c++)
        lines += *c == '\n';
    p->keys = malloc((lines + 1) * sizeof *p->keys);
    if (!p->keys) {
        shard_plan_free(p);
        return qb_oom(err);
    }
    for (char *c = nl + 1; (nl = strchr(c, '\n')); c = nl + 1) {
        *nl = 0;
        p->keys[p->n_keys++] = c;
    }
    if (p->n_keys != count || keys_hash(p->keys, p->n_keys) != want) {
        size_t got = p->n_keys;
        shard_plan_free(p);
        return qb_fail(err,
                       "%s is damaged: it lists %zu keys of the %zu its header counts, or keys "
                       "other than those it hashed; run the shard again to rewrite it",
                       path, got, count);
    }
    return QB_OK;
}

size_t shard_plan_missing(const shard_plan *p, const result_table *t, const char **first,
                          size_t max) {
    size_t missing = 0;
    for (size_t i = 0; i < p->n_keys; i++)
        if (result_table_find(t, p->keys[i]) < 0) {
            if (missing < max)
                first[missing] = p->keys[i];
            missing++;
        }
    return missing;
}
