/* fuzz_safetensors.c - the safetensors header parser and tensor reads. */
#include "fuzz.h"
#include "safetensors.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors_file sf;
    qb_error e = {0};
    int s = safetensors_open(fuzz_file("in.safetensors", data, size), &sf, &e);
    if (s) {
        FUZZ_CHECK(e.msg[0] && !sf.t && !sf.f);
        return 0;
    }
    for (size_t i = 0; i < sf.n && i < 8; i++) {
        matrix m;
        qb_error re = {0};
        int rs = safetensors_read(&sf, i, &m, &re);
        if (!rs) /* tensors may hold NaN: the converter checks, the reader does not */
            FUZZ_CHECK(m.data && m.rows * m.cols > 0);
        else
            FUZZ_CHECK(!m.data && re.msg[0]);
        matrix_free(&m);
    }
    safetensors_close(&sf);
    return 0;
}
