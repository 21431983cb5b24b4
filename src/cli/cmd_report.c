/* SPDX-License-Identifier: Apache-2.0 */
/* storm report --db FILE [--session ID | --since T] [--format stix|text|markdown|html] [-o FILE]:
 * the attack sessions as reports, their paths placed on the stored models. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <storm/pipeline.h>
#include <storm/session_report.h>
#include <storm/store_session.h>

#include "cli.h"

static const char usage_line[] =
    "usage: storm report --db FILE [--session ID | --since T] [--format stix|text|markdown|html] [-o FILE]";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n\n"
            "Writes the attack sessions storm run --db kept as reports (docs/sessions.md): per session the\n"
            "timeline (time, pod/node, step, evidence) and the attack path on the attack models the store\n"
            "holds (steps reached in order, modelled steps skipped, how far along the deepest model path,\n"
            "steps no model edge predicted, baseline anomalies inside the session).\n\n"
            "  --db FILE        the store storm run wrote\n"
            "  --session ID     only this session (session--UUID, as storm sessions shows)\n"
            "  --since T        only sessions active at or after T: an RFC 3339 time or a duration back from\n"
            "                   now (30m, 24h, 7d)\n"
            "  --format F       text (default), markdown, html (one self-contained page) or stix (one STIX 2.1\n"
            "                   bundle: a report per session and every object it references)\n"
            "  -o, --output FILE  write there instead of standard output\n"
            "  -h, --help       this help\n\n"
            "The same store gives the same report (ids are UUIDv5 of the session ids). Exit 1 when the\n"
            "store cannot be read or --session names no stored session.\n",
            usage_line);
}

typedef struct add_ctx {
    storm_report *r;
    size_t n, bad;
} add_ctx;

static int add_row(void *ctx, const storm_store_session_row *row)
{
    add_ctx *c = ctx;
    storm_err err;
    storm_err_clear(&err);
    if (storm_report_add(c->r, row->json, row->json_len, &err) != STORM_OK) {
        fprintf(stderr, "storm report: session %s: %s\n", row->id, err.msg);
        c->bad++;
    } else
        c->n++;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"session", required_argument, NULL, 'S'},
        {"since", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *session = NULL, *output = NULL;
    storm_time_ns since = 0;
    storm_report_format format = STORM_REPORT_TEXT;
    optind = 1;
    int opt;
    while ((opt = cli_getopt("report", usage_line, argc, argv, "ho:", longopts)) != -1) {
        switch (opt) {
        case 'd': db = optarg; break;
        case 'S': session = optarg; break;
        case 'o': output = optarg; break;
        case 's':
            if (!cli_parse_since(optarg, &since))
                return cli_usage_error("report", "--since: '%s' is neither an RFC 3339 time nor a duration like 24h",
                                       optarg);
            break;
        case 'f':
            if (!storm_report_format_parse(optarg, &format))
                return cli_usage_error("report", "--format: '%s' is not stix, text, markdown or html", optarg);
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
    if (!db)
        return cli_usage_error("report", "--db FILE is required");
    if (session && since)
        return cli_usage_error("report", "--session and --since do not combine");
    storm_err err;
    storm_err_clear(&err);
    storm_store *store = NULL;
    if (storm_store_open(db, STORM_STORE_READONLY, &store, &err) != STORM_OK) {
        fprintf(stderr, "storm report: %s: %s\n", db, err.msg);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    storm_models *m = NULL;
    storm_report *r = NULL;
    size_t n_models = 0;
    if (storm_models_new(&m) != STORM_OK ||
        storm_pipeline_load_store_models(m, store, db, &n_models, &err) != STORM_OK) {
        fprintf(stderr, "storm report: %s: the stored models: %s\n", db, err.msg[0] ? err.msg : "out of memory");
        rc = CLI_FAIL;
        goto out;
    }
    storm_models_finish(m);
    if (storm_report_new(format, n_models ? m : NULL, store, &r, &err) != STORM_OK) {
        fprintf(stderr, "storm report: %s\n", err.msg);
        rc = CLI_FAIL;
        goto out;
    }
    add_ctx c = {r, 0, 0};
    if (storm_store_sessions(store, since, session, add_row, &c, &err) != STORM_OK) {
        fprintf(stderr, "storm report: %s: %s\n", db, err.msg);
        rc = CLI_FAIL;
        goto out;
    }
    if (session && c.n == 0) {
        fprintf(stderr, "storm report: %s: no session %s (storm sessions --db %s lists them)\n", db, session, db);
        rc = CLI_FAIL;
        goto out;
    }
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 31);
    if (storm_report_write(r, &b, &err) != STORM_OK) {
        fprintf(stderr, "storm report: %s\n", err.msg);
        rc = CLI_FAIL;
    } else {
        FILE *f = output ? fopen(output, "w") : stdout;
        if (!f) {
            fprintf(stderr, "storm report: %s: %s\n", output, strerror(errno));
            rc = CLI_FAIL;
        } else {
            if (b.data && fwrite(b.data, 1, b.len, f) != b.len)
                rc = CLI_FAIL;
            if (f != stdout && fclose(f) != 0)
                rc = CLI_FAIL;
        }
        if (format == STORM_REPORT_STIX) {
            size_t nr = 0, no = 0;
            storm_report_counts(r, &nr, &no);
            fprintf(stderr, "storm report: %zu reports, %zu objects\n", nr, no);
        }
    }
    storm_buf_free(&b);
    if (c.bad)
        rc = CLI_FAIL;
out:
    storm_report_free(r);
    storm_models_free(m);
    storm_store_close(store);
    return rc;
}
