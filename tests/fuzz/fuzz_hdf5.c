/* fuzz_hdf5.c - HDF5 matrices as the harness reads them: checks, then libhdf5 in a child process.
 * Whatever the file, the reader must return: a library crash is an error, never ours. */
#include <string.h>

#include "fuzz.h"
#include "h5io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    matrix m;
    unsigned bits = 0;
    qb_error e = {0};
    int s = h5_read_matrix(fuzz_file("in.h5", data, size), &m, &bits, &e);
    fuzz_check_read(s, &m, &e);
    /* every HDF5 object the reader opened is closed again */
    FUZZ_CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
    /* The child ends by its signal when the library crashes; anything else (a sanitizer report
     * in our checks, which run there too) ends it with a status, and is ours to fix. */
    FUZZ_CHECK(!strstr(e.msg, "stopped in the HDF5 library (exit status"));
    return 0;
}
