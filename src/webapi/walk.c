/* SPDX-License-Identifier: Apache-2.0 */
/* Walking a collection's latest objects page by page (the store's indexed
 * page query), and looking objects up by id, for every endpoint. */
#include "webapi_int.h"

#define WALK_PAGE 1000

typedef struct walk_ctx {
    storm_store_row_fn fn;
    void *ctx;
    size_t seen, max;
    bool stopped_by_fn, stopped_by_max;
} walk_ctx;

static int walk_row(void *ctx, const storm_store_row *row)
{
    walk_ctx *wc = ctx;
    if (wc->max && wc->seen >= wc->max) {
        wc->stopped_by_max = true;
        return 1;
    }
    wc->seen++;
    if (wc->fn(wc->ctx, row)) {
        wc->stopped_by_fn = true;
        return 1;
    }
    return 0;
}

storm_rc webapi_walk(storm_store *st, const char *collection, const char *const *types, size_t n_types, size_t max,
                     storm_store_row_fn fn, void *ctx, bool *truncated, storm_err *err)
{
    walk_ctx wc = {.fn = fn, .ctx = ctx, .max = max};
    storm_store_query q = {.collection = collection,
                           .types = types,
                           .n_types = n_types,
                           .version_flags = STORM_STORE_VERSION_LAST,
                           .limit = WALK_PAGE,
                           .with_json = true};
    if (truncated)
        *truncated = false;
    for (;;) {
        bool more = false;
        int64_t next = 0;
        storm_rc rc = storm_store_query_objects(st, &q, walk_row, &wc, &more, &next, err);
        if (wc.stopped_by_fn || wc.stopped_by_max) {
            if (truncated)
                *truncated = wc.stopped_by_max;
            storm_err_clear(err);
            return STORM_OK;
        }
        if (rc)
            return rc;
        if (!more)
            return STORM_OK;
        q.after_key = next;
    }
}

storm_rc webapi_lookup(storm_store *st, const char *collection, const char *const *ids, size_t n, storm_store_row_fn fn,
                       void *ctx, storm_err *err)
{
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > STORM_STORE_QUERY_LIST_MAX ? STORM_STORE_QUERY_LIST_MAX : n - done;
        storm_store_query q = {.collection = collection,
                               .ids = ids + done,
                               .n_ids = k,
                               .version_flags = STORM_STORE_VERSION_LAST,
                               .limit = STORM_STORE_QUERY_LIMIT_MAX,
                               .with_json = true};
        storm_rc rc = storm_store_query_objects(st, &q, fn, ctx, NULL, NULL, err);
        if (rc == STORM_ERR_STATE) {
            storm_err_clear(err);
            return STORM_OK; /* fn stopped */
        }
        if (rc)
            return rc;
        done += k;
    }
    return STORM_OK;
}
