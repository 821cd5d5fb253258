/* cmd_plot.c - `qetbench plot DIR`: figures, headline and claims tables from a results directory,
 * without re-running anything. */
#include <getopt.h>
#include <stdio.h>

#include "claims.h"
#include "cli.h"
#include "html.h"
#include "plot.h"

static const char usage[] =
    "usage: qetbench plot DIR [--no-draw] [--margin PCT]\n"
    "  writes DIR/figures/<dataset>/ (gnuplot data, scripts, PNG and SVG for paper Figures 3-26),\n"
    "  DIR/summary.csv, DIR/headline.{md,csv}, DIR/claims.{md,csv} and DIR/comparisons.csv from\n"
    "  DIR/results.csv\n"
    "  --no-draw     write the data and scripts but do not run gnuplot\n"
    "  --margin PCT  the claims' equivalence margin: a ratio within +-PCT% of MSE is\n"
    "                'equivalent' (TOST; default 5)\n";

int cmd_plot(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {{"no-draw", no_argument, 0, 'n'},
                                         {"margin", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    plot_options o = {1, CLAIMS_DEFAULT_MARGIN};
    int c, s = QB_OK;
    optind = 1;
    while (!s && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o.draw = 0;
            break;
        case 'm':
            s = cli_margin(optarg, &o.margin, err);
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("plot", argc, argv, err);
        }
    }
    if (s)
        return s;
    if (optind + 1 != argc)
        return qb_fail(err, "plot needs exactly one results directory (see qetbench plot --help)");
    s = plot_all(argv[optind], &o, err);
    if (!s && o.draw)
        s = report_write(argv[optind], NULL, err);
    if (!s)
        fprintf(stderr, "figures in %s/figures/, tables in %s/headline.md and %s/claims.md%s%s%s\n",
                argv[optind], argv[optind], argv[optind], o.draw ? ", the page " : "",
                o.draw ? argv[optind] : "", o.draw ? "/report.html" : "");
    return s;
}
