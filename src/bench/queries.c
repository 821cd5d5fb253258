/* queries.c - reads the queries of a recall measurement and the truth they are scored against. */
#include "queries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h5io.h"

/* Queries whose file neighbours are checked against the exact search. */
enum { CHECKED_QUERIES = 20 };

int queries_read(const char *spec, queries_set *q, qb_error *err) {
    memset(q, 0, sizeof *q);
    char file[1024], path[256] = "/test";
    const char *colon = strstr(spec, ":/");
    size_t flen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (flen >= sizeof file || (colon && strlen(colon + 1) >= sizeof path))
        return qb_fail(err, "queries: name too long: %.200s", spec);
    memcpy(file, spec, flen);
    file[flen] = 0;
    if (colon)
        snprintf(path, sizeof path, "%s", colon + 1);
    snprintf(q->spec, sizeof q->spec, "%s:%s", file, path);
    char distance[64];
    int s = h5_read_string_attr(file, "/", "distance", distance, sizeof distance, err);
    if (!s && distance[0] && strcasecmp(distance, "euclidean") && strcasecmp(distance, "l2") &&
        strcasecmp(distance, "angular") && strcasecmp(distance, "cosine"))
        s = qb_fail(err, "'%s' declares distance '%s'; recall measures euclidean (l2) or angular",
                    file, distance);
    q->angular = !strcasecmp(distance, "angular") || !strcasecmp(distance, "cosine");
    if (!s)
        s = h5_read_matrix(q->spec, &q->queries, NULL, err);
    if (!s && !q->queries.rows)
        s = qb_fail(err, "queries %s hold no rows", q->spec);
    /* ann-benchmarks' layout: /train, /test, /neighbors, /distances */
    char nb[1400];
    char *slash = strrchr(path, '/');
    snprintf(nb, sizeof nb, "%.*s/neighbors", (int)(slash - path), path);
    int has = s ? 0 : h5_has_object(file, nb, err);
    if (has < 0)
        s = QB_EINPUT;
    if (!s && has) {
        char nspec[2500];
        snprintf(nspec, sizeof nspec, "%s:%s", file, nb);
        s = h5_read_matrix(nspec, &q->neighbors, NULL, err);
        if (!s && q->neighbors.rows != q->queries.rows)
            s = qb_fail(err, "%s has %zu rows but the queries %zu", nspec, q->neighbors.rows,
                        q->queries.rows);
    }
    if (!s && q->angular)
        recall_normalise(&q->queries);
    if (s)
        queries_free(q);
    return s;
}

void queries_free(queries_set *q) {
    matrix_free(&q->queries);
    matrix_free(&q->neighbors);
}

/* Neighbour j of query qi as a row of the database: an error naming it unless it is one. */
static int neighbor_row(const queries_set *q, size_t qi, size_t j, size_t rows, size_t *row,
                        qb_error *err) {
    double v = q->neighbors.data[qi * q->neighbors.cols + j];
    if (!(v >= 0 && v < (double)rows && v == floor(v)))
        return qb_fail(err, "%s: the neighbours of query %zu name row %g of %zu", q->spec, qi, v,
                       rows);
    *row = (size_t)v;
    return QB_OK;
}

/* The file's neighbours against the exact search, on CHECKED_QUERIES queries spread over the
 * set: each position's distance must agree (ties may order rows differently). */
static int check_neighbors(const queries_set *q, const matrix *base, size_t k, qb_error *err) {
    size_t nq = q->queries.rows, ns = nq < CHECKED_QUERIES ? nq : CHECKED_QUERIES;
    matrix sample = {0};
    uint32_t *idx = malloc(ns * k * sizeof *idx);
    double *dist = malloc(ns * k * sizeof *dist);
    int s = idx && dist ? matrix_alloc(&sample, ns, base->cols, err) : qb_oom(err);
    for (size_t i = 0; !s && i < ns; i++)
        memcpy(matrix_row(&sample, i), matrix_row(&q->queries, i * nq / ns),
               base->cols * sizeof(float));
    if (!s)
        s = recall_search(base, &sample, k, idx, dist, err);
    for (size_t i = 0; !s && i < ns; i++) {
        size_t qi = i * nq / ns;
        const float *qv = matrix_row(&q->queries, qi);
        for (size_t j = 0; !s && j < k; j++) {
            size_t row = 0;
            if ((s = neighbor_row(q, qi, j, base->rows, &row, err)))
                break;
            const float *x = matrix_row(base, row);
            double d = 0, qn = 0, xn = 0;
            for (size_t t = 0; t < base->cols; t++) {
                double e = (double)qv[t] - (double)x[t];
                d += e * e;
                qn += (double)qv[t] * qv[t];
                xn += (double)x[t] * x[t];
            }
            double want = dist[i * k + j];
            if (fabs(d - want) > 1e-3 * want + 1e-6 * (qn + xn))
                s = qb_fail(err,
                            "%s: the file's neighbours disagree with the exact search: query %zu, "
                            "neighbour %zu is row %zu at squared distance %.6g, the exact search "
                            "finds %.6g there",
                            q->spec, qi, j + 1, row, d, want);
        }
    }
    matrix_free(&sample);
    free(idx);
    free(dist);
    return s;
}

int queries_truth(const queries_set *q, const matrix *base, uint32_t **truth, size_t *k,
                  qb_error *err) {
    *truth = NULL;
    *k = base->rows < RECALL_TRUTH ? base->rows : RECALL_TRUTH;
    size_t nq = q->queries.rows;
    if (q->queries.cols != base->cols)
        return qb_fail(err, "the queries %s have %zu columns but the data %zu", q->spec,
                       q->queries.cols, base->cols);
    if (!base->rows)
        return qb_fail(err, "recall needs a database with rows");
    if (q->neighbors.rows && q->neighbors.cols < *k)
        return qb_fail(err, "%s: its neighbours give %zu per query; recall needs %zu", q->spec,
                       q->neighbors.cols, *k);
    uint32_t *t = malloc(nq * *k * sizeof *t);
    if (!t)
        return qb_oom(err);
    int s;
    if (q->neighbors.rows) {
        size_t kc = q->neighbors.cols < RECALL_DEPTH ? q->neighbors.cols : RECALL_DEPTH;
        s = check_neighbors(q, base, kc < base->rows ? kc : base->rows, err);
        for (size_t i = 0; !s && i < nq; i++)
            for (size_t j = 0; !s && j < *k; j++) {
                size_t row = 0;
                if (!(s = neighbor_row(q, i, j, base->rows, &row, err)))
                    t[i * *k + j] = (uint32_t)row;
            }
    } else {
        s = recall_search(base, &q->queries, *k, t, NULL, err);
    }
    if (s)
        free(t);
    else
        *truth = t;
    return s;
}

int queries_recall(const queries_set *q, const uint32_t *truth, size_t k, const matrix *recon,
                   recall_metrics *m, qb_error *err) {
    size_t nq = q->queries.rows, depth = recon->rows < RECALL_DEPTH ? recon->rows : RECALL_DEPTH;
    uint32_t *found = malloc(nq * depth * sizeof *found + 1);
    if (!found)
        return qb_oom(err);
    int s = recall_search(recon, &q->queries, depth, found, NULL, err);
    if (!s)
        *m = recall_score(truth, k, found, depth, nq);
    free(found);
    return s;
}
