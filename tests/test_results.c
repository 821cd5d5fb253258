/* test_results.c - the results store: exact CSV round trips (quotes, commas, NaN, 64-bit counts),
 * a line cut by a kill ignored and dropped before the next append, canonical order, QTR/DTR, and
 * the HDF5 table. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "results.h"

static result_row row(const char *key, const char *label, uint64_t m, double ratio, unsigned seed) {
    result_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.key, sizeof r.key, "%s", key);
    strcpy(r.status, RESULT_OK);
    strcpy(r.dataset, "synthetic");
    snprintf(r.label, sizeof r.label, "%s", label);
    snprintf(r.method, sizeof r.method, "%s", label);
    strcpy(r.accounting, "full");
    r.subspaces = m;
    r.target_ratio = ratio;
    r.seed_index = seed;
    r.mse = 0.1 * seed + ratio;
    r.bits_total = 0xFFFFFFFFFFFFull; /* above 32 bits */
    r.seconds_quantize = 2.0;
    r.seconds_dequantize = 0.5;
    r.qtr = r.dtr = NAN;
    strcpy(r.baseline, "pq");
    return r;
}

/* Rewrites DIR/results.csv as the header and two good rows, the second with its field `col`
 * set to `value` (col NULL: unchanged), and the first again when `dup`; returns results_read's
 * status. */
static int read_with(const char *dir, const char *col, const char *value, int dup, qb_error *err) {
    result_row a = row("ka", "pq", 8, 4, 1), b = row("kb", "qet", 8, 4, 1);
    char la[4096], lb[4096], path[256];
    results_format_csv(&a, la, sizeof la);
    results_format_csv(&b, lb, sizeof lb);
    /* set field `col` of line b */
    char header[4096];
    snprintf(header, sizeof header, "%s", results_csv_header());
    int idx = -1, k = 0;
    for (char *tok = strtok(header, ",\n"); tok; tok = strtok(NULL, ",\n"), k++)
        if (col && !strcmp(tok, col))
            idx = k;
    char out[8192] = "";
    lb[strcspn(lb, "\n")] = 0;
    k = 0;
    for (char *rest = lb, *tok; (tok = strsep(&rest, ",")); k++) { /* no quoted fields here */
        if (k)
            strcat(out, ",");
        strcat(out, k == idx ? value : tok);
    }
    strcat(out, "\n");
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(results_csv_header(), f);
    fputs(la, f);
    fputs(out, f);
    if (dup)
        fputs(la, f);
    fclose(f);
    result_table t;
    int s = results_read(dir, &t, err);
    result_table_free(&t);
    return s;
}

static int count_line(const results_line *l, void *ctx) {
    size_t *n = ctx;
    n[0]++;
    n[1] += l->problem != NULL;
    n[2] += l->first_line != 0;
    return 0;
}

static void test_tampered(const char *dir) {
    qb_error err = {0};
    CHECK_OK(read_with(dir, NULL, NULL, 0, &err), &err);
    struct {
        const char *col, *value, *msg;
    } bad[] = {
        {"target_ratio", "nan", "target_ratio is nan"},
        {"target_ratio", "inf", "target_ratio is inf"},
        {"data_mu", "nan", "data_mu is nan"},
        {"mse", "nan", "mse is nan in an ok row"},
        {"dataset", "..", "names a directory"},
        {"label", "../../x", "letters, digits"},
        {"bits_total", "-5", "bad value '-5'"},
        {"rtn_bits", "4294967296", "bad value"},
        {"status", "done", "unknown status"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        qb_error e = {0};
        int s = read_with(dir, bad[i].col, bad[i].value, 0, &e);
        CHECK_MSG(s == QB_EINPUT && strstr(e.msg, "results.csv:3: ") && strstr(e.msg, bad[i].msg) &&
                      strstr(e.msg, "results check"),
                  "%s = %s: %s", bad[i].col, bad[i].value, e.msg);
    }
    /* A NaN measurement is what a row that is not ok holds. */
    CHECK_OK(read_with(dir, "status", "infeasible", 0, &err), &err);
    /* The same key twice: refused, naming both lines. */
    qb_error e = {0};
    CHECK(read_with(dir, NULL, NULL, 1, &e) == QB_EINPUT && strstr(e.msg, "results.csv:4:") &&
          strstr(e.msg, "already on line 2"));
    /* The scanner sees every line: one bad, one doubled. */
    read_with(dir, "mse", "nan", 1, &e);
    size_t n[3] = {0};
    CHECK_OK(results_scan(dir, count_line, n, &err), &err);
    CHECK(n[0] == 3 && n[1] == 1 && n[2] == 1);
}

int main(void) {
    qb_error err = {0};
    char dir[] = "/tmp/qb_test_resultsXXXXXX";
    CHECK(mkdtemp(dir) != NULL);

    /* Round trip through the appender, with awkward strings. */
    results_appender a;
    CHECK_OK(results_append_open(&a, dir, &err), &err);
    result_row r1 = row("k1", "pq", 8, 4, 1);
    strcpy(r1.note, "a \"quoted\", comma, note");
    r1.mae = 1.0 / 3.0;
    r1.mre = NAN;
    result_row r2 = row("k2", "qet", 8, 4, 1);
    r2.seconds_quantize = 3.0;
    r2.seconds_dequantize = 2.0;
    CHECK_OK(results_append(&a, &r1, &err), &err);
    CHECK_OK(results_append(&a, &r2, &err), &err);
    results_append_close(&a);
    result_table t;
    CHECK_OK(results_read(dir, &t, &err), &err);
    CHECK(t.n == 2);
    if (t.n == 2) {
        CHECK(!strcmp(t.rows[0].note, r1.note));
        CHECK(t.rows[0].mae == r1.mae); /* %.17g: exact */
        CHECK(isnan(t.rows[0].mre));
        CHECK(t.rows[0].bits_total == 0xFFFFFFFFFFFFull);
        CHECK(!strcmp(t.rows[1].key, "k2"));
    }
    result_table_free(&t);

    /* A kill mid-write leaves a partial line: readers ignore it, the next append drops it. */
    char path[256];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "a");
    fputs("k3,ok,exp,synth", f);
    fclose(f);
    CHECK_OK(results_read(dir, &t, &err), &err);
    CHECK(t.n == 2);
    result_table_free(&t);
    CHECK_OK(results_append_open(&a, dir, &err), &err);
    result_row r3 = row("k3", "rtn", 0, 8, 2);
    CHECK_OK(results_append(&a, &r3, &err), &err);
    results_append_close(&a);
    CHECK_OK(results_read(dir, &t, &err), &err);
    CHECK(t.n == 3);
    CHECK(result_table_find(&t, "k3") == 2);
    CHECK(result_table_find(&t, "nope") == -1);

    /* Canonical order: dataset, label, accounting, m, l, ratio, seed. */
    result_table_sort(&t);
    CHECK(!strcmp(t.rows[0].label, "pq") && !strcmp(t.rows[1].label, "qet") &&
          !strcmp(t.rows[2].label, "rtn"));
    /* QTR/DTR against pq at the same data, m, ratio and seed: 3/2 and 2/0.5. */
    CHECK_OK(result_table_time_ratios(&t, &err), &err);
    CHECK_NEAR(t.rows[1].qtr, 1.5, 1e-15);
    CHECK_NEAR(t.rows[1].dtr, 4.0, 1e-15);
    CHECK_NEAR(t.rows[0].qtr, 1.0, 1e-15);
    CHECK(isnan(t.rows[2].qtr)); /* no pq row at ratio 8, seed 2 */

    /* The whole rewrite: CSV identical on reading back; HDF5 has the rows. */
    CHECK_OK(results_write_all(dir, &t, &err), &err);
    result_table u;
    CHECK_OK(results_read(dir, &u, &err), &err);
    CHECK(u.n == 3);
    for (size_t i = 0; i < u.n && i < t.n; i++) {
        char x[4096], y[4096];
        results_format_csv(&t.rows[i], x, sizeof x);
        results_format_csv(&u.rows[i], y, sizeof y);
        CHECK_MSG(!strcmp(x, y), "row %zu: %s vs %s", i, x, y);
    }
    snprintf(path, sizeof path, "%s/results.h5", dir);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(file >= 0);
    hid_t ds = H5Dopen2(file, "/results", H5P_DEFAULT);
    CHECK(ds >= 0);
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    CHECK(dims[0] == 3);
    /* Read one column back by name: mse. */
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(mt, "mse", 0, H5T_NATIVE_DOUBLE);
    double mse[3] = {0};
    CHECK(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, mse) >= 0);
    for (int i = 0; i < 3; i++)
        CHECK(mse[i] == t.rows[i].mse);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(file);
    result_table_free(&u);
    result_table_free(&t);

    /* A malformed row is an error naming file:line, not a silent skip. */
    snprintf(path, sizeof path, "%s/results.csv", dir);
    f = fopen(path, "a");
    fputs("k9,ok\n", f);
    fclose(f);
    CHECK(results_read(dir, &t, &err) == QB_EINPUT);
    CHECK(strstr(err.msg, "results.csv:5") != NULL);

    /* Columns read back by name as text: an option's generated column (set through its name, as a
     * CSV field is read), a fixed text column and a count. */
    result_row o = row("k10", "rtn", 0, 4, 1);
    char value[64];
    CHECK_OK(results_row_set(&o, "rtn_clip", "mse", &err), &err);
    CHECK_OK(results_row_get(&o, "rtn_clip", value, sizeof value, &err), &err);
    CHECK(!strcmp(value, "mse"));
    CHECK_OK(results_row_get(&o, "label", value, sizeof value, &err), &err);
    CHECK(!strcmp(value, "rtn"));
    CHECK_OK(results_row_get(&o, "bits.total", value, sizeof value, &err), &err);
    CHECK(!strcmp(value, "281474976710655"));
    CHECK(results_row_get(&o, "no_such_column", value, sizeof value, &err) == QB_EINTERNAL);

    /* Tampered or doubled rows: each refused with its line and the way out. */
    test_tampered(dir);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_done("results");
}
