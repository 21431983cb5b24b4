/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/sessions and GET /api/session?key=session--UUID over the attack
 * sessions the store keeps (storm run --db; storm/store_session.h), each
 * with its attack path on the stored models (storm/session_report.h, as
 * storm report places it). A store without session rows gets the adapter
 * (api_sessions.c); "source" says which: "sessions" or "sightings-by-pod". */
#include "idmap.h"
#include "webapi_int.h"

#include <stdio.h>
#include <string.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/pipeline.h>
#include <storm/session_report.h>
#include <storm/store_session.h>

/* Observed-data (and, apart, SCOs) one session page shows at most: a
 * session keeps up to 1024 steps; past this the answer says truncated. */
#define SESSION_REFS_MAX 4096

typedef struct stored_ctx {
    webapi_call *c;
    storm_buf *b;
    const storm_models *models;
    size_t n, max;
    bool truncated;
    storm_arena *tmp; /* one session's parse tree */
    /* session page: the sighting ids of its steps */
    const char **sightings;
    size_t n_sightings;
} stored_ctx;

/* The stored models (NULL when none or on error: paths then say
 * "not-in-models"); owned by the caller (storm_models_free). */
static storm_models *load_models(webapi_call *c)
{
    storm_models *m = NULL;
    storm_err err = {0};
    size_t n = 0;
    if (storm_models_new(&m) != STORM_OK)
        return NULL;
    if (storm_pipeline_load_store_models(m, c->rq->store, "store", &n, &err) != STORM_OK || !n) {
        storm_models_free(m);
        return NULL;
    }
    storm_models_finish(m);
    return m;
}

static void put_field(storm_buf *b, const storm_value *v, const char *key)
{
    const storm_value *f = storm_v_get(v, key);
    storm_buf_printf(b, ",\"%s\":", key);
    if (f)
        storm_json_write(b, f, STORM_JSONW_COMPACT);
    else
        storm_buf_puts(b, "null");
}

static int count_row(void *ctx, const storm_store_session_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return 1; /* one is enough */
}

static bool has_sessions(webapi_call *c)
{
    size_t n = 0;
    storm_err err = {0};
    return storm_store_sessions(c->rq->store, 0, NULL, count_row, &n, &err) == STORM_OK && n > 0;
}

/* One list entry: the stored summary fields, the indicators and the path. */
static int put_summary(void *ctx, const storm_store_session_row *row)
{
    stored_ctx *s = ctx;
    if (s->n >= s->max) {
        s->truncated = true;
        return 1;
    }
    storm_arena_reset(s->tmp);
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(s->tmp, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0; /* a row that does not parse is not listed (storm sessions says why) */
    storm_buf *b = s->b;
    storm_buf_puts(b, s->n++ ? ",{\"key\":" : "{\"key\":");
    webapi_str(b, row->id);
    put_field(b, v, "id");
    put_field(b, v, "first_seen");
    put_field(b, v, "last_seen");
    put_field(b, v, "size");
    put_field(b, v, "pods");
    put_field(b, v, "nodes");
    const storm_value *steps = storm_v_get(v, "steps");
    size_t n_steps = steps && steps->type == STORM_V_ARRAY ? steps->u.a.len : 0;
    storm_buf_printf(b, ",\"sightings\":%zu,\"indicators\":[", n_steps);
    for (size_t i = 0, k = 0; i < n_steps; i++) {
        const char *ind = storm_v_get_str(steps->u.a.items[i], "indicator_id");
        if (ind) {
            storm_buf_puts(b, k++ ? "," : "");
            webapi_str(b, ind);
        }
    }
    storm_buf_puts(b, "],\"path\":");
    if (storm_session_path_json(s->models, row->json, row->json_len, b, &err) != STORM_OK)
        storm_buf_puts(b, "null");
    storm_buf_putc(b, '}');
    return 0;
}

void webapi_get_sessions(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_SIGHTINGS, false) || !webapi_need(c, STORM_COLLECTION_OBSERVATIONS, false))
        return;
    if (!has_sessions(c)) {
        webapi_get_sessions_by_pod(c);
        return;
    }
    stored_ctx s = {.c = c, .max = c->w->cfg.list_max * 10};
    s.tmp = storm_arena_new(16384, (size_t)64 << 20);
    storm_models *m = load_models(c);
    if (!s.tmp) {
        storm_models_free(m);
        webapi_error(c, 500, "out of memory");
        return;
    }
    s.models = m;
    webapi_json(c);
    s.b = &c->rs->body;
    storm_buf_puts(s.b, "{\"source\":\"sessions\",\"sessions\":[");
    storm_err err = {0};
    storm_rc rc = storm_store_sessions(c->rq->store, 0, NULL, put_summary, &s, &err);
    storm_arena_free(s.tmp);
    storm_models_free(m);
    if (rc) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_printf(s.b, "],\"truncated\":%s}", s.truncated ? "true" : "false");
}

typedef struct one_ctx {
    webapi_call *c;
    storm_buf *b;
    const storm_models *models;
    bool found;
    storm_arena *arena; /* the request's: sighting ids */
    const char **sighting_ids;
    size_t n_ids;
    storm_rc rc;
    storm_err err;
} one_ctx;

static int put_session(void *ctx, const storm_store_session_row *row)
{
    one_ctx *o = ctx;
    o->found = true;
    storm_value *v = NULL;
    if (storm_json_parse(o->arena, row->json, row->json_len, 0, &v, NULL, &o->err) || !v) {
        o->rc = STORM_ERR_SYNTAX;
        return 1;
    }
    storm_buf_puts(o->b, ",\"session\":");
    storm_buf_append(o->b, row->json, row->json_len);
    storm_buf_puts(o->b, ",\"path\":");
    if (storm_session_path_json(o->models, row->json, row->json_len, o->b, &o->err) != STORM_OK)
        storm_buf_puts(o->b, "null");
    const storm_value *steps = storm_v_get(v, "steps");
    size_t n = steps && steps->type == STORM_V_ARRAY ? steps->u.a.len : 0;
    o->sighting_ids = storm_arena_calloc(o->arena, n + 1, sizeof *o->sighting_ids);
    for (size_t i = 0; o->sighting_ids && i < n; i++) {
        const char *id = storm_v_get_str(steps->u.a.items[i], "sighting_id");
        if (id && strncmp(id, "sighting--", 10) == 0) /* an anomaly's id is its observed-data's */
            o->sighting_ids[o->n_ids++] = id;
    }
    return 1;
}

typedef struct rows_out {
    storm_buf *b;
    size_t n;
    storm_arena *arena;
    const char **ids; /* referenced ids collected for the next lookup */
    size_t n_ids, cap;
    webapi_idmap seen; /* ids already collected */
    const char *refs_key;
} rows_out;

/* Append the row; collect the ids its refs_key array names. */
static int put_row(void *ctx, const storm_store_row *row)
{
    rows_out *r = ctx;
    storm_buf_puts(r->b, r->n++ ? "," : "");
    storm_buf_append(r->b, row->json, row->json_len);
    storm_value *v = NULL;
    storm_err err = {0};
    if (!r->refs_key || storm_json_parse(r->arena, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    const storm_value *refs = storm_v_get(v, r->refs_key);
    for (size_t i = 0; refs && refs->type == STORM_V_ARRAY && i < refs->u.a.len && r->n_ids < r->cap; i++) {
        const storm_value *x = refs->u.a.items[i];
        if (x->type != STORM_V_STRING)
            continue;
        size_t dummy;
        if (!webapi_idmap_get(&r->seen, x->u.s.ptr, &dummy) && webapi_idmap_put(&r->seen, x->u.s.ptr, r->n_ids))
            r->ids[r->n_ids++] = x->u.s.ptr;
    }
    return 0;
}

void webapi_get_session(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_SIGHTINGS, false) || !webapi_need(c, STORM_COLLECTION_OBSERVATIONS, false))
        return;
    const char *key = webapi_param(c, "key");
    if (!key || !*key) {
        webapi_error(c, 400, "key= is required (a session key from GET /api/sessions)");
        return;
    }
    if (strncmp(key, "session--", 9) != 0) {
        webapi_get_session_by_pod(c);
        return;
    }
    storm_models *m = load_models(c);
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"source\":\"sessions\",\"key\":");
    webapi_str(b, key);
    one_ctx o = {.c = c, .b = b, .models = m, .arena = c->arena};
    storm_err err = {0};
    storm_rc rc = storm_store_sessions(c->rq->store, 0, key, put_session, &o, &err);
    storm_models_free(m);
    if (rc || o.rc) {
        webapi_error(c, 500, "store: %s", rc ? err.msg : o.err.msg);
        return;
    }
    if (!o.found) {
        webapi_error(c, 404, "no session '%.200s'", key);
        return;
    }
    /* the steps' sightings, the observed-data they name, and those SCOs */
    storm_buf_puts(b, ",\"sightings\":[");
    const char **obs = storm_arena_calloc(c->arena, SESSION_REFS_MAX, sizeof *obs);
    const char **scos = storm_arena_calloc(c->arena, SESSION_REFS_MAX, sizeof *scos);
    if (!obs || !scos) {
        webapi_error(c, 500, "out of memory");
        return;
    }
    rows_out rs = {.b = b, .arena = c->arena, .ids = obs, .cap = SESSION_REFS_MAX, .refs_key = "observed_data_refs"};
    webapi_idmap_init(&rs.seen, c->arena);
    if (webapi_lookup(c->rq->store, STORM_COLLECTION_SIGHTINGS, o.sighting_ids, o.n_ids, put_row, &rs, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_puts(b, "],\"objects\":[");
    rows_out ro = {.b = b, .arena = c->arena, .ids = scos, .cap = SESSION_REFS_MAX, .refs_key = "object_refs"};
    webapi_idmap_init(&ro.seen, c->arena);
    if (webapi_lookup(c->rq->store, STORM_COLLECTION_OBSERVATIONS, rs.ids, rs.n_ids, put_row, &ro, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    ro.refs_key = NULL;
    if (webapi_lookup(c->rq->store, STORM_COLLECTION_OBSERVATIONS, ro.ids, ro.n_ids, put_row, &ro, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_printf(b, "],\"truncated\":%s}", rs.n_ids == rs.cap || ro.n_ids == ro.cap ? "true" : "false");
}
