/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/sessions and GET /api/session?key=K.
 *
 * ADAPTER over sightings, the fallback when the store holds no attack
 * sessions (api_stored_sessions.c serves those):
 * a "session" here is every sighting whose evidence happened in one pod
 * (namespace/pod of the observed SCOs), else on one node, else in the
 * cluster (Kubernetes audit events). The answer says so ("source":
 * "sightings-by-pod"), so the browser can label it. */
#include "idmap.h"
#include "webapi_int.h"

#include <stdio.h>
#include <string.h>
#include <storm/json.h>

#define PLACE_KEY_MAX 300
#define SESSION_INDICATORS_MAX 256

typedef struct place {
    char key[PLACE_KEY_MAX];
    const char *ns, *pod, *node; /* arena strings, NULL when unknown */
    /* aggregation for the list */
    size_t sightings;
    const char *first_seen, *last_seen;
    const char *indicators[SESSION_INDICATORS_MAX];
    size_t n_indicators;
} place;

typedef struct k8s_fields_ref {
    const char *ns, *pod, *node;
} k8s_fields_ref;

typedef struct scan {
    webapi_call *c;
    storm_arena *arena;     /* request arena: places, keys */
    storm_arena *tmp;       /* one lookup's parse trees */
    webapi_idmap obs_place; /* observed-data id -> place index */
    /* The observations collection indexed in one pass (index_observations):
     * observed-data id -> its SCO ids, SCO id -> its k8s fields. */
    bool indexed;
    webapi_idmap obs_refs, sco_k8s;
    const char ***refs; /* per observed-data: NULL-terminated SCO ids */
    k8s_fields_ref *k8s;
    size_t n_refs, alloc_refs, n_k8s, alloc_k8s;
    webapi_idmap key_place; /* place key -> place index */
    place **places;
    size_t n_places, alloc_places;
    const char *want; /* session page: only this key */
    /* session page output */
    storm_buf *out;
    size_t n_out;
    webapi_idmap obs_seen;
    const char **obs_ids;
    size_t n_obs, alloc_obs;
    bool truncated;
} scan;

typedef struct k8s_fields {
    const char *ns, *pod, *node;
} k8s_fields;

static int find_k8s(void *ctx, const storm_store_row *row)
{
    scan *s = ((void **)ctx)[0];
    k8s_fields *f = ((void **)ctx)[1];
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(s->tmp, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    const char *pod = storm_v_get_str(v, "x_k8s_pod");
    const char *ns = storm_v_get_str(v, "x_k8s_namespace");
    const char *node = storm_v_get_str(v, "x_k8s_node");
    if (!ns)
        ns = storm_v_get_str(v, "x_audit_namespace");
    if (pod && !f->pod) {
        f->pod = pod;
        f->ns = ns;
    }
    if (ns && !f->ns)
        f->ns = ns;
    if (node && !f->node)
        f->node = node;
    return 0;
}

typedef struct obs_refs {
    scan *s;
    const char *ids[STORM_STORE_QUERY_LIST_MAX];
    size_t n;
} obs_refs;

static int take_refs(void *ctx, const storm_store_row *row)
{
    obs_refs *r = ctx;
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(r->s->tmp, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    const storm_value *refs = storm_v_get(v, "object_refs");
    if (refs && refs->type == STORM_V_ARRAY)
        for (size_t i = 0; i < refs->u.a.len && r->n < STORM_STORE_QUERY_LIST_MAX; i++)
            if (refs->u.a.items[i]->type == STORM_V_STRING)
                r->ids[r->n++] = refs->u.a.items[i]->u.s.ptr;
    return 0;
}

static const char *arena_dup(storm_arena *a, const char *v)
{
    return v ? storm_arena_strdup(a, v) : NULL;
}

/* Grow an arena array of elem-sized items to hold one more. */
static bool grow_array(storm_arena *a, void **items, size_t n, size_t *alloc, size_t elem)
{
    if (n < *alloc)
        return true;
    size_t na = *alloc ? *alloc * 2 : 1024;
    void *p = storm_arena_alloc(a, na * elem);
    if (!p)
        return false;
    if (n)
        memcpy(p, *items, n * elem);
    *items = p;
    *alloc = na;
    return true;
}

static int index_row(void *ctx, const storm_store_row *row)
{
    scan *s = ctx;
    bool is_obs = strcmp(row->type, "observed-data") == 0;
    if (!is_obs && !strstr(row->json, "\"x_k8s_") && !strstr(row->json, "\"x_audit_namespace\""))
        return 0; /* nothing to learn: skip the parse */
    storm_arena_reset(s->tmp);
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(s->tmp, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    if (is_obs) {
        const storm_value *refs = storm_v_get(v, "object_refs");
        size_t n = refs && refs->type == STORM_V_ARRAY ? refs->u.a.len : 0;
        const char **ids = storm_arena_calloc(s->arena, n + 1, sizeof *ids);
        if (!ids || !grow_array(s->arena, (void **)&s->refs, s->n_refs, &s->alloc_refs, sizeof *s->refs))
            return 1;
        for (size_t i = 0, k = 0; i < n; i++)
            if (refs->u.a.items[i]->type == STORM_V_STRING)
                ids[k++] = storm_arena_strdup(s->arena, refs->u.a.items[i]->u.s.ptr);
        s->refs[s->n_refs] = ids;
        return webapi_idmap_put(&s->obs_refs, row->id, s->n_refs++) ? 0 : 1;
    }
    const char *ns = storm_v_get_str(v, "x_k8s_namespace");
    k8s_fields_ref f = {.ns = arena_dup(s->arena, ns ? ns : storm_v_get_str(v, "x_audit_namespace")),
                        .pod = arena_dup(s->arena, storm_v_get_str(v, "x_k8s_pod")),
                        .node = arena_dup(s->arena, storm_v_get_str(v, "x_k8s_node"))};
    if (!grow_array(s->arena, (void **)&s->k8s, s->n_k8s, &s->alloc_k8s, sizeof *s->k8s))
        return 1;
    s->k8s[s->n_k8s] = f;
    return webapi_idmap_put(&s->sco_k8s, row->id, s->n_k8s++) ? 0 : 1;
}

/* One pass over the observations (up to a cap) instead of two lookups per
 * sighting; what the cap leaves out is looked up one by one. */
static void index_observations(scan *s)
{
    storm_err err = {0};
    webapi_idmap_init(&s->obs_refs, s->arena);
    webapi_idmap_init(&s->sco_k8s, s->arena);
    s->indexed = webapi_walk(s->c->rq->store, STORM_COLLECTION_OBSERVATIONS, NULL, 0, WEBAPI_SESSION_INDEX_MAX,
                             index_row, s, NULL, &err) == STORM_OK;
}

/* The k8s fields of an observed-data's SCOs from the index; false when the
 * observed-data is not in it. */
static bool k8s_from_index(scan *s, const char *obs_id, k8s_fields *f)
{
    size_t i;
    if (!s->indexed || !webapi_idmap_get(&s->obs_refs, obs_id, &i))
        return false;
    for (const char **id = s->refs[i]; *id; id++) {
        size_t k;
        if (!webapi_idmap_get(&s->sco_k8s, *id, &k))
            continue;
        const k8s_fields_ref *r = &s->k8s[k];
        if (r->pod && !f->pod) {
            f->pod = r->pod;
            f->ns = r->ns;
        }
        if (r->ns && !f->ns)
            f->ns = r->ns;
        if (r->node && !f->node)
            f->node = r->node;
    }
    return true;
}

/* The place (index) of an observed-data: its SCOs' pod, else node. */
static bool place_of(scan *s, const char *obs_id, size_t *out)
{
    if (webapi_idmap_get(&s->obs_place, obs_id, out))
        return true;
    storm_arena_reset(s->tmp);
    storm_err err = {0};
    obs_refs r = {.s = s};
    const char *one[1] = {obs_id};
    k8s_fields f = {0};
    if (!k8s_from_index(s, obs_id, &f) &&
        webapi_lookup(s->c->rq->store, STORM_COLLECTION_OBSERVATIONS, one, 1, take_refs, &r, &err) == STORM_OK && r.n) {
        void *pair[2] = {s, &f};
        webapi_lookup(s->c->rq->store, STORM_COLLECTION_OBSERVATIONS, r.ids, r.n, find_k8s, pair, &err);
    }
    char key[PLACE_KEY_MAX];
    if (f.pod)
        snprintf(key, sizeof key, "pod %s/%s", f.ns ? f.ns : "-", f.pod);
    else if (f.node)
        snprintf(key, sizeof key, "node %s", f.node);
    else if (f.ns)
        snprintf(key, sizeof key, "namespace %s", f.ns);
    else
        snprintf(key, sizeof key, "cluster");
    size_t idx;
    if (!webapi_idmap_get(&s->key_place, key, &idx)) {
        if (s->n_places == s->alloc_places) {
            size_t alloc = s->alloc_places ? s->alloc_places * 2 : 32;
            place **p = storm_arena_alloc(s->arena, alloc * sizeof *p);
            if (!p)
                return false;
            if (s->n_places)
                memcpy(p, s->places, s->n_places * sizeof *p);
            s->places = p;
            s->alloc_places = alloc;
        }
        place *p = storm_arena_calloc(s->arena, 1, sizeof *p);
        if (!p)
            return false;
        snprintf(p->key, sizeof p->key, "%s", key);
        p->ns = f.ns ? storm_arena_strdup(s->arena, f.ns) : NULL;
        p->pod = f.pod ? storm_arena_strdup(s->arena, f.pod) : NULL;
        p->node = f.node ? storm_arena_strdup(s->arena, f.node) : NULL;
        idx = s->n_places++;
        s->places[idx] = p;
        if (!webapi_idmap_put(&s->key_place, key, idx))
            return false;
    }
    *out = idx;
    return webapi_idmap_put(&s->obs_place, obs_id, idx);
}

static void note_obs(scan *s, const char *id)
{
    size_t dummy;
    if (webapi_idmap_get(&s->obs_seen, id, &dummy))
        return;
    if (s->n_obs == s->alloc_obs) {
        size_t alloc = s->alloc_obs ? s->alloc_obs * 2 : 64;
        const char **ids = storm_arena_alloc(s->arena, alloc * sizeof *ids);
        if (!ids)
            return;
        if (s->n_obs)
            memcpy(ids, s->obs_ids, s->n_obs * sizeof *ids);
        s->obs_ids = ids;
        s->alloc_obs = alloc;
    }
    const char *copy = storm_arena_strdup(s->arena, id);
    if (copy && webapi_idmap_put(&s->obs_seen, id, s->n_obs))
        s->obs_ids[s->n_obs++] = copy;
}

static int scan_sighting(void *ctx, const storm_value *sg, const storm_store_row *row)
{
    scan *s = ctx;
    const storm_value *refs = storm_v_get(sg, "observed_data_refs");
    const char *obs = refs && refs->type == STORM_V_ARRAY && refs->u.a.len && refs->u.a.items[0]->type == STORM_V_STRING
                          ? refs->u.a.items[0]->u.s.ptr
                          : NULL;
    size_t idx = 0;
    if (!obs || !place_of(s, obs, &idx))
        return 0;
    place *p = s->places[idx];
    if (s->want) {
        if (strcmp(p->key, s->want) != 0)
            return 0;
        if (s->n_out >= WEBAPI_SESSION_SIGHTINGS_MAX) {
            s->truncated = true;
            return 1;
        }
        storm_buf_puts(s->out, s->n_out++ ? "," : "");
        storm_buf_append(s->out, row->json, row->json_len);
        for (size_t i = 0; i < refs->u.a.len; i++)
            if (refs->u.a.items[i]->type == STORM_V_STRING)
                note_obs(s, refs->u.a.items[i]->u.s.ptr);
        return 0;
    }
    p->sightings++;
    const char *first = storm_v_get_str(sg, "first_seen"), *last = storm_v_get_str(sg, "last_seen");
    if (first && (!p->first_seen || strcmp(first, p->first_seen) < 0))
        p->first_seen = storm_arena_strdup(s->arena, first);
    if (last && (!p->last_seen || strcmp(last, p->last_seen) > 0))
        p->last_seen = storm_arena_strdup(s->arena, last);
    const char *of = storm_v_get_str(sg, "sighting_of_ref");
    if (of) {
        bool have = false;
        for (size_t i = 0; i < p->n_indicators && !have; i++)
            have = strcmp(p->indicators[i], of) == 0;
        if (!have && p->n_indicators < SESSION_INDICATORS_MAX)
            p->indicators[p->n_indicators++] = storm_arena_strdup(s->arena, of);
    }
    return 0;
}

static bool scan_init(scan *s, webapi_call *c)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->arena = c->arena;
    s->tmp = storm_arena_new(16384, (size_t)64 << 20);
    webapi_idmap_init(&s->obs_place, c->arena);
    webapi_idmap_init(&s->key_place, c->arena);
    webapi_idmap_init(&s->obs_seen, c->arena);
    if (!s->tmp)
        return webapi_error(c, 500, "out of memory");
    index_observations(s);
    return true;
}

static bool need_rights(webapi_call *c)
{
    return webapi_need(c, STORM_COLLECTION_SIGHTINGS, false) && webapi_need(c, STORM_COLLECTION_OBSERVATIONS, false);
}

static void put_opt(storm_buf *b, const char *name, const char *v)
{
    storm_buf_printf(b, ",\"%s\":", name);
    if (v)
        webapi_str(b, v);
    else
        storm_buf_puts(b, "null");
}

void webapi_get_sessions_by_pod(webapi_call *c)
{
    if (!need_rights(c))
        return;
    scan s;
    if (!scan_init(&s, c))
        return;
    storm_err err = {0};
    bool truncated = false;
    storm_rc rc = webapi_each_sighting(c->rq->store, c->w->cfg.list_max * 10, scan_sighting, &s, &truncated, &err);
    storm_arena_free(s.tmp);
    if (rc) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"source\":\"sightings-by-pod\",\"sessions\":[");
    for (size_t i = 0; i < s.n_places; i++) {
        const place *p = s.places[i];
        storm_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
        webapi_str(b, p->key);
        put_opt(b, "namespace", p->ns);
        put_opt(b, "pod", p->pod);
        put_opt(b, "node", p->node);
        put_opt(b, "first_seen", p->first_seen);
        put_opt(b, "last_seen", p->last_seen);
        storm_buf_printf(b, ",\"sightings\":%zu,\"indicators\":[", p->sightings);
        for (size_t k = 0; k < p->n_indicators; k++) {
            storm_buf_puts(b, k ? "," : "");
            webapi_str(b, p->indicators[k]);
        }
        storm_buf_puts(b, "]}");
    }
    storm_buf_printf(b, "],\"truncated\":%s}", truncated ? "true" : "false");
}

typedef struct obj_out {
    storm_buf *b;
    size_t n;
    scan *s;
    const char **more; /* SCO ids referenced by the observed-data */
    size_t n_more, alloc_more;
} obj_out;

static int put_obs(void *ctx, const storm_store_row *row)
{
    obj_out *o = ctx;
    storm_buf_puts(o->b, o->n++ ? "," : "");
    storm_buf_append(o->b, row->json, row->json_len);
    if (strcmp(row->type, "observed-data") != 0)
        return 0;
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(o->s->arena, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    const storm_value *refs = storm_v_get(v, "object_refs");
    for (size_t i = 0; refs && refs->type == STORM_V_ARRAY && i < refs->u.a.len; i++) {
        size_t dummy;
        const storm_value *r = refs->u.a.items[i];
        if (r->type != STORM_V_STRING || webapi_idmap_get(&o->s->obs_seen, r->u.s.ptr, &dummy))
            continue;
        if (o->n_more == o->alloc_more) {
            size_t alloc = o->alloc_more ? o->alloc_more * 2 : 256;
            const char **m = storm_arena_alloc(o->s->arena, alloc * sizeof *m);
            if (!m)
                return 1;
            if (o->n_more)
                memcpy(m, o->more, o->n_more * sizeof *m);
            o->more = m;
            o->alloc_more = alloc;
        }
        webapi_idmap_put(&o->s->obs_seen, r->u.s.ptr, 0);
        o->more[o->n_more++] = r->u.s.ptr;
    }
    return 0;
}

void webapi_get_session_by_pod(webapi_call *c)
{
    if (!need_rights(c))
        return;
    const char *key = webapi_param(c, "key");
    if (!key || !*key) {
        webapi_error(c, 400, "key= is required (a session key from GET /api/sessions)");
        return;
    }
    scan s;
    if (!scan_init(&s, c))
        return;
    s.want = key;
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    s.out = b;
    storm_buf_puts(b, "{\"source\":\"sightings-by-pod\",\"key\":");
    webapi_str(b, key);
    storm_buf_puts(b, ",\"sightings\":[");
    storm_err err = {0};
    storm_rc rc = webapi_each_sighting(c->rq->store, c->w->cfg.list_max * 10, scan_sighting, &s, NULL, &err);
    storm_arena_free(s.tmp);
    if (rc) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    if (!s.n_out) {
        webapi_error(c, 404, "no session '%.200s'", key);
        return;
    }
    storm_buf_puts(b, "],\"objects\":[");
    obj_out o = {.b = b, .s = &s};
    if (webapi_lookup(c->rq->store, STORM_COLLECTION_OBSERVATIONS, s.obs_ids, s.n_obs, put_obs, &o, &err) ||
        webapi_lookup(c->rq->store, STORM_COLLECTION_OBSERVATIONS, o.more, o.n_more, put_obs, &o, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_printf(b, "],\"truncated\":%s}", s.truncated ? "true" : "false");
}
