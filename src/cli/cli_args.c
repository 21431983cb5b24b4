/* SPDX-License-Identifier: Apache-2.0 */
/* One getopt_long loop step with Storm's usage errors, so that every
 * subcommand treats an unknown option, or an option missing its value, the
 * same way: exit 2, the option named, the usage line repeated. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_getopt(const char *cmd, const char *usage_line, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    /* A leading ':' makes getopt tell a missing value (':') from an unknown
     * option ('?') and print nothing itself: the message below names both. */
    char spec[64];
    bool order = shortopts[0] == '+' || shortopts[0] == '-'; /* must stay first */
    snprintf(spec, sizeof spec, "%.*s:%s", order, shortopts, shortopts + order);
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    /* optopt is the letter of a short option; for a long one the word just
     * consumed is the option as typed (shown without any "=VALUE"). */
    const char *prev = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[64];
    if (optopt == 0 || strncmp(prev, "--", 2) == 0)
        snprintf(name, sizeof name, "%.*s", (int)strcspn(prev, "="), prev);
    else
        snprintf(name, sizeof name, "-%c", (char)optopt);
    if (c == '?')
        fprintf(stderr, "storm %s: unknown option '%s'\n", cmd, name);
    else
        fprintf(stderr, "storm %s: option '%s' needs a value\n", cmd, name);
    if (usage_line)
        fprintf(stderr, "%s\n", usage_line);
    fprintf(stderr, "(see 'storm %s --help')\n", cmd);
    return CLI_GETOPT_ERROR;
}
