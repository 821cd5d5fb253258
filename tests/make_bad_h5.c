/* make_bad_h5.c - writes the malformed HDF5 files the CLI error test feeds to qetbench:
 * DIR/nan.h5 (a NaN at row 1, column 2) and DIR/rank3.h5 (a 2x2x2 dataset). */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>

static int write(const char *dir, const char *name, int rank, const float *v) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[3] = {2, 4, 1};
    if (rank == 3)
        dims[1] = 2, dims[2] = 2;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, "/matrix", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    return r < 0;
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    float v[8] = {1, 2, 3, 4, 5, 6, NAN, 8};
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    return write(argv[1], "nan.h5", 2, v) | write(argv[1], "rank3.h5", 3, w);
}
