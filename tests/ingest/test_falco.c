/* SPDX-License-Identifier: Apache-2.0 */
/* Falco decoder: every corpus line decodes or is skipped as metrics, real
 * alerts map to process/parent/k8s/net/files/audit, output_fields keys are
 * never split, and wrong types are positioned STORM_ERR_VALUE errors. */
#include <stdlib.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

#include "../unit/test.h"
#include "corpus_util.h"

#define ALERTS "falco/falco-website-alerts.jsonl"
#define TEST_OUTPUT "falco/falco-test-output-files.jsonl"
#define METRICS "falco/falco-website-metrics.jsonl"

static void check_alert(void *ctx, const storm_event *ev)
{
    (void)ctx;
    CHECK(ev->sensor == STORM_SENSOR_FALCO && ev->kind == STORM_EV_ALERT);
    CHECK(ev->has_time && ev->alert.present && ev->alert.rule && ev->alert.severity);
    CHECK(ev->alert.fields && ev->alert.fields->type == STORM_V_OBJECT);
}

static corpus_counts decode_file(const char *rel)
{
    return corpus_decode_file(rel, "falco", "falco-metrics", check_alert, NULL);
}

static void test_corpus_counts(void)
{
    corpus_counts c = decode_file(TEST_OUTPUT);
    CHECK(c.lines == 32 && c.events == 32 && c.skipped == 0 && c.rejected == 0 && c.detected == 32);
    c = decode_file(ALERTS);
    CHECK(c.lines == 16 && c.events == 16 && c.skipped == 0 && c.rejected == 0 && c.detected == 16);
    c = decode_file(METRICS);
    CHECK(c.lines == 5 && c.events == 0 && c.skipped == 5 && c.rejected == 0 && c.detected == 5);
}

static void check_time(const storm_event *ev, const char *want)
{
    char ts[40];
    storm_time_format_exact(ev->time, ts);
    CHECK(ev->has_time);
    CHECK_STR(ts, want);
}

static void test_terminal_shell(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "falco", ALERTS, 9, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.rule, "Terminal shell in container");
        CHECK_STR(ev->alert.severity, "Notice");
        CHECK(strncmp(ev->alert.message, "19:27:21.002873265: Notice A shell was spawned", 46) == 0);
        CHECK(ev->alert.source == NULL);
        CHECK_STR(ev->type, "alert");
        check_time(ev, "2021-04-10T19:27:21.002873265Z");
        CHECK_STR(ev->k8s.namespace_, "default");
        CHECK_STR(ev->k8s.pod, "alpine");
        CHECK_STR(ev->k8s.container_id, "97c9868ea832");
        CHECK_STR(ev->k8s.image, "alpine");
        CHECK(ev->k8s.node == NULL);
        CHECK(ev->process.present);
        CHECK_STR(ev->process.command_line, "sh -c uptime");
        CHECK_STR(ev->process.name, "sh");
        CHECK(!ev->process.has_auid); /* user.loginuid -1: never set */
        CHECK(storm_v_is_str(storm_v_get(ev->process.extra, "user_name"), "root"));
        const storm_value *tty = storm_v_get(ev->process.extra, "tty");
        CHECK(tty && tty->type == STORM_V_INT && tty->u.i == 34816);
        CHECK(ev->parent.present);
        CHECK_STR(ev->parent.name, "runc");
        CHECK(!ev->net.present && ev->n_files == 0 && !ev->audit.present);
    }
    /* proc.pname and container.image.repository null: absent, not "null" */
    ev = corpus_line_event(a, "falco", ALERTS, 8, &out);
    CHECK(ev && !ev->parent.present && ev->k8s.image == NULL);
    if (ev)
        CHECK_STR(ev->k8s.container_id, "5892b41bcf46");
    /* the newer shape: source, tags, hostname (= the node for syscall alerts) */
    ev = corpus_line_event(a, "falco", ALERTS, 16, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.severity, "Critical");
        CHECK_STR(ev->alert.source, "syscall");
        CHECK_STR(ev->type, "syscall");
        CHECK(storm_v_len(ev->alert.tags) == 3 && storm_v_is_str(ev->alert.tags->u.a.items[1], "mitre_execution"));
        CHECK_STR(ev->k8s.node, "falco-xczjd");
        CHECK_STR(ev->k8s.image, "docker.io/library/alpine");
        CHECK_STR(ev->process.command_line, "sh -c clear; (bash || ash || sh)");
    }
    storm_arena_free(a);
}

static void test_api_server_connection(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "falco", ALERTS, 10, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(ev->net.present);
        CHECK_STR(ev->net.src_ip, "172.17.0.9");
        CHECK(ev->net.has_src_port && ev->net.src_port == 43812);
        CHECK_STR(ev->net.dst_ip, "10.96.0.1");
        CHECK(ev->net.has_dst_port && ev->net.dst_port == 443);
        CHECK_STR(ev->net.family, "ipv4");
        CHECK(ev->n_files == 0); /* a socket tuple is not a file */
        CHECK_STR(ev->k8s.image, "devopps/falco-pod-delete:latest");
        CHECK_STR(ev->k8s.namespace_, "openfaas-fn");
        CHECK_STR(ev->process.command_line, "handler");
    }
    storm_arena_free(a);
}

static void test_k8s_audit_alerts(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "falco", ALERTS, 7, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.rule, "Attach/Exec Pod");
        CHECK_STR(ev->type, "k8s_audit");
        CHECK(ev->audit.present);
        CHECK_STR(ev->audit.user, "kubernetes-admin");
        CHECK_STR(ev->audit.resource, "pods");
        CHECK_STR(ev->audit.subresource, "exec");
        CHECK_STR(ev->audit.object_name, "kubecon");
        CHECK_STR(ev->k8s.namespace_, "default");
        CHECK_STR(ev->k8s.pod, "kubecon");
        CHECK(ev->k8s.node == NULL); /* hostname is the Falco pod here, not a node */
        CHECK(!ev->process.present);
        /* keys with dots and brackets are whole keys */
        CHECK(storm_v_is_str(storm_v_get(ev->alert.fields, "ka.uri.param[command]"), "sh"));
        CHECK(storm_v_get(ev->alert.fields, "ka") == NULL);
        check_time(ev, "2023-05-10T14:09:24.046826Z");
    }
    /* ka.response.code is a string "200" */
    ev = corpus_line_event(a, "falco", ALERTS, 1, &out);
    CHECK(ev && ev->audit.has_code && ev->audit.code == 200);
    if (ev) {
        CHECK_STR(ev->audit.verb, "patch");
        CHECK_STR(ev->audit.resource, "volumeattachments");
        CHECK(strncmp(ev->audit.request_uri, "/apis/storage.k8s.io/v1/volumeattachments/", 42) == 0);
    }
    ev = corpus_line_event(a, "falco", ALERTS, 6, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->audit.decision, "allow");
        CHECK_STR(ev->audit.reason, "");
        CHECK(ev->audit.code == 201);
    }
    storm_arena_free(a);
}

static void test_old_outputs(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    /* "time":"2021-04-13T20:58:00.746609046Z+2": read through the Z */
    storm_event *ev = corpus_line_event(a, "falco", ALERTS, 5, &out);
    CHECK(ev != NULL);
    if (ev) {
        check_time(ev, "2021-04-13T20:58:00.746609046Z");
        CHECK(ev->n_files == 1);
        CHECK_STR(ev->files[0].path, "/bin/hack");
        CHECK(ev->files[0].operation == NULL); /* no evt.type to say what was done */
        CHECK_STR(ev->process.command_line, "touch /bin/hack");
    }
    /* the oldest outputs: evt.time.iso8601 as an integer */
    ev = corpus_line_event(a, "falco", TEST_OUTPUT, 1, &out);
    CHECK(ev != NULL);
    if (ev) {
        check_time(ev, "2016-08-04T16:17:57.881781397Z");
        CHECK_STR(ev->alert.rule, "open_from_cat");
        CHECK_STR(ev->alert.severity, "Warning");
        CHECK_STR(ev->process.command_line, "cat /dev/null");
    }
    storm_arena_free(a);
}

static void test_metrics_skipped(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    size_t len;
    char *line = corpus_line(a, METRICS, 1, &len);
    storm_event_list out = {0};
    storm_err err;
    const char *skip = NULL;
    CHECK(line && corpus_decode(a, "falco", line, len, &out, &skip, &err) == STORM_ERR_UNSUPPORTED);
    CHECK(skip && strcmp(skip, "falco-metrics") == 0);
    CHECK(out.n == 0);
    storm_arena_free(a);
}

/* Falco fields beyond the corpus, as documented (falco.org supported fields). */
static void test_documented_fields(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    storm_err err;
    const char *alert =
        "{\"output\":\"x\",\"priority\":\"Warning\",\"rule\":\"Write below etc\",\"source\":\"syscall\",\"time\":"
        "\"2024-01-02T03:04:05.123456789Z\",\"output_fields\":{\"proc.pid\":4242,\"proc.ppid\":\"4000\",\"proc."
        "exepath\":"
        "\"/usr/bin/tee\",\"proc.name\":\"tee\",\"proc.args\":\"-a /etc/passwd\",\"proc.cmdline\":\"tee -a "
        "/etc/passwd\","
        "\"proc.cwd\":\"/root/\",\"user.uid\":0,\"group.gid\":0,\"user.loginuid\":1000,\"proc.pname\":\"bash\","
        "\"proc.pexepath\":\"/bin/bash\",\"proc.pcmdline\":\"bash "
        "-i\",\"proc.aname[2]\":\"sshd\",\"proc.apid[2]\":3900,"
        "\"proc.aname[3]\":\"systemd\",\"proc.apid[3]\":1,\"evt.type\":\"openat\",\"fd.name\":\"/etc/passwd\","
        "\"fd.type\":\"file\",\"fs.path.name\":\"/etc/passwd\",\"container.id\":\"host\",\"container.name\":\"host\","
        "\"k8smeta.ns.name\":\"kube-system\",\"k8smeta.pod.name\":\"coredns-1\",\"k8smeta.deployment.name\":"
        "\"coredns\","
        "\"k8smeta.node.name\":\"node-1\",\"container.image.digest\":\"sha256:abc\",\"thread.tid\":4243}}";
    CHECK(corpus_decode_str(a, "falco", alert, &out, &err) == STORM_OK && out.n == 1);
    if (out.n == 1) {
        const storm_event *ev = &out.items[0];
        CHECK(ev->process.has_pid && ev->process.pid == 4242);
        CHECK(ev->process.has_tid && ev->process.tid == 4243);
        CHECK(ev->process.has_uid && ev->process.uid == 0 && ev->process.has_gid);
        CHECK(ev->process.has_auid && ev->process.auid == 1000);
        CHECK_STR(ev->process.binary, "/usr/bin/tee");
        CHECK_STR(ev->process.arguments, "-a /etc/passwd");
        CHECK_STR(ev->process.cwd, "/root/");
        CHECK(ev->parent.has_pid && ev->parent.pid == 4000); /* from the string "4000" */
        CHECK_STR(ev->parent.binary, "/bin/bash");
        CHECK_STR(ev->parent.command_line, "bash -i");
        CHECK(ev->n_ancestors == 2);
        if (ev->n_ancestors == 2) {
            CHECK_STR(ev->ancestors[0].name, "sshd");
            CHECK(ev->ancestors[0].pid == 3900);
            CHECK(ev->ancestors[1].pid == 1);
        }
        CHECK(ev->n_files == 1); /* fs.path.name and fd.name are the same file */
        CHECK_STR(ev->files[0].path, "/etc/passwd");
        CHECK_STR(ev->files[0].operation, "open");
        CHECK(ev->k8s.container_id == NULL && ev->k8s.container == NULL); /* "host" */
        CHECK_STR(ev->k8s.namespace_, "kube-system");
        CHECK_STR(ev->k8s.pod, "coredns-1");
        CHECK_STR(ev->k8s.workload, "coredns");
        CHECK_STR(ev->k8s.workload_kind, "Deployment");
        CHECK_STR(ev->k8s.node, "node-1");
        CHECK_STR(ev->k8s.image_id, "sha256:abc");
        check_time(ev, "2024-01-02T03:04:05.123456789Z");
    }
    /* explicit socket fields, IPv6, rename with source and target */
    out = (storm_event_list){0};
    const char *net =
        "{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"output_fields\":{\"evt.type\":\"connect\","
        "\"fd.type\":\"ipv6\",\"fd.name\":\"::1:5000->::1:80\",\"fd.l4proto\":\"TCP\","
        "\"fd.cip\":\"::1\",\"fd.cport\":5000,\"fd.sip\":\"::1\",\"fd.sport\":80,\"evt.time\":1700000000000000000}}";
    CHECK(corpus_decode_str(a, "falco", net, &out, &err) == STORM_OK && out.n == 1);
    if (out.n == 1) {
        const storm_event *ev = &out.items[0];
        CHECK(ev->net.present && ev->net.dst_port == 80 && ev->net.src_port == 5000);
        CHECK_STR(ev->net.family, "ipv6");
        CHECK_STR(ev->net.protocol, "tcp");
        CHECK_STR(ev->net.direction, "egress");
        CHECK(ev->n_files == 0);
        check_time(ev, "2023-11-14T22:13:20.000Z");
    }
    out = (storm_event_list){0};
    const char *tuple =
        "{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"output_fields\":{\"evt.type\":\"accept\","
        "\"fd.name\":\"10.0.0.1:40000->10.0.0.2:22\"}}";
    CHECK(corpus_decode_str(a, "falco", tuple, &out, &err) == STORM_OK && out.n == 1);
    if (out.n == 1) {
        CHECK_STR(out.items[0].net.src_ip, "10.0.0.1");
        CHECK_STR(out.items[0].net.direction, "ingress");
        CHECK(!out.items[0].has_time);
    }
    /* a tuple that is not one is left alone (kept in alert.fields only) */
    out = (storm_event_list){0};
    const char *junk = "{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"output_fields\":{"
                       "\"fd.name\":\"999.0.0.1:1->x:y\"}}";
    CHECK(corpus_decode_str(a, "falco", junk, &out, &err) == STORM_OK && out.n == 1 && !out.items[0].net.present);
    out = (storm_event_list){0};
    const char *ren =
        "{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"output_fields\":{\"evt.type\":\"symlinkat\","
        "\"fs.path.source\":\"/tmp/x\",\"fs.path.target\":\"/etc/shadow\"}}";
    CHECK(corpus_decode_str(a, "falco", ren, &out, &err) == STORM_OK && out.n == 1);
    if (out.n == 1) {
        CHECK(out.items[0].n_files == 1);
        CHECK_STR(out.items[0].files[0].path, "/tmp/x");
        CHECK_STR(out.items[0].files[0].link_target, "/etc/shadow");
        CHECK_STR(out.items[0].files[0].operation, "symlink");
    }
    /* "<NA>" reads as absent */
    out = (storm_event_list){0};
    const char *na =
        "{\"rule\":\"r\",\"priority\":\"Notice\",\"output\":\"o\",\"output_fields\":{\"proc.pid\":\"<NA>\","
        "\"proc.name\":\"<NA>\"}}";
    CHECK(corpus_decode_str(a, "falco", na, &out, &err) == STORM_OK && out.n == 1 && !out.items[0].process.present);
    storm_arena_free(a);
}

static void test_wrong_types(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_err err;
    static const struct {
        const char *json, *needle, *marker;
    } cases[] = {
        {"{\"rule\":\"r\",\"output_fields\":{\"proc.pid\":{}}}", "output_fields[\"proc.pid\"]", "{}}}"},
        {"{\"rule\":\"r\",\"output_fields\":{\"proc.pid\":\"12a\"}}", "proc.pid", "\"12a\""},
        {"{\"rule\":\"r\",\"output_fields\":{\"proc.pid\":1.5}}", "proc.pid", "1.5"},
        {"{\"rule\":\"r\",\"output_fields\":{\"proc.pid\":1e400}}",
         "proc.pid\"]: expected an integer or a decimal string, got number out of range", "1e400"},
        {"{\"rule\":\"r\",\"output_fields\":{\"proc.cmdline\":7}}", "proc.cmdline", "7}"},
        {"{\"rule\":\"r\",\"output_fields\":{\"k8s.ns.name\":[\"a\"]}}", "k8s.ns.name", "[\"a\"]"},
        {"{\"rule\":\"r\",\"output_fields\":{\"ka.response.code\":true}}", "ka.response.code", "true"},
        {"{\"rule\":\"r\",\"output_fields\":[]}", "output_fields: expected an object", "[]"},
        {"{\"rule\":\"r\",\"tags\":\"k8s\",\"output_fields\":{}}", "tags: expected an array", "\"k8s\""},
        {"{\"rule\":\"r\",\"tags\":[\"a\",1],\"output_fields\":{}}", "tags[1]", "1]"},
        {"{\"rule\":\"r\",\"time\":20240101,\"output_fields\":{}}", "time: expected a string", "2024"},
        {"{\"rule\":\"r\",\"time\":\"soon\",\"output_fields\":{}}", "not an RFC 3339", "\"soon\""},
        {"{\"rule\":1,\"output_fields\":{}}", "rule: expected a string", "1,"},
        {"{\"priority\":\"Warning\",\"output_fields\":{}}", "rule is missing", NULL},
        {"{\"rule\":\"r\",\"priority\":3,\"output_fields\":{}}", "priority", "3,"},
        {"{\"rule\":\"r\",\"hostname\":{},\"output_fields\":{}}", "hostname", "{},"},
        {"\"alert\"", "expected a JSON object", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        out = (storm_event_list){0};
        storm_rc rc = corpus_decode_str(a, "falco", cases[i].json, &out, &err);
        size_t want = cases[i].marker ? (size_t)(strstr(cases[i].json, cases[i].marker) - cases[i].json) : 0;
        if (rc != STORM_ERR_VALUE || !strstr(err.msg, cases[i].needle) || err.offset != want)
            fprintf(stderr, "  case %zu: rc %d offset %zu (want %zu), msg %s\n", i, rc, err.offset, want, err.msg);
        CHECK(rc == STORM_ERR_VALUE);
        CHECK(out.n == 0);
        CHECK(strstr(err.msg, cases[i].needle) != NULL);
        CHECK(err.offset == want);
    }
    storm_arena_free(a);
}

static void test_detect_no_misfire(void)
{
    static const char *others[] = {
        "k8s-audit/falco-trace-files-k8s-audit.jsonl",
        "k8s-audit/falco-trace-files-psp.jsonl",
        "kubescape/hive-sentinel-stringified-columns.jsonl",
        "kubescape/honeycluster-clickhouse-and-agent-log.jsonl",
        "kubescape/honeycluster-ssh-proxy.jsonl",
        "kubescape/honeycluster-bobexample-infer.jsonl",
        "tetragon/tetragon-book-security-observability.jsonl",
        "tetragon/honeycluster-kubehound-calibration.jsonl",
        "tetragon/tetragon-docs-examples.jsonl",
        "tetragon/tetragon-testdata-events.jsonl",
        "hubble/cilium-docs-hubble-exporter.jsonl",
    };
    int lines = 0;
    int claimed = corpus_foreign_claims("falco", others, sizeof others / sizeof others[0], &lines);
    CHECK(lines > 400);
    CHECK(claimed == 0);
}

int main(void)
{
    RUN(test_corpus_counts);
    RUN(test_terminal_shell);
    RUN(test_api_server_connection);
    RUN(test_k8s_audit_alerts);
    RUN(test_old_outputs);
    RUN(test_metrics_skipped);
    RUN(test_documented_fields);
    RUN(test_wrong_types);
    RUN(test_detect_no_misfire);
    return test_report("test_falco");
}
