/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline as a library: the reader's framing (a line, an array on a
 * line, HTTP bodies as one JSON value or as JSON Lines), reject counting
 * with the bad text set aside once, skip types, record numbering across an
 * array's records, detection with the shipped models writing sightings to
 * the STIX and text sinks, and the release_memory hook's period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/pipeline.h>

#include "test.h"

#define REC(pid, t)                                                                                                    \
    "{\"process_exec\":{\"process\":{\"exec_id\":\"e" #pid "\",\"pid\":" #pid ",\"binary\":\"/bin/true\"}},"           \
    "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:0" #t "Z\"}"

typedef struct seen {
    int n;
    char ids[8][80];
} seen;

static storm_rc on_obs(void *ctx, const storm_observation *obs, const storm_event *ev, storm_err *err)
{
    (void)ev;
    (void)err;
    seen *s = ctx;
    if (s->n < 8)
        snprintf(s->ids[s->n], sizeof s->ids[0], "%s", obs->id ? obs->id : "");
    s->n++;
    return STORM_OK;
}

static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *d = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    rewind(f);
    if (d && n > 0 && fread(d, 1, (size_t)n, f) != (size_t)n)
        d[0] = '\0';
    return d;
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_framing(void)
{
    seen s = {0};
    FILE *rej = tmpfile();
    storm_pipeline_opts po = {.prog = "test", .dating = STORM_PIPELINE_DATE_SOURCE};
    storm_pipeline_sinks sinks = {.rejects = rej, .observation = on_obs, .observation_ctx = &s};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_pipeline_new(&po, &sinks, &p, &err) == STORM_OK);
    if (!p)
        return;
    /* an array of two records on one line: two events, two different ids */
    const char *arr = "[" REC(1, 1) "," REC(2, 2) "]";
    storm_pipeline_feed_text(p, "t", 1, arr, strlen(arr));
    CHECK(s.n == 2);
    CHECK(s.n >= 2 && strcmp(s.ids[0], s.ids[1]) != 0);
    /* a bad element: the line is set aside once, each bad element counted */
    const char *mixed = "[" REC(3, 3) ",1,{\"x\":1}]";
    storm_pipeline_feed_text(p, "t", 2, mixed, strlen(mixed));
    const char *notjson = "{\"a\":";
    storm_pipeline_feed_text(p, "t", 3, notjson, strlen(notjson));
    /* an HTTP body of JSON Lines: each line on its own */
    const char *body = REC(4, 4) "\n{oops\n\n" REC(5, 5) "\n";
    storm_pipeline_feed_body(p, "http#1", body, strlen(body));
    /* an HTTP body holding one array: elements on their own, set aside as JSON */
    const char *abody = "[" REC(6, 6) ",{\"y\":2}]";
    storm_pipeline_feed_body(p, "http#2", abody, strlen(abody));
    storm_pipeline_flush(p);
    storm_pipeline_stats st;
    storm_pipeline_get_stats(p, &st);
    CHECK(s.n == 6);
    CHECK(st.events_decoded == 6 && st.observations == 6);
    CHECK(st.events_rejected == 5);
    CHECK(st.records_read == 7); /* 3 lines, 3 body lines, 1 JSON body */
    char *r = slurp(rej);
    CHECK(r && strstr(r, mixed) && strstr(r, notjson) && strstr(r, "{oops\n") && strstr(r, "{\"y\":2}\n"));
    CHECK(r && occurrences(r, mixed) == 1); /* two bad elements, the line once */
    free(r);
    fclose(rej);
    storm_pipeline_free(p);
}

static void test_detection(void)
{
    char buf[4096];
    const char *dir = storm_pipeline_default_models(buf, sizeof buf);
    const char *root = getenv("STORM_SOURCE_ROOT");
    CHECK(dir != NULL && root != NULL);
    if (!dir || !root)
        return;
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_path(m, dir, &err);
    storm_models_finish(m);
    CHECK(storm_models_n_indicators(m) > 10);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/corpus/tetragon/honeycluster-kubehound-calibration.jsonl", root);
    for (int format = 0; format < 2; format++) {
        FILE *out = tmpfile();
        storm_pipeline_opts po = {.prog = "test", .models = m};
        storm_pipeline_sinks sinks = {.out = out, .format = format ? STORM_PIPELINE_TEXT : STORM_PIPELINE_STIX};
        storm_pipeline *p = NULL;
        storm_err_clear(&err);
        CHECK(storm_pipeline_new(&po, &sinks, &p, &err) == STORM_OK);
        if (!p)
            break;
        CHECK(storm_pipeline_feed_source(p, path, false, &err) == STORM_OK);
        storm_pipeline_flush(p);
        storm_detect_stats ds;
        storm_detector_get_stats(storm_pipeline_detector(p), &ds);
        CHECK(ds.sightings > 0);
        char *o = slurp(out);
        CHECK(o && (format ? strstr(o, "Privileged mount from a container") != NULL
                           : strstr(o, "\"type\":\"bundle\"") && strstr(o, "\"type\":\"sighting\"")));
        free(o);
        fclose(out);
        storm_pipeline_free(p);
    }
    storm_models_free(m);
}

static void count_release(void *ctx)
{
    ++*(int *)ctx;
}

/* release_memory comes every release_every records, bad ones included
 * (the period is one of records read, as the flush points'). */
static void test_release_memory(void)
{
    seen s = {0};
    int released = 0;
    storm_pipeline_opts po = {.prog = "test",
                              .dating = STORM_PIPELINE_DATE_SOURCE,
                              .release_memory = count_release,
                              .release_memory_ctx = &released,
                              .release_every = 3};
    storm_pipeline_sinks sinks = {.observation = on_obs, .observation_ctx = &s};
    storm_pipeline *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_pipeline_new(&po, &sinks, &p, &err) == STORM_OK);
    if (!p)
        return;
    const char *good = REC(1, 1), *bad = "{oops";
    for (int i = 0; i < 10; i++) {
        const char *line = i == 4 ? bad : good;
        storm_pipeline_feed_text(p, "t", (uint64_t)i + 1, line, strlen(line));
        CHECK(released == (i + 1) / 3);
    }
    storm_pipeline_flush(p);
    CHECK(released == 3);
    CHECK(s.n == 9);
    storm_pipeline_free(p);
}

int main(void)
{
    RUN(test_framing);
    RUN(test_release_memory);
    RUN(test_detection);
    return test_report("test_pipeline");
}
