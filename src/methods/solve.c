/* solve.c - the budget solver: fills each method's free parameter from the ratio. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bits.h"
#include "budget.h"
#include "lloyd.h"
#include "qet.h"
#include "quantizer.h"

typedef struct {
    size_t n, d, m;
    unsigned entry_bits;
} pq_ctx;

static storage_bits pq_of_k(uint64_t k, const void *ctx) {
    const pq_ctx *c = ctx;
    return budget_pq(c->n, c->d, c->m, k, c->entry_bits);
}

static storage_bits opq_of_k(uint64_t k, const void *ctx) {
    const pq_ctx *c = ctx;
    return budget_opq(c->n, c->d, c->m, k);
}

typedef struct {
    size_t n, d, m, cells;
} lopq_ctx;

static storage_bits lopq_of_k(uint64_t k, const void *ctx) {
    const lopq_ctx *c = ctx;
    return budget_lopq(c->n, c->d, c->m, k, c->cells);
}

static size_t rtn_group_of(const quant_params *p, size_t d) {
    switch (p->rtn_granularity) {
    case RTN_PER_ROW:
        return d;
    case RTN_PER_GROUP:
        return p->rtn_group;
    default:
        return 0;
    }
}

/* Largest k the code width allows and k-means can train (k <= n). */
static uint64_t k_limit(size_t n) {
    uint64_t cap = 1ULL << BITS_MAX_WIDTH;
    return n < cap ? n : cap;
}

static int check_vq_shape(const quant_params *p, size_t d, qb_error *err) {
    if (p->subspaces == 0)
        return qb_fail(err, "--subspaces must be at least 1");
    if (p->codebook_bits < 1 || p->codebook_bits > 32)
        return qb_fail(err, "codebook bits must be in 1..32 (got %u)", p->codebook_bits);
    return matrix_check_divides(d, p->subspaces, "subspaces m", err);
}

static int infeasible(const quant_params *p, uint64_t budget, uint64_t smallest, qb_error *err) {
    return qb_fail(err,
                   "infeasible budget: %s at ratio %g allows %llu bits but the smallest setting "
                   "needs %llu",
                   p->method, p->ratio, (unsigned long long)budget, (unsigned long long)smallest);
}

static uint64_t qet_indicator_bits(const quant_params *p, size_t n, size_t d) {
    uint64_t bits = 0;
    for (size_t i = 0; i < p->n_stages; i++)
        if (p->stages[i].kind == STAGE_VECTOR)
            bits += budget_indicator_bits(n, d, p->stages[i].levels);
    return bits;
}

/* QET: indicator maps come off the top (unless free-imap), then each stage fits its largest k_s
 * (or RTN bits) into its share of what remains. */
static int solve_qet(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    int s = check_vq_shape(p, d, err);
    if (!s)
        s = qet_parse_stages(p, err);
    for (size_t i = 0; !s && i < p->n_stages; i++)
        if (p->stages[i].kind == STAGE_VECTOR) {
            qet_order o = qet_order_of(p, p->stages[i].levels, d);
            s = qet_check_order(d, &o, err);
        }
    if (s)
        return s;
    if (p->ks) {
        if (p->n_stages > 1)
            return qb_fail(err, "a qet chain with residual stages needs --ratio, not --ks");
        if (p->ks > n)
            return qb_fail(err, "k_s = %llu exceeds the %zu rows", (unsigned long long)p->ks, n);
        p->stages[0].ks = p->ks;
        return QB_OK;
    }
    if (p->ratio <= 0)
        return qb_fail(err, "QET needs --ks or --ratio");
    uint64_t imap = qet_indicator_bits(p, n, d);
    uint64_t charged_imap = p->accounting == ACCOUNTING_FULL ? imap : 0;
    if (charged_imap >= budget)
        return qb_fail(err,
                       "infeasible budget: qet at ratio %g allows %llu bits but its indicator maps "
                       "alone need %llu (try fewer levels or --accounting free-imap)",
                       p->ratio, (unsigned long long)budget, (unsigned long long)imap);
    uint64_t rest = budget - charged_imap;
    for (size_t i = 0; i < p->n_stages; i++) {
        quant_stage *st = &p->stages[i];
        uint64_t share = (uint64_t)((double)rest * st->share);
        if (st->kind == STAGE_RTN) {
            st->rtn_bits = 0;
            for (unsigned b = BITS_MAX_WIDTH; b >= 1 && !st->rtn_bits; b--) {
                storage_bits sb = budget_rtn(n, d, b, 0);
                if (storage_total(&sb) <= share)
                    st->rtn_bits = b;
            }
            if (!st->rtn_bits)
                return qb_fail(err, "infeasible budget: qet stage %zu (rtn) gets %llu bits, "
                               "less than 1 bit per element", i, (unsigned long long)share);
            continue;
        }
        pq_ctx c = {n, d, p->subspaces, p->codebook_bits};
        /* the stage's own bits are all charged: its indicator maps were taken off above */
        st->ks = budget_largest_k(pq_of_k, &c, k_limit(n), share, ACCOUNTING_FULL);
        if (!st->ks) {
            storage_bits sb = pq_of_k(1, &c);
            return qb_fail(err, "infeasible budget: qet stage %zu gets %llu bits but needs at "
                           "least %llu", i, (unsigned long long)share,
                           (unsigned long long)storage_total(&sb));
        }
    }
    p->ks = p->stages[0].ks;
    return QB_OK;
}

/* The residual-PQ method: QET's stage chain with no reordering anywhere, by default the authors'
 * RO split (70% / 30%), so RO's gain can be told apart from the reordering's. */
static int rpq_params(quant_params *p, qb_error *err) {
    p->iterations = 0;
    if (!p->residual[0])
        snprintf(p->residual, sizeof p->residual, "pq:0.3");
    int s = qet_parse_stages(p, err);
    for (size_t i = 1; !s && i < p->n_stages; i++)
        if (p->stages[i].kind != STAGE_VECTOR || p->stages[i].levels)
            return qb_fail(err, "rpq stages are PQ stages only (pq:SHARE), got '%s'",
                           p->residual);
    return s;
}

static storage_bits scalar_storage(const quant_params *p, size_t n, size_t d, unsigned b) {
    size_t g = rtn_group_of(p, d);
    return strcmp(p->method, "lloyd") ? budget_rtn(n, d, b, g) : budget_lloyd(n, d, b, g);
}

/* RTN and Lloyd-Max: the largest bits per element that fit. */
static int solve_scalar(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    unsigned max_bits = strcmp(p->method, "lloyd") ? BITS_MAX_WIDTH : LLOYD_MAX_BITS;
    size_t g = rtn_group_of(p, d);
    if (p->rtn_granularity == RTN_PER_GROUP && (g == 0 || d % g != 0))
        return qb_fail(err, "%s group size %zu does not divide the %zu columns", p->method, g, d);
    if (p->rtn_bits) {
        if (p->rtn_bits > max_bits)
            return qb_fail(err, "%s bits must be in 1..%u", p->method, max_bits);
        return QB_OK;
    }
    if (p->ratio <= 0)
        return qb_fail(err, "%s needs --bits or --ratio", p->method);
    for (unsigned b = max_bits; b >= 1; b--) {
        storage_bits s = scalar_storage(p, n, d, b);
        if (storage_charged(&s, p->accounting) <= budget) {
            p->rtn_bits = b;
            return QB_OK;
        }
    }
    storage_bits s = scalar_storage(p, n, d, 1);
    return infeasible(p, budget, storage_total(&s), err);
}

int budget_solve(quant_params *p, size_t n, size_t d, qb_error *err) {
    uint64_t budget = 0;
    if (p->ratio > 0)
        budget = budget_for_ratio(budget_original_bits(n, d, p->source_bits), p->ratio);
    if (!strcmp(p->method, "rtn") || !strcmp(p->method, "lloyd"))
        return solve_scalar(p, n, d, budget, err);
    int opq = !strcmp(p->method, "opq"), lopq = !strcmp(p->method, "lopq");
    if (!strcmp(p->method, "pq") || opq || lopq) {
        int s = check_vq_shape(p, d, err);
        if (s)
            return s;
        if (p->codebook_bits != FLOAT_BITS)
            return qb_fail(err,
                           "--codebook-bits (CQO) is implemented for qet only; %s stores "
                           "32-bit codebooks (qet with --iterations 0 is PQ with CQO)",
                           p->method);
        if (lopq) {
            if (!p->lopq_cells && p->ratio <= 0)
                return qb_fail(err, "LOPQ needs --lopq-cells when no --ratio is given");
            if (!p->lopq_cells)
                p->lopq_cells = budget_lopq_default_cells(n, d, budget);
            if (p->lopq_cells > n)
                return qb_fail(err, "--lopq-cells V = %zu exceeds the %zu rows", p->lopq_cells, n);
        }
        if (p->ks) {
            if (p->ks > n)
                return qb_fail(err, "k_s = %llu exceeds the %zu rows", (unsigned long long)p->ks,
                               n);
            if (p->ks > (1ULL << BITS_MAX_WIDTH))
                return qb_fail(err, "k_s = %llu exceeds 2^%d", (unsigned long long)p->ks,
                               BITS_MAX_WIDTH);
            return QB_OK;
        }
        if (p->ratio <= 0)
            return qb_fail(err, "%s needs --ks or --ratio", p->method);
        pq_ctx c = {n, d, p->subspaces, FLOAT_BITS};
        lopq_ctx lc = {n, d, p->subspaces, p->lopq_cells};
        budget_storage_fn f = lopq ? lopq_of_k : opq ? opq_of_k : pq_of_k;
        const void *ctx = lopq ? (const void *)&lc : (const void *)&c;
        p->ks = budget_largest_k(f, ctx, k_limit(n), budget, p->accounting);
        if (!p->ks) {
            storage_bits sb = f(1, ctx);
            return infeasible(p, budget, storage_total(&sb), err);
        }
        return QB_OK;
    }
    if (!strcmp(p->method, "qet"))
        return solve_qet(p, n, d, budget, err);
    if (!strcmp(p->method, "rpq")) {
        int s = rpq_params(p, err);
        return s ? s : solve_qet(p, n, d, budget, err);
    }
    return qb_fail(err, "no budget rule for method '%s'", p->method);
}

int budget_storage(const quant_params *p, size_t n, size_t d, storage_bits *out, qb_error *err) {
    if (!strcmp(p->method, "rtn") || !strcmp(p->method, "lloyd")) {
        *out = scalar_storage(p, n, d, p->rtn_bits);
        return QB_OK;
    }
    if (!strcmp(p->method, "pq")) {
        *out = budget_pq(n, d, p->subspaces, p->ks, FLOAT_BITS);
        return QB_OK;
    }
    if (!strcmp(p->method, "qet") || !strcmp(p->method, "rpq")) {
        memset(out, 0, sizeof *out);
        for (size_t i = 0; i < p->n_stages; i++) {
            const quant_stage *st = &p->stages[i];
            storage_bits sb = st->kind == STAGE_RTN
                                  ? budget_rtn(n, d, st->rtn_bits, 0)
                                  : budget_pq(n, d, p->subspaces, st->ks, p->codebook_bits);
            storage_add(out, &sb);
        }
        out->indicator_maps = qet_indicator_bits(p, n, d);
        return QB_OK;
    }
    if (!strcmp(p->method, "opq")) {
        *out = budget_opq(n, d, p->subspaces, p->ks);
        return QB_OK;
    }
    if (!strcmp(p->method, "lopq")) {
        *out = budget_lopq(n, d, p->subspaces, p->ks, p->lopq_cells);
        return QB_OK;
    }
    return qb_fail(err, "no budget rule for method '%s'", p->method);
}
