/* text.c - appending formatted text to a buffer that grows as needed. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The text stays what it was before the failed append (vsnprintf may have left a cut piece
 * after it). */
static void fail(text *t) {
    t->failed = 1;
    if (t->s)
        t->s[t->n] = '\0';
}

void text_printf(text *t, const char *fmt, ...) {
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            fail(t);
            return;
        }
        if (t->s && t->n + (size_t)w < t->cap) {
            t->n += (size_t)w;
            return;
        }
        size_t cap = (t->cap + (size_t)w + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            fail(t);
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

void text_free(text *t) {
    free(t->s);
    *t = (text){0};
}
