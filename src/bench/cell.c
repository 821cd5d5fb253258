/* cell.c - runs one quantizer on one matrix, measures it, and lists what it reports. */
#include "cell.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cell_run(const quant_params *p_in, const matrix *x, cell_result *r, matrix *recon,
             qb_error *err) {
    memset(r, 0, sizeof *r);
    quant_params p = *p_in;
    const quantizer_ops *q = quantizer_find(p.method);
    if (!q)
        return qb_fail(err, "unknown method '%s' (known: %s)", p.method, quantizer_names());
    int s = method_solve(&p, x->rows, x->cols, err);
    if (s)
        return s;
    storage_bits predicted;
    q->predict(&p, x->rows, x->cols, &predicted);

    void *st = NULL;
    matrix out = {0};
    s = q->create(&p, x->rows, x->cols, &st, err);
    if (s)
        return s;
    double t0 = metrics_now();
    s = q->fit(st, x, err);
    double tf = metrics_now();
    if (!s && !q->fit_encodes) /* a chain's fit already encoded x: do not pay for it twice */
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
    /* A result is measured or it is not: a reconstruction that overflowed float32 (data near its
     * largest values) is refused, never reported as ok with a NaN or Inf error. MRE alone may be
     * undefined: when every element is too close to zero to divide by (the note says so). */
    if (!isfinite(r->error.mse) || !isfinite(r->error.mae) ||
        (!isfinite(r->error.mre) && r->error.mre_excluded != x->rows * x->cols)) {
        s = qb_fail(err,
                    "%s on this matrix gives a non-finite error (MSE %g): its values overflow "
                    "float32 arithmetic; nothing is reported",
                    p.method, r->error.mse);
        goto done;
    }
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

/* The solved stage chain, e.g. "qet:l3:k180:0.7+pq:l0:k64:0.3" ("" for methods without one). */
static void stages_text(const quant_params *p, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < p->n_stages && at < len; i++) {
        const quant_stage *st = &p->stages[i];
        int w = st->kind == STAGE_RTN ? snprintf(buf + at, len - at, "%srtn:b%u:%.3g", i ? "+" : "",
                                                 st->rtn_bits, st->share)
                                      : snprintf(buf + at, len - at, "%s%s:l%u:k%llu:%.3g",
                                                 i ? "+" : "", st->levels ? "qet" : "pq",
                                                 st->levels, (unsigned long long)st->ks, st->share);
        at += w > 0 ? (size_t)w : 0;
    }
}

static int emit(cell_field_fn fn, void *ctx, const char *name, cell_field_kind kind,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int emit(cell_field_fn fn, void *ctx, const char *name, cell_field_kind kind,
                const char *fmt, ...) {
    cell_field f = {name, kind, {0}};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.text, sizeof f.text, fmt, ap);
    va_end(ap);
    return fn(&f, ctx);
}

static int emit_u64(cell_field_fn fn, void *ctx, const char *name, uint64_t v) {
    return emit(fn, ctx, name, FIELD_INT, "%llu", (unsigned long long)v);
}

static int emit_real(cell_field_fn fn, void *ctx, const char *name, double v) {
    return isfinite(v) ? emit(fn, ctx, name, FIELD_REAL, "%.17g", v)
                       : emit(fn, ctx, name, FIELD_REAL, "nan");
}

int cell_fields(const cell_result *r, cell_field_fn fn, void *ctx) {
    const quant_params *p = &r->params;
    const storage_bits *b = &r->bits;
    int s = emit(fn, ctx, "method", FIELD_TEXT, "%s", p->method);
    if (!s)
        s = emit(fn, ctx, "preset", FIELD_TEXT, "%s", p->preset);
    if (!s)
        s = emit_u64(fn, ctx, "n", r->n);
    if (!s)
        s = emit_u64(fn, ctx, "d", r->d);
    for (size_t i = 0; !s && option_at(i); i++) {
        const option_def *o = option_at(i);
        char text[256];
        double number;
        option_output(p, o, text, sizeof text, &number);
        cell_field_kind kind = o->type == OPT_UINT   ? FIELD_INT
                               : o->type == OPT_REAL ? FIELD_REAL
                                                     : FIELD_TEXT;
        s = emit(fn, ctx, option_field(o), kind, "%s", text);
    }
    const char *bit_names[] = {"bits.codes",    "bits.codebooks", "bits.indicator_maps",
                               "bits.rotation", "bits.coarse",    "bits.scales",
                               "bits.total",    "bits.charged"};
    uint64_t bit_values[] = {b->codes,  b->codebooks, b->indicator_maps, b->rotation,
                             b->coarse, b->scales,    storage_total(b),  r->charged_bits};
    for (size_t i = 0; !s && i < sizeof bit_values / sizeof *bit_values; i++)
        s = emit_u64(fn, ctx, bit_names[i], bit_values[i]);
    if (!s)
        s = emit_u64(fn, ctx, "original_bits", r->original_bits);
    const char *real_names[] = {"ratio", "mse", "mae", "mre"};
    double real_values[] = {r->ratio, r->error.mse, r->error.mae, r->error.mre};
    for (size_t i = 0; !s && i < 4; i++)
        s = emit_real(fn, ctx, real_names[i], real_values[i]);
    if (!s)
        s = emit_u64(fn, ctx, "mre_excluded", r->error.mre_excluded);
    const char *time_names[] = {"seconds_quantize", "seconds_dequantize", "seconds_fit",
                                "seconds_encode"};
    double time_values[] = {r->seconds_quantize, r->seconds_dequantize, r->seconds_fit,
                            r->seconds_encode};
    for (size_t i = 0; !s && i < 4; i++)
        s = emit_real(fn, ctx, time_names[i], time_values[i]);
    if (!s) {
        char st[256];
        stages_text(p, st, sizeof st);
        s = emit(fn, ctx, "stages", FIELD_TEXT, "%s", st);
    }
    const cell_model *md = &r->model;
    const char *model_names[] = {"kl_mean", "kl_p99", "top1", "ppl", "ppl_fp32"};
    double model_values[] = {md->kl_mean, md->kl_p99, md->top1, md->ppl, md->ppl_fp32};
    for (size_t i = 0; !s && md->positions && i < 5; i++)
        s = emit_real(fn, ctx, model_names[i], model_values[i]);
    if (!s && md->positions)
        s = emit_u64(fn, ctx, "positions", md->positions);
    if (!s && r->recall.queries) {
        const char *names[] = {"recall1_at_1", "recall1_at_10", "recall1_at_100", "recall10_at_10"};
        double values[] = {r->recall.r1_at_1, r->recall.r1_at_10, r->recall.r1_at_100,
                           r->recall.r10_at_10};
        for (size_t i = 0; !s && i < 4; i++)
            s = emit_real(fn, ctx, names[i], values[i]);
        if (!s)
            s = emit_u64(fn, ctx, "queries", r->recall.queries);
        if (!s)
            s = emit(fn, ctx, "distance", FIELD_TEXT, "%s", r->angular ? "angular" : "l2");
    }
    if (!s) { /* every output of a free-imap cell says so, and of one without an MRE */
        int free_imap = p->accounting == ACCOUNTING_FREE_IMAP,
            no_mre =
                !isfinite(r->error.mre) && r->n * r->d > 0 && r->error.mre_excluded == r->n * r->d;
        s = emit(fn, ctx, "note", FIELD_TEXT, "%s%s%s",
                 free_imap ? "free-imap: indicator maps stored but NOT charged" : "",
                 free_imap && no_mre ? "; " : "",
                 no_mre ? "mre undefined: every element is within 1e-12 of zero" : "");
    }
    return s;
}

/* ---- JSON ---- */

typedef struct {
    FILE *f;
    int first, in_bits;
} json_writer;

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static int json_field(const cell_field *fld, void *ctx) {
    json_writer *w = ctx;
    int bits = !strncmp(fld->name, "bits.", 5);
    if (w->in_bits && !bits) {
        fputc('}', w->f);
        w->in_bits = 0;
    }
    if (bits && !w->in_bits) {
        fputs(w->first ? "\"bits\":{" : ",\"bits\":{", w->f);
        w->in_bits = 1;
        w->first = 1;
    }
    if (!w->first)
        fputc(',', w->f);
    w->first = 0;
    json_string(w->f, bits ? fld->name + 5 : fld->name);
    fputc(':', w->f);
    if (fld->kind == FIELD_TEXT)
        json_string(w->f, fld->text);
    else if (!strcmp(fld->text, "nan"))
        fputs("null", w->f);
    else
        fputs(fld->text, w->f);
    return 0;
}

void cell_result_json(FILE *f, const cell_result *r) {
    json_writer w = {f, 1, 0};
    fputc('{', f);
    cell_fields(r, json_field, &w);
    if (w.in_bits)
        fputc('}', f);
    fputs("}\n", f);
}
