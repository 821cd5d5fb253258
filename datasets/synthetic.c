/* synthetic.c - the paper's synthetic matrices from a seeded GSL stream. */
#include "synthetic.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "rng.h"

/* The matrix and the data stream of a generator; on failure neither is left allocated. */
static int start_matrix(matrix *out, size_t n, size_t d, uint64_t seed, gsl_rng **r,
                        qb_error *err) {
    int s = matrix_alloc(out, n, d, err);
    if (s)
        return s;
    *r = rng_stream(seed, 0, RNG_STREAM_DATA);
    if (!*r) {
        matrix_free(out);
        return qb_oom(err);
    }
    return QB_OK;
}

synthetic_spec synthetic_paper(void) {
    return (synthetic_spec){
        .mean = 0.5, .sd = 0.16, .lo = 0.0, .hi = 1.0, .outlier_rate = 1e-4, .outlier_abs = 100.0};
}

int synthetic_generate(matrix *out, size_t n, size_t d, const synthetic_spec *spec, uint64_t seed,
                       qb_error *err) {
    if (!(spec->sd > 0) || !(spec->hi > spec->lo))
        return qb_fail(err, "synthetic spec needs sd > 0 and hi > lo");
    gsl_rng *r;
    int s = start_matrix(out, n, d, seed, &r, err);
    if (s)
        return s;
    /* One sequential stream: the matrix depends on the seed only. Rejection sampling is cheap
     * here (the paper's interval holds 99.8% of the mass). */
    for (size_t i = 0; i < n * d; i++) {
        double v;
        do
            v = spec->mean + gsl_ran_gaussian_ziggurat(r, spec->sd);
        while (v < spec->lo || v > spec->hi);
        if (spec->outlier_rate > 0 && gsl_rng_uniform(r) < spec->outlier_rate)
            v = gsl_ran_flat(r, -spec->outlier_abs, spec->outlier_abs);
        out->data[i] = matrix_narrow(v);
    }
    gsl_rng_free(r);
    return QB_OK;
}

/* Every generated element must be a finite float32: a huge mean or spread overflows it. */
static int finite_or_free(matrix *out, const char *what, int s, qb_error *err) {
    if (!s && (s = matrix_check_finite(out, what, err)))
        matrix_free(out);
    return s;
}

int synthetic_gaussian(matrix *out, size_t n, size_t d, double mu, double sigma, uint64_t seed,
                       qb_error *err) {
    *out = (matrix){0};
    if (!isfinite(mu) || !(sigma > 0) || !isfinite(sigma))
        return qb_fail(err, "a Gaussian needs a finite mean and a finite sd > 0 (got %g, %g)", mu,
                       sigma);
    int s = matrix_alloc(out, n, d, err);
    if (!s && rng_gaussian_fill(out->data, n * d, mu, sigma, seed, 0, RNG_STREAM_DATA)) {
        matrix_free(out);
        s = qb_oom(err);
    }
    return finite_or_free(out, "the Gaussian matrix (float32 overflows: mean or sd too large)", s,
                          err);
}

int synthetic_lowrank(matrix *out, size_t n, size_t d, size_t rank, double noise, uint64_t seed,
                      qb_error *err) {
    if (rank < 1 || rank > d)
        return qb_fail(err, "--rank must be in 1..d (got %zu, d = %zu)", rank, d);
    *out = (matrix){0};
    if (!(noise >= 0) || !isfinite(noise))
        return qb_fail(err, "--noise must be a finite number at least 0");
    /* The matrix first: its size check bounds n * d, so n * rank * 8 <= 2 n d 4 cannot wrap. */
    int s = matrix_alloc(out, n, d, err);
    if (s)
        return s;
    double *z = malloc(n * rank * sizeof *z), *w = malloc(rank * d * sizeof *w); /* (n,r), (r,d) */
    gsl_rng *r = rng_stream(seed, 0, RNG_STREAM_DATA);
    if (!z || !w || !r) {
        matrix_free(out);
        s = qb_oom(err);
    }
    if (!s) {
        /* One stream, drawn in a fixed order (Z, W, then the noise row by row). */
        for (size_t i = 0; i < n * rank; i++)
            z[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
        for (size_t i = 0; i < rank * d; i++)
            w[i] = gsl_ran_gaussian_ziggurat(r, 1.0 / sqrt((double)rank));
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                double v = 0;
                for (size_t t = 0; t < rank; t++)
                    v += z[i * rank + t] * w[t * d + j];
                out->data[i * d + j] = matrix_narrow(v + gsl_ran_gaussian_ziggurat(r, noise));
            }
    }
    free(z);
    free(w);
    if (r)
        gsl_rng_free(r);
    return finite_or_free(out, "the low-rank matrix (float32 overflows: noise too large)", s, err);
}

int synthetic_ar1(matrix *out, size_t n, size_t d, double rho, uint64_t seed, qb_error *err) {
    if (!(rho > -1 && rho < 1))
        return qb_fail(err, "--rho must be in (-1, 1) (got %g)", rho);
    gsl_rng *r;
    int s = start_matrix(out, n, d, seed, &r, err);
    if (s)
        return s;
    double innov = sqrt(1 - rho * rho);
    for (size_t i = 0; i < n; i++) {
        double v = gsl_ran_gaussian_ziggurat(r, 1.0);
        out->data[i * d] = matrix_narrow(v);
        for (size_t j = 1; j < d; j++) {
            v = rho * v + gsl_ran_gaussian_ziggurat(r, innov);
            out->data[i * d + j] = matrix_narrow(v);
        }
    }
    gsl_rng_free(r);
    return QB_OK;
}
