/* sha256.h - SHA-256 (FIPS 180-4) of buffers and files: shipped and fetched data are checked
 * against their published checksums before anything is built from them. */
#ifndef QB_SHA256_H
#define QB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    uint32_t h[8];
    uint64_t bytes;    /* message length so far */
    uint8_t block[64]; /* pending partial block */
    size_t used;       /* bytes in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t digest[32]);
/* Lower-case hex digest of a whole file. */
int sha256_file_hex(const char *path, char hex[65], qb_error *err);
/* Checks `path` against a SHA256SUMS file in its folder ("HEX  NAME" lines). *checked = 1 when the
 * list names the file and the digest matches; 0 when there is no list or no line for it; a
 * mismatch is a QB_EINPUT error. */
int sha256_verify_beside(const char *path, int *checked, qb_error *err);

#endif
