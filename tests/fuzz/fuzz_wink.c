/* fuzz_wink.c - word vectors in wink's embedding JSON; the first byte picks how many rows. */
#include "fuzz.h"
#include "wink.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t max_rows = data[0] % 4;
    matrix m;
    wink_info info;
    qb_error e = {0};
    int s = wink_read(fuzz_file("in.json", data + 1, size - 1), max_rows, &m, &info, &e);
    if (!s)
        FUZZ_CHECK(m.cols == info.dimensions && m.rows <= info.size);
    fuzz_check_read(s, &m, &e);
    return 0;
}
