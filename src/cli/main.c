/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "storm_config.h"
#if defined(__GLIBC__)
#endif

typedef struct command {
    const char *name;
    cli_command_fn fn;
    const char *summary;
} command;

#if !STORM_HAVE_TAXII
/* A build without libmicrohttpd and libcurl still knows these commands, so
 * that a user learns how to get them rather than "unknown command". */
static int cmd_without_taxii(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr,
            "storm %s: this storm was built without TAXII 2.1 (meson -Dtaxii=disabled); rebuild with "
            "-Dtaxii=enabled (needs libmicrohttpd and libcurl)\n",
            argv[0]);
    return CLI_USAGE;
}
#endif

static const command commands[] = {
    {"run", cmd_run, "stream sensor events, match the attack models, write sightings"},
    {"convert", cmd_convert, "turn sensor events into STIX 2.1 observations"},
    {"pattern", cmd_pattern, "check STIX patterns (storm pattern check)"},
    {"match", cmd_match, "match STIX patterns against STIX observations"},
    {"models", cmd_models, "lint and draw attack models"},
    {"baseline", cmd_baseline, "learn, show and edit workload baselines"},
    {"sessions", cmd_sessions, "list the attack sessions storm run found"},
    {"hunt", cmd_hunt, "match new or changed indicators against the observations already stored"},
    {"report", cmd_report, "attack sessions as reports: timeline and attack path (STIX, text, Markdown, HTML)"},
    {"bait", cmd_bait, "generate honeytokens, bait manifests and their attack model; verify a token"},
    {"policy", cmd_policy, "generate, check and test Tetragon TracingPolicies for the models"},
    {"instrument", cmd_instrument, "write a kustomize overlay adding tripwires and Storm to a cluster template"},
#if STORM_HAVE_TAXII
    {"serve", cmd_serve, "serve the store over TAXII 2.1"},
    {"users", cmd_users, "manage the TAXII server's users and rights"},
    {"publish", cmd_publish, "push sightings and indicators to a TAXII 2.1 server"},
    {"pull", cmd_pull, "fetch indicators from a TAXII 2.1 server"},
#else
    {"serve", cmd_without_taxii, "(not in this build: -Dtaxii=disabled)"},
    {"users", cmd_users, "manage the TAXII server's users and rights"},
    {"publish", cmd_without_taxii, "(not in this build: -Dtaxii=disabled)"},
    {"pull", cmd_without_taxii, "(not in this build: -Dtaxii=disabled)"},
#endif
};

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "storm %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'storm %s --help')\n", cmd);
    return CLI_USAGE;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: storm <command> [options]\n\n"
                 "Storm turns a Kubernetes honeycluster's sensor events into STIX 2.1 threat intelligence.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'storm <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("storm %s\n", STORM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "storm: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
