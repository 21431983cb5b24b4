/* SPDX-License-Identifier: Apache-2.0 */
/* storm convert: sensor events (JSON Lines) -> STIX 2.1 bundles.
 * Per line: parse, unwrap a log-shipper envelope, detect (or force) the
 * decoder, decode to typed events, build each observation, write it. Bad
 * input is reported as FILE:LINE: reason, counted, copied to --rejects, and
 * the stream goes on. One arena per line, reset after the line's output. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/io.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/json.h>
#include <storm/source.h>
#include <storm/stix.h>

#include "cli.h"

#define CONVERT_ARENA_CAP ((size_t)1 << 30)   /* per line, parse + decode + observe */
#define CONVERT_OUT_FLUSH ((size_t)1 << 20)   /* write stdout in blocks of about this */
#define CONVERT_OUT_CAP ((size_t)1 << 31)
#define CONVERT_MAX_MESSAGES 1000             /* error lines on stderr before going quiet */
#define CONVERT_MAX_SKIP_TYPES 64

static volatile sig_atomic_t convert_stop;

static void on_signal(int sig)
{
    (void)sig;
    convert_stop = 1;
}

typedef struct skip_count {
    char *type;
    uint64_t n;
} skip_count;

typedef struct convert {
    const storm_decoder *forced;
    bool bundle_mode, follow;
    FILE *rejects;
    const char *rejects_path;
    storm_buf out;
    storm_stix_bundle *bundle;
    storm_arena *arena;
    storm_time_ns now;
    storm_time_ns default_time; /* for records without a time (see convert_source) */
    const char *cluster;        /* --cluster: x_k8s_cluster when the event has none */
    /* statistics */
    uint64_t lines, events, converted, rejected, skipped, messages;
    skip_count skips[CONVERT_MAX_SKIP_TYPES];
    size_t n_skips;
    bool io_failed;  /* an input could not be read or an output not written */
    bool out_failed; /* standard output failed: nothing more can be done */
} convert;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: storm convert [--from auto|tetragon|k8s-audit|falco|kubescape|hubble] [--bundle]\n"
            "                     [--rejects FILE] [--follow [--follow-timeout MS]] [--max-line BYTES]\n"
            "                     [--cluster NAME]\n"
            "                     [FILE... | -]\n\n"
            "Turn sensor events (one JSON record per line) into STIX 2.1: one bundle per event as\n"
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
            "last line of standard error gives the statistics. Exit status: 0, 1 on an I/O\n"
            "failure, 2 on a usage error.\n",
            STORM_SOURCE_DEFAULT_MAX_LINE);
}

/* FILE:LINE: reason, or FILE:LINE:COLUMN: reason when col > 0 (1-based, in
 * bytes of the line); quiet after CONVERT_MAX_MESSAGES. */
static void vmessage(convert *cv, const char *source, uint64_t line, size_t col, const char *fmt, va_list ap)
{
    if (++cv->messages > CONVERT_MAX_MESSAGES) {
        if (cv->messages == CONVERT_MAX_MESSAGES + 1)
            fprintf(stderr, "storm convert: more than %d problems; not reporting each one any more\n",
                    CONVERT_MAX_MESSAGES);
        return;
    }
    if (col)
        fprintf(stderr, "%s:%llu:%zu: ", source, (unsigned long long)line, col);
    else
        fprintf(stderr, "%s:%llu: ", source, (unsigned long long)line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void message(convert *cv, const char *source, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void message(convert *cv, const char *source, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cv, source, line, 0, fmt, ap);
    va_end(ap);
}

static void message_at(convert *cv, const char *source, uint64_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void message_at(convert *cv, const char *source, uint64_t line, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cv, source, line, col, fmt, ap);
    va_end(ap);
}

/* Where an envelope's embedded record starts in the line: the position of
 * the outermost "payload"/"message"/"log"/"msg" string (0 when unknown). */
static size_t embedded_pos(const storm_value *root)
{
    static const char *const keys[] = {"payload", "message", "log", "msg"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const storm_value *v = storm_v_get(root, keys[k]);
        if (v && v->type == STORM_V_STRING && v->pos != STORM_POS_NONE)
            return v->pos;
    }
    return 0;
}

static void write_reject(convert *cv, const char *text, size_t len)
{
    if (!cv->rejects)
        return;
    if (fwrite(text, 1, len, cv->rejects) != len || fputc('\n', cv->rejects) == EOF) {
        if (!cv->io_failed)
            fprintf(stderr, "storm convert: %s: write failed\n", cv->rejects_path);
        cv->io_failed = true;
    }
}

/* over-long lines stream past: copy them to the rejects file as they go */
static void spill_reject(void *ctx, const char *p, size_t n, bool end)
{
    convert *cv = ctx;
    if (!cv->rejects)
        return;
    if (end)
        fputc('\n', cv->rejects);
    else if (n && fwrite(p, 1, n, cv->rejects) != n)
        cv->io_failed = true;
}

static void count_skip(convert *cv, const char *type)
{
    if (!type || !*type)
        type = "unknown";
    cv->skipped++;
    for (size_t i = 0; i < cv->n_skips; i++)
        if (strcmp(cv->skips[i].type, type) == 0) {
            cv->skips[i].n++;
            return;
        }
    if (cv->n_skips == CONVERT_MAX_SKIP_TYPES)
        type = "other";
    for (size_t i = 0; i < cv->n_skips; i++)
        if (strcmp(cv->skips[i].type, type) == 0) {
            cv->skips[i].n++;
            return;
        }
    char *copy = strdup(type);
    if (!copy)
        return;
    cv->skips[cv->n_skips++] = (skip_count){copy, 1};
}

static bool flush_out(convert *cv)
{
    if (cv->out.len && fwrite(cv->out.data, 1, cv->out.len, stdout) != cv->out.len) {
        if (!cv->io_failed)
            fprintf(stderr, "storm convert: standard output: write failed\n");
        cv->io_failed = cv->out_failed = true;
    }
    storm_buf_reset(&cv->out);
    return !cv->out_failed;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static void convert_line(convert *cv, const storm_line *ln)
{
    storm_arena_reset(cv->arena);
    storm_err err;
    storm_err_clear(&err);
    storm_value *root = NULL;
    storm_rc rc = storm_json_parse(cv->arena, ln->text, ln->len, STORM_JSON_DEFAULT, &root, NULL, &err);
    if (rc) {
        if (rc == STORM_ERR_NOMEM)
            message(cv, ln->source, ln->number, "record too large to decode (%zu bytes)", ln->len);
        else
            message_at(cv, ln->source, ln->number, err.offset + 1, "invalid JSON: %s", err.msg);
        cv->rejected++;
        write_reject(cv, ln->text, ln->len);
        return;
    }
    /* a log-shipper envelope whose embedded record is cut short or malformed
     * is reported with the exact reason and position, not guessed at */
    const storm_value *rec = root;
    storm_err_clear(&err);
    rc = storm_decode_unwrap_ex(cv->arena, root, &rec, NULL, &err);
    if (rc) {
        message_at(cv, ln->source, ln->number, err.offset + 1, "%s", err.msg[0] ? err.msg : storm_strerror(rc));
        cv->rejected++;
        write_reject(cv, ln->text, ln->len);
        return;
    }
    if (!rec)
        rec = root;
    const storm_decoder *dec = cv->forced ? cv->forced : storm_decoder_detect(rec);
    if (!dec) {
        message(cv, ln->source, ln->number, "not a record of any known sensor (%s)",
                rec->type == STORM_V_OBJECT ? "no decoder recognises its fields" : "not a JSON object");
        cv->rejected++;
        write_reject(cv, ln->text, ln->len);
        return;
    }
    storm_event_list list = {0};
    const char *skip_type = NULL;
    storm_err_clear(&err);
    rc = dec->decode(cv->arena, rec, &list, &skip_type, &err);
    if (rc == STORM_ERR_UNSUPPORTED) {
        count_skip(cv, skip_type);
        cv->events++;
        return;
    }
    if (rc) {
        /* err.offset is a byte offset in the text the record was parsed
         * from: the line, or the envelope's embedded text */
        if (rec == root)
            message_at(cv, ln->source, ln->number, err.offset + 1, "%s: %s", dec->name,
                       err.msg[0] ? err.msg : storm_strerror(rc));
        else
            message_at(cv, ln->source, ln->number, embedded_pos(root) + 1, "%s: %s (at byte %zu of the embedded record)",
                       dec->name, err.msg[0] ? err.msg : storm_strerror(rc), err.offset);
        cv->rejected++;
        write_reject(cv, ln->text, ln->len);
        return;
    }
    bool rejected_line = false;
    for (size_t i = 0; i < list.n; i++) {
        storm_event *ev = &list.items[i];
        cv->events++;
        ev->source_name = ln->source;
        ev->source_line = ln->number;
        storm_stix_opts o = {.record = ln->text, .record_len = ln->len, .record_index = i, .default_time = cv->default_time,
                             .cluster = cv->cluster};
        storm_observation obs;
        storm_err_clear(&err);
        rc = storm_stix_observe(cv->arena, ev, &o, &obs, &err);
        if (rc == STORM_OK)
            rc = cv->bundle_mode ? storm_stix_bundle_add(cv->bundle, &obs)
                                 : storm_stix_write_observation_bundle(&cv->out, &obs);
        if (rc == STORM_OK && !cv->bundle_mode)
            rc = storm_buf_putc(&cv->out, '\n');
        if (rc) {
            message(cv, ln->source, ln->number, "event %zu (%s): cannot convert: %s", i + 1,
                    ev->type ? ev->type : dec->name, err.msg[0] ? err.msg : storm_strerror(rc));
            cv->rejected++;
            if (!rejected_line)
                write_reject(cv, ln->text, ln->len);
            rejected_line = true;
            continue;
        }
        cv->converted++;
    }
    if (list.n == 0)
        count_skip(cv, "empty");
}

static void convert_source(convert *cv, const char *path, size_t max_line, unsigned follow_timeout)
{
    storm_source_opts so = {.max_line = max_line,
                            .follow = cv->follow,
                            .idle_exit_ms = follow_timeout,
                            .stop = &convert_stop,
                            .spill = spill_reject,
                            .spill_ctx = cv};
    storm_source *src;
    storm_err err;
    storm_err_clear(&err);
    if (storm_source_open(path, &so, &src, &err) != STORM_OK) {
        fprintf(stderr, "storm convert: %s\n", err.msg);
        cv->io_failed = true;
        return;
    }
    /* Records without any time get the file's modification time: stable when
     * the same file is converted again (the ids depend on it), and no later
     * than the record itself. Standard input gets the time of the run. */
    cv->default_time = storm_file_mtime(path, cv->now);
    storm_line ln;
    storm_rc rc;
    while ((rc = storm_source_next(src, &ln, &err)) == STORM_OK) {
        if (ln.status == STORM_LINE_TOO_LONG) {
            cv->lines++;
            cv->rejected++;
            message(cv, ln.source, ln.number, "line too long (%zu bytes; the limit is %zu)", ln.total_len,
                    max_line);
            continue;
        }
        if (blank(ln.text, ln.len))
            continue;
        cv->lines++;
        if (ln.status == STORM_LINE_BAD_UTF8) {
            cv->rejected++;
            message(cv, ln.source, ln.number, "invalid UTF-8 at byte %zu", ln.bad_offset + 1);
            write_reject(cv, ln.text, ln.len);
            continue;
        }
        convert_line(cv, &ln);
        if (!cv->bundle_mode && (cv->out.len >= CONVERT_OUT_FLUSH || cv->follow)) {
            if (!flush_out(cv))
                break;
            if (cv->follow)
                fflush(stdout);
        }
    }
    if (rc == STORM_ERR_IO) {
        fprintf(stderr, "storm convert: %s\n", err.msg);
        cv->io_failed = true;
    }
    /* --follow: say when the file was replaced or truncated under us (line
     * numbers restarted there) */
    uint64_t rot = storm_source_rotations(src), trunc = storm_source_truncations(src);
    if (rot || trunc)
        fprintf(stderr, "storm convert: %s: followed across %llu rotation%s and %llu truncation%s\n", path,
                (unsigned long long)rot, rot == 1 ? "" : "s", (unsigned long long)trunc, trunc == 1 ? "" : "s");
    storm_source_close(src);
}

static void print_stats(const convert *cv)
{
    fprintf(stderr, "storm convert: %llu lines, %llu events read, %llu converted, %llu skipped",
            (unsigned long long)cv->lines, (unsigned long long)cv->events, (unsigned long long)cv->converted,
            (unsigned long long)cv->skipped);
    if (cv->n_skips) {
        fputs(" (", stderr);
        for (size_t i = 0; i < cv->n_skips; i++)
            fprintf(stderr, "%s%s: %llu", i ? ", " : "", cv->skips[i].type, (unsigned long long)cv->skips[i].n);
        fputc(')', stderr);
    }
    fprintf(stderr, ", %llu rejected\n", (unsigned long long)cv->rejected);
}

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},   {"bundle", no_argument, NULL, 'b'},
        {"rejects", required_argument, NULL, 'r'}, {"follow", no_argument, NULL, 'F'},
        {"follow-timeout", required_argument, NULL, 'T'}, {"max-line", required_argument, NULL, 'm'},
        {"cluster", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    convert cv = {0};
    size_t max_line = STORM_SOURCE_DEFAULT_MAX_LINE;
    unsigned follow_timeout = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "auto") == 0) {
                cv.forced = NULL;
            } else if (!(cv.forced = storm_decoder_find(optarg))) {
                return cli_usage_error("convert", "unknown sensor '%s' for --from", optarg);
            }
            break;
        case 'b': cv.bundle_mode = true; break;
        case 'r': cv.rejects_path = optarg; break;
        case 'F': cv.follow = true; break;
        case 'T': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || end == optarg || v > 86400000UL)
                return cli_usage_error("convert", "--follow-timeout wants milliseconds, not '%s'", optarg);
            follow_timeout = (unsigned)v;
            break;
        }
        case 'm': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || end == optarg || v == 0 || v > ((unsigned long long)1 << 30))
                return cli_usage_error("convert", "--max-line wants 1..%llu bytes, not '%s'",
                                       (unsigned long long)1 << 30, optarg);
            max_line = (size_t)v;
            break;
        }
        case 'c':
            if (!*optarg || strlen(optarg) > 253 || strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "0123456789-_.:@/") != strlen(optarg))
                return cli_usage_error("convert", "--cluster wants a name of 1..253 letters, digits, '-_.:@/', "
                                                  "not '%s'", optarg);
            cv.cluster = optarg;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("convert", "unknown option");
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
    if (cv.rejects_path && !(cv.rejects = fopen(cv.rejects_path, "a"))) {
        fprintf(stderr, "storm convert: %s: cannot open for writing\n", cv.rejects_path);
        return CLI_FAIL;
    }
    cv.now = storm_time_now();
    cv.arena = storm_arena_new(0, CONVERT_ARENA_CAP);
    storm_buf_init(&cv.out, CONVERT_OUT_CAP);
    if (cv.bundle_mode)
        cv.bundle = storm_stix_bundle_new();
    if (!cv.arena || (cv.bundle_mode && !cv.bundle)) {
        fprintf(stderr, "storm convert: out of memory\n");
        storm_arena_free(cv.arena);
        storm_stix_bundle_free(cv.bundle);
        if (cv.rejects)
            fclose(cv.rejects);
        return CLI_FAIL;
    }
    if (nfiles == 0)
        convert_source(&cv, "-", max_line, follow_timeout);
    for (int i = optind; i < argc && !cv.out_failed; i++)
        convert_source(&cv, argv[i], max_line, follow_timeout);
    if (cv.bundle_mode) {
        if (storm_stix_bundle_write(cv.bundle, &cv.out) != STORM_OK || storm_buf_putc(&cv.out, '\n') != STORM_OK) {
            fprintf(stderr, "storm convert: the bundle is too large to write\n");
            cv.io_failed = true;
        }
    }
    flush_out(&cv);
    if (fflush(stdout) != 0)
        cv.io_failed = true;
    if (cv.rejects && fclose(cv.rejects) != 0) {
        fprintf(stderr, "storm convert: %s: write failed\n", cv.rejects_path);
        cv.io_failed = true;
    }
    print_stats(&cv);
    for (size_t i = 0; i < cv.n_skips; i++)
        free(cv.skips[i].type);
    storm_buf_free(&cv.out);
    storm_stix_bundle_free(cv.bundle);
    storm_arena_free(cv.arena);
    return cv.io_failed ? CLI_FAIL : CLI_OK;
}
