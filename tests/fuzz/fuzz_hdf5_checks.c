/* fuzz_hdf5_checks.c - the checks the HDF5 reader makes before it reads, and the read, in this
 * process (h5_read_matrix_here): a crash here that is not in our code is one of libhdf5's that
 * the checks let through, which the child process of h5_read_matrix contains. Such inputs go to
 * the regression inputs of fuzz_hdf5. */
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
    int s = h5_read_matrix_here(fuzz_file("in.h5", data, size), &m, &bits, &e);
    fuzz_check_read(s, &m, &e);
    /* every HDF5 object the reader opened is closed again */
    FUZZ_CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
    return 0;
}
