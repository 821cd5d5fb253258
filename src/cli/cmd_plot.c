/* cmd_plot.c - `qetbench plot DIR`: figures, headline and claims tables from a results directory,
 * without re-running anything. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "html.h"
#include "plot.h"

static const char usage[] =
    "usage: qetbench plot DIR [--no-draw]\n"
    "  writes DIR/figures/<dataset>/ (gnuplot data, scripts, PNG and SVG for paper Figures 3-26),\n"
    "  DIR/headline.md, DIR/headline.csv and DIR/claims.md from DIR/results.csv\n"
    "  --no-draw   write the data and scripts but do not run gnuplot\n";

int cmd_plot(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {
        {"no-draw", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, draw = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            draw = 0;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("plot", argc, argv, err);
        }
    }
    if (optind + 1 != argc)
        return qb_fail(err, "plot needs exactly one results directory (see qetbench plot --help)");
    int s = plot_all(argv[optind], draw, err);
    if (!s && draw)
        s = report_write(argv[optind], NULL, err);
    if (!s)
        fprintf(stderr, "figures in %s/figures/, tables in %s/headline.md and %s/claims.md%s%s%s\n",
                argv[optind], argv[optind], argv[optind], draw ? ", the page " : "",
                draw ? argv[optind] : "", draw ? "/report.html" : "");
    return s;
}
