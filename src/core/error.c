/* error.c - formatting of the error record every module returns. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static int record(qb_error *err, int status, const char *fmt, va_list ap) {
    if (err) {
        err->status = status;
        err->infeasible = 0;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        /* An error is one line, whatever a name or a file quoted in it holds. */
        for (char *c = err->msg; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    }
    return status;
}

int qb_fail(qb_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int s = record(err, QB_EINPUT, fmt, ap);
    va_end(ap);
    return s;
}

int qb_infeasible(qb_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int s = record(err, QB_EINPUT, fmt, ap);
    va_end(ap);
    if (err)
        err->infeasible = 1;
    return s;
}

int qb_internal(qb_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int s = record(err, QB_EINTERNAL, fmt, ap);
    va_end(ap);
    return s;
}

int qb_oom(qb_error *err) {
    return qb_internal(err, "out of memory");
}
