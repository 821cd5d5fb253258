/* test_property.c - properties over random shapes and seeds: QET reorder/inverse exact and equal
 * to the reference, bit packing round trips, every method's stored bits equal the budget's count
 * and fit the ratio, and results identical for 1 and 2 threads. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "cell.h"
#include "check.h"
#include "qet.h"
#include "rng.h"
#include "synthetic.h"

int main(void) {
    gsl_rng *r = rng_stream(2024, 0, 0);
    qb_error err;
    for (int trial = 0; trial < 40; trial++) {
        /* shape: d = 2^a * odd, n anything */
        size_t n = 1 + gsl_rng_uniform_int(r, 300);
        size_t d = (1 + gsl_rng_uniform_int(r, 6)) << gsl_rng_uniform_int(r, 6);
        unsigned maxl = 0;
        while (d % (2u << maxl) == 0)
            maxl++;
        unsigned l = (unsigned)gsl_rng_uniform_int(r, maxl + 1);
        float *x = malloc(n * d * sizeof *x), *a = malloc(n * d * sizeof *a),
              *b = malloc(n * d * sizeof *b);
        for (size_t i = 0; i < n * d; i++)
            x[i] = (float)(gsl_rng_uniform_int(r, 7) == 0 ? 0.5 : gsl_rng_uniform(r) - 0.5);
        size_t bytes = qet_imap_bytes(n, d, l);
        uint8_t *ma = calloc(bytes + 1, 1), *mb = calloc(bytes + 1, 1);
        CHECK_OK(qet_reorder(x, n, d, l, a, ma, &err), &err);
        CHECK_OK(qet_reorder_reference(x, n, d, l, b, mb, &err), &err);
        CHECK_MSG(!memcmp(a, b, n * d * sizeof *a) && !memcmp(ma, mb, bytes),
                  "fast != reference at n=%zu d=%zu l=%u", n, d, l);
        CHECK_OK(qet_inverse(a, n, d, l, ma, b, &err), &err);
        CHECK_MSG(!memcmp(b, x, n * d * sizeof *x), "inverse at n=%zu d=%zu l=%u", n, d, l);
        /* every level leaves each row's multiset unchanged and block 0 <= last block pairwise */
        if (l > 0) {
            size_t w = d >> l;
            for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < w; c++)
                    CHECK(a[i * d + c] <= a[i * d + d - w + c]);
        }
        free(ma);
        free(mb);
        free(x);
        free(a);
        free(b);

        /* bit packing at a random width and count */
        unsigned w = (unsigned)gsl_rng_uniform_int(r, BITS_MAX_WIDTH + 1);
        size_t cnt = gsl_rng_uniform_int(r, 500);
        uint32_t *v = malloc((cnt + 1) * sizeof *v), *u = malloc((cnt + 1) * sizeof *u);
        uint8_t *buf = malloc(bits_packed_bytes(cnt, w) + 1);
        for (size_t i = 0; i < cnt; i++)
            v[i] = w ? (uint32_t)gsl_rng_uniform_int(r, 1ul << w) : 0;
        bits_pack(v, cnt, w, buf);
        bits_unpack(buf, cnt, w, u);
        CHECK(cnt == 0 || !memcmp(u, v, cnt * sizeof *v));
        free(v);
        free(u);
        free(buf);
    }

    /* methods at random ratios: storage = budget, achieved ratio >= target, 1 == 2 threads */
    const char *methods[] = {"rtn", "pq", "qet", "opq", "lopq"};
    for (int trial = 0; trial < 15; trial++) {
        size_t n = 256 + gsl_rng_uniform_int(r, 512), d = 16 * (1 + gsl_rng_uniform_int(r, 3));
        matrix m, r1, r2;
        synthetic_spec spec = synthetic_paper();
        CHECK_OK(synthetic_generate(&m, n, d, &spec, (uint64_t)trial, &err), &err);
        quant_params p = quant_params_defaults();
        strcpy(p.method, methods[trial % 5]);
        p.subspaces = (size_t)1 << gsl_rng_uniform_int(r, 4);
        p.ratio = 3 + gsl_rng_uniform(r) * 9;
        p.iterations = (unsigned)gsl_rng_uniform_int(r, 4);
        p.seed = (uint64_t)trial;
        p.kmeans.iters = 8;
        p.opq_iters = 3;
        cell_result c1, c2;
        omp_set_num_threads(1);
        int s = cell_run(&p, &m, &c1, &r1, &err);
        if (s == QB_EINPUT) { /* a legitimately infeasible draw must say so */
            CHECK(strstr(err.msg, "infeasible") != NULL);
            matrix_free(&m);
            continue;
        }
        CHECK_MSG(s == QB_OK, "%s", err.msg);
        omp_set_num_threads(2);
        CHECK_OK(cell_run(&p, &m, &c2, &r2, &err), &err);
        CHECK_MSG(c1.ratio >= p.ratio * (1 - 1e-12), "%s ratio %g < %g", p.method, c1.ratio,
                  p.ratio);
        CHECK(!memcmp(r1.data, r2.data, n * d * sizeof(float)));
        CHECK(c1.error.mse == c2.error.mse);
        matrix_free(&r1);
        matrix_free(&r2);
        matrix_free(&m);
    }

    /* QET variants at random shapes, windows and layouts: fast == reference, exact inverse */
    for (int trial = 0; trial < 30; trial++) {
        size_t n = 1 + gsl_rng_uniform_int(r, 200);
        size_t d = (1 + gsl_rng_uniform_int(r, 6)) << (1 + gsl_rng_uniform_int(r, 5));
        unsigned maxl = 0;
        while (d % (2u << maxl) == 0)
            maxl++;
        qet_order o = {1 + (unsigned)gsl_rng_uniform_int(r, maxl),
                       (qet_layout)gsl_rng_uniform_int(r, 2),
                       2 * (1 + gsl_rng_uniform_int(r, d / 2))};
        if (qet_check_order(d, &o, &err)) {
            CHECK(strstr(err.msg, "window") != NULL);
            o.window = d;
        }
        CHECK_OK(qet_check_order(d, &o, &err), &err);
        float *x = malloc(n * d * sizeof *x), *a = malloc(n * d * sizeof *a),
              *b = malloc(n * d * sizeof *b);
        for (size_t i = 0; i < n * d; i++)
            x[i] = (float)(gsl_rng_uniform_int(r, 7) == 0 ? 0.5 : gsl_rng_uniform(r) - 0.5);
        size_t bytes = qet_imap_bytes(n, d, o.levels);
        uint8_t *ma = calloc(bytes + 1, 1), *mb = calloc(bytes + 1, 1);
        CHECK_OK(qet_reorder_with(x, n, d, &o, a, ma, &err), &err);
        CHECK_OK(qet_reorder_reference_with(x, n, d, &o, b, mb, &err), &err);
        CHECK_MSG(!memcmp(a, b, n * d * sizeof *a) && !memcmp(ma, mb, bytes),
                  "variant fast != reference at n=%zu d=%zu l=%u layout %d w=%zu", n, d, o.levels,
                  (int)o.layout, o.window);
        CHECK_OK(qet_inverse_with(a, n, d, &o, ma, b, &err), &err);
        CHECK_MSG(!memcmp(b, x, n * d * sizeof *x), "variant inverse at n=%zu d=%zu l=%u", n, d,
                  o.levels);
        free(ma);
        free(mb);
        free(x);
        free(a);
        free(b);
    }

    /* the added methods and QET variants: storage = budget, ratio met, 1 == 2 threads */
    const char *more[] = {"lloyd", "rpq", "qet"};
    for (int trial = 0; trial < 9; trial++) {
        size_t n = 256 + gsl_rng_uniform_int(r, 256), d = 32 * (1 + gsl_rng_uniform_int(r, 2));
        matrix m, r1, r2;
        synthetic_spec spec = synthetic_paper();
        CHECK_OK(synthetic_generate(&m, n, d, &spec, (uint64_t)trial, &err), &err);
        quant_params p = quant_params_defaults();
        strcpy(p.method, more[trial % 3]);
        p.subspaces = (size_t)1 << gsl_rng_uniform_int(r, 4);
        p.ratio = 4 + gsl_rng_uniform(r) * 8;
        p.iterations = 1 + (unsigned)gsl_rng_uniform_int(r, 3);
        p.qet_layout = (qet_layout)gsl_rng_uniform_int(r, 2);
        p.qet_pairing = (qet_pairing)gsl_rng_uniform_int(r, 2);
        p.rtn_granularity = (rtn_granularity)gsl_rng_uniform_int(r, 3);
        p.rtn_group = 16;
        p.seed = (uint64_t)trial;
        p.kmeans.iters = 8;
        cell_result c1, c2;
        omp_set_num_threads(1);
        int s = cell_run(&p, &m, &c1, &r1, &err);
        if (s == QB_EINPUT) {
            CHECK_MSG(strstr(err.msg, "infeasible") != NULL, "%s", err.msg);
            matrix_free(&m);
            continue;
        }
        CHECK_MSG(s == QB_OK, "%s", err.msg);
        omp_set_num_threads(2);
        CHECK_OK(cell_run(&p, &m, &c2, &r2, &err), &err);
        CHECK_MSG(c1.ratio >= p.ratio * (1 - 1e-12), "%s ratio %g < %g", p.method, c1.ratio,
                  p.ratio);
        CHECK(!memcmp(r1.data, r2.data, n * d * sizeof(float)));
        matrix_free(&r1);
        matrix_free(&r2);
        matrix_free(&m);
    }
    gsl_rng_free(r);
    return check_done("property");
}
