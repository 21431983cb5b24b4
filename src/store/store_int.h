/* SPDX-License-Identifier: Apache-2.0 */
/* Private state of the store, shared by its files (one concept each:
 * open/transactions, schema migrations, collections, put, queries, status).
 * The database behind it is one of the back ends of db.h. */
#ifndef STORM_STORE_INT_H
#define STORM_STORE_INT_H

#include <storm/buf.h>
#include <storm/store.h>

#include "db.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_COLLECTION_CACHE 32 /* collections kept resolved in the handle */
#define STORE_STMT_CACHE 16       /* dynamic page queries kept prepared */
#define STORE_STATUS_KEEP 10000   /* status resources kept (oldest dropped first) */

/* One resolved collection: its row key, UUID and alias. */
typedef struct store_collection_key {
    int64_t rowid;
    char id[STORM_STORE_ID_MAX];
    char alias[STORM_STORE_ALIAS_MAX];
} store_collection_key;

typedef struct store_cached_stmt {
    char *sql; /* owned; the cache key */
    store_stmt *stmt;
    unsigned long long last_use;
} store_cached_stmt;

struct storm_store {
    const store_backend *be;
    void *conn; /* the back end's connection */
    bool readonly;
    /* fixed statements, prepared on first use */
    store_stmt *st_insert;
    store_stmt *st_put_one;     /* a versioned put in one statement (writable_ctes) */
    store_stmt *st_put_one_sco; /* the same for an object without versions (SCOs) */
    store_stmt *st_exists_version;
    store_stmt *st_exists_id;
    store_stmt *st_last_added;
    store_stmt *st_clear_latest;
    store_stmt *st_collection_find;
    store_stmt *st_data_version;
    store_stmt *st_status_put;
    store_stmt *st_status_get;
    store_collection_key collections[STORE_COLLECTION_CACHE];
    size_t n_collections;
    store_cached_stmt stmts[STORE_STMT_CACHE];
    unsigned long long stmt_clock;
    /* The largest date_added given out in this write transaction (one
     * collection): no other writer can add rows while it holds the write
     * lock, so the next put need not ask the database. Valid while
     * added_tx == tx_serial (a new transaction makes it stale). */
    unsigned long long tx_serial, added_tx;
    int64_t added_collection, added_last;
};

/* Bring the schema to STORE_SCHEMA_VERSION (schema.c). */
storm_rc store_migrate(storm_store *s, storm_err *err);

/* Record the last database error of s as a STORM_ERR_IO with `what` as context. */
storm_rc store_db_err(storm_store *s, storm_err *err, const char *what);

/* Run statements without parameters (several, separated by ';'). */
storm_rc store_exec(storm_store *s, const char *sql, storm_err *err);

/* Prepare once and keep in *slot (statements live until storm_store_close). */
storm_rc store_prepare(storm_store *s, store_stmt **slot, const char *sql, storm_err *err);

/* Prepare a statement run once or a few times; *out is owned by the caller
 * (store_finalize). */
storm_rc store_prepare_once(storm_store *s, const char *sql, store_stmt **out, storm_err *err);

/* A prepared statement for dynamic SQL, from the handle's small cache.
 * Borrowed; reset by the caller after use. */
storm_rc store_prepare_cached(storm_store *s, const char *sql, store_stmt **out, storm_err *err);

/* Resolve an alias or UUID to its row key (collections.c). */
storm_rc store_collection_resolve(storm_store *s, const char *id_or_alias, int64_t *rowid, storm_err *err);

/* Whether a transaction is open on s. */
bool store_in_tx(storm_store *s);

/* Run fn inside a write transaction unless one is already open. */
storm_rc store_in_transaction(storm_store *s, storm_rc (*fn)(storm_store *, void *, storm_err *), void *ctx,
                              storm_err *err);

/* The SQL text of a page query (query.c); sql is initialised here and owned
 * by the caller (storm_buf_free). index_hints: SQLite's INDEXED BY (the
 * SQLite back end). Exposed for the EXPLAIN QUERY PLAN test. */
storm_rc store_query_sql(const storm_store_query *q, bool index_hints, storm_buf *sql);

/* Microseconds since the epoch (wall clock). */
int64_t store_now_us(void);

#endif
