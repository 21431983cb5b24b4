/* SPDX-License-Identifier: Apache-2.0 */
/* The publish log (what storm publish sent where) and pull positions (where
 * storm pull stopped). Tables from migration 2 (schema.c). */
#include "store_int.h"

#include <stdio.h>

storm_rc storm_store_published_check(storm_store *s, const char *target, const storm_store_published *items, size_t n,
                                     bool *known, storm_err *err)
{
    sqlite3_stmt *st = NULL;
    storm_rc rc =
        store_prepare_cached(s, "SELECT 1 FROM publish_log WHERE target = ?1 AND id = ?2 AND version = ?3", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    for (size_t i = 0; i < n; i++) {
        known[i] = false;
        if (!items[i].id)
            continue;
        sqlite3_bind_text(st, 2, items[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, items[i].version ? items[i].version : "", -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        known[i] = r == SQLITE_ROW;
        sqlite3_reset(st);
        if (r != SQLITE_ROW && r != SQLITE_DONE) {
            sqlite3_clear_bindings(st);
            return store_sqlite_err(s, err, "read the publish log");
        }
    }
    sqlite3_clear_bindings(st);
    return STORM_OK;
}

typedef struct add_job {
    const char *target;
    const storm_store_published *items;
    size_t n;
} add_job;

static storm_rc add_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    add_job *j = ctx;
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "INSERT OR IGNORE INTO publish_log (target, id, version) VALUES (?1, ?2, ?3)",
                                       &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, j->target, -1, SQLITE_STATIC);
    for (size_t i = 0; i < j->n && !rc; i++) {
        if (!j->items[i].id)
            continue;
        sqlite3_bind_text(st, 2, j->items[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, j->items[i].version ? j->items[i].version : "", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store_sqlite_err(s, err, "write the publish log");
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    return rc;
}

storm_rc storm_store_published_add(storm_store *s, const char *target, const storm_store_published *items, size_t n,
                                   storm_err *err)
{
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    add_job j = {target, items, n};
    return n ? store_in_transaction(s, add_in_tx, &j, err) : STORM_OK;
}

storm_rc storm_store_pull_position_get(storm_store *s, const char *source, char value[STORM_STORE_POSITION_MAX],
                                       storm_err *err)
{
    value[0] = '\0';
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "SELECT added_last FROM pull_state WHERE source = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(value, STORM_STORE_POSITION_MAX, "%s", t ? (const char *)t : "");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? STORM_OK : store_sqlite_err(s, err, "read a pull position");
}

typedef struct position_job {
    const char *source, *value;
} position_job;

static storm_rc position_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    position_job *j = ctx;
    sqlite3_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       "INSERT INTO pull_state (source, added_last) VALUES (?1, ?2) "
                                       "ON CONFLICT(source) DO UPDATE SET added_last = excluded.added_last",
                                       &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, j->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->value, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r == SQLITE_DONE ? STORM_OK : store_sqlite_err(s, err, "write a pull position");
}

storm_rc storm_store_pull_position_set(storm_store *s, const char *source, const char *value, storm_err *err)
{
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    position_job j = {source, value};
    return store_in_transaction(s, position_in_tx, &j, err);
}
