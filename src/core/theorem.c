/* theorem.c - order-statistics moments of QET's blocks by GSL quadrature and by Monte Carlo.
 * Kept apart from BLAS code: it includes GSL's randist and integration headers. */
#include "theorem.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Adaptive quadrature: 1e-11 relative is far below the 1e-6 the theorem is checked to, and
 * reachable for every integrand here (smooth, exponentially or x^-2 decaying). */
#define QUAD_EPSABS 1e-14
#define QUAD_EPSREL 1e-11
#define QUAD_LIMIT 2000

/* GSL reports roundoff when the tolerance cannot be met because the integrand's own rounding
 * dominates (tiny tail values); the result stands if its error estimate is still far below 1e-6. */
static int quad_ok(int status, double result, double abserr) {
    return status == GSL_SUCCESS ||
           (status == GSL_EROUND && abserr <= 1e-10 * fmax(1.0, fabs(result)));
}

theorem_dist theorem_normal(double mu, double sigma) {
    theorem_dist d = {.family = THEOREM_NORMAL, .mu = mu, .sigma = sigma};
    snprintf(d.name, sizeof d.name, "normal");
    return d;
}

theorem_dist theorem_truncnormal_paper(void) {
    theorem_dist d = {.family = THEOREM_TRUNCNORMAL, .mu = 0.5, .sigma = 0.16, .lo = 0, .hi = 1};
    snprintf(d.name, sizeof d.name, "truncnormal");
    return d;
}

theorem_dist theorem_student_t(double nu) {
    theorem_dist d = {.family = THEOREM_STUDENT_T, .mu = 0, .sigma = 1, .nu = nu};
    snprintf(d.name, sizeof d.name, "t%g", nu);
    return d;
}

double theorem_tail_index(const theorem_dist *d) {
    return d->family == THEOREM_STUDENT_T ? d->nu : INFINITY;
}

static unsigned path_bit(unsigned levels, unsigned block, unsigned level) {
    return (block >> (levels - level)) & 1u; /* level 1 is the most significant bit */
}

int theorem_block_fourth_moment_finite(const theorem_dist *d, unsigned levels, unsigned block) {
    /* A lower tail ~ F^a and an upper tail ~ Q^b have moments below a * index and b * index. */
    double a = 1, b = 1;
    for (unsigned k = 1; k <= levels; k++) {
        if (path_bit(levels, block, k))
            a *= 2;
        else
            b *= 2;
    }
    return fmin(a, b) * theorem_tail_index(d) > 4;
}

void theorem_block_path(unsigned levels, unsigned block, char *buf) {
    for (unsigned k = 1; k <= levels; k++)
        buf[k - 1] = path_bit(levels, block, k) ? 'L' : 'S';
    buf[levels] = 0;
}

/* Base density, CDF F and its complement Q = 1 - F, each computed directly (never 1 - F) so the
 * compositions keep their relative precision in both tails. */
static void base_eval(const theorem_dist *d, double x, double *pdf, double *F, double *Q) {
    double z = (x - d->mu) / d->sigma;
    switch (d->family) {
    case THEOREM_NORMAL:
        *pdf = gsl_ran_ugaussian_pdf(z) / d->sigma;
        *F = gsl_cdf_ugaussian_P(z);
        *Q = gsl_cdf_ugaussian_Q(z);
        return;
    case THEOREM_TRUNCNORMAL: {
        double a = (d->lo - d->mu) / d->sigma, b = (d->hi - d->mu) / d->sigma;
        double mass = gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
        if (x < d->lo) {
            *pdf = 0, *F = 0, *Q = 1;
        } else if (x > d->hi) {
            *pdf = 0, *F = 1, *Q = 0;
        } else {
            *pdf = gsl_ran_ugaussian_pdf(z) / (d->sigma * mass);
            *F = (gsl_cdf_ugaussian_P(z) - gsl_cdf_ugaussian_P(a)) / mass;
            *Q = (gsl_cdf_ugaussian_Q(z) - gsl_cdf_ugaussian_Q(b)) / mass;
        }
        return;
    }
    case THEOREM_STUDENT_T:
        *pdf = gsl_ran_tdist_pdf(z, d->nu) / d->sigma;
        *F = gsl_cdf_tdist_P(z, d->nu);
        *Q = gsl_cdf_tdist_Q(z, d->nu);
        return;
    }
    *pdf = 0, *F = 0, *Q = 1; /* unreachable: every family is handled above */
}

/* Composes min / max along the block's path: density by the chain rule (d/dF of F^2 is 2F, of
 * 1 - (1 - F)^2 is 2Q); F_max = F^2, Q_max = Q (1 + F); F_min = F (1 + Q), Q_min = Q^2. */
static void block_eval(const theorem_dist *d, unsigned levels, unsigned block, double x,
                       double *pdf, double *F, double *Q) {
    double g, f, q;
    base_eval(d, x, &g, &f, &q);
    for (unsigned k = 1; k <= levels; k++) {
        if (path_bit(levels, block, k)) {
            g *= 2 * f;
            q = q * (1 + f);
            f = f * f;
        } else {
            g *= 2 * q;
            f = f * (1 + q);
            q = q * q;
        }
    }
    *pdf = g, *F = f;
    if (Q)
        *Q = q;
}

double theorem_pdf(const theorem_dist *d, double x) {
    double p, F, Q;
    base_eval(d, x, &p, &F, &Q);
    return p;
}

double theorem_block_pdf(const theorem_dist *d, unsigned levels, unsigned block, double x) {
    double p, F;
    block_eval(d, levels, block, x, &p, &F, NULL);
    return p;
}

double theorem_block_cdf(const theorem_dist *d, unsigned levels, unsigned block, double x) {
    double p, F;
    block_eval(d, levels, block, x, &p, &F, NULL);
    return F;
}

/* ---- quadrature ---- */

typedef struct {
    const theorem_dist *d;
    unsigned levels, block;
    double centre; /* integrate (x - centre)^power g(x) */
    int power;
} moment_arg;

static double moment_integrand(double x, void *arg) {
    const moment_arg *a = arg;
    double p, F;
    block_eval(a->d, a->levels, a->block, x, &p, &F, NULL);
    if (p == 0)
        return 0; /* also keeps 0 * inf out of the tails */
    double y = x - a->centre;
    return (a->power == 1 ? y : y * y) * p;
}

/* Integral of fn over the distribution's support: qags on a truncation interval, otherwise
 * qagil / qagiu split at the location (the peak, which qagi's map would otherwise squeeze). */
static int integrate(const theorem_dist *d, gsl_function *fn, gsl_integration_workspace *w,
                     double *out, qb_error *err) {
    double r1 = 0, r2 = 0, e1, e2;
    int s;
    if (d->family == THEOREM_TRUNCNORMAL) {
        s = gsl_integration_qags(fn, d->lo, d->hi, QUAD_EPSABS, QUAD_EPSREL, QUAD_LIMIT, w, &r1,
                                 &e1);
        if (quad_ok(s, r1, e1))
            s = GSL_SUCCESS;
    } else {
        s = gsl_integration_qagil(fn, d->mu, QUAD_EPSABS, QUAD_EPSREL, QUAD_LIMIT, w, &r1, &e1);
        if (quad_ok(s, r1, e1)) {
            s = gsl_integration_qagiu(fn, d->mu, QUAD_EPSABS, QUAD_EPSREL, QUAD_LIMIT, w, &r2, &e2);
            if (quad_ok(s, r2, e2))
                s = GSL_SUCCESS;
        }
    }
    if (s)
        return qb_internal(err, "quadrature over the %s density did not converge: %s", d->name,
                           gsl_strerror(s));
    *out = r1 + r2;
    return QB_OK;
}

static int check_dist(const theorem_dist *d, unsigned levels, unsigned block, qb_error *err) {
    if (levels > THEOREM_MAX_LEVELS)
        return qb_fail(err, "theorem: levels must be in 0..%d (got %u)", THEOREM_MAX_LEVELS,
                       levels);
    if (block >= (1u << levels))
        return qb_fail(err, "theorem: block %u does not exist after %u levels", block, levels);
    if (!(d->sigma > 0))
        return qb_fail(err, "theorem: sigma must be positive");
    if (d->family == THEOREM_TRUNCNORMAL && !(d->hi > d->lo))
        return qb_fail(err, "theorem: truncation needs lo < hi");
    if (d->family == THEOREM_STUDENT_T && !(d->nu > 2))
        return qb_fail(err, "theorem: Student t needs nu > 2 for a finite variance");
    return QB_OK;
}

int theorem_block_quad(const theorem_dist *d, unsigned levels, unsigned block, theorem_moments *out,
                       qb_error *err) {
    int s = check_dist(d, levels, block, err);
    if (s)
        return s;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!w)
        return qb_oom(err);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    moment_arg a = {d, levels, block, d->mu, 1};
    gsl_function fn = {moment_integrand, &a};
    double m = 0, v = 0;
    s = integrate(d, &fn, w, &m, err);
    if (!s) {
        a.centre = d->mu + m, a.power = 2;
        s = integrate(d, &fn, w, &v, err);
    }
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(w);
    if (!s)
        *out = (theorem_moments){.mean = d->mu + m, .var = v};
    return s;
}

int theorem_fraction_quad(const theorem_dist *d, unsigned levels, double *fraction, qb_error *err) {
    theorem_moments base, b;
    int s = theorem_block_quad(d, 0, 0, &base, err);
    double sum = 0;
    for (unsigned k = 0; !s && k < (1u << levels); k++) {
        s = theorem_block_quad(d, levels, k, &b, err);
        sum += b.var;
    }
    if (!s)
        *fraction = sum / (double)(1u << levels) / base.var;
    return s;
}

theorem_pair_moments theorem_closed_form(double mu, double sigma) {
    double s2 = sigma * sigma;
    return (theorem_pair_moments){.mean_max = mu + sigma / sqrt(M_PI),
                                  .var_max = (1 - 1 / M_PI) * s2,
                                  .mean_min = mu - sigma / sqrt(M_PI),
                                  .var_min = (1 - 1 / M_PI) * s2,
                                  .cov_min_max = s2 / M_PI};
}

/* E[(min - c)(max - c)] = integral over y of 2 (y - c) f(y) I(y), I(y) = integral of (x - c) f(x)
 * for x < y: the joint density of (min, max) is 2 f(x) f(y) on x < y. */
typedef struct {
    const theorem_dist *d;
    gsl_integration_workspace *inner_w;
    double below_mu; /* I(mu), computed once */
    int status;
} joint_arg;

static double inner_integrand(double x, void *arg) {
    const theorem_dist *d = arg;
    double p = theorem_pdf(d, x);
    return p == 0 ? 0 : (x - d->mu) * p;
}

/* I(y): from the lower end of the support to y. Above the location it is I(mu) plus a finite
 * piece, so qagil never has to find a peak squeezed far from its end point. */
static int inner(joint_arg *a, double y, double *r) {
    const theorem_dist *d = a->d;
    gsl_function fn = {inner_integrand, (void *)d};
    double lo = d->family == THEOREM_TRUNCNORMAL ? d->lo : d->mu, base = 0, e = 0;
    int s;
    if (d->family == THEOREM_TRUNCNORMAL || y > d->mu) {
        base = d->family == THEOREM_TRUNCNORMAL ? 0 : a->below_mu;
        s = gsl_integration_qags(&fn, lo, y, QUAD_EPSABS, QUAD_EPSREL, QUAD_LIMIT, a->inner_w, r,
                                 &e);
    } else {
        s = gsl_integration_qagil(&fn, y, QUAD_EPSABS, QUAD_EPSREL, QUAD_LIMIT, a->inner_w, r, &e);
    }
    if (!quad_ok(s, *r, e))
        return s;
    *r += base;
    return GSL_SUCCESS;
}

static double outer_integrand(double y, void *arg) {
    joint_arg *a = arg;
    const theorem_dist *d = a->d;
    double p = theorem_pdf(d, y), r = 0;
    if (p == 0)
        return 0;
    int s = inner(a, y, &r);
    if (s && !a->status)
        a->status = s;
    return 2 * (y - d->mu) * p * r;
}

int theorem_pair_quad(const theorem_dist *d, theorem_pair_moments *out, qb_error *err) {
    theorem_moments mn, mx;
    int s = theorem_block_quad(d, 1, 0, &mn, err);
    if (!s)
        s = theorem_block_quad(d, 1, 1, &mx, err);
    if (s)
        return s;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(QUAD_LIMIT);
    gsl_integration_workspace *wi = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!w || !wi) {
        gsl_integration_workspace_free(w);
        gsl_integration_workspace_free(wi);
        return qb_oom(err);
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    joint_arg a = {d, wi, 0, 0};
    if (d->family != THEOREM_TRUNCNORMAL)
        a.status = inner(&a, d->mu, &a.below_mu);
    gsl_function fn = {outer_integrand, &a};
    double cross = 0;
    if (!a.status)
        s = integrate(d, &fn, w, &cross, err);
    if (!s && a.status)
        s = qb_internal(err, "inner quadrature of E[min max] for %s did not converge: %s", d->name,
                        gsl_strerror(a.status));
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(w);
    gsl_integration_workspace_free(wi);
    if (s)
        return s;
    *out = (theorem_pair_moments){.mean_max = mx.mean,
                                  .var_max = mx.var,
                                  .mean_min = mn.mean,
                                  .var_min = mn.var,
                                  .cov_min_max = cross - (mn.mean - d->mu) * (mx.mean - d->mu)};
    return QB_OK;
}

/* ---- Monte Carlo ---- */

void theorem_tournament(double *v, unsigned levels) {
    double lo[THEOREM_MAX_BLOCKS / 2], hi[THEOREM_MAX_BLOCKS / 2];
    size_t d = (size_t)1 << levels;
    for (unsigned k = 0; k < levels; k++) {
        size_t w = d >> k, half = w / 2;
        for (size_t start = 0; start < d; start += w) {
            for (size_t p = 0; p < half; p++) {
                double a = v[start + 2 * p], b = v[start + 2 * p + 1];
                lo[p] = b < a ? b : a;
                hi[p] = b < a ? a : b;
            }
            memcpy(v + start, lo, half * sizeof *v);
            memcpy(v + start + half, hi, half * sizeof *v);
        }
    }
}

/* For small integer nu, Z / sqrt(chi2_nu / nu) with chi2_nu a sum of nu squared normals: exact,
 * and 6x faster than gsl_ran_tdist's rejection sampler, which dominated the whole command. */
static double student_t(gsl_rng *r, double nu) {
    if (nu != floor(nu) || nu > 16)
        return gsl_ran_tdist(r, nu);
    double z = gsl_ran_gaussian_ziggurat(r, 1.0), chi2 = 0;
    for (int k = 0; k < (int)nu; k++) {
        double g = gsl_ran_gaussian_ziggurat(r, 1.0);
        chi2 += g * g;
    }
    return z / sqrt(chi2 / nu);
}

static double draw(const theorem_dist *d, gsl_rng *r) {
    switch (d->family) {
    case THEOREM_NORMAL:
        return d->mu + gsl_ran_gaussian_ziggurat(r, d->sigma);
    case THEOREM_TRUNCNORMAL: {
        double v;
        do
            v = d->mu + gsl_ran_gaussian_ziggurat(r, d->sigma);
        while (v < d->lo || v > d->hi);
        return v;
    }
    case THEOREM_STUDENT_T:
        return d->mu + d->sigma * student_t(r, d->nu);
    }
    return 0;
}

/* Power sums of (x - mu) for one chunk: per block s[b][0..3] = sums of y, y^2, y^3, y^4; all
 * values' y and y^2; and the l = 1 cross sum of y_min y_max. */
typedef struct {
    uint64_t n;
    double s[THEOREM_MAX_BLOCKS][4];
    double all1, all2, cross;
} mc_sums;

static uint64_t mc_cell(const theorem_dist *d, unsigned levels) {
    char key[160];
    snprintf(key, sizeof key, "theorem/%s/mu=%.17g/sigma=%.17g/l=%u", d->name, d->mu, d->sigma,
             levels);
    return rng_hash_string(key);
}

static int mc_chunk(const theorem_dist *d, unsigned levels, uint64_t n, uint64_t seed, size_t chunk,
                    mc_sums *out) {
    gsl_rng *r = rng_stream(seed, mc_cell(d, levels), RNG_STREAM_MONTE_CARLO + 1000 * chunk);
    if (!r)
        return -1;
    memset(out, 0, sizeof *out);
    out->n = n;
    size_t width = (size_t)1 << levels;
    double v[THEOREM_MAX_BLOCKS];
    for (uint64_t i = 0; i < n; i++) {
        for (size_t j = 0; j < width; j++) {
            v[j] = draw(d, r) - d->mu;
            out->all1 += v[j];
            out->all2 += v[j] * v[j];
        }
        theorem_tournament(v, levels);
        for (size_t b = 0; b < width; b++) {
            double y = v[b], y2 = y * y;
            out->s[b][0] += y;
            out->s[b][1] += y2;
            out->s[b][2] += y2 * y;
            out->s[b][3] += y2 * y2;
        }
        if (levels == 1)
            out->cross += v[0] * v[1];
    }
    gsl_rng_free(r);
    return 0;
}

/* Unbiased variance from power sums. */
static double sums_var(double n, double s1, double s2) {
    double m = s1 / n;
    return (s2 / n - m * m) * n / (n - 1);
}

static double chunk_fraction(const mc_sums *c, size_t width) {
    double n = (double)c->n, sum = 0;
    for (size_t b = 0; b < width; b++)
        sum += sums_var(n, c->s[b][0], c->s[b][1]);
    return sum / (double)width / sums_var(n * (double)width, c->all1, c->all2);
}

static double chunk_cov(const mc_sums *c) {
    double n = (double)c->n;
    return (c->cross / n - (c->s[0][0] / n) * (c->s[1][0] / n)) * n / (n - 1);
}

double theorem_batch_t95(void) {
    return gsl_cdf_tdist_Pinv(0.975, THEOREM_MC_BATCHES - 1);
}

int theorem_mc_run(const theorem_dist *d, unsigned levels, uint64_t samples, uint64_t seed,
                   theorem_mc *out, qb_error *err) {
    int s = check_dist(d, levels, 0, err);
    if (s)
        return s;
    if (levels < 1)
        return qb_fail(err, "theorem: Monte Carlo needs levels in 1..%d", THEOREM_MAX_LEVELS);
    if (samples < THEOREM_MC_MIN_SAMPLES)
        return qb_fail(err, "theorem: --samples must be at least %d", THEOREM_MC_MIN_SAMPLES);
    mc_sums *c = malloc(THEOREM_MC_BATCHES * sizeof *c);
    if (!c)
        return qb_oom(err);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (int k = 0; k < THEOREM_MC_BATCHES; k++) {
        uint64_t n = samples / THEOREM_MC_BATCHES + ((uint64_t)k < samples % THEOREM_MC_BATCHES);
        failed |= mc_chunk(d, levels, n, seed, (size_t)k, &c[k]) != 0;
    }
    if (failed) {
        free(c);
        return qb_oom(err);
    }

    /* Pool in chunk order (fixed, so any thread count gives the same bits). */
    mc_sums t = {0};
    size_t width = (size_t)1 << levels;
    for (int k = 0; k < THEOREM_MC_BATCHES; k++) {
        t.n += c[k].n;
        for (size_t b = 0; b < width; b++)
            for (int p = 0; p < 4; p++)
                t.s[b][p] += c[k].s[b][p];
        t.all1 += c[k].all1, t.all2 += c[k].all2, t.cross += c[k].cross;
    }
    memset(out, 0, sizeof *out);
    out->levels = levels;
    out->samples = samples;
    double n = (double)t.n;
    for (size_t b = 0; b < width; b++) {
        double m1 = t.s[b][0] / n, r2 = t.s[b][1] / n, r3 = t.s[b][2] / n, r4 = t.s[b][3] / n;
        double c2 = r2 - m1 * m1;
        double c4 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1;
        theorem_mc_block *o = &out->blocks[b];
        o->mean = d->mu + m1;
        o->var = c2 * n / (n - 1);
        o->mean_se = sqrt(o->var / n);
        o->var_se = sqrt(fmax(c4 - c2 * c2, 0) / n);
        o->fourth_moment_finite = theorem_block_fourth_moment_finite(d, levels, (unsigned)b);
    }
    out->base_var = sums_var(n * (double)width, t.all1, t.all2);
    out->fraction = chunk_fraction(&t, width);
    if (levels == 1)
        out->cov = chunk_cov(&t);

    /* Batch means: the spread of the chunks' own estimates. */
    double f1 = 0, f2 = 0, v1 = 0, v2 = 0;
    for (int k = 0; k < THEOREM_MC_BATCHES; k++) {
        double f = chunk_fraction(&c[k], width);
        f1 += f, f2 += f * f;
        if (levels == 1) {
            double v = chunk_cov(&c[k]);
            v1 += v, v2 += v * v;
        }
    }
    double K = THEOREM_MC_BATCHES;
    out->fraction_se = sqrt(fmax(f2 / K - (f1 / K) * (f1 / K), 0) * K / (K - 1) / K);
    if (levels == 1)
        out->cov_se = sqrt(fmax(v2 / K - (v1 / K) * (v1 / K), 0) * K / (K - 1) / K);
    free(c);
    return QB_OK;
}

int theorem_max_histogram(const theorem_dist *d, uint64_t samples, uint64_t seed, double lo,
                          double hi, size_t bins, double *density, qb_error *err) {
    int s = check_dist(d, 1, 0, err);
    if (s)
        return s;
    if (!(hi > lo) || bins == 0 || samples == 0)
        return qb_fail(err, "theorem: histogram needs lo < hi, bins and samples");
    gsl_rng *r = rng_stream(seed, mc_cell(d, 1) ^ 0x68697374ULL, RNG_STREAM_MONTE_CARLO);
    if (!r)
        return qb_oom(err);
    memset(density, 0, bins * sizeof *density);
    double w = (hi - lo) / (double)bins;
    for (uint64_t i = 0; i < samples; i++) {
        double a = draw(d, r), b = draw(d, r);
        double m = a > b ? a : b;
        if (m >= lo && m < hi) {
            size_t k = (size_t)((m - lo) / w);
            density[k < bins ? k : bins - 1] += 1;
        }
    }
    for (size_t k = 0; k < bins; k++)
        density[k] /= (double)samples * w;
    gsl_rng_free(r);
    return QB_OK;
}
