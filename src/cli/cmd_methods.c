/* cmd_methods.c - `qetbench methods`: the methods built in and the option table, for people
 * (a table) and for scripts and tests (--json), straight from the descriptors. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static const char usage[] =
    "usage: qetbench methods [--json]\n"
    "  every method built in: its family, the grid dimensions and options it reads, its presets;\n"
    "  with --json also the option table (type, range, names, default, where it is accepted)\n";

static const char *const family_names[] = {"qet", "pq-family", "paper-scalar", "strong"};

static void json_list(const char *const *items) {
    putchar('[');
    for (size_t i = 0; items && items[i]; i++)
        printf("%s\"%s\"", i ? "," : "", items[i]);
    putchar(']');
}

static void print_json(void) {
    printf("{\"methods\":[");
    for (size_t m = 0; quantizer_at(m); m++) {
        const quantizer_ops *q = quantizer_at(m);
        printf("%s{\"name\":\"%s\",\"family\":\"%s\",\"subspaces\":%s,\"iterations\":%s,"
               "\"indicator_maps\":%s,\"options\":",
               m ? "," : "", q->name, family_names[q->family],
               q->dims & METHOD_USES_SUBSPACES ? "true" : "false",
               q->dims & METHOD_USES_ITERATIONS ? "true" : "false",
               q->dims & METHOD_STORES_IMAPS ? "true" : "false");
        json_list(q->options);
        printf(",\"presets\":{");
        for (const method_preset *p = q->presets; p && p->name; p++)
            printf("%s\"%s\":\"%s\"", p == q->presets ? "" : ",", p->name, p->assignments);
        printf("}}");
    }
    printf("],\"options\":[");
    static const char *const types[] = {"uint", "real", "enum", "text"};
    for (size_t i = 0; option_at(i); i++) {
        const option_def *o = option_at(i);
        printf("%s{\"name\":\"%s\",\"field\":\"%s\",\"type\":\"%s\",\"cell\":%s,\"method\":%s,"
               "\"all_methods\":%s,\"even\":%s,\"lo\":%llu,\"hi\":%llu,\"names\":",
               i ? "," : "", o->name, option_field(o), types[o->type],
               o->flags & OPT_CELL ? "true" : "false", o->flags & OPT_METHOD ? "true" : "false",
               o->flags & OPT_ALL ? "true" : "false", o->flags & OPT_EVEN ? "true" : "false",
               (unsigned long long)o->lo, (unsigned long long)o->hi);
        json_list(o->enum_names);
        printf(",\"default\":\"%s\"}", o->defaults ? o->defaults : "");
    }
    printf("]}\n");
}

static void print_table(void) {
    for (size_t m = 0; quantizer_at(m); m++) {
        const quantizer_ops *q = quantizer_at(m);
        printf("%s (%s): %s\n  options:", q->name, family_names[q->family], q->help);
        for (const char *const *o = q->options; o && *o; o++)
            printf(" %s", *o);
        printf("\n");
        for (const method_preset *p = q->presets; p && p->name; p++)
            printf("  preset %s: %s [%s]\n", p->name, p->help, p->assignments);
    }
}

int cmd_methods(int argc, char **argv, qb_error *err) {
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, json = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return QB_OK;
        default:
            return cli_bad_option("methods", argc, argv, err);
        }
    }
    if (optind != argc)
        return qb_fail(err, "methods takes no arguments (see qetbench methods --help)");
    if (json)
        print_json();
    else
        print_table();
    return QB_OK;
}
