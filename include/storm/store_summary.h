/* SPDX-License-Identifier: Apache-2.0 */
/* Summaries of the store for the web UI (and any reader that wants totals
 * rather than objects): objects per type in a collection, what storm publish
 * sent where, where storm pull stopped. Read-only. */
#ifndef STORM_STORE_SUMMARY_H
#define STORM_STORE_SUMMARY_H

#include <stdint.h>
#include <storm/err.h>
#include <storm/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Latest versions per object type in the collection (alias or UUID), by
 * type name. Strings are valid during the callback only; a callback
 * returning non-zero stops (STORM_ERR_STATE). STORM_ERR_NOTFOUND for an
 * unknown collection. */
storm_rc storm_store_type_counts(storm_store *s, const char *collection,
                                 int (*fn)(void *ctx, const char *type, int64_t count), void *ctx, storm_err *err);

/* One target of the publish log: how many object versions went there, and
 * when the first and the last were recorded (ISO 8601 UTC). */
typedef struct storm_store_publish_target {
    const char *target;
    int64_t objects;
    const char *first_published;
    const char *last_published;
} storm_store_publish_target;

/* Every publish target, most recent first. */
storm_rc storm_store_publish_targets(storm_store *s, int (*fn)(void *ctx, const storm_store_publish_target *t),
                                     void *ctx, storm_err *err);
/* Every pull source with its resume position. */
storm_rc storm_store_pull_sources(storm_store *s, int (*fn)(void *ctx, const char *source, const char *position),
                                  void *ctx, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
