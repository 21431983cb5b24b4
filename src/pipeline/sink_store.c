/* SPDX-License-Identifier: Apache-2.0 */
/* The store sink: sightings, their evidence and the models go into the
 * store in batched transactions; each sighting version is merged with the
 * version already stored (another run over the same or overlapping input),
 * so that re-processing is idempotent. Also loads the models a store holds. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#include "pipeline_int.h"

/* ---- the store ---- */

bool pipeline_db_begin(storm_pipeline *p)
{
    if (!p->sinks.store)
        return false;
    if (!p->in_tx) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_store_begin(p->sinks.store, &err) != STORM_OK) {
            if (p->st.db_errors++ == 0)
                fprintf(stderr, "%s: --db: %s\n", p->opts.prog, err.msg);
            return false;
        }
        p->in_tx = true;
    }
    return true;
}

void pipeline_db_put(storm_pipeline *p, const char *collection, const storm_value *obj)
{
    if (!pipeline_db_begin(p))
        return;
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_put(p->sinks.store, collection, obj, NULL, &err) != STORM_OK && p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: cannot store %s: %s\n", p->opts.prog, storm_v_get_str(obj, "id"), err.msg);
}

void pipeline_db_commit(storm_pipeline *p)
{
    pipeline_sessions_write(p);
    if (!p->sinks.store || !p->in_tx)
        return;
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_commit(p->sinks.store, &err) != STORM_OK && p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: commit failed: %s\n", p->opts.prog, err.msg);
    p->in_tx = false;
    p->records_in_tx = 0;
}

/* The last stored version of a sighting, as JSON text (malloc'ed, caller
 * frees), or NULL. */
typedef struct stored_json {
    char *json;
    size_t len;
} stored_json;

static int take_json(void *ctx, const storm_store_row *row)
{
    stored_json *sj = ctx;
    free(sj->json);
    sj->json = row->json ? strndup(row->json, row->json_len) : NULL;
    sj->len = sj->json ? row->json_len : 0;
    return 0;
}

static bool time_prop(const storm_value *o, const char *key, storm_time_ns *t)
{
    const char *s = storm_v_get_str(o, key);
    return s && storm_time_parse(s, strlen(s), STORM_TIME_STIX_STRICT, t);
}

static bool has_str(const storm_value *arr, const storm_value *s)
{
    for (size_t i = 0; arr && arr->type == STORM_V_ARRAY && i < arr->u.a.len; i++)
        if (storm_v_equal(arr->u.a.items[i], s))
            return true;
    return false;
}

#define MERGED_REFS_CAP 32

/* A sighting version merged with the version already in the store (another
 * run over the same or overlapping input, in any order): first_seen the
 * earliest, last_seen the latest, count the larger (the same events counted
 * twice must not double it), observed_data_refs the union up to the cap,
 * created kept. Returns NULL when the store already says all this (nothing
 * to add: re-processing is idempotent), else the object to put (in a). */
const storm_value *pipeline_merge_stored_sighting(storm_pipeline *p, storm_arena *a, const storm_value *sg)
{
    const char *id = storm_v_get_str(sg, "id");
    if (!id)
        return sg;
    const char *ids[1] = {id};
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_SIGHTINGS;
    q.ids = ids;
    q.n_ids = 1;
    q.version_flags = STORM_STORE_VERSION_LAST;
    q.limit = 1;
    q.with_json = true;
    stored_json sj = {NULL, 0};
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_query_objects(p->sinks.store, &q, take_json, &sj, NULL, NULL, &err) != STORM_OK || !sj.json) {
        free(sj.json);
        return sg;
    }
    storm_value *old = NULL;
    storm_rc rc = storm_json_parse(a, sj.json, sj.len, STORM_JSON_DEFAULT, &old, NULL, &err);
    if (rc != STORM_OK || !old || old->type != STORM_V_OBJECT) {
        free(sj.json);
        return sg;
    }
    storm_time_ns of, ol, om, nf, nl, nm;
    if (!time_prop(old, "first_seen", &of) || !time_prop(old, "last_seen", &ol) || !time_prop(old, "modified", &om) ||
        !time_prop(sg, "first_seen", &nf) || !time_prop(sg, "last_seen", &nl) || !time_prop(sg, "modified", &nm)) {
        free(sj.json);
        return sg;
    }
    const storm_value *oc = storm_v_get(old, "count"), *nc = storm_v_get(sg, "count");
    int64_t ocount = oc && oc->type == STORM_V_INT ? oc->u.i : 0, ncount = nc && nc->type == STORM_V_INT ? nc->u.i : 0;
    const storm_value *orefs = storm_v_get(old, "observed_data_refs"), *nrefs = storm_v_get(sg, "observed_data_refs");
    storm_value *refs = storm_v_array(a);
    size_t n_old_refs = 0;
    for (size_t i = 0; refs && orefs && orefs->type == STORM_V_ARRAY && i < orefs->u.a.len; i++, n_old_refs++)
        storm_v_push(a, refs, orefs->u.a.items[i]);
    for (size_t i = 0; refs && nrefs && nrefs->type == STORM_V_ARRAY && i < nrefs->u.a.len; i++)
        if (refs->u.a.len < MERGED_REFS_CAP && !has_str(refs, nrefs->u.a.items[i]))
            storm_v_push(a, refs, nrefs->u.a.items[i]);
    storm_time_ns mf = nf < of ? nf : of, ml = nl > ol ? nl : ol;
    int64_t mcount = ncount > ocount ? ncount : ocount;
    bool changed = mf != of || ml != ol || mcount != ocount || (refs && refs->u.a.len != n_old_refs);
    if (!changed) {
        free(sj.json);
        return NULL;
    }
    storm_value *m = storm_v_copy(a, sg);
    if (!m || !refs) {
        free(sj.json);
        return sg;
    }
    char t[40];
    const char *created = storm_v_get_str(old, "created");
    if (created)
        storm_v_set_str(a, m, "created", created);
    storm_time_format_stix(mf, STORM_TIME_STIX_ANY, t);
    storm_v_set_str(a, m, "first_seen", t);
    storm_time_format_stix(ml, STORM_TIME_STIX_ANY, t);
    storm_v_set_str(a, m, "last_seen", t);
    storm_time_format_stix(nm > om ? nm : om + 1000000, STORM_TIME_STIX_MS,
                           t); /* a new version needs a later modified */
    storm_v_set_str(a, m, "modified", t);
    storm_v_set_int(a, m, "count", mcount);
    if (refs->u.a.len)
        storm_v_set(a, m, "observed_data_refs", refs);
    free(sj.json);
    return m;
}

/* ---- models pulled into the store ---- */

typedef struct db_models {
    storm_models *m;
    storm_buf json; /* a JSON array of the objects to load */
    size_t n;
} db_models;

static int collect_model_row(void *ctx, const storm_store_row *row)
{
    db_models *dm = ctx;
    if (!row->json || storm_models_has_id(dm->m, row->id))
        return 0; /* the files given win: an earlier run stored them too */
    if (storm_buf_putc(&dm->json, dm->n ? ',' : '[') != STORM_OK ||
        storm_buf_append(&dm->json, row->json, row->json_len) != STORM_OK)
        return 1;
    dm->n++;
    return 0;
}

/* Owns nothing it returns: the objects are loaded into m. */
storm_rc storm_pipeline_load_store_models(storm_models *m, storm_store *store, const char *name, size_t *n_found,
                                          storm_err *err)
{
    static const char *const types[] = {"indicator", "attack-pattern", "relationship", "intrusion-set"};
    *n_found = 0;
    db_models dm = {m, {0}, 0};
    storm_buf_init(&dm.json, (size_t)1 << 30);
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_INDICATORS;
    q.types = types;
    q.n_types = sizeof types / sizeof types[0];
    q.version_flags = STORM_STORE_VERSION_LAST;
    q.limit = STORM_STORE_QUERY_LIMIT_MAX;
    q.with_json = true;
    storm_rc rc = STORM_OK;
    for (bool more = true; more && rc == STORM_OK;) {
        int64_t next = 0;
        rc = storm_store_query_objects(store, &q, collect_model_row, &dm, &more, &next, err);
        q.after_key = next;
    }
    if (rc == STORM_ERR_NOTFOUND) { /* no indicators collection yet: no models, not an error */
        storm_err_clear(err);
        rc = STORM_OK;
    }
    if (rc == STORM_OK && dm.n) {
        char where[PATH_MAX + 32];
        snprintf(where, sizeof where, "%s#indicators", name);
        rc = storm_buf_putc(&dm.json, ']');
        if (rc == STORM_OK)
            rc = storm_models_load_text(m, where, dm.json.data, dm.json.len, err);
    }
    *n_found = dm.n;
    storm_buf_free(&dm.json);
    return rc;
}

/* Every observation built goes into the observations collection
 * (keep_observations), ids complete, so that storm hunt can match later
 * models against it; the identity and extension-definitions it references
 * once per pipeline. Re-processing puts the same ids again: a no-op. */
void pipeline_keep_observation(storm_pipeline *p, const storm_observation *obs)
{
    storm_stix_observation_finish(obs);
    if (obs->sdo)
        pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, obs->sdo);
    for (size_t i = 0; i < obs->n_objects; i++)
        pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, obs->objects[i].value);
    if (!p->ext_written) {
        p->ext_written = true;
        pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, storm_stix_identity(p->arena));
        for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
            pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS,
                            storm_stix_extension_definition(p->arena, (storm_stix_ext)e));
    }
}
