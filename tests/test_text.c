/* test_text.c - the growing text buffer: appends grow it, and a failed append leaves the text as
 * it was and fails it for good, so its writers can refuse to save an incomplete file. */
#include <string.h>
#include <wchar.h>

#include "check.h"
#include "text.h"

int main(void) {
    text t = {0};
    text_printf(&t, "%s", "");
    CHECK(t.s && t.n == 0 && !t.failed);
    for (int i = 0; i < 1000; i++)
        text_printf(&t, "%d,", i % 10);
    CHECK(t.n == 2000 && strlen(t.s) == 2000 && !strncmp(t.s + 1990, "5,6,7,8,9,", 10));
    text_free(&t);
    CHECK(!t.s && !t.n && !t.cap && !t.failed);

    /* A failed append: out of memory cannot be had on demand, an encoding error can (a
     * character outside ASCII in the C locale). vsnprintf writes "abc" before it fails. */
    text_printf(&t, "hello");
    text_printf(&t, "abc%ls", L"\u00e9");
    CHECK(t.failed && t.n == 5 && !strcmp(t.s, "hello"));
    text_printf(&t, " world");
    CHECK(t.failed && t.n == 5 && !strcmp(t.s, "hello"));
    text_free(&t);
    CHECK(!t.failed);

    /* the first append failing leaves no text at all */
    text_printf(&t, "%ls", L"\u00e9");
    CHECK(t.failed && (!t.s || !t.s[0]) && t.n == 0);
    text_free(&t);
    return check_done("text");
}
