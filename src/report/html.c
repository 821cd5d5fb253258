/* html.c - the report page of a results directory: the tables qetbench plot wrote (markdown, turned
 * into HTML), every SVG figure inline, and where the numbers came from. One file, no requests. */
#include "html.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "downstream.h"
#include "results.h"
#include "sha256.h"
#include "text.h"
#include "versions.h"

/* ---- small pieces ---- */

/* "a/b" into buf; -1 (buf empty) when it does not fit, so a long path is never cut silently. */
static int join(char *buf, size_t len, const char *a, const char *b) {
    int w = snprintf(buf, len, "%s/%s", a, b);
    if (w < 0 || (size_t)w >= len) {
        buf[0] = 0;
        return -1;
    }
    return 0;
}

/* A whole file, NUL-terminated; NULL when it is missing (*missing = 1) or unreadable. */
static char *read_file(const char *path, size_t *len, int *missing) {
    text t = {0};
    int bad = text_read_file(&t, path);
    *missing = bad && errno == ENOENT;
    if (bad || t.failed) {
        text_free(&t);
        return NULL;
    }
    if (len)
        *len = t.n;
    return t.s;
}

static void esc_n(text *t, const char *s, size_t n) {
    for (size_t i = 0; i < n && s[i]; i++) {
        switch (s[i]) {
        case '&':
            text_printf(t, "&amp;");
            break;
        case '<':
            text_printf(t, "&lt;");
            break;
        case '>':
            text_printf(t, "&gt;");
            break;
        case '"':
            text_printf(t, "&quot;");
            break;
        default:
            text_printf(t, "%c", s[i]);
        }
    }
}

static void esc(text *t, const char *s) {
    esc_n(t, s, strlen(s));
}

/* ---- markdown, the subset claims.c and plot write: headings, pipe tables, paragraphs, `code`
 * and **bold** ---- */

static void md_inline(text *t, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const char *rest = s + i;
        size_t left = n - i;
        const char *close = NULL;
        if (*rest == '`' && (close = memchr(rest + 1, '`', left - 1))) {
            text_printf(t, "<code>");
            esc_n(t, rest + 1, (size_t)(close - rest - 1));
            text_printf(t, "</code>");
            i += (size_t)(close - rest) + 1;
        } else if (left > 4 && !strncmp(rest, "**", 2) && (close = strstr(rest + 2, "**")) &&
                   close < s + n) {
            text_printf(t, "<strong>");
            esc_n(t, rest + 2, (size_t)(close - rest - 2));
            text_printf(t, "</strong>");
            i += (size_t)(close - rest) + 2;
        } else {
            esc_n(t, rest, 1);
            i++;
        }
    }
}

/* The verdict class of a table cell, so the page colours it (and keeps the word for print). */
static const char *verdict_class(const char *cell, size_t n) {
    static const struct {
        const char *word, *cls;
    } v[] = {{"does not hold", "v-no"}, {"not significant", "v-ns"},
             {"not measured", "v-ns"},  {"unclear", "v-ns"},
             {"equivalent", "v-eq"},    {"holds or equivalent", "v-yeq"},
             {"holds", "v-yes"}};
    char buf[64];
    if (n >= sizeof buf)
        return NULL;
    memcpy(buf, cell, n);
    buf[n] = 0;
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (!strncmp(buf, v[i].word, strlen(v[i].word)))
            return v[i].cls;
    return NULL;
}

/* Splits "| a | b |" into cells (trimmed); returns the count. */
static size_t split_row(const char *line, size_t len, const char **cell, size_t *cell_len,
                        size_t max) {
    size_t n = 0, i = 0;
    while (i < len && line[i] == ' ')
        i++;
    if (i < len && line[i] == '|')
        i++;
    while (i < len && n < max) {
        size_t start = i;
        while (i < len && line[i] != '|')
            i++;
        size_t a = start, b = i;
        while (a < b && line[a] == ' ')
            a++;
        while (b > a && line[b - 1] == ' ')
            b--;
        if (i < len || b > a) {
            cell[n] = line + a;
            cell_len[n++] = b - a;
        }
        if (i < len)
            i++;
    }
    return n;
}

typedef struct {
    text *body;     /* the page */
    text *verdicts; /* rows of the summary table: claim, scope, verdict linking to the row */
    char scope[160];
    unsigned rows;      /* claim rows seen: their ids */
    const char *prefix; /* id prefix of this document ("claims", "headline") */
} md_state;

static void md_table(md_state *st, const char **lines, const size_t *lens, size_t n) {
    const char *cell[32];
    size_t cl[32];
    size_t nh = split_row(lines[0], lens[0], cell, cl, 32);
    size_t verdict_col = (size_t)-1;
    for (size_t c = 0; c < nh; c++)
        if (cl[c] == 7 && !strncmp(cell[c], "verdict", 7))
            verdict_col = c;
    text_printf(st->body, "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
    for (size_t c = 0; c < nh; c++) {
        text_printf(st->body, "<th scope=\"col\">");
        md_inline(st->body, cell[c], cl[c]);
        text_printf(st->body, "</th>");
    }
    text_printf(st->body, "</tr></thead><tbody>\n");
    for (size_t r = 2; r < n; r++) { /* line 1 is the |---| rule */
        size_t nc = split_row(lines[r], lens[r], cell, cl, 32);
        char id[64] = "";
        if (verdict_col < nc) {
            snprintf(id, sizeof id, "%s-%u", st->prefix, ++st->rows);
            text_printf(st->body, "<tr id=\"%s\">", id);
        } else {
            text_printf(st->body, "<tr>");
        }
        for (size_t c = 0; c < nc; c++) {
            const char *cls = c == verdict_col ? verdict_class(cell[c], cl[c]) : NULL;
            text_printf(st->body, cls ? "<td class=\"%s\">" : "<td>", cls);
            md_inline(st->body, cell[c], cl[c]);
            text_printf(st->body, "</td>");
        }
        text_printf(st->body, "</tr>\n");
        if (id[0] && st->verdicts) {
            const char *cls = verdict_class(cell[verdict_col], cl[verdict_col]);
            text_printf(st->verdicts, "<tr><td>");
            md_inline(st->verdicts, cell[0], cl[0]);
            text_printf(st->verdicts, "</td><td>");
            esc(st->verdicts, st->scope);
            text_printf(st->verdicts, "</td><td class=\"%s\"><a href=\"#%s\">", cls ? cls : "v-ns",
                        id);
            md_inline(st->verdicts, cell[verdict_col], cl[verdict_col]);
            text_printf(st->verdicts, "</a></td></tr>\n");
        }
    }
    text_printf(st->body, "</tbody></table></div>\n");
}

/* Converts a markdown document; its top heading is dropped (the page gives its own). */
static void md_document(md_state *st, const char *md) {
    const char *lines[4096];
    size_t lens[4096], n = 0;
    for (const char *p = md; *p && n < 4096;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        lines[n] = p;
        lens[n++] = len;
        p += len + (e != NULL);
    }
    for (size_t i = 0; i < n;) {
        const char *l = lines[i];
        size_t len = lens[i];
        if (!len) {
            i++;
        } else if (l[0] == '#') {
            size_t level = 0;
            while (level < len && l[level] == '#')
                level++;
            const char *h = l + level;
            size_t hl = len - level;
            while (hl && *h == ' ')
                h++, hl--;
            if (level > 1) {
                text_printf(st->body, "<h%zu>", level + 1 > 6 ? 6 : level + 1);
                md_inline(st->body, h, hl);
                text_printf(st->body, "</h%zu>\n", level + 1 > 6 ? 6 : level + 1);
                snprintf(st->scope, sizeof st->scope, "%.*s", (int)hl, h);
            }
            i++;
        } else if (l[0] == '|') {
            size_t j = i;
            while (j < n && lens[j] && lines[j][0] == '|')
                j++;
            if (j - i >= 2)
                md_table(st, lines + i, lens + i, j - i);
            i = j;
        } else {
            text_printf(st->body, "<p>");
            while (i < n && lens[i] && lines[i][0] != '#' && lines[i][0] != '|') {
                md_inline(st->body, lines[i], lens[i]);
                text_printf(st->body, " ");
                i++;
            }
            text_printf(st->body, "</p>\n");
        }
    }
}

/* ---- figures ---- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in `dir` ending in `suffix` (directories when suffix is NULL). */
static size_t list_dir(const char *dir, const char *suffix, char **names, size_t max) {
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        if (join(path, sizeof path, dir, e->d_name) || stat(path, &sb))
            continue;
        size_t len = strlen(e->d_name);
        int ok = suffix ? S_ISREG(sb.st_mode) && len > strlen(suffix) &&
                              !strcmp(e->d_name + len - strlen(suffix), suffix)
                        : S_ISDIR(sb.st_mode);
        if (ok && (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    return n;
}

/* Ids already given in one figure: gnuplot repeats some (a plot's group in the key and in the
 * graph), and a page needs every id once. */
typedef struct {
    char *names[4096];
    size_t n;
} id_seen;

static unsigned id_repeats(id_seen *s, const char *name, size_t len) {
    unsigned count = 0;
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->names[i]) == len && !strncmp(s->names[i], name, len))
            count++;
    if (s->n < sizeof s->names / sizeof *s->names && (s->names[s->n] = strndup(name, len)))
        s->n++;
    return count;
}

/* An SVG file's <svg>...</svg>, its ids prefixed (and repeats numbered) so that several figures
 * share one page; references to ids get the same prefix. */
static void inline_svg(text *t, const char *svg, const char *prefix) {
    const char *p = strstr(svg, "<svg");
    if (!p) {
        text_printf(t, "<p class=\"missing\">not an SVG file</p>");
        return;
    }
    const char *end = strstr(p, "</svg>");
    size_t n = end ? (size_t)(end - p) + 6 : strlen(p);
    static const char *const refs[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
    id_seen seen = {.n = 0};
    for (size_t i = 0; i < n;) {
        size_t k = 0, len = 0;
        for (; k < sizeof refs / sizeof *refs; k++) {
            len = strlen(refs[k]);
            if (i + len <= n && !strncmp(p + i, refs[k], len) &&
                (k > 1 || p[i - 1] == ' ' || p[i - 1] == '\t'))
                break;
        }
        if (k == sizeof refs / sizeof *refs) {
            text_printf(t, "%c", p[i++]);
            continue;
        }
        text_printf(t, "%.*s%s-", (int)len, p + i, prefix);
        i += len;
        if (k <= 1) { /* an id: copy it, numbering a repeat */
            size_t e = i;
            while (e < n && p[e] != refs[k][3])
                e++;
            unsigned r = id_repeats(&seen, p + i, e - i);
            text_printf(t, "%.*s", (int)(e - i), p + i);
            if (r)
                text_printf(t, "-%u", r + 1);
            i = e;
        }
    }
    for (size_t i = 0; i < seen.n; i++)
        free(seen.names[i]);
}

/* "fig05_mse_m8_free-imap" -> "Figure 5: MSE against the compression ratio, m = 8 (free-imap)". */
static void caption(text *t, const char *name) {
    unsigned num = 0;
    char metric[16] = "", dim = 0;
    unsigned v = 0;
    int free_imap = strstr(name, "free-imap") != NULL;
    const char *acc = free_imap ? "free-imap accounting: indicator maps not charged"
                                : "full accounting: every stored bit charged";
    if (sscanf(name, "fig%u_%15[a-z]_%c%u", &num, metric, &dim, &v) == 4) {
        for (char *c = metric; *c; c++)
            *c = (char)(*c - 'a' + 'A');
        if (dim == 'm')
            text_printf(t,
                        "Figure %u: %s against the achieved compression ratio at m = %u, a "
                        "curve per method (QET per l); %s",
                        num, metric, v, acc);
        else
            text_printf(t,
                        "Figure %u: %s of QET at l = %u against the compression ratio, a curve "
                        "per m; %s",
                        num, metric, v, acc);
    } else if (!strncmp(name, "down_", 5)) {
        int scatter = !strncmp(name, "down_mse_", 9);
        const downstream_metric *dm = NULL;
        size_t cl = 0;
        for (size_t k = 0; !dm && k < downstream_count(); k++) {
            cl = strlen(downstream_at(k)->column);
            if (!strncmp(name + (scatter ? 9 : 5), downstream_at(k)->column, cl))
                dm = downstream_at(k);
        }
        if (dm && scatter)
            text_printf(t,
                        "MSE against %s, a point per cell (method, m, ratio, seed); Spearman's "
                        "rank correlation over the cells in the title (%s is better); %s",
                        dm->label, dm->better > 0 ? "higher" : "lower", acc);
        else if (dm && sscanf(name + 5 + cl, "_m%u", &v) == 1)
            text_printf(t,
                        "%s against the achieved compression ratio at m = %u, a curve per method "
                        "(QET per l); %s",
                        dm->label, v, acc);
        else
            esc(t, name);
    } else if (!strncmp(name, "mse_bits", 8)) {
        text_printf(t,
                    "MSE against stored bits per element, a curve per method at its best m "
                    "(the Gaussian rate-distortion bound on Gaussian data); %s",
                    acc);
    } else {
        esc(t, name);
    }
}

typedef struct {
    const char *title;
    unsigned lo, hi;    /* figure numbers; 0, 0: by prefix, or the rest */
    const char *prefix; /* names it holds (lo, hi 0); NULL: the rest */
} fig_group;

static void figures(text *body, text *toc, const char *dir, const result_table *t,
                    size_t *n_figures) {
    static const fig_group groups[] = {
        {"Figures 3–14: error against compression ratio, by m", 3, 14, NULL},
        {"Figures 15–26: QET at l = 1..4, by m", 15, 26, NULL},
        {"Downstream: recall and model fidelity against compression ratio, and MSE against them", 0,
         0, "down_"},
        {"MSE against stored bits", 0, 0, NULL},
    };
    char figdir[4096];
    if (join(figdir, sizeof figdir, dir, "figures"))
        return;
    char *datasets[64];
    size_t nd = list_dir(figdir, NULL, datasets, 64);
    for (size_t d = 0; d < nd; d++) {
        char sub[4096];
        if (join(sub, sizeof sub, figdir, datasets[d])) {
            free(datasets[d]);
            continue;
        }
        char *svgs[512];
        size_t ns = list_dir(sub, ".svg", svgs, 512);
        text_printf(body, "<section id=\"figures-%zu\"><h2>Figures: ", d + 1);
        esc(body, datasets[d]);
        text_printf(body, "</h2>\n");
        text_printf(toc, "<li><a href=\"#figures-%zu\">Figures: ", d + 1);
        esc(toc, datasets[d]);
        text_printf(toc, "</a></li>\n");
        /* the methods recorded infeasible at some ratio, on this dataset */
        text_printf(body, "<p>Recorded infeasible here (no setting fits the budget): ");
        int any = 0;
        for (size_t i = 0; i < t->n; i++) {
            const result_row *r = &t->rows[i];
            if (strcmp(r->dataset, datasets[d]) || strcmp(r->status, RESULT_INFEASIBLE) ||
                r->seed_index != 1)
                continue;
            text_printf(body, "%s", any++ ? "; " : "");
            esc(body, r->label);
            text_printf(body, " (m = %llu, l = %u, ratio %g, %s)", (unsigned long long)r->subspaces,
                        r->iterations, r->target_ratio, r->accounting);
        }
        text_printf(body, "%s.</p>\n", any ? "" : "none");
        for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
            int opened = 0;
            for (size_t i = 0; i < ns; i++) {
                unsigned num = 0;
                int numbered = sscanf(svgs[i], "fig%u", &num) == 1,
                    down = !strncmp(svgs[i], "down_", 5);
                if (groups[g].lo       ? !numbered || num < groups[g].lo || num > groups[g].hi
                    : groups[g].prefix ? !down
                                       : numbered || down)
                    continue;
                if (!opened++)
                    text_printf(body, "<h3>%s</h3>\n", groups[g].title);
                char path[4096];
                int missing;
                char *svg =
                    join(path, sizeof path, sub, svgs[i]) ? NULL : read_file(path, NULL, &missing);
                char prefix[32];
                snprintf(prefix, sizeof prefix, "f%zu", ++*n_figures);
                text_printf(body, "<figure id=\"%s\" class=\"figure\">", prefix);
                if (svg)
                    inline_svg(body, svg, prefix);
                else
                    text_printf(body, "<p class=\"missing\">cannot read this figure</p>");
                free(svg);
                text_printf(body, "<figcaption>");
                svgs[i][strlen(svgs[i]) - 4] = 0;
                caption(body, svgs[i]);
                text_printf(body, " <span class=\"file\">(");
                esc(body, svgs[i]);
                text_printf(body, ".svg)</span></figcaption></figure>\n");
            }
        }
        text_printf(body, "</section>\n");
        for (size_t i = 0; i < ns; i++)
            free(svgs[i]);
        free(datasets[d]);
    }
}

/* ---- summary and provenance ---- */

typedef struct {
    const char *items[64];
    size_t n;
} name_set;

static void name_add(name_set *s, const char *v) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->items[i], v))
            return;
    if (s->n < 64)
        s->items[s->n++] = v;
}

static void name_list(text *t, const name_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        text_printf(t, "%s", i ? ", " : "");
        esc(t, s->items[i]);
    }
}

static void summary(text *t, const result_table *r) {
    name_set exp = {0}, ds = {0}, labels = {0}, accs = {0};
    unsigned seeds = 0;
    size_t ok = 0, infeasible = 0, invalid = 0;
    for (size_t i = 0; i < r->n; i++) {
        const result_row *x = &r->rows[i];
        name_add(&exp, x->experiment);
        name_add(&ds, x->dataset);
        name_add(&labels, x->label);
        name_add(&accs, x->accounting);
        if (x->seed_index > seeds)
            seeds = x->seed_index;
        ok += !strcmp(x->status, RESULT_OK);
        infeasible += !strcmp(x->status, RESULT_INFEASIBLE);
        invalid += !strcmp(x->status, RESULT_INVALID);
    }
    text_printf(t, "<dl class=\"facts\"><dt>experiment</dt><dd>");
    name_list(t, &exp);
    text_printf(t, "</dd><dt>data sets</dt><dd>");
    name_list(t, &ds);
    text_printf(t, "</dd><dt>methods</dt><dd>");
    name_list(t, &labels);
    text_printf(t, "</dd><dt>seeds</dt><dd>%u</dd><dt>accounting</dt><dd>", seeds);
    name_list(t, &accs);
    text_printf(t, "</dd><dt>cells</dt><dd>%zu: %zu ok, %zu infeasible, %zu invalid</dd></dl>\n",
                r->n, ok, infeasible, invalid);
}

static void provenance(text *t, const char *dir, const result_table *r) {
    text_printf(t, "<section id=\"provenance\"><h2>Provenance</h2>\n<dl class=\"facts\">");
    name_set revs = {0}, vers = {0};
    double cell_seconds = 0;
    for (size_t i = 0; i < r->n; i++) {
        name_add(&revs, r->rows[i].revision);
        name_add(&vers, r->rows[i].versions);
        double q = r->rows[i].seconds_quantize, d = r->rows[i].seconds_dequantize;
        cell_seconds += (q > 0 ? q : 0) + (d > 0 ? d : 0);
    }
    text_printf(t, "<dt>revision</dt><dd>");
    name_list(t, &revs);
    text_printf(t, "</dd><dt>libraries</dt><dd>");
    name_list(t, &vers);
    text_printf(t, "</dd><dt>this page</dt><dd>written by qetbench %s (%s)</dd>", QB_VERSION,
                qb_revision());
    struct utsname u;
    if (!uname(&u)) {
        text_printf(t, "<dt>machine</dt><dd>");
        esc(t, u.sysname);
        text_printf(t, " ");
        esc(t, u.release);
        text_printf(t, " ");
        esc(t, u.machine);
        text_printf(t, ", %ld CPUs online</dd>", sysconf(_SC_NPROCESSORS_ONLN));
    }
    text_printf(t,
                "<dt>time in cells</dt><dd>%.1f s of quantize and dequantize, summed over "
                "cells</dd>",
                cell_seconds);
    char path[4096];
    int missing;
    char *runs = join(path, sizeof path, dir, "runs.log") ? NULL : read_file(path, NULL, &missing);
    text_printf(t, "<dt>runs</dt><dd>");
    if (runs) {
        text_printf(t, "<pre>");
        esc(t, runs);
        text_printf(t, "</pre>");
    } else {
        text_printf(t, "no runs.log (results merged or written by an older version)");
    }
    free(runs);
    text_printf(t, "</dd>");
    char *exp =
        join(path, sizeof path, dir, "experiment.lua") ? NULL : read_file(path, NULL, &missing);
    char hex[65] = "";
    qb_error e = {0};
    text_printf(t, "<dt>experiment file</dt><dd>");
    if (exp && !sha256_file_hex(path, hex, &e)) {
        text_printf(t, "experiment.lua, SHA-256 <code>%s</code><pre>", hex);
        esc(t, exp);
        text_printf(t, "</pre>");
    } else {
        text_printf(t, "not stored beside the results");
    }
    free(exp);
    text_printf(t, "</dd><dt>files</dt><dd>");
    static const char *const files[] = {
        "results.csv", "results.h5", "summary.csv",     "headline.csv",  "headline.md",
        "claims.md",   "claims.csv", "comparisons.csv", "downstream.md", "downstream.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        if (join(path, sizeof path, dir, files[i]) || access(path, R_OK))
            continue;
        text_printf(t, "<a href=\"%s\">%s</a> ", files[i], files[i]);
    }
    text_printf(t, "(beside this page)</dd></dl></section>\n");
}

/* Style and the few lines of script that sort tables; the page reads the same without it. */
static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>qetbench report</title>\n<style>\n"
    "body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}\n"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:13px}\n"
    "th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}\n"
    "th{background:#f2f2f2;cursor:pointer}\n"
    ".scroll{overflow-x:auto}\n"
    ".v-yes{background:#d7f0d2}.v-no{background:#f6d3d0}.v-ns{background:#eee}"
    ".v-eq{background:#dce8f6}.v-yeq{background:#e6f4d8}\n"
    "td a{color:inherit}\n"
    "figure{margin:1.5em 0;break-inside:avoid;page-break-inside:avoid}\n"
    "figure svg{width:100%;height:auto;max-width:960px;display:block}\n"
    "figcaption{font-size:13px;color:#444}.file{color:#888}\n"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 1em}\n"
    "dl.facts dt{font-weight:600}dl.facts dd{margin:0}\n"
    "pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:12px}\n"
    "@media print{body{max-width:none;margin:0}th{cursor:auto}.scroll{overflow:visible}"
    "a{color:inherit;text-decoration:none}nav{display:none}"
    "h2{break-after:avoid;page-break-after:avoid}tr{break-inside:avoid}}\n"
    "</style>\n</head><body>\n";

static const char page_script[] =
    "<script>\n"
    "document.querySelectorAll('table.sortable th').forEach(function(th){\n"
    " th.addEventListener('click',function(){\n"
    "  var tb=th.closest('table').tBodies[0],i=th.cellIndex,up=th.dataset.up!=='1';\n"
    "  th.dataset.up=up?'1':'0';\n"
    "  var key=function(r){var s=r.cells[i]?r.cells[i].textContent:'',"
    "f=parseFloat(s);return isNaN(f)?s:f;};\n"
    "  Array.from(tb.rows).sort(function(a,b){var x=key(a),y=key(b);"
    "return (x<y?-1:x>y?1:0)*(up?1:-1);}).forEach(function(r){tb.appendChild(r);});\n"
    " });\n});\n"
    "</script>\n";

static int append_md(md_state *st, const char *dir, const char *name, qb_error *err) {
    char path[4096];
    if (join(path, sizeof path, dir, name))
        return qb_fail(err, "path too long: %s/%s", dir, name);
    int missing;
    char *md = read_file(path, NULL, &missing);
    if (!md && !missing)
        return qb_fail(err, "cannot read %s: %s", path, strerror(errno));
    if (!md) {
        text_printf(st->body, "<p class=\"missing\">%s was not written (run qetbench plot %s).</p>",
                    name, dir);
        return QB_OK;
    }
    md_document(st, md);
    free(md);
    return QB_OK;
}

int report_write(const char *dir, const char *out, qb_error *err) {
    result_table t;
    int s = results_read(dir, &t, err);
    if (s)
        return s;
    if (!t.n) {
        result_table_free(&t);
        return qb_fail(err, "%s/results.csv holds no results", dir);
    }
    text body = {0}, verdicts = {0}, toc = {0}, page = {0};
    md_state claims = {&body, &verdicts, "", 0, "claim"};
    md_state headline = {&body, NULL, "", 0, "headline"};
    text_printf(&body, "<section id=\"headline\"><h2>Headline</h2>\n");
    s = append_md(&headline, dir, "headline.md", err);
    text_printf(&body, "</section>\n<section id=\"claims\"><h2>Claims</h2>\n");
    if (!s)
        s = append_md(&claims, dir, "claims.md", err);
    text_printf(&body, "</section>\n");
    /* the downstream tables, when a metric was measured (downstream.md exists then) */
    char dpath[4096];
    int has_down = !join(dpath, sizeof dpath, dir, "downstream.md") && access(dpath, R_OK) == 0;
    md_state down = {&body, NULL, "", 0, "downstream"};
    if (!s && has_down) {
        text_printf(&body, "<section id=\"downstream\"><h2>Downstream</h2>\n");
        s = append_md(&down, dir, "downstream.md", err);
        text_printf(&body, "</section>\n");
        text_printf(&toc, "<li><a href=\"#downstream\">Downstream</a></li>\n");
    }
    size_t n_figures = 0;
    if (!s)
        figures(&body, &toc, dir, &t, &n_figures);
    if (!s) {
        provenance(&body, dir, &t);
        char date[64];
        time_t now = time(NULL);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
        text_printf(&page, "%s<h1>qetbench report: ", page_head);
        esc(&page, t.rows[0].experiment);
        text_printf(&page, "</h1>\n<p>Written %s from <code>", date);
        esc(&page, dir);
        text_printf(&page, "</code>. Every number below comes from the results beside this "
                           "page; the verdicts report what the data show.</p>\n");
        summary(&page, &t);
        text_printf(&page,
                    "<nav><ul><li><a href=\"#verdicts\">Verdicts</a></li>"
                    "<li><a href=\"#headline\">Headline</a></li>"
                    "<li><a href=\"#claims\">Claims</a></li>\n%s"
                    "<li><a href=\"#provenance\">Provenance</a></li></ul></nav>\n",
                    toc.s ? toc.s : "");
        text_printf(&page,
                    "<section id=\"verdicts\"><h2>Verdicts</h2>\n<p>Each claim of the "
                    "paper's §5 as measured, per data set and accounting; a verdict links "
                    "to its evidence.</p>\n<table class=\"sortable\"><thead><tr><th "
                    "scope=\"col\">claim</th><th scope=\"col\">where</th><th "
                    "scope=\"col\">verdict</th></tr></thead><tbody>\n%s</tbody></table>"
                    "</section>\n",
                    verdicts.s ? verdicts.s : "");
        text_printf(&page, "%s<p>%zu figures.</p>\n%s</body></html>\n", body.s ? body.s : "",
                    n_figures, page_script);
        page.failed |= body.failed | verdicts.failed | toc.failed;
        char path[4096];
        if (!out && join(path, sizeof path, dir, "report.html"))
            s = qb_fail(err, "path too long: %s/report.html", dir);
        else if (page.failed)
            s = qb_oom(err);
        else
            s = results_write_text(out ? out : path, page.s, page.n, err);
    }
    text_free(&body);
    text_free(&verdicts);
    text_free(&toc);
    text_free(&page);
    result_table_free(&t);
    return s;
}
