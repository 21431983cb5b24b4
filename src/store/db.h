/* SPDX-License-Identifier: Apache-2.0 */
/* The store's database back ends (SQLite: db_sqlite.c; PostgreSQL:
 * db_pg.c). The store's files write each statement once, in the SQL both
 * understand, with `?N` (or bare `?`) placeholders; a back end turns them
 * into its own form. What differs beyond that (the schema's column types,
 * index hints, how a writer takes the write lock, how to tell that another
 * connection changed the data) is behind the operations below. */
#ifndef STORM_STORE_DB_H
#define STORM_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/store.h>

#include "storm_config.h"

typedef struct store_backend store_backend;

/* A prepared statement; each back end extends it (the first member). */
typedef struct store_stmt {
    const store_backend *be;
} store_stmt;

/* What store_step returns. */
enum { STORE_STEP_FAILED = -1, STORE_STEP_DONE = 0, STORE_STEP_ROW = 1 };

struct store_backend {
    const char *name;              /* "SQLite", "PostgreSQL": for messages */
    bool sqlite_dialect;           /* index hints (INDEXED BY) are SQLite's only */
    bool writable_ctes;            /* WITH ... UPDATE/INSERT in one statement: a put in one round trip (PostgreSQL) */
    const char *const *migrations; /* STORE_SCHEMA_VERSION scripts, in this back end's column types */
    /* Connect (s->conn) and set the session up; target is a path or a URL. */
    storm_rc (*open)(storm_store *s, const char *target, int flags, storm_err *err);
    void (*close)(storm_store *s);
    /* Statements without parameters, several separated by ';'. */
    storm_rc (*exec)(storm_store *s, const char *sql, storm_err *err);
    /* keep: the statement is run many times (prepared on the server once). */
    storm_rc (*prepare)(storm_store *s, const char *sql, bool keep, store_stmt **out, storm_err *err);
    /* Texts are borrowed until the statement is reset or rebound. */
    void (*bind_int64)(store_stmt *st, int i, int64_t v);
    void (*bind_text)(store_stmt *st, int i, const char *t, size_t len);
    int (*step)(store_stmt *st);
    bool (*column_null)(store_stmt *st, int i);
    int64_t (*column_int64)(store_stmt *st, int i);    /* 0 for NULL */
    const char *(*column_text)(store_stmt *st, int i); /* NULL for NULL; valid until the next step or reset */
    size_t (*column_bytes)(store_stmt *st, int i);
    int64_t (*changes)(store_stmt *st); /* rows changed by the statement's last run */
    void (*reset)(store_stmt *st);      /* ready to run again; bindings stay */
    void (*finalize)(store_stmt *st);
    bool (*in_transaction)(storm_store *s);
    /* Start a write transaction holding the store's write lock (one writer
     * at a time, as in SQLite: a sighting's merge reads the last committed
     * version and date_added grows in commit order). */
    storm_rc (*begin)(storm_store *s, storm_err *err);
    /* Commit (or roll back) the transaction begin opened and release the lock. */
    storm_rc (*end)(storm_store *s, bool commit, storm_err *err);
    /* The last error of s as a STORM_ERR_IO (or NOMEM) with `what`. */
    storm_rc (*error)(storm_store *s, storm_err *err, const char *what);
    bool (*has_table)(storm_store *s, const char *name);
    int (*schema_version)(storm_store *s); /* -1 on error */
    storm_rc (*set_schema_version)(storm_store *s, int v, storm_err *err);
    storm_rc (*data_version)(storm_store *s, uint64_t *out, storm_err *err);
};

extern const store_backend store_backend_sqlite;
#if STORM_HAVE_POSTGRESQL
extern const store_backend store_backend_pg;
#endif

/* Whether target names a PostgreSQL database (postgresql:// or postgres://). */
bool store_target_is_postgresql(const char *target);

static inline void store_bind_int64(store_stmt *st, int i, int64_t v)
{
    st->be->bind_int64(st, i, v);
}
/* A NUL-terminated text. */
void store_bind_text(store_stmt *st, int i, const char *t);
static inline void store_bind_textn(store_stmt *st, int i, const char *t, size_t len)
{
    st->be->bind_text(st, i, t, len);
}
static inline int store_step(store_stmt *st)
{
    return st->be->step(st);
}
static inline bool store_column_null(store_stmt *st, int i)
{
    return st->be->column_null(st, i);
}
static inline int64_t store_column_int64(store_stmt *st, int i)
{
    return st->be->column_int64(st, i);
}
static inline const char *store_column_text(store_stmt *st, int i)
{
    return st->be->column_text(st, i);
}
static inline size_t store_column_bytes(store_stmt *st, int i)
{
    return st->be->column_bytes(st, i);
}
static inline int64_t store_changes(store_stmt *st)
{
    return st->be->changes(st);
}
static inline void store_reset(store_stmt *st)
{
    st->be->reset(st);
}
static inline void store_finalize(store_stmt *st)
{
    if (st)
        st->be->finalize(st);
}

#endif
