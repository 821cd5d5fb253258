/* cmd_model.c - `qetbench model`: one method on a LLaMA model's layer weights or KV cache, and
 * what its error does to the next-token distribution (KL, perplexity, top-1 against fp32). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "cli.h"
#include "model_eval.h"
#include "options.h"

static const char usage[] =
    "usage: qetbench model --checkpoint FILE --target weights|kv --method METHOD\n"
    "                      (--ratio R | --ks K | --bits B) [options]\n"
    "                      (--eval-tokens FILE | --sequences S --tokens T --seed N) [--json]\n"
    "  --checkpoint FILE      llama2.c checkpoint (legacy format, e.g. datasets/stories260K.bin)\n"
    "                         or safetensors with Hugging Face's LLaMA names (model.layers.N.\n"
    "                         self_attn.q_proj.weight, ...), told apart by content\n"
    "  --heads N, --kv-heads N, --context N   safetensors: attention heads, key/value heads and\n"
    "                         context length, which the tensors' shapes do not give; default:\n"
    "                         num_attention_heads, num_key_value_heads, max_position_embeddings\n"
    "                         of a config.json beside the file\n"
    "  --target weights       every layer's wq wk wv wo w1 w2 w3 quantized as its own matrix\n"
    "                         (rows = output features) at the budget; embeddings, classifier and\n"
    "                         norms stay fp32\n"
    "  --target kv            weights fp32; each layer's keys (after RoPE) and values of the\n"
    "                         whole sequence quantized as one T x kv_dim matrix each, and\n"
    "                         attention reads them dequantized\n"
    "  --include-embeddings   weights: the embedding table too (a classifier sharing it with\n"
    "                         the embeddings, as in stories260K, is the same tensor)\n"
    "  --kv-block B           kv: quantize the cache in blocks of B tokens (default: whole)\n"
    "  --eval-tokens FILE     one sequence of token ids per line (whitespace-separated)\n"
    "  --sequences S --tokens T   otherwise S sequences of T tokens (default 8 x 128) sampled\n"
    "                         from the fp32 model at temperature 1 from BOS with --seed\n"
    "  --method M, --preset P, --threads T, --json   as for quantize\n"
    "prints ppl, ppl_fp32, kl_mean, kl_p99, top1, positions, and the quantized matrices' bits\n"
    "and MSE together (--json: the fields of quantize --json and these).\n"
    "options (each applies to the methods that read it; see README):\n";

enum {
    O_CHECKPOINT = 1000,
    O_HEADS,
    O_KV_HEADS,
    O_CONTEXT,
    O_TARGET,
    O_EMB,
    O_KV_BLOCK,
    O_EVAL,
    O_SEQUENCES,
    O_TOKENS,
    O_METHOD,
    O_PRESET,
    O_THREADS,
    O_JSON,
    O_HELP,
    O_TABLE = 2000
};

typedef struct {
    model_spec spec;
    int json, help, sampling; /* sampling: --sequences or --tokens given */
    cli_method_args m;
} model_args;

/* A positive int up to 2^20, as the checkpoint readers allow. */
static int hparam(const char *opt, const char *val, int *out, qb_error *err) {
    size_t v;
    int s = cli_size(opt, val, &v, err);
    if (!s && (v < 1 || v > (1u << 20)))
        s = qb_fail(err, "%s must be from 1 to %u (got %zu)", opt, 1u << 20, v);
    *out = s ? 0 : (int)v;
    return s;
}

static int parse(int argc, char **argv, model_args *a, qb_error *err) {
    static const struct option fixed[] = {{"checkpoint", required_argument, 0, O_CHECKPOINT},
                                          {"heads", required_argument, 0, O_HEADS},
                                          {"kv-heads", required_argument, 0, O_KV_HEADS},
                                          {"context", required_argument, 0, O_CONTEXT},
                                          {"target", required_argument, 0, O_TARGET},
                                          {"include-embeddings", no_argument, 0, O_EMB},
                                          {"kv-block", required_argument, 0, O_KV_BLOCK},
                                          {"eval-tokens", required_argument, 0, O_EVAL},
                                          {"sequences", required_argument, 0, O_SEQUENCES},
                                          {"tokens", required_argument, 0, O_TOKENS},
                                          {"method", required_argument, 0, O_METHOD},
                                          {"preset", required_argument, 0, O_PRESET},
                                          {"threads", required_argument, 0, O_THREADS},
                                          {"json", no_argument, 0, O_JSON},
                                          {"help", no_argument, 0, O_HELP}};
    struct option opts[96];
    cli_method_flags(opts, fixed, sizeof fixed / sizeof *fixed, &a->m, O_TABLE);
    model_spec *sp = &a->spec;
    int c, s = QB_OK, took;
    optind = 1;
    opterr = 0;
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((s = cli_method_take(&a->m, "model", c, O_TABLE, optarg, &took, err)) || took)
            continue;
        switch (c) {
        case O_CHECKPOINT:
            if (strlen(optarg) >= sizeof sp->checkpoint)
                return qb_fail(err, "--checkpoint: path too long");
            snprintf(sp->checkpoint, sizeof sp->checkpoint, "%s", optarg);
            break;
        case O_HEADS:
            s = hparam("--heads", optarg, &sp->hparams.n_heads, err);
            break;
        case O_KV_HEADS:
            s = hparam("--kv-heads", optarg, &sp->hparams.n_kv_heads, err);
            break;
        case O_CONTEXT:
            s = hparam("--context", optarg, &sp->hparams.seq_len, err);
            break;
        case O_TARGET:
            s = model_target_parse(optarg, &sp->target, err);
            break;
        case O_EMB:
            sp->include_embeddings = 1;
            break;
        case O_KV_BLOCK:
            s = cli_size("--kv-block", optarg, &sp->kv_block, err);
            break;
        case O_EVAL:
            if (strlen(optarg) >= sizeof sp->eval_tokens)
                return qb_fail(err, "--eval-tokens: path too long");
            snprintf(sp->eval_tokens, sizeof sp->eval_tokens, "%s", optarg);
            break;
        case O_SEQUENCES:
            a->sampling = 1;
            s = cli_size("--sequences", optarg, &sp->sequences, err);
            break;
        case O_TOKENS:
            a->sampling = 1;
            s = cli_size("--tokens", optarg, &sp->tokens, err);
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
        case O_HELP:
            a->help = 1;
            return QB_OK;
        default:
            return cli_bad_option("model", argc, argv, err);
        }
    }
    if (!s && optind < argc)
        s = qb_fail(err, "model: unexpected argument '%s'", argv[optind]);
    return s;
}

int cmd_model(int argc, char **argv, qb_error *err) {
    model_args a;
    memset(&a, 0, sizeof a);
    a.m.method = "pq";
    a.spec = model_spec_defaults();
    int s = parse(argc, argv, &a, err);
    if (s)
        return s;
    if (a.help) {
        cli_method_help(usage);
        return QB_OK;
    }
    if (!a.spec.checkpoint[0])
        return qb_fail(err, "model needs --checkpoint FILE");
    if (a.spec.eval_tokens[0] && a.sampling)
        return qb_fail(err, "--eval-tokens gives the text; --sequences and --tokens sample one "
                            "instead (give one or the other)");
    if (a.spec.kv_block && a.spec.target != MODEL_TARGET_KV)
        return qb_fail(err, "--kv-block applies to --target kv only");
    if (a.spec.include_embeddings && a.spec.target != MODEL_TARGET_WEIGHTS)
        return qb_fail(err, "--include-embeddings applies to --target weights only");
    quant_params p;
    if ((s = cli_method_resolve(&a.m, "model", &p, err)))
        return s;
    a.spec.seed = p.seed; /* --seed: the sampled text and the quantizer's streams */

    model_bench mb;
    if ((s = model_bench_open(&a.spec, &mb, err)))
        return s;
    model_result r;
    s = model_bench_run(&mb, &p, &r, err);
    if (!s && a.json) {
        cell_result_json(stdout, &r.quant);
    } else if (!s) {
        const cell_result *q = &r.quant;
        const cell_model *md = &q->model;
        printf("%s on the %s of %s (%zu matrices, %zu elements): ratio %.4f (target %g), MSE "
               "%.6g, bits total %llu\n",
               p.method, model_target_name(a.spec.target), a.spec.checkpoint, r.matrices,
               q->n * q->d, q->ratio, p.ratio, q->error.mse,
               (unsigned long long)storage_total(&q->bits));
        printf("  %llu positions: KL mean %.6g, KL p99 %.6g, top-1 agreement %.4f, perplexity "
               "%.4f (fp32 %.4f)\n",
               (unsigned long long)md->positions, md->kl_mean, md->kl_p99, md->top1, md->ppl,
               md->ppl_fp32);
    }
    model_bench_close(&mb);
    return s;
}
