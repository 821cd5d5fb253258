/* results_check.h - `qetbench results check DIR`: every bad line of DIR/results.csv (malformed,
 * a value its column cannot hold, a name that is a path, a non-finite number where one is needed,
 * a cell already on an earlier line, a last line cut by a kill), and with repair the same file
 * without them, after the original is kept as DIR/results.csv.bad-TIME. */
#ifndef QB_RESULTS_CHECK_H
#define QB_RESULTS_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef struct {
    size_t rows;       /* lines after the header */
    size_t bad;        /* of which malformed or invalid */
    size_t duplicates; /* of which a cell an earlier line holds (the first is kept) */
    char copy[4300];   /* repair: where the original was kept ("" when nothing changed) */
} results_check_report;

/* Lists each bad line on `out` (file:line: why). With repair and bad lines, keeps the original
 * and rewrites results.csv with the good ones, atomically; the caller then rebuilds the derived
 * files (sweep_finalize). */
int results_check(const char *dir, int repair, FILE *out, results_check_report *rep, qb_error *err);

#endif
