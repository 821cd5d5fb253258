/* text.h - a growing text buffer, for the tables, data files and gnuplot scripts the harness
 * writes. An allocation failure leaves the text as it was; callers check t->s before saving. */
#ifndef QB_TEXT_H
#define QB_TEXT_H

#include <stddef.h>

typedef struct {
    char *s; /* NUL-terminated, or NULL while empty */
    size_t n, cap;
} text;

void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_free(text *t);

#endif
