/* cell.c - runs one quantizer on one matrix and measures it. */
#include "cell.h"

#include "qet.h"

#include <string.h>

int cell_run(const quant_params *p_in, const matrix *x, cell_result *r, matrix *recon,
             qb_error *err) {
    memset(r, 0, sizeof *r);
    quant_params p = *p_in;
    const quantizer_ops *q = quantizer_find(p.method);
    if (!q)
        return qb_fail(err, "unknown method '%s' (known: %s)", p.method, quantizer_names());
    int s = budget_solve(&p, x->rows, x->cols, err);
    if (s)
        return s;
    storage_bits predicted;
    s = budget_storage(&p, x->rows, x->cols, &predicted, err);
    if (s)
        return s;

    void *st = NULL;
    matrix out = {0};
    s = q->create(&p, x->rows, x->cols, &st, err);
    if (s)
        return s;
    double t0 = metrics_now();
    s = q->fit(st, x, err);
    double tf = metrics_now();
    if (!s)
        s = q->encode(st, x, err);
    double t1 = metrics_now();
    if (!s) /* allocated after encoding, so training never holds it: a lower peak */
        s = matrix_alloc(&out, x->rows, x->cols, err);
    if (s)
        goto done;
    double t1b = metrics_now();
    s = q->decode(st, &out, err);
    double t2 = metrics_now();
    if (s)
        goto done;

    r->params = p;
    r->n = x->rows;
    r->d = x->cols;
    q->storage(st, &r->bits);
    if (memcmp(&r->bits, &predicted, sizeof predicted) != 0) {
        s = qb_internal(err, "%s stored %llu bits but the budget predicted %llu", p.method,
                        (unsigned long long)storage_total(&r->bits),
                        (unsigned long long)storage_total(&predicted));
        goto done;
    }
    r->original_bits = budget_original_bits(x->rows, x->cols, p.source_bits);
    r->charged_bits = storage_charged(&r->bits, p.accounting);
    r->ratio = r->charged_bits ? (double)r->original_bits / (double)r->charged_bits : 0;
    r->error = metrics_compare(x, &out);
    r->seconds_quantize = t1 - t0;
    r->seconds_dequantize = t2 - t1b;
    r->seconds_fit = tf - t0;
    r->seconds_encode = t1 - tf;
    if (recon) {
        *recon = out;
        out = (matrix){0};
    }
done:
    matrix_free(&out);
    q->destroy(st);
    return s;
}

/* The solved stage chain of a qet cell: [{"kind":"qet","levels":3,"share":0.7,"ks":180},...] */
static void stages_json(FILE *f, const quant_params *p) {
    fputc('[', f);
    for (size_t i = 0; i < p->n_stages; i++) {
        const quant_stage *st = &p->stages[i];
        if (st->kind == STAGE_RTN)
            fprintf(f, "%s{\"kind\":\"rtn\",\"share\":%.6g,\"bits\":%u}", i ? "," : "",
                    st->share, st->rtn_bits);
        else
            fprintf(f, "%s{\"kind\":\"%s\",\"levels\":%u,\"share\":%.6g,\"ks\":%llu}",
                    i ? "," : "", st->levels ? "qet" : "pq", st->levels, st->share,
                    (unsigned long long)st->ks);
    }
    fputc(']', f);
}

/* How OPQ's rotation starts; LOPQ's per-cell rotations start from eigenvalue allocation. */
static const char *rotation_init(const quant_params *p) {
    if (!strcmp(p->method, "lopq"))
        return "eigen";
    if (!strcmp(p->method, "opq"))
        return p->opq_init_random == 2 ? "eigen" : p->opq_init_random ? "random" : "identity";
    return "";
}

void cell_result_json(FILE *f, const cell_result *r) {
    const quant_params *p = &r->params;
    const storage_bits *b = &r->bits;
    int rtn = !strcmp(p->method, "rtn") || !strcmp(p->method, "lloyd");
    int qet = !strcmp(p->method, "qet") || !strcmp(p->method, "rpq");
    int opq = !strcmp(p->method, "opq") || !strcmp(p->method, "lopq"); /* LOPQ's per-cell rounds */
    fprintf(f,
            "{\"method\":\"%s\",\"n\":%zu,\"d\":%zu,\"subspaces\":%zu,\"ks\":%llu,\"rtn_bits\":%u,"
            "\"iterations\":%u,\"codebook_bits\":%u,\"residual\":\"%s\",\"accounting\":\"%s\",\"seed\":%llu,\"kmeans_init\":\"%s\","
            "\"kmeans_iters\":%d,\"source_bits\":%u,"
            "\"bits\":{\"codes\":%llu,\"codebooks\":%llu,\"indicator_maps\":%llu,\"rotation\":%llu,"
            "\"coarse\":%llu,\"scales\":%llu,\"total\":%llu,\"charged\":%llu},"
            "\"original_bits\":%llu,\"target_ratio\":%.17g,\"ratio\":%.17g,"
            "\"mse\":%.17g,\"mae\":%.17g,\"mre\":%.17g,\"mre_excluded\":%zu,"
            "\"seconds_quantize\":%.6f,\"seconds_dequantize\":%.6f,\"seconds_fit\":%.6f,"
            "\"seconds_encode\":%.6f,",
            p->method, r->n, r->d, rtn ? 0 : p->subspaces, rtn ? 0ULL : (unsigned long long)p->ks,
            rtn ? p->rtn_bits : 0, qet ? p->iterations : 0, rtn ? 0 : p->codebook_bits,
            p->residual, accounting_name(p->accounting),
            (unsigned long long)p->seed, kmeans_init_name(p->kmeans.init), p->kmeans.iters,
            p->source_bits, (unsigned long long)b->codes, (unsigned long long)b->codebooks,
            (unsigned long long)b->indicator_maps, (unsigned long long)b->rotation,
            (unsigned long long)b->coarse, (unsigned long long)b->scales,
            (unsigned long long)storage_total(b), (unsigned long long)r->charged_bits,
            (unsigned long long)r->original_bits, p->ratio, r->ratio, r->error.mse, r->error.mae,
            r->error.mre, r->error.mre_excluded, r->seconds_quantize, r->seconds_dequantize,
            r->seconds_fit, r->seconds_encode);
    if (rtn) {
        static const char *gran[] = {"tensor", "row", "group"};
        fprintf(f, "\"rtn_granularity\":\"%s\",\"rtn_group\":%zu,\"rtn_clip\":\"%s\",",
                gran[p->rtn_granularity],
                p->rtn_granularity == RTN_PER_GROUP ? p->rtn_group
                : p->rtn_granularity == RTN_PER_ROW ? r->d
                                                    : r->n * r->d,
                !strcmp(p->method, "lloyd") ? "mse-init"
                : p->rtn_clip == RTN_CLIP_MSE ? "mse"
                                              : "minmax");
    }
    if (qet) {
        qet_order o = qet_order_of(p, p->iterations, r->d);
        fprintf(f, "\"qet_layout\":\"%s\",\"qet_pairing\":\"%s\",\"pairing_window\":%zu,",
                qet_layout_name(p->qet_layout), qet_pairing_name(p->qet_pairing),
                p->qet_pairing == QET_PAIRING_STRIDED ? o.window : (size_t)2);
    }
    fputs("\"stages\":", f);
    stages_json(f, p);
    fprintf(f, ",\"opq_iters\":%d,\"opq_init\":\"%s\",\"lopq_cells\":%zu", opq ? p->opq_iters : 0,
            rotation_init(p), strcmp(p->method, "lopq") ? 0 : p->lopq_cells);
    if (p->accounting == ACCOUNTING_FREE_IMAP)
        fputs(",\"note\":\"free-imap: indicator maps stored but NOT charged\"", f);
    fputs("}\n", f);
}
