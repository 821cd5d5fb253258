/* text.h - a growing text buffer, for the tables, data files and gnuplot scripts the harness
 * writes. A failed append (out of memory) leaves the text as it was and marks it failed, for good:
 * later appends do nothing, a text built from a failed one must take its flag
 * (`whole.failed |= part.failed`), and whoever saves it reports qb_oom instead of writing an
 * incomplete file. */
#ifndef QB_TEXT_H
#define QB_TEXT_H

#include <stddef.h>

typedef struct {
    char *s; /* NUL-terminated, or NULL while empty */
    size_t n, cap;
    int failed; /* an append failed: the text is incomplete */
} text;

void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n bytes as they are (NUL bytes included; the text stays NUL-terminated). */
void text_append(text *t, const char *data, size_t n);
/* Appends the whole file at path: 0, or -1 with errno set (0 for out of memory: t->failed). */
int text_read_file(text *t, const char *path);
void text_free(text *t);

#endif
