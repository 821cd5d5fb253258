/* gist.c - GIST after LMgist.m (prefilt, createGabor, gistGabor, downN), with GSL's
 * mixed-radix complex FFT for the 2-D transforms. Kept in its own translation unit: GSL's
 * headers must not meet cblas.h. */
#include "gist.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREFILT_PAD 5 /* LMgist's prefilter pads 5 pixels symmetrically */

struct gist_plan {
    size_t side;       /* image side */
    size_t pn;         /* prefilter FFT side: side + 2*PREFILT_PAD, made even */
    size_t gn;         /* Gabor FFT side: side + 2*ext */
    size_t ext;        /* symmetric boundary extension for the Gabor stage */
    double *pre_gauss; /* (pn, pn) prefilter low-pass transfer function */
    double *gabor;     /* (32, gn, gn) Gabor transfer functions */
    gsl_fft_complex_wavetable *pwt, *gwt;
};

struct gist_work {
    gsl_fft_complex_workspace *pws, *gws;
    double *a, *b; /* (max(pn,gn)^2) complex scratch */
    double *spec;  /* (gn^2) complex spectrum of the prefiltered image */
    float *img;    /* (side^2) */
};

/* Signed FFT frequency of index k on an n grid (fftshift order undone). */
static double freq(size_t k, size_t n) {
    return k < n / 2 ? (double)k : (double)k - (double)n;
}

double gist_scale_frequency(size_t s) {
    return 0.3 / pow(1.85, (double)s);
}

double gist_orientation_angle(size_t o) {
    double a = -(double)o * M_PI / GIST_ORIENTATIONS;
    return a < 0 ? a + M_PI : a;
}

/* Symmetric (mirror, edge repeated) index into 0..n-1, as MATLAB's padarray 'symmetric'. */
static size_t mirror(long i, size_t n) {
    long m = (long)n;
    while (i < 0 || i >= m)
        i = i < 0 ? -i - 1 : 2 * m - i - 1;
    return (size_t)i;
}

int gist_plan_create(gist_plan **out, size_t side, qb_error *err) {
    *out = NULL;
    if (side < GIST_GRID || side % GIST_GRID || side > 4096)
        return qb_fail(err, "GIST image side %zu must be a multiple of %d (at most 4096)", side,
                       GIST_GRID);
    gsl_set_error_handler_off();
    gist_plan *p = calloc(1, sizeof *p);
    if (!p)
        return qb_oom(err);
    p->side = side;
    p->pn = side + 2 * PREFILT_PAD;
    p->pn += p->pn % 2;
    /* Half the image on each side: room for the coarsest Gabor (period ~ 21 px) at 32 px. */
    p->ext = side / 2;
    p->gn = side + 2 * p->ext;
    size_t nf = GIST_SCALES * GIST_ORIENTATIONS, gn = p->gn, pn = p->pn;
    p->pre_gauss = malloc(pn * pn * sizeof(double));
    p->gabor = malloc(nf * gn * gn * sizeof(double));
    p->pwt = gsl_fft_complex_wavetable_alloc(pn);
    p->gwt = gsl_fft_complex_wavetable_alloc(gn);
    if (!p->pre_gauss || !p->gabor || !p->pwt || !p->gwt) {
        gist_plan_free(p);
        return qb_oom(err);
    }
    double s1 = GIST_PREFILTER_FC / sqrt(log(2.0));
    for (size_t y = 0; y < pn; y++)
        for (size_t x = 0; x < pn; x++) {
            double fx = freq(x, pn), fy = freq(y, pn);
            p->pre_gauss[y * pn + x] = exp(-(fx * fx + fy * fy) / (s1 * s1));
        }
    /* createGabor: exp(-10 a (fr/n/f0 - 1)^2 - 2 b pi tr^2), a = 0.35, b = 16 o^2/32^2 = 1. */
    double b = 16.0 * GIST_ORIENTATIONS * GIST_ORIENTATIONS / (32.0 * 32.0);
    for (size_t s = 0; s < GIST_SCALES; s++)
        for (size_t o = 0; o < GIST_ORIENTATIONS; o++) {
            double f0 = gist_scale_frequency(s), theta = M_PI / GIST_ORIENTATIONS * (double)o;
            double *g = p->gabor + (s * GIST_ORIENTATIONS + o) * gn * gn;
            for (size_t y = 0; y < gn; y++)
                for (size_t x = 0; x < gn; x++) {
                    double fx = freq(x, gn), fy = freq(y, gn);
                    double fr = sqrt(fx * fx + fy * fy), tr = atan2(fy, fx) + theta;
                    tr += tr < -M_PI ? 2 * M_PI : tr > M_PI ? -2 * M_PI : 0;
                    double r = fr / (double)gn / f0 - 1;
                    g[y * gn + x] = exp(-10 * 0.35 * r * r - 2 * b * M_PI * tr * tr);
                }
        }
    *out = p;
    return QB_OK;
}

void gist_plan_free(gist_plan *p) {
    if (!p)
        return;
    free(p->pre_gauss);
    free(p->gabor);
    if (p->pwt)
        gsl_fft_complex_wavetable_free(p->pwt);
    if (p->gwt)
        gsl_fft_complex_wavetable_free(p->gwt);
    free(p);
}

gist_work *gist_work_create(const gist_plan *p) {
    gist_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t m = p->pn > p->gn ? p->pn : p->gn;
    w->pws = gsl_fft_complex_workspace_alloc(p->pn);
    w->gws = gsl_fft_complex_workspace_alloc(p->gn);
    w->a = malloc(2 * m * m * sizeof(double));
    w->b = malloc(2 * m * m * sizeof(double));
    w->spec = malloc(2 * p->gn * p->gn * sizeof(double));
    w->img = malloc(p->side * p->side * sizeof(float));
    if (!w->pws || !w->gws || !w->a || !w->b || !w->spec || !w->img) {
        gist_work_free(w);
        return NULL;
    }
    return w;
}

void gist_work_free(gist_work *w) {
    if (!w)
        return;
    if (w->pws)
        gsl_fft_complex_workspace_free(w->pws);
    if (w->gws)
        gsl_fft_complex_workspace_free(w->gws);
    free(w->a);
    free(w->b);
    free(w->spec);
    free(w->img);
    free(w);
}

/* In-place 2-D transform of an (n, n) packed complex array: rows, then columns. */
static void fft2(double *z, size_t n, gsl_fft_direction dir, const gsl_fft_complex_wavetable *wt,
                 gsl_fft_complex_workspace *ws) {
    for (size_t r = 0; r < n; r++)
        gsl_fft_complex_transform(z + 2 * r * n, 1, n, wt, ws, dir);
    for (size_t c = 0; c < n; c++)
        gsl_fft_complex_transform(z + 2 * c, n, n, wt, ws, dir);
    if (dir == gsl_fft_backward) {
        double inv = 1.0 / (double)(n * n);
        for (size_t i = 0; i < 2 * n * n; i++)
            z[i] *= inv;
    }
}

/* prefilt.m: log, whiten (subtract the low-pass), divide by the local standard deviation. */
static void prefilter(const gist_plan *p, gist_work *w) {
    size_t n = p->pn, side = p->side;
    double *a = w->a, *b = w->b;
    for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++) {
            size_t sy = mirror((long)y - PREFILT_PAD, side),
                   sx = mirror((long)x - PREFILT_PAD, side);
            a[2 * (y * n + x)] = log(1.0 + w->img[sy * side + sx]);
            a[2 * (y * n + x) + 1] = 0;
        }
    memcpy(b, a, 2 * n * n * sizeof *a);
    fft2(b, n, gsl_fft_forward, p->pwt, w->pws);
    for (size_t i = 0; i < n * n; i++) {
        b[2 * i] *= p->pre_gauss[i];
        b[2 * i + 1] *= p->pre_gauss[i];
    }
    fft2(b, n, gsl_fft_backward, p->pwt, w->pws);
    for (size_t i = 0; i < n * n; i++) { /* a = whitened image; b = its square */
        a[2 * i] -= b[2 * i];
        b[2 * i] = a[2 * i] * a[2 * i];
        b[2 * i + 1] = 0;
    }
    fft2(b, n, gsl_fft_forward, p->pwt, w->pws);
    for (size_t i = 0; i < n * n; i++) {
        b[2 * i] *= p->pre_gauss[i];
        b[2 * i + 1] *= p->pre_gauss[i];
    }
    fft2(b, n, gsl_fft_backward, p->pwt, w->pws);
    for (size_t y = 0; y < side; y++)
        for (size_t x = 0; x < side; x++) {
            size_t i = (y + PREFILT_PAD) * n + x + PREFILT_PAD;
            double local_std = sqrt(hypot(b[2 * i], b[2 * i + 1]));
            w->img[y * side + x] = (float)(a[2 * i] / (0.2 + local_std));
        }
}

void gist_compute(const gist_plan *p, const float *img, float *out, gist_work *w) {
    size_t side = p->side, gn = p->gn, ext = p->ext, cell = side / GIST_GRID;
    float lo = img[0], hi = img[0];
    for (size_t i = 1; i < side * side; i++) {
        lo = img[i] < lo ? img[i] : lo;
        hi = img[i] > hi ? img[i] : hi;
    }
    for (size_t i = 0; i < side * side; i++) /* LMgist: rescale to 0..255 */
        w->img[i] = hi > lo ? 255.0f * (img[i] - lo) / (hi - lo) : 0.0f;
    prefilter(p, w);

    double *spec = w->spec, *z = w->a;
    for (size_t y = 0; y < gn; y++)
        for (size_t x = 0; x < gn; x++) {
            size_t sy = mirror((long)y - (long)ext, side), sx = mirror((long)x - (long)ext, side);
            spec[2 * (y * gn + x)] = w->img[sy * side + sx];
            spec[2 * (y * gn + x) + 1] = 0;
        }
    fft2(spec, gn, gsl_fft_forward, p->gwt, w->gws);
    for (size_t f = 0; f < GIST_SCALES * GIST_ORIENTATIONS; f++) {
        const double *g = p->gabor + f * gn * gn;
        for (size_t i = 0; i < gn * gn; i++) {
            z[2 * i] = spec[2 * i] * g[i];
            z[2 * i + 1] = spec[2 * i + 1] * g[i];
        }
        fft2(z, gn, gsl_fft_backward, p->gwt, w->gws);
        /* downN: mean of |response| over each grid cell of the (unextended) image. */
        float *o = out + f * GIST_GRID * GIST_GRID;
        for (size_t gy = 0; gy < GIST_GRID; gy++)
            for (size_t gx = 0; gx < GIST_GRID; gx++) {
                double sum = 0;
                for (size_t y = gy * cell; y < (gy + 1) * cell; y++)
                    for (size_t x = gx * cell; x < (gx + 1) * cell; x++) {
                        size_t i = (y + ext) * gn + x + ext;
                        sum += hypot(z[2 * i], z[2 * i + 1]);
                    }
                o[gy * GIST_GRID + gx] = (float)(sum / (double)(cell * cell));
            }
    }
}

int gist_images(const matrix *pixels, size_t h, size_t w, size_t side, matrix *out, qb_error *err) {
    *out = (matrix){0};
    if (h * w != pixels->cols || h > side || w > side)
        return qb_fail(err, "GIST: %zu x %zu images do not match %zu columns or exceed side %zu", h,
                       w, pixels->cols, side);
    gist_plan *p;
    int s = gist_plan_create(&p, side, err);
    if (s)
        return s;
    if ((s = matrix_alloc(out, pixels->rows, GIST_DIM, err))) {
        gist_plan_free(p);
        return s;
    }
    int oom = 0;
    long n = (long)pixels->rows;
#pragma omp parallel reduction(| : oom)
    {
        gist_work *wk = gist_work_create(p);
        float *canvas = calloc(side * side, sizeof(float));
        oom = !wk || !canvas;
        size_t oy = (side - h) / 2, ox = (side - w) / 2;
#pragma omp for schedule(dynamic, 64)
        for (long i = 0; i < n; i++) {
            if (oom)
                continue;
            const float *src = matrix_row(pixels, (size_t)i);
            for (size_t y = 0; y < h; y++)
                memcpy(canvas + (y + oy) * side + ox, src + y * w, w * sizeof(float));
            gist_compute(p, canvas, matrix_row(out, (size_t)i), wk);
        }
        gist_work_free(wk);
        free(canvas);
    }
    gist_plan_free(p);
    if (oom) {
        matrix_free(out);
        return qb_oom(err);
    }
    return QB_OK;
}
