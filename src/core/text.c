/* text.c - appending formatted text to a buffer that grows as needed. */
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text stays what it was before the failed append (vsnprintf may have left a cut piece
 * after it). */
static void fail(text *t) {
    t->failed = 1;
    if (t->s)
        t->s[t->n] = '\0';
}

/* Room for `need` more bytes and the terminator; 0 (and the buffer failed) when memory ran out. */
static int grow(text *t, size_t need) {
    size_t cap = (t->cap + need + 1) * 2;
    char *s = realloc(t->s, cap);
    if (!s) {
        fail(t);
        return 0;
    }
    t->s = s;
    t->cap = cap;
    return 1;
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
        if (!grow(t, (size_t)w))
            return;
    }
}

void text_append(text *t, const char *data, size_t n) {
    if (t->failed)
        return;
    if ((!t->s || t->n + n >= t->cap) && !grow(t, n))
        return;
    memcpy(t->s + t->n, data, n);
    t->n += n;
    t->s[t->n] = '\0';
}

int text_read_file(text *t, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        text_append(t, buf, got);
    int bad = ferror(f), saved = errno;
    fclose(f);
    errno = saved;
    if (!t->s)
        text_append(t, "", 0); /* an empty file is an empty string, not NULL */
    return bad ? -1 : 0;
}

void text_free(text *t) {
    free(t->s);
    *t = (text){0};
}
