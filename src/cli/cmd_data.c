/* cmd_data.c - `qetbench data`: converts real data (llama2.c and safetensors checkpoints, a KV
 * cache from the model's own samples, GIST of package images, vector files, word vectors) into
 * the harness's HDF5 layout, with the attributes that say what each matrix is. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "forward.h"
#include "fvecs.h"
#include "gist.h"
#include "h5io.h"
#include "idx.h"
#include "llama2c.h"
#include "recall.h"
#include "safetensors.h"
#include "wink.h"

static const char usage[] =
    "usage: qetbench data KIND INPUT -o FILE.h5 [options]\n"
    "  llama2c CKPT       every 2-D weight of a llama2.c checkpoint: /tok_embeddings,\n"
    "                     /layers/<i>/{wq,wk,wv,wo,w1,w2,w3}, /output when unshared\n"
    "  safetensors FILE   every 2-D F32/F16/BF16/F64 tensor, dots in names become groups\n"
    "  kvcache CKPT       keys (after RoPE) and values of every layer while the model samples\n"
    "                     its own text from BOS: /k/layer_<i>, /v/layer_<i> (tokens x kv_dim),\n"
    "                     /k/all, /v/all (tokens x layers*kv_dim), /tokens (sequences x tokens)\n"
    "                     --tokens T (256)  --sequences S (16)  --seed N (1)\n"
    "                     --temperature X (1; 0 = greedy)\n"
    "  gist IDX[.gz]      GIST descriptors (4 scales x 8 orientations x 4x4 grid = 512) of an\n"
    "                     unsigned-byte IDX image file, each image centred on a 32x32 canvas:\n"
    "                     /gist (n x 512) and /pixels (n x h*w)\n"
    "  vecs FILE          a .fvecs .ivecs .bvecs .fbin or .npy matrix as /matrix\n"
    "  wink JSON          word vectors in wink-embeddings JSON as /vectors (default 100000 rows)\n"
    "  ann FILE[:/path]   ann-benchmarks' layout of a matrix: --test N evenly spaced rows held\n"
    "                     out as /test (1000), the rest as /train, their exact nearest rows of\n"
    "                     /train as /neighbors (up to 100; row indices) and /distances, and the\n"
    "                     root attribute distance (--distance euclidean | angular)\n"
    "options: --max N (rows to keep; gist, vecs, wink)  --source TEXT  --license TEXT\n"
    "         --description TEXT (attributes; defaults name the input)\n"
    "A checkpoint with a SHA256SUMS file beside it is checked against it before anything is\n"
    "read. Output is written atomically: on any error no file is left.\n";

typedef struct {
    const char *kind, *input, *out, *source, *license, *description;
    size_t max_rows, tokens, sequences, test;
    const char *distance;
    uint64_t seed;
    double temperature;
    int max_given;
} data_opts;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_kvcache(const data_opts *o, qb_error *err) {
    llama2c_model m;
    int s = llama2c_load(o->input, &m, err);
    if (s)
        return s;
    kvcache_spec spec = {.tokens = o->tokens,
                         .sequences = o->sequences,
                         .seed = o->seed,
                         .temperature = o->temperature};
    kvcache c;
    if ((s = kvcache_generate(&m, &spec, &c, err))) {
        llama2c_free(&m);
        return s;
    }
    h5_attrs base = {.source = o->source ? o->source : o->input,
                     .license = o->license ? o->license : "unknown",
                     .description = o->description ? o->description : "KV cache"};
    s = kvcache_write_h5(&c, &m, &spec, o->out, &base, err);
    if (!s)
        printf("kvcache: %zu rows, %d layers x kv_dim %zu; mean log-prob of the sampled tokens "
               "%.4f nats (uniform %.4f), mean predictive entropy %.4f nats\n",
               c.k.rows, m.cfg.n_layers, m.kv_dim, c.mean_log_prob, -log((double)m.cfg.vocab_size),
               c.mean_entropy);
    kvcache_free(&c);
    llama2c_free(&m);
    return s;
}

/* Writes named matrices with one set of attributes each; NULL names end the list. The root takes
 * the first one's source and license, and `distance` when given (ann-benchmarks' layout). */
static int write_matrices(const char *out, const char *const *names, const matrix *const *ms,
                          const h5_attrs *attrs, const char *distance, qb_error *err) {
    h5_writer w;
    int s = h5_writer_open(&w, out, err);
    if (s)
        return s;
    for (size_t i = 0; !s && names[i]; i++)
        s = h5_writer_put(&w, names[i], ms[i], &attrs[i], err);
    if (!s && distance)
        s = h5_writer_string_attr(&w, "/", "distance", distance, err);
    if (!s && attrs[0].source)
        s = h5_writer_string_attr(&w, "/", "source", attrs[0].source, err);
    if (!s && attrs[0].license)
        s = h5_writer_string_attr(&w, "/", "license", attrs[0].license, err);
    if (s) {
        h5_writer_abort(&w);
        return s;
    }
    return h5_writer_commit(&w, err);
}

static int write_gist(const data_opts *o, qb_error *err) {
    matrix px, g;
    size_t dims[3];
    int s = idx_read(o->input, o->max_rows, &px, dims, err);
    if (s)
        return s;
    if (dims[1] > 32 || dims[2] > 32) {
        matrix_free(&px);
        return qb_fail(err, "'%s' holds %zu x %zu images; gist takes up to 32 x 32", o->input,
                       dims[1], dims[2]);
    }
    if ((s = gist_images(&px, dims[1], dims[2], 32, &g, err))) {
        matrix_free(&px);
        return s;
    }
    char dg[512], dp[512];
    snprintf(dg, sizeof dg,
             "%s: GIST (Oliva-Torralba, LMgist prefilter fc 4, Gabor 4 scales x 8 orientations, "
             "4x4 grid) of %zu %zux%zu images centred on 32x32",
             o->description ? o->description : "GIST descriptors", px.rows, dims[1], dims[2]);
    snprintf(dp, sizeof dp, "%s: raw pixels (%zu x %zu, row-major) of the same images",
             o->description ? o->description : "images", dims[1], dims[2]);
    const char *lic = o->license ? o->license : "unknown";
    const char *src = o->source ? o->source : o->input;
    const char *names[] = {"/gist", "/pixels", NULL};
    const matrix *ms[] = {&g, &px};
    h5_attrs a[] = {{src, lic, dg, 32}, {src, lic, dp, 8}};
    s = write_matrices(o->out, names, ms, a, NULL, err);
    if (!s)
        printf("gist: %zu images of %zu x %zu -> /gist %zu x %zu, /pixels %zu x %zu\n", px.rows,
               dims[1], dims[2], g.rows, g.cols, px.rows, px.cols);
    matrix_free(&px);
    matrix_free(&g);
    return s;
}

static int write_vecs(const data_opts *o, qb_error *err) {
    matrix m;
    unsigned bits;
    int s = fvecs_read(o->input, o->max_rows, &m, &bits, err);
    if (s)
        return s;
    char desc[512];
    snprintf(desc, sizeof desc, "%s (%zu x %zu)", o->description ? o->description : o->input,
             m.rows, m.cols);
    const char *names[] = {H5_DEFAULT_DATASET, NULL};
    const matrix *ms[] = {&m};
    h5_attrs a[] = {
        {o->source ? o->source : o->input, o->license ? o->license : "unknown", desc, bits}};
    s = write_matrices(o->out, names, ms, a, NULL, err);
    if (!s)
        printf("vecs: %zu x %zu (%u-bit source) -> %s\n", m.rows, m.cols, bits, o->out);
    matrix_free(&m);
    return s;
}

static int write_wink(const data_opts *o, qb_error *err) {
    matrix m;
    wink_info info;
    int s = wink_read(o->input, o->max_given ? o->max_rows : 100000, &m, &info, err);
    if (s)
        return s;
    char desc[512];
    snprintf(desc, sizeof desc,
             "%s: the first %zu of %zu word vectors (%zu-d), most frequent "
             "words first",
             o->description ? o->description : "word vectors", m.rows, info.size, m.cols);
    const char *names[] = {"/vectors", NULL};
    const matrix *ms[] = {&m};
    /* GloVe's text files print 5-6 significant digits; the float32 rows hold them exactly
     * enough, so the source precision is float32. */
    h5_attrs a[] = {
        {o->source ? o->source : o->input, o->license ? o->license : "unknown", desc, 32}};
    s = write_matrices(o->out, names, ms, a, NULL, err);
    if (!s)
        printf("wink: %zu x %zu of %zu words; largest |stored norm - computed norm| %.3g\n", m.rows,
               m.cols, info.size, info.max_norm_error);
    matrix_free(&m);
    return s;
}

/* The i-th of n_test rows held out of n, evenly spaced: floor((2i + 1) n / (2 n_test)) (n is
 * below 2^25 here, so the product fits). */
static size_t held_out(size_t i, size_t n, size_t n_test) {
    return (2 * i + 1) * n / (2 * n_test);
}

static int write_ann(const data_opts *o, qb_error *err) {
    int angular = !strcmp(o->distance, "angular");
    if (!angular && strcmp(o->distance, "euclidean"))
        return qb_fail(err, "--distance must be euclidean or angular (got '%s')", o->distance);
    matrix x, train = {0}, test = {0}, nb = {0}, dist = {0};
    unsigned bits = 32;
    int s = h5_read_matrix(o->input, &x, &bits, err);
    if (s)
        return s;
    size_t n = x.rows, nt = o->test, k = 0;
    if (nt < 1 || nt >= n)
        s = qb_fail(err, "--test %zu: the matrix has %zu rows (held out: 1..%zu)", nt, n, n - 1);
    else if (n - nt > (size_t)1 << 24)
        s = qb_fail(err, "%zu rows: /neighbors stores row indices as float32, exact to 2^24", n);
    if (!s)
        s = matrix_alloc(&train, n - nt, x.cols, err);
    if (!s)
        s = matrix_alloc(&test, nt, x.cols, err);
    for (size_t r = 0, i = 0; !s && r < n; r++) {
        int out = i < nt && held_out(i, n, nt) == r;
        memcpy(out ? matrix_row(&test, i) : matrix_row(&train, r - i), matrix_row(&x, r),
               x.cols * sizeof(float));
        i += out;
    }
    matrix_free(&x);
    k = train.rows < RECALL_DEPTH ? train.rows : RECALL_DEPTH;
    uint32_t *idx = s ? NULL : malloc(nt * k * sizeof *idx);
    double *d2 = s ? NULL : malloc(nt * k * sizeof *d2);
    if (!s && (!idx || !d2))
        s = qb_oom(err);
    if (!s)
        s = matrix_alloc(&nb, nt, k, err);
    if (!s)
        s = matrix_alloc(&dist, nt, k, err);
    if (!s) { /* angular: neighbours of the unit rows; the stored rows stay as they were */
        matrix tu = {0}, qu = {0};
        s = angular ? matrix_copy(&tu, &train, err) : QB_OK;
        if (!s && angular)
            s = matrix_copy(&qu, &test, err);
        if (!s && angular) {
            recall_normalise(&tu);
            recall_normalise(&qu);
        }
        if (!s)
            s = recall_search(angular ? &tu : &train, angular ? &qu : &test, k, idx, d2, err);
        matrix_free(&tu);
        matrix_free(&qu);
    }
    /* distances as ann-benchmarks stores them: L2, or 1 - cos (half the unit rows' squared L2) */
    for (size_t i = 0; !s && i < nt * k; i++) {
        nb.data[i] = (float)idx[i];
        dist.data[i] = (float)(angular ? d2[i] / 2 : sqrt(d2[i]));
    }
    free(idx);
    free(d2);
    char desc[4][600];
    snprintf(desc[0], sizeof desc[0], "%s: the %zu rows not held out as /test", o->input,
             train.rows);
    snprintf(desc[1], sizeof desc[1], "%s: %zu evenly spaced rows held out of /train", o->input,
             nt);
    snprintf(desc[2], sizeof desc[2],
             "the %zu nearest /train rows of each /test row (%s; ties "
             "by row index), as row indices",
             k, o->distance);
    snprintf(desc[3], sizeof desc[3], "their distances (%s)", angular ? "1 - cosine" : "L2");
    const char *names[] = {"/train", "/test", "/neighbors", "/distances", NULL};
    const matrix *ms[] = {&train, &test, &nb, &dist};
    const char *src = o->source ? o->source : o->input, *lic = o->license ? o->license : "unknown";
    h5_attrs a[] = {{src, lic, desc[0], bits},
                    {src, lic, desc[1], bits},
                    {"qetbench data ann", lic, desc[2], 0},
                    {"qetbench data ann", lic, desc[3], 0}};
    if (!s)
        s = write_matrices(o->out, names, ms, a, o->distance, err);
    if (!s)
        printf("ann: /train %zu x %zu, /test %zu, /neighbors %zu per query (%s) -> %s\n",
               train.rows, train.cols, nt, k, o->distance, o->out);
    matrix_free(&train);
    matrix_free(&test);
    matrix_free(&nb);
    matrix_free(&dist);
    return s;
}

int cmd_data(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"max", required_argument, 0, 'm'},
                                         {"tokens", required_argument, 0, 't'},
                                         {"sequences", required_argument, 0, 'S'},
                                         {"seed", required_argument, 0, 's'},
                                         {"temperature", required_argument, 0, 'T'},
                                         {"source", required_argument, 0, 'r'},
                                         {"license", required_argument, 0, 'l'},
                                         {"description", required_argument, 0, 'D'},
                                         {"test", required_argument, 0, 'q'},
                                         {"distance", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    data_opts o = {.tokens = 256,
                   .sequences = 16,
                   .seed = 1,
                   .temperature = 1.0,
                   .test = 1000,
                   .distance = "euclidean"};
    int c, s = QB_OK;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return QB_OK;
    }
    if (argc < 2 || argv[1][0] == '-')
        return qb_fail(err, "data needs a kind: llama2c, safetensors, kvcache, gist, vecs, "
                            "wink or ann (see qetbench data --help)");
    o.kind = argv[1];
    optind = 2;
    while (!s && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.out = optarg;
            break;
        case 'm':
            s = cli_size("--max", optarg, &o.max_rows, err), o.max_given = 1;
            break;
        case 't':
            s = cli_size("--tokens", optarg, &o.tokens, err);
            break;
        case 'S':
            s = cli_size("--sequences", optarg, &o.sequences, err);
            break;
        case 's':
            s = cli_u64("--seed", optarg, &o.seed, err);
            break;
        case 'T':
            s = cli_double("--temperature", optarg, &o.temperature, err);
            break;
        case 'r':
            o.source = optarg;
            break;
        case 'l':
            o.license = optarg;
            break;
        case 'D':
            o.description = optarg;
            break;
        case 'q':
            s = cli_size("--test", optarg, &o.test, err);
            break;
        case 'd':
            o.distance = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("data", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (optind != argc - 1)
        return qb_fail(err, "data %s needs exactly one input file (see qetbench data --help)",
                       o.kind);
    o.input = argv[optind];
    if (!o.out)
        return qb_fail(err, "data needs -o FILE.h5");
    if (o.max_given && !o.max_rows)
        return qb_fail(err, "--max must be positive");
    double t0 = now();
    if (!strcmp(o.kind, "llama2c")) {
        s = llama2c_to_h5(o.input, o.out, o.source, o.license, err);
    } else if (!strcmp(o.kind, "safetensors")) {
        s = safetensors_to_h5(o.input, o.out, o.source, o.license, err);
    } else if (!strcmp(o.kind, "kvcache")) {
        s = write_kvcache(&o, err);
    } else if (!strcmp(o.kind, "gist")) {
        s = write_gist(&o, err);
    } else if (!strcmp(o.kind, "vecs")) {
        s = write_vecs(&o, err);
    } else if (!strcmp(o.kind, "wink")) {
        s = write_wink(&o, err);
    } else if (!strcmp(o.kind, "ann")) {
        s = write_ann(&o, err);
    } else {
        return qb_fail(err,
                       "data: unknown kind '%s' (llama2c, safetensors, kvcache, gist, vecs, "
                       "wink, ann)",
                       o.kind);
    }
    if (!s)
        printf("wrote %s in %.2f s\n", o.out, now() - t0);
    return s;
}
