/* SPDX-License-Identifier: Apache-2.0 */
/* The kept text of the current observation's objects (src/pipeline/
 * obs_text.c): a text is given back only for the same object in the same
 * record, another record forgets them all, and past its room it keeps
 * nothing more but still answers for what it kept. */
#include <stdio.h>
#include <string.h>

#include "obs_text.h"
#include "test.h"

/* What obs_text_write_kept appends for v in record, after "[" ("" when it
 * says it keeps nothing: then it appends nothing either). */
static const char *kept(obs_text *c, uint64_t record, const storm_value *v, char *buf, size_t size)
{
    storm_buf out;
    storm_buf_init(&out, 0);
    CHECK(storm_buf_append(&out, "[", 1) == STORM_OK);
    bool found = obs_text_write_kept(c, record, v, &out);
    CHECK(found || out.len == 1);
    snprintf(buf, size, "%s", found ? out.data + 1 : "");
    storm_buf_free(&out);
    return buf;
}

static void test_same_object_same_record(void)
{
    obs_text c = {0};
    static storm_value a, b; /* only their addresses matter */
    char buf[64];
    CHECK(strcmp(kept(&c, 1, &a, buf, sizeof buf), "") == 0);
    obs_text_keep(&c, 1, &a, "{\"a\":1}", 7);
    obs_text_keep(&c, 1, &b, "{\"b\":2}", 7);
    CHECK(strcmp(kept(&c, 1, &a, buf, sizeof buf), "{\"a\":1}") == 0);
    CHECK(strcmp(kept(&c, 1, &b, buf, sizeof buf), "{\"b\":2}") == 0);
    /* the next record: the same address is another object */
    CHECK(strcmp(kept(&c, 2, &a, buf, sizeof buf), "") == 0);
    obs_text_keep(&c, 2, &b, "{\"b\":3}", 7);
    CHECK(strcmp(kept(&c, 2, &b, buf, sizeof buf), "{\"b\":3}") == 0);
    CHECK(strcmp(kept(&c, 2, &a, buf, sizeof buf), "") == 0);
    obs_text_free(&c);
    CHECK(strcmp(kept(&c, 2, &b, buf, sizeof buf), "") == 0);
}

static void test_room(void)
{
    obs_text c = {0};
    static storm_value v[OBS_TEXT_MAX + 2];
    char text[32], buf[64];
    for (int i = 0; i < OBS_TEXT_MAX + 2; i++) {
        int n = snprintf(text, sizeof text, "{\"i\":%d}", i);
        obs_text_keep(&c, 7, &v[i], text, (size_t)n);
    }
    CHECK(c.n == OBS_TEXT_MAX);
    CHECK(strcmp(kept(&c, 7, &v[0], buf, sizeof buf), "{\"i\":0}") == 0);
    snprintf(text, sizeof text, "{\"i\":%d}", OBS_TEXT_MAX - 1);
    CHECK(strcmp(kept(&c, 7, &v[OBS_TEXT_MAX - 1], buf, sizeof buf), text) == 0);
    CHECK(strcmp(kept(&c, 7, &v[OBS_TEXT_MAX], buf, sizeof buf), "") == 0);
    obs_text_free(&c);
}

int main(void)
{
    RUN(test_same_object_same_record);
    RUN(test_room);
    return test_report("test_obs_text");
}
