/* SPDX-License-Identifier: Apache-2.0 */
/* The kept text of content-named SCOs (src/pipeline/sco_text.c): only
 * UUIDv5 ids are kept, and whatever comes under a kept id, the text is
 * always what writing the object gives: another value, another member
 * order, -0.0 for 0.0, a member more or less all write anew. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#include "sco_text.h"
#include "test.h"

#define V5 "file--7d8f9c1e-1b2a-5c3d-8e4f-0a1b2c3d4e5f"

static storm_value *parse(storm_arena *a, const char *s)
{
    storm_value *v = NULL;
    storm_json_parse(a, s, strlen(s), 0, &v, NULL, NULL);
    return v;
}

/* sco_text_write's text of v is storm_json_write's */
static void check_same_text(sco_text *c, const storm_value *v)
{
    storm_buf want, got;
    storm_buf_init(&want, 0);
    storm_buf_init(&got, 0);
    CHECK(storm_json_write(&want, v, STORM_JSONW_COMPACT) == STORM_OK);
    CHECK(storm_buf_append(&got, "[", 1) == STORM_OK); /* after other text */
    CHECK(sco_text_write(c, &got, v) == STORM_OK);
    CHECK(got.len == want.len + 1 && memcmp(got.data + 1, want.data, want.len) == 0);
    storm_buf_free(&want);
    storm_buf_free(&got);
}

static void test_wanted(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    CHECK(sco_text_wanted(parse(a, "{\"id\":\"" V5 "\"}")));
    CHECK(sco_text_wanted(parse(a, "{\"id\":\"user-account--7d8f9c1e-1b2a-5c3d-8e4f-0a1b2c3d4e5f\"}")));
    CHECK(!sco_text_wanted(parse(a, "{\"id\":\"process--7d8f9c1e-1b2a-4c3d-8e4f-0a1b2c3d4e5f\"}")));
    CHECK(!sco_text_wanted(parse(a, "{\"id\":\"file--7d8f9c1e-1b2a-5c3d-8e4f\"}")));
    CHECK(!sco_text_wanted(parse(a, "{\"id\":\"file-7d8f9c1e-1b2a-5c3d-8e4f-0a1b2c3d4e5f\"}")));
    CHECK(!sco_text_wanted(parse(a, "{\"id\":5}")));
    CHECK(!sco_text_wanted(parse(a, "{\"type\":\"file\"}")));
    CHECK(!sco_text_wanted(parse(a, "[1]")));
    storm_arena_free(a);
}

static void test_text_follows_content(void)
{
    static const char *const versions[] = {
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"name\":\"a\",\"size\":1}",
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"name\":\"a\",\"size\":1}",            /* the same: kept text */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"name\":\"b\",\"size\":1}",            /* another value */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":1,\"name\":\"b\"}",            /* another order */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":1,\"name\":\"b\",\"x\":null}", /* a member more */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":1}",                           /* one less */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":\"1\"}",                       /* another type */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":0.0,\"e\":{\"k\":[1,2]}}",
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":-0.0,\"e\":{\"k\":[1,2]}}", /* -0.0 == 0.0, but not as text */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":-0.0,\"e\":{\"k\":[1,3]}}", /* deep inside */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":-0.0,\"e\":{\"K\":[1,3]}}", /* a key */
        "{\"type\":\"file\",\"id\":\"" V5 "\",\"size\":-0.0,\"e\":{\"K\":[1,3]}}",
    };
    storm_arena *a = storm_arena_new(0, 0);
    sco_text c = {0};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        check_same_text(&c, parse(a, versions[i]));
    CHECK(c.n == 1); /* one id, its last version kept */
    /* a hand-built object with a repeated key is written as it is */
    storm_value *o = parse(a, versions[0]);
    storm_v_append(a, o, "name", 4, storm_v_str(a, "c"));
    check_same_text(&c, o);
    check_same_text(&c, parse(a, versions[0]));
    sco_text_free(&c);
    storm_arena_free(a);
}

/* Past its bounds everything is dropped and keeping starts over: the text
 * stays right throughout. */
static void test_bounds(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    sco_text c = {0};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5000; i++) {
            char text[200];
            snprintf(text, sizeof text,
                     "{\"type\":\"file\",\"id\":\"file--00000000-0000-5000-8000-%012d\",\"name\":\"n%d-%d\"}", i, i,
                     round * (i % 3));
            check_same_text(&c, parse(a, text));
            CHECK(c.n <= 512); /* SCO_TEXT_MAX_ENTRIES */
        }
    sco_text_free(&c);
    CHECK(c.n == 0 && c.e == NULL);
    storm_arena_free(a);
}

int main(void)
{
    RUN(test_wanted);
    RUN(test_text_follows_content);
    RUN(test_bounds);
    return test_report("test_sco_text");
}
