/* quantizer.c - the registry of methods and the default parameters. */
#include "quantizer.h"

#include <string.h>

quant_params quant_params_defaults(void) {
    quant_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.method, "pq");
    p.source_bits = 32;
    p.accounting = ACCOUNTING_FULL;
    p.subspaces = 8;
    p.kmeans = kmeans_defaults();
    p.codebook_bits = 32;
    p.rtn_granularity = RTN_PER_TENSOR;
    p.rtn_group = 128;
    p.opq_iters = 20;
    p.iterations = 1; /* qet alone is one level, the paper's basic QET */
    return p;
}

static const quantizer_ops *const registry[] = {&rtn_ops, &lloyd_ops, &pq_ops, &opq_ops,
                                                &lopq_ops, &qet_ops, &rpq_ops};

const quantizer_ops *quantizer_find(const char *method) {
    for (size_t i = 0; i < sizeof registry / sizeof *registry; i++)
        if (!strcmp(registry[i]->name, method))
            return registry[i];
    return NULL;
}

const char *quantizer_names(void) {
    static char names[128];
    if (!names[0])
        for (size_t i = 0; i < sizeof registry / sizeof *registry; i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, registry[i]->name);
        }
    return names;
}

int method_is_baseline(const char *method, baseline_set set) {
    const quantizer_ops *q = quantizer_find(method);
    if (!q || q->family == METHOD_FAMILY_QET)
        return 0;
    switch (set) {
    case BASELINES_PQ_FAMILY: return q->family == METHOD_FAMILY_PQ;
    case BASELINES_PAPER:
        return q->family == METHOD_FAMILY_PQ || q->family == METHOD_FAMILY_PAPER_SCALAR;
    default: return 1;
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
