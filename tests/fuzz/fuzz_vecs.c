/* fuzz_vecs.c - .fvecs, .ivecs, .bvecs, .fbin and .npy: the first byte picks the format and how
 * many rows to keep, the rest is the file. */
#include "fuzz.h"
#include "fvecs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {"in.fvecs", "in.ivecs", "in.bvecs", "in.fbin", "in.npy"};
    if (size < 1)
        return 0;
    const char *name = names[data[0] % 5];
    size_t max_rows = (data[0] >> 4) % 4; /* 0: all */
    matrix m;
    unsigned bits = 0;
    qb_error e = {0};
    int s = fvecs_read(fuzz_file(name, data + 1, size - 1), max_rows, &m, &bits, &e);
    if (!s)
        FUZZ_CHECK((!max_rows || m.rows <= max_rows) && bits >= 8 && bits <= 64);
    fuzz_check_read(s, &m, &e);
    return 0;
}
