/* test_gist.c - GIST on images whose answer follows from the filter design: a constant image
 * has no structure, a grating excites the orientation and scale it is made of; IDX reading on a
 * gzip file the test writes, and on truncated ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "gist.h"
#include "idx.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define SIDE 32

static void grating(float *img, double f, double a) {
    for (size_t y = 0; y < SIDE; y++)
        for (size_t x = 0; x < SIDE; x++)
            img[y * SIDE + x] =
                (float)(128 + 100 * cos(2 * M_PI * f * ((double)x * cos(a) + (double)y * sin(a))));
}

/* Energy per orientation (summed over scales and cells) or per scale. */
static size_t argmax_orientation(const float *g) {
    double e[GIST_ORIENTATIONS] = {0};
    for (size_t i = 0; i < GIST_DIM; i++)
        e[(i / 16) % GIST_ORIENTATIONS] += g[i];
    size_t best = 0;
    for (size_t o = 1; o < GIST_ORIENTATIONS; o++)
        best = e[o] > e[best] ? o : best;
    return best;
}

static size_t argmax_scale(const float *g) {
    double e[GIST_SCALES] = {0};
    for (size_t i = 0; i < GIST_DIM; i++)
        e[i / (16 * GIST_ORIENTATIONS)] += g[i];
    size_t best = 0;
    for (size_t s = 1; s < GIST_SCALES; s++)
        best = e[s] > e[best] ? s : best;
    return best;
}

static void test_filters(void) {
    qb_error err = {0};
    gist_plan *p;
    CHECK_OK(gist_plan_create(&p, SIDE, &err), &err);
    gist_work *w = gist_work_create(p);
    float img[SIDE * SIDE], g[GIST_DIM];

    /* A constant image: nothing survives the whitening, every cell and filter is equal (0). */
    for (size_t i = 0; i < SIDE * SIDE; i++)
        img[i] = 77;
    gist_compute(p, img, g, w);
    int flat = 1;
    for (size_t i = 0; i < GIST_DIM; i++)
        flat &= g[i] == g[0];
    CHECK(flat && fabsf(g[0]) < 1e-6f);

    /* A grating with wave direction a = k pi/8 excites the orientation tuned to a. */
    for (size_t k = 0; k < 8; k++) {
        double a = (double)k * M_PI / 8;
        size_t want = (8 - k) % 8;
        CHECK_NEAR(gist_orientation_angle(want), a, 1e-12);
        grating(img, 0.25, a);
        gist_compute(p, img, g, w);
        size_t got = argmax_orientation(g);
        CHECK_MSG(got == want, "grating at %zu pi/8: orientation %zu, expected %zu", k, got, want);
        /* and, being the same everywhere, excites every grid cell about equally */
        size_t f = argmax_scale(g) * GIST_ORIENTATIONS + want;
        double lo = 1e30, hi = 0;
        for (size_t c = 0; c < 16; c++) {
            lo = fmin(lo, g[f * 16 + c]);
            hi = fmax(hi, g[f * 16 + c]);
        }
        CHECK_MSG(lo > 0.5 * hi, "grating %zu: cells %g..%g", k, lo, hi);
    }
    /* Each scale's centre frequency excites that scale most. */
    for (size_t s = 0; s < 3; s++) {
        grating(img, gist_scale_frequency(s), 0);
        gist_compute(p, img, g, w);
        CHECK_MSG(argmax_scale(g) == s, "frequency of scale %zu lands on %zu", s, argmax_scale(g));
    }
    /* Structure in one corner only: that grid cell carries the most energy. */
    for (size_t i = 0; i < SIDE * SIDE; i++)
        img[i] = 0;
    for (size_t y = 0; y < 8; y++)
        for (size_t x = 24; x < 32; x++)
            img[y * SIDE + x] = (x + y) % 2 ? 255 : 0;
    gist_compute(p, img, g, w);
    double cells[16] = {0};
    for (size_t i = 0; i < GIST_DIM; i++)
        cells[i % 16] += g[i];
    size_t best = 0;
    for (size_t c = 1; c < 16; c++)
        best = cells[c] > cells[best] ? c : best;
    CHECK_MSG(best == 3, "corner cell (row 0, column 3) expected, got %zu", best);

    gist_work_free(w);
    gist_plan_free(p);
    CHECK(gist_plan_create(&p, 30, &err) == QB_EINPUT);
}

static void test_images_threads(void) {
    qb_error err = {0};
    matrix px, g1, g2;
    CHECK_OK(matrix_alloc(&px, 6, 28 * 28, &err), &err);
    for (size_t i = 0; i < px.rows * px.cols; i++)
        px.data[i] = (float)((i * 2654435761u) % 256);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK_OK(gist_images(&px, 28, 28, 32, &g1, &err), &err);
#ifdef _OPENMP
    omp_set_num_threads(3);
#endif
    CHECK_OK(gist_images(&px, 28, 28, 32, &g2, &err), &err);
    CHECK(g1.rows == 6 && g1.cols == 512 && !memcmp(g1.data, g2.data, 6 * 512 * sizeof(float)));
    int finite = 1;
    for (size_t i = 0; i < 6 * 512; i++)
        finite &= isfinite(g1.data[i]) && g1.data[i] >= 0;
    CHECK(finite);
    matrix_free(&g2);
    CHECK(gist_images(&px, 28, 27, 32, &g2, &err) == QB_EINPUT && g2.data == NULL);
    matrix_free(&px);
    matrix_free(&g1);
}

static void test_idx(void) {
    qb_error err = {0};
    const char *path = "test_gist.idx.gz";
    unsigned char head[16] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    unsigned char data[12] = {0, 1, 2, 3, 10, 20, 30, 40, 255, 254, 253, 252};
    gzFile f = gzopen(path, "wb");
    gzwrite(f, head, 16);
    gzwrite(f, data, 12);
    gzclose(f);
    matrix m;
    size_t dims[3];
    CHECK_OK(idx_read(path, 0, &m, dims, &err), &err);
    CHECK(m.rows == 3 && m.cols == 4 && dims[0] == 3 && dims[1] == 2 && dims[2] == 2);
    CHECK(m.data[5] == 20 && m.data[8] == 255 && m.data[11] == 252);
    matrix_free(&m);
    CHECK_OK(idx_read(path, 2, &m, dims, &err), &err);
    CHECK(m.rows == 2 && dims[0] == 3);
    matrix_free(&m);
    f = gzopen(path, "wb"); /* header promises 3 images, data holds 2.5 */
    gzwrite(f, head, 16);
    gzwrite(f, data, 10);
    gzclose(f);
    CHECK(idx_read(path, 0, &m, dims, &err) == QB_EINPUT && strstr(err.msg, "truncated"));
    head[2] = 0x0d; /* float IDX: not what the reader takes */
    f = gzopen(path, "wb");
    gzwrite(f, head, 16);
    gzclose(f);
    CHECK(idx_read(path, 0, &m, dims, &err) == QB_EINPUT && strstr(err.msg, "not an unsigned"));
    unlink(path);
}

/* The committed slice of real Fashion-MNIST images: header, pixel statistics computed from the
 * package's bytes when the slice was cut, and a GIST that is finite and differs per image. */
static void test_real_slice(const char *path) {
    qb_error err = {0};
    matrix px, g;
    size_t dims[3];
    CHECK_OK(idx_read(path, 0, &px, dims, &err), &err);
    CHECK(px.rows == 8 && px.cols == 784 && dims[1] == 28 && dims[2] == 28);
    double sum0 = 0, sum = 0, mx = 0;
    for (size_t i = 0; i < px.rows * px.cols; i++) {
        sum += px.data[i];
        mx = fmax(mx, px.data[i]);
    }
    for (size_t i = 0; i < 784; i++)
        sum0 += px.data[i];
    CHECK(sum0 == 76247 && mx == 255);
    CHECK_NEAR(sum / (8 * 784), 84.37755102040816, 1e-9);
    CHECK_OK(gist_images(&px, 28, 28, 32, &g, &err), &err);
    int finite = 1, differ = 0;
    for (size_t i = 0; i < 8 * 512; i++)
        finite &= isfinite(g.data[i]) && g.data[i] >= 0;
    for (size_t j = 0; j < 512; j++)
        differ |= g.data[j] != g.data[512 + j];
    CHECK(finite && differ);
    matrix_free(&px);
    matrix_free(&g);
}

int main(int argc, char **argv) {
    test_filters();
    test_images_threads();
    test_idx();
    if (argc > 1)
        test_real_slice(argv[1]);
    else
        CHECK_MSG(0, "usage: test_gist FASHION-SLICE.idx3.gz");
    return check_done("gist");
}
