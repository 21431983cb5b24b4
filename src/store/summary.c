/* SPDX-License-Identifier: Apache-2.0 */
/* Totals for the web UI (storm/store_summary.h): counts by type, the
 * publish log per target, pull positions. Each is one grouped query. */
#include "store_int.h"

#include <storm/store_summary.h>

/* Step st to its end, calling row for each row; a non-zero from row stops
 * with STORM_ERR_STATE. st is reset either way. */
static storm_rc each_row(storm_store *s, store_stmt *st, int (*row)(store_stmt *st, void *ctx), void *ctx,
                         const char *what, storm_err *err)
{
    storm_rc rc = STORM_OK;
    int r;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        if (row(st, ctx)) {
            rc = storm_err_set(err, STORM_ERR_STATE, 0, "store: %s stopped by the caller", what);
            break;
        }
    }
    if (!rc && r != STORE_STEP_DONE)
        rc = store_db_err(s, err, what);
    store_reset(st);
    return rc;
}

typedef struct type_count_job {
    int (*fn)(void *ctx, const char *type, int64_t count);
    void *ctx;
} type_count_job;

static int type_count_row(store_stmt *st, void *ctx)
{
    type_count_job *j = ctx;
    return j->fn(j->ctx, (const char *)store_column_text(st, 0), store_column_int64(st, 1));
}

storm_rc storm_store_type_counts(storm_store *s, const char *collection,
                                 int (*fn)(void *ctx, const char *type, int64_t count), void *ctx, storm_err *err)
{
    int64_t rowid = 0;
    storm_rc rc = store_collection_resolve(s, collection, &rowid, err);
    if (rc)
        return rc;
    store_stmt *st = NULL;
    if ((rc = store_prepare_cached(s,
                                   "SELECT type, count(*) FROM objects WHERE collection = ?1 AND latest = 1 "
                                   "GROUP BY type ORDER BY type",
                                   &st, err)))
        return rc;
    store_bind_int64(st, 1, rowid);
    type_count_job j = {fn, ctx};
    return each_row(s, st, type_count_row, &j, "count objects by type", err);
}

typedef struct target_job {
    int (*fn)(void *ctx, const storm_store_publish_target *t);
    void *ctx;
} target_job;

static int target_row(store_stmt *st, void *ctx)
{
    target_job *j = ctx;
    storm_store_publish_target t = {
        .target = (const char *)store_column_text(st, 0),
        .objects = store_column_int64(st, 1),
        .first_published = (const char *)store_column_text(st, 2),
        .last_published = (const char *)store_column_text(st, 3),
    };
    return j->fn(j->ctx, &t);
}

storm_rc storm_store_publish_targets(storm_store *s, int (*fn)(void *ctx, const storm_store_publish_target *t),
                                     void *ctx, storm_err *err)
{
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s,
                                       "SELECT target, count(*), min(published), max(published) FROM publish_log "
                                       "GROUP BY target ORDER BY max(published) DESC",
                                       &st, err);
    if (rc)
        return rc;
    target_job j = {fn, ctx};
    return each_row(s, st, target_row, &j, "read the publish log", err);
}

typedef struct pull_job {
    int (*fn)(void *ctx, const char *source, const char *position);
    void *ctx;
} pull_job;

static int pull_row(store_stmt *st, void *ctx)
{
    pull_job *j = ctx;
    return j->fn(j->ctx, (const char *)store_column_text(st, 0), (const char *)store_column_text(st, 1));
}

storm_rc storm_store_pull_sources(storm_store *s, int (*fn)(void *ctx, const char *source, const char *position),
                                  void *ctx, storm_err *err)
{
    store_stmt *st = NULL;
    storm_rc rc = store_prepare_cached(s, "SELECT source, added_last FROM pull_state ORDER BY source", &st, err);
    if (rc)
        return rc;
    pull_job j = {fn, ctx};
    return each_row(s, st, pull_row, &j, "read the pull positions", err);
}
