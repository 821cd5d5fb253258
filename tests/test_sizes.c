/* test_sizes.c - declared sizes: products that would wrap 64 bits, headers promising more than
 * their file holds, and sizes beyond the memory bound, in every reader. Each case was a crash, an
 * out-of-memory exit or a silent acceptance before; each must now be QB_EINPUT naming the
 * problem, with nothing allocated. */
#define _FILE_OFFSET_BITS 64
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "fvecs.h"
#include "idx.h"
#include "llama2c.h"
#include "safetensors.h"
#include "sizes.h"
#include "wink.h"

static void put(const char *path, const void *a, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(a, 1, n, f);
    fclose(f);
}

/* Makes the file `extra` bytes longer, sparsely: it holds what its header declares. */
static int grow(const char *path, long long extra) {
    FILE *f = fopen(path, "rb");
    if (!f || fseeko(f, 0, SEEK_END) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    long long size = (long long)ftello(f);
    fclose(f);
    return truncate(path, size + extra);
}

/* A v1 .npy file: the header dictionary padded to 64 bytes, then `data`. */
static void put_npy(const char *path, const char *dict, const void *data, size_t nd) {
    char buf[256];
    size_t dl = strlen(dict), total = 10 + dl + 1, pad = (64 - total % 64) % 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((dl + 1 + pad) & 0xff);
    buf[9] = (char)((dl + 1 + pad) >> 8);
    memcpy(buf + 10, dict, dl);
    memset(buf + 10 + dl, ' ', pad);
    buf[10 + dl + pad] = '\n';
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, total + pad, f);
    if (nd)
        fwrite(data, 1, nd, f);
    fclose(f);
}

/* Expects QB_EINPUT with `msg` in the message and no matrix. */
#define REFUSED(call, want)                                                                        \
    do {                                                                                           \
        qb_error e_ = {0};                                                                         \
        matrix m_ = {0};                                                                           \
        int s_ = (call);                                                                           \
        CHECK_MSG(s_ == QB_EINPUT && strstr(e_.msg, want) && !m_.data, "%s -> %d: %s", #call, s_,  \
                  e_.msg);                                                                         \
        matrix_free(&m_);                                                                          \
    } while (0)

static void test_arithmetic(void) {
    uint64_t r = 7;
    CHECK(size_mul(1ull << 32, 1ull << 32, &r) == -1);
    CHECK(size_mul3(1ull << 40, 1ull << 24, 1, &r) == -1); /* the .npy case: exactly 2^64 */
    CHECK(size_mul3(1ull << 20, 1ull << 20, 4, &r) == 0 && r == 1ull << 42);
    CHECK(size_add(UINT64_MAX, 1, &r) == -1);
    matrix m;
    qb_error err = {0};
    CHECK(matrix_alloc(&m, (size_t)1 << 40, (size_t)1 << 24, &err) == QB_EINPUT &&
          strstr(err.msg, "overflows"));
    size_set_memory_bound(1 << 20);
    CHECK(matrix_alloc(&m, 1024, 1024, &err) == QB_EINPUT && strstr(err.msg, "memory bound") &&
          strstr(err.msg, "4.0 MiB") && !m.data);
    CHECK_OK(matrix_alloc(&m, 256, 256, &err), &err);
    matrix_free(&m);
    size_set_memory_bound(0);
    setenv("QETBENCH_MAX_MEMORY", "2M", 1);
    CHECK(size_memory_bound() == 2u << 20);
    CHECK(matrix_alloc(&m, 1024, 1024, &err) == QB_EINPUT &&
          strstr(err.msg, "QETBENCH_MAX_MEMORY"));
    setenv("QETBENCH_MAX_MEMORY", "lots", 1);
    CHECK(matrix_alloc(&m, 2, 2, &err) == QB_EINPUT && strstr(err.msg, "not a size"));
    unsetenv("QETBENCH_MAX_MEMORY");
    CHECK(size_memory_bound() > (64u << 20)); /* the machine's memory */
}

static void test_npy(void) {
    const char *p = "test_sizes.npy";
    unsigned bits;
    /* rows x columns x element size = 2^40 * 2^24 * 1 = 2^64: wrapped to 0, the header passed
     * the file-size check and the Fortran transpose read far past its buffers (SIGSEGV). */
    put_npy(p, "{'descr': '|u1', 'fortran_order': True, 'shape': (1099511627776, 16777216), }",
            NULL, 0);
    REFUSED(fvecs_read(p, 1, &m_, &bits, &e_), "overflows");
    put_npy(p, "{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627776, 16777216), }",
            NULL, 0);
    REFUSED(fvecs_read(p, 1, &m_, &bits, &e_), "overflows");
    put_npy(p, "{'descr': '<f8', 'fortran_order': True, 'shape': (549755813888, 4194304), }", NULL,
            0);
    REFUSED(fvecs_read(p, 0, &m_, &bits, &e_), "overflows");
    /* A sparse file holding what its header says: the memory bound stops it before allocating. */
    put_npy(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 64), }", NULL, 0);
    CHECK(grow(p, 4ll * 1048576 * 64) == 0);
    size_set_memory_bound(16 << 20);
    REFUSED(fvecs_read(p, 0, &m_, &bits, &e_), "memory bound");
    size_set_memory_bound(0);
    unlink(p);
}

static void test_fbin(void) {
    const char *p = "test_sizes.fbin";
    unsigned bits;
    uint32_t hd[2] = {1u << 20, 64};
    put(p, hd, 8);
    CHECK(grow(p, 4ll * (1 << 20) * 64) == 0);
    size_set_memory_bound(16 << 20);
    REFUSED(fvecs_read(p, 0, &m_, &bits, &e_), "memory bound");
    size_set_memory_bound(0);
    int32_t vecs[3] = {INT32_MIN, 0, 0};
    put("test_sizes.fvecs", vecs, sizeof vecs);
    REFUSED(fvecs_read("test_sizes.fvecs", 0, &m_, &bits, &e_), "dimension is -2147483648");
    unlink("test_sizes.fvecs");
    unlink(p);
}

/* A safetensors file: u64 header length, header, data bytes. */
static void put_st(const char *path, const char *header, size_t data_bytes) {
    size_t hl = strlen(header);
    unsigned char *buf = calloc(1, 8 + hl + data_bytes);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    put(path, buf, 8 + hl + data_bytes);
    free(buf);
}

static void test_safetensors(void) {
    const char *p = "test_sizes.safetensors";
    safetensors_file sf;
    struct {
        const char *header;
        size_t data;
        const char *msg;
    } bad[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}",
         24, "overlapping"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
         16, "overlapping"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}", 24, "gap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 20,
         "after the last"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}xyz", 16,
         "after the header's closing brace"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[4,8]}}",
         8, "twice"},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0,
         "impossibly large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        put_st(p, bad[i].header, bad[i].data);
        qb_error e = {0};
        CHECK_MSG(safetensors_open(p, &sf, &e) == QB_EINPUT && strstr(e.msg, bad[i].msg),
                  "case %zu: %s", i, e.msg);
    }
    /* Spaces after the header are the format's padding, not garbage. */
    qb_error err = {0};
    put_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}    ", 16);
    CHECK_OK(safetensors_open(p, &sf, &err), &err);
    safetensors_close(&sf);
    /* 1 GiB declared, held by a sparse file: the bound refuses it, naming the tensor. */
    put_st(p,
           "{\"w\":{\"dtype\":\"BF16\",\"shape\":[32768,16384],\"data_offsets\":[0,1073741824]}}",
           0);
    CHECK(grow(p, 1073741824ll) == 0);
    if (safetensors_open(p, &sf, &err) == QB_OK) {
        size_set_memory_bound(64 << 20);
        REFUSED(safetensors_read(&sf, 0, &m_, &e_), "tensor 'w'");
        size_set_memory_bound(0);
        safetensors_close(&sf);
    } else {
        CHECK_MSG(0, "%s", err.msg);
    }
    unlink(p);
}

static void test_llama2c(void) {
    const char *p = "test_sizes.bin";
    /* Every field at INT32_MIN: negating field 5 (the vocabulary) was undefined behaviour. */
    for (int field = 0; field < 7; field++) {
        int32_t h[7] = {64, 172, 5, 8, 4, 512, 512};
        h[field] = INT32_MIN;
        put(p, h, sizeof h);
        llama2c_config c;
        qb_error e = {0};
        CHECK_MSG(llama2c_read_config(p, &c, &e) == QB_EINPUT && strstr(e.msg, "-2147483648"),
                  "field %d: %s", field, e.msg);
    }
    unlink(p);
}

static void test_idx(void) {
    const char *p = "test_sizes.idx";
    matrix m = {0};
    size_t dims[3];
    /* 4 billion items of 64 x 64 in a 28-byte file. */
    unsigned char h[28] = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 64, 0, 0, 0, 64};
    put(p, h, sizeof h);
    REFUSED(idx_read(p, 0, &m_, dims, &e_), "more than its 28 bytes");
    /* Compressed, the same header may promise at most about 1032 bytes per byte. */
    gzFile g = gzopen(p, "wb");
    gzwrite(g, h, sizeof h);
    gzclose(g);
    REFUSED(idx_read(p, 0, &m_, dims, &e_), "compressed");
    unlink(p);
    (void)m;
}

static void test_wink(void) {
    const char *p = "test_sizes.json";
    const char *j = "{\"dimensions\":100000000,\"size\":100000000,\"l2NormIndex\":100000000,"
                    "\"wordIndex\":100000001,\"vectors\":{\"a\":[1]}}";
    put(p, j, strlen(j));
    wink_info info;
    REFUSED(wink_read(p, 0, &m_, &info, &e_), "more than its");
    unlink(p);
}

int main(void) {
    test_arithmetic();
    test_npy();
    test_fbin();
    test_safetensors();
    test_llama2c();
    test_idx();
    test_wink();
    return check_done("sizes");
}
