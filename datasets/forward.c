/* forward.c - the LLaMA-2 forward pass after llama2.c's run.c, with BLAS for every matrix-vector
 * product, and seeded self-sampling for the KV-cache data set. */
#include "forward.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define RMS_EPS 1e-5f
#define ROPE_BASE 10000.0

int forward_init(forward_state *s, const llama2c_model *m, size_t max_tokens, qb_error *err) {
    memset(s, 0, sizeof *s);
    const llama2c_config *c = &m->cfg;
    if (max_tokens == 0 || max_tokens > (size_t)c->seq_len)
        return qb_fail(err, "a forward pass holds 1..%d positions (asked for %zu)", c->seq_len,
                       max_tokens);
    size_t dim = (size_t)c->dim, hid = (size_t)c->hidden_dim, L = (size_t)c->n_layers;
    s->m = m;
    s->max_tokens = max_tokens;
    s->x = calloc(dim, sizeof(float));
    s->xb = calloc(dim, sizeof(float));
    s->xb2 = calloc(dim, sizeof(float));
    s->hb = calloc(hid, sizeof(float));
    s->hb2 = calloc(hid, sizeof(float));
    s->q = calloc(dim, sizeof(float));
    s->att = calloc((size_t)c->n_heads * max_tokens, sizeof(float));
    s->logits = calloc((size_t)c->vocab_size, sizeof(float));
    s->key_cache = calloc(L * max_tokens * m->kv_dim, sizeof(float));
    s->value_cache = calloc(L * max_tokens * m->kv_dim, sizeof(float));
    if (!s->x || !s->xb || !s->xb2 || !s->hb || !s->hb2 || !s->q || !s->att || !s->logits ||
        !s->key_cache || !s->value_cache) {
        forward_free(s);
        return qb_oom(err);
    }
    return QB_OK;
}

void forward_free(forward_state *s) {
    free(s->x);
    free(s->xb);
    free(s->xb2);
    free(s->hb);
    free(s->hb2);
    free(s->q);
    free(s->att);
    free(s->logits);
    free(s->key_cache);
    free(s->value_cache);
    memset(s, 0, sizeof *s);
}

static void rmsnorm(float *out, const float *x, const float *w, size_t n) {
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(ss / (double)n) + RMS_EPS);
    for (size_t i = 0; i < n; i++)
        out[i] = w[i] * (scale * x[i]);
}

static void softmax(float *x, size_t n) {
    float mx = x[0];
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] / sum);
}

/* out (rows) = W (rows, cols) x (cols) */
static void matvec(float *out, const float *w, const float *x, size_t rows, size_t cols) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, x, 1, 0.0f,
                out, 1);
}

/* Rotates interleaved pairs (2i, 2i+1) within each head by pos * base^(-2i/head_size). */
static void rope(float *v, size_t n, size_t head_size, size_t pos) {
    for (size_t i = 0; i < n; i += 2) {
        size_t hd = i % head_size;
        double freq = pow(ROPE_BASE, -(double)hd / (double)head_size);
        double a = (double)pos * freq;
        float cr = (float)cos(a), ci = (float)sin(a);
        float v0 = v[i], v1 = v[i + 1];
        v[i] = v0 * cr - v1 * ci;
        v[i + 1] = v0 * ci + v1 * cr;
    }
}

int forward_step(forward_state *s, int token, size_t pos, qb_error *err) {
    const llama2c_model *m = s->m;
    const llama2c_config *c = &m->cfg;
    if (token < 0 || token >= c->vocab_size)
        return qb_fail(err, "token %d outside the vocabulary (0..%d)", token, c->vocab_size - 1);
    if (pos >= s->max_tokens)
        return qb_fail(err, "position %zu beyond the cache (%zu)", pos, s->max_tokens);
    size_t dim = (size_t)c->dim, hid = (size_t)c->hidden_dim, kv = m->kv_dim;
    size_t hs = m->head_size, n_heads = (size_t)c->n_heads;
    size_t group = n_heads / (size_t)c->n_kv_heads, T = s->max_tokens;
    float *x = s->x;
    memcpy(x, m->tok_embeddings + (size_t)token * dim, dim * sizeof *x);
    float inv_sqrt = 1.0f / sqrtf((float)hs);

    for (size_t l = 0; l < (size_t)c->n_layers; l++) {
        rmsnorm(s->xb, x, m->rms_att + l * dim, dim);
        float *k = s->key_cache + (l * T + pos) * kv;
        float *v = s->value_cache + (l * T + pos) * kv;
        matvec(s->q, m->wq + l * dim * dim, s->xb, dim, dim);
        matvec(k, m->wk + l * kv * dim, s->xb, kv, dim);
        matvec(v, m->wv + l * kv * dim, s->xb, kv, dim);
        rope(s->q, dim, hs, pos);
        rope(k, kv, hs, pos);

        for (size_t h = 0; h < n_heads; h++) {
            const float *qh = s->q + h * hs;
            float *att = s->att + h * T;
            size_t kvh = h / group;
            for (size_t t = 0; t <= pos; t++)
                att[t] = cblas_sdot((int)hs, qh, 1, s->key_cache + (l * T + t) * kv + kvh * hs, 1) *
                         inv_sqrt;
            softmax(att, pos + 1);
            float *out = s->xb + h * hs;
            memset(out, 0, hs * sizeof *out);
            for (size_t t = 0; t <= pos; t++)
                cblas_saxpy((int)hs, att[t], s->value_cache + (l * T + t) * kv + kvh * hs, 1, out,
                            1);
        }
        matvec(s->xb2, m->wo + l * dim * dim, s->xb, dim, dim);
        cblas_saxpy((int)dim, 1.0f, s->xb2, 1, x, 1);

        rmsnorm(s->xb, x, m->rms_ffn + l * dim, dim);
        matvec(s->hb, m->w1 + l * hid * dim, s->xb, hid, dim);
        matvec(s->hb2, m->w3 + l * hid * dim, s->xb, hid, dim);
        for (size_t i = 0; i < hid; i++) /* SwiGLU: silu(w1 x) * (w3 x) */
            s->hb[i] = s->hb[i] / (1.0f + expf(-s->hb[i])) * s->hb2[i];
        matvec(s->xb, m->w2 + l * dim * hid, s->hb, dim, hid);
        cblas_saxpy((int)dim, 1.0f, s->xb, 1, x, 1);
    }
    rmsnorm(x, x, m->rms_final, dim);
    matvec(s->logits, m->wcls, x, (size_t)c->vocab_size, dim);
    return QB_OK;
}

/* out (n, rows) = x (n, cols) W^T, W (rows, cols): every position's product at once. */
static void matmul(float *out, const float *x, const float *w, size_t n, size_t rows, size_t cols) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)rows, (int)cols, 1.0f, x,
                (int)cols, w, (int)cols, 0.0f, out, (int)rows);
}

int forward_sequence(const llama2c_model *m, const int *tokens, size_t n, forward_kv_hook hook,
                     void *ctx, matrix *logits, qb_error *err) {
    const llama2c_config *c = &m->cfg;
    *logits = (matrix){0};
    if (n == 0 || n > (size_t)c->seq_len)
        return qb_fail(err, "a forward pass holds 1..%d positions (asked for %zu)", c->seq_len, n);
    for (size_t t = 0; t < n; t++)
        if (tokens[t] < 0 || tokens[t] >= c->vocab_size)
            return qb_fail(err, "token %d outside the vocabulary (0..%d)", tokens[t],
                           c->vocab_size - 1);
    size_t dim = (size_t)c->dim, hid = (size_t)c->hidden_dim, kvd = m->kv_dim;
    size_t hs = m->head_size, n_heads = (size_t)c->n_heads;
    size_t group = n_heads / (size_t)c->n_kv_heads;
    matrix x = {0}, xb = {0}, xb2 = {0}, q = {0}, k = {0}, v = {0}, h1 = {0}, h3 = {0};
    float *att = malloc(n * sizeof *att);
    int s = att ? QB_OK : qb_oom(err);
    if (!s && ((s = matrix_alloc(&x, n, dim, err)) || (s = matrix_alloc(&xb, n, dim, err)) ||
               (s = matrix_alloc(&xb2, n, dim, err)) || (s = matrix_alloc(&q, n, dim, err)) ||
               (s = matrix_alloc(&k, n, kvd, err)) || (s = matrix_alloc(&v, n, kvd, err)) ||
               (s = matrix_alloc(&h1, n, hid, err)) || (s = matrix_alloc(&h3, n, hid, err))))
        goto done;
    for (size_t t = 0; t < n; t++)
        memcpy(matrix_row(&x, t), m->tok_embeddings + (size_t)tokens[t] * dim, dim * sizeof(float));
    float inv_sqrt = 1.0f / sqrtf((float)hs);
    for (size_t l = 0; !s && l < (size_t)c->n_layers; l++) {
        for (size_t t = 0; t < n; t++)
            rmsnorm(matrix_row(&xb, t), matrix_row(&x, t), m->rms_att + l * dim, dim);
        matmul(q.data, xb.data, m->wq + l * dim * dim, n, dim, dim);
        matmul(k.data, xb.data, m->wk + l * kvd * dim, n, kvd, dim);
        matmul(v.data, xb.data, m->wv + l * kvd * dim, n, kvd, dim);
        for (size_t t = 0; t < n; t++) {
            rope(matrix_row(&q, t), dim, hs, t);
            rope(matrix_row(&k, t), kvd, hs, t);
        }
        if (hook && (s = hook(ctx, l, &k, &v, err)))
            break;
        for (size_t t = 0; t < n; t++)
            for (size_t h = 0; h < n_heads; h++) {
                const float *qh = matrix_row(&q, t) + h * hs;
                size_t kvh = h / group;
                for (size_t u = 0; u <= t; u++)
                    att[u] = cblas_sdot((int)hs, qh, 1, matrix_row(&k, u) + kvh * hs, 1) * inv_sqrt;
                softmax(att, t + 1);
                float *out = matrix_row(&xb, t) + h * hs;
                memset(out, 0, hs * sizeof *out);
                for (size_t u = 0; u <= t; u++)
                    cblas_saxpy((int)hs, att[u], matrix_row(&v, u) + kvh * hs, 1, out, 1);
            }
        matmul(xb2.data, xb.data, m->wo + l * dim * dim, n, dim, dim);
        cblas_saxpy((int)(n * dim), 1.0f, xb2.data, 1, x.data, 1);
        for (size_t t = 0; t < n; t++)
            rmsnorm(matrix_row(&xb, t), matrix_row(&x, t), m->rms_ffn + l * dim, dim);
        matmul(h1.data, xb.data, m->w1 + l * hid * dim, n, hid, dim);
        matmul(h3.data, xb.data, m->w3 + l * hid * dim, n, hid, dim);
        for (size_t i = 0; i < n * hid; i++) /* SwiGLU: silu(w1 x) * (w3 x) */
            h1.data[i] = h1.data[i] / (1.0f + expf(-h1.data[i])) * h3.data[i];
        matmul(xb.data, h1.data, m->w2 + l * dim * hid, n, dim, hid);
        cblas_saxpy((int)(n * dim), 1.0f, xb.data, 1, x.data, 1);
    }
    if (s)
        goto done;
    for (size_t t = 0; t < n; t++)
        rmsnorm(matrix_row(&x, t), matrix_row(&x, t), m->rms_final, dim);
    if (!(s = matrix_alloc(logits, n, (size_t)c->vocab_size, err)))
        matmul(logits->data, x.data, m->wcls, n, (size_t)c->vocab_size, dim);
done:
    free(att);
    matrix_free(&x);
    matrix_free(&xb);
    matrix_free(&xb2);
    matrix_free(&q);
    matrix_free(&k);
    matrix_free(&v);
    matrix_free(&h1);
    matrix_free(&h3);
    return s;
}

double forward_log_sum_exp(const float *logits, size_t vocab) {
    double mx = logits[0], sum = 0;
    for (size_t i = 1; i < vocab; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    for (size_t i = 0; i < vocab; i++)
        sum += exp((double)logits[i] - mx);
    return mx + log(sum);
}

double forward_log_prob(const float *logits, size_t vocab, int token) {
    return logits[token] - forward_log_sum_exp(logits, vocab);
}

int forward_argmax(const float *logits, size_t vocab) {
    size_t best = 0;
    for (size_t i = 1; i < vocab; i++)
        if (logits[i] > logits[best])
            best = i;
    return (int)best;
}

/* Draws from softmax(logits / temperature) with one uniform; returns the entropy in *h. */
static int sample(const float *logits, size_t vocab, double temperature, double u, double *h) {
    double mx = logits[0], sum = 0, acc = 0, ent = 0;
    for (size_t i = 1; i < vocab; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    for (size_t i = 0; i < vocab; i++)
        sum += exp((logits[i] - mx) / temperature);
    for (size_t i = 0; i < vocab; i++) {
        double p = exp((logits[i] - mx) / temperature) / sum;
        ent -= p > 0 ? p * log(p) : 0;
    }
    *h = ent;
    double target = u * sum;
    for (size_t i = 0; i < vocab; i++) {
        acc += exp((logits[i] - mx) / temperature);
        if (acc > target)
            return (int)i;
    }
    return (int)vocab - 1;
}

static double entropy(const float *logits, size_t vocab) {
    double mx = logits[0], sum = 0, ent = 0;
    for (size_t i = 1; i < vocab; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    for (size_t i = 0; i < vocab; i++)
        sum += exp(logits[i] - mx);
    for (size_t i = 0; i < vocab; i++) {
        double p = exp(logits[i] - mx) / sum;
        ent -= p > 0 ? p * log(p) : 0;
    }
    return ent;
}

/* Copies position t's K and V of every layer into row `row` of k and v (layer-major columns). */
static void copy_row(const forward_state *s, size_t t, matrix *k, matrix *v, size_t row) {
    size_t kv = s->m->kv_dim, L = (size_t)s->m->cfg.n_layers, T = s->max_tokens;
    for (size_t l = 0; l < L; l++) {
        memcpy(matrix_row(k, row) + l * kv, s->key_cache + (l * T + t) * kv, kv * sizeof(float));
        memcpy(matrix_row(v, row) + l * kv, s->value_cache + (l * T + t) * kv, kv * sizeof(float));
    }
}

int kvcache_generate(const llama2c_model *m, const kvcache_spec *spec, kvcache *out,
                     qb_error *err) {
    memset(out, 0, sizeof *out);
    size_t T = spec->tokens, S = spec->sequences, V = (size_t)m->cfg.vocab_size;
    size_t width = (size_t)m->cfg.n_layers * m->kv_dim;
    if (T < 2 || S < 1)
        return qb_fail(err, "a KV cache needs at least 2 tokens and 1 sequence");
    if (!(spec->temperature >= 0))
        return qb_fail(err, "temperature must be >= 0");
    forward_state st;
    int s = forward_init(&st, m, T, err);
    if (s)
        return s;
    if ((s = matrix_alloc(&out->k, S * T, width, err)) ||
        (s = matrix_alloc(&out->v, S * T, width, err)))
        goto fail;
    out->token_ids = malloc(S * T * sizeof *out->token_ids);
    if (!out->token_ids) {
        s = qb_oom(err);
        goto fail;
    }
    double lp = 0, ent = 0;
    for (size_t j = 0; j < S && !s; j++) {
        gsl_rng *r = rng_stream(spec->seed, j, RNG_STREAM_DATA);
        if (!r) {
            s = qb_oom(err);
            break;
        }
        int *tok = out->token_ids + j * T;
        tok[0] = FORWARD_BOS;
        for (size_t t = 0; t < T && !s; t++) {
            if ((s = forward_step(&st, tok[t], t, err)))
                break;
            copy_row(&st, t, &out->k, &out->v, j * T + t);
            if (t + 1 == T)
                break;
            double h;
            if (spec->temperature > 0) {
                tok[t + 1] = sample(st.logits, V, spec->temperature, gsl_rng_uniform(r), &h);
            } else {
                tok[t + 1] = forward_argmax(st.logits, V);
                h = entropy(st.logits, V);
            }
            lp += forward_log_prob(st.logits, V, tok[t + 1]);
            ent += h;
        }
        gsl_rng_free(r);
    }
    if (s)
        goto fail;
    out->mean_log_prob = lp / (double)(S * (T - 1));
    out->mean_entropy = ent / (double)(S * (T - 1));
    if ((s = matrix_check_finite(&out->k, "keys", err)) ||
        (s = matrix_check_finite(&out->v, "values", err)))
        goto fail;
    forward_free(&st);
    return QB_OK;
fail:
    forward_free(&st);
    kvcache_free(out);
    return s;
}

int kvcache_of_tokens(const llama2c_model *m, const int *tokens, size_t n, matrix *k, matrix *v,
                      qb_error *err) {
    size_t width = (size_t)m->cfg.n_layers * m->kv_dim;
    *k = (matrix){0};
    *v = (matrix){0};
    forward_state st;
    int s = forward_init(&st, m, n, err);
    if (s)
        return s;
    if ((s = matrix_alloc(k, n, width, err)) || (s = matrix_alloc(v, n, width, err))) {
        forward_free(&st);
        matrix_free(k);
        return s;
    }
    for (size_t t = 0; t < n && !s; t++) {
        s = forward_step(&st, tokens[t], t, err);
        if (!s)
            copy_row(&st, t, k, v, t);
    }
    forward_free(&st);
    if (s) {
        matrix_free(k);
        matrix_free(v);
    }
    return s;
}

void kvcache_free(kvcache *c) {
    matrix_free(&c->k);
    matrix_free(&c->v);
    free(c->token_ids);
    memset(c, 0, sizeof *c);
}

int kvcache_write_h5(const kvcache *c, const llama2c_model *m, const kvcache_spec *spec,
                     const char *out, const h5_attrs *base, qb_error *err) {
    size_t L = (size_t)m->cfg.n_layers, kv = m->kv_dim, rows = c->k.rows;
    h5_writer w;
    matrix part = {0}, toks = {0};
    int s = h5_writer_open(&w, out, err);
    if (s)
        return s;
    char desc[640];
    for (int which = 0; which < 2 && !s; which++) {
        const matrix *all = which ? &c->v : &c->k;
        const char *kvname = which ? "v" : "k";
        snprintf(desc, sizeof desc,
                 "%s: %s of a LLaMA-2-architecture model's forward pass (%zu layers, kv_dim %zu, "
                 "columns layer-major in /all): %zu sequences x %zu tokens sampled from the model "
                 "at temperature %g from BOS, seed %llu",
                 base->description, which ? "values" : "keys after RoPE", L, kv, spec->sequences,
                 spec->tokens, spec->temperature, (unsigned long long)spec->seed);
        h5_attrs a = {.source = base->source,
                      .license = base->license,
                      .description = desc,
                      .source_bits = 32};
        char name[64];
        snprintf(name, sizeof name, "/%s/all", kvname);
        s = h5_writer_put(&w, name, all, &a, err);
        for (size_t l = 0; l < L && !s; l++) {
            if ((s = matrix_alloc(&part, rows, kv, err)))
                break;
            for (size_t r = 0; r < rows; r++)
                memcpy(matrix_row(&part, r), matrix_row(all, r) + l * kv, kv * sizeof(float));
            snprintf(name, sizeof name, "/%s/layer_%zu", kvname, l);
            s = h5_writer_put(&w, name, &part, &a, err);
            matrix_free(&part);
        }
    }
    if (!s && !(s = matrix_alloc(&toks, spec->sequences, spec->tokens, err))) {
        for (size_t i = 0; i < rows; i++)
            toks.data[i] = (float)c->token_ids[i];
        h5_attrs a = {.source = base->source,
                      .license = base->license,
                      .description = "token ids of the sampled sequences (BOS = 1 first)",
                      .source_bits = 32};
        s = h5_writer_put(&w, "/tokens", &toks, &a, err);
        matrix_free(&toks);
    }
    char stat[64];
    snprintf(stat, sizeof stat, "%.6f", c->mean_log_prob);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "mean_log_prob", stat, err);
    snprintf(stat, sizeof stat, "%.6f", c->mean_entropy);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "mean_entropy", stat, err);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "source", base->source, err);
    if (!s)
        s = h5_writer_string_attr(&w, "/", "license", base->license, err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}
