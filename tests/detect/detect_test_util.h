/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the detector tests (test-only, header-only): a model holding one
 * indicator per pattern, and every event of the sensor corpus decoded as
 * storm run decodes it. */
#ifndef STORM_TEST_DETECT_UTIL_H
#define STORM_TEST_DETECT_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/pipeline.h>

/* A finished model with one indicator per pattern, named "<prefix>0",
 * "<prefix>1", ... (ids indicator--00000000-0000-4000-8000-<index>). A
 * pattern that does not compile is left out (a defect). Owned by the caller
 * (storm_models_free). */
static inline storm_models *test_models_of(const char *const *patterns, size_t n, const char *prefix)
{
    storm_buf b;
    storm_buf_init(&b, 64u << 20);
    storm_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        storm_buf_printf(
            &b,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-%012zu\","
            "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"%s%zu\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":",
            i ? "," : "", i, prefix, i);
        storm_json_write_string(&b, patterns[i], strlen(patterns[i]));
        storm_buf_puts(&b, "}");
    }
    storm_buf_puts(&b, "]}");
    storm_models *m = NULL;
    storm_models_new(&m);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(m, "test", b.data, b.len, &err);
    storm_models_finish(m);
    storm_buf_free(&b);
    return m;
}

typedef void (*test_event_fn)(void *ctx, storm_arena *a, const storm_event *ev, const char *where);

typedef struct test_corpus_walk {
    storm_arena *a;
    bool reset;
    test_event_fn fn;
    void *ctx;
    size_t events;
} test_corpus_walk;

/* The pipeline's event sink: each event to fn, with its place. */
static inline storm_rc test_corpus_on_event(void *ctx, storm_event *ev, storm_err *err)
{
    (void)err;
    test_corpus_walk *w = ctx;
    char where[4200];
    snprintf(where, sizeof where, "%s record %llu", ev->source_name ? ev->source_name : "-",
             (unsigned long long)ev->source_line);
    if (w->reset)
        storm_arena_reset(w->a);
    w->fn(w->ctx, w->a, ev, where);
    w->events++;
    return STORM_OK;
}

/* Every event of every file of tests/data/corpus/{tetragon,k8s-audit,falco,
 * kubescape,hubble} (files in name order), read through the pipeline as
 * storm run reads them (framing, envelopes, decoder choice); records that
 * are not JSON or of no known sensor are passed over. With reset the arena
 * is reset before each event (fn keeps nothing, and the event lives during
 * the call only), else the events and what fn builds stay in a until the
 * caller frees it. Returns the number of events. */
static inline size_t test_corpus_events(storm_arena *a, bool reset, test_event_fn fn, void *ctx)
{
    static const char *const sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    const char *root = getenv("STORM_SOURCE_ROOT");
    test_corpus_walk w = {a, reset, fn, ctx, 0};
    storm_pipeline_opts po = {.prog = "test_corpus_events", .messages_shown = 1};
    storm_pipeline_sinks sinks = {.event = test_corpus_on_event, .event_ctx = &w, .event_arena = reset ? NULL : a};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK)
        return 0;
    for (size_t si = 0; si < sizeof sensors / sizeof sensors[0]; si++) {
        char dir[2048];
        snprintf(dir, sizeof dir, "%s/tests/data/corpus/%s", root ? root : ".", sensors[si]);
        struct dirent **names = NULL;
        int nn = scandir(dir, &names, NULL, alphasort);
        for (int fi = 0; fi < nn; fi++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[fi]->d_name);
            bool json = strstr(names[fi]->d_name, ".json") != NULL;
            free(names[fi]);
            storm_err_clear(&err);
            if (json)
                storm_pipeline_feed_source(p, path, false, &err);
        }
        free(names);
    }
    storm_pipeline_free(p);
    return w.events;
}

#endif
