/* cmd_quantize.c - `qetbench quantize`: one method on one matrix, every stored bit reported. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "cli.h"
#include "h5io.h"
#include "qet.h"
#include "synthetic.h"

static const char usage[] =
    "usage: qetbench quantize (--data FILE.h5[:/path] | --synthetic N,D) --method METHOD\n"
    "                         (--ratio R | --ks K | --bits B) [options]\n"
    "  --data FILE[:/path]    HDF5 matrix (default dataset /matrix), any float or int type\n"
    "  --synthetic N,D        the paper's synthetic matrix generated from --seed\n"
    "  --method M             rtn, pq, opq, lopq, qet (see qetbench --help for those built in)\n"
    "  --ratio R              compression ratio: the solver picks the largest k_s (or RTN bits)\n"
    "                         whose stored bits fit original_bits / R; infeasible is an error\n"
    "  --ks K | --bits B      set k_s (vector methods) or RTN bits directly\n"
    "  --subspaces M          m subspaces, must divide d (default 8)\n"
    "  --seed S               seed of the data and the method's streams (default 1)\n"
    "  --kmeans-iters I       Lloyd iterations (default 25)\n"
    "  --kmeans-init I        kmeans++ (default) or random\n"
    "  --max-points-per-centroid P   k-means trains on at most k*P rows (default 256, 0 = all)\n"
    "  --rtn-granularity G    tensor (default), row or group; --rtn-group G columns (default 128)\n"
"  --rtn-clip C           minmax (default) or mse: the range minimising the squared error\n"
    "  --iterations L         QET levels l (default 1 for qet)\n"
    "  --qet-layout L         blocks (default, the paper's) or inplace (a group's values side by\n"
    "                         side, so a subspace holds whole groups)\n"
    "  --qet-pairing P        adjacent (default, the paper's) or strided (j with j + w/2 in a\n"
    "                         window of --pairing-window W columns, default the whole row)\n"
    "  --residual SPEC        QET residual stages, e.g. 'qet:3:0.7,pq:0.3' (see README)\n"
    "  --preset P             qet presets: basic (one stage, float codebooks) or authors\n"
    "                         (l = 3 then a PQ stage, 70% / 30%, 10-bit codebooks)\n"
    "  --codebook-bits B      CQO: codebook entries stored at B bits (default 32 = floats)\n"
    "  --accounting A         full (default) or free-imap (QET indicator maps not charged)\n"
    "  --opq-iters N, --opq-init identity|random|eigen, --lopq-cells V   OPQ / LOPQ options\n"
    "  --source-bits B        bits per original element (default: the dataset's attribute or 32)\n"
    "  --threads T            OpenMP threads (results are identical for any T)\n"
    "  --json                 print one JSON object on one line\n"
    "  --save-reconstruction OUT.h5   write the dequantized matrix\n";

enum {
    O_DATA = 256, O_SYN, O_METHOD, O_RATIO, O_KS, O_BITS, O_M, O_SEED, O_KITERS, O_KINIT, O_MPPC,
    O_RGRAN, O_RGROUP, O_ITER, O_RESID, O_CBITS, O_ACC, O_OPQI, O_OPQINIT, O_CELLS, O_SBITS,
    O_THREADS, O_JSON, O_SAVE, O_HELP, O_PRESET, O_QLAYOUT, O_QPAIR, O_QWIN, O_RCLIP
};

static int parse(int argc, char **argv, quant_params *p, const char **data, size_t *syn_n,
                 size_t *syn_d, int *json, const char **save, int *help, qb_error *err) {
    static const struct option opts[] = {
        {"data", required_argument, 0, O_DATA}, {"synthetic", required_argument, 0, O_SYN},
        {"method", required_argument, 0, O_METHOD}, {"ratio", required_argument, 0, O_RATIO},
        {"ks", required_argument, 0, O_KS}, {"bits", required_argument, 0, O_BITS},
        {"subspaces", required_argument, 0, O_M}, {"seed", required_argument, 0, O_SEED},
        {"kmeans-iters", required_argument, 0, O_KITERS},
        {"kmeans-init", required_argument, 0, O_KINIT},
        {"max-points-per-centroid", required_argument, 0, O_MPPC},
        {"rtn-granularity", required_argument, 0, O_RGRAN},
        {"rtn-group", required_argument, 0, O_RGROUP},
        {"iterations", required_argument, 0, O_ITER}, {"residual", required_argument, 0, O_RESID},
        {"codebook-bits", required_argument, 0, O_CBITS},
        {"accounting", required_argument, 0, O_ACC}, {"opq-iters", required_argument, 0, O_OPQI},
        {"opq-init", required_argument, 0, O_OPQINIT},
        {"lopq-cells", required_argument, 0, O_CELLS},
        {"source-bits", required_argument, 0, O_SBITS},
        {"threads", required_argument, 0, O_THREADS}, {"json", no_argument, 0, O_JSON},
        {"save-reconstruction", required_argument, 0, O_SAVE},
        {"preset", required_argument, 0, O_PRESET},
        {"qet-layout", required_argument, 0, O_QLAYOUT},
        {"rtn-clip", required_argument, 0, O_RCLIP},
        {"qet-pairing", required_argument, 0, O_QPAIR},
        {"pairing-window", required_argument, 0, O_QWIN}, {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    int c, s = QB_OK;
    uint64_t u;
    size_t z;
    optind = 1;
    opterr = 0; /* we report unknown options ourselves, on one line */
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DATA: *data = optarg; break;
        case O_SYN: s = cli_shape("--synthetic", optarg, syn_n, syn_d, err); break;
        case O_METHOD:
            if (strlen(optarg) >= sizeof p->method)
                return qb_fail(err, "unknown method '%s'", optarg);
            strcpy(p->method, optarg);
            break;
        case O_RATIO:
            s = cli_double("--ratio", optarg, &p->ratio, err);
            if (!s && !(p->ratio > 0))
                s = qb_fail(err, "--ratio must be positive");
            break;
        case O_KS:
            s = cli_u64("--ks", optarg, &p->ks, err);
            if (!s && p->ks == 0)
                s = qb_fail(err, "--ks must be at least 1");
            break;
        case O_BITS:
            s = cli_u64("--bits", optarg, &u, err);
            if (!s && (u < 1 || u > 24))
                s = qb_fail(err, "--bits must be in 1..24");
            p->rtn_bits = (unsigned)u;
            break;
        case O_M: s = cli_size("--subspaces", optarg, &p->subspaces, err); break;
        case O_SEED: s = cli_u64("--seed", optarg, &p->seed, err); break;
        case O_KITERS:
            s = cli_size("--kmeans-iters", optarg, &z, err);
            if (!s && (z < 1 || z > 100000))
                s = qb_fail(err, "--kmeans-iters must be in 1..100000");
            p->kmeans.iters = (int)z;
            break;
        case O_KINIT:
            if (kmeans_init_parse(optarg, &p->kmeans.init))
                s = qb_fail(err, "--kmeans-init must be kmeans++ or random (got '%s')", optarg);
            break;
        case O_MPPC:
            s = cli_size("--max-points-per-centroid", optarg, &z, err);
            p->kmeans.max_points_per_centroid = (int)z;
            break;
        case O_RGRAN:
            if (!strcmp(optarg, "tensor"))
                p->rtn_granularity = RTN_PER_TENSOR;
            else if (!strcmp(optarg, "row"))
                p->rtn_granularity = RTN_PER_ROW;
            else if (!strcmp(optarg, "group"))
                p->rtn_granularity = RTN_PER_GROUP;
            else
                s = qb_fail(err, "--rtn-granularity must be tensor, row or group");
            break;
        case O_RGROUP: s = cli_size("--rtn-group", optarg, &p->rtn_group, err); break;
        case O_ITER:
            s = cli_u64("--iterations", optarg, &u, err);
            if (!s && u > 30)
                s = qb_fail(err, "--iterations must be in 0..30");
            p->iterations = (unsigned)u;
            break;
        case O_RESID:
            if (strlen(optarg) >= sizeof p->residual)
                return qb_fail(err, "--residual spec too long");
            strcpy(p->residual, optarg);
            break;
        case O_CBITS:
            s = cli_u64("--codebook-bits", optarg, &u, err);
            if (!s && (u < 1 || u > 32))
                s = qb_fail(err, "--codebook-bits must be in 1..32 (got %s)", optarg);
            p->codebook_bits = (unsigned)u;
            break;
        case O_ACC:
            if (accounting_parse(optarg, &p->accounting))
                s = qb_fail(err, "--accounting must be full or free-imap (got '%s')", optarg);
            break;
        case O_OPQI:
            s = cli_size("--opq-iters", optarg, &z, err);
            p->opq_iters = (int)z;
            break;
        case O_OPQINIT:
            if (!strcmp(optarg, "identity"))
                p->opq_init_random = 0;
            else if (!strcmp(optarg, "random"))
                p->opq_init_random = 1;
            else if (!strcmp(optarg, "eigen"))
                p->opq_init_random = 2;
            else
                s = qb_fail(err, "--opq-init must be identity, random or eigen");
            break;
        case O_CELLS: s = cli_size("--lopq-cells", optarg, &p->lopq_cells, err); break;
        case O_SBITS:
            s = cli_u64("--source-bits", optarg, &u, err);
            if (!s && (u < 1 || u > 64))
                s = qb_fail(err, "--source-bits must be in 1..64");
            p->source_bits = (unsigned)u;
            break;
        case O_THREADS: s = cli_threads(optarg, err); break;
        case O_JSON: *json = 1; break;
        case O_RCLIP:
            if (!strcmp(optarg, "minmax"))
                p->rtn_clip = RTN_CLIP_MINMAX;
            else if (!strcmp(optarg, "mse"))
                p->rtn_clip = RTN_CLIP_MSE;
            else
                s = qb_fail(err, "--rtn-clip must be minmax or mse (got '%s')", optarg);
            break;
        case O_QLAYOUT:
            if (qet_layout_parse(optarg, &p->qet_layout))
                s = qb_fail(err, "--qet-layout must be blocks or inplace (got '%s')", optarg);
            break;
        case O_QPAIR:
            if (qet_pairing_parse(optarg, &p->qet_pairing))
                s = qb_fail(err, "--qet-pairing must be adjacent or strided (got '%s')", optarg);
            break;
        case O_QWIN:
            s = cli_size("--pairing-window", optarg, &p->pairing_window, err);
            if (!s && (p->pairing_window < 2 || p->pairing_window % 2))
                s = qb_fail(err, "--pairing-window must be even and at least 2");
            break;
        case O_PRESET: s = qet_apply_preset(p, optarg, err); break;
        case O_SAVE: *save = optarg; break;
        case O_HELP: *help = 1; return QB_OK;
        default: return cli_bad_option("quantize", argc, argv, err);
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
}

int cmd_quantize(int argc, char **argv, qb_error *err) {
    quant_params p = quant_params_defaults();
    p.seed = 1;
    p.source_bits = 0; /* 0: from the dataset */
    const char *data = NULL, *save = NULL;
    size_t syn_n = 0, syn_d = 0;
    int json = 0, help = 0;
    int s = parse(argc, argv, &p, &data, &syn_n, &syn_d, &json, &save, &help, err);
    if (s)
        return s;
    if (help) {
        fputs(usage, stdout);
        return QB_OK;
    }
    if (!!data == !!syn_n)
        return qb_fail(err, "quantize needs exactly one of --data or --synthetic");
    if (!quantizer_find(p.method))
        return qb_fail(err, "unknown method '%s' (built in: %s)", p.method, quantizer_names());
    if (p.ratio <= 0 && !p.ks && !p.rtn_bits)
        return qb_fail(err, "quantize needs --ratio, --ks or --bits");

    matrix x;
    unsigned data_bits = 32;
    if (data) {
        s = h5_read_matrix(data, &x, &data_bits, err);
    } else {
        synthetic_spec spec = synthetic_paper();
        s = synthetic_generate(&x, syn_n, syn_d, &spec, p.seed, err);
    }
    if (s)
        return s;
    if (!p.source_bits)
        p.source_bits = data_bits;

    cell_result r;
    matrix recon = {0};
    s = cell_run(&p, &x, &r, save ? &recon : NULL, err);
    if (!s && save) {
        h5_attrs attrs = {.source = "qetbench quantize --save-reconstruction",
                          .description = "dequantized matrix", .source_bits = p.source_bits};
        s = h5_write_matrix(save, H5_DEFAULT_DATASET, &recon, &attrs, err);
    }
    if (!s) {
        if (json)
            cell_result_json(stdout, &r);
        else
            print_human(&r);
    }
    matrix_free(&recon);
    matrix_free(&x);
    return s;
}
