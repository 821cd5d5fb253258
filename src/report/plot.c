/* plot.c - writes one data file and one gnuplot script per figure, then runs gnuplot once over
 * all of them. Figure numbers follow the paper: 3-14 are m = 8, 16, 32, 128 (MAE, MRE, MSE, one
 * curve per method), 15-26 are l = 1..4 (one curve per m, QET only). */
#include "plot.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claims.h"
#include "downstream.h"
#include "headline.h"
#include "plot_templates.h"
#include "quantizer.h"
#include "results.h"
#include "scope.h"

static const char *const metric_names[3] = {"mae", "mre", "mse"};
static const char *const metric_titles[3] = {"MAE", "MRE", "MSE"};
static const uint64_t paper_m[4] = {8, 16, 32, 128};

const char *plot_png_terminal(void) {
    static const char *term;
    if (term)
        return term;
    term = "png";
    FILE *p = popen("gnuplot -e 'set terminal' 2>&1", "r");
    if (p) {
        char line[256];
        while (fgets(line, sizeof line, p))
            if (strstr(line, "pngcairo"))
                term = "pngcairo";
        pclose(p);
    }
    return term;
}

/* Errors span decades: the figures show geometric means with intervals on the log scale. */
static stats_geo geo_of(const summary_group *g, int metric) {
    return metric == 0 ? g->mae_geo : metric == 1 ? g->mre_geo : g->mse_geo;
}

/* "CENTER LO HI": one seed has no interval, drawn as a bar of zero length. */
static void put_geo_point(text *t, stats_geo s) {
    int bar = isfinite(s.lo) && isfinite(s.hi);
    text_printf(t, "%.10g %.10g %.10g", s.center, bar ? s.lo : s.center, bar ? s.hi : s.center);
}

static int text_save(const char *path, text *t, qb_error *err) {
    if (!t->s)
        text_printf(t, "%s", "");
    if (!t->s || t->failed)
        return qb_oom(err);
    return results_write_text(path, t->s, t->n, err);
}

/* Replaces @KEY@ in the template. */
static void fill(text *out, const char *tmpl, const char *const *keys, const char *const *vals,
                 size_t n) {
    for (const char *p = tmpl; *p;) {
        if (*p == '@') {
            size_t k = 0, kl = 0;
            for (; k < n; k++) {
                kl = strlen(keys[k]);
                if (!strncmp(p + 1, keys[k], kl) && p[1 + kl] == '@')
                    break;
            }
            if (k < n) {
                text_printf(out, "%s", vals[k]);
                p += kl + 2;
                continue;
            }
        }
        text_printf(out, "%c", *p++);
    }
}

/* One curve: the groups of (label, l) across ratios at m, accounting. */
typedef struct {
    char title[96];
    const char *label;
    unsigned l;
    uint64_t m;
} curve;

/* The curves of every figure of a results directory, in one order: a curve keeps its colour,
 * marker and dash in every figure (and on the report page), whatever else a figure draws. */
#define STYLE_MAX 512
typedef struct {
    char titles[STYLE_MAX][96];
    size_t n;
} style_table;

static void style_add(style_table *st, const char *title) {
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->titles[i], title))
            return;
    if (st->n < STYLE_MAX)
        snprintf(st->titles[st->n++], sizeof st->titles[0], "%s", title);
}

/* " lt L dt D" for a title: twelve colours (each with its marker), then the next dash pattern. */
static void style_of(const style_table *st, const char *title, char *buf, size_t len) {
    size_t i = 0;
    while (i < st->n && strcmp(st->titles[i], title))
        i++;
    snprintf(buf, len, " lt %zu dt %zu", i % 12 + 1, i / 12 % 5 + 1);
}

/* A curve's title in figures 3-14 and MSE-vs-bits: the label, and l where a method has l. */
static void curve_title(const summary_group *x, char *buf, size_t len) {
    if (method_uses(x->method, METHOD_USES_ITERATIONS))
        snprintf(buf, len, "%s l=%u", x->label, x->iterations);
    else
        snprintf(buf, len, "%s", x->label);
}

typedef struct {
    const style_table *styles;
    const char *dir; /* DIR/figures/<dataset> */
    const char *dataset;
    const summary_group *g;
    size_t ng;
    const double *ratios;
    size_t n_ratios;
    text *all; /* the master script: one `load` per figure */
    int gaussian;
    double sigma;
    unsigned source_bits;
    const result_table *t; /* the rows, for the downstream metrics */
} fig_ctx;

/* Writes a figure's data and gnuplot script beside each other, adds it to the dataset's
 * all.gp, and frees both texts. */
static int save_figure(fig_ctx *f, const char *name, text *dat, text *gp, qb_error *err) {
    char path[8400];
    snprintf(path, sizeof path, "%s/%s.dat", f->dir, name);
    int s = text_save(path, dat, err);
    snprintf(path, sizeof path, "%s/%s.gp", f->dir, name);
    if (!s)
        s = text_save(path, gp, err);
    text_printf(f->all, "cd '%s'\nload '%s.gp'\ncd '..'\n", f->dataset, name);
    text_free(dat);
    text_free(gp);
    return s;
}

/* A figure against the compression ratio: of an error metric (metric 0..2), or of the downstream
 * metric dm when it is not NULL. */
static int write_figure(fig_ctx *f, const char *name, const char *title, int metric,
                        const downstream_metric *dm, const char *accounting, const curve *curves,
                        size_t n_curves, qb_error *err) {
    text dat = {0}, plots = {0}, gp = {0};
    size_t drawn = 0;
    const char *col = dm ? dm->column : metric_names[metric];
    int geo = !dm || dm->log_scale;
    text_printf(&dat, "# %s: %s against compression ratio; one block per curve\n", name,
                dm ? dm->label : metric_titles[metric]);
    text_printf(&dat,
                "# columns: target_ratio achieved_ratio_mean %s_%s %s_lo95 %s_hi95 seeds (%s)\n",
                col, geo ? "geomean" : "mean", col, col,
                geo ? "geometric mean over seeds, 95% interval of the mean log"
                    : "mean over seeds, 95% Student-t interval");
    for (size_t c = 0; c < n_curves; c++) {
        text block = {0};
        size_t pts = 0;
        for (size_t r = 0; r < f->n_ratios; r++) {
            const summary_group *x =
                summary_find(f->g, f->ng, f->dataset, curves[c].label, accounting, curves[c].m,
                             curves[c].l, f->ratios[r]);
            if (!x)
                continue;
            stats_geo s = dm ? downstream_point(f->t, x, dm) : geo_of(x, metric);
            if (!x->n_ok || !isfinite(s.center)) {
                text_printf(&block, "# r=%g: %s (%zu rows)\n", f->ratios[r], x->status, x->count);
                continue;
            }
            text_printf(&block, "%.10g %.10g ", x->target_ratio, x->ratio.mean);
            put_geo_point(&block, s);
            text_printf(&block, " %zu\n", dm ? s.n : x->n_ok);
            pts++;
        }
        dat.failed |= block.failed;
        if (!pts) {
            /* Say why a method has no curve (e.g. a rotation larger than every budget). */
            if (block.s)
                text_printf(&dat, "# no curve: %s: no measured point\n%s", curves[c].title,
                            block.s);
            free(block.s);
            continue;
        }
        text_printf(&dat, "%s# curve: %s\n%s", drawn ? "\n\n" : "", curves[c].title, block.s);
        free(block.s);
        char style[32];
        style_of(f->styles, curves[c].title, style, sizeof style);
        text_printf(&plots, "%s'%s.dat' index %zu using 2:3:4:5 with yerrorlines lw 2%s title '%s'",
                    drawn ? ", \\\n     " : "", name, drawn, style, curves[c].title);
        drawn++;
    }
    if (!drawn) {
        free(dat.s);
        free(plots.s);
        return QB_OK;
    }
    if (dm) {
        char ylabel[256];
        snprintf(ylabel, sizeof ylabel, "%s (%s)", dm->label,
                 geo ? "geometric mean over seeds, 95% interval on the log scale"
                     : "mean over seeds, 95% interval");
        const char *keys[] = {"PNG_TERMINAL", "NAME", "TITLE", "XLABEL",
                              "YLABEL",       "AXES", "CURVES"};
        const char *vals[] = {plot_png_terminal(),
                              name,
                              title,
                              "compression ratio (original bits / stored bits, achieved; mean "
                              "over seeds)",
                              ylabel,
                              geo ? "set logscale x 2\nset logscale y" : "set logscale x 2",
                              plots.s};
        gp.failed |= plots.failed;
        fill(&gp, plot_template_downstream, keys, vals, 7);
        text_free(&plots);
        return save_figure(f, name, &dat, &gp, err);
    }
    char extra[256] = "";
    if (metric == 2 && f->gaussian) {
        /* Shannon's distortion-rate function of a Gaussian source: no quantizer can beat it. */
        text_printf(&plots,
                    ", \\\n     %.10g**2 * 2**(-2.0*%u/x) with lines dt 2 lc rgb 'black' "
                    "title 'rate-distortion bound sigma^2 2^(-2R)'",
                    f->sigma, f->source_bits);
        snprintf(extra, sizeof extra, "set samples 200");
    }
    const char *keys[] = {"PNG_TERMINAL", "NAME", "TITLE", "YLABEL", "EXTRA", "CURVES"};
    const char *vals[] = {plot_png_terminal(), name, title, metric_titles[metric], extra, plots.s};
    gp.failed |= plots.failed;
    fill(&gp, plot_template_figure, keys, vals, 6);
    text_free(&plots);
    return save_figure(f, name, &dat, &gp, err);
}

/* MSE against stored bits per element: one curve per (label, l), at each ratio the m with the
 * lowest geometric-mean MSE (the method's best configuration run there), its m recorded. */
static int bits_figure(fig_ctx *f, const char *name, const char *accounting, const curve *curves,
                       size_t n_curves, qb_error *err) {
    text dat = {0}, plots = {0}, gp = {0};
    size_t drawn = 0;
    text_printf(&dat,
                "# %s: MSE against stored bits per element, %s accounting; one block per curve\n"
                "# columns: bits_per_element mse_geomean mse_lo95 mse_hi95 seeds m target_ratio\n",
                name, accounting);
    for (size_t c = 0; c < n_curves; c++) {
        text block = {0};
        size_t pts = 0;
        for (size_t r = 0; r < f->n_ratios; r++) {
            const summary_group *best = NULL;
            for (size_t i = 0; i < f->ng; i++) {
                const summary_group *x = &f->g[i];
                if (strcmp(x->dataset, f->dataset) || strcmp(x->label, curves[c].label) ||
                    x->iterations != curves[c].l || x->target_ratio != f->ratios[r] ||
                    (strcmp(x->accounting, accounting) &&
                     method_uses(x->method, METHOD_STORES_IMAPS)) ||
                    !x->n_ok || !isfinite(x->mse_geo.center) || !(x->bits.mean > 0))
                    continue;
                if (!best || x->mse_geo.center < best->mse_geo.center)
                    best = x;
            }
            if (!best)
                continue;
            text_printf(&block, "%.10g ", best->bits.mean);
            put_geo_point(&block, best->mse_geo);
            text_printf(&block, " %zu %llu %g\n", best->n_ok, (unsigned long long)best->subspaces,
                        best->target_ratio);
            pts++;
        }
        dat.failed |= block.failed;
        if (pts) {
            text_printf(&dat, "%s# curve: %s\n%s", drawn ? "\n\n" : "", curves[c].title, block.s);
            char style[32];
            style_of(f->styles, curves[c].title, style, sizeof style);
            text_printf(&plots,
                        "%s'%s.dat' index %zu using 1:2:3:4 with yerrorlines lw 2%s title '%s'",
                        drawn ? ", \\\n     " : "", name, drawn, style, curves[c].title);
            drawn++;
        }
        free(block.s);
    }
    if (!drawn) {
        free(dat.s);
        free(plots.s);
        return QB_OK;
    }
    if (f->gaussian)
        text_printf(&plots,
                    ", \\\n     %.10g**2 * 2**(-2.0*x) with lines dt 2 lc rgb 'black' "
                    "title 'rate-distortion bound sigma^2 2^(-2R)'",
                    f->sigma);
    char title[256];
    snprintf(title, sizeof title,
             "MSE against stored bits per element (%s, %s accounting; each "
             "method at its best m per ratio)",
             f->dataset, accounting);
    const char *keys[] = {"PNG_TERMINAL", "NAME", "TITLE", "EXTRA", "CURVES"};
    const char *vals[] = {plot_png_terminal(), name, title, f->gaussian ? "set samples 200" : "",
                          plots.s};
    gp.failed |= plots.failed;
    fill(&gp, plot_template_bits, keys, vals, 5);
    text_free(&plots);
    return save_figure(f, name, &dat, &gp, err);
}

/* MSE against a downstream metric: a point per cell (each seed's), a block per curve, the rank
 * correlation over every cell in the title. */
static int scatter_figure(fig_ctx *f, const char *name, const downstream_metric *dm,
                          const char *accounting, const curve *curves, size_t n_curves,
                          qb_error *err) {
    text dat = {0}, plots = {0}, gp = {0};
    size_t drawn = 0;
    text_printf(&dat,
                "# %s: MSE against %s, %s accounting; one block per curve, a line per cell\n"
                "# columns: mse %s target_ratio seed_index m\n",
                name, dm->column, accounting, dm->column);
    for (size_t c = 0; c < n_curves; c++) {
        text block = {0};
        size_t pts = 0;
        for (size_t i = 0; i < f->t->n; i++) {
            const result_row *r = &f->t->rows[i];
            double v = downstream_value(r, dm);
            if (strcmp(r->dataset, f->dataset) || strcmp(r->label, curves[c].label) ||
                r->iterations != curves[c].l || isnan(v) || !(r->mse > 0) ||
                !accounting_counts_under(r->accounting, r->method, accounting))
                continue;
            text_printf(&block, "%.10g %.10g %g %u %llu\n", r->mse, v, r->target_ratio,
                        r->seed_index, (unsigned long long)r->subspaces);
            pts++;
        }
        dat.failed |= block.failed;
        if (pts) {
            text_printf(&dat, "%s# curve: %s\n%s", drawn ? "\n\n" : "", curves[c].title, block.s);
            char style[32];
            style_of(f->styles, curves[c].title, style, sizeof style);
            text_printf(&plots, "%s'%s.dat' index %zu using 1:2 with points ps 1.2%s title '%s'",
                        drawn ? ", \\\n     " : "", name, drawn, style, curves[c].title);
            drawn++;
        }
        free(block.s);
    }
    if (!drawn) {
        free(dat.s);
        free(plots.s);
        return QB_OK;
    }
    size_t n;
    double rho = downstream_spearman(f->t, f->dataset, accounting, 0, dm, &n);
    char title[400], xlabel[64] = "MSE (one point per cell: method, m, ratio, seed)";
    snprintf(title, sizeof title,
             "MSE against %s (%s, %s accounting): Spearman rho = %.3f, %zu cells", dm->column,
             f->dataset, accounting, rho, n);
    const char *keys[] = {"PNG_TERMINAL", "NAME", "TITLE", "XLABEL", "YLABEL", "AXES", "CURVES"};
    const char *vals[] = {plot_png_terminal(),
                          name,
                          title,
                          xlabel,
                          dm->label,
                          dm->log_scale ? "set logscale x\nset logscale y" : "set logscale x",
                          plots.s};
    gp.failed |= plots.failed;
    fill(&gp, plot_template_downstream, keys, vals, 7);
    text_free(&plots);
    return save_figure(f, name, &dat, &gp, err);
}

static int contains_u64(const uint64_t *a, size_t n, uint64_t v) {
    for (size_t i = 0; i < n; i++)
        if (a[i] == v)
            return 1;
    return 0;
}

static int figures_for_dataset(fig_ctx *f, const char *const *accs, size_t n_acc, qb_error *err) {
    /* What the data hold for this dataset: labels (with their l's), m's. */
    curve curves[256];
    uint64_t ms[64];
    unsigned ls[64];
    size_t nc = 0, nm = 0, nl = 0;
    const char *qet_label = NULL;
    for (size_t i = 0; i < f->ng; i++) {
        const summary_group *x = &f->g[i];
        if (strcmp(x->dataset, f->dataset))
            continue;
        if (x->subspaces && !contains_u64(ms, nm, x->subspaces) && nm < 64)
            ms[nm++] = x->subspaces;
        int per_l = method_uses(x->method, METHOD_USES_ITERATIONS); /* a curve per l */
        if (per_l) {
            size_t k = 0;
            while (k < nl && ls[k] != x->iterations)
                k++;
            if (k == nl && nl < 64)
                ls[nl++] = x->iterations;
            if (!qet_label || !strcmp(x->label, "qet"))
                qet_label = x->label;
        }
        size_t k = 0;
        while (k < nc && (strcmp(curves[k].label, x->label) || curves[k].l != x->iterations))
            k++;
        if (k == nc && nc < 256) {
            curves[nc].label = x->label;
            curves[nc].l = x->iterations;
            curves[nc].m = 0;
            curve_title(x, curves[nc].title, sizeof curves[nc].title);
            nc++;
        }
    }
    int s = QB_OK;
    for (size_t a = 0; !s && a < n_acc; a++) {
        char suffix[32] = "";
        if (strcmp(accs[a], "full"))
            snprintf(suffix, sizeof suffix, "_%s", accs[a]);
        /* Figures 3-14: one figure per m and metric, a curve per method (and per QET l). */
        for (size_t im = 0; !s && im < nm; im++) {
            int pi = -1;
            for (int k = 0; k < 4; k++)
                if (paper_m[k] == ms[im])
                    pi = k;
            for (int metric = 0; !s && metric < 3; metric++) {
                char name[96], title[256];
                if (pi >= 0)
                    snprintf(name, sizeof name, "fig%02d_%s_m%llu%s", 3 + 3 * pi + metric,
                             metric_names[metric], (unsigned long long)ms[im], suffix);
                else
                    snprintf(name, sizeof name, "%s_m%llu%s", metric_names[metric],
                             (unsigned long long)ms[im], suffix);
                snprintf(title, sizeof title, "%s on %llu subspaces (%s, %s accounting)",
                         metric_titles[metric], (unsigned long long)ms[im], f->dataset, accs[a]);
                for (size_t c = 0; c < nc; c++)
                    curves[c].m = ms[im];
                s = write_figure(f, name, title, metric, NULL, accs[a], curves, nc, err);
            }
        }
        /* Downstream metrics: against the ratio at each m (one figure when no method has m), and
         * MSE against each, a point per cell. */
        for (size_t k = 0; !s && k < downstream_count(); k++) {
            const downstream_metric *dm = downstream_at(k);
            if (!downstream_measured(f->t, f->dataset, dm))
                continue;
            for (size_t im = 0; !s && im < (nm ? nm : 1); im++) {
                char name[128], title[400];
                uint64_t m = nm ? ms[im] : 0;
                snprintf(name, sizeof name, "down_%s_m%llu%s", dm->column, (unsigned long long)m,
                         suffix);
                snprintf(title, sizeof title, "%s on %llu subspaces (%s, %s accounting)", dm->label,
                         (unsigned long long)m, f->dataset, accs[a]);
                for (size_t c = 0; c < nc; c++)
                    curves[c].m = m;
                s = write_figure(f, name, title, 0, dm, accs[a], curves, nc, err);
            }
            char name[128];
            snprintf(name, sizeof name, "down_mse_%s%s", dm->column, suffix);
            if (!s)
                s = scatter_figure(f, name, dm, accs[a], curves, nc, err);
        }
        /* MSE against bits per element, every method on one figure */
        if (!s) {
            char name[96];
            snprintf(name, sizeof name, "mse_bits%s", suffix);
            s = bits_figure(f, name, accs[a], curves, nc, err);
        }
        /* Figures 15-26: one figure per QET l and metric, a curve per m. */
        for (size_t il = 0; !s && qet_label && il < nl; il++) {
            unsigned l = ls[il];
            curve per_m[64];
            for (size_t im = 0; im < nm; im++) {
                per_m[im].label = qet_label;
                per_m[im].l = l;
                per_m[im].m = ms[im];
                snprintf(per_m[im].title, sizeof per_m[im].title, "m=%llu",
                         (unsigned long long)ms[im]);
            }
            for (int metric = 0; !s && metric < 3; metric++) {
                char name[96], title[256];
                if (l >= 1 && l <= 4)
                    snprintf(name, sizeof name, "fig%02d_%s_l%u%s", 15 + 3 * (int)(l - 1) + metric,
                             metric_names[metric], l, suffix);
                else
                    snprintf(name, sizeof name, "%s_l%u%s", metric_names[metric], l, suffix);
                snprintf(title, sizeof title, "%s of %s at l = %u (%s, %s accounting)",
                         metric_titles[metric], qet_label, l, f->dataset, accs[a]);
                s = write_figure(f, name, title, metric, NULL, accs[a], per_m, nm, err);
            }
        }
    }
    return s;
}

static int run_gnuplot(const char *dir, const char *script, qb_error *err) {
    pid_t pid = fork();
    if (pid < 0)
        return qb_internal(err, "cannot start gnuplot");
    if (pid == 0) {
        if (chdir(dir))
            _exit(127);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        return qb_internal(err, "gnuplot failed on %s/%s (is gnuplot installed?)", dir, script);
    return QB_OK;
}

int plot_all(const char *dir, const plot_options *o, qb_error *err) {
    result_table t;
    int s = results_read(dir, &t, err);
    if (s)
        return s;
    if (!t.n) {
        result_table_free(&t);
        return qb_fail(err, "%s/results.csv holds no results", dir);
    }
    result_table_sort(&t);
    summary_group *g = NULL;
    size_t ng = 0;
    s = summary_build(&t, &g, &ng, err);
    double ratios[256];
    size_t nr = 0;
    const char *accs[2];
    size_t na = 0;
    for (size_t i = 0; !s && i < ng; i++) {
        size_t k = 0;
        while (k < nr && ratios[k] != g[i].target_ratio)
            k++;
        if (k == nr && nr < 256)
            ratios[nr++] = g[i].target_ratio;
        k = 0;
        while (k < na && strcmp(accs[k], g[i].accounting))
            k++;
        if (k == na && na < 2)
            accs[na++] = g[i].accounting;
    }
    /* ascending ratios; "full" first */
    for (size_t i = 1; i < nr; i++)
        for (size_t j = i; j > 0 && ratios[j - 1] > ratios[j]; j--) {
            double tmp = ratios[j];
            ratios[j] = ratios[j - 1];
            ratios[j - 1] = tmp;
        }
    if (na == 2 && strcmp(accs[0], "full")) {
        const char *tmp = accs[0];
        accs[0] = accs[1];
        accs[1] = tmp;
    }
    char figdir[4096];
    snprintf(figdir, sizeof figdir, "%s/figures", dir);
    style_table *styles = s ? NULL : calloc(1, sizeof *styles);
    if (!s && !styles)
        s = qb_oom(err);
    for (size_t i = 0; !s && i < ng;
         i++) { /* the method curves, then the per-m ones, m ascending */
        char title[96];
        curve_title(&g[i], title, sizeof title);
        style_add(styles, title);
    }
    for (uint64_t m = 1, next; !s && m; m = next) {
        next = 0;
        for (size_t i = 0; i < ng; i++)
            if (g[i].subspaces >= m && (!next || g[i].subspaces < next))
                next = g[i].subspaces;
        if (next) {
            char title[96];
            snprintf(title, sizeof title, "m=%llu", (unsigned long long)next);
            style_add(styles, title);
            next++;
        }
    }
    text all = {0};
    text_printf(&all, "# all.gp - draws every figure (written by qetbench plot)\n");
    for (size_t i = 0; !s && i < t.n; i++) {
        const result_row *r = &t.rows[i];
        if (i && !strcmp(r->dataset, t.rows[i - 1].dataset))
            continue;
        char ddir[4200];
        snprintf(ddir, sizeof ddir, "%s/%s", figdir, r->dataset);
        s = results_mkdirs(ddir, err);
        fig_ctx f = {styles,
                     ddir,
                     r->dataset,
                     g,
                     ng,
                     ratios,
                     nr,
                     &all,
                     !strcmp(r->data_kind, "gaussian"),
                     r->data_sigma,
                     r->source_bits,
                     &t};
        if (!s)
            s = figures_for_dataset(&f, accs, na, err);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/all.gp", figdir);
    if (!s)
        s = text_save(path, &all, err);
    free(all.s);
    if (!s && o->draw)
        s = run_gnuplot(figdir, "all.gp", err);
    if (!s) /* the summary's statistics may be newer than the run that wrote it */
        s = summary_write(dir, &t, err);
    if (!s)
        s = headline_write(dir, &t, g, ng, err);
    if (!s)
        s = claims_write(dir, &t, g, ng, o->margin, err);
    if (!s)
        s = downstream_write(dir, &t, g, ng, err);
    free(styles);
    free(g);
    result_table_free(&t);
    return s;
}
