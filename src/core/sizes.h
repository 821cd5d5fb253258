/* sizes.h - size arithmetic that cannot wrap, and the memory bound a declared size is checked
 * against before anything is allocated. A file's header may say anything: every product of its
 * numbers is computed here, checked, or not at all. */
#ifndef QB_SIZES_H
#define QB_SIZES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* *out = a * b (a * b * c); 0 when it fits in 64 bits, -1 when it wraps (*out then unset). */
static inline int size_mul(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}
static inline int size_mul3(uint64_t a, uint64_t b, uint64_t c, uint64_t *out) {
    uint64_t ab;
    return size_mul(a, b, &ab) || size_mul(ab, c, out) ? -1 : 0;
}
static inline int size_add(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

/* The most bytes one declared size may ask for: QETBENCH_MAX_MEMORY (a number of bytes, or with
 * a K, M, G or T suffix), else the machine's physical memory. */
uint64_t size_memory_bound(void);
/* Replaces the bound (0: back to the default); fuzz targets and tests use a small one. */
void size_set_memory_bound(uint64_t bytes);
/* QB_EINPUT naming `what`, its size and the bound when `bytes` exceeds the bound (or when
 * QETBENCH_MAX_MEMORY is not a size). */
int size_check_memory(const char *what, uint64_t bytes, qb_error *err);
/* "1.5 GiB" */
void size_format(uint64_t bytes, char *buf, size_t len);

#endif
