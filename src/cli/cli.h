/* SPDX-License-Identifier: Apache-2.0 */
/* The storm command line: one cmd_<name>.c per subcommand, built only on the
 * public API in include/storm/. */
#ifndef STORM_CLI_H
#define STORM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <storm/detect.h>
#include <storm/model.h>
#include <storm/pipeline.h>
#include <storm/store.h>
#include <storm/time.h>

/* Exit codes shared by every subcommand. */
enum {
    CLI_OK = 0,    /* everything worked */
    CLI_FAIL = 1,  /* the command ran, but something in the input was bad */
    CLI_USAGE = 2, /* the command line itself is wrong */
};

typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_pattern(int argc, char **argv);  /* storm pattern check */
int cmd_match(int argc, char **argv);    /* storm match */
int cmd_convert(int argc, char **argv);  /* storm convert */
int cmd_run(int argc, char **argv);      /* storm run */
int cmd_models(int argc, char **argv);   /* storm models lint|tree */
int cmd_baseline(int argc, char **argv); /* storm baseline learn|show|allow|deny|export|import */
int cmd_serve(int argc, char **argv);    /* storm serve */
int cmd_users(int argc, char **argv);    /* storm users */
int cmd_publish(int argc, char **argv);  /* storm publish */
int cmd_pull(int argc, char **argv);     /* storm pull */
int cmd_sessions(int argc, char **argv); /* storm sessions */
int cmd_report(int argc, char **argv);   /* storm report */
int cmd_hunt(int argc, char **argv);     /* storm hunt */

/* --since T: an RFC 3339 time or a duration back from now (24h). */
bool cli_parse_since(const char *s, storm_time_ns *out);
/* DURATION: a number with s, m, h or d (plain: seconds). */
bool cli_parse_duration(const char *s, storm_time_ns *out);
/* A whole-number option: decimal digits only, from min to max (cli_number.c). */
bool cli_parse_number(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);
int cmd_bait(int argc, char **argv); /* storm bait generate|verify */

/* An output directory argument without its trailing slashes ("out/" -> "out",
 * "/" stays), so the paths printed from it read "out/x", not "out//x".
 * Edits dir (an argv string) in place and returns it. */
char *cli_dir_arg(char *dir);

/* instrument */
int cmd_policy(int argc, char **argv);     /* storm policy generate|coverage|test */
int cmd_instrument(int argc, char **argv); /* storm instrument */

/* The matching options storm run and storm hunt share (cli_detect_args.c):
 * their getopt codes, their longopts entries (put CLI_DETECT_LONGOPTS in the
 * command's table) and their parser. */
enum {
    CLI_OPT_FORMAT = 0x1000, /* stix|text */
    CLI_OPT_CORRELATE,
    CLI_OPT_IDENTITY,
    CLI_OPT_HORIZON,
    CLI_OPT_WINDOW,
    CLI_OPT_STATE_CAP,
};
#define CLI_DETECT_LONGOPTS                                                                                            \
    {"format", required_argument, NULL, CLI_OPT_FORMAT}, {"correlate", required_argument, NULL, CLI_OPT_CORRELATE},    \
        {"identity", required_argument, NULL, CLI_OPT_IDENTITY},                                                       \
        {"horizon", required_argument, NULL, CLI_OPT_HORIZON}, {"window", required_argument, NULL, CLI_OPT_WINDOW},    \
    {                                                                                                                  \
        "state-cap", required_argument, NULL, CLI_OPT_STATE_CAP                                                        \
    }
/* ch (a getopt result) into *format or o: CLI_OK, or CLI_USAGE when the
 * value is wrong (said) or ch is not one of them. */
int cli_detect_option(const char *cmd, int ch, const char *value, storm_pipeline_format *format, storm_detect_opts *o);

/* The TAXII password: from password_file, else $STORM_TAXII_PASSWORD, else
 * one line of standard input when stdin_free. Owned by the caller (free);
 * NULL after printing why. */
char *cli_read_password(const char *cmd, const char *password_file, bool stdin_free);

/* Print "storm <cmd>: message" to stderr and return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long for a subcommand (call it in the usual while loop, optind reset
 * to 1 first): returns the option's value, -1 after the last option, or
 * CLI_GETOPT_ERROR after printing "storm <cmd>: unknown option 'X'" (or
 * "option 'X' needs a value"), usage_line (when not NULL) and the --help
 * hint; the caller then returns CLI_USAGE. shortopts as for getopt (a
 * leading '+' stops at the first operand), without the ':'. */
#define CLI_GETOPT_ERROR (-2)
int cli_getopt(const char *cmd, const char *usage_line, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* storm run's heap: freed blocks kept for reuse, its first megabytes on
 * transparent huge pages (run_memory.c). Call once, first thing. */
void cli_run_memory_setup(void);
/* Gives the heap's free pages back to the system (storm_pipeline_opts
 * release_memory; ctx unused). */
void cli_run_memory_release(void *ctx);

#endif
