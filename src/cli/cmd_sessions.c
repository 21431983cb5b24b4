/* SPDX-License-Identifier: Apache-2.0 */
/* storm sessions --db FILE [--since T] [--format text|json]: the attack
 * sessions storm run kept in the store, one line each. */
#include <stdio.h>
#include <string.h>

#include <storm/session_report.h>
#include <storm/store_session.h>

#include "cli.h"

static const char usage_line[] = "usage: storm sessions --db FILE [--since T] [--format text|json]";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n\n"
            "Lists the attack sessions storm run --db kept (docs/sessions.md), oldest first, one line each:\n"
            "first and last seen, id, entry point, the steps reached in order, pods and nodes touched, size\n"
            "(matches it holds).\n\n"
            "  --db FILE        the store storm run wrote\n"
            "  --since T        only sessions active at or after T: an RFC 3339 time or a duration back from\n"
            "                   now (30m, 24h, 7d)\n"
            "  --format text|json  text (default) or the stored JSON object of each session, one per line\n"
            "  -h, --help       this help\n",
            usage_line);
}

typedef struct list_ctx {
    bool json;
    size_t n, bad;
} list_ctx;

static int print_row(void *ctx, const storm_store_session_row *row)
{
    list_ctx *c = ctx;
    c->n++;
    if (c->json) {
        fwrite(row->json, 1, row->json_len, stdout);
        putchar('\n');
        return 0;
    }
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 26);
    storm_err err;
    storm_err_clear(&err);
    if (storm_session_summary(row->json, row->json_len, &b, &err) == STORM_OK && b.data) {
        fwrite(b.data, 1, b.len, stdout);
        putchar('\n');
    } else {
        fprintf(stderr, "storm sessions: session %s: %s\n", row->id, err.msg);
        c->bad++;
    }
    storm_buf_free(&b);
    return 0;
}

int cmd_sessions(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    storm_time_ns since = 0;
    list_ctx c = {0};
    optind = 1;
    int opt;
    while ((opt = cli_getopt("sessions", usage_line, argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'd': db = optarg; break;
        case 's':
            if (!cli_parse_since(optarg, &since))
                return cli_usage_error("sessions", "--since: '%s' is neither an RFC 3339 time nor a duration like 24h",
                                       optarg);
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                c.json = true;
            else if (strcmp(optarg, "text") != 0)
                return cli_usage_error("sessions", "--format: '%s' is not text or json", optarg);
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("sessions", "unexpected argument '%s'", argv[optind]);
    if (!db)
        return cli_usage_error("sessions", "--db FILE is required");
    storm_store *store = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_open(db, STORM_STORE_READONLY, &store, &err) != STORM_OK) {
        fprintf(stderr, "storm sessions: %s: %s\n", db, err.msg);
        return CLI_FAIL;
    }
    storm_rc rc = storm_store_sessions(store, since, NULL, print_row, &c, &err);
    storm_store_close(store);
    if (rc != STORM_OK) {
        fprintf(stderr, "storm sessions: %s: %s\n", db, err.msg);
        return CLI_FAIL;
    }
    return c.bad ? CLI_FAIL : CLI_OK;
}
