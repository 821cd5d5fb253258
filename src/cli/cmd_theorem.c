/* cmd_theorem.c - `qetbench theorem`: the paper's variance theorem by closed form, quadrature and
 * Monte Carlo, extended to every block after 1..4 levels; tables on stdout, CSVs for the plots. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "theorem.h"
#include "theorem_quant.h"

static const char usage[] =
    "usage: qetbench theorem [--samples N] [--seed S] [--json] [--out DIR] [--threads T]\n"
    "                        [--quantizers [--seeds K] [--levels L] [--ks K] [--subspaces M]\n"
    "                         [--shape N,D]]\n"
    "  X1, X2 iid; the paper (§4) claims E max = mu + 0.564 sigma, Var max = 0.682 sigma^2 for "
    "the\n"
    "  normal. Checked by closed form, GSL quadrature and Monte Carlo (95% intervals), and "
    "extended\n"
    "  to each of the 2^l blocks after l = 1..4 QET levels for the normal, the paper's truncated\n"
    "  normal (mean 0.5, sd 0.16 on [0, 1]) and Student t with 3 degrees of freedom.\n"
    "  --samples N   Monte Carlo rows of 2^l values per (distribution, l) (default 1000000,\n"
    "                at least 6400: 64 batches of 100 or more)\n"
    "  --seed S      seed of the Monte Carlo streams (default 1)\n"
    "  --json        one JSON object instead of the tables\n"
    "  --out DIR     also write DIR/theorem_density.csv, theorem_fraction.csv, theorem_blocks.csv\n"
    "  --threads T   OpenMP threads (results are identical for any T)\n"
    "  --quantizers  also measure the equivalence through the quantizers: MSE of QET (l levels) "
    "on\n"
    "                N(0, 1) vs PQ on N(0, f) with f the quadrature variance fraction at l (0.682\n"
    "                at l = 1), same k_s and subspaces, seeds 1..K (default K 10, l 1, k_s 256,\n"
    "                8 subspaces, 4096 x 64); adds theorem_quantizers.csv to --out\n";

/* Closed form vs quadrature at these (mu, sigma): unit, the paper's scale, wide, far and narrow. */
static const double closed_cases[][2] = {{0, 1}, {0.5, 0.16}, {-2, 3}, {10, 0.25}};
#define N_CLOSED (sizeof closed_cases / sizeof *closed_cases)
#define N_DISTS 3

typedef struct {
    theorem_dist dist;
    theorem_pair_moments pair;                                        /* quadrature */
    theorem_moments quad[THEOREM_MAX_LEVELS + 1][THEOREM_MAX_BLOCKS]; /* [l][block] */
    double fraction[THEOREM_MAX_LEVELS + 1];                          /* quadrature, per l */
    theorem_mc mc[THEOREM_MAX_LEVELS + 1];                            /* l = 1..4 */
} dist_result;

typedef struct {
    theorem_pair_moments closed[N_CLOSED], quad[N_CLOSED];
    dist_result d[N_DISTS];
    uint64_t samples, seed;
    double t95; /* batch-means quantile */
    int quantizers;
    theorem_quant_result quant;
} theorem_report;

static int compute(theorem_report *r, qb_error *err) {
    int s = QB_OK;
    for (size_t i = 0; !s && i < N_CLOSED; i++) {
        theorem_dist d = theorem_normal(closed_cases[i][0], closed_cases[i][1]);
        r->closed[i] = theorem_closed_form(d.mu, d.sigma);
        s = theorem_pair_quad(&d, &r->quad[i], err);
    }
    r->d[0].dist = theorem_normal(0, 1);
    r->d[1].dist = theorem_truncnormal_paper();
    r->d[2].dist = theorem_student_t(3);
    for (int k = 0; !s && k < N_DISTS; k++) {
        dist_result *x = &r->d[k];
        s = theorem_pair_quad(&x->dist, &x->pair, err);
        for (unsigned l = 0; !s && l <= THEOREM_MAX_LEVELS; l++) {
            double sum = 0;
            for (unsigned b = 0; !s && b < (1u << l); b++) {
                s = theorem_block_quad(&x->dist, l, b, &x->quad[l][b], err);
                sum += x->quad[l][b].var;
            }
            x->fraction[l] = sum / (double)(1u << l) / x->quad[0][0].var;
            if (!s && l > 0)
                s = theorem_mc_run(&x->dist, l, r->samples, r->seed, &x->mc[l], err);
        }
    }
    r->t95 = theorem_batch_t95();
    if (!s && r->quantizers) {
        theorem_dist normal = theorem_normal(0, 1);
        theorem_quant_config qc = r->quant.cfg;
        s = theorem_fraction_quad(&normal, qc.levels, &qc.fraction, err);
        if (!s)
            s = theorem_quant_run(&qc, &r->quant, err);
    }
    return s;
}

static void print_quant(const theorem_report *r) {
    const theorem_quant_result *q = &r->quant;
    const theorem_quant_config *c = &q->cfg;
    printf(
        "\n5. Through the quantizers: QET (l = %u) on N(0, 1) vs PQ on N(0, %.6f) (the quadrature "
        "fraction at l = %u), %zu x %zu, k_s = %llu, %zu subspaces, seeds 1..%u; mean and 95%% "
        "t interval over seeds\n",
        c->levels, c->fraction, c->levels, c->n, c->d, (unsigned long long)c->ks, c->subspaces,
        c->seeds);
    struct {
        const char *name;
        const theorem_summary *s;
    } rows[] = {
        {"MSE QET on N(0,1)", &q->s_qet}, {"MSE PQ on N(0,f)", &q->s_pq_reduced},
        {"MSE PQ on N(0,1)", &q->s_pq},   {"QET / PQ on N(0,f)", &q->ratio},
        {"QET / PQ on N(0,1)", &q->gain},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        printf("  %-20s %10.6f  [%.6f, %.6f]  sd %.2e\n", rows[i].name, rows[i].s->mean,
               rows[i].s->lo, rows[i].s->hi, rows[i].s->sd);
    printf("  achieved compression ratios: QET %.4f (indicator maps charged), PQ %.4f\n",
           q->qet_ratio, q->pq_ratio);
    if (q->ratio.lo <= 1 && 1 <= q->ratio.hi)
        printf("  consistent with the equivalence: the 95%% interval of QET / PQ on N(0,f) "
               "contains 1\n");
    else
        printf("  equivalence rejected: QET's MSE is %.2f%% %s PQ's on N(0,f) (interval excludes "
               "1)\n",
               fabs(q->ratio.mean - 1) * 100, q->ratio.mean > 1 ? "above" : "below");
}

/* The batch means of variance ratios have a finite variance only if X's 4th moment is finite. */
static int fraction_se_valid(const theorem_dist *d) {
    return theorem_tail_index(d) > 4;
}

static void print_tables(const theorem_report *r) {
    printf("Variance theorem (paper §4): X1, X2 iid, max and min of the pair; QET level 1 puts the "
           "min in S, the max in L.\n\n");
    printf("1. Normal N(mu, sigma^2): closed form vs GSL quadrature (E max = mu + sigma/sqrt(pi), "
           "Var = (1 - 1/pi) sigma^2, Cov(min, max) = sigma^2/pi)\n");
    printf("  %6s %6s | %12s %12s %8s | %12s %12s %8s | %12s %12s %8s\n", "mu", "sigma", "E max",
           "quadrature", "|diff|", "Var max", "quadrature", "|diff|", "Cov(min,max)", "quadrature",
           "|diff|");
    for (size_t i = 0; i < N_CLOSED; i++) {
        const theorem_pair_moments *c = &r->closed[i], *q = &r->quad[i];
        printf("  %6g %6g | %12.9f %12.9f %8.1e | %12.9f %12.9f %8.1e | %12.9f %12.9f %8.1e\n",
               closed_cases[i][0], closed_cases[i][1], c->mean_max, q->mean_max,
               fabs(c->mean_max - q->mean_max), c->var_max, q->var_max,
               fabs(c->var_max - q->var_max), c->cov_min_max, q->cov_min_max,
               fabs(c->cov_min_max - q->cov_min_max));
    }
    printf("  (paper: E max = mu + 0.564 sigma, Var max = 0.682 sigma^2; 1 - 1/pi = %.6f)\n\n",
           1 - 1 / M_PI);

    printf("2. The pair, quadrature vs Monte Carlo (%llu pairs, seed %llu; 95%% intervals: "
           "1.96 SE, Cov by batch means over %d chunks)\n",
           (unsigned long long)r->samples, (unsigned long long)r->seed, THEOREM_MC_BATCHES);
    printf("  %-12s %-13s %12s %12s %10s  %s\n", "distribution", "moment", "quadrature",
           "Monte Carlo", "SE", "95% interval");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        const theorem_mc *m = &x->mc[1];
        const theorem_mc_block *mx = &m->blocks[1];
        struct {
            const char *name;
            double q, e, se, z;
            int valid;
        } rows[] = {
            {"E max", x->pair.mean_max, mx->mean, mx->mean_se, 1.96, 1},
            {"Var max", x->pair.var_max, mx->var, mx->var_se, 1.96, mx->fourth_moment_finite},
            {"Var max/Var X", x->pair.var_max / x->quad[0][0].var, mx->var / m->base_var, NAN, 0,
             1},
            {"Cov(min,max)", x->pair.cov_min_max, m->cov, m->cov_se, r->t95,
             theorem_tail_index(&x->dist) > 2}, /* needs E[X1^2 X2^2] = (E X^2)^2 only */
        };
        for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
            printf("  %-12s %-13s %12.6f %12.6f", i ? "" : x->dist.name, rows[i].name, rows[i].q,
                   rows[i].e);
            if (isnan(rows[i].se))
                printf("\n");
            else
                printf(" %10.2e  [%.6f, %.6f]%s\n", rows[i].se, rows[i].e - rows[i].z * rows[i].se,
                       rows[i].e + rows[i].z * rows[i].se,
                       rows[i].valid ? "" : "  (SE not valid: infinite 4th moment)");
        }
    }

    printf("\n3. Every block after l levels (path: S = min side, L = max side, level 1 first): "
           "quadrature vs Monte Carlo\n");
    printf("  %-12s %2s %-4s | %10s %10s %8s | %10s %21s | %10s %21s\n", "distribution", "l",
           "path", "mean", "var", "var/VarX", "MC mean", "95% interval", "MC var", "95% interval");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        for (unsigned l = 1; l <= THEOREM_MAX_LEVELS; l++)
            for (unsigned b = 0; b < (1u << l); b++) {
                char path[THEOREM_MAX_LEVELS + 1];
                theorem_block_path(l, b, path);
                const theorem_moments *q = &x->quad[l][b];
                const theorem_mc_block *m = &x->mc[l].blocks[b];
                printf("  %-12s %2u %-4s | %10.6f %10.6f %8.5f | %10.6f [%9.6f,%9.6f] | %10.6f "
                       "[%9.6f,%9.6f]%s\n",
                       (l == 1 && b == 0) ? x->dist.name : "", l, path, q->mean, q->var,
                       q->var / x->quad[0][0].var, m->mean, m->mean - 1.96 * m->mean_se,
                       m->mean + 1.96 * m->mean_se, m->var, m->var - 1.96 * m->var_se,
                       m->var + 1.96 * m->var_se, m->fourth_moment_finite ? "" : " *");
            }
    }
    printf("  * infinite 4th moment: the variance's SE (and its interval) is not valid\n");

    printf("\n4. Average variance fraction mean_b Var(block b) / Var(X) per l (Monte Carlo: "
           "ratio estimator, 95%% interval by batch means, t quantile %.3f)\n",
           r->t95);
    printf("  %-12s %2s %12s %12s %10s  %s\n", "distribution", "l", "quadrature", "Monte Carlo",
           "SE", "95% interval");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        for (unsigned l = 1; l <= THEOREM_MAX_LEVELS; l++) {
            const theorem_mc *m = &x->mc[l];
            printf("  %-12s %2u %12.6f %12.6f %10.2e  [%.6f, %.6f]%s\n", l == 1 ? x->dist.name : "",
                   l, x->fraction[l], m->fraction, m->fraction_se,
                   m->fraction - r->t95 * m->fraction_se, m->fraction + r->t95 * m->fraction_se,
                   fraction_se_valid(&x->dist) ? "" : " *");
        }
    }
    printf("  * infinite 4th moment of X: the batch-means interval is not valid\n");
    if (r->quantizers)
        print_quant(r);
}

/* A JSON number: null where the value is not finite (the spread of a single seed), since JSON
 * has no NaN. Rotating buffers: one printf takes several. */
static const char *jnum(double v) {
    static char slots[16][32];
    static unsigned next;
    char *b = slots[next++ % 16];
    if (isfinite(v))
        snprintf(b, sizeof slots[0], "%.17g", v);
    else
        snprintf(b, sizeof slots[0], "null");
    return b;
}

static void json_pair(const char *key, const theorem_pair_moments *p) {
    printf("\"%s\":{\"mean_max\":%s,\"var_max\":%s,\"mean_min\":%s,\"var_min\":%s,"
           "\"cov_min_max\":%s}",
           key, jnum(p->mean_max), jnum(p->var_max), jnum(p->mean_min), jnum(p->var_min),
           jnum(p->cov_min_max));
}

static void print_json(const theorem_report *r) {
    printf("{\"samples\":%llu,\"seed\":%llu,\"batches\":%d,\"closed_form\":[",
           (unsigned long long)r->samples, (unsigned long long)r->seed, THEOREM_MC_BATCHES);
    for (size_t i = 0; i < N_CLOSED; i++) {
        printf("%s{\"mu\":%s,\"sigma\":%s,", i ? "," : "", jnum(closed_cases[i][0]),
               jnum(closed_cases[i][1]));
        json_pair("closed", &r->closed[i]);
        printf(",");
        json_pair("quadrature", &r->quad[i]);
        printf("}");
    }
    printf("],\"distributions\":[");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        printf("%s{\"name\":\"%s\",\"var\":%s,", k ? "," : "", x->dist.name,
               jnum(x->quad[0][0].var));
        json_pair("pair_quadrature", &x->pair);
        printf(",\"pair_mc\":{\"cov_min_max\":%s,\"cov_se\":%s},\"levels\":[", jnum(x->mc[1].cov),
               jnum(x->mc[1].cov_se));
        for (unsigned l = 1; l <= THEOREM_MAX_LEVELS; l++) {
            const theorem_mc *m = &x->mc[l];
            printf("%s{\"l\":%u,\"fraction_quadrature\":%s,\"fraction_mc\":%s,"
                   "\"fraction_mc_se\":%s,\"fraction_mc_se_valid\":%s,\"blocks\":[",
                   l > 1 ? "," : "", l, jnum(x->fraction[l]), jnum(m->fraction),
                   jnum(m->fraction_se), fraction_se_valid(&x->dist) ? "true" : "false");
            for (unsigned b = 0; b < (1u << l); b++) {
                char path[THEOREM_MAX_LEVELS + 1];
                theorem_block_path(l, b, path);
                const theorem_mc_block *mb = &m->blocks[b];
                printf("%s{\"block\":%u,\"path\":\"%s\",\"mean\":%s,\"var\":%s,"
                       "\"mc_mean\":%s,\"mc_mean_se\":%s,\"mc_var\":%s,"
                       "\"mc_var_se\":%s,\"fourth_moment_finite\":%s}",
                       b ? "," : "", b, path, jnum(x->quad[l][b].mean), jnum(x->quad[l][b].var),
                       jnum(mb->mean), jnum(mb->mean_se), jnum(mb->var), jnum(mb->var_se),
                       mb->fourth_moment_finite ? "true" : "false");
            }
            printf("]}");
        }
        printf("]}");
    }
    printf("]");
    if (r->quantizers) {
        const theorem_quant_result *q = &r->quant;
        const theorem_quant_config *c = &q->cfg;
        printf(",\"quantizers\":{\"n\":%zu,\"d\":%zu,\"subspaces\":%zu,\"ks\":%llu,\"levels\":%u,"
               "\"seeds\":%u,\"fraction\":%s,\"qet_ratio\":%s,\"pq_ratio\":%s",
               c->n, c->d, c->subspaces, (unsigned long long)c->ks, c->levels, c->seeds,
               jnum(c->fraction), jnum(q->qet_ratio), jnum(q->pq_ratio));
        const struct {
            const char *key;
            const theorem_summary *s;
        } sums[] = {{"mse_qet", &q->s_qet},
                    {"mse_pq_reduced", &q->s_pq_reduced},
                    {"mse_pq", &q->s_pq},
                    {"qet_over_pq_reduced", &q->ratio},
                    {"qet_over_pq", &q->gain}};
        for (size_t i = 0; i < sizeof sums / sizeof *sums; i++)
            printf(",\"%s\":{\"mean\":%s,\"sd\":%s,\"lo\":%s,\"hi\":%s}", sums[i].key,
                   jnum(sums[i].s->mean), jnum(sums[i].s->sd), jnum(sums[i].s->lo),
                   jnum(sums[i].s->hi));
        printf(",\"per_seed\":[");
        for (unsigned k = 0; k < c->seeds; k++)
            printf("%s{\"seed\":%u,\"mse_qet\":%s,\"mse_pq_reduced\":%s,\"mse_pq\":%s}",
                   k ? "," : "", k + 1, jnum(q->qet[k]), jnum(q->pq_reduced[k]), jnum(q->pq[k]));
        printf("]}");
    }
    printf("}\n");
}

/* ---- CSV output for the plots: written beside, renamed into place only when all are whole ---- */

static const char *const csv_names[] = {"theorem_density.csv", "theorem_fraction.csv",
                                        "theorem_blocks.csv", "theorem_quantizers.csv"};

static int write_density(FILE *f, const theorem_report *r, qb_error *err) {
    /* Standard normal and its pair on [-4, 4]: bin centres of the Monte Carlo histogram. */
    enum { BINS = 160 };
    const double lo = -4, hi = 4, w = (hi - lo) / BINS;
    double hist[BINS];
    theorem_dist d = theorem_normal(0, 1);
    int s = theorem_max_histogram(&d, r->samples, r->seed, lo, hi, BINS, hist, err);
    if (s)
        return s;
    fprintf(f, "x,normal_pdf,max_pdf,min_pdf,max_mc_density\n");
    for (int i = 0; i < BINS; i++) {
        double x = lo + (i + 0.5) * w;
        fprintf(f, "%.6f,%.10g,%.10g,%.10g,%.10g\n", x, theorem_pdf(&d, x),
                theorem_block_pdf(&d, 1, 1, x), theorem_block_pdf(&d, 1, 0, x), hist[i]);
    }
    return QB_OK;
}

static void write_fraction(FILE *f, const theorem_report *r) {
    fprintf(f, "distribution,l,quadrature,mc,mc_se,mc_lo,mc_hi,mc_se_valid\n");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        fprintf(f, "%s,0,1,1,0,1,1,1\n", x->dist.name);
        for (unsigned l = 1; l <= THEOREM_MAX_LEVELS; l++) {
            const theorem_mc *m = &x->mc[l];
            fprintf(f, "%s,%u,%.10g,%.10g,%.4g,%.10g,%.10g,%d\n", x->dist.name, l, x->fraction[l],
                    m->fraction, m->fraction_se, m->fraction - r->t95 * m->fraction_se,
                    m->fraction + r->t95 * m->fraction_se, fraction_se_valid(&x->dist));
        }
    }
}

static void write_blocks(FILE *f, const theorem_report *r) {
    fprintf(f, "distribution,l,block,path,quad_mean,quad_var,quad_var_fraction,mc_mean,mc_mean_se,"
               "mc_var,mc_var_se,fourth_moment_finite\n");
    for (int k = 0; k < N_DISTS; k++) {
        const dist_result *x = &r->d[k];
        for (unsigned l = 1; l <= THEOREM_MAX_LEVELS; l++)
            for (unsigned b = 0; b < (1u << l); b++) {
                char path[THEOREM_MAX_LEVELS + 1];
                theorem_block_path(l, b, path);
                const theorem_mc_block *m = &x->mc[l].blocks[b];
                fprintf(f, "%s,%u,%u,%s,%.10g,%.10g,%.10g,%.10g,%.4g,%.10g,%.4g,%d\n", x->dist.name,
                        l, b, path, x->quad[l][b].mean, x->quad[l][b].var,
                        x->quad[l][b].var / x->quad[0][0].var, m->mean, m->mean_se, m->var,
                        m->var_se, m->fourth_moment_finite);
            }
    }
}

static void write_quant(FILE *f, const theorem_report *r) {
    const theorem_quant_result *q = &r->quant;
    const theorem_quant_config *c = &q->cfg;
    fprintf(f, "seed,n,d,subspaces,ks,levels,fraction,mse_qet,mse_pq_reduced,mse_pq\n");
    for (unsigned k = 0; k < c->seeds; k++)
        fprintf(f, "%u,%zu,%zu,%zu,%llu,%u,%.10g,%.10g,%.10g,%.10g\n", k + 1, c->n, c->d,
                c->subspaces, (unsigned long long)c->ks, c->levels, c->fraction, q->qet[k],
                q->pq_reduced[k], q->pq[k]);
}

static int write_csvs(const char *dir, const theorem_report *r, qb_error *err) {
    const int n_csv = r->quantizers ? 4 : 3;
    struct stat st;
    if (mkdir(dir, 0777) != 0 && !(errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return qb_fail(err, "--out: cannot create directory '%s': %s", dir, strerror(errno));
    char tmp[4][4096], final[4][4096];
    int s = QB_OK, made = 0;
    for (; !s && made < n_csv; made++) {
        snprintf(final[made], sizeof final[made], "%s/%s", dir, csv_names[made]);
        snprintf(tmp[made], sizeof tmp[made], "%s/.%s.tmp", dir, csv_names[made]);
        FILE *f = fopen(tmp[made], "w");
        if (!f) {
            s = qb_fail(err, "--out: cannot write '%s': %s", tmp[made], strerror(errno));
            break;
        }
        if (made == 0)
            s = write_density(f, r, err);
        else if (made == 1)
            write_fraction(f, r);
        else if (made == 2)
            write_blocks(f, r);
        else
            write_quant(f, r);
        if ((ferror(f) | fclose(f)) && !s)
            s = qb_internal(err, "--out: error writing '%s'", tmp[made]);
    }
    for (int i = 0; i < made; i++) {
        if (s)
            remove(tmp[i]);
        else if (rename(tmp[i], final[i]) != 0)
            s = qb_internal(err, "--out: cannot rename to '%s': %s", final[i], strerror(errno));
    }
    return s;
}

int cmd_theorem(int argc, char **argv, qb_error *err) {
    enum {
        O_SAMPLES = 256,
        O_SEED,
        O_JSON,
        O_OUT,
        O_THREADS,
        O_HELP,
        O_QUANT,
        O_SEEDS,
        O_LEVELS,
        O_KS,
        O_M,
        O_SHAPE
    };
    static const struct option opts[] = {{"samples", required_argument, 0, O_SAMPLES},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"json", no_argument, 0, O_JSON},
                                         {"out", required_argument, 0, O_OUT},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"help", no_argument, 0, O_HELP},
                                         {"quantizers", no_argument, 0, O_QUANT},
                                         {"seeds", required_argument, 0, O_SEEDS},
                                         {"levels", required_argument, 0, O_LEVELS},
                                         {"ks", required_argument, 0, O_KS},
                                         {"subspaces", required_argument, 0, O_M},
                                         {"shape", required_argument, 0, O_SHAPE},
                                         {0, 0, 0, 0}};
    static theorem_report r; /* large: keep it off the stack */
    memset(&r, 0, sizeof r);
    r.samples = 1000000;
    r.seed = 1;
    r.quant.cfg = theorem_quant_defaults();
    theorem_quant_config *qc = &r.quant.cfg;
    uint64_t u;
    const char *out = NULL;
    int json = 0, c, s = QB_OK;
    optind = 1;
    opterr = 0; /* one line on stderr: ours */
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_SAMPLES:
            s = cli_u64("--samples", optarg, &r.samples, err);
            if (!s && (r.samples < THEOREM_MC_MIN_SAMPLES || r.samples > 1000000000ULL))
                s = qb_fail(err, "--samples must be in %d..1000000000", THEOREM_MC_MIN_SAMPLES);
            break;
        case O_SEED:
            s = cli_u64("--seed", optarg, &r.seed, err);
            break;
        case O_JSON:
            json = 1;
            break;
        case O_OUT:
            out = optarg;
            break;
        case O_THREADS:
            s = cli_threads(optarg, err);
            break;
        case O_HELP:
            fputs(usage, stdout);
            return QB_OK;
        case O_QUANT:
            r.quantizers = 1;
            break;
        case O_SEEDS:
            s = cli_u64("--seeds", optarg, &u, err);
            if (!s && (u < 2 || u > THEOREM_QUANT_MAX_SEEDS))
                s = qb_fail(err, "--seeds must be in 2..%d", THEOREM_QUANT_MAX_SEEDS);
            qc->seeds = (unsigned)u;
            break;
        case O_LEVELS:
            s = cli_u64("--levels", optarg, &u, err);
            if (!s && (u < 1 || u > THEOREM_MAX_LEVELS))
                s = qb_fail(err, "--levels must be in 1..%d", THEOREM_MAX_LEVELS);
            qc->levels = (unsigned)u;
            break;
        case O_KS:
            s = cli_u64("--ks", optarg, &qc->ks, err);
            if (!s && qc->ks < 2)
                s = qb_fail(err, "--ks must be at least 2");
            break;
        case O_M:
            s = cli_size("--subspaces", optarg, &qc->subspaces, err);
            if (!s && qc->subspaces == 0)
                s = qb_fail(err, "--subspaces must be positive");
            break;
        case O_SHAPE:
            s = cli_shape("--shape", optarg, &qc->n, &qc->d, err);
            break;
        default:
            return cli_bad_option("theorem", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (optind < argc)
        return qb_fail(err, "theorem: unexpected argument '%s'", argv[optind]);
    s = compute(&r, err);
    if (!s && out)
        s = write_csvs(out, &r, err);
    if (s)
        return s;
    if (json)
        print_json(&r);
    else
        print_tables(&r);
    return QB_OK;
}
