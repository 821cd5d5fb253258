/* model_eval.c - a llama2.c model with quantized layer weights or a quantized KV cache against
 * its fp32 self on the same text: KL divergence, perplexity and top-1 agreement per position. */
#include "model_eval.h"

#include <errno.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "budget.h"
#include "forward.h"
#include "rng.h"
#include "sizes.h"
#include "text.h"

model_spec model_spec_defaults(void) {
    model_spec s;
    memset(&s, 0, sizeof s);
    s.target = MODEL_TARGET_WEIGHTS;
    s.sequences = 8;
    s.tokens = 128;
    s.seed = 1;
    return s;
}

const char *model_target_name(model_target t) {
    return t == MODEL_TARGET_KV ? "kv" : "weights";
}

int model_target_parse(const char *name, model_target *t, qb_error *err) {
    if (!strcmp(name, "weights"))
        *t = MODEL_TARGET_WEIGHTS;
    else if (!strcmp(name, "kv"))
        *t = MODEL_TARGET_KV;
    else
        return qb_fail(err, "target must be weights or kv (got '%s')", name);
    return QB_OK;
}

/* ---- the evaluation text ---- */

static int push_id(model_bench *mb, size_t *cap, int id, qb_error *err) {
    size_t n = mb->start[mb->n_seq + 1]; /* the end of the sequence being read */
    if (n == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        int *p = realloc(mb->ids, nc * sizeof *p);
        if (!p)
            return qb_oom(err);
        mb->ids = p;
        *cap = nc;
    }
    mb->ids[n] = id;
    mb->start[mb->n_seq + 1]++;
    return QB_OK;
}

/* One sequence per line of whitespace-separated ids; blank lines are skipped. */
static int read_tokens(model_bench *mb, const char *path, qb_error *err) {
    const llama2c_config *c = &mb->model.cfg;
    text t = {0};
    if (text_read_file(&t, path)) {
        int e = errno;
        text_free(&t);
        return qb_fail(err, "cannot read '%s': %s", path, strerror(e));
    }
    if (t.failed)
        return qb_oom(err);
    size_t lines = 1, cap = 0;
    for (size_t i = 0; i < t.n; i++)
        lines += t.s[i] == '\n';
    mb->start = calloc(lines + 2, sizeof *mb->start);
    int s = mb->start ? QB_OK : qb_oom(err);
    const char *p = t.s ? t.s : "", *end = p + t.n;
    for (size_t line = 1; !s && p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        size_t len = 0;
        while (!s && p < eol) {
            while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
            if (p == eol)
                break;
            char *stop;
            errno = 0;
            long v = strtol(p, &stop, 10);
            size_t word = 0;
            while (p + word < eol && !strchr(" \t\r", p[word]))
                word++;
            if (stop != p + word || errno)
                s = qb_fail(err, "%s:%zu: '%.*s' is not a token id", path, line,
                            (int)(word < 40 ? word : 40), p);
            else if (v < 0 || v >= c->vocab_size)
                s = qb_fail(err, "%s:%zu: token %ld outside the vocabulary (0..%d)", path, line, v,
                            c->vocab_size - 1);
            else if (++len > (size_t)c->seq_len)
                s = qb_fail(err, "%s:%zu: a sequence longer than the model's context (%d tokens)",
                            path, line, c->seq_len);
            else
                s = push_id(mb, &cap, (int)v, err);
            p += word;
        }
        if (!s && len == 1)
            s = qb_fail(err, "%s:%zu: a sequence needs at least 2 tokens (got 1)", path, line);
        if (!s && len) {
            mb->n_seq++;
            mb->start[mb->n_seq + 1] = mb->start[mb->n_seq];
        }
        p = eol + 1;
    }
    text_free(&t);
    if (!s && !mb->n_seq)
        s = qb_fail(err, "'%s' holds no token sequence", path);
    return s;
}

/* S sequences of T tokens sampled from the fp32 model at temperature 1 from BOS. */
static int sample_tokens(model_bench *mb, qb_error *err) {
    const model_spec *sp = &mb->spec; /* tokens >= 2: model_bench_open checked it */
    if (sp->tokens > (size_t)mb->model.cfg.seq_len)
        return qb_fail(err, "%zu tokens are more than the model's context (%d)", sp->tokens,
                       mb->model.cfg.seq_len);
    if (sp->sequences < 1)
        return qb_fail(err, "--sequences must be at least 1");
    kvcache_spec ks = {
        .tokens = sp->tokens, .sequences = sp->sequences, .seed = sp->seed, .temperature = 1};
    kvcache kc;
    int s = kvcache_generate(&mb->model, &ks, &kc, err);
    if (s)
        return s;
    mb->n_seq = sp->sequences;
    mb->start = malloc((mb->n_seq + 1) * sizeof *mb->start);
    mb->ids = malloc(sp->sequences * sp->tokens * sizeof *mb->ids);
    if (!mb->start || !mb->ids) {
        kvcache_free(&kc);
        return qb_oom(err);
    }
    memcpy(mb->ids, kc.token_ids, sp->sequences * sp->tokens * sizeof *mb->ids);
    for (size_t j = 0; j <= mb->n_seq; j++)
        mb->start[j] = j * sp->tokens;
    kvcache_free(&kc);
    return QB_OK;
}

/* ---- measures ---- */

/* log softmax of a float row, in double. */
static void log_softmax(const float *x, size_t n, double *out) {
    double lse = forward_log_sum_exp(x, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (double)x[i] - lse;
}

void model_position_measures(const matrix *fp32, const matrix *q, const int *tokens, size_t n,
                             double *kl, double *nll_q, double *nll_fp32, double *agree) {
    size_t V = fp32->cols;
    double *la = malloc(2 * V * sizeof *la), *lb = la ? la + V : NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        const float *a = matrix_row(fp32, i), *b = matrix_row(q, i);
        if (!la) { /* no memory for the scratch rows: NaN, which the caller refuses */
            kl[i] = nll_q[i] = nll_fp32[i] = agree[i] = NAN;
            continue;
        }
        log_softmax(a, V, la);
        log_softmax(b, V, lb);
        double d = 0;
        for (size_t v = 0; v < V; v++)
            d += exp(la[v]) * (la[v] - lb[v]);
        kl[i] = d;
        nll_q[i] = -lb[tokens[i + 1]];
        nll_fp32[i] = -la[tokens[i + 1]];
        agree[i] = forward_argmax(a, V) == forward_argmax(b, V);
    }
    free(la);
}

/* ---- opening: model, text, fp32 logits ---- */

void model_bench_close(model_bench *mb) {
    for (size_t j = 0; mb->ref && j < mb->n_seq; j++)
        matrix_free(&mb->ref[j]);
    free(mb->ref);
    free(mb->start);
    free(mb->ids);
    llama2c_free(&mb->model);
    memset(mb, 0, sizeof *mb);
}

static size_t seq_len_of(const model_bench *mb, size_t j) {
    return mb->start[j + 1] - mb->start[j];
}

int model_bench_open(const model_spec *spec, model_bench *mb, qb_error *err) {
    memset(mb, 0, sizeof *mb);
    mb->spec = *spec;
    if (!spec->eval_tokens[0] && spec->tokens < 2) /* before reading a large checkpoint */
        return qb_fail(err, "--tokens must be at least 2 (got %zu): a position needs a next token",
                       spec->tokens);
    int s = llama_checkpoint_load(spec->checkpoint, &spec->hparams, &mb->model, err);
    if (s)
        return s;
    s = spec->eval_tokens[0] ? read_tokens(mb, spec->eval_tokens, err) : sample_tokens(mb, err);
    uint64_t floats = 0;
    mb->positions = s ? 0 : mb->start[mb->n_seq] - mb->n_seq;
    if (!s && size_mul(mb->start[mb->n_seq], (uint64_t)mb->model.cfg.vocab_size, &floats))
        s = qb_fail(err, "the evaluation text is too long");
    if (!s)
        s = size_check_memory("the fp32 logits of the evaluation text", 3 * 4 * floats, err);
    if (!s && !(mb->ref = calloc(mb->n_seq, sizeof *mb->ref)))
        s = qb_oom(err);
    for (size_t j = 0; !s && j < mb->n_seq; j++)
        s = forward_sequence(&mb->model, mb->ids + mb->start[j], seq_len_of(mb, j), NULL, NULL,
                             &mb->ref[j], err);
    if (!s) {
        double nll = 0;
        for (size_t j = 0; j < mb->n_seq; j++) {
            const int *tok = mb->ids + mb->start[j];
            const matrix *r = &mb->ref[j];
            for (size_t i = 0; i + 1 < r->rows; i++)
                nll -= forward_log_prob(matrix_row(r, i), r->cols, tok[i + 1]);
        }
        mb->ppl_fp32 = exp(nll / (double)mb->positions);
    }
    if (s)
        model_bench_close(mb);
    return s;
}

/* ---- quantizing and aggregating ---- */

int model_quant_cell(void *ctx, const matrix *x, uint64_t index, matrix *recon, cell_result *r,
                     qb_error *err) {
    quant_params p = *(const quant_params *)ctx;
    p.cell = rng_derive(p.cell, index, RNG_STREAM_DATA);
    return cell_run(&p, x, r, recon, err);
}

/* Sums of many cells' results, combined in a fixed order. */
typedef struct {
    cell_result r; /* bits, original and charged bits, times: summed; params of the first */
    double sse, sae, sre;
    uint64_t elems, counted, excluded;
    size_t matrices;
} quant_sum;

static void sum_merge(quant_sum *a, const quant_sum *b) {
    if (!b->matrices)
        return;
    if (!a->matrices)
        a->r.params = b->r.params;
    storage_add(&a->r.bits, &b->r.bits);
    a->r.original_bits += b->r.original_bits;
    a->r.charged_bits += b->r.charged_bits;
    a->r.seconds_quantize += b->r.seconds_quantize;
    a->r.seconds_dequantize += b->r.seconds_dequantize;
    a->r.seconds_fit += b->r.seconds_fit;
    a->r.seconds_encode += b->r.seconds_encode;
    a->sse += b->sse;
    a->sae += b->sae;
    a->sre += b->sre;
    a->elems += b->elems;
    a->counted += b->counted;
    a->excluded += b->excluded;
    a->matrices += b->matrices;
}

/* One matrix's result, as a sum of one. */
static void sum_add(quant_sum *a, const cell_result *r) {
    uint64_t e = (uint64_t)r->n * r->d, excl = r->error.mre_excluded;
    quant_sum one = {.r = *r,
                     .sse = r->error.mse * (double)e,
                     .sae = r->error.mae * (double)e,
                     .elems = e,
                     .excluded = excl,
                     .matrices = 1};
    if (excl < e) {
        one.counted = e - excl;
        one.sre = r->error.mre * (double)(e - excl);
    }
    sum_merge(a, &one);
}

static void sum_finish(const quant_sum *a, size_t d, cell_result *out) {
    *out = a->r;
    out->d = d;
    out->n = d ? (size_t)(a->elems / d) : 0;
    out->ratio = a->r.charged_bits ? (double)a->r.original_bits / (double)a->r.charged_bits : 0;
    out->error.mse = a->elems ? a->sse / (double)a->elems : NAN;
    out->error.mae = a->elems ? a->sae / (double)a->elems : NAN;
    out->error.mre = a->counted ? a->sre / (double)a->counted : NAN;
    out->error.mre_excluded = (size_t)a->excluded;
}

/* Quantizes x through the callback into dst (x's shape), adding to sum. */
static int quantize_into(model_quant_fn quant, void *ctx, const matrix *x, uint64_t index,
                         float *dst, quant_sum *sum, qb_error *err) {
    matrix recon = {0};
    cell_result r;
    memset(&r, 0, sizeof r);
    int s = quant(ctx, x, index, &recon, &r, err);
    if (!s && (recon.rows != x->rows || recon.cols != x->cols || !recon.data))
        s = qb_internal(err,
                        "a quantizer returned a %zu x %zu reconstruction of a %zu x %zu matrix",
                        recon.rows, recon.cols, x->rows, x->cols);
    if (!s) {
        memcpy(dst, recon.data, x->rows * x->cols * sizeof *dst);
        sum_add(sum, &r);
    }
    matrix_free(&recon);
    return s;
}

/* The model with its own copy of every weight (pointers into the copy). */
static int model_copy(const llama2c_model *m, llama2c_model *out, qb_error *err) {
    llama2c_tensor t[LLAMA2C_MAX_TENSORS];
    uint64_t floats;
    llama2c_layout(&m->cfg, t, &floats);
    *out = *m;
    out->data = malloc(floats * sizeof(float));
    if (!out->data)
        return qb_oom(err);
    memcpy(out->data, m->data, floats * sizeof(float));
    llama2c_bind(out);
    return QB_OK;
}

/* Weights: every layer's wq wk wv wo w1 w2 w3 as its own matrix (rows = output features), layer
 * by layer, after the embedding table when it is included. */
static int quantize_weights(const llama2c_model *m, const model_spec *sp, model_quant_fn quant,
                            void *ctx, llama2c_model *qm, quant_sum *sum, qb_error *err) {
    size_t dim = (size_t)m->cfg.dim, hid = (size_t)m->cfg.hidden_dim, kv = m->kv_dim;
    struct {
        const char *name;
        float *q;
        size_t rows, cols;
    } w[] = {{"wq", qm->wq, dim, dim}, {"wk", qm->wk, kv, dim},  {"wv", qm->wv, kv, dim},
             {"wo", qm->wo, dim, dim}, {"w1", qm->w1, hid, dim}, {"w2", qm->w2, dim, hid},
             {"w3", qm->w3, hid, dim}};
    uint64_t index = 0;
    int s = QB_OK;
    /* Each matrix is quantized from a view of qm's own copy of it (read only until the
     * reconstruction replaces it, as the KV hook does), not from one more copy. */
    if (sp->include_embeddings) {
        /* A shared classifier is the same stored tensor, so it is quantized with it. */
        matrix x = {(size_t)m->cfg.vocab_size, dim, qm->tok_embeddings};
        s = quantize_into(quant, ctx, &x, index++, qm->tok_embeddings, sum, err);
    }
    for (size_t l = 0; !s && l < (size_t)m->cfg.n_layers; l++)
        for (size_t i = 0; !s && i < sizeof w / sizeof *w; i++) {
            size_t count = w[i].rows * w[i].cols;
            matrix x = {w[i].rows, w[i].cols, w[i].q + l * count};
            s = quantize_into(quant, ctx, &x, index++, w[i].q + l * count, sum, err);
            if (s == QB_EINPUT) { /* which matrix: the shapes differ (hidden vs dim) */
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                snprintf(err->msg, sizeof err->msg, "layer %zu %s (%zu x %zu): %.900s", l,
                         w[i].name, w[i].rows, w[i].cols, msg);
            }
        }
    return s;
}

/* The KV hook: each layer's keys and values of one sequence, in blocks of kv_block rows. */
typedef struct {
    model_quant_fn quant;
    void *ctx;
    size_t seq, layers, block;
    quant_sum sum;
} kv_hook_ctx;

static int kv_hook(void *vctx, size_t layer, matrix *k, matrix *v, qb_error *err) {
    kv_hook_ctx *h = vctx;
    size_t n = k->rows, block = h->block ? h->block : n, blocks = (n + block - 1) / block;
    int s = QB_OK;
    for (int which = 0; !s && which < 2; which++) {
        matrix *kvm = which ? v : k;
        for (size_t b = 0; !s && b < blocks; b++) {
            size_t r0 = b * block, rows = r0 + block <= n ? block : n - r0;
            matrix part = {rows, kvm->cols, matrix_row(kvm, r0)}; /* a view: read only */
            uint64_t index =
                (((uint64_t)h->seq * h->layers + layer) * 2 + (uint64_t)which) * (uint64_t)blocks +
                b;
            s = quantize_into(h->quant, h->ctx, &part, index, matrix_row(kvm, r0), &h->sum, err);
        }
    }
    return s;
}

int model_bench_eval(const model_bench *mb, model_quant_fn quant, void *ctx, model_result *out,
                     qb_error *err) {
    memset(out, 0, sizeof *out);
    const model_spec *sp = &mb->spec;
    size_t S = mb->n_seq, P = mb->positions, L = (size_t)mb->model.cfg.n_layers;
    llama2c_model qm = {0};
    quant_sum total = {0};
    quant_sum *seq_sums = calloc(S, sizeof *seq_sums);
    int *status = calloc(S, sizeof *status);
    qb_error *errs = calloc(S, sizeof *errs);
    double *kl = malloc(4 * (P + 1) * sizeof *kl);
    double *nq = kl ? kl + P + 1 : NULL, *nf = kl ? nq + P + 1 : NULL, *ag = kl ? nf + P + 1 : NULL;
    int s = seq_sums && status && errs && kl ? QB_OK : qb_oom(err);
    if (!s && sp->target == MODEL_TARGET_WEIGHTS) {
        s = model_copy(&mb->model, &qm, err);
        if (!s)
            s = quantize_weights(&mb->model, sp, quant, ctx, &qm, &total, err);
    }
    if (s)
        goto done;
#ifdef _OPENMP
    int nested = omp_get_max_active_levels();
    omp_set_max_active_levels(1); /* sequences in parallel, each quantizer call single-threaded */
#endif
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t j = 0; j < S; j++) {
        const int *tok = mb->ids + mb->start[j];
        size_t n = seq_len_of(mb, j);
        kv_hook_ctx h;
        memset(&h, 0, sizeof h);
        h.quant = quant;
        h.ctx = ctx;
        h.seq = j;
        h.layers = L;
        h.block = sp->kv_block;
        matrix logits = {0};
        int st = sp->target == MODEL_TARGET_KV
                     ? forward_sequence(&mb->model, tok, n, kv_hook, &h, &logits, &errs[j])
                     : forward_sequence(&qm, tok, n, NULL, NULL, &logits, &errs[j]);
        if (!st) {
            size_t at = mb->start[j] - j;
            model_position_measures(&mb->ref[j], &logits, tok, n, kl + at, nq + at, nf + at,
                                    ag + at);
        }
        seq_sums[j] = h.sum;
        status[j] = st;
        matrix_free(&logits);
    }
#ifdef _OPENMP
    omp_set_max_active_levels(nested);
#endif
    for (size_t j = 0; !s && j < S; j++) {
        if ((s = status[j]))
            *err = errs[j];
        else
            sum_merge(&total, &seq_sums[j]);
    }
    if (s)
        goto done;
    double skl = 0, snq = 0, snf = 0, sag = 0;
    for (size_t i = 0; i < P; i++) {
        skl += kl[i];
        snq += nq[i];
        snf += nf[i];
        sag += ag[i];
    }
    if (!isfinite(skl) || !isfinite(snq) || !isfinite(snf)) {
        s = qb_fail(err, "the quantized model's logits are not finite: nothing is reported");
        goto done;
    }
    sum_finish(&total, sp->target == MODEL_TARGET_KV ? mb->model.kv_dim : (size_t)mb->model.cfg.dim,
               &out->quant);
    out->matrices = total.matrices;
    gsl_sort(kl, 1, P);
    cell_model *md = &out->quant.model;
    /* linear between order statistics (numpy's default) */
    md->kl_p99 = gsl_stats_quantile_from_sorted_data(kl, 1, P, 0.99);
    md->kl_mean = skl / (double)P;
    md->ppl = exp(snq / (double)P);
    md->ppl_fp32 = exp(snf / (double)P);
    md->top1 = sag / (double)P;
    md->positions = P;
done:
    free(qm.data);
    free(seq_sums);
    free(status);
    free(errs);
    free(kl);
    return s;
}

int model_bench_run(const model_bench *mb, const quant_params *p, model_result *out,
                    qb_error *err) {
    return model_bench_eval(mb, model_quant_cell, (void *)p, out, err);
}
