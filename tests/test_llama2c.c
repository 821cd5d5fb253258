/* test_llama2c.c - the llama2.c reader on the shipped stories260K checkpoint (header, layout,
 * checksum, HDF5 conversion) and on truncated or malformed copies the test writes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "h5io.h"
#include "llama2c.h"
#include "sha256.h"

static void test_sha256_vectors(void) {
    /* FIPS 180-4 examples: "abc" and the 448-bit two-block message. */
    const char *msgs[] = {"abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", ""};
    const char *want[] = {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
    for (int i = 0; i < 3; i++) {
        sha256_ctx c;
        uint8_t d[32];
        char hex[65];
        sha256_init(&c);
        sha256_update(&c, msgs[i], strlen(msgs[i]));
        sha256_final(&c, d);
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        CHECK_MSG(!strcmp(hex, want[i]), "sha256(%s) = %s", msgs[i], hex);
    }
}

static void test_header_and_layout(const char *ckpt) {
    qb_error err = {0};
    int checked = 0;
    CHECK_OK(sha256_verify_beside(ckpt, &checked, &err), &err);
    CHECK(checked == 1);
    llama2c_config c;
    CHECK_OK(llama2c_read_config(ckpt, &c, &err), &err);
    CHECK(c.dim == 64 && c.hidden_dim == 172 && c.n_layers == 5 && c.n_heads == 8 &&
          c.n_kv_heads == 4 && c.vocab_size == 512 && c.seq_len == 512 && c.shared_classifier);
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    uint64_t floats;
    size_t n = llama2c_layout(&c, t, &floats);
    CHECK(n == 13);          /* shared classifier: no /output block */
    CHECK(floats == 264128); /* the parameter count in the checkpoint's notes */
    CHECK(!strcmp(t[3].name, "wk") && t[3].layers == 5 && t[3].rows == 32 && t[3].cols == 64);
    CHECK(!strcmp(t[8].name, "w2") && t[8].rows == 64 && t[8].cols == 172);

    llama2c_model m;
    CHECK_OK(llama2c_load(ckpt, &m, &err), &err);
    CHECK(m.kv_dim == 32 && m.head_size == 8 && m.wcls == m.tok_embeddings);
    CHECK(m.wk == m.data + 32768 + 320 + 20480);

    /* HDF5: 1 + 5 * 7 matrices, each equal to its slice of the file. */
    const char *out = "test_llama2c_out.h5";
    CHECK_OK(llama2c_to_h5(ckpt, out, "stories260K", "MIT", &err), &err);
    matrix w = {0};
    unsigned bits = 0;
    CHECK_OK(h5_read_matrix("test_llama2c_out.h5:/layers/3/w2", &w, &bits, &err), &err);
    CHECK(w.rows == 64 && w.cols == 172 && bits == 32);
    CHECK(w.data && !memcmp(w.data, m.w2 + 3 * 64 * 172, 64 * 172 * sizeof(float)));
    matrix_free(&w);
    CHECK_OK(h5_read_matrix("test_llama2c_out.h5:/tok_embeddings", &w, &bits, &err), &err);
    CHECK(w.rows == 512 && w.cols == 64);
    CHECK(w.data && !memcmp(w.data, m.tok_embeddings, 512 * 64 * sizeof(float)));
    matrix_free(&w);
    qb_error e2 = {0};
    CHECK(h5_read_matrix("test_llama2c_out.h5:/output", &w, &bits, &e2) != 0);
    char lic[64];
    CHECK_OK(h5_read_string_attr(out, "/layers/0/wq", "license", lic, sizeof lic, &err), &err);
    CHECK(!strcmp(lic, "MIT"));
    unlink(out);
    llama2c_free(&m);
}

/* Writes the first `keep` bytes of src (optionally with header field `field` set to `value`). */
static void write_variant(const char *src, const char *dst, long keep, int field, int32_t value) {
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size);
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (field >= 0)
        memcpy(buf + 4 * field, &value, 4);
    FILE *g = fopen(dst, "wb");
    fwrite(buf, 1, keep < 0 ? got : (size_t)keep, g);
    fclose(g);
    free(buf);
}

static void test_bad_files(const char *ckpt) {
    qb_error err = {0};
    llama2c_model m;
    const char *bad = "test_llama2c_bad.bin", *out = "test_llama2c_bad.h5";
    write_variant(ckpt, bad, 1000, -1, 0);
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    CHECK(llama2c_to_h5(bad, out, NULL, NULL, &err) == QB_EINPUT && access(out, F_OK) != 0);
    write_variant(ckpt, bad, 20, -1, 0);
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "header"));
    write_variant(ckpt, bad, -1, 3, 7); /* 7 heads do not divide dim 64 */
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "impossible"));
    write_variant(ckpt, bad, -1, 0, -5);
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "not a llama2.c"));
    write_variant(ckpt, bad, -1, 5, -512); /* unshared classifier: the file is now too short */
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    write_variant(ckpt, bad, -1, 0, 0x616b3432);
    CHECK(llama2c_load(bad, &m, &err) == QB_EINPUT && strstr(err.msg, "versioned"));
    CHECK(llama2c_load("no-such-file.bin", &m, &err) == QB_EINPUT);
    unlink(bad);
    /* A listed checkpoint whose bytes changed is refused by the loader itself (in a folder of
     * its own, so no other test sees the list). */
    char dir[] = "/tmp/qb-llama2c-XXXXXX", name[64], list[64], h5[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(name, sizeof name, "%s/listed.bin", dir);
    snprintf(list, sizeof list, "%s/SHA256SUMS", dir);
    snprintf(h5, sizeof h5, "%s/out.h5", dir);
    write_variant(ckpt, name, -1, -1, 0);
    FILE *l = fopen(list, "w");
    fprintf(l, "9414d5a285453a7eab631713d171753232c978f6f97654211469aff8be93c8d6 *listed.bin\n");
    fclose(l);
    CHECK_OK(llama2c_load(name, &m, &err), &err);
    llama2c_free(&m);
    write_variant(ckpt, name, -1, 6, 511); /* seq_len 512 -> 511: one header byte */
    CHECK(llama2c_load(name, &m, &err) == QB_EINPUT && strstr(err.msg, "checksum"));
    CHECK(llama2c_to_h5(name, h5, NULL, NULL, &err) == QB_EINPUT && access(h5, F_OK) != 0);
    unlink(name);
    unlink(list);
    rmdir(dir);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_llama2c STORIES260K.bin\n");
        return 2;
    }
    test_sha256_vectors();
    test_header_and_layout(argv[1]);
    test_bad_files(argv[1]);
    return check_done("llama2c");
}
