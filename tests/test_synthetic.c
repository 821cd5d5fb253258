/* test_synthetic.c - the paper's synthetic matrix: mean, sd, range and outlier rate within sampling
 * tolerance; deterministic from the seed. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "synthetic.h"

int main(void) {
    qb_error err;
    matrix a, b;
    synthetic_spec spec = synthetic_paper();
    size_t n = 2000, d = 500, total = n * d;
    CHECK_OK(synthetic_generate(&a, n, d, &spec, 11, &err), &err);
    CHECK_OK(synthetic_generate(&b, n, d, &spec, 11, &err), &err);
    CHECK(memcmp(a.data, b.data, total * sizeof(float)) == 0);
    matrix_free(&b);
    CHECK_OK(synthetic_generate(&b, n, d, &spec, 12, &err), &err);
    CHECK(memcmp(a.data, b.data, total * sizeof(float)) != 0);

    double sum = 0, sq = 0;
    size_t inliers = 0, outliers = 0, big = 0;
    for (size_t i = 0; i < total; i++) {
        float v = a.data[i];
        if (v >= 0 && v <= 1) {
            inliers++;
            sum += v;
            sq += (double)v * v;
        } else {
            outliers++;
            big += fabsf(v) <= 100;
        }
    }
    double mean = sum / (double)inliers, sd = sqrt(sq / (double)inliers - mean * mean);
    /* truncation at +-3.1 sd barely changes the moments: mean 0.5 exactly by symmetry, sd 0.16 *
     * (1 - ~0.006) */
    CHECK_NEAR(mean, 0.5, 0.001);
    CHECK_NEAR(sd, 0.16, 0.002);
    /* outliers: Binomial(10^6, 1e-4) has mean 100, sd 10; those landing in [0, 1] (0.5%) are
     * counted as inliers */
    CHECK_MSG(outliers > 60 && outliers < 140, "outliers %zu", outliers);
    CHECK(big == outliers);
    matrix_free(&a);
    matrix_free(&b);

    CHECK_OK(synthetic_gaussian(&a, 1000, 100, 3.0, 2.0, 1, &err), &err);
    sum = sq = 0;
    for (size_t i = 0; i < 100000; i++) {
        sum += a.data[i];
        sq += (double)a.data[i] * a.data[i];
    }
    mean = sum / 1e5;
    CHECK_NEAR(mean, 3.0, 0.03);
    CHECK_NEAR(sqrt(sq / 1e5 - mean * mean), 2.0, 0.03);
    matrix_free(&a);

    /* AR(1): unit variance everywhere, lag-k correlation rho^k; same seed, same bytes */
    CHECK_OK(synthetic_ar1(&a, 4000, 32, 0.8, 2, &err), &err);
    CHECK_OK(synthetic_ar1(&b, 4000, 32, 0.8, 2, &err), &err);
    CHECK(memcmp(a.data, b.data, 4000 * 32 * sizeof(float)) == 0);
    for (size_t lag = 0; lag <= 3; lag++) {
        double c = 0, v0 = 0;
        for (size_t i = 0; i < 4000; i++) {
            c += (double)a.data[i * 32 + 31 - lag] * a.data[i * 32 + 31];
            v0 += (double)a.data[i * 32] * a.data[i * 32];
        }
        CHECK_NEAR(v0 / 4000, 1.0, 0.06);
        CHECK_NEAR(c / 4000, pow(0.8, (double)lag), 0.06);
    }
    CHECK(synthetic_ar1(&b, 4, 4, 1.0, 1, &err) == QB_EINPUT);
    matrix_free(&a);
    matrix_free(&b);

    /* Parameters that cannot give a finite float32 matrix are refused, never written as Inf. */
    const double bad[][2] = {{NAN, 1},      {INFINITY, 1}, {0, -1},    {0, 0},
                             {0, INFINITY}, {1e300, 1},    {0, 1e300}, {-3e38, 1e38}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        qb_error e = {0};
        CHECK_MSG(synthetic_gaussian(&a, 16, 4, bad[i][0], bad[i][1], 1, &e) == QB_EINPUT &&
                      a.data == NULL,
                  "mu %g sigma %g: %s", bad[i][0], bad[i][1], e.msg);
    }
    CHECK(synthetic_lowrank(&a, 16, 4, 2, 1e300, 1, &err) == QB_EINPUT && a.data == NULL);
    CHECK(synthetic_lowrank(&a, 16, 4, 2, NAN, 1, &err) == QB_EINPUT && a.data == NULL);
    return check_done("synthetic");
}
