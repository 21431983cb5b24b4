/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the store on its back end, transactions and the
 * prepared-statement helpers. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include <storm/time.h>

storm_rc store_db_err(storm_store *s, storm_err *err, const char *what)
{
    if (!s || !s->conn)
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %s: no database", what);
    return s->be->error(s, err, what);
}

int64_t store_now_us(void)
{
    return storm_time_now() / 1000;
}

void store_bind_text(store_stmt *st, int i, const char *t)
{
    st->be->bind_text(st, i, t, t ? strlen(t) : 0);
}

storm_rc store_exec(storm_store *s, const char *sql, storm_err *err)
{
    return s->be->exec(s, sql, err);
}

storm_rc store_prepare(storm_store *s, store_stmt **slot, const char *sql, storm_err *err)
{
    if (*slot)
        return STORM_OK;
    return s->be->prepare(s, sql, true, slot, err);
}

storm_rc store_prepare_once(storm_store *s, const char *sql, store_stmt **out, storm_err *err)
{
    return s->be->prepare(s, sql, false, out, err);
}

storm_rc store_prepare_cached(storm_store *s, const char *sql, store_stmt **out, storm_err *err)
{
    store_cached_stmt *victim = &s->stmts[0];
    s->stmt_clock++;
    for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
        store_cached_stmt *c = &s->stmts[i];
        if (c->sql && strcmp(c->sql, sql) == 0) {
            c->last_use = s->stmt_clock;
            *out = c->stmt;
            return STORM_OK;
        }
        if (!c->sql || c->last_use < victim->last_use)
            victim = c;
        if (!c->sql)
            break;
    }
    /* Evict the least recently used: page queries differ only by how many
     * filter values they bind, so a few shapes cover nearly every request. */
    store_finalize(victim->stmt);
    free(victim->sql);
    victim->stmt = NULL;
    victim->sql = strdup(sql);
    if (!victim->sql)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    storm_rc rc = s->be->prepare(s, sql, true, &victim->stmt, err);
    if (rc) {
        free(victim->sql);
        victim->sql = NULL;
        victim->stmt = NULL;
        return rc;
    }
    victim->last_use = s->stmt_clock;
    *out = victim->stmt;
    return STORM_OK;
}

bool store_target_is_postgresql(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

bool storm_store_is_url(const char *target)
{
    return target && store_target_is_postgresql(target);
}

storm_rc storm_store_open(const char *path, int flags, storm_store **out, storm_err *err)
{
    *out = NULL;
    if (!path || !*path)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: no database path given");
    const store_backend *be = &store_backend_sqlite;
    if (store_target_is_postgresql(path)) {
#if STORM_HAVE_POSTGRESQL
        be = &store_backend_pg;
#else
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                             "store: this storm was built without PostgreSQL; install libpq-dev and rebuild with "
                             "-Dpostgresql=enabled, or give a SQLite file path");
#endif
    }
    storm_store *s = calloc(1, sizeof *s);
    if (!s)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    s->be = be;
    s->readonly = (flags & STORM_STORE_READONLY) != 0;
    storm_rc rc = be->open(s, path, flags, err);
    if (!rc)
        rc = store_migrate(s, err);
    if (rc) {
        storm_store_close(s);
        return rc;
    }
    *out = s;
    return STORM_OK;
}

void storm_store_close(storm_store *s)
{
    if (!s)
        return;
    store_stmt **fixed[] = {&s->st_insert,       &s->st_put_one,         &s->st_put_one_sco, &s->st_exists_version,
                            &s->st_exists_id,    &s->st_last_added,      &s->st_status_put,  &s->st_status_get,
                            &s->st_clear_latest, &s->st_collection_find, &s->st_data_version};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        store_finalize(*fixed[i]);
    for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
        store_finalize(s->stmts[i].stmt);
        free(s->stmts[i].sql);
    }
    if (s->conn)
        s->be->close(s);
    free(s);
}

const char *storm_store_backend(const storm_store *s)
{
    return s->be->name;
}

storm_rc storm_store_begin(storm_store *s, storm_err *err)
{
    s->tx_serial++;
    return s->be->begin(s, err);
}

storm_rc storm_store_commit(storm_store *s, storm_err *err)
{
    return s->be->end(s, true, err);
}

storm_rc storm_store_rollback(storm_store *s)
{
    if (!s->be->in_transaction(s))
        return STORM_OK;
    return s->be->end(s, false, NULL);
}

bool store_in_tx(storm_store *s)
{
    return s->be->in_transaction(s);
}

storm_rc store_in_transaction(storm_store *s, storm_rc (*fn)(storm_store *, void *, storm_err *), void *ctx,
                              storm_err *err)
{
    if (s->be->in_transaction(s))
        return fn(s, ctx, err);
    storm_rc rc = storm_store_begin(s, err);
    if (rc)
        return rc;
    rc = fn(s, ctx, err);
    if (rc) {
        storm_store_rollback(s);
        return rc;
    }
    return storm_store_commit(s, err);
}

storm_rc storm_store_data_version(storm_store *s, uint64_t *out, storm_err *err)
{
    return s->be->data_version(s, out, err);
}
