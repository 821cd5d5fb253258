/* test_summary.c - statistics over seeds against hand-computed values, and the grouping of rows
 * into configurations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "summary.h"

int main(void) {
    /* t quantiles (tables): 12.7062 (1 dof), 3.18245 (3), 1.98422 (99). */
    CHECK_NEAR(summary_t95(1), 12.7062047, 1e-6);
    CHECK_NEAR(summary_t95(3), 3.18244631, 1e-6);
    CHECK_NEAR(summary_t95(99), 1.98421695, 1e-6);

    /* {1,2,3,4}: mean 2.5, s = sqrt(5/3), half = t(3) * s / 2. */
    double x[] = {1, 2, 3, 4};
    summary_stat s = summary_of(x, 4);
    CHECK(s.n == 4);
    CHECK_NEAR(s.mean, 2.5, 1e-15);
    CHECK_NEAR(s.half, 3.18244631 * sqrt(5.0 / 3.0) / 2, 1e-6);
    /* NaNs are skipped; one value has no interval. */
    double y[] = {NAN, 7, NAN};
    s = summary_of(y, 3);
    CHECK(s.n == 1 && s.mean == 7 && isnan(s.half));
    s = summary_of(y, 1);
    CHECK(s.n == 0 && isnan(s.mean));

    /* Grouping: rows differing only in the seed form one group; an infeasible row counts in the
     * group but not in its statistics. */
    result_table t = {0};
    qb_error err = {0};
    const double mse[] = {1, 3, 10, 20};
    for (int i = 0; i < 5; i++) {
        result_row r;
        memset(&r, 0, sizeof r);
        snprintf(r.key, sizeof r.key, "k%d", i);
        strcpy(r.dataset, "d");
        strcpy(r.label, "pq");
        strcpy(r.method, "pq");
        strcpy(r.accounting, "full");
        r.subspaces = 8;
        r.target_ratio = i < 2 ? 4 : 8;
        r.seed_index = (unsigned)(i % 3 + 1);
        strcpy(r.status, i == 4 ? RESULT_INFEASIBLE : RESULT_OK);
        r.mse = i < 4 ? mse[i] : NAN;
        r.n = 4;
        r.d = 2;
        r.bits_charged = i < 2 ? 16 : 8;
        CHECK_OK(result_table_push(&t, &r, &err), &err);
    }
    result_table_sort(&t);
    summary_group *g;
    size_t n;
    CHECK_OK(summary_build(&t, &g, &n, &err), &err);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(g[0].target_ratio == 4 && g[0].count == 2 && g[0].n_ok == 2);
        CHECK_NEAR(g[0].mse.mean, 2, 1e-15);
        CHECK_NEAR(g[0].mse.half, 12.7062047 * sqrt(2.0) / sqrt(2.0), 1e-5);
        CHECK(g[1].count == 3 && g[1].n_ok == 2 && !strcmp(g[1].status, RESULT_OK));
        CHECK_NEAR(g[1].mse.mean, 15, 1e-15);
        /* Geometric: MSE 1 and 3 have logs 0 and L = log 3, mean L/2, standard error L/2, so
         * sqrt(3) within [sqrt(3) e^(-t L/2), sqrt(3) e^(t L/2)], t = 12.7062 (1 dof). */
        double half = 12.7062047 * log(3.0) / 2;
        CHECK_NEAR(g[0].mse_geo.center, sqrt(3.0), 1e-12);
        CHECK_NEAR(g[0].mse_geo.lo, sqrt(3.0) * exp(-half), 1e-9);
        CHECK_NEAR(g[0].mse_geo.hi / (sqrt(3.0) * exp(half)), 1, 1e-6);
        CHECK(g[0].mse_geo.n == 2 && g[1].mse_geo.n == 2);
        CHECK_NEAR(g[1].mse_geo.center, sqrt(200.0), 1e-12);
        /* 16 and 8 charged bits over 4 x 2 elements */
        CHECK_NEAR(g[0].bits.mean, 2, 1e-15);
        CHECK_NEAR(g[1].bits.mean, 1, 1e-15);
    }
    free(g);
    result_table_free(&t);

    /* Rows whose ratio is NaN (a tampered file, read before the reader refused them): each is a
     * group of its own. The grouping once compared a NaN with itself, never advanced and wrote
     * past its groups (plot, merge and every run's end crashed). */
    for (int i = 0; i < 6; i++) {
        result_row r;
        memset(&r, 0, sizeof r);
        snprintf(r.key, sizeof r.key, "n%d", i);
        strcpy(r.dataset, "d");
        strcpy(r.label, "pq");
        strcpy(r.method, "pq");
        strcpy(r.status, RESULT_OK);
        r.target_ratio = i % 2 ? NAN : 4;
        r.seed_index = (unsigned)i;
        CHECK_OK(result_table_push(&t, &r, &err), &err);
    }
    CHECK_OK(summary_build(&t, &g, &n, &err), &err);
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        rows += g[i].count;
    CHECK(rows == 6 && n <= 6 && n >= 4); /* 3 NaN rows alone; the ratio-4 rows as sorted */
    free(g);
    result_table_free(&t);
    return check_done("summary");
}
