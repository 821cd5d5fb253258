/* check.h - a minimal test harness: CHECK records a failure with file:line and keeps going;
 * check_done() prints the tally and gives the exit status meson test reads: failure if any check
 * failed or if none ran. */
#ifndef QB_CHECK_H
#define QB_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol, printing both values when it fails. */
#define CHECK_NEAR(a, b, tol)                                                                      \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.10g vs %.10g (tol %.3g)", (double)(a),  \
              (double)(b), (double)(tol))

/* A call returning a qb status must succeed; prints its message otherwise. */
#define CHECK_OK(call, errp)                                                                       \
    do {                                                                                           \
        int check_s_ = (call);                                                                     \
        CHECK_MSG(check_s_ == 0, "%s -> %d: %s", #call, check_s_, (errp)->msg);                    \
    } while (0)

/* A test that ran no check has tested nothing: that fails too, whatever the reason it ran none. */
static inline int check_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    if (check_count == 0) {
        fprintf(stderr, "%s: FAIL: no check ran, so nothing was tested\n", name);
        return 1;
    }
    return check_failures ? 1 : 0;
}

#endif
