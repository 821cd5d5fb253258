/* test_qet_variants.c - QET's layout and pairing variants: hand-computed 1x8 cases, fast path equal
 * to the reference and exact inverse for every (layout, window, l) on awkward values, inplace
 * adjacent groups equal to reordering each group alone, and the variants as `qet` cells (same
 * indicator bits, l = 0 still PQ, bad windows rejected). */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cell.h"
#include "check.h"
#include "qet.h"
#include "rng.h"
#include "synthetic.h"

static void check_case(const float *x, const qet_order *o, const float *want, const int *bits,
                       size_t nbits, const char *name) {
    float out[8], back[8];
    uint8_t map[4] = {0};
    qb_error err = {0};
    CHECK_OK(qet_reorder_with(x, 1, 8, o, out, map, &err), &err);
    CHECK_MSG(memcmp(out, want, sizeof out) == 0, "%s values", name);
    for (size_t i = 0; i < nbits; i++)
        CHECK_MSG(bits_get(map, i) == bits[i], "%s bit %zu", name, i);
    CHECK_OK(qet_inverse_with(out, 1, 8, o, map, back, &err), &err);
    CHECK_MSG(memcmp(back, x, sizeof back) == 0, "%s inverse", name);
}

static void hand_cases(void) {
    const float x[8] = {5, 1, 7, 3, 2, 8, 0, 4};
    /* strided, l = 1, w = 8: pairs (5,2) swap, (1,8), (7,0) swap, (3,4)
     * S = 2 1 0 3, L = 5 8 7 4; bits 1 0 1 0 */
    qet_order o = {1, QET_LAYOUT_BLOCKS, 8};
    const float s1[8] = {2, 1, 0, 3, 5, 8, 7, 4};
    const int b1[4] = {1, 0, 1, 0};
    check_case(x, &o, s1, b1, 4, "strided l=1 w=8");
    /* strided, l = 2, w = 4. Level 1, windows 0..3 and 4..7: (5,7) (1,3) (2,0) swap (8,4) swap
     *   S = 5 1 0 4, L = 7 3 2 8; bits 0 0 1 1
     * level 2, window 4 inside each block: S: (5,0) swap (1,4) -> 0 1 | 5 4;
     *   L: (7,2) swap (3,8) -> 2 3 | 7 8; bits 1 0 1 0 */
    o = (qet_order){2, QET_LAYOUT_BLOCKS, 4};
    const float s2[8] = {0, 1, 5, 4, 2, 3, 7, 8};
    const int b2[8] = {0, 0, 1, 1, 1, 0, 1, 0};
    check_case(x, &o, s2, b2, 8, "strided l=2 w=4");
    /* the same, inplace: blocks (0 1) (5 4) (2 3) (7 8) transposed -> 0 5 2 7 1 4 3 8 */
    o.layout = QET_LAYOUT_INPLACE;
    const float s2i[8] = {0, 5, 2, 7, 1, 4, 3, 8};
    check_case(x, &o, s2i, b2, 8, "strided inplace l=2 w=4");
    /* adjacent inplace, l = 2: each group of 4 columns ends sorted-by-tournament in its own
     * columns: {5 1 7 3} -> 1 3 5 7 and {2 8 0 4} -> 0 2 4 8.
     * level 1: (5,1) swap (7,3) swap (2,8) (0,4): bits 1 1 0 0; S = 1 3 2 0, L = 5 7 8 4
     * level 2: (1,3) (2,0) swap (5,7) (8,4) swap: bits 0 1 0 1 */
    o = (qet_order){2, QET_LAYOUT_INPLACE, 2};
    const float a2i[8] = {1, 3, 5, 7, 0, 2, 4, 8};
    const int ba[8] = {1, 1, 0, 0, 0, 1, 0, 1};
    check_case(x, &o, a2i, ba, 8, "adjacent inplace l=2");
    /* a window of 2 is the paper's order */
    o = (qet_order){1, QET_LAYOUT_BLOCKS, 2};
    const float a1[8] = {1, 3, 2, 0, 5, 7, 8, 4};
    check_case(x, &o, a1, ba, 4, "adjacent l=1");
}

static void fill_awkward(float *x, size_t count, gsl_rng *r) {
    const float special[] = {0.0f, -0.0f, FLT_MIN / 4, -FLT_MIN / 8, FLT_MAX, -FLT_MAX, 1.0f, 1.0f};
    for (size_t i = 0; i < count; i++) {
        unsigned long u = gsl_rng_uniform_int(r, 4);
        x[i] = u == 0 ? special[gsl_rng_uniform_int(r, 8)] : (float)(gsl_rng_uniform(r) * 4 - 2);
        if (u == 1)
            x[i] = (float)(int)x[i]; /* many ties */
    }
}

/* Every layout, window and level the shape allows: fast == reference (values and bits), and the
 * inverse gives back every bit. */
static void fast_equals_reference(void) {
    gsl_rng *r = rng_stream(77, 0, 0);
    size_t shapes[][2] = {{1, 2}, {3, 4}, {17, 8}, {130, 16}, {65, 24}, {70, 128}, {9, 96}};
    size_t windows[] = {2, 4, 6, 8, 16, 32, 0};
    qb_error err;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t n = shapes[s][0], d = shapes[s][1];
        float *x = malloc(n * d * sizeof *x), *a = malloc(n * d * sizeof *a),
              *b = malloc(n * d * sizeof *b), *back = malloc(n * d * sizeof *back);
        fill_awkward(x, n * d, r);
        for (unsigned l = 1; l <= 6 && (d % (1u << l)) == 0; l++)
            for (int lay = 0; lay < 2; lay++)
                for (size_t wi = 0; wi < sizeof windows / sizeof *windows; wi++) {
                    qet_order o = {l, (qet_layout)lay, windows[wi] ? windows[wi] : d};
                    if (qet_check_order(d, &o, &err))
                        continue;
                    size_t bytes = qet_imap_bytes(n, d, l) + 1;
                    uint8_t *ma = malloc(bytes), *mb = calloc(bytes, 1);
                    memset(ma, 0xff, bytes); /* the fast path must clear what it owns */
                    CHECK_OK(qet_reorder_with(x, n, d, &o, a, ma, &err), &err);
                    CHECK_OK(qet_reorder_reference_with(x, n, d, &o, b, mb, &err), &err);
                    CHECK_MSG(memcmp(a, b, n * d * sizeof *a) == 0, "n=%zu d=%zu l=%u lay=%d w=%zu",
                              n, d, l, lay, o.window);
                    CHECK_MSG(memcmp(ma, mb, bytes - 1) == 0, "bits n=%zu d=%zu l=%u lay=%d w=%zu",
                              n, d, l, lay, o.window);
                    CHECK_OK(qet_inverse_with(a, n, d, &o, ma, back, &err), &err);
                    CHECK_MSG(memcmp(back, x, n * d * sizeof *x) == 0,
                              "inverse n=%zu d=%zu l=%u lay=%d w=%zu", n, d, l, lay, o.window);
                    free(ma);
                    free(mb);
                }
        free(x);
        free(a);
        free(b);
        free(back);
    }
    gsl_rng_free(r);
}

/* Adjacent inplace, independently: columns g*2^l .. of the output are the paper's reorder of the
 * source group g alone (a row of 2^l columns). */
static void inplace_groups(void) {
    gsl_rng *r = rng_stream(78, 0, 0);
    size_t n = 33, d = 48;
    float *x = malloc(n * d * sizeof *x), *a = malloc(n * d * sizeof *a), g[16], gout[16];
    fill_awkward(x, n * d, r);
    uint8_t *map = calloc(qet_imap_bytes(n, d, 4) + 1, 1), gmap[8];
    qb_error err = {0};
    for (unsigned l = 1; l <= 4; l++) {
        qet_order o = {l, QET_LAYOUT_INPLACE, 2};
        CHECK_OK(qet_reorder_with(x, n, d, &o, a, map, &err), &err);
        size_t G = (size_t)1 << l;
        int same = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t gi = 0; gi < d / G; gi++) {
                memcpy(g, x + i * d + gi * G, G * sizeof *g);
                CHECK_OK(qet_reorder_reference(g, 1, G, l, gout, gmap, &err), &err);
                same &= memcmp(gout, a + i * d + gi * G, G * sizeof *g) == 0;
            }
        CHECK_MSG(same, "l=%u: inplace groups differ from each group reordered alone", l);
    }
    free(x);
    free(a);
    free(map);
    gsl_rng_free(r);
}

static void as_cells(void) {
    qb_error err;
    matrix x, a, b;
    synthetic_spec spec = synthetic_paper();
    CHECK_OK(synthetic_generate(&x, 1024, 64, &spec, 9, &err), &err);
    quant_params p = quant_params_defaults();
    strcpy(p.method, "qet");
    p.ratio = 8;
    p.seed = 3;
    p.iterations = 2;
    cell_result paper, r;
    CHECK_OK(cell_run(&p, &x, &paper, NULL, &err), &err);
    for (int lay = 0; lay < 2; lay++)
        for (int pair = 0; pair < 2; pair++) {
            p.qet_layout = (qet_layout)lay;
            p.qet_pairing = (qet_pairing)pair;
            p.pairing_window = pair ? 16 : 0;
            CHECK_OK(cell_run(&p, &x, &r, NULL, &err), &err);
            CHECK(r.bits.indicator_maps == paper.bits.indicator_maps);
            CHECK(storage_total(&r.bits) == storage_total(&paper.bits));
            CHECK(r.error.mse > 0 && r.error.mse < 1);
        }
    /* l = 0: every variant is PQ, bit for bit */
    p.iterations = 0;
    quant_params q = p;
    strcpy(q.method, "pq");
    cell_result rp;
    CHECK_OK(cell_run(&q, &x, &rp, &a, &err), &err);
    CHECK_OK(cell_run(&p, &x, &r, &b, &err), &err);
    CHECK(memcmp(a.data, b.data, 1024 * 64 * sizeof(float)) == 0);
    matrix_free(&a);
    matrix_free(&b);
    /* bad windows: not dividing a level's blocks, odd */
    p.iterations = 2;
    p.pairing_window = 24; /* d / 2 = 32 is not a multiple of 24 */
    CHECK(cell_run(&p, &x, &r, NULL, &err) == QB_EINPUT && strstr(err.msg, "window"));
    p.pairing_window = 3;
    CHECK(cell_run(&p, &x, &r, NULL, &err) == QB_EINPUT && strstr(err.msg, "even"));
    matrix_free(&x);
}

int main(void) {
    hand_cases();
    fast_equals_reference();
    inplace_groups();
    as_cells();
    return check_done("qet_variants");
}
