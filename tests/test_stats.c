/* test_stats.c - the statistics over seeds against values worked out by hand (the t distribution
 * with 2 degrees of freedom has the closed form P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2). */
#include <math.h>

#include "check.h"
#include "stats.h"

static double upper_t2(double t) {
    return 0.5 * (1 - t / sqrt(t * t + 2));
}

static void moments_and_quantiles(void) {
    double x[] = {1, NAN, 2, 3, 4};
    stats_moments m = stats_moments_of(x, 5);
    CHECK(m.n == 4);
    CHECK_NEAR(m.mean, 2.5, 1e-15);
    CHECK_NEAR(m.sd, sqrt(5.0 / 3.0), 1e-15);
    /* Tables: t(0.975; 2) = 4.302653, t(0.975; 9) = 2.262157, t(0.95; 9) = 1.833113. */
    CHECK_NEAR(stats_t_quantile(0.975, 2), 4.30265273, 1e-7);
    CHECK_NEAR(stats_t_quantile(0.975, 9), 2.26215716, 1e-7);
    CHECK_NEAR(stats_t_quantile(0.95, 9), 1.83311293, 1e-7);
    CHECK(isnan(stats_t_quantile(0.975, 0)));
    CHECK_NEAR(stats_t_upper(2.26215716, 9), 0.025, 1e-8);
    CHECK_NEAR(stats_t_upper(3, 2), upper_t2(3), 1e-12);
    CHECK(stats_t_upper(INFINITY, 3) == 0 && stats_t_upper(-INFINITY, 3) == 1);
}

static void geometric_means(void) {
    /* 1, 4, 16: logs 0, L, 2L (L = log 4), so the centre is 4 and the log sd is L. */
    double x[] = {1, 4, NAN, 16};
    stats_geo g = stats_geometric(x, 4);
    double half = 4.30265273 * log(4) / sqrt(3);
    CHECK(g.n == 3);
    CHECK_NEAR(g.center, 4, 1e-12);
    CHECK_NEAR(g.lo, 4 * exp(-half), 1e-6);
    CHECK_NEAR(g.hi, 4 * exp(half), 1e-4);
    CHECK(g.lo < g.center && g.hi - g.center > g.center - g.lo); /* asymmetric, never below 0 */
    /* A value that is not positive has no log: no geometric mean at all. */
    double y[] = {1, 0, 2};
    CHECK(stats_geometric(y, 3).n == 0 && isnan(stats_geometric(y, 3).center));
    double one[] = {5};
    g = stats_geometric(one, 1);
    CHECK(g.n == 1 && fabs(g.center - 5) < 1e-12 && isnan(g.lo) && isnan(g.hi));
}

static void directional_tests(void) {
    double margin = log(1.05);
    /* 0.1, 0.2, 0.3: mean 0.2, se 0.1 / sqrt 3, t = 2 sqrt 3 with 2 dof. */
    double d[] = {0.1, 0.2, 0.3};
    stats_test t = stats_directional(stats_moments_of(d, 3), +1, margin);
    CHECK_NEAR(t.p_for, upper_t2(2 * sqrt(3)), 1e-12);
    CHECK_NEAR(t.p_for, 0.0370899, 1e-6);
    CHECK_NEAR(t.p_against, 1 - 0.0370899, 1e-6);
    CHECK(!t.equivalent);
    t = stats_directional(stats_moments_of(d, 3), -1, margin);
    CHECK_NEAR(t.p_against, 0.0370899, 1e-6);
    /* 0.01, 0.02, 0.03: inside +-log 1.05; the upper test has t = (margin - 0.02) / se = 4.99,
     * p = 0.019 < 0.05, the lower one t = 11.9: equivalent. */
    double e[] = {0.01, 0.02, 0.03};
    t = stats_directional(stats_moments_of(e, 3), +1, margin);
    CHECK_NEAR(upper_t2((margin - 0.02) / (0.01 / sqrt(3))), 0.018974, 1e-5);
    CHECK(t.equivalent);
    /* The same spread at a mean of 0.04 is not: p = 0.26 for the upper test. */
    double f[] = {0.03, 0.04, 0.05};
    CHECK(!stats_directional(stats_moments_of(f, 3), +1, margin).equivalent);
    /* No spread: the mean decides. */
    double same[] = {0.3, 0.3, 0.3}, zero[] = {0, 0};
    t = stats_directional(stats_moments_of(same, 3), +1, margin);
    CHECK(t.p_for == 0 && t.p_against == 1 && !t.equivalent);
    t = stats_directional(stats_moments_of(zero, 2), -1, margin);
    CHECK(t.equivalent);
    /* One seed: nothing to test. */
    t = stats_directional(stats_moments_of(d, 1), +1, margin);
    CHECK(isnan(t.p_for) && isnan(t.p_against) && !t.equivalent);
}

static void holm(void) {
    /* Four p-values (the NaN is no hypothesis): 0.005 <= 0.05/4 and 0.01 <= 0.05/3 are
     * rejected; 0.03 > 0.05/2 stops the procedure, so 0.04 is kept although 0.04 <= 0.05/1. */
    double p[] = {0.01, 0.04, 0.03, NAN, 0.005};
    int reject[5];
    qb_error err = {0};
    CHECK_OK(stats_holm(p, 5, 0.05, reject, &err), &err);
    CHECK(reject[0] && !reject[1] && !reject[2] && !reject[3] && reject[4]);
    /* Unadjusted, 0.03 and 0.04 would count: the correction is what keeps them. */
    double q[] = {0.04};
    CHECK_OK(stats_holm(q, 1, 0.05, reject, &err), &err);
    CHECK(reject[0]);
}

/* Spearman: ranks by hand. x = 1, 2, 3, 4 against y = 10, 30, 20, NaN, 40: the NaN pair drops,
 * ranks (1,2,3,4) and (1,3,2,4) give 1 - 6 * 2 / (4 * 15) = 0.8; a tie shares its mean rank. */
static void spearman(void) {
    double x[] = {1, 2, 3, 7, 4}, y[] = {10, 30, 20, NAN, 40};
    CHECK_NEAR(stats_spearman(x, y, 5), 0.8, 1e-12);
    double x4[] = {1, 2, 3, 4}, yd[] = {-10, -30, -20, -40}; /* ranks 4, 2, 3, 1 */
    CHECK_NEAR(stats_spearman(x4, yd, 4), -0.8, 1e-12);
    double t[] = {1, 1, 2}, u[] = {1, 2, 3}; /* ranks (1.5, 1.5, 3) vs (1, 2, 3): sqrt(3)/2 */
    CHECK_NEAR(stats_spearman(t, u, 3), sqrt(3.0) / 2.0, 1e-12);
    CHECK(isnan(stats_spearman(x, y, 2)));
}

int main(void) {
    spearman();
    moments_and_quantiles();
    geometric_means();
    directional_tests();
    holm();
    return check_done("stats");
}
