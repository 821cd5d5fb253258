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
void text_free(text *t);

#endif
