/* SPDX-License-Identifier: Apache-2.0 */
/* Kubescape decoder: every corpus line decodes or is skipped as an agent
 * log line, both the nested and the hive-sentinel stringified forms, both
 * processTree shapes (children[] and childrenMap), and wrong types are
 * positioned STORM_ERR_VALUE errors. */
#include <stdlib.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

#include "test.h"
#include "corpus_util.h"

#define SSH "kubescape/honeycluster-ssh-proxy.jsonl"
#define CLICKHOUSE "kubescape/honeycluster-clickhouse-and-agent-log.jsonl"
#define WEBAPP "kubescape/honeycluster-webapp-ping.jsonl"
#define BOB "kubescape/honeycluster-bobexample-infer.jsonl"
#define HIVE "kubescape/hive-sentinel-stringified-columns.jsonl"

/* Alerts per rule: R0001 R0002 R0003 R0004 R0010 R1030 other */
typedef struct rule_counts {
    int rules[8];
} rule_counts;

static int rule_index(const char *id)
{
    static const char *const ids[] = {"R0001", "R0002", "R0003", "R0004", "R0010", "R1030"};
    for (int i = 0; i < 6; i++)
        if (strcmp(id, ids[i]) == 0)
            return i;
    return 6;
}

static void check_alert(void *ctx, const storm_event *ev)
{
    rule_counts *rc = ctx;
    CHECK(ev->sensor == STORM_SENSOR_KUBESCAPE && ev->kind == STORM_EV_ALERT);
    CHECK(ev->has_time && ev->alert.present && ev->alert.rule && ev->alert.rule_id);
    CHECK(ev->process.present && ev->process.has_pid);
    CHECK(ev->k8s.namespace_ && ev->k8s.pod && ev->k8s.container_id && ev->k8s.cluster);
    rc->rules[rule_index(ev->alert.rule_id)]++;
}

static void test_corpus_counts(void)
{
    rule_counts total = {{0}};
    int total_events = 0;
    static const struct {
        const char *file;
        int lines, events, skipped;
    } files[] = {
        {SSH, 191, 191, 0}, {CLICKHOUSE, 111, 100, 11}, {WEBAPP, 16, 16, 0}, {BOB, 10, 10, 0}, {HIVE, 31, 31, 0},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        corpus_counts c = corpus_decode_file(files[i].file, "kubescape", "kubescape-log", check_alert, &total);
        if (c.lines != files[i].lines || c.events != files[i].events || c.skipped != files[i].skipped)
            fprintf(stderr, "  %s: %d lines %d events %d skipped %d rejected\n", files[i].file, c.lines, c.events,
                    c.skipped, c.rejected);
        CHECK(c.lines == files[i].lines);
        CHECK(c.events == files[i].events);
        CHECK(c.skipped == files[i].skipped);
        CHECK(c.rejected == 0);
        CHECK(c.detected == c.lines); /* alerts and the agent's log lines */
        total_events += c.events;
    }
    /* the corpus README's per-rule counts */
    CHECK(total_events == 348);
    CHECK(total.rules[0] == 36 && total.rules[1] == 244 && total.rules[2] == 59);
    CHECK(total.rules[3] == 5 && total.rules[4] == 3 && total.rules[5] == 1 && total.rules[6] == 0);
}

static void check_time(const storm_event *ev, const char *want)
{
    char ts[40];
    storm_time_format_exact(ev->time, ts);
    CHECK(ev->has_time);
    CHECK_STR(ts, want);
}

static void test_hive_sentinel_stringified(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "kubescape", HIVE, 1, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->type, "R0003");
        CHECK_STR(ev->alert.rule_id, "R0003");
        CHECK_STR(ev->alert.rule, "Unexpected system call");
        CHECK_STR(ev->alert.severity, "1");
        CHECK_STR(ev->alert.message, "Unexpected system call: clone3");
        /* the stringified BaseRuntimeMetadata, parsed: arguments are reachable */
        const storm_value *args = storm_v_get(ev->alert.fields, "arguments");
        CHECK(storm_v_is_str(storm_v_get(args, "syscall"), "clone3"));
        CHECK_STR(ev->k8s.cluster, "bobexample");
        CHECK_STR(ev->k8s.namespace_, "webapp");
        CHECK_STR(ev->k8s.pod, "webapp-mywebapp-67965968bb-hmnrq");
        CHECK_STR(ev->k8s.container, "mywebapp-app");
        CHECK_STR(ev->k8s.container_id, "04935e4da811b72fe84da42fa691cfd273eb4a0680de6d73f72e61c0d044b4f1");
        CHECK_STR(ev->k8s.workload, "webapp-mywebapp");
        CHECK_STR(ev->k8s.workload_kind, "Deployment");
        CHECK_STR(ev->k8s.node, "cplane-01"); /* from the stringified event.k8s */
        CHECK(ev->k8s.image == NULL);         /* this export has no image */
        CHECK(storm_v_is_str(storm_v_get(ev->k8s.labels, "app.kubernetes.io/name"), "mywebapp"));
        CHECK(ev->process.pid == 84862);
        CHECK_STR(ev->process.name, "apache2");
        CHECK_STR(ev->process.binary, "/usr/sbin/apache2");
        CHECK_STR(ev->process.command_line, "apache2 -DFOREGROUND");
        CHECK_STR(ev->process.arguments, "-DFOREGROUND");
        CHECK_STR(ev->process.cwd, "/var/www/html");
        CHECK(ev->process.has_uid && ev->process.uid == 0);
        CHECK(!ev->process.has_start_time); /* 0001-01-01T00:00:00Z */
        CHECK(ev->parent.present && ev->parent.pid == 84328);
        CHECK_STR(ev->parent.name, "containerd-shim");
        CHECK(ev->n_ancestors == 0);
        check_time(ev, "2025-07-15T13:33:29.670963874Z");
    }
    storm_arena_free(a);
}

/* childrenMap, four levels: sh -> node -> node -> node (the alerted one). */
static void test_children_map_tree(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "kubescape", BOB, 10, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.rule_id, "R1030");
        CHECK_STR(ev->alert.severity, "8");
        CHECK(ev->process.pid == 36463);
        CHECK_STR(ev->process.command_line, "/usr/local/bin/node server.js");
        CHECK(ev->process.uid == 1000 && ev->process.gid == 1000);
        CHECK(ev->parent.pid == 36451);
        CHECK_STR(ev->parent.name, "node");
        CHECK(ev->n_ancestors == 3);
        if (ev->n_ancestors == 3) {
            CHECK(ev->ancestors[0].pid == 36405);
            CHECK(ev->ancestors[1].pid == 36391);
            CHECK_STR(ev->ancestors[1].name, "sh");
            CHECK_STR(ev->ancestors[1].binary, "/bin/busybox");
            /* the tree's top process's own parent, from its ppid/pcomm */
            CHECK(ev->ancestors[2].pid == 34446);
            CHECK_STR(ev->ancestors[2].name, "containerd-shim");
        }
        CHECK_STR(ev->k8s.image, "docker.hyperdx.io/hyperdx/hyperdx:2.6.0");
        CHECK(ev->n_files == 0);
        check_time(ev, "2025-11-01T14:00:36.118632063Z");
    }
    storm_arena_free(a);
}

/* The older children[] array: apache2 -> apache2 -> sh -> ping. */
static void test_children_array_tree(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "kubescape", WEBAPP, 1, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.rule_id, "R0002");
        CHECK(ev->process.pid == 22169);
        CHECK_STR(ev->process.name, "ping");
        CHECK_STR(ev->process.command_line, "/bin/ping -c 4 172.16.0.2,ls");
        CHECK(ev->process.uid == 33);
        CHECK(storm_v_is_str(storm_v_get(ev->process.extra, "hardlink"), "/bin/ping"));
        CHECK(ev->parent.pid == 22168);
        CHECK_STR(ev->parent.command_line, "/bin/sh -c ping -c 4 172.16.0.2,ls");
        CHECK(ev->n_ancestors == 3);
        if (ev->n_ancestors == 3) {
            CHECK(ev->ancestors[0].pid == 2734 && ev->ancestors[1].pid == 2709 && ev->ancestors[2].pid == 2486);
            CHECK_STR(ev->ancestors[2].name, "containerd-shim");
        }
        CHECK(ev->n_files == 1);
        CHECK_STR(ev->files[0].path, "/lib/x86_64-linux-gnu/libnss_files-2.31.so");
        CHECK_STR(ev->files[0].operation, "open");
        CHECK_STR(ev->k8s.image, "docker.io/amitschendel/ping-app:latest");
        CHECK(storm_v_is_str(storm_v_get(ev->k8s.labels, "kubescape.io/max-sniffing-time"), "5m"));
    }
    storm_arena_free(a);
}

static void test_exec_and_sensitive_file(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "kubescape", SSH, 74, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_STR(ev->alert.rule_id, "R0001");
        CHECK_STR(ev->alert.rule, "Unexpected process launched");
        CHECK(ev->process.pid == 3498398);
        CHECK_STR(ev->process.binary, "/tmp/rstub"); /* what ran, per the tree */
        CHECK_STR(ev->process.command_line, "/bin/sh -c");
        CHECK_STR(ev->process.arguments, "-c"); /* args[1..] */
        CHECK(ev->n_files == 1);
        CHECK_STR(ev->files[0].path, "/bin/sh");
        CHECK_STR(ev->files[0].operation, "exec");
        CHECK(ev->parent.pid == 3498391);
        CHECK_STR(ev->parent.binary, "/mnt/rv/[rosetta]");
        CHECK(ev->n_ancestors == 1 && ev->ancestors[0].pid == 3498298);
        CHECK_STR(ev->k8s.cluster, "honeycluster");
        CHECK_STR(ev->k8s.workload_kind, "Pod");
        CHECK_STR(ev->k8s.image_id, "sha256:91c36736ea786817cb870fab6267d5d2940d769e832e0433978132e83b3eddb4");
    }
    ev = corpus_line_event(a, "kubescape", SSH, 45, &out);
    CHECK(ev && ev->n_files == 1);
    if (ev) {
        CHECK_STR(ev->alert.rule_id, "R0010");
        CHECK_STR(ev->files[0].path, "/etc/shadow");
    }
    /* R0004: capability and syscall stay in alert.fields; process alone in its tree */
    ev = corpus_line_event(a, "kubescape", SSH, 4, &out);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(storm_v_is_str(storm_v_get(storm_v_get(ev->alert.fields, "arguments"), "capability"), "SYS_CHROOT"));
        CHECK(ev->process.pid == 3498392 && ev->n_files == 0);
        CHECK(!ev->parent.present); /* the node has no ppid/pcomm */
    }
    storm_arena_free(a);
}

static void test_agent_log_skipped(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    for (int n = 101; n <= 111; n++) {
        size_t len;
        char *line = corpus_line(a, CLICKHOUSE, n, &len);
        storm_event_list out = {0};
        storm_err err;
        const char *skip = NULL;
        CHECK(line && corpus_decode(a, "kubescape", line, len, &out, &skip, &err) == STORM_ERR_UNSUPPORTED);
        CHECK(skip && strcmp(skip, "kubescape-log") == 0);
        CHECK(out.n == 0);
    }
    storm_arena_free(a);
}

static void test_newer_shape(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_event *ev = corpus_line_event(a, "kubescape", BOB, 1, &out);
    CHECK(ev != NULL);
    if (ev) {
        /* processTree is {"pid", "startTime"} only */
        CHECK(ev->process.pid == 31219 && ev->process.name == NULL && ev->process.binary == NULL);
        CHECK(!ev->parent.present);
        CHECK_STR(ev->k8s.node, "node-01");
        CHECK(storm_v_is_str(storm_v_get(ev->alert.fields, "uniqueID"), "1d03e03a5c4e80510de2d016071b564e"));
        check_time(ev, "2025-11-01T14:25:41.616573602Z");
    }
    storm_arena_free(a);
}

/* Time falls back from BaseRuntimeMetadata.timestamp to event.timestamp,
 * event_time, then time; an infectedPID outside the tree keeps its pid. */
static void test_fallbacks(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out = {0};
    storm_err err;
    CHECK(corpus_decode_str(
              a, "kubescape",
              "{\"RuleID\":\"R9999\",\"BaseRuntimeMetadata\":{\"infectedPID\":7,\"arguments\":{\"path\":\"/x\"}},"
              "\"event\":{\"timestamp\":1746569253782648892},\"RuntimeProcessDetails\":{\"processTree\":"
              "{\"pid\":1,\"comm\":\"init\"}},\"msg\":\"Some new rule\"}",
              &out, &err) == STORM_OK);
    CHECK(out.n == 1);
    if (out.n == 1) {
        const storm_event *ev = &out.items[0];
        check_time(ev, "2025-05-06T22:07:33.782648892Z");
        CHECK(ev->process.pid == 7 && ev->process.name == NULL);
        CHECK_STR(ev->alert.rule, "Some new rule"); /* no alertName: msg */
        CHECK(ev->n_files == 1);
        CHECK_STR(ev->files[0].path, "/x");
    }
    out = (storm_event_list){0};
    CHECK(
        corpus_decode_str(a, "kubescape",
                          "{\"RuleID\":\"R0003\",\"BaseRuntimeMetadata\":\"{\\\"infectedPID\\\":1}\",\"CloudMetadata\":"
                          "\"null\",\"RuntimeK8sDetails\":\"empty\",\"event_time\":\"2025-11-01T14:25:41Z\",\"time\":"
                          "\"2025-01-01T00:00:00Z\"}",
                          &out, &err) == STORM_OK);
    if (out.n == 1)
        check_time(&out.items[0], "2025-11-01T14:25:41.000Z");
    /* a childrenMap entry without pid takes it from its key */
    out = (storm_event_list){0};
    CHECK(corpus_decode_str(
              a, "kubescape",
              "{\"RuleID\":\"R0002\",\"BaseRuntimeMetadata\":{\"infectedPID\":42},\"RuntimeProcessDetails\":"
              "{\"processTree\":{\"pid\":1,\"childrenMap\":{\"bash\xe2\x90\x9f"
              "42\":{\"comm\":\"bash\"}}}},"
              "\"time\":\"2025-01-01T00:00:00Z\"}",
              &out, &err) == STORM_OK);
    if (out.n == 1) {
        CHECK_STR(out.items[0].process.name, "bash");
        CHECK(out.items[0].process.pid == 42 && out.items[0].parent.pid == 1);
    }
    storm_arena_free(a);
}

/* A deep childrenMap chain (pids 1..70, one child each): found within the
 * 64-level search bound, not below it, and never a crash. */
static void test_deep_tree(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_buf b;
    storm_buf_init(&b, 1u << 20);
    for (int want = 60; want <= 70; want += 10) {
        storm_buf_reset(&b);
        storm_buf_printf(&b,
                         "{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"infectedPID\":%d},"
                         "\"RuntimeProcessDetails\":{\"processTree\":",
                         want);
        for (int pid = 1; pid < 70; pid++)
            storm_buf_printf(&b, "{\"pid\":%d,\"comm\":\"c%d\",\"ppid\":%d,\"childrenMap\":{\"k\":", pid, pid, pid - 1);
        storm_buf_puts(&b, "{\"pid\":70,\"comm\":\"leaf\"}");
        for (int pid = 1; pid < 70; pid++)
            storm_buf_puts(&b, "}}");
        storm_buf_puts(&b, "}}");
        storm_event_list out = {0};
        storm_err err;
        CHECK(corpus_decode_str(a, "kubescape", b.data, &out, &err) == STORM_OK && out.n == 1);
        if (out.n != 1)
            continue;
        const storm_event *ev = &out.items[0];
        CHECK(ev->process.pid == want);
        if (want == 60) {
            CHECK_STR(ev->process.name, "c60");
            CHECK(ev->parent.pid == 59);
            CHECK(ev->n_ancestors == 59); /* 58 .. 1, then pid 1's parent 0 */
            CHECK(ev->n_ancestors == 59 && ev->ancestors[57].pid == 1 && ev->ancestors[58].pid == 0);
        } else {
            CHECK(ev->process.name == NULL && !ev->parent.present); /* below the bound: pid only */
        }
    }
    storm_buf_free(&b);
    storm_arena_free(a);
}

static void test_wrong_types(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_event_list out;
    storm_err err;
    /* marker: where the offset must point (NULL: 0) */
    static const struct {
        const char *json, *needle, *marker;
    } cases[] = {
        {"{\"RuleID\":5,\"BaseRuntimeMetadata\":{}}", "RuleID: expected a string", "5,"},
        {"{\"RuleID\":\"R0001\"}", "BaseRuntimeMetadata is missing", "\"R0001\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":[]}", "BaseRuntimeMetadata: expected an object", "[]"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":\"{not json\"}", "does not hold JSON", "\"{not"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":\"[1]\"}", "holds array", "\"[1]\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"infectedPID\":\"12\"}}", "BaseRuntimeMetadata.infectedPID",
         "\"12\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"timestamp\":12}}", "BaseRuntimeMetadata.timestamp", "12}"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"timestamp\":\"noon\"}}", "not an RFC 3339", "\"noon\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"severity\":[]}}", "severity", "[]"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"severity\":1e400}}", "got number out of range", "1e400"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"arguments\":[]}}", "arguments: expected an object", "[]"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"arguments\":{\"args\":[\"sh\",3]}}}", "args[1]", "3]"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"arguments\":{\"path\":{}}}}", "arguments.path", "{}}"},
        /* inside a stringified block the offset is the string's, the message says where inside */
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{},\"RuntimeK8sDetails\":\"{\\\"podName\\\":5}\"}",
         "RuntimeK8sDetails.podName: expected a string, got integer (a JSON string, at its byte 11)", "\"{\\\"pod"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"infectedPID\":3},\"RuntimeProcessDetails\":{\"processTree\":"
         "{\"pid\":3,\"uid\":\"root\"}}}",
         "processTree.uid", "\"root\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{\"infectedPID\":3},\"RuntimeProcessDetails\":{\"processTree\":"
         "[]}}",
         "RuntimeProcessDetails.processTree", "[]"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{},\"event\":{\"timestamp\":\"1\"}}", "event.timestamp",
         "\"1\""},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{},\"event\":7}", "event: expected an object or a JSON string",
         "7}"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{},\"time\":0}", "time: expected an RFC 3339", "0}"},
        {"{\"RuleID\":\"R0001\",\"BaseRuntimeMetadata\":{},\"message\":false}", "message: expected a string", "false"},
        {"{\"hello\":\"world\"}", "RuleID is missing", NULL},
        {"17", "expected a JSON object", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        out = (storm_event_list){0};
        storm_rc rc = corpus_decode_str(a, "kubescape", cases[i].json, &out, &err);
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
        "k8s-audit/malformed-fal-01-003.jsonl",
        "falco/falco-test-output-files.jsonl",
        "falco/falco-website-alerts.jsonl",
        "falco/falco-website-metrics.jsonl",
        "tetragon/tetragon-book-security-observability.jsonl",
        "tetragon/honeycluster-kubehound-calibration.jsonl",
        "tetragon/tetragon-docs-examples.jsonl",
        "tetragon/threatintel-pattern-matcher-example.jsonl",
        "hubble/cilium-docs-hubble-exporter.jsonl",
    };
    int lines = 0;
    int claimed = corpus_foreign_claims("kubescape", others, sizeof others / sizeof others[0], &lines);
    CHECK(lines > 200);
    CHECK(claimed == 0);
}

int main(void)
{
    RUN(test_corpus_counts);
    RUN(test_hive_sentinel_stringified);
    RUN(test_children_map_tree);
    RUN(test_children_array_tree);
    RUN(test_exec_and_sensitive_file);
    RUN(test_agent_log_skipped);
    RUN(test_newer_shape);
    RUN(test_fallbacks);
    RUN(test_deep_tree);
    RUN(test_wrong_types);
    RUN(test_detect_no_misfire);
    return test_report("test_kubescape");
}
