/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite back end of the store (db.h): one file, WAL mode, the write
 * lock taken at BEGIN IMMEDIATE. */
#include "store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema.h"
#include "store_sqlite.h"

#define SQLITE_BUSY_TIMEOUT_MS 10000
#define SQLITE_WRITER_CACHE_KIB "65536"     /* page cache of a bulk writer: 64 MiB at most */
#define SQLITE_WAL_CHECKPOINT_PAGES "16384" /* WAL pages before a checkpoint: 64 MiB */

typedef struct sqlite_stmt {
    store_stmt base;
    sqlite3_stmt *st;
    sqlite3 *db;
} sqlite_stmt;

static sqlite3 *db_of(storm_store *s)
{
    return s->conn;
}

static sqlite3_stmt *raw(store_stmt *st)
{
    return ((sqlite_stmt *)st)->st;
}

static storm_rc sqlite_error(storm_store *s, storm_err *err, const char *what)
{
    sqlite3 *db = db_of(s);
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    const char *msg = db ? sqlite3_errmsg(db) : "no database";
    storm_rc rc = (code & 0xff) == SQLITE_NOMEM ? STORM_ERR_NOMEM : STORM_ERR_IO;
    return storm_err_set(err, rc, 0, "store: %s: %s (sqlite code %d)", what, msg, code);
}

static storm_rc sqlite_exec(storm_store *s, const char *sql, storm_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db_of(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
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

/* Switching a new file to WAL takes its lock without the busy handler:
 * two writers creating one store at the same moment (storm run workers)
 * saw "database is locked". Retried for as long as the busy timeout. */
static storm_rc wal_mode(storm_store *s, storm_err *err)
{
    for (int waited_ms = 0;; waited_ms += 50) {
        int r = sqlite3_exec(db_of(s), "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (r == SQLITE_OK)
            return STORM_OK;
        if (((r & 0xff) != SQLITE_BUSY && (r & 0xff) != SQLITE_LOCKED) || waited_ms >= SQLITE_BUSY_TIMEOUT_MS)
            return sqlite_error(s, err, "PRAGMA journal_mode=WAL");
        sqlite3_sleep(50);
    }
}

static storm_rc sqlite_open(storm_store *s, const char *path, int flags, storm_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    int oflags =
        SQLITE_OPEN_NOMUTEX | (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, oflags, NULL) != SQLITE_OK) {
        storm_rc rc = storm_err_set(err, STORM_ERR_IO, 0, "store: cannot open %s: %s", path,
                                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return rc;
    }
    s->conn = db;
    sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db, 1);
    storm_rc rc;
    if (!s->readonly && (rc = wal_mode(s, err)))
        return rc;
    if ((rc = sqlite_exec(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", err)))
        return rc;
    /* A writer inserts under random ids (UUIDs): with SQLite's default 2 MB
     * page cache, a store of a few hundred MB reads most index pages back
     * from the file at every insert. The cache grows up to this as needed.
     * Checkpoints copy the WAL into the file: less often, an index page
     * written by several commits is copied once. Only for bulk writers:
     * storm serve and storm publish keep SQLite's defaults. */
    if (!s->readonly && (flags & STORM_STORE_BULK) &&
        (rc = sqlite_exec(s,
                          "PRAGMA cache_size=-" SQLITE_WRITER_CACHE_KIB
                          "; PRAGMA wal_autocheckpoint=" SQLITE_WAL_CHECKPOINT_PAGES,
                          err)))
        return rc;
    return STORM_OK;
}

static void sqlite_close(storm_store *s)
{
    sqlite3_close_v2(db_of(s));
    s->conn = NULL;
}

static storm_rc sqlite_prepare(storm_store *s, const char *sql, bool keep, store_stmt **out, storm_err *err)
{
    *out = NULL;
    sqlite_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    st->base.be = &store_backend_sqlite;
    st->db = db_of(s);
    if (sqlite3_prepare_v3(st->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st->st, NULL) != SQLITE_OK) {
        free(st);
        return sqlite_error(s, err, "prepare");
    }
    *out = &st->base;
    return STORM_OK;
}

static void sqlite_bind_int64(store_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(raw(st), i, v);
}

static void sqlite_bind_text(store_stmt *st, int i, const char *t, size_t len)
{
    if (!t)
        sqlite3_bind_null(raw(st), i);
    else
        sqlite3_bind_text64(raw(st), i, t, len, SQLITE_STATIC, SQLITE_UTF8);
}

static int sqlite_step(store_stmt *st)
{
    int r = sqlite3_step(raw(st));
    return r == SQLITE_ROW ? STORE_STEP_ROW : r == SQLITE_DONE ? STORE_STEP_DONE : STORE_STEP_FAILED;
}

static bool sqlite_column_null(store_stmt *st, int i)
{
    return sqlite3_column_type(raw(st), i) == SQLITE_NULL;
}

static int64_t sqlite_column_int64(store_stmt *st, int i)
{
    return sqlite3_column_int64(raw(st), i);
}

static const char *sqlite_column_text(store_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(raw(st), i);
}

static size_t sqlite_column_bytes(store_stmt *st, int i)
{
    return (size_t)sqlite3_column_bytes(raw(st), i);
}

static int64_t sqlite_changes(store_stmt *st)
{
    return sqlite3_changes64(((sqlite_stmt *)st)->db);
}

static void sqlite_reset(store_stmt *st)
{
    sqlite3_reset(raw(st));
}

static void sqlite_finalize(store_stmt *st)
{
    sqlite3_finalize(raw(st));
    free(st);
}

static bool sqlite_in_transaction(storm_store *s)
{
    return !sqlite3_get_autocommit(db_of(s));
}

static storm_rc sqlite_begin(storm_store *s, storm_err *err)
{
    /* IMMEDIATE takes the write lock now: two writers (storm run and the
     * server) then wait on the busy timeout instead of failing on upgrade. */
    return sqlite_exec(s, "BEGIN IMMEDIATE", err);
}

static storm_rc sqlite_end(storm_store *s, bool commit, storm_err *err)
{
    return sqlite_exec(s, commit ? "COMMIT" : "ROLLBACK", err);
}

static bool sqlite_has_table(storm_store *s, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = sqlite3_prepare_v2(db_of(s), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st,
                                  NULL) == SQLITE_OK &&
               sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static int sqlite_schema_version(storm_store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db_of(s), "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static storm_rc sqlite_set_schema_version(storm_store *s, int v, storm_err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v);
    return sqlite_exec(s, sql, err);
}

static storm_rc sqlite_data_version(storm_store *s, uint64_t *out, storm_err *err)
{
    storm_rc rc = store_prepare(s, &s->st_data_version, "PRAGMA data_version", err);
    if (rc)
        return rc;
    sqlite3_stmt *st = raw(s->st_data_version);
    int r = sqlite3_step(st);
    uint64_t other = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (r != SQLITE_ROW)
        return sqlite_error(s, err, "data_version");
    /* data_version moves on commits by other connections only; our own
     * commits show in total_changes. */
    *out = (other << 32) ^ (uint64_t)sqlite3_total_changes64(db_of(s));
    return STORM_OK;
}

const store_backend store_backend_sqlite = {
    .name = "SQLite",
    .sqlite_dialect = true,
    .migrations = store_sqlite_migrations,
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .prepare = sqlite_prepare,
    .bind_int64 = sqlite_bind_int64,
    .bind_text = sqlite_bind_text,
    .step = sqlite_step,
    .column_null = sqlite_column_null,
    .column_int64 = sqlite_column_int64,
    .column_text = sqlite_column_text,
    .column_bytes = sqlite_column_bytes,
    .changes = sqlite_changes,
    .reset = sqlite_reset,
    .finalize = sqlite_finalize,
    .in_transaction = sqlite_in_transaction,
    .begin = sqlite_begin,
    .end = sqlite_end,
    .error = sqlite_error,
    .has_table = sqlite_has_table,
    .schema_version = sqlite_schema_version,
    .set_schema_version = sqlite_set_schema_version,
    .data_version = sqlite_data_version,
};

sqlite3 *store_sqlite_handle(storm_store *s)
{
    return s && s->be == &store_backend_sqlite ? db_of(s) : NULL;
}
