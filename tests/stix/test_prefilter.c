/* SPDX-License-Identifier: Apache-2.0 */
/* The prefilter of storm run (storm/stix_prefilter.h) must never miss a value
 * the observation holds: for every corpus event, every scalar the built
 * observation holds at any path the prefilter claims to read (every SCO,
 * every property, into arrays, dictionaries and through _ref/_refs) must be
 * among the values it reads off the event. Also: every SCO type present is
 * one it says may be present, and an event it calls observable is built. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/pipeline.h>
#include <storm/stix.h>
#include <storm/stix_prefilter.h>

#include "test.h"

#include "prefilter_check.h"

static int events, values_checked, problems;

/* A pipeline whose decoded events go to on(ctx); NULL (a failed check) when
 * it cannot be made. Owned: storm_pipeline_free. */
static storm_pipeline *new_pipeline(storm_rc (*on)(void *, storm_event *, storm_err *), void *ctx)
{
    storm_pipeline_opts po = {.prog = "test_prefilter"};
    storm_pipeline_sinks sinks = {.event = on, .event_ctx = ctx};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_pipeline_new(&po, &sinks, &p, &err) == STORM_OK);
    return p;
}

static void check_event(storm_arena *a, const storm_event *ev, const char *where)
{
    events++;
    int p = prefilter_check_event(a, ev, where, &values_checked);
    problems += p;
    CHECK(p == 0);
}
/* The pipeline's event sink: every corpus event, decoded as storm run
 * decodes it (the same reader, framing and envelopes). */
static storm_rc on_event(void *ctx, storm_event *ev, storm_err *err)
{
    (void)err;
    storm_arena *a = ctx;
    char where[2200];
    snprintf(where, sizeof where, "%s:%llu", ev->source_name ? ev->source_name : "-",
             (unsigned long long)ev->source_line);
    storm_arena_reset(a);
    check_event(a, ev, where);
    return STORM_OK;
}

static void test_corpus(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    CHECK(root != NULL);
    if (!root)
        return;
    static const char *sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    storm_arena *a = storm_arena_new(0, 0);
    storm_pipeline *p = new_pipeline(on_event, a);
    storm_err err;
    for (size_t si = 0; p && si < sizeof sensors / sizeof sensors[0]; si++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/data/corpus/%s", root, sensors[si]);
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strstr(e->d_name, ".json"))
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            storm_err_clear(&err);
            CHECK(storm_pipeline_feed_source(p, path, false, &err) == STORM_OK);
        }
        if (d)
            closedir(d);
    }
    /* the entry-point logs (sshd, HTTP access): text lines and JSON */
    static const char *entry[] = {"auth.log", "journal.jsonl", "access.log"};
    for (size_t i = 0; p && i < sizeof entry / sizeof entry[0]; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/tests/data/entry/%s", root, entry[i]);
        storm_err_clear(&err);
        CHECK(storm_pipeline_feed_source(p, path, false, &err) == STORM_OK);
    }
    storm_pipeline_free(p);
    storm_arena_free(a);
    fprintf(stderr, "prefilter: %d events, %d values checked, %d problems\n", events, values_checked, problems);
    CHECK(events > 500);
    CHECK(values_checked > 5000);
}

/* Structured values that observe.c must sanitize: items dropped before an
 * index (null, "", {}), keys mapped ("Spec", "Host.PID"), a mapped key
 * colliding with a later one ("host_pid" becomes "host_pid_2"), the same
 * key twice. The values at every path of the built observation must be
 * among those read at its steps (prefilter_check_event). */
static void test_sanitized(void)
{
    static const char *const lines[] = {
        "{\"kind\":\"Event\",\"level\":\"RequestResponse\",\"auditID\":\"a1\",\"stage\":\"ResponseComplete\","
        "\"verb\":\"create\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":\"pods\"},"
        "\"requestObject\":{\"Spec\":{\"containers\":[null,\"\",{},[],{\"securityContext\":{\"privileged\":true}},"
        "{\"image\":\"x\",\"image\":\"y\"}],\"Host.PID\":true,\"host_pid\":false,\"hostIPC\":null,"
        "\"ab\":[[],[null],\"third\"]},\"rules\":[{\"verbs\":[\"\",null,\"get\",\"list\"]}]},"
        "\"requestReceivedTimestamp\":\"2018-10-26T14:02:54.905205Z\"}",
        "{\"output\":\"x\",\"priority\":\"Warning\",\"rule\":\"R\",\"time\":\"2023-01-01T00:00:00Z\","
        "\"output_fields\":{\"proc.cmdline\":\"sh -c id\",\"Proc.Name\":\"sh\",\"proc_name\":\"bash\","
        "\"evt.arg[0]\":[null,\"\",\"/etc/shadow\"],\"container.id\":null,\"fd.name\":\"\"}}",
    };
    storm_arena *a = storm_arena_new(0, 0);
    storm_pipeline *p = new_pipeline(on_event, a);
    int before_events = events, before_values = values_checked, before_problems = problems;
    for (size_t i = 0; p && i < sizeof lines / sizeof lines[0]; i++)
        storm_pipeline_feed_text(p, "sanitized", i + 1, lines[i], strlen(lines[i]));
    storm_pipeline_free(p);
    storm_arena_free(a);
    CHECK(events - before_events == 2);
    CHECK(values_checked - before_values > 20);
    CHECK(problems == before_problems);
}

/* The values at a structured property's steps: an index counts the items
 * that observe.c keeps, a key matches the sensor keys that map to it. */
typedef struct at_values {
    int n;
    char s[8][32];
} at_values;

static void keep_at(void *ctx, int lo, int hi, const storm_value *v)
{
    (void)lo;
    (void)hi;
    at_values *av = ctx;
    if (av->n < 8) {
        if (v->type == STORM_V_STRING)
            snprintf(av->s[av->n], sizeof av->s[0], "%.*s", (int)v->u.s.len, v->u.s.ptr);
        else if (v->type == STORM_V_INT)
            snprintf(av->s[av->n], sizeof av->s[0], "%lld", (long long)v->u.i);
        else
            snprintf(av->s[av->n], sizeof av->s[0], "?");
    }
    av->n++;
}

static storm_rc keep_event(void *ctx, storm_event *ev, storm_err *err)
{
    (void)err;
    storm_stix_step args1[] = {{"x_hook_args", 11, -1}, {NULL, 0, 1}, {"value", 5, -1}};
    storm_stix_step args0[] = {{"x_hook_args", 11, -1}, {NULL, 0, 0}, {"path", 4, -1}};
    storm_stix_step any[] = {{"x_hook_args", 11, -1}, {NULL, 0, -1}, {"value", 5, -1}};
    at_values *av = ctx;
    storm_arena *a = storm_arena_new(0, 0);
    storm_stix_opts o = {0};
    size_t places = storm_stix_prefilter_places(ev);
    const storm_stix_step *paths[] = {args1, args0, any};
    for (size_t i = 0; i < 3; i++) {
        int h = storm_stix_prefilter_path("process", 7, paths[i], 3);
        CHECK(h >= 0 && storm_stix_prefilter_structured(h));
        CHECK(storm_stix_prefilter_path_values(a, ev, &o, h, paths[i], 3, places, keep_at, &av[i]));
    }
    storm_arena_free(a);
    return STORM_OK;
}

static void test_steps(void)
{
    /* three arguments: a file, 5 and 1 */
    const char *line = "{\"process_kprobe\":{\"process\":{\"exec_id\":\"e1\",\"pid\":7,\"binary\":\"/bin/cat\"},"
                       "\"function_name\":\"security_mmap_file\",\"args\":[{\"file_arg\":{\"path\":\"/etc/x\"}},"
                       "{\"uint_arg\":5},{\"uint_arg\":1}],\"policy_name\":\"p\"},\"node_name\":\"n\","
                       "\"time\":\"2026-01-15T00:00:00Z\"}";
    at_values av[3];
    memset(av, 0, sizeof av);
    storm_pipeline *p = new_pipeline(keep_event, av);
    if (p)
        storm_pipeline_feed_text(p, "steps", 1, line, strlen(line));
    storm_pipeline_free(p);
    /* [1].value is 5 alone (not the path, the types or 1) */
    CHECK(av[0].n == 1 && strcmp(av[0].s[0], "5") == 0);
    CHECK(av[1].n == 1 && strcmp(av[1].s[0], "/etc/x") == 0);
    CHECK(av[2].n == 2);
    /* a deep path through a reference is not read off events */
    storm_stix_step ref[] = {{"x_hook_args", 11, -1}, {NULL, 0, 0}, {"file_ref", 8, -1}, {"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, ref, 4) < 0);
}

/* Paths it must read (the ones indicators use most), and ones it must not claim. */
static void test_paths(void)
{
    storm_stix_step name[] = {{"image_ref", 9, -1}, {"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, name, 2) >= 0);
    storm_stix_step pname[] = {{"parent_ref", 10, -1}, {"image_ref", 9, -1}, {"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, pname, 3) >= 0);
    storm_stix_step hook[] = {{"x_hook_args", 11, -1}, {NULL, 0, 1}, {"value", 5, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, hook, 3) >= 0);
    storm_stix_step cmd[] = {{"command_line", 12, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, cmd, 1) >= 0);
    storm_stix_step id[] = {{"id", 2, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, id, 1) < 0);
    storm_stix_step start[] = {{"start", 5, -1}};
    CHECK(storm_stix_prefilter_path("network-traffic", 15, start, 1) < 0);
    storm_stix_step cn[] = {{"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("x-custom", 8, cn, 1) < 0);
    /* a scalar property has nothing below it */
    storm_stix_step deeper[] = {{"command_line", 12, -1}, {"x", 1, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, deeper, 2) < 0);
    /* a relative has no subject context */
    storm_stix_step ppod[] = {{"parent_ref", 10, -1}, {"x_k8s_pod", 9, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, ppod, 2) < 0);
}

int main(void)
{
    RUN(test_paths);
    RUN(test_steps);
    RUN(test_sanitized);
    RUN(test_corpus);
    return test_report("test_prefilter");
}
