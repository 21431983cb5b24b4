/* SPDX-License-Identifier: Apache-2.0 */
/* storm baseline learn|check|show|allow|deny|forget|export|import:
 * offline learning from recordings, the representativeness report, hand
 * edits and profile exchange (docs/baseline.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/pipeline.h>
#include <storm/io.h>
#include <storm/store.h>

#include "cli.h"

#define LINE_MAX_BYTES (16u << 20)    /* one sensor record */
#define IMPORT_MAX_BYTES (256u << 20) /* one profile file */
#define EXPORT_MAX_BYTES (1u << 30)
#define REPORT_BAD_LINES 10 /* bad lines printed per input; all are counted */

#define BASELINE_USAGE "usage: storm baseline <action> --db FILE [options]"

static const char *const usage_text = BASELINE_USAGE
    "\n"
    "\n"
    "  learn  --db FILE [--from SENSOR] [INPUT...]   learn profiles from JSON-lines recordings ('-' = stdin)\n"
    "  check  --db FILE [--from SENSOR] [--anomalies] [INPUT...]\n"
    "                                                classify events: explained / unexplained / unprofiled\n"
    "  show   --db FILE [--workload W] [--features]  per profile: events, features, last new feature, verdict\n"
    "  allow  --db FILE --workload W FEATURE         add a feature by hand, e.g. 'exec /usr/bin/curl *'\n"
    "  deny   --db FILE --workload W FEATURE         remove a feature and keep it out of learning\n"
    "  forget --db FILE --workload W                 delete a whole profile\n"
    "  export --db FILE [--workload W] [OUT]         write profiles as JSON (default: stdout)\n"
    "  import --db FILE [--kubescape] [--namespace NS] [--workload NAME] FILE...\n"
    "                                                read a JSON export or a Kubescape ApplicationProfile\n"
    "\n"
    "options: --max-profiles N, --max-features N (memory caps), --settle-events N (the settled rule),\n"
    "         --collapse-threshold N|off (learn: more than N files of one directory become <dir>/\xe2\x8b\xaf;\n"
    "         default 50)\n"
    "FEATURE is '<kind> <value>', kind one of exec, file, net, hook, api, syscall, cap, alert, event.\n";

typedef struct opts {
    const char *action, *db, *from, *workload, *namespace_;
    bool features, anomalies, kubescape, help;
    storm_baseline_opts bopts;
    char **args;
    int nargs;
} opts;

static int usage_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "storm baseline: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'storm baseline --help')\n");
    return CLI_USAGE;
}

static bool parse_count(const char *s, size_t *out)
{
    unsigned long long v = 0;
    if (!cli_parse_number(s, 1, SIZE_MAX, &v))
        return false;
    *out = (size_t)v;
    return true;
}

enum {
    OPT_DB = 256,
    OPT_FROM,
    OPT_WORKLOAD,
    OPT_NAMESPACE,
    OPT_MAX_PROFILES,
    OPT_MAX_FEATURES,
    OPT_FEATURES,
    OPT_ANOMALIES,
    OPT_KUBESCAPE,
    OPT_COLLAPSE,
    OPT_SETTLE,
};

/* The options (anywhere on the line, as getopt permutes) and the operands:
 * the action first, then its arguments in o->args (pointing into argv).
 * CLI_OK, CLI_USAGE after saying why, or CLI_OK with o->help set. */
static int parse_opts(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"from", required_argument, NULL, OPT_FROM},
        {"workload", required_argument, NULL, OPT_WORKLOAD},
        {"namespace", required_argument, NULL, OPT_NAMESPACE},
        {"max-profiles", required_argument, NULL, OPT_MAX_PROFILES},
        {"max-features", required_argument, NULL, OPT_MAX_FEATURES},
        {"features", no_argument, NULL, OPT_FEATURES},
        {"anomalies", no_argument, NULL, OPT_ANOMALIES},
        {"kubescape", no_argument, NULL, OPT_KUBESCAPE},
        {"collapse-threshold", required_argument, NULL, OPT_COLLAPSE},
        {"settle-events", required_argument, NULL, OPT_SETTLE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    optind = 1;
    int ch;
    while ((ch = cli_getopt("baseline", BASELINE_USAGE, argc, argv, "h", longopts)) != -1) {
        switch (ch) {
        case OPT_DB: o->db = optarg; break;
        case OPT_FROM: o->from = optarg; break;
        case OPT_WORKLOAD: o->workload = optarg; break;
        case OPT_NAMESPACE: o->namespace_ = optarg; break;
        case OPT_MAX_PROFILES:
            if (!parse_count(optarg, &o->bopts.max_profiles))
                return usage_fail("--max-profiles needs a positive number, not '%s'", optarg);
            break;
        case OPT_MAX_FEATURES:
            if (!parse_count(optarg, &o->bopts.max_features))
                return usage_fail("--max-features needs a positive number, not '%s'", optarg);
            break;
        case OPT_FEATURES: o->features = true; break;
        case OPT_ANOMALIES: o->anomalies = true; break;
        case OPT_KUBESCAPE: o->kubescape = true; break;
        case OPT_COLLAPSE:
            if (strcmp(optarg, "off") == 0)
                o->bopts.collapse_threshold = SIZE_MAX;
            else if (!parse_count(optarg, &o->bopts.collapse_threshold))
                return usage_fail("--collapse-threshold needs a positive number or 'off', not '%s'", optarg);
            break;
        case OPT_SETTLE:
            if (!parse_count(optarg, &o->bopts.settle_events))
                return usage_fail("--settle-events needs a positive number, not '%s'", optarg);
            break;
        case 'h': o->help = true; return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        o->action = argv[optind++];
    o->args = argv + optind;
    o->nargs = argc - optind;
    return CLI_OK;
}

static void print_err(const char *what, const storm_err *err)
{
    fprintf(stderr, "storm baseline: %s: %s\n", what, err->msg[0] ? err->msg : storm_strerror(err->rc));
}

/* ---- reading recordings ---- */

typedef struct feed_stats {
    uint64_t learned_new;
    uint64_t explained, unexplained, unprofiled;
} feed_stats;

typedef struct feeder {
    storm_baseline *b;
    bool learn, anomalies;
    feed_stats st;
} feeder;

/* The pipeline's event sink: every decoded event is learned or checked. */
static storm_rc handle_event(void *ctx, storm_event *ev, storm_err *err)
{
    feeder *f = ctx;
    if (f->learn) {
        size_t added = 0;
        storm_rc rc = storm_baseline_learn(f->b, ev, &added, err);
        if (rc == STORM_OK)
            f->st.learned_new += added;
        return rc;
    }
    storm_baseline_result res;
    switch (storm_baseline_check(f->b, ev, &res)) {
    case STORM_BASELINE_EXPLAINED: f->st.explained++; break;
    case STORM_BASELINE_UNEXPLAINED:
        f->st.unexplained++;
        if (f->anomalies)
            printf("anomaly %s:%" PRIu64 ": %s\n", ev->source_name ? ev->source_name : "-", ev->source_line,
                   res.reason);
        break;
    default:
        f->st.unprofiled++;
        if (f->anomalies)
            printf("unprofiled %s:%" PRIu64 ": %s\n", ev->source_name ? ev->source_name : "-", ev->source_line,
                   res.workload[0] ? res.workload : "(no workload identity)");
        break;
    }
    return STORM_OK;
}

static int open_db(const opts *o, bool read_only, storm_store **store, storm_baseline **b)
{
    storm_err err;
    storm_err_clear(&err);
    if (!o->db)
        return usage_fail("%s needs --db FILE", o->action);
    if (storm_store_open(o->db, read_only ? STORM_STORE_READONLY : STORM_STORE_READWRITE, store, &err) != STORM_OK) {
        print_err(o->db, &err);
        return CLI_FAIL;
    }
    storm_baseline_opts bo = o->bopts;
    bo.read_only = read_only;
    if (storm_baseline_open(*store, &bo, b, &err) != STORM_OK) {
        print_err(o->db, &err);
        storm_store_close(*store);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int save_close(storm_store *store, storm_baseline *b, int rc)
{
    storm_err err;
    storm_err_clear(&err);
    if (rc == CLI_OK && storm_baseline_save(b, &err) != STORM_OK) {
        print_err("saving", &err);
        rc = CLI_FAIL;
    }
    storm_baseline_close(b);
    storm_store_close(store);
    return rc;
}

static int do_feed(const opts *o, bool learn)
{
    storm_pipeline_opts po = {.prog = "storm baseline", .messages_shown = REPORT_BAD_LINES, .max_line = LINE_MAX_BYTES};
    if (o->from && !(po.forced = storm_decoder_find(o->from)))
        return usage_fail(
            "--from: unknown sensor '%s' (tetragon, k8s-audit, falco, kubescape, hubble, sshd, http-access)", o->from);
    storm_store *store;
    feeder f = {.learn = learn, .anomalies = o->anomalies};
    int rc = open_db(o, false, &store, &f.b);
    if (rc != CLI_OK)
        return rc;
    /* the same reader as storm run and storm convert: the same records,
     * the same rejects */
    storm_pipeline_sinks sinks = {.event = handle_event, .event_ctx = &f};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK) {
        print_err("pipeline", &err);
        return save_close(store, f.b, CLI_FAIL);
    }
    for (int i = 0; i < (o->nargs ? o->nargs : 1) && rc == CLI_OK; i++) {
        const char *name = o->nargs ? o->args[i] : "-";
        storm_err_clear(&err);
        if (storm_pipeline_feed_source(p, name, false, &err) != STORM_OK) {
            print_err(name, &err);
            rc = CLI_FAIL;
        }
    }
    storm_pipeline_stats ps;
    storm_pipeline_get_stats(p, &ps);
    storm_pipeline_free(p);
    storm_baseline_stats s;
    storm_baseline_get_stats(f.b, &s);
    FILE *out = o->anomalies ? stderr : stdout;
    if (learn)
        fprintf(out,
                "learned %" PRIu64 " events from %" PRIu64 " lines (%" PRIu64 " skipped, %" PRIu64 " bad): %" PRIu64
                " new features, %zu profiles; %" PRIu64 " events without identity, %" PRIu64
                " over the profile cap, %" PRIu64 " features over the per-profile cap\n",
                ps.events_decoded, ps.records_read, ps.events_skipped, ps.events_rejected, f.st.learned_new, s.profiles,
                s.learned_unattributed, s.profile_overflow, s.feature_overflow);
    else
        fprintf(out,
                "checked %" PRIu64 " events from %" PRIu64 " lines (%" PRIu64 " skipped, %" PRIu64 " bad): %" PRIu64
                " explained (removed), %" PRIu64 " unexplained (anomalies), %" PRIu64 " unprofiled\n",
                ps.events_decoded, ps.records_read, ps.events_skipped, ps.events_rejected, f.st.explained,
                f.st.unexplained, f.st.unprofiled);
    rc = save_close(store, f.b, rc);
    return rc == CLI_OK && ps.events_rejected ? CLI_FAIL : rc;
}

/* ---- show ---- */

static void fmt_time(storm_time_ns t, char *buf)
{
    if (!t)
        strcpy(buf, "-");
    else
        storm_time_format(t, 3, buf);
}

static void print_feature(void *ctx, const storm_baseline_feature_info *fi)
{
    (void)ctx;
    printf("    %s %s", fi->denied ? "deny " : "allow", fi->text);
    if (fi->hits)
        printf("  (%" PRIu64 " hits)", fi->hits);
    printf("\n");
}

static void show_profile(const storm_baseline *b, const storm_baseline_profile_info *p, bool features)
{
    char first[40], last[40], newest[40];
    fmt_time(p->first_seen, first);
    fmt_time(p->last_seen, last);
    fmt_time(p->last_new_feature, newest);
    printf("%s\n", p->workload);
    printf("  %s: %" PRIu64 " events learned, %zu features (%zu denied), last new feature at event %" PRIu64
           " (%s), %" PRIu64 " events since\n",
           p->settled ? "settled" : "learning", p->events_learned, p->n_features, p->n_denied, p->events_at_last_new,
           newest, p->events_learned - p->events_at_last_new);
    printf("  origin %s, seen %s .. %s, overflow %" PRIu64 ", checked: %" PRIu64 " explained, %" PRIu64
           " unexplained\n",
           p->origin, first, last, p->overflow, p->explained, p->unexplained);
    if (features)
        storm_baseline_features(b, p->workload, print_feature, NULL);
}

static int do_show(const opts *o)
{
    storm_store *store;
    storm_baseline *b;
    int rc = open_db(o, true, &store, &b);
    if (rc != CLI_OK)
        return rc;
    storm_baseline_profile_info p;
    if (o->workload) {
        if (!storm_baseline_profile_get(b, o->workload, &p)) {
            fprintf(stderr, "storm baseline: no profile for workload '%s'\n", o->workload);
            rc = CLI_FAIL;
        } else {
            show_profile(b, &p, true);
        }
    } else {
        size_t n = storm_baseline_profile_count(b), settled = 0;
        for (size_t i = 0; i < n; i++) {
            storm_baseline_profile_at(b, i, &p);
            show_profile(b, &p, o->features);
            settled += p.settled;
        }
        printf("%zu profiles, %zu settled, %zu still learning\n", n, settled, n - settled);
    }
    storm_baseline_close(b);
    storm_store_close(store);
    return rc;
}

/* ---- hand edits, export, import ---- */

static int do_edit(const opts *o)
{
    bool forget = strcmp(o->action, "forget") == 0;
    if (!o->workload)
        return usage_fail("%s needs --workload W (see 'storm baseline show')", o->action);
    if (!forget && o->nargs != 1)
        return usage_fail("%s needs exactly one FEATURE, e.g. 'exec /usr/bin/curl *'", o->action);
    storm_store *store;
    storm_baseline *b;
    int rc = open_db(o, false, &store, &b);
    if (rc != CLI_OK)
        return rc;
    storm_err err;
    storm_err_clear(&err);
    storm_rc r = forget                            ? storm_baseline_forget(b, o->workload, &err)
                 : strcmp(o->action, "allow") == 0 ? storm_baseline_allow(b, o->workload, o->args[0], &err)
                                                   : storm_baseline_deny(b, o->workload, o->args[0], &err);
    if (r != STORM_OK) {
        print_err(o->action, &err);
        rc = CLI_FAIL;
    }
    return save_close(store, b, rc);
}

static int do_export(const opts *o)
{
    if (o->nargs > 1)
        return usage_fail("export writes one file (got %s more)", "several");
    storm_store *store;
    storm_baseline *b;
    int rc = open_db(o, true, &store, &b);
    if (rc != CLI_OK)
        return rc;
    storm_buf out;
    storm_buf_init(&out, EXPORT_MAX_BYTES);
    storm_err err;
    storm_err_clear(&err);
    if (storm_baseline_export(b, o->workload, &out, &err) != STORM_OK) {
        print_err("export", &err);
        rc = CLI_FAIL;
    } else {
        FILE *f = o->nargs ? fopen(o->args[0], "w") : stdout;
        if (!f || fwrite(out.data, 1, out.len, f) != out.len || (f != stdout && fclose(f) != 0)) {
            fprintf(stderr, "storm baseline: %s: %s\n", o->nargs ? o->args[0] : "stdout", strerror(errno));
            rc = CLI_FAIL;
        }
    }
    storm_buf_free(&out);
    storm_baseline_close(b);
    storm_store_close(store);
    return rc;
}

static int do_import(const opts *o)
{
    if (o->nargs == 0)
        return usage_fail("import needs at least one FILE%s", "");
    storm_store *store;
    storm_baseline *b;
    int rc = open_db(o, false, &store, &b);
    if (rc != CLI_OK)
        return rc;
    for (int i = 0; i < o->nargs && rc == CLI_OK; i++) {
        char *data;
        size_t len;
        storm_err err;
        storm_err_clear(&err);
        if (storm_read_file(o->args[i], IMPORT_MAX_BYTES, &data, &len, &err) != STORM_OK) {
            print_err(o->args[i], &err);
            rc = CLI_FAIL;
            break;
        }
        size_t lead = strspn(data, " \t\r\n");
        bool kubescape = o->kubescape || !(data[lead] == '{' && strstr(data, "\"storm-baseline\""));
        storm_baseline_import_stats st;
        storm_rc r = kubescape ? storm_baseline_import_kubescape(b, data, len, o->namespace_, o->workload, &st, &err)
                               : storm_baseline_import_json(b, data, len, &st, &err);
        if (r != STORM_OK) {
            char report[1024];
            storm_err_locate(&err, data, len);
            storm_err_format(&err, "import", o->args[i], data, len, report, sizeof report);
            fprintf(stderr, "%s\n", report);
            rc = CLI_FAIL;
        } else {
            printf("%s: %s, %zu profiles, %zu new features, %zu entries rejected\n", o->args[i],
                   kubescape ? "Kubescape ApplicationProfile" : "Storm baseline export", st.profiles, st.features,
                   st.rejected);
            if (st.rejected) {
                fprintf(stderr, "%s: first rejected entry: %s\n", o->args[i], err.msg);
                rc = CLI_FAIL;
            }
        }
        free(data);
    }
    return save_close(store, b, rc);
}

int cmd_baseline(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc == CLI_OK && o.help) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (rc == CLI_OK && !o.action)
        rc = usage_fail("which action? learn, check, show, allow, deny, forget, export or import%s", "");
    if (rc == CLI_OK) {
        const char *a = o.action;
        if (strcmp(a, "learn") == 0 || strcmp(a, "check") == 0)
            rc = do_feed(&o, strcmp(a, "learn") == 0);
        else if (strcmp(a, "show") == 0)
            rc = do_show(&o);
        else if (strcmp(a, "allow") == 0 || strcmp(a, "deny") == 0 || strcmp(a, "forget") == 0)
            rc = do_edit(&o);
        else if (strcmp(a, "export") == 0)
            rc = do_export(&o);
        else if (strcmp(a, "import") == 0)
            rc = do_import(&o);
        else
            rc = usage_fail("unknown action '%s'", a);
    }
    return rc;
}
