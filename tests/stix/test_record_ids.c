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

/* The observed-data ids of the events of one line of text, in order. */
static size_t ids_of(const char *text, bool lazy, char ids[MAX_IDS][80])
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *root = NULL;
    size_t n = 0, len = strlen(text);
    if (storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, NULL) != STORM_OK) {
        storm_arena_free(a);
        return 0;
    }
    size_t n_recs = root->type == STORM_V_ARRAY ? root->u.a.len : 1;
    for (size_t r = 0; r < n_recs; r++) {
        const storm_value *rec = storm_decode_unwrap(a, root->type == STORM_V_ARRAY ? root->u.a.items[r] : root);
        const storm_decoder *dec = storm_decoder_detect(rec);
        storm_event_list list = {0};
        const char *skip = NULL;
        if (!dec || dec->decode(a, rec, &list, &skip, NULL) != STORM_OK)
            continue;
        for (size_t i = 0; i < list.n && n < MAX_IDS; i++) {
            storm_stix_opts o = {.record = text, .record_len = len, .record_index = i, .lazy_ids = lazy};
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
