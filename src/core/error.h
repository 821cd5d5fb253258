/* error.h - one road for errors: a status code and a message, returned up to the driver.
 * Library code never exits; the driver prints the message on one line and exits with the status. */
#ifndef QB_ERROR_H
#define QB_ERROR_H

enum { QB_OK = 0, QB_EINTERNAL = 1, QB_EINPUT = 2 };

typedef struct {
    int status;     /* QB_OK, QB_EINPUT (bad input: exit 2) or QB_EINTERNAL */
    int infeasible; /* QB_EINPUT because no setting fits the budget (the parameters are valid) */
    char msg[1024];
} qb_error;

/* Record a bad-input error; returns QB_EINPUT so callers can `return qb_fail(...)`. */
int qb_fail(qb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record that no setting of a method fits its budget: QB_EINPUT with `infeasible` set, so a sweep
 * stores an infeasible row rather than an invalid one. */
int qb_infeasible(qb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record an internal failure (allocation, library call); returns QB_EINTERNAL. */
int qb_internal(qb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usual internal failure. */
int qb_oom(qb_error *err);

#endif
