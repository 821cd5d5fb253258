/* toy.c - a method added the way the README says (this one file and one line in a methods list),
 * to show that nothing else needs touching: `toy` stores the mean of every column (d floats) and
 * reconstructs each row as that mean. A poor baseline, but a baseline: it must flow through the
 * CLI, sweeps, the results store and the claims like any other. */
#include <stdlib.h>
#include <string.h>

#include "quantizer.h"

typedef struct {
    size_t n, d;
    float *means; /* (d) */
} toy_state;

static storage_bits toy_bits(size_t d) {
    storage_bits s = {0};
    s.codebooks = (uint64_t)d * FLOAT_BITS;
    return s;
}

/* No free parameter: the budget either holds the d means or it does not. */
static int toy_solve(quant_params *p, size_t n, size_t d, uint64_t budget, qb_error *err) {
    (void)n;
    storage_bits s = toy_bits(d);
    if (p->ratio > 0 && storage_charged(&s, p->accounting) > budget)
        return qb_infeasible(
            err, "infeasible budget: toy at ratio %g allows %llu bits but needs %llu", p->ratio,
            (unsigned long long)budget, (unsigned long long)storage_total(&s));
    return QB_OK;
}

static void toy_predict(const quant_params *p, size_t n, size_t d, storage_bits *out) {
    (void)p;
    (void)n;
    *out = toy_bits(d);
}

static int toy_create(const quant_params *p, size_t n, size_t d, void **state, qb_error *err) {
    (void)p;
    toy_state *s = calloc(1, sizeof *s);
    if (!s || !(s->means = calloc(d, sizeof *s->means))) {
        free(s);
        return qb_oom(err);
    }
    s->n = n;
    s->d = d;
    *state = s;
    return QB_OK;
}

static int toy_fit(void *state, const matrix *x, qb_error *err) {
    toy_state *s = state;
    (void)err;
    for (size_t j = 0; j < s->d; j++) {
        double sum = 0;
        for (size_t i = 0; i < s->n; i++)
            sum += x->data[i * s->d + j];
        s->means[j] = (float)(sum / (double)s->n);
    }
    return QB_OK;
}

static int toy_encode(void *state, const matrix *x, qb_error *err) {
    (void)state;
    (void)x;
    (void)err;
    return QB_OK; /* nothing per row */
}

static int toy_decode(const void *state, matrix *out, qb_error *err) {
    const toy_state *s = state;
    (void)err;
    for (size_t i = 0; i < s->n; i++)
        memcpy(out->data + i * s->d, s->means, s->d * sizeof *s->means);
    return QB_OK;
}

static void toy_storage(const void *state, storage_bits *out) {
    const toy_state *s = state;
    memset(out, 0, sizeof *out);
    out->codebooks = (uint64_t)s->d * FLOAT_BITS; /* the means it holds */
}

static void toy_destroy(void *state) {
    toy_state *s = state;
    if (s)
        free(s->means);
    free(s);
}

const quantizer_ops toy_method = {
    .name = "toy",
    .help = "test method: every row reconstructed as the column means",
    .family = METHOD_FAMILY_STRONG,
    .dims = 0,
    .solve = toy_solve,
    .predict = toy_predict,
    .create = toy_create,
    .fit = toy_fit,
    .encode = toy_encode,
    .decode = toy_decode,
    .storage = toy_storage,
    .destroy = toy_destroy,
};
