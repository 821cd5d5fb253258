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

    snprintf(spec, sizeof spec, "rm -rf '%s'", dir);
    CHECK(system(spec) == 0);
    return check_done("h5io");
}
