/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/sightings (a page of stored sightings, oldest first, with the
 * total) and GET /api/objects?ids=A,B (objects by id from every collection
 * the user reads: the JSON a click on a graph node shows). */
#include "webapi_int.h"

#include <stdlib.h>
#include <string.h>
#include <storm/json.h>
#include <storm/store_summary.h>

#define SIGHTING_ROW_ARENA ((size_t)64 << 20) /* one sighting's parse tree at most */

typedef struct sighting_walk {
    storm_arena *arena;
    webapi_sighting_fn fn;
    void *ctx;
} sighting_walk;

static int parse_sighting(void *ctx, const storm_store_row *row)
{
    sighting_walk *sw = ctx;
    storm_arena_reset(sw->arena);
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(sw->arena, row->json, row->json_len, 0, &v, NULL, &err) || !v || v->type != STORM_V_OBJECT)
        return 0; /* the store only holds valid JSON; skip rather than fail the page */
    return sw->fn(sw->ctx, v, row);
}

storm_rc webapi_each_sighting(storm_store *st, size_t max, webapi_sighting_fn fn, void *ctx, bool *truncated,
                              storm_err *err)
{
    static const char *const types[] = {"sighting"};
    sighting_walk sw = {.arena = storm_arena_new(16384, SIGHTING_ROW_ARENA), .fn = fn, .ctx = ctx};
    if (!sw.arena)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "webapi: out of memory");
    storm_rc rc = webapi_walk(st, STORM_COLLECTION_SIGHTINGS, types, 1, max, parse_sighting, &sw, truncated, err);
    storm_arena_free(sw.arena);
    return rc;
}

typedef struct page_ctx {
    storm_buf *b;
    size_t n;
} page_ctx;

static int put_row(void *ctx, const storm_store_row *row)
{
    page_ctx *pc = ctx;
    storm_buf_puts(pc->b, pc->n++ ? "," : "");
    storm_buf_append(pc->b, row->json, row->json_len);
    return 0;
}

static int count_sightings(void *ctx, const char *type, int64_t n)
{
    if (strcmp(type, "sighting") == 0)
        *(int64_t *)ctx = n;
    return 0;
}

void webapi_get_sightings(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_SIGHTINGS, false))
        return;
    static const char *const types[] = {"sighting"};
    size_t limit = webapi_param_count(c, "limit", 100, c->w->cfg.list_max);
    const char *after = webapi_param(c, "after");
    storm_store_query q = {.collection = STORM_COLLECTION_SIGHTINGS,
                           .types = types,
                           .n_types = 1,
                           .version_flags = STORM_STORE_VERSION_LAST,
                           .limit = limit > STORM_STORE_QUERY_LIMIT_MAX ? STORM_STORE_QUERY_LIMIT_MAX : limit,
                           .after_key = after ? strtoll(after, NULL, 10) : 0,
                           .with_json = true};
    storm_err err = {0};
    int64_t total = 0;
    storm_store_type_counts(c->rq->store, STORM_COLLECTION_SIGHTINGS, count_sightings, &total, &err);
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"sightings\":[");
    page_ctx pc = {b, 0};
    bool more = false;
    int64_t next = 0;
    storm_err_clear(&err);
    if (storm_store_query_objects(c->rq->store, &q, put_row, &pc, &more, &next, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_printf(b, "],\"total\":%lld,\"more\":%s,\"next\":\"%lld\"}", (long long)total, more ? "true" : "false",
                     (long long)next);
}

void webapi_get_objects(webapi_call *c)
{
    const char *list = webapi_param(c, "ids");
    if (!list || !*list) {
        webapi_error(c, 400, "ids= is required: object ids separated by commas");
        return;
    }
    const char *ids[WEBAPI_LOOKUP_IDS_MAX];
    size_t n = 0;
    char *copy = storm_arena_strdup(c->arena, list);
    if (!copy) {
        webapi_error(c, 500, "out of memory");
        return;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == WEBAPI_LOOKUP_IDS_MAX) {
            webapi_error(c, 400, "at most %d ids per request", WEBAPI_LOOKUP_IDS_MAX);
            return;
        }
        ids[n++] = tok;
    }
    static const char *const colls[] = {STORM_COLLECTION_INDICATORS, STORM_COLLECTION_SIGHTINGS,
                                        STORM_COLLECTION_OBSERVATIONS};
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"objects\":[");
    page_ctx pc = {b, 0};
    for (size_t i = 0; i < sizeof colls / sizeof *colls; i++) {
        if (!c->rq->can || !c->rq->can(c->rq->can_cls, colls[i], false))
            continue;
        storm_err err = {0};
        if (webapi_lookup(c->rq->store, colls[i], ids, n, put_row, &pc, &err)) {
            webapi_error(c, 500, "store: %s", err.msg);
            return;
        }
    }
    storm_buf_puts(b, "]}");
}
