/* cmd_quantize.c - `qetbench quantize`: one method on one matrix, every stored bit reported. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cli.h"
#include "h5io.h"
#include "options.h"
#include "queries.h"
#include "synthetic.h"

static const char usage[] =
    "usage: qetbench quantize (--data FILE.h5[:/path] | --synthetic N,D) --method METHOD\n"
    "                         (--ratio R | --ks K | --bits B) [options]\n"
    "  --data FILE[:/path]    HDF5 matrix (default dataset /matrix), any float or int type\n"
    "  --synthetic N,D        the paper's synthetic matrix generated from --seed\n"
    "  --method M             a method built in (qetbench --help lists them)\n"
    "  --preset P             a method's named configuration, applied first: the options given\n"
    "                         beside it override it, whatever their order\n"
    "  --threads T            OpenMP threads (results are identical for any T)\n"
    "  --json                 print one JSON object on one line\n"
    "  --save-reconstruction OUT.h5   write the dequantized matrix\n"
    "  --queries FILE[:/path] recall of an exhaustive search over the dequantized rows for these\n"
    "                         queries (default /test; /neighbors beside them is checked and used;\n"
    "                         a root attribute distance = angular normalises rows and queries)\n"
    "options (each applies to the methods that read it; see README):\n";

enum {
    O_DATA = 1000,
    O_SYN,
    O_METHOD,
    O_PRESET,
    O_THREADS,
    O_JSON,
    O_SAVE,
    O_QUERIES,
    O_HELP,
    O_TABLE = 2000
};

typedef struct {
    const char *data, *save, *queries;
    size_t syn_n, syn_d;
    int json, help;
    cli_method_args m;
} quantize_args;

/* The CLI-only flags; the option table's follow them (cli_method_flags). */
static const struct option fixed[] = {{"data", required_argument, 0, O_DATA},
                                      {"synthetic", required_argument, 0, O_SYN},
                                      {"method", required_argument, 0, O_METHOD},
                                      {"preset", required_argument, 0, O_PRESET},
                                      {"threads", required_argument, 0, O_THREADS},
                                      {"json", no_argument, 0, O_JSON},
                                      {"save-reconstruction", required_argument, 0, O_SAVE},
                                      {"queries", required_argument, 0, O_QUERIES},
                                      {"help", no_argument, 0, O_HELP}};

static int parse(int argc, char **argv, quantize_args *a, qb_error *err) {
    struct option opts[96];
    cli_method_flags(opts, fixed, sizeof fixed / sizeof *fixed, &a->m, O_TABLE);
    int c, s = QB_OK, took;
    optind = 1;
    opterr = 0; /* we report unknown options ourselves, on one line */
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((s = cli_method_take(&a->m, "quantize", c, O_TABLE, optarg, &took, err)) || took)
            continue;
        switch (c) {
        case O_DATA:
            a->data = optarg;
            break;
        case O_SYN:
            s = cli_shape("--synthetic", optarg, &a->syn_n, &a->syn_d, err);
            break;
        case O_METHOD:
            a->m.method = optarg;
            break;
        case O_PRESET:
            a->m.preset = optarg;
            break;
        case O_THREADS:
            s = cli_threads(optarg, err);
            break;
        case O_JSON:
            a->json = 1;
            break;
        case O_SAVE:
            a->save = optarg;
            break;
        case O_QUERIES:
            a->queries = optarg;
            break;
        case O_HELP:
            a->help = 1;
            return QB_OK;
        default:
            return cli_bad_option("quantize", argc, argv, err);
        }
    }
    if (!s && optind < argc)
        s = qb_fail(err, "quantize: unexpected argument '%s'", argv[optind]);
    return s;
}

static void print_human(const cell_result *r) {
    const storage_bits *b = &r->bits;
    const char *tag = r->params.accounting == ACCOUNTING_FREE_IMAP
                          ? "  [free-imap: indicator maps NOT charged]"
                          : "";
    printf("%s on %zu x %zu: ratio %.4f (target %g), MSE %.6g, MAE %.6g, MRE %.6g%s\n",
           r->params.method, r->n, r->d, r->ratio, r->params.ratio, r->error.mse, r->error.mae,
           r->error.mre, tag);
    printf("  bits: codes %llu, codebooks %llu, indicator_maps %llu, rotation %llu, coarse %llu, "
           "scales %llu, total %llu, charged %llu%s\n",
           (unsigned long long)b->codes, (unsigned long long)b->codebooks,
           (unsigned long long)b->indicator_maps, (unsigned long long)b->rotation,
           (unsigned long long)b->coarse, (unsigned long long)b->scales,
           (unsigned long long)storage_total(b), (unsigned long long)r->charged_bits, tag);
    printf("  quantize %.4f s, dequantize %.4f s%s\n", r->seconds_quantize, r->seconds_dequantize,
           tag);
    if (r->recall.queries)
        printf("  recall (%zu queries, %s): 1-recall@1 %.4f, @10 %.4f, @100 %.4f; recall@10 "
               "%.4f\n",
               r->recall.queries, r->angular ? "angular: unit rows" : "l2", r->recall.r1_at_1,
               r->recall.r1_at_10, r->recall.r1_at_100, r->recall.r10_at_10);
}

int cmd_quantize(int argc, char **argv, qb_error *err) {
    quantize_args a;
    memset(&a, 0, sizeof a);
    a.m.method = "pq";
    int s = parse(argc, argv, &a, err);
    if (s)
        return s;
    if (a.help) {
        cli_method_help(usage);
        return QB_OK;
    }
    if (!!a.data == !!a.syn_n)
        return qb_fail(err, "quantize needs exactly one of --data or --synthetic");
    quant_params p;
    if ((s = cli_method_resolve(&a.m, "quantize", &p, err)))
        return s;
    int explicit_source_bits = 0;
    for (size_t i = 0; i < a.m.n_given; i++)
        explicit_source_bits |= !strcmp(a.m.given[i].opt->name, "source_bits");

    matrix x;
    unsigned data_bits = 32;
    if (a.data) {
        s = h5_read_matrix(a.data, &x, &data_bits, err);
    } else {
        synthetic_spec spec = synthetic_paper();
        s = synthetic_generate(&x, a.syn_n, a.syn_d, &spec, p.seed, err);
    }
    if (s)
        return s;
    if (!explicit_source_bits)
        p.source_bits = data_bits;

    /* The queries and their truth first: a bad query file stops the run before any work. */
    queries_set qs = {0};
    uint32_t *truth = NULL;
    size_t truth_k = 0;
    if (a.queries) {
        s = queries_read(a.queries, &qs, err);
        if (!s && qs.angular)
            recall_normalise(&x);
        if (!s)
            s = queries_truth(&qs, &x, &truth, &truth_k, err);
    }
    cell_result r;
    matrix recon = {0};
    if (!s)
        s = cell_run(&p, &x, &r, a.save || a.queries ? &recon : NULL, err);
    if (!s && a.queries) {
        s = queries_recall(&qs, truth, truth_k, &recon, &r.recall, err);
        r.angular = qs.angular;
    }
    free(truth);
    queries_free(&qs);
    if (!s && a.save) {
        h5_attrs attrs = {.source = "qetbench quantize --save-reconstruction",
                          .description = "dequantized matrix",
                          .source_bits = p.source_bits};
        s = h5_write_matrix(a.save, H5_DEFAULT_DATASET, &recon, &attrs, err);
    }
    if (!s) {
        if (a.json)
            cell_result_json(stdout, &r);
        else
            print_human(&r);
    }
    matrix_free(&recon);
    matrix_free(&x);
    return s;
}
