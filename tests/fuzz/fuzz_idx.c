/* fuzz_idx.c - IDX image files, plain or gzip-compressed; the first byte picks how many items to
 * keep. */
#include "fuzz.h"
#include "idx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t max_items = data[0] % 4, dims[3] = {0, 0, 0};
    matrix m;
    qb_error e = {0};
    int s = idx_read(fuzz_file("in.idx", data + 1, size - 1), max_items, &m, dims, &e);
    if (!s)
        FUZZ_CHECK(m.cols == dims[1] * dims[2] && (!max_items || m.rows <= max_items));
    fuzz_check_read(s, &m, &e);
    return 0;
}
