/* SPDX-License-Identifier: Apache-2.0 */
/* Attack sessions in the store (storm/session.h makes them, storm run
 * keeps them here, storm sessions and storm report read them): one row per
 * session, its stored JSON form (storm_session_to_json) beside the columns
 * queries filter on. The table comes with store migration 4. */
#ifndef STORM_STORE_SESSION_H
#define STORM_STORE_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Insert or replace session id (times in ns since the epoch). Inside the
 * caller's transaction when one is open. */
storm_rc storm_store_session_put(storm_store *s, const char *id, int64_t first_seen, int64_t last_seen,
                                 const char *json, size_t len, storm_err *err);
/* Remove session id (merged into another, or renamed); absent is not an error. */
storm_rc storm_store_session_delete(storm_store *s, const char *id, storm_err *err);

/* One stored session; pointers valid during the callback only. */
typedef struct storm_store_session_row {
    const char *id;
    int64_t first_seen, last_seen;
    const char *json;
    size_t json_len;
} storm_store_session_row;

/* Return non-zero to stop. */
typedef int (*storm_store_session_fn)(void *ctx, const storm_store_session_row *row);

/* Sessions whose last_seen >= since (0: all), or only id (non-NULL), in
 * order of first_seen then id. A store without the table has none. */
storm_rc storm_store_sessions(storm_store *s, int64_t since, const char *id, storm_store_session_fn fn, void *ctx,
                              storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
