/* plot.h - figures from a results directory: gnuplot data files and scripts (from the templates
 * in plots/) for paper Figures 3-26, drawn as PNG and SVG; plus the headline and claims tables. */
#ifndef QB_PLOT_H
#define QB_PLOT_H

#include "error.h"
#include "summary.h"

/* Writes DIR/figures/<dataset>/... (.dat, .gp, .png, .svg), DIR/headline.md and DIR/claims.md
 * from DIR/results.csv. draw = 0 writes the data and scripts without running gnuplot. */
int plot_all(const char *dir, int draw, qb_error *err);

/* The gnuplot PNG terminal available: pngcairo when built in, else png. */
const char *plot_png_terminal(void);

#endif
