/* gist.h - GIST scene descriptors (Oliva & Torralba 2001, after the authors' LMgist code): a
 * whitening and local-contrast prefilter, a bank of Gabor filters (4 scales x 8 orientations)
 * applied in the frequency domain with GSL's FFT, and filter energy averaged on a 4x4 grid,
 * giving 512 numbers per image. Used to turn package images into a GIST-like data set.
 *
 * Typical use:
 *     gist_plan *p; gist_plan_create(&p, 32, err);
 *     gist_compute(p, img32x32, desc512, work);   // or gist_images() for a whole matrix
 *     gist_plan_free(p);
 */
#ifndef QB_GIST_H
#define QB_GIST_H

#include <stddef.h>

#include "error.h"
#include "matrix.h"

#define GIST_SCALES 4
#define GIST_ORIENTATIONS 8
#define GIST_GRID 4
#define GIST_DIM (GIST_SCALES * GIST_ORIENTATIONS * GIST_GRID * GIST_GRID) /* 512 */
#define GIST_PREFILTER_FC 4.0 /* cycles per image below which the prefilter whitens (LMgist) */

typedef struct gist_plan gist_plan; /* filters and FFT tables for one image side */
typedef struct gist_work gist_work; /* per-thread scratch */

/* side: the (square) image side, a multiple of GIST_GRID. */
int gist_plan_create(gist_plan **p, size_t side, qb_error *err);
void gist_plan_free(gist_plan *p);
gist_work *gist_work_create(const gist_plan *p); /* NULL when out of memory */
void gist_work_free(gist_work *w);

/* img: (side, side) row-major, any range (rescaled to 0..255 first, as LMgist does).
 * out: (GIST_DIM); out[(s * 8 + o) * 16 + gy * 4 + gx] is the mean energy of scale s (0 finest),
 * orientation o, in grid cell row gy, column gx. */
void gist_compute(const gist_plan *p, const float *img, float *out, gist_work *w);

/* Direction (radians, in [0, pi)) of the spatial frequency orientation o is tuned to, measured
 * from the +x (column) axis towards +y (down the rows): pi - o*pi/8 for o > 0, 0 for o = 0. A
 * grating cos(2 pi f (x cos a + y sin a)) excites most the orientation whose direction is a. */
double gist_orientation_angle(size_t o);
/* Centre frequency (cycles per pixel) of scale s: 0.3 / 1.85^s. */
double gist_scale_frequency(size_t s);

/* GIST of each row of pixels (n, h*w): every h x w image is centred on a side x side canvas of
 * zeros (side >= h, w), then described. OpenMP over images; same result for any thread count. */
int gist_images(const matrix *pixels, size_t h, size_t w, size_t side, matrix *out, qb_error *err);

#endif
