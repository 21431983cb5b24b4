/* SPDX-License-Identifier: Apache-2.0 */
/* Log-shipper envelopes: Vector- and Fluent Bit-style records whose payload
 * field holds a sensor record as a JSON string. The envelopes below are our
 * own test data, written from the shippers' documented output shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>

#include "test.h"

static storm_arena *arena;

static storm_value *parse(const char *text)
{
    storm_value *v = NULL;
    storm_err err;
    if (storm_json_parse(arena, text, strlen(text), 0, &v, NULL, &err) != STORM_OK) {
        fprintf(stderr, "test input does not parse: %s\n", err.msg);
        return NULL;
    }
    return v;
}

static const storm_event *decode_one(const storm_value *root, storm_event_list *list)
{
    const storm_decoder *d = storm_decoder_detect(root);
    if (!d)
        return NULL;
    const char *skip = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (d->decode(arena, root, list, &skip, &err) != STORM_OK) {
        fprintf(stderr, "decode: %s\n", err.msg);
        return NULL;
    }
    return list->n ? &list->items[0] : NULL;
}

static storm_time_ns ts(const char *s)
{
    storm_time_ns t = 0;
    storm_time_parse(s, strlen(s), 0, &t);
    return t;
}

/* Vector: {"time","node_name","type","payload":"<Tetragon JSON>"}; the inner record lacks time and node */
static void test_vector_envelope(void)
{
    storm_arena_reset(arena);
    const char *text =
        "{\"time\":\"2025-03-01T12:00:00.123456789Z\",\"node_name\":\"worker-1\",\"type\":\"process_exec\","
        "\"payload\":\"{\\\"process_exec\\\":{\\\"process\\\":{\\\"exec_id\\\":\\\"aWQ=\\\",\\\"pid\\\":77,"
        "\\\"binary\\\":\\\"/bin/sh\\\",\\\"arguments\\\":\\\"-c id\\\"}}}\"}";
    storm_value *root = parse(text);
    CHECK(root != NULL);
    CHECK(storm_decoder_detect(root) == NULL); /* the envelope itself is no sensor record */
    const storm_value *inner = NULL, *env = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_decode_unwrap_ex(arena, root, &inner, &env, &err) == STORM_OK);
    CHECK(inner != root);
    CHECK(env == root);
    CHECK(storm_decode_unwrap(arena, root) != root);
    storm_event_list list = {0};
    const storm_event *ev = decode_one(inner, &list);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(ev->sensor == STORM_SENSOR_TETRAGON);
    CHECK_STR(ev->process.command_line, "/bin/sh -c id");
    CHECK_STR(ev->k8s.node, "worker-1");                                     /* carried from the envelope */
    CHECK(ev->has_time && ev->time == ts("2025-03-01T12:00:00.123456789Z")); /* carried too */
}

/* the inner record's own time and node win over the envelope's */
static void test_inner_fields_win(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"time\":\"2025-03-01T12:00:05Z\",\"node_name\":\"shipper-node\",\"message\":"
                       "\"{\\\"process_exit\\\":{\\\"process\\\":{\\\"binary\\\":\\\"/bin/true\\\"}},"
                       "\\\"node_name\\\":\\\"worker-2\\\",\\\"time\\\":\\\"2025-03-01T12:00:01Z\\\"}\"}";
    storm_value *root = parse(text);
    storm_event_list list = {0};
    const storm_event *ev = decode_one(storm_decode_unwrap(arena, root), &list);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK_STR(ev->k8s.node, "worker-2");
    CHECK(ev->time == ts("2025-03-01T12:00:01Z"));
}

/* Fluent Bit tail + kubernetes filter: "log" with a trailing newline, node in kubernetes.host */
static void test_fluent_bit_log(void)
{
    storm_arena_reset(arena);
    const char *text =
        "{\"date\":1740830400.5,\"stream\":\"stdout\",\"log\":\"{\\\"flow\\\":{\\\"verdict\\\":\\\"DROPPED\\\","
        "\\\"IP\\\":{\\\"source\\\":\\\"10.0.0.1\\\",\\\"destination\\\":\\\"10.0.0.2\\\"}}}\\n\","
        "\"kubernetes\":{\"pod_name\":\"hubble-exporter\",\"host\":\"node-7\"},\"timestamp\":\"2025-03-01T12:00:00Z\"}";
    storm_value *root = parse(text);
    const storm_value *inner = storm_decode_unwrap(arena, root);
    CHECK(inner != root);
    storm_event_list list = {0};
    const storm_event *ev = decode_one(inner, &list);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(ev->sensor == STORM_SENSOR_HUBBLE);
    CHECK_STR(ev->k8s.node, "node-7");
    CHECK(ev->has_time && ev->time == ts("2025-03-01T12:00:00Z"));
    CHECK_STR(ev->net.verdict, "DROPPED");
}

/* envelopes may nest: a shipper forwarding another shipper's record */
static void test_nested(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"msg\":\"{\\\"payload\\\":\\\"{\\\\\\\"process_exec\\\\\\\":{}}\\\","
                       "\\\"node_name\\\":\\\"n2\\\"}\",\"time\":\"2025-03-01T00:00:00Z\"}";
    storm_value *root = parse(text);
    CHECK(root != NULL);
    const storm_value *inner = NULL, *env = NULL;
    CHECK(storm_decode_unwrap_ex(arena, root, &inner, &env, NULL) == STORM_OK);
    CHECK(storm_v_get(inner, "process_exec") != NULL);
    CHECK(env && env != root);                                                 /* the innermost envelope */
    CHECK(storm_v_is_str(storm_v_get(inner, "node_name"), "n2"));              /* from the inner envelope */
    CHECK(storm_v_is_str(storm_v_get(inner, "time"), "2025-03-01T00:00:00Z")); /* passed on from the outer one */
}

/* records that must stay as they are */
static void test_not_envelopes(void)
{
    const char *texts[] = {
        /* Kubescape-like alert: plain-text message and msg */
        "{\"RuleID\":\"R0001\",\"message\":\"Unexpected process launched: sh\",\"msg\":\"Unexpected process\"}",
        /* a JSON array in the payload is not a record */
        "{\"payload\":\"[1,2,3]\"}",
        /* payload object that is no record, and no type naming it */
        "{\"payload\":{\"pid\":1}}",
        /* a sensor record that happens to have a message field holding JSON text */
        "{\"process_kprobe\":{},\"message\":\"{\\\"a\\\":1}\"}",
        /* a JSON string that is not an object */
        "{\"log\":\"\\\"{\\\"\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        storm_arena_reset(arena);
        storm_value *root = parse(texts[i]);
        CHECK(root != NULL);
        const storm_value *inner = NULL, *env = (const storm_value *)1;
        CHECK(storm_decode_unwrap_ex(arena, root, &inner, &env, NULL) == STORM_OK);
        CHECK(inner == root);
        CHECK(env == NULL);
        CHECK(storm_decode_unwrap(arena, root) == root);
    }
}

/* a payload that starts like an object but is truncated: an error with a position, never a drop */
static void test_malformed_payload(void)
{
    storm_arena_reset(arena);
    const char *text = "{\"node_name\":\"n\",\"payload\":\"{\\\"process_exec\\\":{\\\"process\\\":\"}";
    storm_value *root = parse(text);
    const storm_value *inner = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_decode_unwrap_ex(arena, root, &inner, NULL, &err) == STORM_ERR_SYNTAX);
    CHECK(inner == root);
    CHECK(strstr(err.msg, "payload") != NULL);
    CHECK(err.offset == (size_t)(strstr(text, "\"{") - text)); /* at the payload string */
    CHECK(storm_decode_unwrap(arena, root) == root);           /* then rejected as an unknown record */
    CHECK(storm_decoder_detect(root) == NULL);
    /* the same inside a nested envelope: the record is left as it came */
    storm_arena_reset(arena);
    root = parse("{\"msg\":\"{\\\"payload\\\":\\\"{\\\\\\\"process_exec\\\\\\\":{-}}\\\"}\"}");
    CHECK(root != NULL);
    const storm_value *env = NULL;
    inner = NULL;
    CHECK(storm_decode_unwrap_ex(arena, root, &inner, &env, NULL) == STORM_ERR_SYNTAX);
    CHECK(inner == root);
    CHECK(env == NULL);
}

int main(void)
{
    arena = storm_arena_new(0, 64u << 20);
    RUN(test_vector_envelope);
    RUN(test_inner_fields_win);
    RUN(test_fluent_bit_log);
    RUN(test_nested);
    RUN(test_not_envelopes);
    RUN(test_malformed_payload);
    storm_arena_free(arena);
    return test_report("test_unwrap");
}
