/* names.c - what makes a name safe to use as a file name. */
#include "names.h"

#include <ctype.h>
#include <string.h>

const char *name_problem(const char *name) {
    if (!*name)
        return "must not be empty";
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return "names a directory (. and .. are refused)";
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_+.=", *p))
            return "may use letters, digits and - _ + . = only";
    return NULL;
}
