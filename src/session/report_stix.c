/* SPDX-License-Identifier: Apache-2.0 */
/* The report as STIX 2.1: one bundle holding a `report` per session and
 * every object those reports reference, read from the store: the
 * sightings, what they reference (observed-data, SCOs, indicators,
 * identities, markings, extension definitions, transitively) and the
 * attack-patterns of the steps. Ids are UUIDv5 of the session ids and the
 * times are the sessions' own, so the same store gives the same bundle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/json.h>
#include <storm/stix.h>
#include <storm/store.h>

#include "ctx_map.h"
#include "report_int.h"

#define REPORT_NAMESPACE "b3a6f0a4-3f2e-5c55-9d8e-6a1c0f7e2d41"
#define REPORT_OBJECTS_MAX 100000 /* objects followed per session */

typedef struct fetch_ctx {
    storm_arena *a;
    storm_value *obj;
    storm_err *err;
} fetch_ctx;

static int take_object(void *ctx, const storm_store_row *row)
{
    fetch_ctx *f = ctx;
    storm_value *v = NULL;
    if (row->json && storm_json_parse(f->a, row->json, row->json_len, 0, &v, NULL, f->err) == STORM_OK)
        f->obj = v;
    return 0;
}

/* The latest stored version of id in any collection, or NULL. */
static storm_value *fetch(storm_report *r, const char *id, storm_err *err)
{
    static const char *const collections[] = {STORM_COLLECTION_SIGHTINGS, STORM_COLLECTION_OBSERVATIONS,
                                              STORM_COLLECTION_INDICATORS};
    for (size_t c = 0; c < 3; c++) {
        const char *ids[1] = {id};
        storm_store_query q = {.collection = collections[c],
                               .ids = ids,
                               .n_ids = 1,
                               .version_flags = STORM_STORE_VERSION_LAST,
                               .limit = 1,
                               .with_json = true};
        fetch_ctx f = {r->arena, NULL, err};
        storm_err qerr;
        storm_err_clear(&qerr);
        if (storm_store_query_objects(r->store, &q, take_object, &f, NULL, NULL, &qerr) == STORM_OK && f.obj)
            return f.obj;
    }
    return NULL;
}

/* An id-shaped string: type--uuid. */
static bool is_id(const char *s)
{
    const char *d = s ? strstr(s, "--") : NULL;
    return d && d > s && strlen(d + 2) == 36;
}

typedef struct closure {
    storm_report *r;
    key_index seen;   /* ids queued */
    const char **ids; /* queued, in order */
    size_t n, alloc;
} closure;

static void want(closure *c, const char *id)
{
    if (!is_id(id) || key_index_get(&c->seen, id) || c->n >= REPORT_OBJECTS_MAX)
        return;
    if (!key_index_add(&c->seen, id, (struct sess *)c) || STORM_ARRAY_GROW(c->ids, c->n + 1, c->alloc, 64) != 0)
        return;
    c->ids[c->n++] = id;
}

/* Every reference an object makes: *_ref, *_refs, and extension-definition keys. */
static void refs_of(closure *c, const storm_value *v)
{
    if (!v)
        return;
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            refs_of(c, v->u.a.items[i]);
        return;
    }
    if (v->type != STORM_V_OBJECT)
        return;
    for (size_t i = 0; i < v->u.o.len; i++) {
        const storm_member *m = &v->u.o.members[i];
        size_t kl = m->key_len;
        bool ref =
            (kl > 4 && strcmp(m->key + kl - 4, "_ref") == 0) || (kl > 5 && strcmp(m->key + kl - 5, "_refs") == 0);
        if (strncmp(m->key, "extension-definition--", 22) == 0)
            want(c, m->key);
        if (ref && m->value->type == STORM_V_STRING)
            want(c, m->value->u.s.ptr);
        else if (ref && m->value->type == STORM_V_ARRAY) {
            for (size_t k = 0; k < m->value->u.a.len; k++)
                if (m->value->u.a.items[k]->type == STORM_V_STRING)
                    want(c, m->value->u.a.items[k]->u.s.ptr);
        } else if (m->value->type == STORM_V_OBJECT || m->value->type == STORM_V_ARRAY)
            refs_of(c, m->value);
    }
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int obj_cmp(const void *a, const void *b)
{
    const char *x = storm_v_get_str(*(const storm_value *const *)a, "id");
    const char *y = storm_v_get_str(*(const storm_value *const *)b, "id");
    return strcmp(x ? x : "", y ? y : "");
}

typedef struct bundle_objs {
    key_index have; /* ids already in the bundle */
    storm_value *objects;
} bundle_objs;

static void time_str(storm_arena *a, storm_value *o, const char *key, storm_time_ns t)
{
    char s[64];
    storm_time_format_stix(t, 3, s);
    storm_v_set_str(a, o, key, s);
}

storm_rc report_write_stix(storm_report *r, storm_buf *out, storm_err *err)
{
    if (!r->store)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "a STIX report needs the store");
    storm_arena *a = r->arena;
    storm_value *identity = storm_stix_identity(a);
    storm_value *reports = storm_v_array(a);
    bundle_objs b;
    b.objects = storm_v_array(a);
    if (!identity || !reports || !b.objects || !key_index_init(&b.have))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    const char *identity_id = storm_v_get_str(identity, "id");
    storm_buf names;
    storm_buf_init(&names, (size_t)1 << 24);
    r->n_reports = r->n_objects = 0;
    storm_v_push(a, b.objects, identity);
    key_index_add(&b.have, identity_id, (struct sess *)&b);
    for (size_t i = 0; i < r->n; i++) {
        rsession *s = &r->s[i];
        closure c = {r, {0}, NULL, 0, 0};
        if (!key_index_init(&c.seen))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        for (size_t k = 0; k < s->steps->u.a.len; k++) {
            const storm_value *st = s->steps->u.a.items[k];
            want(&c, rs_str(st, "sighting_id"));
            want(&c, rs_str(st, "step_id"));
            want(&c, rs_str(st, "indicator_id"));
        }
        want(&c, identity_id);
        storm_value *refs = storm_v_array(a);
        const char **found = calloc(c.n + 1, sizeof *found);
        size_t n_found = 0;
        for (size_t k = 0; k < c.n; k++) { /* c.n grows as references are followed */
            const char *id = c.ids[k];
            storm_value *obj = strcmp(id, identity_id) == 0 ? identity : fetch(r, id, err);
            if (!obj)
                continue;
            refs_of(&c, obj);
            const char **grown = realloc(found, (c.n + 1) * sizeof *found);
            if (!grown)
                break;
            found = grown;
            found[n_found++] = id;
            if (!key_index_get(&b.have, id)) {
                key_index_add(&b.have, id, (struct sess *)&b);
                storm_v_push(a, b.objects, obj);
            }
        }
        qsort(found, n_found, sizeof *found, id_cmp);
        for (size_t k = 0; k < n_found; k++)
            storm_v_push(a, refs, storm_v_str(a, found[k]));
        free(found);
        free(c.ids);
        key_index_free(&c.seen);
        if (!refs || refs->u.a.len == 0)
            continue; /* nothing of it is stored: no report */

        storm_value *rep = storm_v_object(a);
        char uuid[37], rid[64];
        storm_stix_uuid5(REPORT_NAMESPACE, s->id, strlen(s->id), uuid);
        snprintf(rid, sizeof rid, "report--%s", uuid);
        storm_v_set_str(a, rep, "type", "report");
        storm_v_set_str(a, rep, "spec_version", "2.1");
        storm_v_set_str(a, rep, "id", rid);
        storm_v_set_str(a, rep, "created_by_ref", identity_id);
        time_str(a, rep, "created", s->first_seen);
        time_str(a, rep, "modified", s->last_seen);
        const path_node *entry = s->path.n_reached ? &s->path.reached[0] : NULL;
        const storm_value *first = s->steps->u.a.len ? s->steps->u.a.items[0] : NULL;
        char place[512] = "cluster";
        if (first)
            rs_place(first, place, sizeof place);
        storm_buf_reset(&names);
        storm_buf_printf(&names, "Attack session: %s in %s", entry && entry->name ? entry->name : "activity", place);
        if (names.data)
            storm_v_set(a, rep, "name", storm_v_strn(a, names.data, names.len));
        storm_buf_reset(&names);
        storm_buf_printf(&names, "Storm session %s. Attack path:\n", s->id);
        report_path_lines(r, s, &names, "");
        if (names.data)
            storm_v_set(a, rep, "description", storm_v_strn(a, names.data, names.len));
        storm_value *types = storm_v_array(a);
        storm_v_push(a, types, storm_v_str(a, "attack-pattern"));
        if (s->path.n_reached > 1) /* one actor's chain of steps */
            storm_v_push(a, types, storm_v_str(a, "threat-actor"));
        storm_v_set(a, rep, "report_types", types);
        time_str(a, rep, "published", s->last_seen);
        storm_v_set(a, rep, "object_refs", refs);
        storm_v_push(a, reports, rep);
        r->n_reports++;
    }
    storm_buf_free(&names);
    /* the bundle: reports first, then the objects by id */
    size_t n_obj = b.objects->u.a.len;
    const storm_value **sorted = calloc(n_obj + 1, sizeof *sorted);
    if (!sorted) {
        key_index_free(&b.have);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < n_obj; i++)
        sorted[i] = b.objects->u.a.items[i];
    qsort(sorted, n_obj, sizeof *sorted, obj_cmp); /* stable output whatever the fetch order */
    storm_value *all = storm_v_array(a);
    storm_buf ids;
    storm_buf_init(&ids, (size_t)1 << 28);
    for (size_t i = 0; i < reports->u.a.len; i++) {
        storm_v_push(a, all, reports->u.a.items[i]);
        storm_buf_puts(&ids, storm_v_get_str(reports->u.a.items[i], "id"));
    }
    for (size_t i = 0; i < n_obj; i++)
        storm_v_push(a, all, (storm_value *)sorted[i]);
    free(sorted);
    key_index_free(&b.have);
    r->n_objects = all->u.a.len;
    char uuid[37], bid[64];
    storm_stix_uuid5(REPORT_NAMESPACE, ids.data ? ids.data : "", ids.len, uuid);
    storm_buf_free(&ids);
    snprintf(bid, sizeof bid, "bundle--%s", uuid);
    storm_value *bundle = storm_v_object(a);
    storm_v_set_str(a, bundle, "type", "bundle");
    storm_v_set_str(a, bundle, "id", bid);
    storm_v_set(a, bundle, "objects", all);
    storm_rc rc = storm_json_write(out, bundle, STORM_JSONW_PRETTY);
    if (rc == STORM_OK)
        storm_buf_putc(out, '\n');
    return rc;
}
