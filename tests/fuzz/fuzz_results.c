/* fuzz_results.c - a results directory's results.csv: reading (each line checked, keys once),
 * then what plot, merge and every run's end do with the rows: sort, time ratios, summary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "results.h"
#include "summary.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

static int count(const results_line *l, void *ctx) {
    (void)l;
    ++*(size_t *)ctx;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_file("results.csv", data, size);
    result_table t;
    qb_error e = {0};
    size_t lines = 0;
    int scanned = results_scan(fuzz_dir(), count, &lines, &e);
    if (results_read(fuzz_dir(), &t, &e)) {
        FUZZ_CHECK(t.n == 0 && !t.rows && e.msg[0] && !strchr(e.msg, '\n'));
        return 0;
    }
    FUZZ_CHECK(scanned == QB_OK && t.n <= lines);
    for (size_t i = 0; i < t.n; i++) {
        FUZZ_CHECK(isfinite(t.rows[i].target_ratio) && t.rows[i].key[0]);
        FUZZ_CHECK(result_table_find(&t, t.rows[i].key) == (long)i); /* keys are unique */
    }
    result_table_sort(&t);
    if (!result_table_time_ratios(&t, &e)) {
        summary_group *g;
        size_t n;
        if (!summary_build(&t, &g, &n, &e)) {
            size_t rows = 0;
            for (size_t i = 0; i < n; i++)
                rows += g[i].count;
            FUZZ_CHECK(rows == t.n && n <= t.n);
            free(g);
        }
    }
    result_table_free(&t);
    return 0;
}
