/* fuzz_hdf5.c - HDF5 matrices as the harness reads them: checks, then libhdf5 in a child process.
 * Whatever the file, the reader returns, with a matrix or one line: a library crash ends the
 * child, never this process. (Faults in the checks themselves show in fuzz_hdf5_checks, which
 * runs them here.) */
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
    return 0;
}
