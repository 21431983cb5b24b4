/* SPDX-License-Identifier: Apache-2.0 */
/* The publish log (what storm publish sent where) and pull positions (where
 * storm pull stopped). Tables from migration 2 (schema.c). */
#include "store_int.h"

#include <stdio.h>

storm_rc storm_store_published_check(storm_store *s, const char *target, const storm_store_published *items, size_t n,
                                     bool *known, storm_err *err)
{
    store_stmt *st = NULL;
    storm_rc rc =
        store_prepare_cached(s, "SELECT 1 FROM publish_log WHERE target = ?1 AND id = ?2 AND version = ?3", &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, target);
    for (size_t i = 0; i < n; i++) {
        known[i] = false;
        if (!items[i].id)
            continue;
        store_bind_text(st, 2, items[i].id);
        store_bind_text(st, 3, items[i].version ? items[i].version : "");
        int r = store_step(st);
        known[i] = r == STORE_STEP_ROW;
        store_reset(st);
        if (r != STORE_STEP_ROW && r != STORE_STEP_DONE) {
            return store_db_err(s, err, "read the publish log");
        }
    }
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
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       "INSERT INTO publish_log (target, id, version) VALUES (?1, ?2, ?3)"
                                       " ON CONFLICT DO NOTHING",
                                       &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, j->target);
    for (size_t i = 0; i < j->n && !rc; i++) {
        if (!j->items[i].id)
            continue;
        store_bind_text(st, 2, j->items[i].id);
        store_bind_text(st, 3, j->items[i].version ? j->items[i].version : "");
        if (store_step(st) != STORE_STEP_DONE)
            rc = store_db_err(s, err, "write the publish log");
        store_reset(st);
    }
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
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "SELECT added_last FROM pull_state WHERE source = ?1", &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, source);
    int r = store_step(st);
    if (r == STORE_STEP_ROW) {
        const char *t = store_column_text(st, 0);
        snprintf(value, STORM_STORE_POSITION_MAX, "%s", t ? t : "");
    }
    store_reset(st);
    return r == STORE_STEP_ROW || r == STORE_STEP_DONE ? STORM_OK : store_db_err(s, err, "read a pull position");
}

typedef struct position_job {
    const char *source, *value;
} position_job;

static storm_rc position_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    position_job *j = ctx;
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       "INSERT INTO pull_state (source, added_last) VALUES (?1, ?2) "
                                       "ON CONFLICT(source) DO UPDATE SET added_last = excluded.added_last",
                                       &st, err);
    if (rc)
        return rc;
    store_bind_text(st, 1, j->source);
    store_bind_text(st, 2, j->value);
    int r = store_step(st);
    store_reset(st);
    return r == STORE_STEP_DONE ? STORM_OK : store_db_err(s, err, "write a pull position");
}

storm_rc storm_store_pull_position_set(storm_store *s, const char *source, const char *value, storm_err *err)
{
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    position_job j = {source, value};
    return store_in_transaction(s, position_in_tx, &j, err);
}
