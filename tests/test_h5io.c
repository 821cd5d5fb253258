/* test_h5io.c - HDF5 round trips for every stored type (float16/32/64, int16/32), attributes,
 * atomic writes, and the errors for bad files and datasets. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "h5io.h"

static const float vals[6] = {1.5f, -2.25f, 0.0f, 1024.0f, -0.125f, 3.0f}; /* exact in fp16 */

static void write_typed(const char *file, const char *name, hid_t file_type, int rank) {
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[3] = {2, 3, 1};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
}

/* A chunked float32 dataset of rows x 8 (1024-row chunks); `written` rows of it written. */
static void write_chunked(const char *file, hsize_t rows, hsize_t written) {
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {rows, 8}, chunk[2] = {1024, 8};
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t ds = H5Dcreate2(f, "/matrix", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (written) {
        static float v[1024 * 8];
        hsize_t start[2] = {0, 0}, count[2] = {written, 8};
        hid_t ms = H5Screate_simple(2, count, NULL);
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
        H5Dwrite(ds, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, v);
        H5Sclose(ms);
    }
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
}

/* 16 x 4 floats (1, 2, ...) kept in the external file `name`, then cut to `keep` bytes. */
static void write_external(const char *dir, const char *file, const char *name, long keep) {
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {16, 4};
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(dcpl, name, 0, 16 * 4 * sizeof(float));
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_efile_prefix(dapl, dir);
    hid_t ds = H5Dcreate2(f, "/matrix", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    float v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (float)(i + 1);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    char bin[600];
    snprintf(bin, sizeof bin, "%s/%s", dir, name);
    if (keep >= 0 && truncate(bin, keep) != 0)
        CHECK_MSG(0, "cannot cut %s", bin);
}

/* What a file declares is checked before it is read, in the child and in this process alike. */
static void test_declared(const char *dir) {
    char path[300];
    snprintf(path, sizeof path, "%s/declared.h5", dir);
    int (*readers[2])(const char *, matrix *, unsigned *, qb_error *) = {h5_read_matrix,
                                                                         h5_read_matrix_here};
    for (int k = 0; k < 2; k++) {
        int (*rd)(const char *, matrix *, unsigned *, qb_error *) = readers[k];
        qb_error e = {0};
        matrix m = {0};
        /* 2^40 rows declared in a 1.4 KB file: never written, or beyond the memory bound */
        write_chunked(path, 1ull << 40, 0);
        CHECK_MSG(rd(path, &m, NULL, &e) == QB_EINPUT && strstr(e.msg, "stores no data") && !m.data,
                  "reader %d: %s", k, e.msg);
        write_chunked(path, 1ull << 40, 1024);
        CHECK_MSG(rd(path, &m, NULL, &e) == QB_EINPUT && strstr(e.msg, "memory bound") &&
                      strstr(e.msg, "1099511627776 x 8") && !m.data,
                  "reader %d: %s", k, e.msg);
        /* a short external file read as zeros before: refused; a whole one beside the file
         * reads, wherever the working directory is */
        write_external(dir, path, "ext.bin", 100);
        CHECK_MSG(rd(path, &m, NULL, &e) == QB_EINPUT && strstr(e.msg, "that file has 100") &&
                      !m.data,
                  "reader %d: %s", k, e.msg);
        write_external(dir, path, "ext.bin", -1);
        CHECK_OK(rd(path, &m, NULL, &e), &e);
        CHECK(m.rows == 16 && m.cols == 4 && m.data[0] == 1 && m.data[63] == 64);
        matrix_free(&m);
        char outside[64];
        snprintf(outside, sizeof outside, "../qb_h5_ext_%ld.bin", (long)getpid());
        write_external(dir, path, outside, -1);
        CHECK_MSG(rd(path, &m, NULL, &e) == QB_EINPUT && strstr(e.msg, "outside the file's folder"),
                  "reader %d: %s", k, e.msg);
    }
}

int main(void) {
    qb_error err;
    char dir[] = "/tmp/qb_h5_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/m.h5", dir);

    /* float16: HDF5 1.10 has no native half type; define IEEE binary16 by its fields */
    hid_t f16 = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(f16, 15, 10, 5, 0, 10);
    H5Tset_precision(f16, 16);
    H5Tset_ebias(f16, 15);
    H5Tset_size(f16, 2);
    hid_t types[5] = {H5T_IEEE_F32LE, H5T_IEEE_F64BE, f16, H5T_STD_I32LE, H5T_STD_I16BE};
    unsigned bits[5] = {32, 64, 16, 32, 32};
    for (int t = 0; t < 5; t++) {
        write_typed(path, "/matrix", types[t], 2);
        matrix m;
        unsigned sb = 0;
        CHECK_OK(h5_read_matrix(path, &m, &sb, &err), &err);
        CHECK(m.rows == 2 && m.cols == 3);
        CHECK_MSG(sb == bits[t], "type %d: source_bits %u", t, sb);
        for (int i = 0; i < 6; i++) {
            float expect = t >= 3 ? (float)(long)vals[i] : vals[i]; /* ints truncate */
            CHECK_MSG(m.data[i] == expect || (t >= 3 && m.data[i] == (float)lrintf(vals[i])),
                      "type %d elem %d: %g", t, i, m.data[i]);
        }
        matrix_free(&m);
    }
    H5Tclose(f16);

    /* our writer: attributes, named path, atomic (no temporary left behind) */
    matrix w;
    CHECK_OK(matrix_alloc(&w, 3, 2, &err), &err);
    for (int i = 0; i < 6; i++)
        w.data[i] = vals[i];
    h5_attrs at = {
        .source = "test", .license = "CC0", .description = "six values", .source_bits = 16};
    CHECK_OK(h5_write_matrix(path, "/layers/0/wq", &w, &at, &err), &err);
    char spec[300];
    snprintf(spec, sizeof spec, "%s:/layers/0/wq", path);
    matrix m;
    unsigned sb = 0;
    CHECK_OK(h5_read_matrix(spec, &m, &sb, &err), &err);
    CHECK(m.rows == 3 && m.cols == 2 && sb == 16 && memcmp(m.data, w.data, sizeof vals) == 0);
    matrix_free(&m);
    char buf[64];
    CHECK_OK(h5_read_string_attr(path, "/layers/0/wq", "license", buf, sizeof buf, &err), &err);
    CHECK(!strcmp(buf, "CC0"));
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);

    /* errors: missing file, not HDF5, missing dataset, rank 3, NaN */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.h5", dir);
    CHECK(h5_read_matrix(missing, &m, NULL, &err) == QB_EINPUT && strstr(err.msg, "cannot open"));
    snprintf(spec, sizeof spec, "%s/text.h5", dir);
    FILE *f = fopen(spec, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    CHECK(h5_read_matrix(spec, &m, NULL, &err) == QB_EINPUT && strstr(err.msg, "not an HDF5"));
    snprintf(spec, sizeof spec, "%s:/nope", path);
    CHECK(h5_read_matrix(spec, &m, NULL, &err) == QB_EINPUT && strstr(err.msg, "no dataset"));
    write_typed(path, "/matrix", H5T_IEEE_F32LE, 3);
    CHECK(h5_read_matrix(path, &m, NULL, &err) == QB_EINPUT && strstr(err.msg, "rank 3"));
    w.data[4] = NAN;
    CHECK_OK(h5_write_matrix(path, "/matrix", &w, NULL, &err), &err);
    CHECK(h5_read_matrix(path, &m, NULL, &err) == QB_EINPUT && strstr(err.msg, "NaN at row 2"));
    /* writing into a missing folder fails cleanly */
    snprintf(spec, sizeof spec, "%s/no/such/dir.h5", dir);
    CHECK(h5_write_matrix(spec, "/matrix", &w, NULL, &err) != QB_OK);
    matrix_free(&w);

    test_declared(dir);
    snprintf(spec, sizeof spec, "%s/../qb_h5_ext_%ld.bin", dir, (long)getpid());
    unlink(spec); /* where the '..' case put its external file */
    snprintf(spec, sizeof spec, "rm -rf '%s'", dir);
    CHECK(system(spec) == 0);
    return check_done("h5io");
}
