/* cmd_report.c - `qetbench report DIR`: one self-contained HTML page of a results directory. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "html.h"

static const char usage[] =
    "usage: qetbench report DIR [-o FILE]\n"
    "  writes DIR/report.html (or FILE): the verdicts, the headline and claims tables, every "
    "figure\n"
    "  inline and the provenance of the run, in one file that needs no network\n"
    "  (qetbench run and qetbench plot write it too when they draw figures)\n";

int cmd_report(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("report", argc, argv, err);
        }
    }
    if (optind + 1 != argc)
        return qb_fail(err,
                       "report needs exactly one results directory (see qetbench report --help)");
    int s = report_write(argv[optind], out, err);
    if (!s && out)
        fprintf(stderr, "report: %s\n", out);
    else if (!s)
        fprintf(stderr, "report: %s/report.html\n", argv[optind]);
    return s;
}
