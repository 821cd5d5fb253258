/* html.h - one self-contained page per results directory: the verdicts, the headline and claims
 * tables, every figure inline as SVG, and the provenance of the run. No network: no external
 * script, font, stylesheet or image; it opens from a file and prints. */
#ifndef QB_HTML_H
#define QB_HTML_H

#include "error.h"

/* Writes `out` (DIR/report.html when NULL) from what DIR holds: results.csv, headline.md,
 * claims.md, the SVG figures under figures/, experiment.lua and runs.log (those present). */
int report_write(const char *dir, const char *out, qb_error *err);

#endif
