/* sizes.c - the memory bound: where it comes from and how it is reported. */
#include "sizes.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t override; /* size_set_memory_bound; 0: none */

void size_set_memory_bound(uint64_t bytes) {
    override = bytes;
}

/* "8G", "512M", "1T", "123": bytes; 0 when it is not a size. */
static uint64_t parse_size(const char *s) {
    char *end;
    if (!s || *s < '0' || *s > '9')
        return 0;
    double v = strtod(s, &end);
    double unit = 1;
    switch (*end) {
    case 'T':
    case 't':
        unit *= 1024;
        /* fall through */
    case 'G':
    case 'g':
        unit *= 1024;
        /* fall through */
    case 'M':
    case 'm':
        unit *= 1024;
        /* fall through */
    case 'K':
    case 'k':
        unit *= 1024;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    v *= unit;
    return *end || !(v >= 1 && v < 1.8e19) ? 0 : (uint64_t)v;
}

static uint64_t physical_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return UINT64_MAX;
    return (uint64_t)pages * (uint64_t)page;
}

uint64_t size_memory_bound(void) {
    if (override)
        return override;
    uint64_t env = parse_size(getenv("QETBENCH_MAX_MEMORY"));
    return env ? env : physical_memory();
}

void size_format(uint64_t bytes, char *buf, size_t len) {
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof unit / sizeof *unit) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.1f %s", v, unit[u]);
}

int size_check_memory(const char *what, uint64_t bytes, qb_error *err) {
    const char *env = getenv("QETBENCH_MAX_MEMORY");
    if (!override && env && *env && !parse_size(env))
        return qb_fail(err, "QETBENCH_MAX_MEMORY='%s' is not a size (write e.g. 8G or 512M)", env);
    uint64_t bound = size_memory_bound();
    if (bytes <= bound)
        return QB_OK;
    char need[32], have[32];
    size_format(bytes, need, sizeof need);
    size_format(bound, have, sizeof have);
    return qb_fail(err,
                   "%s needs %s (%llu bytes), more than the memory bound of %s (%s; "
                   "QETBENCH_MAX_MEMORY=SIZE sets another)",
                   what, need, (unsigned long long)bytes, have,
                   override      ? "set by the program"
                   : env && *env ? "QETBENCH_MAX_MEMORY"
                                 : "the machine's memory");
}
