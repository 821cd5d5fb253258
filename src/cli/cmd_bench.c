/* cmd_bench.c - `qetbench bench`: micro-benchmarks of the hot loops against the machine's limits
 * (memcpy bandwidth, sgemm GFLOP/s) in the same run. Measures; never asserts. */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kmeans.h"
#include "metrics.h"
#include "qet.h"
#include "synthetic.h"

static const char usage[] =
    "usage: qetbench bench reorder|assign [--n N] [--d D] [--levels L] [--k K] [--dim S]\n"
    "                      [--repeat R] [--threads T]\n"
    "  reorder  QET reorder and inverse of an N x D matrix (default 100000 x 128, l = 1..L with\n"
    "           L = 4) against memcpy of the same matrix: GB/s of matrix per pass, median of R\n"
    "  assign   k-means assignment of N rows of S dims to K centroids (default 4096 x 16, k 256)\n"
    "           against one cblas_sgemm of the same shape: GFLOP/s (2*N*K*S per pass)\n";

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int bench_reorder(size_t n, size_t d, unsigned levels, int repeat, qb_error *err) {
    matrix x, y, z;
    int s = synthetic_gaussian(&x, n, d, 0, 1, 1, err);
    if (s)
        return s;
    if ((s = matrix_alloc(&y, n, d, err)) || (s = matrix_alloc(&z, n, d, err)))
        return s;
    uint8_t *map = calloc(qet_imap_bytes(n, d, levels) + 1, 1);
    double *tc = malloc(repeat * sizeof *tc), *tr = malloc(repeat * sizeof *tr),
           *ti = malloc(repeat * sizeof *ti);
    if (!map || !tc || !tr || !ti)
        return qb_oom(err);
    double gb = (double)(n * d * sizeof(float)) / 1e9;
    printf("%-8s %6s %12s %12s %12s %10s\n", "what", "levels", "seconds", "GB/s", "memcpy GB/s",
           "ratio");
    for (unsigned l = 1; l <= levels; l++) {
        if (qet_check_levels(d, l, err))
            break;
        for (int r = 0; r < repeat; r++) {
            double t0 = metrics_now();
            memcpy(y.data, x.data, n * d * sizeof(float));
            double t1 = metrics_now();
            if ((s = qet_reorder(x.data, n, d, l, y.data, map, err)))
                goto done;
            double t2 = metrics_now();
            if ((s = qet_inverse(y.data, n, d, l, map, z.data, err)))
                goto done;
            double t3 = metrics_now();
            tc[r] = t1 - t0;
            tr[r] = t2 - t1;
            ti[r] = t3 - t2;
        }
        if (memcmp(z.data, x.data, n * d * sizeof(float))) {
            s = qb_internal(err, "reorder + inverse is not the identity");
            goto done;
        }
        double c = median(tc, repeat), a = median(tr, repeat), b = median(ti, repeat);
        printf("%-8s %6u %12.5f %12.2f %12.2f %10.2f\n", "reorder", l, a, gb / a, gb / c, c / a);
        printf("%-8s %6u %12.5f %12.2f %12.2f %10.2f\n", "inverse", l, b, gb / b, gb / c, c / b);
    }
done:
    free(map);
    free(tc);
    free(tr);
    free(ti);
    matrix_free(&x);
    matrix_free(&y);
    matrix_free(&z);
    return s;
}

static int bench_assign(size_t n, size_t k, size_t dim, int repeat, qb_error *err) {
    matrix x, c;
    int s = synthetic_gaussian(&x, n, dim, 0, 1, 1, err);
    if (!s)
        s = synthetic_gaussian(&c, k, dim, 0, 1, 2, err);
    if (s)
        return s;
    float *scores = malloc(n * k * sizeof *scores);
    uint32_t *codes = malloc(n * sizeof *codes);
    double *ta = malloc(repeat * sizeof *ta), *tg = malloc(repeat * sizeof *tg);
    if (!scores || !codes || !ta || !tg)
        return qb_oom(err);
    for (int r = 0; r < repeat; r++) {
        double t0 = metrics_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)dim, -2.0f,
                    x.data, (int)dim, c.data, (int)dim, 0.0f, scores, (int)k);
        double t1 = metrics_now();
        s = kmeans_assign(x.data, n, dim, dim, c.data, k, codes, NULL, err);
        double t2 = metrics_now();
        if (s)
            return s;
        tg[r] = t1 - t0;
        ta[r] = t2 - t1;
    }
    double flop = 2.0 * (double)n * (double)k * (double)dim, g = median(tg, repeat),
           a = median(ta, repeat);
    printf("%-10s %8s %8s %6s %12s %12s %8s\n", "what", "n", "k", "dim", "seconds", "GFLOP/s",
           "ratio");
    printf("%-10s %8zu %8zu %6zu %12.5f %12.2f %8.2f\n", "sgemm", n, k, dim, g, flop / g / 1e9,
           1.0);
    printf("%-10s %8zu %8zu %6zu %12.5f %12.2f %8.2f\n", "assign", n, k, dim, a, flop / a / 1e9,
           g / a);
    free(scores);
    free(codes);
    free(ta);
    free(tg);
    matrix_free(&x);
    matrix_free(&c);
    return QB_OK;
}

int cmd_bench(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"n", required_argument, 0, 'n'},
                                         {"d", required_argument, 0, 'd'},
                                         {"levels", required_argument, 0, 'l'},
                                         {"k", required_argument, 0, 'k'},
                                         {"dim", required_argument, 0, 's'},
                                         {"repeat", required_argument, 0, 'r'},
                                         {"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return argc < 2 ? qb_fail(err, "bench needs a kind: reorder or assign") : QB_OK;
    }
    const char *kind = argv[1];
    size_t n = 0, d = 128, l = 4, k = 256, dim = 16, repeat = 5;
    int c, s = QB_OK;
    optind = 2;
    opterr = 0;
    while (!s && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            s = cli_size("--n", optarg, &n, err);
            break;
        case 'd':
            s = cli_size("--d", optarg, &d, err);
            break;
        case 'l':
            s = cli_size("--levels", optarg, &l, err);
            break;
        case 'k':
            s = cli_size("--k", optarg, &k, err);
            break;
        case 's':
            s = cli_size("--dim", optarg, &dim, err);
            break;
        case 'r':
            s = cli_size("--repeat", optarg, &repeat, err);
            break;
        case 't':
            s = cli_threads(optarg, err);
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("bench", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (repeat < 1 || repeat > 1000)
        return qb_fail(err, "--repeat must be in 1..1000");
    if (!strcmp(kind, "reorder"))
        return bench_reorder(n ? n : 100000, d, (unsigned)l, (int)repeat, err);
    if (!strcmp(kind, "assign"))
        return bench_assign(n ? n : 4096, k, dim, (int)repeat, err);
    return qb_fail(err, "bench: unknown kind '%s' (reorder or assign)", kind);
}
