/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded SQLite store: STIX objects by collection (versioned by
 * `modified`), shared by storm run (writer), storm serve (TAXII) and the
 * baseline. One file; WAL mode; writes in transactions. */
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
struct sqlite3;

typedef enum storm_store_flags {
    STORM_STORE_READWRITE = 0, /* create when missing, migrate the schema */
    STORM_STORE_READONLY = 1,
} storm_store_flags;

/* Default collections (aliases; each also has a stable UUID for TAXII). */
#define STORM_COLLECTION_INDICATORS "indicators"
#define STORM_COLLECTION_SIGHTINGS "sightings"
#define STORM_COLLECTION_OBSERVATIONS "observations"

/* Open or create; *out is owned (storm_store_close). */
storm_rc storm_store_open(const char *path, int flags, storm_store **out, storm_err *err);
void storm_store_close(storm_store *s);

storm_rc storm_store_begin(storm_store *s, storm_err *err);
storm_rc storm_store_commit(storm_store *s, storm_err *err);
storm_rc storm_store_rollback(storm_store *s);

/* Store one STIX object (must have type and id; SDOs/SROs their modified) in
 * the collection (alias or UUID). The same (id, modified) again is a no-op,
 * so re-processing is idempotent. *added tells whether it was new (may be NULL). */
storm_rc storm_store_put(storm_store *s, const char *collection, const storm_value *obj, bool *added,
                         storm_err *err);

/* The SQLite handle, for modules that keep tables of their own in the same
 * file (baseline profiles, detection state). Borrowed. */
struct sqlite3 *storm_store_db(storm_store *s);

#ifdef __cplusplus
}
#endif
#endif
