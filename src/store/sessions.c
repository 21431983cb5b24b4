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
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(
        s,
        "INSERT INTO sessions (id, first_seen, last_seen, json) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id)"
        " DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, json = excluded.json",
        &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, j->id);
    store_bind_int64(st, 2, j->first_seen);
    store_bind_int64(st, 3, j->last_seen);
    store_bind_textn(st, 4, j->json, j->len);
    if (store_step(st) != STORE_STEP_DONE)
        rc = store_db_err(s, err, "write a session");
    store_reset(st);
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
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "DELETE FROM sessions WHERE id = ?1", &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, j->id);
    if (store_step(st) != STORE_STEP_DONE)
        rc = store_db_err(s, err, "delete a session");
    store_reset(st);
    return rc;
}

storm_rc storm_store_session_delete(storm_store *s, const char *id, storm_err *err)
{
    session_job j = {.id = id};
    return store_in_transaction(s, delete_in_tx, &j, err);
}

storm_rc storm_store_sessions(storm_store *s, int64_t since, const char *id, storm_store_session_fn fn, void *ctx,
                              storm_err *err)
{
    if (!s->be->has_table(s, "sessions")) /* a store from before migration 4, opened read-only */
        return STORM_OK;
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       id ? "SELECT id, first_seen, last_seen, json FROM sessions WHERE id = ?1"
                                          : "SELECT id, first_seen, last_seen, json FROM sessions WHERE last_seen >= ?1"
                                            " ORDER BY first_seen, id",
                                       &st, err);
    if (rc)
        return rc;
    if (id)
        store_bind_text(st, 1, id);
    else
        store_bind_int64(st, 1, since);
    int r;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        storm_store_session_row row = {(const char *)store_column_text(st, 0), store_column_int64(st, 1),
                                       store_column_int64(st, 2), (const char *)store_column_text(st, 3),
                                       (size_t)store_column_bytes(st, 3)};
        if (fn(ctx, &row))
            break;
    }
    if (r != STORE_STEP_ROW && r != STORE_STEP_DONE)
        rc = store_db_err(s, err, "read the sessions");
    store_reset(st);
    return rc;
}
