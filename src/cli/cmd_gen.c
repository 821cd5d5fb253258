/* cmd_gen.c - `qetbench gen`: write a generated matrix to HDF5. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "h5io.h"
#include "synthetic.h"

static const char usage[] =
    "usage: qetbench gen synthetic|gaussian|lowrank|ar1 --n N --d D [--seed S] -o FILE.h5\n"
    "  synthetic  the paper's data: normal(0.5, 0.16) truncated to [0, 1], one element in 10,000\n"
    "             replaced by a uniform outlier in [-100, 100]\n"
    "  gaussian   normal(--mean, --sd), default N(0, 1)\n"
    "  lowrank    Z W + --noise E (default 0.1): Gaussian Z (N x --rank, default 16) and E,\n"
    "             W (rank x D) of variance 1/rank; columns strongly correlated\n"
    "  ar1        rows are AR(1) sequences along the columns with coefficient --rho R (default\n"
    "             0.9): every element N(0, 1), columns i, j correlated rho^|i-j|\n"
    "The matrix is written as float32 dataset /matrix with source, license, description and\n"
    "source_bits attributes.\n";

int cmd_gen(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"n", required_argument, 0, 'n'},
                                         {"d", required_argument, 0, 'd'},
                                         {"seed", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"mean", required_argument, 0, 'm'},
                                         {"sd", required_argument, 0, 'v'},
                                         {"rank", required_argument, 0, 'r'},
                                         {"noise", required_argument, 0, 'e'},
                                         {"rho", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    size_t n = 0, d = 0;
    uint64_t seed = 1;
    double mean = 0, sd = 1, noise = 0.1, rho = 0.9;
    size_t rank = 16;
    const char *out = NULL;
    int c, s = QB_OK;
    optind = 1;
    opterr = 0; /* we report unknown options ourselves, on one line */
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return QB_OK;
    }
    if (argc < 2 || argv[1][0] == '-')
        return qb_fail(err,
                       "gen needs a kind: synthetic, gaussian, lowrank or ar1 (see qetbench gen "
                       "--help)");
    const char *kind = argv[1];
    optind = 2;
    while (!s && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            s = cli_size("--n", optarg, &n, err);
            break;
        case 'd':
            s = cli_size("--d", optarg, &d, err);
            break;
        case 's':
            s = cli_u64("--seed", optarg, &seed, err);
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            s = cli_double("--mean", optarg, &mean, err);
            break;
        case 'v':
            s = cli_double("--sd", optarg, &sd, err);
            break;
        case 'r':
            s = cli_size("--rank", optarg, &rank, err);
            break;
        case 'e':
            s = cli_double("--noise", optarg, &noise, err);
            break;
        case 'p':
            s = cli_double("--rho", optarg, &rho, err);
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("gen", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (optind < argc)
        return qb_fail(err, "gen: unexpected argument '%s'", argv[optind]);
    if (!n || !d || !out)
        return qb_fail(err, "gen needs --n, --d and -o (see qetbench gen --help)");

    matrix m;
    char desc[256];
    h5_attrs attrs = {.license = "generated (no licence needed)", .source_bits = 32};
    if (!strcmp(kind, "synthetic")) {
        synthetic_spec spec = synthetic_paper();
        s = synthetic_generate(&m, n, d, &spec, seed, err);
        attrs.source = "qetbench synthetic generator (paper section 5.1)";
        snprintf(desc, sizeof desc,
                 "truncated normal mean 0.5 sd 0.16 on [0,1], outliers 1e-4 uniform in [-100,100], "
                 "seed %llu",
                 (unsigned long long)seed);
    } else if (!strcmp(kind, "gaussian")) {
        if (!(sd > 0))
            return qb_fail(err, "--sd must be positive");
        s = synthetic_gaussian(&m, n, d, mean, sd, seed, err);
        attrs.source = "qetbench gaussian generator";
        snprintf(desc, sizeof desc, "normal mean %g sd %g, seed %llu", mean, sd,
                 (unsigned long long)seed);
    } else if (!strcmp(kind, "lowrank")) {
        s = synthetic_lowrank(&m, n, d, rank, noise, seed, err);
        attrs.source = "qetbench low-rank generator";
        snprintf(desc, sizeof desc, "Z W + %g E, rank %zu, seed %llu", noise, rank,
                 (unsigned long long)seed);
    } else if (!strcmp(kind, "ar1")) {
        s = synthetic_ar1(&m, n, d, rho, seed, err);
        attrs.source = "qetbench AR(1) generator";
        snprintf(desc, sizeof desc, "rows AR(1) along columns, rho %g, N(0,1) marginals, seed %llu",
                 rho, (unsigned long long)seed);
    } else {
        return qb_fail(err, "gen: unknown kind '%s' (synthetic, gaussian, lowrank or ar1)", kind);
    }
    if (s)
        return s;
    attrs.description = desc;
    s = h5_write_matrix(out, H5_DEFAULT_DATASET, &m, &attrs, err);
    matrix_free(&m);
    return s;
}
