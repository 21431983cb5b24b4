/* SPDX-License-Identifier: Apache-2.0 */
/* Redaction is complete at any volume (issue #11: past 4,096 remembered
 * names, pod names were left in sighting descriptions and labels).
 *
 * Property: for a generated store of P pods (a process, an address, an
 * audit request and a sighting per pod, as `storm run --db` stores them), no
 * pod name, namespace, node, address, exec id, container id or label value
 * of the input appears anywhere in the redacted bytes: not whole, not in
 * part. Every generated value carries the markers "wk" (first) and "-zq"/"Zq"
 * (last), which nothing else in the objects or pseudonyms (hex) contains, and
 * every address is in 10.77.0.0/16; so one linear scan of the output for
 * those markers finds any leak, whatever the size.
 *
 * Also: overlapping names leave nothing behind, and redaction that cannot
 * finish refuses (nothing is published) instead of leaving a value as is.
 *
 * Usage: test_redact_volume [--lean] [PODS...] (default 10 100 1000 10000). */
#include <stdio.h>
#include <stdlib.h>
#include <storm/buf.h>
#include <storm/json.h>
#include <storm/share.h>
#include <unistd.h>

#include "test.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static bool lean; /* --lean: only the process and the sighting (the 100,000-pod run's memory) */

/* One pod's objects, appended to b (a JSON array in the making). */
static void pod_objects(storm_buf *b, size_t i)
{
    size_t ns = i % 97, node = i % 13;
    unsigned a3 = (unsigned)(i / 250 % 250 + 1), a4 = (unsigned)(i % 250 + 1);
    storm_buf_printf(
        b,
        "%s{\"type\":\"process\",\"spec_version\":\"2.1\",\"id\":\"process--%08zx-0000-4000-8000-000000000001\","
        "\"pid\":%zu,\"command_line\":\"/bin/sh -c curl http://10.77.%u.%u/x?pod=wkpod-%zu-zq\","
        "\"x_proc_exec_id\":\"wkExec%zuZq\",\"x_proc_parent_exec_id\":\"wkExec%zuParentZq\","
        "\"x_k8s_node\":\"wknode-%zu-zq\",\"x_k8s_namespace\":\"wkns-%zu-zq\",\"x_k8s_pod\":\"wkpod-%zu-zq\","
        "\"x_k8s_container_id\":\"wkcid%zuzq\",\"x_k8s_workload\":\"wkapp-%zu-zq\","
        "\"x_k8s_labels\":[\"app=wkapp-%zu-zq\",\"team=wkteam-%zu-zq\","
        "\"statefulset.kubernetes.io/pod-name=wkpod-%zu-zq\",\"tier=wktier-%zu-zq\"]},",
        i ? "," : "", i, i + 100, a3, a4, i, i, i, node, ns, i, i, i, i, i % 31, i, i % 7);
    if (!lean) {
        storm_buf_printf(
            b,
            "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"ipv4-addr--%08zx-0000-5000-8000-000000000002\","
            "\"value\":\"10.77.%u.%u\"},",
            i, a3, a4);
        storm_buf_printf(
            b,
            "{\"type\":\"network-traffic\",\"spec_version\":\"2.1\",\"id\":\"network-traffic--%08zx-0000-5000-8000-"
            "000000000003\","
            "\"src_ref\":\"ipv4-addr--%08zx-0000-5000-8000-000000000002\",\"protocols\":[\"tcp\"],"
            "\"x_audit_namespace\":\"wkns-%zu-zq\",\"x_audit_name\":\"wkpod-%zu-zq\","
            "\"x_audit_request_object\":{\"metadata\":{\"name\":\"wkpod-%zu-zq\",\"namespace\":\"wkns-%zu-zq\","
            "\"labels\":{\"app\":\"wkapp-%zu-zq\",\"tier\":\"wktier-%zu-zq\"}},"
            "\"spec\":{\"nodeName\":\"wknode-%zu-zq\"}}},",
            i, i, ns, i, i, ns, i, i % 7, node);
    }
    storm_buf_printf(
        b,
        "{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--%08zx-0000-4000-8000-000000000004\","
        "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
        "\"sighting_of_ref\":\"indicator--00000000-0000-4000-8000-000000000000\","
        "\"observed_data_refs\":[],\"description\":\"Shell in pod wkns-%zu-zq/wkpod-%zu-zq on wknode-%zu-zq: "
        "exec wkExec%zuZq (parent wkExec%zuParentZq) in container wkcid%zuzq from 10.77.%u.%u, "
        "labels app=wkapp-%zu-zq tier=wktier-%zu-zq\"}",
        i, ns, i, node, i, i, i, a3, a4, i, i % 7);
}

/* Offset of the first leaked marker in s, or -1. */
static long first_leak(const char *s, size_t len)
{
    static const char *const markers[] = {"wk", "-zq", "Zq", "10.77."};
    for (size_t m = 0; m < sizeof markers / sizeof *markers; m++) {
        const char *hit = memmem(s, len, markers[m], strlen(markers[m]));
        if (hit)
            return (long)(hit - s);
    }
    return -1;
}

/* Occurrences of one kind of value (for the report: which kind leaked). */
static size_t count(const char *s, size_t len, const char *what)
{
    size_t n = 0, wl = strlen(what);
    for (const char *p = s, *end = s + len; (p = memmem(p, (size_t)(end - p), what, wl)); p += wl)
        n++;
    return n;
}

static void check_pods(size_t pods)
{
    storm_buf in;
    storm_buf_init(&in, (size_t)4 << 30);
    storm_buf_putc(&in, '[');
    for (size_t i = 0; i < pods; i++)
        pod_objects(&in, i);
    storm_buf_putc(&in, ']');
    /* the generator itself: every value is there before redaction */
    CHECK(first_leak(in.data, in.len) >= 0);
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *objects = NULL;
    storm_err err = {0};
    CHECK(storm_json_parse(a, in.data, in.len, 0, &objects, NULL, &err) == STORM_OK);
    storm_buf_free(&in);
    storm_redactor *r = NULL;
    CHECK(storm_redactor_default(key, sizeof key, &r, &err) == STORM_OK);
    storm_redact_stats st = {0};
    storm_rc rc = objects && r ? storm_redact_objects(r, a, objects, &st, &err) : STORM_ERR_STATE;
    CHECK(rc == STORM_OK);
    if (rc)
        fprintf(stderr, "%zu pods: %s\n", pods, err.msg);
    storm_buf out;
    storm_buf_init(&out, (size_t)4 << 30);
    CHECK(objects && storm_json_write(&out, objects, STORM_JSONW_COMPACT) == STORM_OK);
    long leak = out.data ? first_leak(out.data, out.len) : 0;
    CHECK(leak < 0);
    if (leak >= 0) {
        fprintf(stderr, "%zu pods: leaked at byte %ld: %.120s\n", pods, leak, out.data + (leak > 40 ? leak - 40 : 0));
        static const char *const kinds[] = {"wkpod-", "wkns-",   "wknode-", "wkExec", "wkcid",
                                            "wkapp-", "wkteam-", "wktier-", "10.77."};
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            fprintf(stderr, "  %s: %zu left\n", kinds[k], count(out.data, out.len, kinds[k]));
    }
    /* and it was redaction, not loss: every pod's objects are still there */
    CHECK(objects && objects->u.a.len == (lean ? 2 : 4) * pods);
    CHECK(st.names_pseudonymised >= 10 * pods && st.addresses_masked >= (lean ? 1 : 2) * pods);
    printf("%zu pods: %zu objects, %zu bytes out, %zu names pseudonymised, %zu addresses masked, %s\n", pods,
           objects ? objects->u.a.len : 0, out.len, st.names_pseudonymised, st.addresses_masked,
           leak < 0 ? "no leak" : "LEAK");
    storm_buf_free(&out);
    storm_redactor_free(r);
    storm_arena_free(a);
}

/* Names inside names: a namespace that is part of a pod name, a pod name that
 * is part of a longer one. Every byte of every occurrence goes. */
static void check_overlapping_names(void)
{
    test_current = "overlapping names";
    const char *text =
        "[{\"type\":\"process\",\"id\":\"process--00000000-0000-4000-8000-000000000001\","
        "\"x_k8s_namespace\":\"wkshop\",\"x_k8s_pod\":\"wkshop-web-1\",\"x_k8s_labels\":[\"app=wkshop-web\"]},"
        "{\"type\":\"process\",\"id\":\"process--00000000-0000-4000-8000-000000000002\","
        "\"x_k8s_pod\":\"wkshop-web-10\"},"
        "{\"type\":\"sighting\",\"id\":\"sighting--00000000-0000-4000-8000-000000000003\","
        "\"description\":\"in wkshop/wkshop-web-1 and wkshop-web-10, wkshop-web-1x, xwkshop-web-1\"}]";
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *objects = NULL;
    storm_err err = {0};
    CHECK(storm_json_parse(a, text, strlen(text), 0, &objects, NULL, &err) == STORM_OK);
    storm_redactor *r = NULL;
    CHECK(storm_redactor_default(key, sizeof key, &r, &err) == STORM_OK);
    CHECK(objects && r && storm_redact_objects(r, a, objects, NULL, &err) == STORM_OK);
    storm_buf out;
    storm_buf_init(&out, 1u << 20);
    CHECK(objects && storm_json_write(&out, objects, STORM_JSONW_COMPACT) == STORM_OK);
    CHECK(out.data && first_leak(out.data, out.len) < 0);
    /* the longest name wins where names start together: the pod, not its namespace */
    CHECK(out.data && count(out.data, out.len, "in namespace-") == 1 && count(out.data, out.len, " and pod-") == 1);
    if (out.data && first_leak(out.data, out.len) >= 0)
        fprintf(stderr, "%s\n", out.data);
    storm_buf_free(&out);
    storm_redactor_free(r);
    storm_arena_free(a);
}

/* A scrub rule that cannot finish on a string (PCRE2's match limit) stops
 * redaction: the string might hold the secret, so nothing is published. */
static void check_refuses_when_incomplete(void)
{
    test_current = "refuses when incomplete";
    char key_path[] = "/tmp/storm-test-redact-key-XXXXXX";
    int fd = mkstemp(key_path);
    CHECK(fd >= 0 && write(fd, key, sizeof key) == (ssize_t)sizeof key);
    if (fd >= 0)
        close(fd);
    storm_arena *a = storm_arena_new(0, 0);
    char rules_text[512];
    snprintf(rules_text, sizeof rules_text,
             "{\"secret_file\":\"%s\",\"scrub\":[{\"regex\":\"^(a|a)*$\",\"replace\":\"<gone>\"}]}", key_path);
    storm_value *rules = NULL, *objects = NULL;
    storm_err err = {0};
    CHECK(storm_json_parse(a, rules_text, strlen(rules_text), 0, &rules, NULL, &err) == STORM_OK);
    storm_redactor *r = NULL;
    CHECK(rules && storm_redactor_from_value(rules, NULL, &r, &err) == STORM_OK);
    char text[256];
    snprintf(text, sizeof text,
             "[{\"type\":\"process\",\"id\":\"process--00000000-0000-4000-8000-000000000001\","
             "\"command_line\":\"%s\"}]",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac");
    CHECK(storm_json_parse(a, text, strlen(text), 0, &objects, NULL, &err) == STORM_OK);
    storm_err_clear(&err);
    storm_rc rc = r && objects ? storm_redact_objects(r, a, objects, NULL, &err) : STORM_OK;
    CHECK(rc != STORM_OK);
    CHECK(strstr(err.msg, "nothing is published") != NULL);
    storm_redactor_free(r);
    storm_arena_free(a);
    unlink(key_path);
}

int main(int argc, char **argv)
{
    check_overlapping_names();
    check_refuses_when_incomplete();
    static const size_t defaults[] = {10, 100, 1000, 10000};
    test_current = "redaction complete at any volume";
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--lean") == 0)
        lean = true, first = 2;
    if (argc > first)
        for (int i = first; i < argc; i++)
            check_pods(strtoul(argv[i], NULL, 10));
    else
        for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
            check_pods(defaults[i]);
    return test_report("test_redact_volume");
}
