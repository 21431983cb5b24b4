/* SPDX-License-Identifier: Apache-2.0 */
/* storm pattern check: compile each pattern and print "ok" or a positioned
 * error with the pattern line and a caret under the spot. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/err.h>
#include <storm/io.h>
#include <storm/pattern.h>

#include "cli.h"

#define PATTERN_FILE_MAX (64u << 20) /* bytes read from -f FILE */
#define PATTERN_USAGE "usage: storm pattern check [-s 2.0|2.1] PATTERN..."

static void usage(FILE *out)
{
    fprintf(out, PATTERN_USAGE
            "\n"
            "       storm pattern check [-s 2.0|2.1] -f FILE\n"
            "\n"
            "Check STIX patterns. For each pattern, print \"ok\", or where and why it is\n"
            "invalid, followed by the pattern line and a caret under the spot.\n"
            "\n"
            "options:\n"
            "  -s, --spec VERSION  STIX version of the patterns: 2.1 (default) or 2.0\n"
            "  -f, --file FILE     read one pattern per line of FILE (\"-\" = standard input);\n"
            "                      blank lines and lines starting with '#' are skipped\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 when every pattern is valid, 1 when any is not (or FILE cannot\n"
            "be read), 2 when the command line is wrong.\n"
            "\n"
            "example:\n"
            "  storm pattern check \"[process:image_ref.name = 'nsenter'] FOLLOWEDBY [file:name = 'token']\"\n");
}

/* Check text[start..start+len) as one pattern. `where` names its source;
 * `whole` is the text the pattern sits in (a file), so that the reported line
 * and column are the file's. Returns true when valid. */
static bool check_one(const char *whole, size_t whole_len, size_t start, size_t len, const char *where, storm_spec spec)
{
    storm_pattern *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    storm_rc rc = storm_pattern_compile(whole + start, len, spec, &p, &err);
    if (rc == STORM_OK) {
        /* valid, but say so when it can never match (stderr: stdout stays "ok") */
        if (storm_pattern_never_matches(p, &err)) {
            err.offset += start;
            err.line = err.col = 0;
            static char wbuf[8192];
            storm_err_format(&err, "pattern warning", where, whole, whole_len, wbuf, sizeof wbuf);
            fprintf(stderr, "%s\n", wbuf);
        }
        storm_pattern_free(p);
        printf("ok\n");
        return true;
    }
    if (err.rc == STORM_OK) /* the callee did not say why: still say something */
        storm_err_set(&err, rc, 0, "%s", storm_strerror(rc));
    /* locate the error in the whole text: line and column of the file */
    err.offset += start;
    err.line = err.col = 0;
    static char buf[8192];
    storm_err_format(&err, "pattern", where, whole, whole_len, buf, sizeof buf);
    printf("%s\n", buf);
    return false;
}

static int check_file(const char *path, storm_spec spec)
{
    char *data = NULL;
    size_t len = 0;
    storm_err err;
    storm_err_clear(&err);
    if (storm_read_file(path, PATTERN_FILE_MAX, &data, &len, &err) != STORM_OK) {
        fprintf(stderr, "storm pattern check: cannot read %s: %s\n", strcmp(path, "-") == 0 ? "standard input" : path,
                err.msg[0] ? err.msg : storm_strerror(err.rc));
        return CLI_FAIL;
    }
    const char *where = strcmp(path, "-") == 0 ? "<stdin>" : path;
    size_t checked = 0, bad = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t line_end = end;
        if (line_end > i && data[line_end - 1] == '\r') {
            line_end--;
            data[line_end] = ' '; /* keep offsets; keep the echoed line free of a carriage return */
        }
        size_t k = i;
        while (k < line_end && (data[k] == ' ' || data[k] == '\t'))
            k++;
        if (k < line_end && data[k] != '#') {
            checked++;
            if (!check_one(data, len, i, line_end - i, where, spec))
                bad++;
        }
        i = end + 1;
    }
    free(data);
    fflush(stdout);
    if (checked == 0) {
        fprintf(stderr, "storm pattern check: %s holds no pattern\n", where);
        return CLI_FAIL;
    }
    return bad ? CLI_FAIL : CLI_OK;
}

static int parse_spec(const char *v, storm_spec *spec)
{
    if (strcmp(v, "2.1") == 0)
        *spec = STORM_SPEC_21;
    else if (strcmp(v, "2.0") == 0)
        *spec = STORM_SPEC_20;
    else
        return cli_usage_error("pattern check", "unknown STIX version '%s': use 2.0 or 2.1", v);
    return CLI_OK;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"spec", required_argument, 0, 's'},
        {"file", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    storm_spec spec = STORM_SPEC_21;
    const char *file = NULL;
    int rc = CLI_OK;
    optind = 1;
    int ch;
    while (rc == CLI_OK && (ch = cli_getopt("pattern check", PATTERN_USAGE, argc, argv, "s:f:h", opts)) != -1) {
        switch (ch) {
        case 's': rc = parse_spec(optarg, &spec); break;
        case 'f':
            if (file)
                rc = cli_usage_error("pattern check", "-f may be given once");
            file = optarg;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    int n_patterns = argc - optind;
    char **patterns = argv + optind; /* "--" ends the options: patterns may start with '-' */
    if (rc == CLI_OK && file && n_patterns > 0)
        rc = cli_usage_error("pattern check", "give patterns as arguments or with -f FILE, not both");
    if (rc == CLI_OK && !file && n_patterns == 0)
        rc = cli_usage_error("pattern check", "no pattern to check: give PATTERN arguments or -f FILE");
    if (rc != CLI_OK)
        return rc;
    if (file)
        return check_file(file, spec);
    size_t bad = 0;
    for (int i = 0; i < n_patterns; i++) {
        char where[32];
        snprintf(where, sizeof where, "argument %d", i + 1);
        if (!check_one(patterns[i], strlen(patterns[i]), 0, strlen(patterns[i]), where, spec))
            bad++;
    }
    fflush(stdout);
    return bad ? CLI_FAIL : CLI_OK;
}

int cmd_pattern(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("pattern", "missing subcommand: storm pattern check [-s 2.0|2.1] PATTERN...");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    return cli_usage_error("pattern", "unknown subcommand '%s': the subcommand is 'check'", argv[1]);
}
