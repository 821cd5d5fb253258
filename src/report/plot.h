/* plot.h - figures from a results directory: gnuplot data files and scripts (from the templates
 * in plots/) for paper Figures 3-26, drawn as PNG and SVG; plus the summary, headline and claims
 * tables. */
#ifndef QB_PLOT_H
#define QB_PLOT_H

#include "error.h"
#include "summary.h"

typedef struct {
    int draw;      /* 0: write the data and scripts without running gnuplot */
    double margin; /* the claims' equivalence margin, relative (CLAIMS_DEFAULT_MARGIN) */
} plot_options;

/* Writes DIR/figures/<dataset>/... (.dat, .gp, .png, .svg), DIR/summary.csv, DIR/headline.md,
 * DIR/headline.csv, DIR/claims.md, DIR/claims.csv and DIR/comparisons.csv from
 * DIR/results.csv. */
int plot_all(const char *dir, const plot_options *o, qb_error *err);

/* The gnuplot PNG terminal available: pngcairo when built in, else png. */
const char *plot_png_terminal(void);

#endif
