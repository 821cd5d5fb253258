/* quantizer.c - lookups in the registry of methods (generated: registry.c) and the generic part of
 * the budget: the ratio's bit budget, handed to the method's own solver. */
#include "quantizer.h"

#include <string.h>

#include "bits.h"

extern const quantizer_ops *const qb_registry[];
extern const size_t qb_registry_size;

const quantizer_ops *quantizer_at(size_t i) {
    return i < qb_registry_size ? qb_registry[i] : NULL;
}

const quantizer_ops *quantizer_find(const char *method) {
    for (size_t i = 0; i < qb_registry_size; i++)
        if (!strcmp(qb_registry[i]->name, method))
            return qb_registry[i];
    return NULL;
}

const char *quantizer_names(void) {
    static char names[512];
    if (!names[0])
        for (size_t i = 0; i < qb_registry_size; i++) {
            if (i)
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, qb_registry[i]->name, sizeof names - strlen(names) - 1);
        }
    return names;
}

int method_is_baseline(const char *method, baseline_set set) {
    const quantizer_ops *q = quantizer_find(method);
    if (!q || q->family == METHOD_FAMILY_QET)
        return 0;
    switch (set) {
    case BASELINES_PQ_FAMILY:
        return q->family == METHOD_FAMILY_PQ;
    case BASELINES_PAPER:
        return q->family == METHOD_FAMILY_PQ || q->family == METHOD_FAMILY_PAPER_SCALAR;
    default:
        return 1;
    }
}

int method_is_qet_like(const char *method) {
    const quantizer_ops *q = quantizer_find(method);
    return q && q->family == METHOD_FAMILY_QET;
}

int method_uses(const char *method, unsigned dim) {
    const quantizer_ops *q = quantizer_find(method);
    return q && (q->dims & dim) != 0;
}

int method_reads(const quantizer_ops *q, const char *option) {
    for (const char *const *o = q ? q->options : NULL; o && *o; o++)
        if (!strcmp(*o, option))
            return 1;
    return 0;
}

int method_solve(quant_params *p, size_t n, size_t d, qb_error *err) {
    const quantizer_ops *q = quantizer_find(p->method);
    if (!q)
        return qb_fail(err, "unknown method '%s' (built in: %s)", p->method, quantizer_names());
    uint64_t budget = 0;
    if (p->ratio > 0)
        budget = budget_for_ratio(budget_original_bits(n, d, p->source_bits), p->ratio);
    return q->solve(p, n, d, budget, err);
}

int solve_vq_shape(const quant_params *p, size_t d, qb_error *err) {
    if (p->subspaces == 0)
        return qb_fail(err, "subspaces must be at least 1");
    return matrix_check_divides(d, p->subspaces, "subspaces m", err);
}

static int infeasible(const quant_params *p, uint64_t budget, uint64_t smallest, qb_error *err) {
    return qb_infeasible(err,
                         "infeasible budget: %s at ratio %g allows %llu bits but the smallest "
                         "setting needs %llu",
                         p->method, p->ratio, (unsigned long long)budget,
                         (unsigned long long)smallest);
}

int solve_largest_k(quant_params *p, size_t n, uint64_t budget, budget_storage_fn f,
                    const void *ctx, qb_error *err) {
    uint64_t cap = 1ULL << BITS_MAX_WIDTH, limit = n < cap ? n : cap;
    if (p->ks) {
        if (p->ks > n)
            return qb_fail(err, "k_s = %llu exceeds the %zu rows", (unsigned long long)p->ks, n);
        if (p->ks > cap)
            return qb_fail(err, "k_s = %llu exceeds 2^%d", (unsigned long long)p->ks,
                           BITS_MAX_WIDTH);
        return QB_OK;
    }
    if (p->ratio <= 0)
        return qb_fail(err, "%s needs --ks or --ratio", p->method);
    p->ks = budget_largest_k(f, ctx, limit, budget, p->accounting);
    if (!p->ks) {
        storage_bits s = f(1, ctx);
        return infeasible(p, budget, storage_total(&s), err);
    }
    return QB_OK;
}

int solve_largest_bits(quant_params *p, unsigned max_bits, uint64_t budget, budget_storage_fn f,
                       const void *ctx, qb_error *err) {
    if (p->rtn_bits) {
        if (p->rtn_bits > max_bits)
            return qb_fail(err, "%s bits must be in 1..%u", p->method, max_bits);
        return QB_OK;
    }
    if (p->ratio <= 0)
        return qb_fail(err, "%s needs --bits or --ratio", p->method);
    p->rtn_bits = (unsigned)budget_largest_k(f, ctx, max_bits, budget, p->accounting);
    if (!p->rtn_bits) {
        storage_bits s = f(1, ctx);
        return infeasible(p, budget, storage_total(&s), err);
    }
    return QB_OK;
}
