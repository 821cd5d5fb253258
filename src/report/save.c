/* save.c - a table of the report to its file. */
#include "save.h"

#include <stdio.h>

#include "results.h"

void csv_text(text *csv, const char *s) {
    text_printf(csv, ",");
    for (; *s; s++)
        text_printf(csv, "%c", *s == ',' ? ';' : *s == '"' ? '\'' : *s);
}

int report_save(const char *dir, const char *name, const text *t, qb_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!t->s || t->failed)
        return qb_oom(err);
    return results_write_text(path, t->s, t->n, err);
}
