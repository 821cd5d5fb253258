/* make_bad_h5.c - writes the malformed HDF5 files the CLI error tests feed to qetbench:
 * DIR/nan.h5 (a NaN at row 1, column 2), DIR/rank3.h5 (a 2x2x2 dataset), DIR/huge.h5 (a 1.4 KB
 * file declaring 2^40 x 8 floats, chunked and never written) and DIR/external.h5, whose data
 * lives in DIR/external.bin, a file shorter than the dataset declares, and DIR/overflow.h5 (64 x 16
 * values of +-3e38, whose squares overflow float32) and DIR/zero.h5 (2 x 4 zeros: no MRE). */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

static int write_matrix(const char *dir, const char *name, int rank, const float *v) {
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

/* A dataset declaring far more than its file holds: chunks are allocated only when written. */
static int write_huge(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/huge.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {1ull << 40, 8}, chunk[2] = {1024, 8};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t ds = H5Dcreate2(f, "/matrix", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int bad = ds < 0;
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    return bad;
}

/* 16 x 4 floats stored in external.bin, which is then cut to 100 bytes of the 256 declared. */
static int write_external(const char *dir) {
    char path[1024], bin[1024];
    snprintf(path, sizeof path, "%s/external.h5", dir);
    snprintf(bin, sizeof bin, "%s/external.bin", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {16, 4};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(dcpl, "external.bin", 0, 16 * 4 * sizeof(float));
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_efile_prefix(dapl, dir);
    hid_t ds = H5Dcreate2(f, "/matrix", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, dapl);
    float v[64];
    for (int i = 0; i < 64; i++)
        v[i] = 1.0f + (float)i;
    herr_t r = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    FILE *b = fopen(bin, "r+b");
    int bad = r < 0 || !b;
    if (b) {
        bad |= ftruncate(fileno(b), 100) != 0;
        fclose(b);
    }
    return bad;
}

static int write_overflow(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/overflow.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {64, 16};
    static float v[1024];
    for (int i = 0; i < 1024; i++)
        v[i] = i % 2 ? -3e38f : 3e38f;
    hid_t sp = H5Screate_simple(2, dims, NULL);
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
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, zero[8] = {0};
    return write_matrix(argv[1], "nan.h5", 2, v) | write_matrix(argv[1], "rank3.h5", 3, w) |
           write_huge(argv[1]) | write_external(argv[1]) | write_overflow(argv[1]) |
           write_matrix(argv[1], "zero.h5", 2, zero);
}
