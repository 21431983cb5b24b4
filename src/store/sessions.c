/* SPDX-License-Identifier: Apache-2.0 */
/* Attack sessions (storm/store_session.h): table from migration 4 (schema.c). */
#include "store_int.h"

#include <storm/store_session.h>

typedef struct session_job {
    const char *id;
    int64_t first_seen, last_seen;
    const char *json;
    size_t len;
} session_job;

static storm_rc put_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    session_job *j = ctx;
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(
        s, "INSERT OR REPLACE INTO sessions (id, first_seen, last_seen, json) VALUES (?1, ?2, ?3, ?4)", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, j->first_seen);
    sqlite3_bind_int64(st, 3, j->last_seen);
    sqlite3_bind_text(st, 4, j->json, (int)j->len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_err(s, err, "write a session");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

storm_rc storm_store_session_put(storm_store *s, const char *id, int64_t first_seen, int64_t last_seen,
                                 const char *json, size_t len, storm_err *err)
{
    if (len > (size_t)1 << 30)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "store: session %s is too large (%zu bytes)", id, len);
    session_job j = {id, first_seen, last_seen, json, len};
    return store_in_transaction(s, put_in_tx, &j, err);
}

static storm_rc delete_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    session_job *j = ctx;
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "DELETE FROM sessions WHERE id = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_err(s, err, "delete a session");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

storm_rc storm_store_session_delete(storm_store *s, const char *id, storm_err *err)
{
    session_job j = {.id = id};
    return store_in_transaction(s, delete_in_tx, &j, err);
}

static bool has_table(storm_store *s)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'", -1, &st,
                           NULL) == SQLITE_OK)
        yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

storm_rc storm_store_sessions(storm_store *s, int64_t since, const char *id, storm_store_session_fn fn, void *ctx,
                              storm_err *err)
{
    if (!has_table(s)) /* a store from before migration 4, opened read-only */
        return STORM_OK;
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       id ? "SELECT id, first_seen, last_seen, json FROM sessions WHERE id = ?1"
                                          : "SELECT id, first_seen, last_seen, json FROM sessions WHERE last_seen >= ?2"
                                            " ORDER BY first_seen, id",
                                       &st, err);
    if (rc)
        return rc;
    if (id)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 2, since);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        storm_store_session_row row = {(const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                                       sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
                                       (size_t)sqlite3_column_bytes(st, 3)};
        if (fn(ctx, &row))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = store_sqlite_err(s, err, "read the sessions");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}
