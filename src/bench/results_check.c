/* results_check.c - finds the bad lines of a results file and drops them on request, keeping a
 * copy of the original first. */
#include "results_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "results.h"
#include "text.h"

typedef struct {
    const char *dir;
    FILE *out;
    results_check_report *rep;
    text good; /* the lines kept, as written */
} check_ctx;

static int check_line(const results_line *l, void *ctx) {
    check_ctx *c = ctx;
    c->rep->rows++;
    if (l->first_line) {
        c->rep->duplicates++;
        fprintf(c->out, "%s/results.csv:%ld: cell '%s' is already on line %ld\n", c->dir, l->line,
                l->row->key, l->first_line);
    } else if (l->problem) {
        c->rep->bad++;
        fprintf(c->out, "%s/results.csv:%ld: %s\n", c->dir, l->line, l->problem);
    } else {
        text_printf(&c->good, "%s\n", l->text);
    }
    return QB_OK;
}

/* The header line of DIR/results.csv, with its newline, into t. */
static int header_line(const char *path, text *t, qb_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return qb_fail(err, "cannot read %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    fclose(f);
    if (len > 0)
        text_printf(t, "%s", line);
    free(line);
    return len > 0 ? QB_OK : qb_fail(err, "%s has no header", path);
}

/* A copy of the whole file, byte for byte, at DIR/results.csv.bad-YYYYMMDD-HHMMSS[-N]. */
static int keep_copy(const char *path, char *copy, size_t len, qb_error *err) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        int e = errno;
        if (f)
            fclose(f);
        return qb_fail(err, "cannot read %s: %s", path, strerror(e));
    }
    char *all = malloc((size_t)st.st_size + 1);
    size_t got = all ? fread(all, 1, (size_t)st.st_size, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!all)
        return qb_oom(err);
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(copy, len, "%s.bad-%s", path, stamp);
    for (int i = 2; stat(copy, &st) == 0; i++)
        snprintf(copy, len, "%s.bad-%s-%d", path, stamp, i);
    int s = bad ? qb_fail(err, "cannot read %s", path) : results_write_text(copy, all, got, err);
    free(all);
    return s;
}

int results_check(const char *dir, int repair, FILE *out, results_check_report *rep,
                  qb_error *err) {
    memset(rep, 0, sizeof *rep);
    char path[4096];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return qb_fail(err, "%s: %s", path, strerror(errno));
    check_ctx c = {dir, out, rep, {0}};
    int s = header_line(path, &c.good, err);
    if (!s)
        s = results_scan(dir, check_line, &c, err);
    if (!s && c.good.failed)
        s = qb_oom(err);
    if (!s && repair && rep->bad + rep->duplicates) {
        s = keep_copy(path, rep->copy, sizeof rep->copy, err);
        if (!s)
            s = results_write_text(path, c.good.s, c.good.n, err);
    }
    text_free(&c.good);
    return s;
}
