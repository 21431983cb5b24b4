/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes audit decoder: every corpus line decodes (or is rejected for a
 * stated reason), format detection picks k8s-audit and nothing else, real
 * events map field by field, EventList batches, and wrong types are
 * positioned STORM_ERR_VALUE errors. */
#include <stdlib.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

#include "test.h"
#include "corpus_util.h"

static const char *audit_files[] = {
    "k8s-audit/falco-trace-files-k8s-audit.jsonl",
    "k8s-audit/falco-trace-files-psp.jsonl",
    "k8s-audit/falco-website-docs.jsonl",
    "k8s-audit/malformed-fal-01-003.jsonl",
};

static void check_request(void *ctx, const storm_event *ev)
{
    (void)ctx;
    CHECK(ev->sensor == STORM_SENSOR_K8S_AUDIT);
    CHECK(ev->kind == STORM_EV_API_REQUEST);
    CHECK(ev->has_time);
    CHECK(ev->audit.verb != NULL);
}

/* Every line through format detection and the decoder. */
static corpus_counts decode_file(const char *rel, const char *expect_decoder)
{
    return corpus_decode_file(rel, expect_decoder, NULL, check_request, NULL);
}

static void test_corpus_counts(void)
{
    corpus_counts c = decode_file(audit_files[0], "k8s-audit");
    CHECK(c.lines == 55 && c.events == 55 && c.rejected == 0 && c.detected == 55);
    c = decode_file(audit_files[1], "k8s-audit");
    CHECK(c.lines == 29 && c.events == 29 && c.rejected == 0 && c.detected == 29);
    c = decode_file(audit_files[2], "k8s-audit");
    CHECK(c.lines == 1 && c.events == 1 && c.rejected == 0 && c.detected == 1);
    /* {"kind": 0}: detected as a broken audit record and rejected, never accepted */
    c = decode_file(audit_files[3], "k8s-audit");
    CHECK(c.lines == 1 && c.events == 0 && c.rejected == 1 && c.detected == 1);
}

static void test_malformed_kind(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    size_t len;
    char *line = corpus_line(a, audit_files[3], 1, &len);
    storm_event_list out = {0};
    storm_err err = {0};
    const char *skip = NULL;
    CHECK(line != NULL);
    storm_rc rc = corpus_decode(a, "k8s-audit", line, len, &out, &skip, &err);
    CHECK(rc == STORM_ERR_VALUE);
    CHECK(out.n == 0);
    CHECK(err.offset == 9); /* the 0 in {"kind": 0} */
    CHECK(strstr(err.msg, "kind") != NULL);
    CHECK(strstr(err.msg, "integer") != NULL);
    storm_arena_free(a);
}

static void test_exec_into_pod(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    storm_event *ev = corpus_line_event(a, "k8s-audit", audit_files[0], 9, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->type, "Event");
        CHECK_STR(ev->audit.verb, "create");
        CHECK_STR(ev->audit.resource, "pods");
        CHECK_STR(ev->audit.subresource, "exec");
        CHECK_STR(ev->audit.stage, "ResponseStarted");
        CHECK_STR(ev->audit.level, "Request");
        CHECK_STR(ev->audit.audit_id, "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
        CHECK_STR(ev->audit.user, "minikube-user");
        CHECK(storm_v_len(ev->audit.groups) == 2);
        CHECK_STR(ev->audit.source_ip, "192.168.99.1");
        CHECK(ev->audit.has_code && ev->audit.code == 101);
        CHECK_STR(ev->audit.decision, "allow");
        CHECK_STR(ev->k8s.namespace_, "default");
        CHECK_STR(ev->k8s.pod, "nginx-deployment-7998647bdf-phvq7");
        CHECK_STR(ev->k8s.container, "nginx1");
        char ts[40];
        storm_time_format_exact(ev->time, ts);
        CHECK_STR(ts, "2018-10-26T13:38:34.867116Z");
        const storm_value *cmd = storm_v_get(ev->alert.fields, "exec_command");
        CHECK(storm_v_len(cmd) == 1 && storm_v_is_str(cmd->u.a.items[0], "bash"));
        CHECK(!ev->alert.present);
    }
    /* the attach twin */
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[0], 27, &out);
    CHECK(ev && ev->audit.subresource && strcmp(ev->audit.subresource, "attach") == 0);
    if (ev)
        CHECK_STR(ev->k8s.container, "nginx1");
    storm_arena_free(a);
}

static void test_secret_requests(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    /* kubeadm creating a bootstrap token (no apiVersion-less quirks here: v1) */
    storm_event *ev = corpus_line_event(a, "k8s-audit", audit_files[0], 18, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->audit.verb, "create");
        CHECK_STR(ev->audit.resource, "secrets");
        CHECK_STR(ev->audit.object_namespace, "kube-system");
        CHECK_STR(ev->audit.object_name, "bootstrap-token-ne7bxu");
        CHECK_STR(ev->audit.user, "admin");
        CHECK_STR(ev->audit.user_agent, "kubeadm/v1.16.2 (linux/amd64) kubernetes/c97fe50");
        CHECK(ev->audit.code == 201);
        CHECK(ev->audit.request_object && storm_v_is_str(storm_v_get(ev->audit.request_object, "kind"), "Secret"));
        CHECK(ev->k8s.pod == NULL);
    }
    /* The corpus has no secret get: the same request as a get, as KubeHound's
     * IDENTITY_ASSUME step would make it (derived from line 19). */
    out = (storm_event_list){0};
    storm_err err;
    const char *get =
        "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/"
        "v1\",\"level\":\"Metadata\",\"auditID\":\"d1df3fa9-497f-49cf-"
        "bd48-60a651df8075\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/default/secrets/"
        "example-secret\",\"verb\":\"get\",\"user\":{\"username\":\"system:serviceaccount:default:attacker\",\"uid\":"
        "\"42\",\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"]},\"sourceIPs\":[\"10.244.0.7\"],"
        "\"userAgent\":\"curl/8.5.0\",\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"default\",\"name\":"
        "\"example-secret\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"metadata\":{},\"code\":200},"
        "\"requestReceivedTimestamp\":\"2020-04-21T17:58:49.691845Z\",\"stageTimestamp\":\"2020-04-21T17:58:49."
        "696309Z\",\"annotations\":{\"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":"
        "\"RBAC: allowed by RoleBinding\"}}";
    CHECK(corpus_decode_str(a, "k8s-audit", get, &out, &err) == STORM_OK && out.n == 1);
    if (out.n == 1) {
        ev = &out.items[0];
        CHECK_STR(ev->audit.verb, "get");
        CHECK_STR(ev->audit.resource, "secrets");
        CHECK_STR(ev->audit.object_name, "example-secret");
        CHECK_STR(ev->audit.user, "system:serviceaccount:default:attacker");
        CHECK_STR(ev->audit.user_uid, "42");
        CHECK_STR(ev->audit.reason, "RBAC: allowed by RoleBinding");
        CHECK_STR(ev->k8s.namespace_, "default");
        CHECK(ev->alert.fields == NULL); /* nothing to summarise */
    }
    storm_arena_free(a);
}

static bool summary_true(const storm_event *ev, const char *key)
{
    const storm_value *v = storm_v_get(ev->alert.fields, key);
    return v && v->type == STORM_V_BOOL && v->u.b;
}

static void test_pod_spec_summary(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    /* two containers, mysql privileged */
    storm_event *ev = corpus_line_event(a, "k8s-audit", audit_files[0], 21, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(summary_true(ev, "privileged"));
        const storm_value *images = storm_v_get(ev->alert.fields, "images");
        CHECK(storm_v_len(images) == 2 && storm_v_is_str(images->u.a.items[1], "mysql:latest"));
        CHECK(ev->k8s.container == NULL); /* two containers: no single one */
        CHECK(ev->audit.request_object != NULL);
    }
    /* a ReplicaSet's create with generateName: the response names the pod */
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[0], 2, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->k8s.pod, "nginx-deployment-7998647bdf-7q2sp");
        CHECK_STR(ev->k8s.namespace_, "kube-system");
        CHECK(storm_v_is_str(storm_v_get(ev->k8s.labels, "app"), "nginx"));
        CHECK_STR(ev->k8s.image, "nginx");
        CHECK(ev->audit.user_agent == NULL); /* older lines have none */
    }
    /* a hostPath volume of /etc */
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[0], 35, &out);
    const storm_value *hp = ev ? storm_v_get(ev->alert.fields, "host_path_volumes") : NULL;
    CHECK(storm_v_len(hp) == 1 && storm_v_is_str(hp->u.a.items[0], "/etc"));
    /* a get returns the pod: its spec (hostPath /usr/local) comes from the response */
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[0], 13, &out);
    hp = ev ? storm_v_get(ev->alert.fields, "host_path_volumes") : NULL;
    CHECK(storm_v_len(hp) == 1 && storm_v_is_str(hp->u.a.items[0], "/usr/local"));
    if (ev) {
        CHECK_STR(ev->k8s.pod, "nginx-deployment-6dfd8b84dc-6dkjc");
        CHECK(ev->audit.user_agent == NULL);
        char ts[40];
        storm_time_format_exact(ev->time, ts);
        CHECK_STR(ts, "2018-10-25T17:44:08.581856Z"); /* requestReceivedTimestamp, not the older "timestamp" */
    }
    /* PSP fixtures: hostPID (line 7), hostNetwork (20), hostIPC (24), added capability (6), root (1) */
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[1], 7, &out);
    CHECK(ev && summary_true(ev, "host_pid") && !summary_true(ev, "host_network"));
    if (ev) {
        CHECK_STR(ev->k8s.container, "nginx1");
        CHECK_STR(ev->k8s.image, "nginx");
        CHECK_STR(ev->audit.user_uid, storm_v_get_str(storm_v_get(ev->raw, "user"), "uid"));
    }
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[1], 20, &out);
    CHECK(ev && summary_true(ev, "host_network"));
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[1], 24, &out);
    CHECK(ev && summary_true(ev, "host_ipc"));
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[1], 6, &out);
    const storm_value *caps = ev ? storm_v_get(ev->alert.fields, "capabilities_add") : NULL;
    CHECK(storm_v_len(caps) == 1 && storm_v_is_str(caps->u.a.items[0], "SYS_NICE"));
    out = (storm_event_list){0};
    ev = corpus_line_event(a, "k8s-audit", audit_files[1], 1, &out);
    CHECK(ev && summary_true(ev, "run_as_root"));
    storm_arena_free(a);
}

static void test_times(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    storm_err err;
    char ts[40];
    /* only the old top-level timestamp */
    CHECK(corpus_decode_str(a, "k8s-audit",
                            "{\"kind\":\"Event\",\"verb\":\"get\",\"timestamp\":\"2018-10-20T00:18:28Z\"}", &out,
                            &err) == STORM_OK);
    CHECK(out.n == 1 && out.items[0].has_time);
    storm_time_format_exact(out.items[0].time, ts);
    CHECK_STR(ts, "2018-10-20T00:18:28.000Z");
    /* only metadata.creationTimestamp */
    out = (storm_event_list){0};
    CHECK(corpus_decode_str(
              a, "k8s-audit",
              "{\"verb\":\"get\",\"auditID\":\"x\",\"metadata\":{\"creationTimestamp\":\"2018-10-20T00:18:29Z\"}}",
              &out, &err) == STORM_OK);
    CHECK(out.n == 1 && out.items[0].has_time);
    /* no time at all: accepted, time unknown */
    out = (storm_event_list){0};
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"Event\",\"verb\":\"list\"}", &out, &err) == STORM_OK);
    CHECK(out.n == 1 && !out.items[0].has_time);
    /* a malformed timestamp is rejected where it is */
    out = (storm_event_list){0};
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"Event\",\"verb\":\"get\",\"stageTimestamp\":\"yesterday\"}",
                            &out, &err) == STORM_ERR_VALUE);
    CHECK(err.offset == 46 && strstr(err.msg, "stageTimestamp") != NULL);
    storm_arena_free(a);
}

/* An EventList as the webhook backend posts it, built from corpus lines. */
static void test_event_list(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    size_t l1, l2, l3;
    char *e1 = corpus_line(a, audit_files[0], 9, &l1);
    char *e2 = corpus_line(a, audit_files[0], 18, &l2);
    char *e3 = corpus_line(a, audit_files[1], 7, &l3);
    CHECK(e1 && e2 && e3);
    if (!e1 || !e2 || !e3) {
        storm_arena_free(a);
        return;
    }
    char *list = storm_arena_printf(a,
                                    "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},"
                                    "\"items\":[%s,%s,%s]}",
                                    e1, e2, e3);
    storm_event_list out = {0};
    storm_err err;
    CHECK(corpus_decode_str(a, "k8s-audit", list, &out, &err) == STORM_OK);
    CHECK(out.n == 3);
    if (out.n == 3) {
        CHECK_STR(out.items[0].audit.audit_id, "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
        CHECK_STR(out.items[1].audit.resource, "secrets");
        CHECK(summary_true(&out.items[2], "host_pid"));
        CHECK_STR(out.items[0].k8s.container, "nginx1");
        /* each event keeps its own item as raw */
        CHECK(out.items[1].raw != out.items[0].raw);
    }
    /* the list is detected as k8s-audit */
    storm_value *root = NULL;
    CHECK(storm_json_parse(a, list, strlen(list), 0, &root, NULL, NULL) == STORM_OK);
    const storm_decoder *d = storm_decoder_detect(root);
    CHECK(d && strcmp(d->name, "k8s-audit") == 0);

    /* an empty batch, and Go's null list */
    out = (storm_event_list){0};
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"EventList\",\"items\":[]}", &out, &err) == STORM_OK &&
          out.n == 0);
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"EventList\",\"items\":null}", &out, &err) == STORM_OK &&
          out.n == 0);

    /* one bad item rejects the batch, says which item, and leaves nothing behind */
    out = (storm_event_list){0};
    char *bad = storm_arena_printf(a,
                                   "{\"kind\":\"EventList\",\"items\":[%s,{\"kind\":\"Event\",\"verb\":\"get\","
                                   "\"sourceIPs\":[7]}]}",
                                   e1);
    CHECK(corpus_decode_str(a, "k8s-audit", bad, &out, &err) == STORM_ERR_VALUE);
    CHECK(out.n == 0);
    CHECK(strstr(err.msg, "items[1].sourceIPs[0]") != NULL);
    CHECK(err.offset == strlen(bad) - 5); /* the 7 of [7]}]} */
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"EventList\",\"items\":[{\"kind\":\"Pod\",\"verb\":\"get\"}]}",
                            &out, &err) == STORM_ERR_VALUE);
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"EventList\",\"items\":[3]}", &out, &err) == STORM_ERR_VALUE);
    CHECK(corpus_decode_str(a, "k8s-audit", "{\"kind\":\"EventList\",\"items\":{}}", &out, &err) == STORM_ERR_VALUE);
    storm_arena_free(a);
}

static void test_wrong_types(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    storm_err err;
    /* marker: the text the error offset must point at (NULL: offset 0) */
    static const struct {
        const char *json, *needle, *marker;
    } cases[] = {
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"objectRef\":[]}", "objectRef: expected an object", "[]"},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"objectRef\":{\"namespace\":1}}", "objectRef.namespace", "1}"},
        {"{\"kind\":\"Event\",\"verb\":5}", "verb: expected a string", "5}"},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"responseStatus\":{\"code\":\"200\"}}", "responseStatus.code",
         "\"200\""},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"user\":{\"groups\":\"admins\"}}", "user.groups", "\"admins\""},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"sourceIPs\":\"1.2.3.4\"}", "sourceIPs", "\"1.2.3.4\""},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"annotations\":{\"authorization.k8s.io/decision\":true}}",
         "annotations.authorization.k8s.io/decision", "true"},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"requestObject\":\"{}\"}", "requestObject", "\"{}\""},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"impersonatedUser\":{\"username\":[]}}", "impersonatedUser.username",
         "[]"},
        {"{\"kind\":\"Event\",\"verb\":\"get\",\"requestReceivedTimestamp\":1540561114}", "requestReceivedTimestamp",
         "154"},
        {"{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}", "apiVersion", "\"v1\""},
        {"{\"kind\":\"Pod\"}", "kind \"Pod\"", "\"Pod\""},
        {"{\"kind\":\"Event\"}", "verb is missing", NULL},
        {"{\"kind\":null,\"verb\":\"get\"}", "kind", "null"},
        {"[1,2]", "expected a JSON object", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        out = (storm_event_list){0};
        storm_rc rc = corpus_decode_str(a, "k8s-audit", cases[i].json, &out, &err);
        size_t want = cases[i].marker ? (size_t)(strstr(cases[i].json, cases[i].marker) - cases[i].json) : 0;
        CHECK(rc == STORM_ERR_VALUE);
        CHECK(out.n == 0);
        if (!strstr(err.msg, cases[i].needle) || err.offset != want)
            fprintf(stderr, "  case %zu: offset %zu (want %zu), msg %s\n", i, err.offset, want, err.msg);
        CHECK(strstr(err.msg, cases[i].needle) != NULL);
        CHECK(err.offset == want);
    }
    storm_arena_free(a);
}

/* k8s-audit's detect() must not claim other sensors' records, and the
 * table must not hand audit records to another decoder. */
static void test_detect_no_misfire(void)
{
    static const char *others[] = {
        "falco/falco-test-output-files.jsonl",
        "falco/falco-website-alerts.jsonl",
        "falco/falco-website-metrics.jsonl",
        "kubescape/hive-sentinel-stringified-columns.jsonl",
        "kubescape/honeycluster-clickhouse-and-agent-log.jsonl",
        "kubescape/honeycluster-webapp-ping.jsonl",
        "kubescape/honeycluster-bobexample-infer.jsonl",
        "tetragon/tetragon-book-security-observability.jsonl",
        "tetragon/honeycluster-kubehound-calibration.jsonl",
        "tetragon/tetragon-docs-examples.jsonl",
        "hubble/cilium-docs-hubble-exporter.jsonl",
    };
    int lines = 0;
    int claimed = corpus_foreign_claims("k8s-audit", others, sizeof others / sizeof others[0], &lines);
    CHECK(lines > 300);
    CHECK(claimed == 0);
}

int main(void)
{
    RUN(test_corpus_counts);
    RUN(test_malformed_kind);
    RUN(test_exec_into_pod);
    RUN(test_secret_requests);
    RUN(test_pod_spec_summary);
    RUN(test_times);
    RUN(test_event_list);
    RUN(test_wrong_types);
    RUN(test_detect_no_misfire);
    return test_report("test_k8s_audit");
}
