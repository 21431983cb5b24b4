/* SPDX-License-Identifier: Apache-2.0 */
/* Hubble decoder: the two real (field-masked) exporter lines of the corpus,
 * plus flows written by us from Cilium's flow.proto (api/v1/flow/flow.proto)
 * because the corpus has no L7, labels, workloads or identities. The samples
 * below marked OWN are our own test data, not sensor output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

#include "test.h"

static storm_arena *arena;

typedef struct decoded {
    storm_rc rc;
    storm_event_list list;
    const char *skip;
    storm_err err;
    const storm_event *ev;
    const storm_decoder *detected;
} decoded;

static decoded decode_text(const char *text)
{
    decoded d;
    memset(&d, 0, sizeof d);
    storm_value *root = NULL;
    if (storm_json_parse(arena, text, strlen(text), 0, &root, NULL, &d.err) != STORM_OK) {
        d.rc = d.err.rc;
        return d;
    }
    d.detected = storm_decoder_detect(root);
    d.rc = storm_decoder_find("hubble")->decode(arena, root, &d.list, &d.skip, &d.err);
    d.ev = d.list.n ? &d.list.items[0] : NULL;
    return d;
}

static storm_time_ns ts(const char *s)
{
    storm_time_ns t = 0;
    storm_time_parse(s, strlen(s), 0, &t);
    return t;
}

/* Line n (1-based) of the Hubble corpus file, copied into the arena. */
static const char *corpus_line(int n)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/corpus/hubble/cilium-docs-hubble-exporter.jsonl", root ? root : ".");
    char *data = NULL;
    size_t len = 0;
    if (storm_read_file(path, 1u << 20, &data, &len, NULL) != STORM_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        return "";
    }
    size_t start = 0;
    for (int i = 1; i < n && start < len; i++) {
        const char *nl = memchr(data + start, '\n', len - start);
        start = nl ? (size_t)(nl - data) + 1 : len;
    }
    size_t end = start;
    while (end < len && data[end] != '\n')
        end++;
    const char *line = storm_arena_strndup(arena, data + start, end - start);
    free(data);
    return line;
}

static void test_corpus(void)
{
    storm_arena_reset(arena);
    const char *line1 = corpus_line(1), *line2 = corpus_line(2);
    CHECK(line1[0] == '{' && line2[0] == '{');

    decoded d = decode_text(line1);
    CHECK(d.rc == STORM_OK && d.ev);
    CHECK(d.detected && strcmp(d.detected->name, "hubble") == 0);
    if (d.ev) {
        const storm_event *ev = d.ev;
        CHECK(ev->sensor == STORM_SENSOR_HUBBLE);
        CHECK(ev->kind == STORM_EV_NETWORK);
        CHECK_STR(ev->type, "flow");
        CHECK(ev->has_time && ev->time == ts("2023-08-21T12:12:13.517394084Z"));
        CHECK_STR(ev->net.verdict, "DROPPED");
        CHECK_STR(ev->net.src_ip, "fe80::64d8:8aff:fe72:fc14");
        CHECK_STR(ev->net.dst_ip, "ff02::2");
        CHECK_STR(ev->net.family, "ipv6");
        CHECK_STR(ev->net.protocol, "icmpv6");
        CHECK(!ev->net.has_src_port && !ev->net.has_dst_port);
        CHECK(storm_v_get(storm_v_get(ev->net.extra, "icmp"), "type")->u.i == 133);
        CHECK_STR(storm_v_get_str(ev->net.extra, "drop_reason_desc"), "INVALID_SOURCE_IP");
        /* Hubble Relay node names are "<cluster>/<node>" */
        CHECK_STR(ev->k8s.cluster, "kind-kind");
        CHECK_STR(ev->k8s.node, "kind-worker");
        CHECK(!ev->k8s.pod);
        CHECK(!ev->net.direction); /* traffic_direction masked out */
    }

    d = decode_text(line2);
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        const storm_event *ev = d.ev;
        CHECK_STR(ev->net.protocol, "tcp");
        CHECK_STR(ev->net.family, "ipv4");
        CHECK_STR(ev->net.src_ip, "10.244.1.60");
        CHECK(ev->net.has_src_port && ev->net.src_port == 44916);
        CHECK(ev->net.has_dst_port && ev->net.dst_port == 80);
        CHECK(storm_v_get(storm_v_get(ev->net.extra, "tcp_flags"), "SYN")->u.b);
        CHECK_STR(storm_v_get_str(ev->net.extra, "drop_reason_desc"), "POLICY_DENIED");
        /* no direction: the endpoint with a pod (the source) is where it happened */
        CHECK_STR(ev->k8s.namespace_, "default");
        CHECK_STR(ev->k8s.pod, "xwing");
        CHECK_STR(storm_v_get_str(storm_v_get(ev->net.extra, "destination"), "pod_name"), "deathstar-7848d6c4d5-th9v2");
    }
}

/* OWN: a DNS request through the Cilium DNS proxy, egress from a Deployment pod. */
static const char own_dns[] =
    "{\"flow\":{\"time\":\"2024-03-05T10:15:42.123456789Z\",\"uuid\":\"8b1e5c0e-2f0b-4c1e-9a51-0d6b3f0f6a11\","
    "\"verdict\":\"FORWARDED\",\"ethernet\":{\"source\":\"ce:6d:3a:1b:22:01\",\"destination\":\"96:1e:5a:7b:10:02\"},"
    "\"IP\":{\"source\":\"10.244.1.23\",\"destination\":\"10.96.0.10\",\"ipVersion\":\"IPv4\"},"
    "\"l4\":{\"UDP\":{\"source_port\":45123,\"destination_port\":53}},"
    "\"source\":{\"ID\":1234,\"identity\":5678,\"namespace\":\"default\",\"labels\":[\"k8s:app=xwing\","
    "\"k8s:io.cilium.k8s.policy.serviceaccount=default\",\"k8s:io.kubernetes.pod.namespace=default\","
    "\"k8s:app.kubernetes.io/part-of=empire\"],\"pod_name\":\"xwing-6d8c7f5b9-abcde\","
    "\"workloads\":[{\"name\":\"xwing\",\"kind\":\"Deployment\"}]},"
    "\"destination\":{\"identity\":102,\"namespace\":\"kube-system\",\"labels\":[\"k8s:k8s-app=kube-dns\"],"
    "\"pod_name\":\"coredns-5d78c9869d-xyz12\"},\"Type\":\"L7\",\"node_name\":\"kind-worker\","
    "\"l7\":{\"type\":\"REQUEST\",\"dns\":{\"query\":\"api.github.com.\",\"qtypes\":[\"A\"],"
    "\"observation_source\":\"proxy\"}},\"event_type\":{\"type\":129},\"traffic_direction\":\"EGRESS\","
    "\"is_reply\":false,\"Summary\":\"DNS Query api.github.com. A\"},"
    "\"node_name\":\"kind-worker\",\"time\":\"2024-03-05T10:15:42.123456789Z\"}";

/* OWN: an HTTP request into a pod (ingress), reply flag set to false. */
static const char own_http[] =
    "{\"flow\":{\"time\":\"2024-03-05T10:16:00.5Z\",\"verdict\":\"FORWARDED\","
    "\"IP\":{\"source\":\"10.244.1.23\",\"destination\":\"10.244.2.7\",\"ipVersion\":\"IPv4\"},"
    "\"l4\":{\"TCP\":{\"source_port\":51234,\"destination_port\":80}},"
    "\"source\":{\"namespace\":\"default\",\"pod_name\":\"xwing-6d8c7f5b9-abcde\"},"
    "\"destination\":{\"namespace\":\"default\",\"labels\":[\"k8s:app.kubernetes.io/name=deathstar\","
    "\"k8s:class=deathstar\",\"reserved:world\"],\"pod_name\":\"deathstar-7848d6c4d5-th9v2\","
    "\"workloads\":[{\"name\":\"deathstar\",\"kind\":\"Deployment\"}]},\"Type\":\"L7\","
    "\"node_name\":\"prod-eu/"
    "worker-2\",\"l7\":{\"type\":\"REQUEST\",\"latency_ns\":\"0\",\"http\":{\"method\":\"POST\","
    "\"url\":\"http://deathstar.default.svc.cluster.local/v1/request-landing\",\"protocol\":\"HTTP/1.1\","
    "\"headers\":[{\"key\":\":authority\",\"value\":\"deathstar.default.svc.cluster.local\"}]}},"
    "\"traffic_direction\":\"INGRESS\",\"is_reply\":false,\"destination_names\":[\"deathstar.example.\"]}}";

/* OWN: a bare flow object (exporters can write the Flow message alone), enums as numbers. */
static const char own_bare[] =
    "{\"time\":\"2024-03-05T10:17:00Z\",\"verdict\":2,\"IP\":{\"source\":\"10.0.0.5\",\"destination\":\"1.1.1.1\","
    "\"ipVersion\":1},\"l4\":{\"ICMPv4\":{\"type\":8}},\"source\":{\"namespace\":\"ci\",\"pod_name\":\"runner\"},"
    "\"destination\":{\"identity\":2,\"labels\":[\"reserved:world\"]},\"Type\":1,\"traffic_direction\":2,"
    "\"destination_names\":[\"one.one.one.one\"],\"drop_reason_desc\":\"POLICY_DENIED\"}";

static void test_own_dns(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(own_dns);
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    const storm_event *ev = d.ev;
    CHECK_STR(ev->net.dns_name, "api.github.com"); /* root dot removed */
    CHECK_STR(ev->net.protocol, "udp");
    CHECK(ev->net.dst_port == 53);
    CHECK_STR(ev->net.direction, "egress");
    CHECK_STR(ev->net.verdict, "FORWARDED");
    CHECK_STR(ev->k8s.node, "kind-worker");
    CHECK(!ev->k8s.cluster);
    /* egress: the source pod is where it happened */
    CHECK_STR(ev->k8s.pod, "xwing-6d8c7f5b9-abcde");
    CHECK_STR(ev->k8s.workload, "xwing");
    CHECK_STR(ev->k8s.workload_kind, "Deployment");
    CHECK_STR(storm_v_get_str(ev->k8s.labels, "app"), "xwing");
    CHECK_STR(storm_v_get_str(ev->k8s.labels, "app.kubernetes.io/part-of"), "empire");
    CHECK(storm_v_get(ev->k8s.labels, "io.kubernetes.pod.namespace") == NULL); /* Cilium's own labels dropped */
    CHECK(storm_v_len(ev->k8s.labels) == 2);
    CHECK_STR(storm_v_get_str(ev->net.extra, "type"), "L7");
    CHECK(storm_v_get(storm_v_get(ev->net.extra, "l7"), "dns") != NULL);
    CHECK(storm_v_get(ev->net.extra, "event_type") != NULL);
    CHECK(storm_v_get(ev->net.extra, "is_reply") && !storm_v_get(ev->net.extra, "is_reply")->u.b);
    CHECK(ev->time == ts("2024-03-05T10:15:42.123456789Z"));
}

static void test_own_http(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(own_http);
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    const storm_event *ev = d.ev;
    CHECK_STR(ev->net.direction, "ingress");
    /* ingress: the destination pod is where it happened */
    CHECK_STR(ev->k8s.pod, "deathstar-7848d6c4d5-th9v2");
    CHECK_STR(ev->k8s.workload, "deathstar");
    CHECK_STR(storm_v_get_str(ev->k8s.labels, "class"), "deathstar");
    CHECK_STR(ev->k8s.cluster, "prod-eu");
    CHECK_STR(ev->k8s.node, "worker-2");
    CHECK_STR(ev->net.dns_name, "deathstar.example"); /* from destination_names */
    const storm_value *http = storm_v_get(storm_v_get(ev->net.extra, "l7"), "http");
    CHECK_STR(storm_v_get_str(http, "method"), "POST");
    CHECK(ev->time == ts("2024-03-05T10:16:00.5Z"));
}

static void test_own_bare(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(own_bare);
    CHECK(d.rc == STORM_OK && d.ev);
    CHECK(d.detected && strcmp(d.detected->name, "hubble") == 0);
    if (!d.ev)
        return;
    CHECK_STR(d.ev->net.verdict, "DROPPED");
    CHECK_STR(d.ev->net.family, "ipv4");
    CHECK_STR(d.ev->net.protocol, "icmp");
    CHECK_STR(d.ev->net.direction, "egress");
    CHECK_STR(d.ev->net.dns_name, "one.one.one.one");
    CHECK_STR(d.ev->k8s.pod, "runner");
    CHECK_STR(storm_v_get_str(d.ev->net.extra, "type"), "L3_L4");
}

static void test_skipped_records(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text("{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\",\"num_events_lost\":\"3\"},"
                            "\"node_name\":\"kind-worker\",\"time\":\"2024-03-05T10:18:00Z\"}");
    CHECK(d.rc == STORM_ERR_UNSUPPORTED);
    CHECK_STR(d.skip, "lost_events");
    CHECK(d.detected && strcmp(d.detected->name, "hubble") == 0);
    CHECK(d.list.n == 0);
}

static void expect_value_error(const char *text, const char *path_in_msg, const char *at)
{
    storm_arena_reset(arena);
    decoded d = decode_text(text);
    CHECK(d.rc == STORM_ERR_VALUE);
    CHECK(d.list.n == 0);
    if (!strstr(d.err.msg, path_in_msg))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", d.err.msg, path_in_msg);
    CHECK(strstr(d.err.msg, path_in_msg) != NULL);
    if (at) {
        const char *where = strstr(text, at);
        CHECK(where && d.err.offset == (size_t)(where - text));
    }
}

static void test_wrong_types(void)
{
    expect_value_error("{\"flow\":{\"time\":5,\"verdict\":\"DROPPED\"}}", "flow.time", "5,");
    expect_value_error("{\"flow\":{\"time\":\"noon\"}}", "flow.time", "\"noon\"");
    expect_value_error("{\"flow\":{\"IP\":{\"source\":10}}}", "flow.IP.source", "10}");
    expect_value_error("{\"flow\":{\"l4\":{\"TCP\":{\"source_port\":\"80\"}}}}", "flow.l4.TCP.source_port", "\"80\"");
    expect_value_error("{\"flow\":{\"l4\":{\"UDP\":{\"destination_port\":70000}}}}", "flow.l4.UDP.destination_port",
                       "70000");
    expect_value_error("{\"flow\":{\"l4\":{\"UDP\":[]}}}", "flow.l4.UDP", "[]");
    expect_value_error("{\"flow\":{\"source\":{\"labels\":[\"k8s:a=b\",3]}}}", "flow.source.labels[1]", "3]");
    expect_value_error("{\"flow\":{\"source\":{\"workloads\":[{\"name\":1}]}}}", "flow.source.workloads[0].name", "1}");
    expect_value_error("{\"flow\":{\"l7\":{\"dns\":{\"query\":[]}}}}", "flow.l7.dns.query", "[]");
    expect_value_error("{\"flow\":{\"verdict\":true,\"IP\":{}}}", "flow.verdict", "true");
    expect_value_error("{\"flow\":{\"is_reply\":\"no\"}}", "flow.is_reply", "\"no\"");
    expect_value_error("{\"flow\":{\"destination_names\":\"x\"}}", "flow.destination_names", "\"x\"");
    expect_value_error("{\"flow\":{},\"time\":[]}", "time", "[]}");
    expect_value_error("{\"flow\":7}", "flow", "7}");
    expect_value_error("{\"verdict\":\"DROPPED\",\"IP\":{\"destination\":false}}", "IP.destination", "false");
    expect_value_error("[]", "JSON object", NULL);
    expect_value_error("{\"x\":1}", "not a Hubble flow", NULL);
}

static void test_detect(void)
{
    const storm_decoder *h = storm_decoder_find("hubble");
    CHECK(h && h->sensor == STORM_SENSOR_HUBBLE);
    const char *yes[] = {"{\"flow\":{}}", own_bare, "{\"node_status\":{},\"time\":\"x\"}"};
    const char *no[] = {"{\"flow\":1}", "{\"verdict\":\"x\"}", "{\"process_exec\":{}}", "{\"lost_events\":{}}", "1"};
    storm_value *v;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        storm_arena_reset(arena);
        CHECK(storm_json_parse(arena, yes[i], strlen(yes[i]), 0, &v, NULL, NULL) == STORM_OK);
        CHECK(h->detect(v));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        storm_arena_reset(arena);
        CHECK(storm_json_parse(arena, no[i], strlen(no[i]), 0, &v, NULL, NULL) == STORM_OK);
        CHECK(!h->detect(v));
    }
}

int main(void)
{
    arena = storm_arena_new(0, 64u << 20);
    RUN(test_corpus);
    RUN(test_own_dns);
    RUN(test_own_http);
    RUN(test_own_bare);
    RUN(test_skipped_records);
    RUN(test_wrong_types);
    RUN(test_detect);
    storm_arena_free(arena);
    return test_report("test_hubble");
}
