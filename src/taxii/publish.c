/* SPDX-License-Identifier: Apache-2.0 */
/* What storm publish sends (sightings and their evidence from the store) and
 * what it remembers (a publish log and pull resume points, in the store's
 * SQLite file so that they share its transactions and backups). */
#include <storm/store.h>
#include <storm/taxii_client.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#define COLLECT_MAX_OBJECTS 1000000
#define IDS_PER_QUERY 64
#define WANT_MAX 65536 /* references followed per round */

typedef struct collect_ctx {
    storm_arena *a;
    storm_value *objects;
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
    if (storm_json_parse(c->a, row->json, row->json_len, 0, &v, NULL, NULL) != STORM_OK ||
        storm_v_push(c->a, c->objects, v) != 0) {
        c->rc = storm_err_set(c->err, STORM_ERR_VALUE, 0, "stored object %s is not valid JSON", row->id);
        return 1;
    }
    return 0;
}

static bool has_id(const storm_value *objects, const char *id)
{
    for (size_t i = 0; i < objects->u.a.len; i++)
        if (storm_v_is_str(storm_v_get(objects->u.a.items[i], "id"), id))
            return true;
    return false;
}

static void collect_refs(const storm_value *v, const char **ids, size_t *n, size_t cap, bool in_ref, int depth)
{
    if (!v || depth > 32)
        return;
    if (v->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            bool ref = (m->key_len > 4 && strcmp(m->key + m->key_len - 4, "_ref") == 0) ||
                       (m->key_len > 5 && strcmp(m->key + m->key_len - 5, "_refs") == 0);
            collect_refs(m->value, ids, n, cap, ref, depth + 1);
        }
    } else if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            collect_refs(v->u.a.items[i], ids, n, cap, in_ref, depth + 1);
    } else if (in_ref && v->type == STORM_V_STRING && *n < cap) {
        for (size_t i = 0; i < *n; i++)
            if (strcmp(ids[i], v->u.s.ptr) == 0)
                return;
        ids[(*n)++] = v->u.s.ptr;
    }
}

storm_rc storm_publish_collect(storm_store *s, storm_arena *a, storm_value *objects, storm_err *err)
{
    collect_ctx c = {a, objects, err, STORM_OK};
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_SIGHTINGS;
    q.limit = 1000;
    q.with_json = true;
    q.version_flags = STORM_STORE_VERSION_LAST;
    bool more = true;
    int64_t next = 0;
    while (more && !c.rc) {
        q.after_key = next;
        storm_rc rc = storm_store_query_objects(s, &q, on_row, &c, &more, &next, err);
        if (rc == STORM_ERR_NOTFOUND)
            return STORM_OK; /* no sightings collection: nothing found yet */
        if (rc)
            return c.rc ? c.rc : rc;
    }
    if (c.rc)
        return c.rc;
    storm_store_collection cols[64];
    size_t n_cols = 0;
    storm_rc rc = storm_store_collections(s, cols, 64, &n_cols, err);
    if (rc)
        return rc;
    if (n_cols > 64)
        n_cols = 64;
    /* breadth-first over references: the objects added by one round are
     * scanned in the next */
    size_t done = 0;
    while (done < objects->u.a.len && !c.rc) {
        size_t upto = objects->u.a.len;
        size_t n_want = 0;
        const char **want = storm_arena_alloc(a, WANT_MAX * sizeof *want);
        if (!want)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory collecting objects");
        for (; done < upto; done++)
            collect_refs(objects->u.a.items[done], want, &n_want, WANT_MAX, false, 0);
        size_t w = 0;
        for (size_t i = 0; i < n_want; i++)
            if (!has_id(objects, want[i]))
                want[w++] = want[i];
        n_want = w;
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
                size_t before = objects->u.a.len;
                rc = storm_store_query_objects(s, &rq, on_row, &c, NULL, NULL, err);
                if (rc && rc != STORM_ERR_NOTFOUND)
                    return c.rc ? c.rc : rc;
                /* an object stored in two collections is sent once */
                for (size_t i = before; i < objects->u.a.len;) {
                    const char *id = storm_v_get_str(objects->u.a.items[i], "id");
                    bool seen = false;
                    for (size_t j = 0; id && j < i && !seen; j++)
                        seen = storm_v_is_str(storm_v_get(objects->u.a.items[j], "id"), id);
                    if (seen)
                        objects->u.a.items[i] = objects->u.a.items[--objects->u.a.len];
                    else
                        i++;
                }
            }
        }
    }
    return c.rc;
}

static storm_rc ensure_tables(sqlite3 *db, storm_err *err)
{
    const char *sql = "CREATE TABLE IF NOT EXISTS publish_log (target TEXT NOT NULL, id TEXT NOT NULL,"
                      " version TEXT NOT NULL DEFAULT '', published TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
                      " PRIMARY KEY (target, id, version)) WITHOUT ROWID;"
                      "CREATE TABLE IF NOT EXISTS pull_state (source TEXT PRIMARY KEY, added_last TEXT NOT NULL);";
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        storm_rc rc = storm_err_set(err, STORM_ERR_IO, 0, "store: %s", msg ? msg : "cannot create tables");
        sqlite3_free(msg);
        return rc;
    }
    return STORM_OK;
}

static const char *version_of(const storm_value *o)
{
    const char *v = storm_v_get_str(o, "modified");
    if (!v)
        v = storm_v_get_str(o, "created");
    return v ? v : "";
}

storm_rc storm_publish_filter_new(storm_store *s, const char *target, storm_value *objects, size_t *skipped,
                                  storm_err *err)
{
    sqlite3 *db = storm_store_db(s);
    storm_rc rc = ensure_tables(db, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM publish_log WHERE target = ?1 AND id = ?2 AND version = ?3", -1, &st,
                           NULL) != SQLITE_OK)
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
    size_t w = 0, skip = 0;
    for (size_t i = 0; i < objects->u.a.len; i++) {
        storm_value *o = objects->u.a.items[i];
        const char *id = storm_v_get_str(o, "id");
        bool known = false;
        if (id) {
            sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, version_of(o), -1, SQLITE_STATIC);
            known = sqlite3_step(st) == SQLITE_ROW;
            sqlite3_reset(st);
        }
        if (known)
            skip++;
        else
            objects->u.a.items[w++] = o;
    }
    objects->u.a.len = w;
    sqlite3_finalize(st);
    if (skipped)
        *skipped = skip;
    return STORM_OK;
}

storm_rc storm_publish_log(storm_store *s, const char *target, const storm_value *obj, storm_err *err)
{
    const char *id = storm_v_get_str(obj, "id");
    if (!id)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "an object without an id cannot be logged as published");
    sqlite3 *db = storm_store_db(s);
    storm_rc rc = ensure_tables(db, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO publish_log (target, id, version) VALUES (?1, ?2, ?3)", -1,
                           &st, NULL) != SQLITE_OK)
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, version_of(obj), -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? STORM_OK : storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
}

storm_rc storm_pull_state_get(storm_store *s, const char *source, char value[40], storm_err *err)
{
    sqlite3 *db = storm_store_db(s);
    storm_rc rc = ensure_tables(db, err);
    if (rc)
        return rc;
    value[0] = '\0';
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT added_last FROM pull_state WHERE source = ?1", -1, &st, NULL) != SQLITE_OK)
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(value, 40, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    return STORM_OK;
}

storm_rc storm_pull_state_set(storm_store *s, const char *source, const char *value, storm_err *err)
{
    sqlite3 *db = storm_store_db(s);
    storm_rc rc = ensure_tables(db, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO pull_state (source, added_last) VALUES (?1, ?2) "
                               "ON CONFLICT(source) DO UPDATE SET added_last = excluded.added_last",
                           -1, &st, NULL) != SQLITE_OK)
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? STORM_OK : storm_err_set(err, STORM_ERR_IO, 0, "store: %s", sqlite3_errmsg(db));
}
