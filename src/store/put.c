/* SPDX-License-Identifier: Apache-2.0 */
/* Storing STIX objects: one row per (collection, id, version). */
#include "store_int.h"

#include <string.h>
#include <storm/json.h>
#include <storm/time.h>

#define STORE_OBJECT_MAX (16u << 20) /* largest JSON text of one object */

typedef struct put_job {
    int64_t collection;
    const char *id, *type, *spec_version;
    int64_t version; /* ns; 0 = the object carries no version timestamp */
    const char *json;
    size_t json_len;
    bool added;
    int64_t stored_version; /* out: the version of the stored row */
} put_job;

static storm_rc row_exists(storm_store *s, store_stmt *st, put_job *j, bool *exists, storm_err *err)
{
    store_bind_int64(st, 1, j->collection);
    store_bind_text(st, 2, j->id);
    int r = store_step(st);
    if (r == STORE_STEP_ROW)
        j->stored_version = store_column_int64(st, 0);
    store_reset(st);
    if (r != STORE_STEP_ROW && r != STORE_STEP_DONE)
        return store_db_err(s, err, "look up object");
    *exists = r == STORE_STEP_ROW;
    return STORM_OK;
}

/* date_added strictly increasing per collection, even when the clock steps
 * back or two puts fall in the same microsecond: `added_after` and the page
 * cursor are then exact (no object shares a key with another). */
static storm_rc next_date_added(storm_store *s, int64_t collection, int64_t *out, storm_err *err)
{
    if (s->added_tx == s->tx_serial && s->added_collection == collection) {
        int64_t now = store_now_us();
        *out = now > s->added_last ? now : s->added_last + 1;
        s->added_last = *out;
        return STORM_OK;
    }
    storm_rc rc = store_prepare(s, &s->st_last_added, "SELECT max(date_added) FROM objects WHERE collection = ?", err);
    if (rc)
        return rc;
    store_bind_int64(s->st_last_added, 1, collection);
    int r = store_step(s->st_last_added);
    int64_t last = r == STORE_STEP_ROW ? store_column_int64(s->st_last_added, 0) : 0;
    store_reset(s->st_last_added);
    if (r != STORE_STEP_ROW)
        return store_db_err(s, err, "read last date_added");
    int64_t now = store_now_us();
    *out = now > last ? now : last + 1;
    s->added_tx = s->tx_serial;
    s->added_collection = collection;
    s->added_last = *out;
    return STORM_OK;
}

/* Whether this version is stored already, and the newest version stored
 * (*any: whether there is one): one query, one round trip to a server. */
static storm_rc versions_of(storm_store *s, put_job *j, bool *exists, bool *any, int64_t *max, storm_err *err)
{
    storm_rc rc = store_prepare(s, &s->st_exists_version,
                                "SELECT max(version), count(CASE WHEN version = ?3 THEN 1 END) FROM objects"
                                " WHERE collection = ?1 AND id = ?2",
                                err);
    if (rc)
        return rc;
    store_stmt *st = s->st_exists_version;
    store_bind_int64(st, 1, j->collection);
    store_bind_text(st, 2, j->id);
    store_bind_int64(st, 3, j->version);
    int r = store_step(st);
    *any = r == STORE_STEP_ROW && !store_column_null(st, 0);
    *max = *any ? store_column_int64(st, 0) : 0;
    *exists = r == STORE_STEP_ROW && store_column_int64(st, 1) > 0;
    store_reset(st);
    if (r != STORE_STEP_ROW)
        return store_db_err(s, err, "look up object");
    if (*exists)
        j->stored_version = j->version;
    return STORM_OK;
}

/* A new version is the latest when it is newer than every stored one; the
 * previous latest then loses the flag. */
static storm_rc take_latest(storm_store *s, put_job *j, bool any, int64_t max, bool *latest, storm_err *err)
{
    *latest = !any || j->version > max;
    if (!any || !*latest)
        return STORM_OK;
    storm_rc rc = store_prepare(s, &s->st_clear_latest,
                                "UPDATE objects SET latest = 0 WHERE collection = ? AND id = ? AND latest = 1", err);
    if (rc)
        return rc;
    store_bind_int64(s->st_clear_latest, 1, j->collection);
    store_bind_text(s->st_clear_latest, 2, j->id);
    int r = store_step(s->st_clear_latest);
    store_reset(s->st_clear_latest);
    return r == STORE_STEP_DONE ? STORM_OK : store_db_err(s, err, "update latest");
}

/* A put as one statement: look up, clear the previous latest,
 * insert. On a database server each statement is a round trip, and a
 * TAXII envelope or a storm run batch is many puts: this is one per object
 * rather than three. (SQLite, in process, runs the three statements.) */
static storm_rc put_one_statement(storm_store *s, put_job *j, storm_err *err)
{
    int64_t added = 0;
    storm_rc rc = next_date_added(s, j->collection, &added, err);
    if (rc)
        return rc;
    /* An SCO (no modified/created) is identified by its id alone: the first
     * one stored is the only version, and its version is its date_added. */
    if (!j->version)
        rc = store_prepare(s, &s->st_put_one_sco,
                           "WITH cur AS (SELECT min(version) AS first FROM objects WHERE collection = ?1 AND id = ?2),"
                           " added AS (INSERT INTO objects(collection, id, type, spec_version, version, date_added,"
                           "  json, latest) SELECT ?1, ?2::text, ?4::text, ?5::text, ?3, ?6::bigint, ?7::text, 1"
                           "  FROM cur WHERE first IS NULL RETURNING 1)"
                           " SELECT (SELECT count(*) FROM added), coalesce((SELECT first FROM cur), ?3)",
                           err);
    else
        rc = store_prepare(
            s, &s->st_put_one,
            "WITH cur AS (SELECT max(version) AS newest, count(CASE WHEN version = ?3 THEN 1 END) AS has"
            "  FROM objects WHERE collection = ?1 AND id = ?2),"
            " cleared AS (UPDATE objects SET latest = 0 WHERE collection = ?1 AND id = ?2 AND latest = 1"
            "  AND (SELECT has FROM cur) = 0 AND ?3 > (SELECT coalesce(newest, 0) FROM cur) RETURNING 1),"
            " added AS (INSERT INTO objects(collection, id, type, spec_version, version, date_added, json,"
            "  latest) SELECT ?1, ?2::text, ?4::text, ?5::text, ?3, ?6::bigint, ?7::text,"
            "  CASE WHEN newest IS NULL OR ?3 > newest THEN 1 ELSE 0 END FROM cur WHERE has = 0 RETURNING 1)"
            " SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM cleared)",
            err);
    if (rc)
        return rc;
    store_stmt *st = j->version ? s->st_put_one : s->st_put_one_sco;
    store_bind_int64(st, 1, j->collection);
    store_bind_text(st, 2, j->id);
    store_bind_int64(st, 3, j->version ? j->version : added * 1000);
    store_bind_text(st, 4, j->type);
    store_bind_text(st, 5, j->spec_version);
    store_bind_int64(st, 6, added);
    store_bind_textn(st, 7, j->json, j->json_len);
    int r = store_step(st);
    j->added = r == STORE_STEP_ROW && store_column_int64(st, 0) > 0;
    j->stored_version = j->version ? j->version : r == STORE_STEP_ROW ? store_column_int64(st, 1) : 0;
    store_reset(st);
    if (r != STORE_STEP_ROW)
        return store_db_err(s, err, "insert object");
    return STORM_OK;
}

static storm_rc put_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    put_job *j = ctx;
    storm_rc rc;
    if (s->be->writable_ctes)
        return put_one_statement(s, j, err);
    bool exists = false, any = false;
    int64_t max = 0;
    if (j->version) {
        if ((rc = versions_of(s, j, &exists, &any, &max, err)))
            return rc;
    } else {
        /* No modified/created: an SCO, identified by its (deterministic)
         * id alone; the first one stored is the only version. */
        rc = store_prepare(s, &s->st_exists_id,
                           "SELECT version FROM objects WHERE collection = ? AND id = ? ORDER BY version LIMIT 1", err);
        if (rc || (rc = row_exists(s, s->st_exists_id, j, &exists, err)))
            return rc;
    }
    if (exists)
        return STORM_OK;
    bool latest = true;
    if (j->version && (rc = take_latest(s, j, any, max, &latest, err)))
        return rc;
    int64_t added = 0;
    if ((rc = next_date_added(s, j->collection, &added, err)))
        return rc;
    rc = store_prepare(s, &s->st_insert,
                       "INSERT INTO objects(collection, id, type, spec_version, version, date_added, json, latest)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       err);
    if (rc)
        return rc;
    store_stmt *st = s->st_insert;
    store_bind_int64(st, 1, j->collection);
    store_bind_text(st, 2, j->id);
    store_bind_text(st, 3, j->type);
    store_bind_text(st, 4, j->spec_version);
    store_bind_int64(st, 5, j->version ? j->version : added * 1000);
    store_bind_int64(st, 6, added);
    store_bind_textn(st, 7, j->json, j->json_len);
    store_bind_int64(st, 8, latest);
    int r = store_step(st);
    store_reset(st);
    if (r != STORE_STEP_DONE)
        return store_db_err(s, err, "insert object");
    j->added = true;
    j->stored_version = j->version ? j->version : added * 1000;
    return STORM_OK;
}

static storm_rc version_of(const storm_value *obj, const char *key, int64_t *out, bool *present, storm_err *err)
{
    storm_value *v = storm_v_get(obj, key);
    *present = v != NULL;
    if (!v)
        return STORM_OK;
    if (v->type != STORM_V_STRING || !storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, out))
        return storm_err_set(err, STORM_ERR_VALUE, v->pos == STORM_POS_NONE ? 0 : v->pos,
                             "store: '%s' is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", key);
    if (*out == 0)
        *out = 1; /* 0 means "no version" here; 1 ns after the epoch is the same instant for STIX */
    return STORM_OK;
}

storm_rc storm_store_put(storm_store *s, const char *collection, const storm_value *obj, bool *added, storm_err *err)
{
    return storm_store_put_versioned(s, collection, obj, added, NULL, err);
}

storm_rc storm_store_put_versioned(storm_store *s, const char *collection, const storm_value *obj, bool *added,
                                   int64_t *version, storm_err *err)
{
    if (added)
        *added = false;
    if (version)
        *version = 0;
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    if (!obj || obj->type != STORM_V_OBJECT)
        return storm_err_set(err, STORM_ERR_VALUE, obj ? obj->pos : 0, "store: a STIX object must be a JSON object");
    put_job j = {0};
    j.type = storm_v_get_str(obj, "type");
    j.id = storm_v_get_str(obj, "id");
    if (!j.type || !*j.type)
        return storm_err_set(err, STORM_ERR_VALUE, obj->pos, "store: object has no 'type' string");
    size_t tl = strlen(j.type);
    if (!j.id || strncmp(j.id, j.type, tl) != 0 || strncmp(j.id + tl, "--", 2) != 0 || !j.id[tl + 2])
        return storm_err_set(err, STORM_ERR_VALUE, obj->pos, "store: object 'id' must be '%s--<uuid>'", j.type);
    storm_value *sv = storm_v_get(obj, "spec_version");
    if (sv && sv->type != STORM_V_STRING)
        return storm_err_set(err, STORM_ERR_VALUE, sv->pos, "store: 'spec_version' must be a string");
    j.spec_version = sv ? sv->u.s.ptr : "2.1"; /* SCOs may leave it out: 2.1 is implied */
    bool present, has_created;
    int64_t created = 0;
    /* Both are checked (a bad created must not hide behind a good modified). */
    storm_rc rc = version_of(obj, "created", &created, &has_created, err);
    if (!rc)
        rc = version_of(obj, "modified", &j.version, &present, err);
    if (rc)
        return rc;
    if (!present)
        j.version = created;
    else if (has_created && j.version < created)
        return storm_err_set(err, STORM_ERR_VALUE, obj->pos, "store: object %s has 'modified' before 'created'", j.id);
    if ((rc = store_collection_resolve(s, collection, &j.collection, err)))
        return rc;
    storm_buf text;
    storm_buf_init(&text, STORE_OBJECT_MAX);
    rc = storm_json_write(&text, obj, STORM_JSONW_COMPACT);
    if (rc) {
        storm_buf_free(&text);
        return storm_err_set(err, rc, obj->pos, "store: object %s is larger than %u bytes", j.id, STORE_OBJECT_MAX);
    }
    j.json = text.data;
    j.json_len = text.len;
    rc = store_in_transaction(s, put_in_tx, &j, err);
    storm_buf_free(&text);
    if (!rc && added)
        *added = j.added;
    if (!rc && version)
        *version = j.stored_version;
    return rc;
}

storm_rc storm_store_put_json(storm_store *s, const char *collection, const char *json, size_t len, bool *added,
                              storm_err *err)
{
    storm_arena *a = storm_arena_new(0, (size_t)64 << 20);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    storm_value *v = NULL;
    storm_rc rc = storm_json_parse(a, json, len, STORM_JSON_DEFAULT, &v, NULL, err);
    if (!rc)
        rc = storm_store_put(s, collection, v, added, err);
    storm_arena_free(a);
    return rc;
}
