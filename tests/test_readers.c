/* test_readers.c - safetensors (F32, F16, BF16) and vector files (.fvecs, .bvecs, .fbin, .npy)
 * on small files the test writes byte by byte, including truncated and malformed ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fvecs.h"
#include "h5io.h"
#include "safetensors.h"
#include "wink.h"

static void write_bytes(const char *path, const void *a, size_t na, const void *b, size_t nb) {
    FILE *f = fopen(path, "wb");
    fwrite(a, 1, na, f);
    if (b)
        fwrite(b, 1, nb, f);
    fclose(f);
}

/* A safetensors file: u64 header length, header, data. */
static void write_st(const char *path, const char *header, const void *data, size_t nd) {
    size_t hl = strlen(header);
    unsigned char *buf = malloc(8 + hl + nd);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    memcpy(buf + 8 + hl, data, nd);
    write_bytes(path, buf, 8 + hl + nd, NULL, 0);
    free(buf);
}

static void test_half_conversions(void) {
    /* Hand-decoded halves: 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal), -0. */
    CHECK(safetensors_f16_to_f32(0x3c00) == 1.0f);
    CHECK(safetensors_f16_to_f32(0xc000) == -2.0f);
    CHECK(safetensors_f16_to_f32(0x3800) == 0.5f);
    CHECK(safetensors_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(safetensors_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    CHECK(safetensors_f16_to_f32(0x03ff) == ldexpf(1023.0f, -24));
    CHECK(safetensors_f16_to_f32(0x8000) == 0.0f && signbit(safetensors_f16_to_f32(0x8000)));
    CHECK(isinf(safetensors_f16_to_f32(0x7c00)) && isnan(safetensors_f16_to_f32(0x7e00)));
    /* bfloat16 is the top half of a float32: 1, -3.5, 0.15625 exactly. */
    CHECK(safetensors_bf16_to_f32(0x3f80) == 1.0f);
    CHECK(safetensors_bf16_to_f32(0xc060) == -3.5f);
    CHECK(safetensors_bf16_to_f32(0x3e20) == 0.15625f);
}

static void test_safetensors(void) {
    qb_error err = {0};
    const char *path = "test_readers.safetensors", *out = "test_readers_st.h5";
    /* a: F32 (2,3) at 0..24; b: F16 (2,2) at 24..32; c: BF16 (1,3) at 32..38; n: F32 (2) 1-D. */
    unsigned char data[46];
    float a[6] = {1, 2, 3, -4, 5.5f, 6};
    uint16_t b[4] = {0x3c00, 0xc000, 0x3800, 0x7bff}, c[3] = {0x3f80, 0xc060, 0x3e20};
    float n[2] = {7, 8};
    memcpy(data, a, 24);
    memcpy(data + 24, b, 8);
    memcpy(data + 32, c, 6);
    memcpy(data + 38, n, 8);
    const char *hdr =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"model.layers.0.a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        " \"b\" : {\"shape\": [2, 2], \"dtype\": \"F16\", \"data_offsets\": [24, 32]},"
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,3],\"data_offsets\":[32,38]},"
        "\"norm\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[38,46]}}   ";
    write_st(path, hdr, data, sizeof data);
    safetensors_file sf;
    CHECK_OK(safetensors_open(path, &sf, &err), &err);
    CHECK(sf.n == 4);
    matrix m;
    CHECK_OK(safetensors_read(&sf, 1, &m, &err), &err);
    CHECK(m.rows == 2 && m.cols == 2 && m.data[0] == 1.0f && m.data[1] == -2.0f &&
          m.data[2] == 0.5f && m.data[3] == 65504.0f);
    matrix_free(&m);
    CHECK_OK(safetensors_read(&sf, 3, &m, &err), &err);
    CHECK(m.rows == 1 && m.cols == 2 && m.data[1] == 8.0f);
    matrix_free(&m);
    safetensors_close(&sf);

    CHECK_OK(safetensors_to_h5(path, out, "test", "test", &err), &err);
    unsigned bits = 0;
    CHECK_OK(h5_read_matrix("test_readers_st.h5:/model/layers/0/a/weight", &m, &bits, &err), &err);
    CHECK(m.rows == 2 && m.cols == 3 && bits == 32 && !memcmp(m.data, a, sizeof a));
    matrix_free(&m);
    CHECK_OK(h5_read_matrix("test_readers_st.h5:/b", &m, &bits, &err), &err);
    CHECK(bits == 16 && m.data[3] == 65504.0f);
    matrix_free(&m);
    CHECK_OK(h5_read_matrix("test_readers_st.h5:/c", &m, &bits, &err), &err);
    CHECK(bits == 16 && m.rows == 1 && m.cols == 3 && m.data[1] == -3.5f && m.data[2] == 0.15625f);
    matrix_free(&m);
    CHECK(h5_read_matrix("test_readers_st.h5:/norm", &m, &bits, &err) != 0); /* 1-D: skipped */
    unlink(out);

    /* Malformed and truncated files: a clear error, no output file. */
    struct {
        const char *header;
        size_t nd;
        const char *msg;
    } bad[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 20, "truncated"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,24]}}", 24, "needs 16"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", 24, "expected"},
        {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24, "dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", 24, "lacks"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}}", 24, "integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_st(path, bad[i].header, data, bad[i].nd);
        qb_error e = {0};
        CHECK(safetensors_to_h5(path, out, NULL, NULL, &e) == QB_EINPUT);
        CHECK_MSG(strstr(e.msg, bad[i].msg), "case %zu: %s", i, e.msg);
        CHECK(access(out, F_OK) != 0);
    }
    unsigned char huge[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    write_bytes(path, huge, 8, "{}", 2);
    CHECK(safetensors_open(path, &sf, &err) == QB_EINPUT && strstr(err.msg, "not a safetensors"));
    write_bytes(path, huge, 5, NULL, 0);
    CHECK(safetensors_open(path, &sf, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    unlink(path);
}

static void test_vecs(void) {
    qb_error err = {0};
    matrix m, r;
    unsigned bits;
    CHECK_OK(matrix_alloc(&m, 5, 3, &err), &err);
    for (size_t i = 0; i < 15; i++)
        m.data[i] = (float)i * 0.25f - 1.0f;
    /* .fvecs and .fbin round trips are exact; max_rows keeps the first rows. */
    const char *names[] = {"test_readers.fvecs", "test_readers.fbin"};
    for (int k = 0; k < 2; k++) {
        CHECK_OK(fvecs_write(names[k], &m, &err), &err);
        CHECK_OK(fvecs_read(names[k], 0, &r, &bits, &err), &err);
        CHECK(r.rows == 5 && r.cols == 3 && bits == 32 && !memcmp(r.data, m.data, 60));
        matrix_free(&r);
        CHECK_OK(fvecs_read(names[k], 2, &r, &bits, &err), &err);
        CHECK(r.rows == 2 && !memcmp(r.data, m.data, 24));
        matrix_free(&r);
    }
    /* A truncated .fvecs (last row cut) and a mixed-dimension one are refused. */
    CHECK(truncate(names[0], 5 * 16 - 4) == 0);
    CHECK(fvecs_read(names[0], 0, &r, &bits, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    {
        unsigned char buf[24];
        int32_t d2 = 2, d1 = 3; /* a second row claiming d = 3 in a 24-byte file */
        float z = 0;
        memcpy(buf, &d2, 4), memcpy(buf + 4, &z, 4), memcpy(buf + 8, &z, 4);
        memcpy(buf + 12, &d1, 4), memcpy(buf + 16, &z, 4), memcpy(buf + 20, &z, 4);
        write_bytes(names[0], buf, 24, NULL, 0);
        CHECK(fvecs_read(names[0], 0, &r, &bits, &err) == QB_EINPUT &&
              strstr(err.msg, "dimension 3"));
    }
    CHECK(truncate(names[1], 8 + 4 * 14) == 0);
    CHECK(fvecs_read(names[1], 0, &r, &bits, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    unlink(names[0]);
    unlink(names[1]);

    /* .bvecs: two rows of d = 3 uint8, values read as floats 0..255. */
    unsigned char bv[14] = {3, 0, 0, 0, 0, 128, 255, 3, 0, 0, 0, 1, 2, 3};
    write_bytes("test_readers.bvecs", bv, sizeof bv, NULL, 0);
    CHECK_OK(fvecs_read("test_readers.bvecs", 0, &r, &bits, &err), &err);
    CHECK(r.rows == 2 && r.cols == 3 && bits == 8 && r.data[1] == 128 && r.data[2] == 255 &&
          r.data[5] == 3);
    matrix_free(&r);
    unlink("test_readers.bvecs");

    /* .npy version 1, C order and Fortran order, float32 and float16. */
    const char *npy = "test_readers.npy";
    struct {
        const char *dict;
        size_t es;
        const void *data;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 4,
         (float[]){1, 2, 3, 4, 5, 6}},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 4,
         (float[]){1, 4, 2, 5, 3, 6}},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", 2,
         (uint16_t[]){0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600}},
    };
    for (size_t c = 0; c < 3; c++) {
        char head[128];
        size_t dl = strlen(cases[c].dict), total = 10 + dl + 1;
        size_t pad = (64 - total % 64) % 64; /* header padded to 64 bytes, ends in '\n' */
        memcpy(head, "\x93NUMPY\x01\x00", 8);
        head[8] = (char)((dl + 1 + pad) & 0xff);
        head[9] = (char)((dl + 1 + pad) >> 8);
        memcpy(head + 10, cases[c].dict, dl);
        memset(head + 10 + dl, ' ', pad);
        head[10 + dl + pad] = '\n';
        write_bytes(npy, head, total + pad, cases[c].data, 6 * cases[c].es);
        CHECK_OK(fvecs_read(npy, 0, &r, &bits, &err), &err);
        int ok = r.rows == 2 && r.cols == 3;
        for (size_t i = 0; ok && i < 6; i++)
            ok = r.data[i] == (float)(i + 1);
        CHECK_MSG(ok, "npy case %zu", c);
        CHECK(bits == 8 * cases[c].es);
        matrix_free(&r);
        if (c == 0) {
            write_bytes(npy, head, total + pad, cases[c].data, 20);
            CHECK(fvecs_read(npy, 0, &r, &bits, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
        }
    }
    write_bytes(npy, "PK\x03\x04", 4, NULL, 0);
    CHECK(fvecs_read(npy, 0, &r, &bits, &err) == QB_EINPUT && strstr(err.msg, "magic"));
    unlink(npy);
    CHECK(fvecs_read("x.csv", 0, &r, &bits, &err) == QB_EINPUT);
    matrix_free(&m);
}

static void test_wink(void) {
    qb_error err = {0};
    const char *path = "test_readers_wink.json";
    /* The package's layout at d = 3: norm sqrt(1+4+4) = 3 and word index after the values. */
    const char *good =
        "{\"precision\":8,\"l2NormIndex\":3,\"wordIndex\":4,\"size\":3,\"dimensions\":3,"
        "\"words\":[\"the\",\",\",\"\\\"q\"],\n\"vectors\":{\"the\":[1,-2,2,3,0],"
        " \",\" : [0.5, 0, -1.5e-1, 0.522015325, 1], \"\\\"q\":[0,0,1,1,2]},"
        "\"unkVector\":[0,0,0,0,-1]}\n";
    write_bytes(path, good, strlen(good), NULL, 0);
    matrix m;
    wink_info info;
    CHECK_OK(wink_read(path, 0, &m, &info, &err), &err);
    CHECK(m.rows == 3 && m.cols == 3 && info.size == 3 && info.dimensions == 3);
    CHECK(m.data[1] == -2.0f && m.data[3] == 0.5f && m.data[5] == -0.15f && m.data[8] == 1.0f);
    CHECK(info.max_norm_error < 1e-6);
    matrix_free(&m);
    CHECK_OK(wink_read(path, 2, &m, &info, &err), &err);
    CHECK(m.rows == 2 && m.data[3] == 0.5f);
    matrix_free(&m);
    /* Truncated anywhere: an error naming the place, nothing returned. */
    for (size_t cut = 10; cut < strlen(good) - 2; cut += 17) {
        write_bytes(path, good, cut, NULL, 0);
        qb_error e = {0};
        CHECK_MSG(wink_read(path, 0, &m, &info, &e) == QB_EINPUT && m.data == NULL,
                  "cut at %zu: %s", cut, e.msg);
    }
    const char *bad[] = {
        /* a vector one number short */
        "{\"l2NormIndex\":2,\"wordIndex\":3,\"size\":1,\"dimensions\":2,"
        "\"vectors\":{\"a\":[1,2,0]}}",
        /* word index out of order */
        "{\"l2NormIndex\":2,\"wordIndex\":3,\"size\":1,\"dimensions\":2,"
        "\"vectors\":{\"a\":[1,0,1,5]}}",
        /* fewer vectors than the header promises */
        "{\"l2NormIndex\":2,\"wordIndex\":3,\"size\":2,\"dimensions\":2,"
        "\"vectors\":{\"a\":[1,0,1,0]}}",
        /* vectors before the header */
        "{\"vectors\":{\"a\":[1,0,1,0]},\"dimensions\":2}",
        /* not a number */
        "{\"l2NormIndex\":2,\"wordIndex\":3,\"size\":1,\"dimensions\":2,"
        "\"vectors\":{\"a\":[1,x,1,0]}}",
        /* a double no float32 holds (its conversion was undefined, and gave -Inf) */
        "{\"l2NormIndex\":2,\"wordIndex\":3,\"size\":1,\"dimensions\":2,"
        "\"vectors\":{\"a\":[-8e50,0,1,0]}}",
    };
    const char *msg[] = {"has 3 numbers", "word index 5", "promises 2",
                         "before",        "number",       "beyond float32's range"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_bytes(path, bad[i], strlen(bad[i]), NULL, 0);
        qb_error e = {0};
        CHECK_MSG(wink_read(path, 0, &m, &info, &e) == QB_EINPUT && strstr(e.msg, msg[i]),
                  "case %zu: %s", i, e.msg);
    }
    unlink(path);
}

int main(void) {
    test_wink();
    test_half_conversions();
    test_safetensors();
    test_vecs();
    return check_done("readers");
}
