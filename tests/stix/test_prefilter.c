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
    storm_pipeline_opts po = {.prog = "test_prefilter"};
    storm_pipeline_sinks sinks = {.event = on_event, .event_ctx = a};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_pipeline_new(&po, &sinks, &p, &err) == STORM_OK);
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
    RUN(test_corpus);
    return test_report("test_prefilter");
}
