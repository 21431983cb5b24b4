/* SPDX-License-Identifier: Apache-2.0 */
/* The store: STIX objects by collection (versioned by `modified`), shared
 * by storm run (writer), storm serve (TAXII) and the baseline. Either an
 * embedded SQLite file (WAL mode) or a PostgreSQL database named by a
 * postgresql:// URL (a hub that several writers share); the same schema and
 * behaviour on both. Writes in transactions, one writer at a time. */
#ifndef STORM_STORE_H
#define STORM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_store storm_store;

typedef enum storm_store_flags {
    STORM_STORE_READWRITE = 0, /* create when missing, migrate the schema */
    STORM_STORE_READONLY = 1,
    STORM_STORE_BULK = 2, /* with READWRITE: a writer of many objects (storm run --db): a larger page cache
                             (up to 64 MiB) and WAL checkpoints every 64 MiB instead of 4 MiB */
} storm_store_flags;

/* Default collections (aliases; each also has a stable UUID for TAXII). */
#define STORM_COLLECTION_INDICATORS "indicators"
#define STORM_COLLECTION_SIGHTINGS "sightings"
#define STORM_COLLECTION_OBSERVATIONS "observations"

/* Open or create; *out is owned (storm_store_close). path is a SQLite file,
 * or postgresql://... / postgres://... (a libpq connection URL). */
storm_rc storm_store_open(const char *path, int flags, storm_store **out, storm_err *err);
void storm_store_close(storm_store *s);

storm_rc storm_store_begin(storm_store *s, storm_err *err);
storm_rc storm_store_commit(storm_store *s, storm_err *err);
storm_rc storm_store_rollback(storm_store *s);

/* Store one STIX object (must have type and id; SDOs/SROs their modified) in
 * the collection (alias or UUID). The same (id, modified) again is a no-op,
 * so re-processing is idempotent. *added tells whether it was new (may be NULL). */
storm_rc storm_store_put(storm_store *s, const char *collection, const storm_value *obj, bool *added, storm_err *err);

/* Whether path is a database URL (postgresql://, postgres://) rather than
 * a file: callers that look at the file (exists? which format?) skip it. */
bool storm_store_is_url(const char *path);
/* The back end's name ("SQLite", "PostgreSQL"), for messages. */
const char *storm_store_backend(const storm_store *s);

/* ---- Collections and queries (TAXII server, publish/pull) ---------------
 * Added by the store owner for storm serve and the TAXII client; additive
 * to the contract above. */

#define STORM_STORE_ID_MAX 40 /* a UUID and its NUL */
#define STORM_STORE_ALIAS_MAX 64
#define STORM_STORE_TITLE_MAX 256
#define STORM_STORE_DESCRIPTION_MAX 1024
#define STORM_STORE_MEDIA_TYPES_MAX 256

/* One collection (copied out of the store; no pointers to free). */
typedef struct storm_store_collection {
    char id[STORM_STORE_ID_MAX];       /* UUID: the TAXII collection id */
    char alias[STORM_STORE_ALIAS_MAX]; /* e.g. "indicators"; "" when none */
    char title[STORM_STORE_TITLE_MAX];
    char description[STORM_STORE_DESCRIPTION_MAX];
    char media_types[STORM_STORE_MEDIA_TYPES_MAX]; /* comma-separated */
    bool can_read;                                 /* default rights for anonymous readers/writers; */
    bool can_write;                                /* the server narrows them per user */
} storm_store_collection;

/* Every collection, in creation order. Fills out[0..cap), *n is how many
 * exist (may exceed cap). */
storm_rc storm_store_collections(storm_store *s, storm_store_collection *out, size_t cap, size_t *n, storm_err *err);
/* Look one up by alias or UUID; STORM_ERR_NOTFOUND when absent. */
storm_rc storm_store_collection_find(storm_store *s, const char *id_or_alias, storm_store_collection *out,
                                     storm_err *err);
/* Create a collection; an empty id gets a random UUID (written back to c). */
storm_rc storm_store_collection_create(storm_store *s, storm_store_collection *c, storm_err *err);

/* Version selectors of a query (TAXII match[version]); OR-ed together.
 * No flag and no timestamps means "last". */
enum {
    STORM_STORE_VERSION_LAST = 1 << 0,
    STORM_STORE_VERSION_FIRST = 1 << 1,
    STORM_STORE_VERSION_ALL = 1 << 2,
};

#define STORM_STORE_QUERY_LIST_MAX 64 /* most values per filter list */
#define STORM_STORE_QUERY_LIMIT_MAX 10000

/* A page query over one collection, ordered by date_added. Every string is
 * borrowed for the duration of the call. Lists are OR-ed within, AND-ed
 * across; empty lists do not filter. */
typedef struct storm_store_query {
    const char *collection; /* alias or UUID */
    int64_t added_after_us; /* date_added > this (µs since epoch); 0 = none */
    int64_t after_key;      /* the `next` cursor of the previous page; 0 = start */
    const char *const *ids;
    size_t n_ids;
    const char *const *types;
    size_t n_types;
    const char *const *spec_versions;
    size_t n_spec_versions;
    unsigned version_flags;  /* STORM_STORE_VERSION_* */
    const int64_t *versions; /* exact versions (ns since epoch) */
    size_t n_versions;
    size_t limit;   /* rows per page, 1..STORM_STORE_QUERY_LIMIT_MAX */
    bool with_json; /* fill row.json (manifests do not need it) */
} storm_store_query;

/* One stored object version. Every pointer is valid only during the callback. */
typedef struct storm_store_row {
    const char *id;
    const char *type;
    const char *spec_version;
    int64_t version;       /* ns since epoch: modified, else created, else date_added */
    int64_t date_added_us; /* µs since epoch; strictly increasing within a collection */
    const char *json;      /* compact JSON text (NULL unless with_json) */
    size_t json_len;
} storm_store_row;

/* Return non-zero to stop early (the query then returns STORM_ERR_STATE). */
typedef int (*storm_store_row_fn)(void *ctx, const storm_store_row *row);

/* Run a page query: calls fn for up to q->limit rows. *more (may be NULL)
 * tells whether rows remain; *next_key (may be NULL) is the cursor for the next page
 * (pass it back as after_key). Uses the (collection, date_added) index:
 * never a table scan. STORM_ERR_NOTFOUND for an unknown collection. */
storm_rc storm_store_query_objects(storm_store *s, const storm_store_query *q, storm_store_row_fn fn, void *ctx,
                                   bool *more, int64_t *next_key, storm_err *err);

/* Delete the versions of q->ids[0] in q->collection selected by the version
 * and spec_version filters (no version selector = all versions). *deleted
 * (may be NULL) counts rows removed. */
storm_rc storm_store_delete(storm_store *s, const storm_store_query *q, size_t *deleted, storm_err *err);

/* Status resources of TAXII POSTs: JSON text stored under a UUID. */
storm_rc storm_store_status_put(storm_store *s, const char *id, const char *json, size_t len, storm_err *err);
/* *json is owned by the caller (free()). STORM_ERR_NOTFOUND when absent. */
storm_rc storm_store_status_get(storm_store *s, const char *id, char **json, size_t *len, storm_err *err);

/* storm_store_put that also tells the stored version (ns since the epoch:
 * modified, else created, else the date_added of the first copy stored).
 * version may be NULL. */
storm_rc storm_store_put_versioned(storm_store *s, const char *collection, const storm_value *obj, bool *added,
                                   int64_t *version, storm_err *err);

/* A number that changes whenever the stored data may have changed, by this
 * handle or any other connection or process (PRAGMA data_version plus this
 * connection's own changes). For caches of query results. */
storm_rc storm_store_data_version(storm_store *s, uint64_t *out, storm_err *err);

/* Store one object given as JSON text (parsed with a private arena). */
storm_rc storm_store_put_json(storm_store *s, const char *collection, const char *json, size_t len, bool *added,
                              storm_err *err);

/* ---- What storm publish sent, where storm pull stopped (publish_log.c) ----
 * Kept in the store so that they share its file, transactions and backups.
 * target/source are keys the caller builds (the TAXII API root URL and the
 * resolved collection id), so that one collection named two ways is one
 * memory. */

/* One published object version: its id and a version string (the caller's
 * choice; storm publish uses the source object's modified, else created). */
typedef struct storm_store_published {
    const char *id;
    const char *version;
} storm_store_published;

/* known[i] = whether items[i] was recorded as published to target. */
storm_rc storm_store_published_check(storm_store *s, const char *target, const storm_store_published *items, size_t n,
                                     bool *known, storm_err *err);
/* Record items[0..n) as published to target, in one transaction (or in the
 * caller's). Recording one twice is a no-op. */
storm_rc storm_store_published_add(storm_store *s, const char *target, const storm_store_published *items, size_t n,
                                   storm_err *err);
/* The resume position of a pull source (a TAXII timestamp), "" when none.
 * value: STORM_STORE_POSITION_MAX bytes. */
#define STORM_STORE_POSITION_MAX 40
storm_rc storm_store_pull_position_get(storm_store *s, const char *source, char value[STORM_STORE_POSITION_MAX],
                                       storm_err *err);
/* Set it (inside the caller's transaction when one is open, so that a page
 * of objects and its position are committed together). */
storm_rc storm_store_pull_position_set(storm_store *s, const char *source, const char *value, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
