/* SPDX-License-Identifier: Apache-2.0 */
/* Private state of the SQLite store, shared by its files (one concept each:
 * open/transactions, schema migrations, collections, put, queries, status). */
#ifndef STORM_STORE_INT_H
#define STORM_STORE_INT_H

#include <sqlite3.h>
#include <storm/buf.h>
#include <storm/store.h>

#define STORE_SCHEMA_VERSION 4
#define STORE_COLLECTION_CACHE 32 /* collections kept resolved in the handle */
#define STORE_STMT_CACHE 16       /* dynamic page queries kept prepared */
#define STORE_STATUS_KEEP 10000   /* status resources kept (oldest dropped first) */
#define STORE_BUSY_TIMEOUT_MS 10000
#define STORE_WRITER_CACHE_KIB "65536"     /* page cache of a read-write handle: 64 MiB at most */
#define STORE_WAL_CHECKPOINT_PAGES "16384" /* WAL pages before a checkpoint: 64 MiB */

/* One resolved collection: its row key, UUID and alias. */
typedef struct store_collection_key {
    int64_t rowid;
    char id[STORM_STORE_ID_MAX];
    char alias[STORM_STORE_ALIAS_MAX];
} store_collection_key;

typedef struct store_cached_stmt {
    char *sql; /* owned; the cache key */
    sqlite3_stmt *stmt;
    unsigned long long last_use;
} store_cached_stmt;

struct storm_store {
    sqlite3 *db;
    bool readonly;
    /* fixed statements, prepared on first use */
    sqlite3_stmt *st_insert;
    sqlite3_stmt *st_exists_version;
    sqlite3_stmt *st_exists_id;
    sqlite3_stmt *st_last_added;
    sqlite3_stmt *st_max_version;
    sqlite3_stmt *st_clear_latest;
    sqlite3_stmt *st_collection_find;
    sqlite3_stmt *st_data_version;
    sqlite3_stmt *st_status_put;
    sqlite3_stmt *st_status_get;
    store_collection_key collections[STORE_COLLECTION_CACHE];
    size_t n_collections;
    store_cached_stmt stmts[STORE_STMT_CACHE];
    unsigned long long stmt_clock;
};

/* Bring the schema to STORE_SCHEMA_VERSION (schema.c). */
storm_rc store_migrate(storm_store *s, storm_err *err);

/* Record the SQLite error of s->db as a STORM_ERR_IO with `what` as context. */
storm_rc store_sqlite_err(storm_store *s, storm_err *err, const char *what);

/* Prepare once and keep in *slot (statements live until storm_store_close). */
storm_rc store_prepare(storm_store *s, sqlite3_stmt **slot, const char *sql, storm_err *err);

/* A prepared statement for dynamic SQL, from the handle's small cache.
 * Borrowed; reset by the caller after use. */
storm_rc store_prepare_cached(storm_store *s, const char *sql, sqlite3_stmt **out, storm_err *err);

/* Resolve an alias or UUID to its row key (collections.c). */
storm_rc store_collection_resolve(storm_store *s, const char *id_or_alias, int64_t *rowid, storm_err *err);

/* Run fn inside a write transaction unless one is already open. */
storm_rc store_in_transaction(storm_store *s, storm_rc (*fn)(storm_store *, void *, storm_err *), void *ctx,
                              storm_err *err);

/* The SQL text of a page query (query.c); sql is initialised here and owned
 * by the caller (storm_buf_free). Exposed for the EXPLAIN QUERY PLAN test. */
storm_rc store_query_sql(const storm_store_query *q, storm_buf *sql);

/* Microseconds since the epoch (wall clock). */
int64_t store_now_us(void);

#endif
