/* fuzz_llama2c.c - llama2.c checkpoints: the header and the whole model in memory. */
#include <string.h>

#include "fuzz.h"
#include "llama2c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("in.bin", data, size);
    llama2c_config c;
    qb_error e = {0};
    if (llama2c_read_config(path, &c, &e)) {
        FUZZ_CHECK(e.msg[0] && !strchr(e.msg, '\n'));
        return 0;
    }
    FUZZ_CHECK(c.dim > 0 && c.n_heads > 0 && c.dim % c.n_heads == 0 && c.vocab_size > 0);
    llama2c_model m;
    if (llama2c_load(path, &m, &e) == QB_OK) {
        FUZZ_CHECK(m.data && m.wcls && m.head_size > 0);
        llama2c_free(&m);
    } else {
        FUZZ_CHECK(!m.data && e.msg[0]);
    }
    return 0;
}
