/* test_budget.c - the accounting formulas and the solver on hand-computed cases. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "budget.h"
#include "check.h"
#include "options.h"
#include "quantizer.h"

int main(void) {
    qb_error err;
    /* PQ, n = 1000, d = 16, m = 4, k = 256: codes 1000*4*8, codebooks 256*16*32 */
    storage_bits s = budget_pq(1000, 16, 4, 256, 32);
    CHECK(s.codes == 32000 && s.codebooks == 131072 && s.scales == 0);
    CHECK(storage_total(&s) == 163072);
    /* CQO at 10 bits adds one offset and one step */
    s = budget_pq(1000, 16, 4, 256, 10);
    CHECK(s.codebooks == 40960 && s.scales == 64);
    /* RTN per tensor / per row / per group */
    CHECK(budget_rtn(10, 8, 4, 0).scales == 64 && budget_rtn(10, 8, 4, 0).codes == 320);
    CHECK(budget_rtn(10, 8, 4, 8).scales == 10 * 64);
    CHECK(budget_rtn(10, 8, 4, 4).scales == 20 * 64);
    CHECK(budget_indicator_bits(10, 8, 3) == 120);

    /* Solver: n = 1000, d = 16, float32 -> 512000 bits; ratio 8 -> 64000 bits.
     * k = 64: 1000*4*6 + 64*16*32 = 24000 + 32768 = 56768 fits; k = 65: 28000 + 33280 = 61280
     * fits; ... k = 70: 28000 + 35840 = 63840 fits; k = 71: 28000 + 36352 = 64352 does not. */
    quant_params p = quant_params_defaults();
    strcpy(p.method, "pq");
    p.subspaces = 4;
    p.ratio = 8;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK_MSG(p.ks == 70, "ks = %llu", (unsigned long long)p.ks);

    /* RTN, per tensor: 64000 bits over 16000 elements -> 3 bits (48000 + 64); 4 bits would need
     * 64064 > 64000 */
    p = quant_params_defaults();
    strcpy(p.method, "rtn");
    p.ratio = 8;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK(p.rtn_bits == 3);

    /* QET l = 1: indicator maps 1000 * 8 = 8000 bits come off first: 56000 left.
     * k = 56: 1000*4*6 + 56*512 = 24000 + 28672 = 52672 fits; k = 63: 24000 + 32256 = 56256 does
     * not; k = 62: 24000 + 31744 = 55744 fits. */
    p = quant_params_defaults();
    strcpy(p.method, "qet");
    p.subspaces = 4;
    p.ratio = 8;
    p.iterations = 1;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK_MSG(p.ks == 62, "qet ks = %llu", (unsigned long long)p.ks);
    storage_bits q;
    quantizer_find("qet")->predict(&p, 1000, 16, &q);
    CHECK(q.indicator_maps == 8000 && storage_total(&q) <= 64000);
    /* free-imap charges only the rest: the same k as PQ */
    p.ks = 0;
    p.accounting = ACCOUNTING_FREE_IMAP;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK(p.ks == 70);
    quantizer_find("qet")->predict(&p, 1000, 16, &q);
    CHECK(storage_charged(&q, ACCOUNTING_FREE_IMAP) == storage_total(&q) - 8000);

    /* Infeasible: reported, never clamped. QET l = 3 at ratio 16 on d = 16: maps alone need
     * 1000 * 3 * 8 = 24000 bits > 32000? no: ratio 32 -> 16000 bits < 24000. */
    p = quant_params_defaults();
    strcpy(p.method, "qet");
    p.subspaces = 4;
    p.ratio = 32;
    p.iterations = 3;
    CHECK(method_solve(&p, 1000, 16, &err) == QB_EINPUT);
    CHECK(strstr(err.msg, "indicator maps") != NULL);
    p = quant_params_defaults();
    strcpy(p.method, "pq");
    p.subspaces = 4;
    p.ratio = 2000; /* 256 bits: not even one centroid (k = 1 needs 512) */
    CHECK(method_solve(&p, 1000, 16, &err) == QB_EINPUT);
    CHECK(strstr(err.msg, "infeasible") != NULL && err.infeasible);
    p.ratio = 0;
    p.ks = 1001;
    CHECK(method_solve(&p, 1000, 16, &err) == QB_EINPUT);
    CHECK(!err.infeasible); /* a bad parameter is invalid, not infeasible */
    p.ks = 8;
    p.subspaces = 5;
    CHECK(method_solve(&p, 1000, 16, &err) == QB_EINPUT && !err.infeasible);

    /* Residual chains: shares after the maps. l = 1 then pq at 30%: 56000 * 0.7 = 39200,
     * 56000 * 0.3 = 16800. */
    p = quant_params_defaults();
    strcpy(p.method, "qet");
    p.subspaces = 4;
    p.ratio = 8;
    p.iterations = 1;
    strcpy(p.residual, "pq:0.3");
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK(p.n_stages == 2 && p.stages[1].levels == 0);
    storage_bits st0 = budget_pq(1000, 16, 4, p.stages[0].ks, 32),
                 st1 = budget_pq(1000, 16, 4, p.stages[1].ks, 32);
    CHECK(storage_total(&st0) <= 39200 && storage_total(&st1) <= 16800);
    st0 = budget_pq(1000, 16, 4, p.stages[0].ks + 1, 32);
    st1 = budget_pq(1000, 16, 4, p.stages[1].ks + 1, 32);
    CHECK(storage_total(&st0) > 39200 && storage_total(&st1) > 16800);

    /* Absurd ratios: the budget saturates instead of converting an out-of-range double
     * (undefined behaviour, caught by UBSan's float-cast-overflow). */
    CHECK(budget_for_ratio(512000, 8) == 64000);
    CHECK(budget_for_ratio(512000, 1e-300) == UINT64_MAX);
    CHECK(budget_for_ratio(UINT64_MAX, 0.5) == UINT64_MAX);
    CHECK(budget_for_ratio(512000, NAN) == 0 && budget_for_ratio(512000, -4) == 0);
    /* ... and the solver then picks the largest setting: every k fits. */
    p = quant_params_defaults();
    strcpy(p.method, "pq");
    p.subspaces = 4;
    p.ratio = 1e-300;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK(p.ks == 1000);
    /* ... also in a chain, whose stages split the saturated budget by shares */
    CHECK(budget_share(UINT64_MAX, 1.0) == UINT64_MAX && budget_share(1000, 0.3) == 300);
    p = quant_params_defaults();
    strcpy(p.method, "qet");
    snprintf(p.residual, sizeof p.residual, "pq:0.3");
    p.subspaces = 4;
    p.ratio = 1e-300;
    CHECK_OK(method_solve(&p, 1000, 16, &err), &err);
    CHECK(p.n_stages == 2 && p.stages[0].ks == 1000 && p.stages[1].ks == 1000);

    accounting_mode m;
    CHECK(accounting_parse("free-imap", &m) == 0 && m == ACCOUNTING_FREE_IMAP);
    CHECK(accounting_parse("free", &m) == -1);
    return check_done("budget");
}
