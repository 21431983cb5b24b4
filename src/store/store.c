/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the store, transactions and the prepared-statement helpers. */
#include "store_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <storm/time.h>

storm_rc store_sqlite_err(storm_store *s, storm_err *err, const char *what)
{
    int code = s && s->db ? sqlite3_extended_errcode(s->db) : SQLITE_ERROR;
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : "no database";
    storm_rc rc = (code & 0xff) == SQLITE_NOMEM ? STORM_ERR_NOMEM : STORM_ERR_IO;
    return storm_err_set(err, rc, 0, "store: %s: %s (sqlite code %d)", what, msg, code);
}

int64_t store_now_us(void)
{
    return storm_time_now() / 1000;
}

storm_rc store_prepare(storm_store *s, sqlite3_stmt **slot, const char *sql, storm_err *err)
{
    if (*slot)
        return STORM_OK;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        *slot = NULL;
        return store_sqlite_err(s, err, "prepare");
    }
    return STORM_OK;
}

storm_rc store_prepare_cached(storm_store *s, const char *sql, sqlite3_stmt **out, storm_err *err)
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
    sqlite3_finalize(victim->stmt);
    free(victim->sql);
    victim->stmt = NULL;
    victim->sql = strdup(sql);
    if (!victim->sql)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &victim->stmt, NULL) != SQLITE_OK) {
        free(victim->sql);
        victim->sql = NULL;
        victim->stmt = NULL;
        return store_sqlite_err(s, err, "prepare query");
    }
    victim->last_use = s->stmt_clock;
    *out = victim->stmt;
    return STORM_OK;
}

static storm_rc exec_sql(storm_store *s, const char *sql, storm_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        storm_rc rc = storm_err_set(err, STORM_ERR_IO, 0, "store: %s: %s", sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return rc;
    }
    return STORM_OK;
}

static void configure_sqlite(void)
{
    /* Before SQLite initialises: no global memory statistics, whose mutex
     * every allocation of every connection would otherwise take. Fails
     * harmlessly (SQLITE_MISUSE) when another user initialised it first. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

storm_rc storm_store_open(const char *path, int flags, storm_store **out, storm_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    *out = NULL;
    if (!path || !*path)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: no database path given");
    storm_store *s = calloc(1, sizeof *s);
    if (!s)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    s->readonly = (flags & STORM_STORE_READONLY) != 0;
    int oflags =
        SQLITE_OPEN_NOMUTEX | (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    storm_rc rc;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        rc = storm_err_set(err, STORM_ERR_IO, 0, "store: cannot open %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->db, 1);
    if (!s->readonly && (rc = exec_sql(s, "PRAGMA journal_mode=WAL", err)))
        goto fail;
    if ((rc = exec_sql(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", err)))
        goto fail;
    /* A writer inserts under random ids (UUIDs): with SQLite's default 2 MB
     * page cache, a store of a few hundred MB reads most index pages back
     * from the file at every insert. The cache grows up to this as needed.
     * Checkpoints copy the WAL into the file: less often, an index page
     * written by several commits is copied once. Only for bulk writers:
     * storm serve and storm publish keep SQLite's defaults. */
    if (!s->readonly && (flags & STORM_STORE_BULK) &&
        (rc = exec_sql(
             s, "PRAGMA cache_size=-" STORE_WRITER_CACHE_KIB "; PRAGMA wal_autocheckpoint=" STORE_WAL_CHECKPOINT_PAGES,
             err)))
        goto fail;
    if ((rc = store_migrate(s, err)))
        goto fail;
    *out = s;
    return STORM_OK;
fail:
    storm_store_close(s);
    return rc;
}

void storm_store_close(storm_store *s)
{
    if (!s)
        return;
    sqlite3_stmt **fixed[] = {&s->st_insert,          &s->st_exists_version, &s->st_exists_id,   &s->st_last_added,
                              &s->st_status_put,      &s->st_status_get,     &s->st_max_version, &s->st_clear_latest,
                              &s->st_collection_find, &s->st_data_version};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        sqlite3_finalize(*fixed[i]);
    for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
        sqlite3_finalize(s->stmts[i].stmt);
        free(s->stmts[i].sql);
    }
    sqlite3_close_v2(s->db);
    free(s);
}

storm_rc storm_store_begin(storm_store *s, storm_err *err)
{
    /* IMMEDIATE takes the write lock now: two writers (storm run and the
     * server) then wait on the busy timeout instead of failing on upgrade. */
    return exec_sql(s, "BEGIN IMMEDIATE", err);
}

storm_rc storm_store_commit(storm_store *s, storm_err *err)
{
    return exec_sql(s, "COMMIT", err);
}

storm_rc storm_store_rollback(storm_store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return STORM_OK;
    return exec_sql(s, "ROLLBACK", NULL);
}

struct sqlite3 *storm_store_db(storm_store *s)
{
    return s ? s->db : NULL;
}

storm_rc store_in_transaction(storm_store *s, storm_rc (*fn)(storm_store *, void *, storm_err *), void *ctx,
                              storm_err *err)
{
    if (!sqlite3_get_autocommit(s->db))
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
    storm_rc rc = store_prepare(s, &s->st_data_version, "PRAGMA data_version", err);
    if (rc)
        return rc;
    int r = sqlite3_step(s->st_data_version);
    uint64_t other = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s->st_data_version, 0) : 0;
    sqlite3_reset(s->st_data_version);
    if (r != SQLITE_ROW)
        return store_sqlite_err(s, err, "data_version");
    /* data_version moves on commits by other connections only; our own
     * commits show in total_changes. */
    *out = (other << 32) ^ (uint64_t)sqlite3_total_changes64(s->db);
    return STORM_OK;
}
