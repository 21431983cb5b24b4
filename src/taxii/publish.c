/* SPDX-License-Identifier: Apache-2.0 */
/* What storm publish sends: the sightings of the store and everything they
 * reference, and, when only part of it is new, the objects that redaction
 * needs beside the new ones (their references). Linear in the objects:
 * ids are looked up in a hash set, never by scanning the list. */
#include <storm/store.h>
#include <storm/taxii_client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#include "id_set.h"

#define COLLECT_MAX_OBJECTS 1000000
#define IDS_PER_QUERY 64

typedef struct collect_ctx {
    storm_arena *a;
    storm_value *objects;
    taxii_id_set *have;
    storm_err *err;
    storm_rc rc;
} collect_ctx;

static int on_row(void *ud, const storm_store_row *row)
{
    collect_ctx *c = ud;
    storm_value *v = NULL;
    if (c->objects->u.a.len >= COLLECT_MAX_OBJECTS) {
        c->rc = storm_err_set(c->err, STORM_ERR_LIMIT, 0, "more than %d objects to publish", COLLECT_MAX_OBJECTS);
        return 1;
    }
    if (storm_json_parse(c->a, row->json, row->json_len, 0, &v, NULL, NULL) != STORM_OK) {
        c->rc = storm_err_set(c->err, STORM_ERR_VALUE, 0, "stored object %s is not valid JSON", row->id);
        return 1;
    }
    const char *id = storm_v_get_str(v, "id");
    int added = id ? taxii_id_set_add(c->have, id, c->objects->u.a.len) : 1;
    if (added < 0 || (added > 0 && storm_v_push(c->a, c->objects, v) != 0)) {
        c->rc = storm_err_set(c->err, STORM_ERR_NOMEM, 0, "out of memory collecting objects");
        return 1;
    }
    return 0; /* added == 0: stored in two collections, sent once */
}

/* Every string under a *_ref / *_refs key of v, each once (seen), that is
 * not in have, appended to want (grown with realloc). */
static int collect_refs(const storm_value *v, bool in_ref, int depth, const taxii_id_set *have, taxii_id_set *seen,
                        const char ***want, size_t *n, size_t *cap)
{
    if (!v || depth > 32)
        return 0;
    if (v->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            bool ref = (m->key_len > 4 && strcmp(m->key + m->key_len - 4, "_ref") == 0) ||
                       (m->key_len > 5 && strcmp(m->key + m->key_len - 5, "_refs") == 0);
            if (collect_refs(m->value, ref, depth + 1, have, seen, want, n, cap))
                return -1;
        }
    } else if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            if (collect_refs(v->u.a.items[i], in_ref, depth + 1, have, seen, want, n, cap))
                return -1;
    } else if (in_ref && v->type == STORM_V_STRING) {
        if (taxii_id_set_get(have, v->u.s.ptr, NULL))
            return 0;
        int r = taxii_id_set_add(seen, v->u.s.ptr, 0);
        if (r <= 0)
            return r;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            const char **w = realloc(*want, nc * sizeof *w);
            if (!w)
                return -1;
            *want = w;
            *cap = nc;
        }
        (*want)[(*n)++] = v->u.s.ptr;
    }
    return 0;
}

storm_rc storm_publish_collect(storm_store *s, storm_arena *a, storm_value *objects, storm_err *err)
{
    taxii_id_set have, asked;
    taxii_id_set_init(&have);
    taxii_id_set_init(&asked);
    const char **want = NULL;
    size_t n_want = 0, want_cap = 0;
    collect_ctx c = {a, objects, &have, err, STORM_OK};
    for (size_t i = 0; i < objects->u.a.len; i++) {
        const char *id = storm_v_get_str(objects->u.a.items[i], "id");
        if (id && taxii_id_set_add(&have, id, i) < 0)
            c.rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory collecting objects");
    }
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_SIGHTINGS;
    q.limit = 1000;
    q.with_json = true;
    q.version_flags = STORM_STORE_VERSION_LAST;
    bool more = !c.rc;
    int64_t next = 0;
    storm_rc rc = STORM_OK;
    while (more && !c.rc) {
        q.after_key = next;
        rc = storm_store_query_objects(s, &q, on_row, &c, &more, &next, err);
        if (rc == STORM_ERR_NOTFOUND) {
            rc = STORM_OK; /* no sightings collection: nothing found yet */
            break;
        }
        if (rc)
            goto out;
    }
    storm_store_collection cols[64];
    size_t n_cols = 0;
    if (!c.rc && (rc = storm_store_collections(s, cols, 64, &n_cols, err)))
        goto out;
    if (n_cols > 64)
        n_cols = 64;
    /* breadth-first over references: the objects added by one round are
     * scanned in the next; an id asked for once is not asked again */
    size_t done = 0;
    while (!c.rc && done < objects->u.a.len) {
        size_t upto = objects->u.a.len;
        n_want = 0;
        for (; done < upto; done++)
            if (collect_refs(objects->u.a.items[done], false, 0, &have, &asked, &want, &n_want, &want_cap)) {
                c.rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory collecting objects");
                break;
            }
        for (size_t chunk = 0; chunk < n_want && !c.rc; chunk += IDS_PER_QUERY) {
            size_t n_chunk = n_want - chunk < IDS_PER_QUERY ? n_want - chunk : IDS_PER_QUERY;
            for (size_t k = 0; k < n_cols && !c.rc; k++) {
                storm_store_query rq = {0};
                rq.collection = cols[k].id;
                rq.ids = want + chunk;
                rq.n_ids = n_chunk;
                rq.limit = IDS_PER_QUERY;
                rq.with_json = true;
                rq.version_flags = STORM_STORE_VERSION_LAST;
                rc = storm_store_query_objects(s, &rq, on_row, &c, NULL, NULL, err);
                if (rc && rc != STORM_ERR_NOTFOUND)
                    goto out;
                rc = STORM_OK;
            }
        }
    }
out:
    free(want);
    taxii_id_set_free(&have);
    taxii_id_set_free(&asked);
    return c.rc ? c.rc : rc;
}

const char *storm_publish_version_of(const storm_value *o)
{
    const char *v = storm_v_get_str(o, "modified");
    if (!v)
        v = storm_v_get_str(o, "created");
    return v ? v : "";
}

storm_rc storm_publish_select(storm_arena *a, storm_value *objects, const bool *is_new, size_t *n_new,
                              size_t *n_context, storm_err *err)
{
    size_t n = objects->u.a.len;
    storm_value **items = objects->u.a.items;
    taxii_id_set index, chosen;
    taxii_id_set_init(&index);
    taxii_id_set_init(&chosen);
    storm_value **out = storm_arena_alloc(a, (n ? n : 1) * sizeof *out);
    storm_rc rc = out ? STORM_OK : storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory selecting objects");
    size_t w = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *id = storm_v_get_str(items[i], "id");
        if (id && taxii_id_set_add(&index, id, i) < 0)
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory selecting objects");
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (is_new[i]) {
            const char *id = storm_v_get_str(items[i], "id");
            if (id && taxii_id_set_add(&chosen, id, w) < 0)
                rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory selecting objects");
            out[w++] = items[i];
        }
    size_t news = w;
    /* the context: what the new objects reference, transitively, so that
     * redaction sees the values and ids they name */
    taxii_id_set none;
    taxii_id_set_init(&none);
    const char **want = NULL;
    size_t n_want = 0, cap = 0;
    for (size_t done = 0; !rc && done < w; done++) {
        n_want = 0;
        if (collect_refs(out[done], false, 0, &none, &chosen, &want, &n_want, &cap)) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory selecting objects");
            break;
        }
        for (size_t k = 0; k < n_want; k++) {
            size_t at;
            if (taxii_id_set_get(&index, want[k], &at) && !is_new[at])
                out[w++] = items[at];
        }
    }
    free(want);
    taxii_id_set_free(&index);
    taxii_id_set_free(&chosen);
    if (rc)
        return rc;
    memcpy(items, out, w * sizeof *out);
    objects->u.a.len = w;
    *n_new = news;
    *n_context = w - news;
    return STORM_OK;
}
