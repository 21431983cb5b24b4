/* SPDX-License-Identifier: Apache-2.0 */
/* The honeycluster's Vector pipeline shapes (docs/mapping/vector-ksc.md):
 *  - tetragon_pixie: {"time","node_name","type","payload":{<event body>}}
 *    (13 real lines, tests/data/seed-pipeline/vector-tetragon-payload.jsonl),
 *    and the payload body given as text;
 *  - tetragon_pre + tetragon_create_key: args lifted to kprobe0..kprobe4,
 *    md5_hash/dedup added, args deleted (vector-gke-tetragon-calibration.jsonl,
 *    built from the corpus calibration traces by build_shapes.py);
 *  - falco_pre + falco: output_fields -> "interesting", md5_hash
 *    (vector-gke-falco-website-alerts.jsonl, built the same way);
 *  - the "init" placeholder lines that seed the sinks.
 * The inline records are built by hand from the named VRL transform of
 * k8sstormcenter/honeycluster honeystack/vector/gkevalues.yaml or
 * soc.no-clickhouse.yaml (commit 5f62da7e). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/json.h>

#include "test.h"
#include "corpus_util.h"

static storm_arena *arena;

static storm_value *parse(const char *text, size_t len)
{
    storm_value *v = NULL;
    storm_err err;
    if (storm_json_parse(arena, text, len, 0, &v, NULL, &err) != STORM_OK) {
        fprintf(stderr, "test input does not parse: %s\n", err.msg);
        return NULL;
    }
    return v;
}

/* Unwrap, detect and decode one record; rc of the decoder (or NOTFOUND when
 * no decoder claims it), *skip its skip type. */
static storm_rc decode_rec(const storm_value *root, storm_event_list *out, const char **skip, storm_err *err)
{
    *out = (storm_event_list){0};
    *skip = NULL;
    storm_err_clear(err);
    const storm_value *rec = NULL;
    const storm_decoder *d = NULL;
    /* as every reader: envelope, then decoder */
    if (storm_decode_classify(arena, root, NULL, &rec, &d, err) != STORM_OK || !d) {
        storm_err_clear(err);
        return STORM_ERR_NOTFOUND;
    }
    return d->decode(arena, rec, out, skip, err);
}

/* Calls fn(line, len, n) for every line of a corpus-relative file; returns the count. */
static int each_line(const char *rel, void (*fn)(const char *, size_t, int))
{
    size_t flen;
    char *data = read_corpus(rel, &flen);
    int n = 0;
    for (char *p = data; data && p < data + flen;) {
        char *nl = memchr(p, '\n', (size_t)(data + flen - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + flen - p);
        if (l)
            fn(p, l, ++n);
        p += l + 1;
    }
    free(data);
    return n;
}

static char *json_text(const storm_value *v)
{
    storm_buf b;
    storm_buf_init(&b, 1u << 24);
    char *s = storm_json_write(&b, v, STORM_JSONW_SORT_KEYS) == STORM_OK && b.data ? strdup(b.data) : NULL;
    storm_buf_free(&b);
    return s;
}

/* ---- tetragon_pixie: the event body in "payload", its type in "type" ---- */

static int payload_kprobes, payload_with_args;

static void check_payload_line(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_value *root = parse(line, len);
    storm_event_list list;
    const char *skip;
    storm_err err;
    storm_rc rc = decode_rec(root, &list, &skip, &err);
    CHECK(rc == STORM_OK && list.n == 1);
    if (rc != STORM_OK || list.n != 1) {
        fprintf(stderr, "  line %d: %s\n", n, err.msg);
        return;
    }
    const storm_event *ev = &list.items[0];
    CHECK(ev->sensor == STORM_SENSOR_TETRAGON);
    CHECK_STR(ev->type, storm_v_get_str(root, "type"));
    CHECK_STR(ev->k8s.node, "gke-k8s-caas-0008-beta-user-pool-40badfb2-d52w"); /* from the envelope */
    CHECK(ev->has_time);
    CHECK(ev->k8s.pod != NULL);
    if (ev->kind == STORM_EV_KERNEL_HOOK) {
        payload_kprobes++;
        payload_with_args += ev->hook.args && ev->hook.args->u.a.len > 0;
    }
    /* the caller's tree is not changed: node and time went to a copy */
    CHECK(storm_v_get(storm_v_get(root, "payload"), "node_name") == NULL);
}

static void test_payload_object_real_lines(void)
{
    payload_kprobes = payload_with_args = 0;
    CHECK(each_line("../seed-pipeline/vector-tetragon-payload.jsonl", check_payload_line) == 13);
    CHECK(payload_kprobes == 8);
    CHECK(payload_with_args == 8);
}

/* the same body as text: {"type":"process_kprobe","payload":"{\"process\":...}"} */
static void test_payload_body_as_text(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"time\":\"2025-04-23T10:22:32.067045980Z\",\"node_name\":\"n1\",\"type\":\"process_kprobe\","
                       "\"payload\":\"{\\\"process\\\":{\\\"pid\\\":7,\\\"binary\\\":\\\"/usr/bin/nsenter\\\"},"
                       "\\\"function_name\\\":\\\"__x64_sys_setns\\\",\\\"args\\\":[{\\\"int_arg\\\":3},"
                       "{\\\"int_arg\\\":33554432}],\\\"dedup\\\":\\\"0cc175b9c0f1b6a831c399e269772661kpro\\\"}\"}";
    storm_value *root = parse(text, strlen(text));
    storm_event_list list;
    const char *skip;
    storm_err err;
    CHECK(decode_rec(root, &list, &skip, &err) == STORM_OK && list.n == 1);
    if (list.n != 1)
        return;
    const storm_event *ev = &list.items[0];
    CHECK_STR(ev->hook.name, "__x64_sys_setns");
    CHECK_STR(ev->k8s.node, "n1");
    CHECK(ev->hook.args && ev->hook.args->u.a.len == 2);
}

/* the whole record as the payload object: read as it is, envelope time and node added to a copy */
static void test_payload_whole_record(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"time\":\"2025-04-23T10:22:32Z\",\"node_name\":\"n2\",\"type\":\"process_exec\","
                       "\"payload\":{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\"}}}}";
    storm_value *root = parse(text, strlen(text));
    storm_event_list list;
    const char *skip;
    storm_err err;
    CHECK(decode_rec(root, &list, &skip, &err) == STORM_OK && list.n == 1);
    if (list.n == 1) {
        CHECK_STR(list.items[0].k8s.node, "n2");
        CHECK_STR(list.items[0].process.binary, "/bin/sh");
    }
    CHECK(storm_v_get(storm_v_get(root, "payload"), "node_name") == NULL);
}

/* a type no decoder knows ("1", what the remap writes for other events) or
 * no type at all: the envelope stays as it came and is rejected, not guessed */
static void test_payload_unknown_type(void)
{
    const char *texts[] = {
        "{\"time\":\"2025-04-23T10:22:32Z\",\"type\":\"1\",\"payload\":{\"process\":{\"pid\":1}}}",
        "{\"time\":\"2025-04-23T10:22:32Z\",\"payload\":{\"process\":{\"pid\":1}}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        storm_arena_reset(arena);
        storm_value *root = parse(texts[i], strlen(texts[i]));
        CHECK(storm_decode_unwrap(arena, root) == root);
        storm_event_list list;
        const char *skip;
        storm_err err;
        CHECK(decode_rec(root, &list, &skip, &err) == STORM_ERR_NOTFOUND);
    }
}

/* ---- tetragon_pre + tetragon_create_key: args lifted to kprobe0..4 ---- */

static char *orig_args[32];

static void keep_orig_args(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_event_list list;
    const char *skip;
    storm_err err;
    if (n <= 32 && decode_rec(parse(line, len), &list, &skip, &err) == STORM_OK && list.n == 1)
        orig_args[n - 1] = json_text(list.items[0].hook.args);
}

static int lifted_same, lifted_files_same;
static size_t orig_files[32];

static void keep_orig_files(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_event_list list;
    const char *skip;
    storm_err err;
    if (n <= 32 && decode_rec(parse(line, len), &list, &skip, &err) == STORM_OK && list.n == 1)
        orig_files[n - 1] = list.items[0].n_files;
}

static void check_lifted_line(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_value *root = parse(line, len);
    CHECK(storm_v_get(storm_v_get(root, "process_kprobe"), "args") == NULL); /* the remap deleted them */
    storm_event_list list;
    const char *skip;
    storm_err err;
    storm_rc rc = decode_rec(root, &list, &skip, &err);
    CHECK(rc == STORM_OK && list.n == 1);
    if (rc != STORM_OK || list.n != 1 || n > 32) {
        fprintf(stderr, "  line %d: %s\n", n, err.msg);
        return;
    }
    char *got = json_text(list.items[0].hook.args);
    bool same = got && orig_args[n - 1] && strcmp(got, orig_args[n - 1]) == 0;
    if (!same)
        fprintf(stderr, "  line %d: args %s, without the remap %s\n", n, got ? got : "(none)",
                orig_args[n - 1] ? orig_args[n - 1] : "(none)");
    lifted_same += same;
    lifted_files_same += list.items[0].n_files == orig_files[n - 1];
    free(got);
}

static void test_lifted_args_calibration(void)
{
    memset(orig_args, 0, sizeof orig_args);
    int n = each_line("tetragon/honeycluster-kubehound-calibration.jsonl", keep_orig_args);
    each_line("tetragon/honeycluster-kubehound-calibration.jsonl", keep_orig_files);
    lifted_same = lifted_files_same = 0;
    CHECK(each_line("../seed-pipeline/vector-gke-tetragon-calibration.jsonl", check_lifted_line) == n);
    CHECK(n == 24);
    CHECK(lifted_same == n);       /* every argument back, in position, normalised the same */
    CHECK(lifted_files_same == n); /* and the files lifted from them */
    for (int i = 0; i < 32; i++)
        free(orig_args[i]);
}

/* built from gkevalues.yaml tetragon_pre/tetragon_create_key: a setns with
 * two arguments, kprobe2..4 the "null" placeholder */
static void test_lifted_args_inline(void)
{
    storm_arena_reset(arena);
    const char *text =
        "{\"dedup\":\"5d41402abc4b2a76b9719d911017c592kpro\",\"kprobe0\":{\"int_arg\":3},"
        "\"kprobe1\":{\"int_arg\":1073741824},\"kprobe2\":\"null\",\"kprobe3\":\"null\",\"kprobe4\":\"null\","
        "\"md5_hash\":\"5d41402abc4b2a76b9719d911017c592\",\"node_name\":\"kind-control-plane\","
        "\"process_kprobe\":{\"function_name\":\"__x64_sys_setns\",\"process\":{\"binary\":\"/usr/bin/nsenter\"}},"
        "\"time\":\"2025-01-19T15:26:38.398Z\"}";
    storm_event_list list;
    const char *skip;
    storm_err err;
    CHECK(decode_rec(parse(text, strlen(text)), &list, &skip, &err) == STORM_OK && list.n == 1);
    if (list.n != 1)
        return;
    const storm_value *args = list.items[0].hook.args;
    CHECK(args && args->u.a.len == 2);
    if (!args || args->u.a.len != 2)
        return;
    const storm_value *v = storm_v_get(args->u.a.items[1], "value");
    CHECK(v && v->type == STORM_V_INT && v->u.i == 1073741824);
    CHECK(storm_v_is_str(storm_v_get(args->u.a.items[1], "type"), "int_arg"));
    /* an exec record of the same remap: five placeholders, no arguments, no error */
    storm_arena_reset(arena);
    text = "{\"kprobe0\":\"null\",\"kprobe1\":\"null\",\"kprobe2\":\"null\",\"kprobe3\":\"null\",\"kprobe4\":\"null\","
           "\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\"}},\"time\":\"2025-01-19T15:26:38Z\"}";
    CHECK(decode_rec(parse(text, strlen(text)), &list, &skip, &err) == STORM_OK && list.n == 1);
}

/* a hole or a value that is no argument: an error at its position, never a shifted argument */
static void test_lifted_args_malformed(void)
{
    const char *texts[] = {
        "{\"process_kprobe\":{\"function_name\":\"f\"},\"kprobe0\":\"null\",\"kprobe1\":{\"int_arg\":1}}",
        "{\"process_kprobe\":{\"function_name\":\"f\"},\"kprobe0\":5}",
    };
    const char *what[] = {"kprobe1", "kprobe0"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        storm_arena_reset(arena);
        storm_event_list list;
        const char *skip;
        storm_err err;
        CHECK(decode_rec(parse(texts[i], strlen(texts[i])), &list, &skip, &err) == STORM_ERR_VALUE);
        CHECK(list.n == 0);
        CHECK(strstr(err.msg, what[i]) == err.msg);
        CHECK(err.offset == (size_t)(strstr(texts[i], what[i]) - texts[i]) + strlen(what[i]) + 2);
    }
}

/* ---- falco_pre + falco: output_fields -> interesting ---- */

static const char *orig_rules[32], *orig_sev[32];
static storm_time_ns orig_time[32];
static char *orig_fields[32];

static void keep_orig_alert(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_event_list list;
    const char *skip;
    storm_err err;
    if (n > 32 || decode_rec(parse(line, len), &list, &skip, &err) != STORM_OK || list.n != 1)
        return;
    orig_rules[n - 1] = strdup(list.items[0].alert.rule);
    orig_sev[n - 1] = strdup(list.items[0].alert.severity);
    orig_time[n - 1] = list.items[0].time;
    orig_fields[n - 1] = json_text(list.items[0].alert.fields);
}

static int falco_same;

static void check_reshaped_alert(const char *line, size_t len, int n)
{
    storm_arena_reset(arena);
    storm_event_list list;
    const char *skip;
    storm_err err;
    storm_rc rc = decode_rec(parse(line, len), &list, &skip, &err);
    CHECK(rc == STORM_OK && list.n == 1);
    if (rc != STORM_OK || list.n != 1 || n > 32) {
        fprintf(stderr, "  line %d: %s\n", n, err.msg);
        return;
    }
    const storm_event *ev = &list.items[0];
    CHECK(ev->sensor == STORM_SENSOR_FALCO && ev->kind == STORM_EV_ALERT);
    char *fields = json_text(ev->alert.fields);
    bool same = orig_rules[n - 1] && strcmp(ev->alert.rule, orig_rules[n - 1]) == 0 &&
                strcmp(ev->alert.severity, orig_sev[n - 1]) == 0 && fields && orig_fields[n - 1] &&
                strcmp(fields, orig_fields[n - 1]) == 0 && ev->has_time;
    falco_same += same;
    free(fields);
}

static void test_falco_interesting(void)
{
    int n = each_line("falco/falco-website-alerts.jsonl", keep_orig_alert);
    falco_same = 0;
    CHECK(each_line("../seed-pipeline/vector-gke-falco-website-alerts.jsonl", check_reshaped_alert) == n);
    CHECK(n == 16);
    CHECK(falco_same == n);
    for (int i = 0; i < 32; i++) {
        free((char *)orig_rules[i]);
        free((char *)orig_sev[i]);
        free(orig_fields[i]);
    }
}

/* built from gkevalues.yaml falco_pre/falco: no output, no time; evt.time is
 * read from the fields, else Vector's timestamp */
static void test_falco_inline_times(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"hostname\":\"node-1\",\"interesting\":{\"proc.cmdline\":\"sh -c id\","
                       "\"k8s.ns.name\":\"default\"},\"md5_hash\":\"9e107d9d372bb6826bd81d3542a419d6\","
                       "\"priority\":\"Notice\",\"rule\":\"Terminal shell in container\",\"source\":\"syscall\","
                       "\"tags\":null,\"timestamp\":\"2025-05-15T10:00:16.5Z\"}";
    storm_event_list list;
    const char *skip;
    storm_err err;
    CHECK(decode_rec(parse(text, strlen(text)), &list, &skip, &err) == STORM_OK && list.n == 1);
    if (list.n != 1)
        return;
    storm_time_ns want = 0;
    storm_time_parse("2025-05-15T10:00:16.5Z", 22, 0, &want);
    CHECK(list.items[0].has_time && list.items[0].time == want);
    CHECK_STR(list.items[0].k8s.namespace_, "default");
    CHECK_STR(list.items[0].k8s.node, "node-1");
    /* a timestamp that is no time: an error at its position */
    storm_arena_reset(arena);
    text = "{\"interesting\":{},\"priority\":\"Notice\",\"rule\":\"r\",\"timestamp\":\"soon\"}";
    CHECK(decode_rec(parse(text, strlen(text)), &list, &skip, &err) == STORM_ERR_VALUE);
    CHECK(err.offset == (size_t)(strstr(text, "\"soon\"") - text));
}

/* ---- the "init" placeholders that seed the sinks ---- */

static void test_init_placeholders(void)
{
    const char *files[] = {"../seed-pipeline/vector-tetragon-init.jsonl",
                           "../seed-pipeline/vector-kubescape-init.jsonl"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        storm_arena_reset(arena);
        char *line = corpus_line(arena, files[i], 1, &len);
        CHECK(line != NULL);
        if (!line)
            continue;
        storm_event_list list;
        const char *skip;
        storm_err err;
        CHECK(decode_rec(parse(line, len), &list, &skip, &err) == STORM_ERR_UNSUPPORTED);
        CHECK(list.n == 0);
        CHECK_STR(skip, "init");
    }
    /* a real alert whose rule happens to be called "init" is still an alert */
    storm_arena_reset(arena);
    const char *text = "{\"RuleID\":\"init\",\"BaseRuntimeMetadata\":{\"alertName\":\"x\",\"infectedPID\":1},"
                       "\"RuntimeK8sDetails\":{\"podName\":\"p\"},\"time\":\"2025-05-15T10:00:16Z\"}";
    storm_event_list list;
    const char *skip;
    storm_err err;
    CHECK(decode_rec(parse(text, strlen(text)), &list, &skip, &err) == STORM_OK && list.n == 1);
}

int main(void)
{
    arena = storm_arena_new(0, 64u << 20);
    RUN(test_payload_object_real_lines);
    RUN(test_payload_body_as_text);
    RUN(test_payload_whole_record);
    RUN(test_payload_unknown_type);
    RUN(test_lifted_args_calibration);
    RUN(test_lifted_args_inline);
    RUN(test_lifted_args_malformed);
    RUN(test_falco_interesting);
    RUN(test_falco_inline_times);
    RUN(test_init_placeholders);
    storm_arena_free(arena);
    return test_report("test_seed_pipeline");
}
