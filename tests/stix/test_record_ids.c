/* SPDX-License-Identifier: Apache-2.0 */
/* An event's observed-data id is derived from its own bytes: an event inside
 * a JSON array or an audit EventList gets the id it gets alone on a line,
 * whatever else the batch holds (issue #11: hashing the whole batch per event
 * made an array of N events cost O(N^2), and the same event's id depended on
 * its batch). Checked with ids computed eagerly and lazily, as storm run and
 * storm convert do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>
#include <storm/pipeline.h>
#include <storm/stix.h>

#include "test.h"

#define EVENT(id, user)                                                                                                \
    "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"" id "\","            \
    "\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/shop/pods\",\"verb\":\"create\","              \
    "\"user\":{\"username\":\"" user "\"},\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"shop\","                \
    "\"name\":\"web-1\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":201},"                                     \
    "\"requestReceivedTimestamp\":\"2026-01-01T00:00:00.000000Z\",\"stageTimestamp\":\"2026-01-01T00:00:00.100000Z\"}"

static const char event_a[] = EVENT("11111111-1111-4111-8111-111111111111", "alice");
static const char event_b[] = EVENT("22222222-2222-4222-8222-222222222222", "bob");

#define MAX_IDS 8

typedef struct ids_seen {
    char (*ids)[80];
    size_t n;
} ids_seen;

/* The pipeline's observation sink: each observation's id, in order. */
static storm_rc take_id(void *ctx, const storm_observation *obs, const storm_event *ev, storm_err *err)
{
    (void)ev, (void)err;
    ids_seen *seen = ctx;
    if (seen->n < MAX_IDS)
        snprintf(seen->ids[seen->n++], 80, "%s", obs->id);
    return STORM_OK;
}

/* The observed-data ids of the events of one line of text, in order.
 * Eager: through the pipeline's reader, exactly as storm convert reads the
 * line. Lazy (as storm run builds observations): each record classified
 * by the library's rule, its events observed with lazy ids, then finished. */
static size_t ids_of(const char *text, bool lazy, char ids[MAX_IDS][80])
{
    size_t len = strlen(text);
    if (!lazy) {
        ids_seen seen = {ids, 0};
        storm_pipeline_opts po = {.prog = "test_record_ids"};
        storm_pipeline_sinks sinks = {.observation = take_id, .observation_ctx = &seen};
        storm_pipeline *p = NULL;
        storm_err err;
        storm_err_clear(&err);
        if (storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK)
            return 0;
        storm_pipeline_feed_text(p, "test", 1, text, len);
        storm_pipeline_free(p);
        return seen.n;
    }
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *root = NULL;
    size_t n = 0;
    if (storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, NULL) != STORM_OK) {
        storm_arena_free(a);
        return 0;
    }
    size_t n_recs = root->type == STORM_V_ARRAY ? root->u.a.len : 1;
    for (size_t r = 0; r < n_recs; r++) {
        const storm_value *rec = NULL;
        const storm_decoder *dec = NULL;
        storm_event_list list = {0};
        const char *skip = NULL;
        storm_err err;
        storm_err_clear(&err);
        if (storm_decode_classify(a, root->type == STORM_V_ARRAY ? root->u.a.items[r] : root, NULL, &rec, &dec, &err) !=
                STORM_OK ||
            dec->decode(a, rec, &list, &skip, NULL) != STORM_OK)
            continue;
        for (size_t i = 0; i < list.n && n < MAX_IDS; i++) {
            storm_stix_opts o = {.record = text, .record_len = len, .record_index = i, .lazy_ids = true};
            storm_observation obs;
            if (storm_stix_observe(a, &list.items[i], &o, &obs, NULL) != STORM_OK)
                continue;
            storm_stix_observation_finish(&obs);
            snprintf(ids[n++], 80, "%s", obs.id);
        }
    }
    storm_arena_free(a);
    return n;
}

static void check_batches(bool lazy)
{
    char text[8192];
    char alone_a[MAX_IDS][80], alone_b[MAX_IDS][80], got[MAX_IDS][80];
    CHECK(ids_of(event_a, lazy, alone_a) == 1);
    CHECK(ids_of(event_b, lazy, alone_b) == 1);
    CHECK(strcmp(alone_a[0], alone_b[0]) != 0);

    snprintf(text, sizeof text, "[%s,%s]", event_a, event_b);
    CHECK(ids_of(text, lazy, got) == 2);
    CHECK_STR(got[0], alone_a[0]);
    CHECK_STR(got[1], alone_b[0]);

    snprintf(text, sizeof text, "[ %s , %s ]", event_b, event_a);
    CHECK(ids_of(text, lazy, got) == 2);
    CHECK_STR(got[0], alone_b[0]);
    CHECK_STR(got[1], alone_a[0]);

    snprintf(text, sizeof text, "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[%s,%s]}",
             event_a, event_b);
    CHECK(ids_of(text, lazy, got) == 2);
    CHECK_STR(got[0], alone_a[0]);
    CHECK_STR(got[1], alone_b[0]);

    /* the same event in another batch, at another position: the same id */
    snprintf(text, sizeof text, "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[%s,%s,%s]}",
             event_b, event_b, event_a);
    CHECK(ids_of(text, lazy, got) == 3);
    CHECK_STR(got[2], alone_a[0]);
}

/* A record alone on its line keeps the id of the line's bytes: surrounding
 * blanks are part of it, as they always were (JSON Lines ids do not move). */
static void check_line_unchanged(void)
{
    char text[4096], plain[MAX_IDS][80], padded[MAX_IDS][80];
    snprintf(text, sizeof text, " %s ", event_a);
    CHECK(ids_of(event_a, false, plain) == 1);
    CHECK(ids_of(text, false, padded) == 1);
    CHECK(strcmp(plain[0], padded[0]) != 0);
    /* a record inside a shipper's payload object is no batch item: its line is hashed, as before */
    char env[MAX_IDS][80];
    snprintf(text, sizeof text, "{\"node_name\":\"n1\",\"payload\":%s}", event_a);
    CHECK(ids_of(text, false, env) == 1);
    CHECK(strcmp(env[0], plain[0]) != 0);
}

int main(void)
{
    test_current = "eager ids";
    check_batches(false);
    test_current = "lazy ids";
    check_batches(true);
    test_current = "a line alone";
    check_line_unchanged();
    return test_report("test_record_ids");
}
