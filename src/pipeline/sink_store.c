/* SPDX-License-Identifier: Apache-2.0 */
/* The store sink: sightings, their evidence and the models go into the
 * store in batched transactions; each sighting version is merged with the
 * version already stored (another run over the same or overlapping input),
 * so that re-processing is idempotent. Also loads the models a store holds. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storm/json.h>

#include "pipeline_int.h"

/* ---- the store ---- */

const double storm_pipeline_commit_bounds[STORM_PIPELINE_COMMIT_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                            0.05,  0.1,    0.25,  1,    5};

void pipeline_db_put(storm_pipeline *p, const char *collection, const storm_value *obj)
{
    if (!p->sinks.store)
        return;
    if (!pipeline_pending_add(&p->pending, collection, obj) && p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: cannot keep %s for the store: out of memory or no id\n", p->opts.prog,
                storm_v_get_str(obj, "id") ? storm_v_get_str(obj, "id") : "an object");
}

/* Write one pending object. A sighting is merged with its stored version
 * (the larger count, the union of refs), this run's own versions too: a
 * checkpoint's interim version (storm run --kafka, --redis:
 * storm_detector_emit_pending) must not be overwritten by a later version
 * with a smaller count. */
static void put_pending(storm_pipeline *p, storm_arena *a, const pipeline_pending_item *it)
{
    const storm_value *obj = it->obj;
    bool found = false; /* a version of it was stored before */
    if (it->is_sighting) {
        /* a new store, and not written by this run: nothing stored to merge with */
        if (p->store_had_sightings || pipeline_hash_set_maybe_has(&p->written_sightings, it->id))
            obj = pipeline_merge_stored_sighting(p, a, obj, &found);
        if (!obj)
            return; /* the store already says all this */
    }
    storm_err err;
    storm_err_clear(&err);
    bool added = false;
    if (storm_store_put(p->sinks.store, it->collection, obj, &added, &err) != STORM_OK && p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: cannot store %s: %s\n", p->opts.prog, it->id, err.msg);
    if (it->is_sighting) {
        pipeline_hash_set_add(&p->written_sightings, it->id);
        p->st.sightings_stored += added;
        p->st.sightings_stored_new += added && !found;
    }
}

static int any_row(void *ctx, const storm_store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 0;
}

void pipeline_db_note_store(storm_pipeline *p)
{
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_SIGHTINGS;
    q.version_flags = STORM_STORE_VERSION_ALL;
    q.limit = 1;
    storm_err err;
    storm_err_clear(&err);
    bool any = false;
    storm_rc rc = storm_store_query_objects(p->sinks.store, &q, any_row, &any, NULL, NULL, &err);
    /* in doubt (an error), merge every time */
    p->store_had_sightings = rc != STORM_OK || any;
}

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

void pipeline_db_commit(storm_pipeline *p)
{
    p->records_in_tx = 0;
    if (!p->sinks.store ||
        (!p->pending.n && !p->position_dirty && !p->n_session_dirty && !p->n_session_gone && !p->in_tx))
        return;
    storm_err err;
    storm_err_clear(&err);
    if (!pipeline_db_begin(p)) /* kept pending: the next commit tries again */
        return;
    storm_arena *a = storm_arena_new(0, 0); /* merged sightings, one at a time */
    for (size_t i = 0; i < p->pending.n; i++) {
        put_pending(p, a ? a : p->arena, &p->pending.items[i]);
        if (a)
            storm_arena_reset(a);
    }
    storm_arena_free(a);
    pipeline_sessions_write(p); /* the sessions changed since the last commit, with their sightings */
    storm_err_clear(&err);
    if (p->position_dirty &&
        storm_store_pull_position_set(p->sinks.store, p->position_key, p->position, &err) != STORM_OK &&
        p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: cannot record the position %s: %s\n", p->opts.prog, p->position_key, err.msg);
    storm_err_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    storm_rc rc = storm_store_commit(p->sinks.store, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != STORM_OK) {
        if (p->st.db_errors++ < 10)
            fprintf(stderr, "%s: --db: commit failed: %s\n", p->opts.prog, err.msg);
        storm_store_rollback(p->sinks.store);
    } else {
        p->position_dirty = false;
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        p->st.commits++;
        p->st.commit_seconds += secs;
        for (size_t i = 0; i < STORM_PIPELINE_COMMIT_BUCKETS; i++)
            if (secs <= storm_pipeline_commit_bounds[i])
                p->st.commit_le[i]++;
    }
    p->in_tx = false;
    pipeline_pending_reset(&p->pending);
}

void storm_pipeline_set_position(storm_pipeline *p, const char *key, const char *value)
{
    snprintf(p->position_key, sizeof p->position_key, "%s", key);
    snprintf(p->position, sizeof p->position, "%s", value);
    p->position_dirty = true;
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

/* Two versions of one sighting merged (another run over the same or
 * overlapping input, in any order; or the same sighting closed and opened
 * again): first_seen the earliest, last_seen the latest, count the larger
 * (the same events counted twice must not double it) or the number of
 * distinct observations when both list all theirs, observed_data_refs
 * the union up to the cap, old's created kept. Returns NULL when old
 * already says all this (nothing to add: re-processing is idempotent), sg
 * when they cannot be compared, else the merged object (in a). */
const storm_value *pipeline_merge_sighting_versions(storm_arena *a, const storm_value *old, const storm_value *sg)
{
    storm_time_ns of, ol, om, nf, nl, nm;
    if (!time_prop(old, "first_seen", &of) || !time_prop(old, "last_seen", &ol) || !time_prop(old, "modified", &om) ||
        !time_prop(sg, "first_seen", &nf) || !time_prop(sg, "last_seen", &nl) || !time_prop(sg, "modified", &nm))
        return sg;
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
    /* When each version lists one observation per count (refs complete, under
     * the cap), the union counts the distinct events both saw: a consumer that
     * took over a killed one's partition from its last checkpoint holds only
     * the events after it (count 1 and 1 for 2 events), where the larger count
     * loses one. The same events seen twice still give their number once. */
    size_t n_new_refs = nrefs && nrefs->type == STORM_V_ARRAY ? nrefs->u.a.len : 0;
    bool complete =
        refs && (size_t)ocount == n_old_refs && (size_t)ncount == n_new_refs && refs->u.a.len < MERGED_REFS_CAP;
    if (complete && (int64_t)refs->u.a.len > mcount)
        mcount = (int64_t)refs->u.a.len;
    bool changed = mf != of || ml != ol || mcount != ocount || (refs && refs->u.a.len != n_old_refs);
    if (!changed)
        return NULL;
    storm_value *m = storm_v_copy(a, sg);
    if (!m || !refs)
        return sg;
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
    return m;
}

/* A sighting version merged with the version already in the store
 * (pipeline_merge_sighting_versions). */
const storm_value *pipeline_merge_stored_sighting(storm_pipeline *p, storm_arena *a, const storm_value *sg, bool *found)
{
    *found = false;
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
    *found = true;
    storm_value *old = NULL;
    storm_rc rc = storm_json_parse(a, sj.json, sj.len, STORM_JSON_DEFAULT, &old, NULL, &err);
    const storm_value *m =
        rc == STORM_OK && old && old->type == STORM_V_OBJECT ? pipeline_merge_sighting_versions(a, old, sg) : sg;
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
