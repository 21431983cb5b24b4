/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/coverage: per stored indicator, would the sensors Storm
 * generates for the stored models produce the events its pattern needs?
 * The same library calls as `storm instrument` and `storm policy coverage`:
 * the TracingPolicies are generated from the models in the store, read
 * back, and each hook indicator is checked against them (hook traced,
 * arguments captured where the pattern reads them, a selector that lets
 * its values through). Indicators without kernel hooks are placed by the
 * sensor they read: process_exec (Tetragon sends it without a policy), the
 * Kubernetes audit log (the generated audit Policy), another sensor's
 * alerts (nothing Storm generates), or none. */
#include "webapi_int.h"

#include <stdio.h>
#include <string.h>
#include <storm/instrument.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/pipeline.h>
#include <storm/tracingpolicy.h>

#define COVERAGE_TEXT_MAX ((size_t)64 << 20) /* generated policies, report and coverage at most */

/* What an indicator reads, from its line of the generation report (one
 * line per indicator, in the models' order; detail lines are indented). */
typedef enum reads_kind { READS_HOOK, READS_EXEC, READS_AUDIT, READS_ALERT, READS_OTHER, READS_UNKNOWN } reads_kind;

static reads_kind reads_of_line(const char *line, size_t len)
{
    if (len >= 10 && strncmp(line, "tripwire  ", 10) == 0)
        return READS_HOOK;
    if (len >= 10 && strncmp(line, "audit     ", 10) == 0)
        return READS_AUDIT;
    static const char exec_tail[] = "process_exec carries (binary, command line, pod)";
    static const char alert_tail[] = "reads alert events of another sensor";
    size_t ne = sizeof exec_tail - 1, na = sizeof alert_tail - 1;
    if (len >= ne && memcmp(line + len - ne, exec_tail, ne) == 0)
        return READS_EXEC;
    if (len >= na && memcmp(line + len - na, alert_tail, na) == 0)
        return READS_ALERT;
    return READS_OTHER;
}

/* The kinds of the n indicators, in order, into kinds[]. False when the
 * report does not have one line per indicator (a name holding a line
 * break): then no kind is trusted. */
static bool reads_of_report(const storm_buf *report, reads_kind *kinds, size_t n)
{
    size_t i = 0;
    const char *p = report->data ? report->data : "";
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && *p != ' ') {
            if (i < n)
                kinds[i] = reads_of_line(p, len);
            i++;
        }
        p += len + (e ? 1 : 0);
    }
    return i == n;
}

/* The reason of a hook indicator: which hooks, by which policy, or why not. */
static void put_hooks_reason(storm_buf *b, const storm_value *hooks, const char *status)
{
    storm_buf why;
    storm_buf_init(&why, 1u << 16);
    size_t n = hooks && hooks->type == STORM_V_ARRAY ? hooks->u.a.len : 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        const storm_value *h = hooks->u.a.items[i];
        const storm_value *cov = storm_v_get(h, "covered");
        bool covered = cov && cov->type == STORM_V_BOOL && cov->u.b;
        ok += covered;
        const char *hook = storm_v_get_str(h, "hook");
        if (covered)
            storm_buf_printf(&why, "%s%s traced by %s", why.len ? "; " : "", hook ? hook : "?",
                             storm_v_get_str(h, "policy") ? storm_v_get_str(h, "policy") : "?");
        else
            storm_buf_printf(&why, "%s%s", why.len ? "; " : "",
                             storm_v_get_str(h, "reason") ? storm_v_get_str(h, "reason") : "not traced");
    }
    char head[160];
    if (strcmp(status, "covered") == 0)
        snprintf(head, sizeof head, "the generated TracingPolicies let through every hook it reads (%zu): ", n);
    else if (strcmp(status, "partial") == 0)
        snprintf(head, sizeof head, "%zu of %zu hooks it reads get through the generated TracingPolicies: ", ok, n);
    else
        snprintf(head, sizeof head, "none of the %zu hooks it reads gets through the generated TracingPolicies: ", n);
    storm_buf_puts(b, ",\"reason\":");
    storm_buf out;
    storm_buf_init(&out, 1u << 17);
    storm_buf_puts(&out, head);
    storm_buf_puts(&out, why.data ? why.data : "");
    webapi_str(b, out.data);
    storm_buf_free(&out);
    storm_buf_free(&why);
}

static void put_entry(storm_buf *b, bool first, const char *id, const char *status, const char *sensor,
                      const char *reason)
{
    storm_buf_puts(b, first ? "" : ",");
    webapi_str(b, id);
    storm_buf_puts(b, ":{\"status\":");
    webapi_str(b, status);
    storm_buf_puts(b, ",\"sensor\":");
    webapi_str(b, sensor);
    if (reason) {
        storm_buf_puts(b, ",\"reason\":");
        webapi_str(b, reason);
    }
}

typedef struct coverage_run {
    storm_models *models;
    storm_gen_files files;
    storm_tp_set *policies;
    storm_buf report, coverage, audit;
} coverage_run;

static void coverage_run_free(coverage_run *r)
{
    storm_models_free(r->models);
    storm_gen_files_clear(&r->files);
    storm_tp_set_free(r->policies);
    storm_buf_free(&r->report);
    storm_buf_free(&r->coverage);
    storm_buf_free(&r->audit);
}

void webapi_get_coverage(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_INDICATORS, false))
        return;
    coverage_run r = {0};
    storm_buf_init(&r.report, COVERAGE_TEXT_MAX);
    storm_buf_init(&r.coverage, COVERAGE_TEXT_MAX);
    storm_buf_init(&r.audit, COVERAGE_TEXT_MAX);
    storm_err err = {0};
    size_t n_found = 0;
    if (storm_models_new(&r.models) != STORM_OK || storm_tp_set_new(&r.policies) != STORM_OK) {
        coverage_run_free(&r);
        webapi_error(c, 500, "out of memory");
        return;
    }
    if (storm_pipeline_load_store_models(r.models, c->rq->store, "store", &n_found, &err) != STORM_OK) {
        coverage_run_free(&r);
        webapi_error(c, 500, "loading the stored models: %s", err.msg);
        return;
    }
    storm_models_finish(r.models);
    storm_policy_gen_stats gen = {0};
    size_t audit_rules = 0;
    storm_coverage_stats cov = {0};
    storm_rc rc = storm_policy_generate(r.models, NULL, &r.files, &r.report, &gen, &err);
    for (size_t i = 0; rc == STORM_OK && i < r.files.n; i++)
        rc = storm_tp_set_load_text(r.policies, r.files.v[i].name, r.files.v[i].text, strlen(r.files.v[i].text), &err);
    if (rc == STORM_OK)
        rc = storm_audit_policy_generate(r.models, &r.audit, &audit_rules, &err);
    if (rc == STORM_OK)
        rc = storm_policy_coverage(r.models, r.policies, true, &r.coverage, &cov, &err);
    storm_value *verdicts = NULL;
    if (rc == STORM_OK && storm_json_parse(c->arena, r.coverage.data ? r.coverage.data : "[]",
                                           r.coverage.len ? r.coverage.len : 2, 0, &verdicts, NULL, &err) != STORM_OK)
        rc = STORM_ERR_SYNTAX;
    size_t n = storm_models_n_indicators(r.models);
    reads_kind *kinds = n ? storm_arena_alloc(c->arena, n * sizeof *kinds) : NULL;
    if (rc == STORM_OK && n && !kinds)
        rc = storm_err_set(&err, STORM_ERR_NOMEM, 0, "out of memory");
    if (rc != STORM_OK || !verdicts || verdicts->type != STORM_V_ARRAY) {
        coverage_run_free(&r);
        webapi_error(c, 500, "coverage: %s", err.msg[0] ? err.msg : "no verdicts");
        return;
    }
    bool kinds_known = reads_of_report(&r.report, kinds, n);
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"indicators\":{");
    size_t counts[4] = {0}; /* covered, partly, not, external */
    for (size_t i = 0; i < n; i++) {
        const storm_model_indicator *ind = storm_models_indicator(r.models, i);
        const storm_value *v = i < verdicts->u.a.len ? verdicts->u.a.items[i] : NULL;
        const char *vid = v ? storm_v_get_str(v, "indicator") : NULL;
        const char *vstatus = v ? storm_v_get_str(v, "status") : NULL;
        if (!vid || strcmp(vid, ind->id) != 0)
            vstatus = NULL; /* not the same order: say nothing rather than something wrong */
        if (!kinds_known && !(vstatus && strcmp(vstatus, "no-policy-needed") != 0))
            kinds[i] = READS_UNKNOWN;
        else if (!kinds_known)
            kinds[i] = READS_HOOK; /* the coverage verdict names its hooks: that is enough */
        if (kinds[i] == READS_HOOK && vstatus && strcmp(vstatus, "no-policy-needed") != 0) {
            const char *status = strcmp(vstatus, "covered") == 0   ? "covered"
                                 : strcmp(vstatus, "partial") == 0 ? "partly"
                                                                   : "not";
            counts[status[0] == 'c' ? 0 : status[0] == 'p' ? 1 : 2]++;
            put_entry(b, i == 0, ind->id, status, "tetragon-tracingpolicy", NULL);
            put_hooks_reason(b, storm_v_get(v, "hooks"), vstatus);
            storm_buf_puts(b, ",\"hooks\":");
            storm_json_write(b, storm_v_get(v, "hooks"), STORM_JSONW_COMPACT);
        } else if (kinds[i] == READS_EXEC) {
            counts[0]++;
            put_entry(b, i == 0, ind->id, "covered", "tetragon-process-exec",
                      "reads only what process_exec events carry (binary, command line, pod): Tetragon sends them "
                      "without any TracingPolicy");
        } else if (kinds[i] == READS_AUDIT) {
            char why[200];
            snprintf(why, sizeof why,
                     "reads Kubernetes audit events: the generated audit Policy (%zu rules) records the resources "
                     "it names",
                     audit_rules);
            counts[audit_rules ? 0 : 2]++;
            put_entry(b, i == 0, ind->id, audit_rules ? "covered" : "not", "kubernetes-audit", why);
        } else if (kinds[i] == READS_ALERT) {
            counts[3]++;
            put_entry(b, i == 0, ind->id, "external", "alerts",
                      "reads alerts of another sensor (Falco, Kubescape): Storm generates nothing for it; it sees "
                      "events only where that sensor's rule runs");
        } else {
            /* application logs (ssh, HTTP access) through the intake: a source, not a sensor Storm makes */
            bool logs = vstatus && kinds[i] == READS_OTHER;
            counts[logs ? 3 : 2]++;
            put_entry(b, i == 0, ind->id, logs ? "external" : "not", logs ? "logs" : "none",
                      logs ? "reads events no sensor Storm generates produces (application or login logs through "
                             "the intake): it sees them only where that log is fed to Storm"
                           : "no coverage verdict for this indicator");
        }
        storm_buf_putc(b, '}');
    }
    storm_buf_printf(b,
                     "},\"summary\":{\"covered\":%zu,\"partly\":%zu,\"not\":%zu,\"external\":%zu,\"policies\":%zu,"
                     "\"hooks\":%zu,\"audit_rules\":%zu,\"widened\":%zu,\"problems\":%zu}}",
                     counts[0], counts[1], counts[2], counts[3], gen.policies, gen.hooks, audit_rules, gen.widened,
                     storm_tp_set_n_problems(r.policies));
    coverage_run_free(&r);
}
