/* SPDX-License-Identifier: Apache-2.0 */
/* storm convert: sensor events (JSON Lines) -> STIX 2.1 bundles. The
 * pipeline (storm/pipeline.h) reads and decodes exactly as storm run does,
 * without detection: every observation comes back here to be written. Bad
 * input is reported as FILE:LINE[:COLUMN]: reason, counted, copied to
 * --rejects, and the stream goes on. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/pipeline.h>
#include <storm/source.h>
#include <storm/stix.h>

#include "cli.h"

#define CONVERT_OUT_FLUSH ((size_t)1 << 20) /* write stdout in blocks of about this */
#define CONVERT_OUT_CAP ((size_t)1 << 31)
#define CONVERT_MAX_MESSAGES 1000 /* error lines on stderr before going quiet */
#define CONVERT_MAX_SKIP_TYPES 64

static volatile sig_atomic_t convert_stop;

static void on_signal(int sig)
{
    (void)sig;
    convert_stop = 1;
}

typedef struct convert {
    bool bundle_mode, follow;
    const char *rejects_path;
    storm_buf out;
    storm_stix_bundle *bundle;
    bool io_failed;  /* an input could not be read or an output not written */
    bool out_failed; /* standard output failed: nothing more can be done */
} convert;

#define CONVERT_USAGE                                                                                                  \
    "usage: storm convert [--from auto|tetragon|k8s-audit|falco|kubescape|hubble|sshd|http-access] [--bundle]\n"       \
    "                     [--rejects FILE] [--follow [--follow-timeout MS]] [--max-line BYTES]\n"                      \
    "                     [--cluster NAME] [FILE... | -]"

static void usage(FILE *f)
{
    fprintf(f,
            CONVERT_USAGE "\n\n"
                          "Turn sensor events (one JSON record, or an array of records, per line) into STIX 2.1:\n"
                          "one bundle per event as "
                          "JSON Lines on standard output, or with --bundle one bundle for everything.\n"
                          "The mapping is described in docs/mapping.md.\n\n"
                          "options:\n"
                          "  --from NAME          decoder to use (default auto: detected per line)\n"
                          "  --bundle             write a single bundle at the end\n"
                          "  --rejects FILE       append every rejected input line to FILE\n"
                          "  --follow             keep reading a growing file, across rotation and truncation\n"
                          "                       (stops on SIGINT/SIGTERM)\n"
                          "  --follow-timeout MS  with --follow: stop after MS milliseconds without new data\n"
                          "  --max-line BYTES     longest accepted line (default %zu)\n"
                          "  --cluster NAME       cluster name for x_k8s_cluster when the sensor gives none\n"
                          "  -h, --help           this text\n\n"
                          "A record without any time is dated by its file's modification time (standard\n"
                          "input: the time of the run).\n"
                          "Bad lines are reported on standard error as FILE:LINE[:COLUMN]: reason and counted; the\n"
                          "last line of standard error gives the statistics. Exit status (as storm run): 0, 1 when\n"
                          "some input was rejected or on an I/O failure, 2 on a usage error.\n",
            STORM_SOURCE_DEFAULT_MAX_LINE);
}

static bool flush_out(convert *cv)
{
    if (cv->out.len && fwrite(cv->out.data, 1, cv->out.len, stdout) != cv->out.len) {
        if (!cv->io_failed)
            fprintf(stderr, "storm convert: standard output: write failed\n");
        cv->io_failed = cv->out_failed = true;
        convert_stop = 1; /* nothing more can be written */
    }
    storm_buf_reset(&cv->out);
    return !cv->out_failed;
}

/* The observation sink: each observation as a bundle line, or into the
 * one bundle. */
static storm_rc write_observation(void *ctx, const storm_observation *obs, const storm_event *ev, storm_err *err)
{
    (void)ev;
    convert *cv = ctx;
    storm_rc rc =
        cv->bundle_mode ? storm_stix_bundle_add(cv->bundle, obs) : storm_stix_write_observation_bundle(&cv->out, obs);
    if (rc == STORM_OK && !cv->bundle_mode)
        rc = storm_buf_putc(&cv->out, '\n');
    if (rc != STORM_OK)
        return storm_err_set(err, rc, 0, "%s", storm_strerror(rc));
    if (!cv->bundle_mode && (cv->out.len >= CONVERT_OUT_FLUSH || cv->follow)) {
        flush_out(cv);
        if (cv->follow)
            fflush(stdout);
    }
    return STORM_OK;
}

static void convert_source(convert *cv, storm_pipeline *p, const char *path)
{
    storm_err err;
    storm_err_clear(&err);
    storm_pipeline_stats before;
    storm_pipeline_get_stats(p, &before);
    if (storm_pipeline_feed_source(p, path, cv->follow, &err) != STORM_OK) {
        fprintf(stderr, "storm convert: %s\n", err.msg);
        cv->io_failed = true;
    }
    /* --follow: say when the file was replaced or truncated under us (line
     * numbers restarted there) */
    storm_pipeline_stats after;
    storm_pipeline_get_stats(p, &after);
    uint64_t rot = after.source_rotations - before.source_rotations,
             trunc = after.source_truncations - before.source_truncations;
    if (rot || trunc)
        fprintf(stderr, "storm convert: %s: followed across %llu rotation%s and %llu truncation%s\n", path,
                (unsigned long long)rot, rot == 1 ? "" : "s", (unsigned long long)trunc, trunc == 1 ? "" : "s");
}

static void print_stats(storm_pipeline *p)
{
    storm_pipeline_stats st;
    storm_pipeline_get_stats(p, &st);
    fprintf(stderr, "storm convert: %llu lines, %llu events read, %llu converted, %llu skipped",
            (unsigned long long)st.records_read, (unsigned long long)st.events_read,
            (unsigned long long)st.observations, (unsigned long long)st.events_skipped);
    const char *type;
    uint64_t n;
    for (size_t i = 0; storm_pipeline_skip_type(p, i, &type, &n); i++)
        fprintf(stderr, "%s%s: %llu", i ? ", " : " (", type, (unsigned long long)n);
    if (storm_pipeline_skip_type(p, 0, &type, &n))
        fputc(')', stderr);
    fprintf(stderr, ", %llu rejected\n", (unsigned long long)st.events_rejected);
}

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"bundle", no_argument, NULL, 'b'},
        {"rejects", required_argument, NULL, 'r'},
        {"follow", no_argument, NULL, 'F'},
        {"follow-timeout", required_argument, NULL, 'T'},
        {"max-line", required_argument, NULL, 'm'},
        {"cluster", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    convert cv = {0};
    storm_pipeline_opts po = {.prog = "storm convert",
                              .dating = STORM_PIPELINE_DATE_SOURCE,
                              .messages_shown = CONVERT_MAX_MESSAGES,
                              .stop = &convert_stop};
    storm_pipeline_sinks sinks = {.observation = write_observation, .observation_ctx = &cv};
    size_t max_line = STORM_SOURCE_DEFAULT_MAX_LINE;
    unsigned follow_timeout = 0;
    int c;
    optind = 1;
    while ((c = cli_getopt("convert", CONVERT_USAGE, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "auto") == 0) {
                po.forced = NULL;
            } else if (!(po.forced = storm_decoder_find(optarg))) {
                return cli_usage_error("convert", "unknown sensor '%s' for --from", optarg);
            }
            break;
        case 'b': cv.bundle_mode = true; break;
        case 'r': cv.rejects_path = optarg; break;
        case 'F': cv.follow = true; break;
        case 'T': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, 0, 86400000, &v))
                return cli_usage_error("convert", "--follow-timeout wants milliseconds, not '%s'", optarg);
            follow_timeout = (unsigned)v;
            break;
        }
        case 'm': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, 1, (unsigned long long)1 << 30, &v))
                return cli_usage_error("convert", "--max-line wants 1..%llu bytes, not '%s'",
                                       (unsigned long long)1 << 30, optarg);
            max_line = (size_t)v;
            break;
        }
        case 'c':
            if (!*optarg || strlen(optarg) > 253 ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789-_.:@/") != strlen(optarg))
                return cli_usage_error("convert",
                                       "--cluster wants a name of 1..253 letters, digits, '-_.:@/', "
                                       "not '%s'",
                                       optarg);
            po.cluster = optarg;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (follow_timeout && !cv.follow)
        return cli_usage_error("convert", "--follow-timeout needs --follow");
    int nfiles = argc - optind;
    if (cv.follow) {
        for (int i = optind; i < argc; i++)
            if (strcmp(argv[i], "-") == 0)
                return cli_usage_error("convert", "--follow needs a file, not standard input");
        if (nfiles == 0)
            return cli_usage_error("convert", "--follow needs a file");
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    if (cv.rejects_path && !(sinks.rejects = fopen(cv.rejects_path, "a"))) {
        fprintf(stderr, "storm convert: %s: cannot open for writing\n", cv.rejects_path);
        return CLI_FAIL;
    }
    po.max_line = max_line;
    po.follow_idle_ms = follow_timeout;
    storm_buf_init(&cv.out, CONVERT_OUT_CAP);
    if (cv.bundle_mode)
        cv.bundle = storm_stix_bundle_new();
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    if ((cv.bundle_mode && !cv.bundle) || storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK) {
        fprintf(stderr, "storm convert: out of memory\n");
        storm_stix_bundle_free(cv.bundle);
        if (sinks.rejects)
            fclose(sinks.rejects);
        return CLI_FAIL;
    }
    if (nfiles == 0)
        convert_source(&cv, p, "-");
    for (int i = optind; i < argc && !cv.out_failed; i++)
        convert_source(&cv, p, argv[i]);
    if (cv.bundle_mode) {
        if (storm_stix_bundle_write(cv.bundle, &cv.out) != STORM_OK || storm_buf_putc(&cv.out, '\n') != STORM_OK) {
            fprintf(stderr, "storm convert: the bundle is too large to write\n");
            cv.io_failed = true;
        }
    }
    flush_out(&cv);
    if (fflush(stdout) != 0)
        cv.io_failed = true;
    if (sinks.rejects && fclose(sinks.rejects) != 0) {
        fprintf(stderr, "storm convert: %s: write failed\n", cv.rejects_path);
        cv.io_failed = true;
    }
    print_stats(p);
    storm_pipeline_stats st;
    storm_pipeline_get_stats(p, &st);
    if (st.events_rejected)
        cv.io_failed = true; /* the stream went on, but some input was bad: exit 1 as storm run */
    storm_pipeline_free(p);
    storm_buf_free(&cv.out);
    storm_stix_bundle_free(cv.bundle);
    return cv.io_failed ? CLI_FAIL : CLI_OK;
}
