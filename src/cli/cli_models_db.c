/* SPDX-License-Identifier: Apache-2.0 */
/* The attack models kept in a store: what storm pull fetched from other
 * clusters and what earlier runs stored, in the "indicators" collection. */
#include <limits.h>
#include <stdio.h>

#include <storm/store.h>

#include "cli.h"

typedef struct db_models {
    storm_models *m;
    storm_buf json; /* a JSON array of the objects to load */
    size_t n;
} db_models;

static int collect_row(void *ctx, const storm_store_row *row)
{
    db_models *dm = ctx;
    if (!row->json || storm_models_has_id(dm->m, row->id))
        return 0; /* the files given win: an earlier run stored them too */
    if (storm_buf_putc(&dm->json, dm->n ? ',' : '[') != STORM_OK ||
        storm_buf_append(&dm->json, row->json, row->json_len) != STORM_OK)
        return 1;
    dm->n++;
    return 0;
}

storm_rc cli_models_load_store(storm_models *m, storm_store *store, const char *name, size_t *n_found,
                               storm_err *err)
{
    static const char *const types[] = {"indicator", "attack-pattern", "relationship", "intrusion-set"};
    *n_found = 0;
    db_models dm = {m, {0}, 0};
    storm_buf_init(&dm.json, (size_t)1 << 30);
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_INDICATORS;
    q.types = types;
    q.n_types = sizeof types / sizeof types[0];
    q.version_flags = STORM_STORE_VERSION_LAST;
    q.limit = STORM_STORE_QUERY_LIMIT_MAX;
    q.with_json = true;
    storm_rc rc = STORM_OK;
    for (bool more = true; more && rc == STORM_OK;) {
        int64_t next = 0;
        rc = storm_store_query_objects(store, &q, collect_row, &dm, &more, &next, err);
        q.after_key = next;
    }
    if (rc == STORM_ERR_NOTFOUND) { /* no indicators collection yet: no models, not an error */
        storm_err_clear(err);
        rc = STORM_OK;
    }
    if (rc == STORM_OK && dm.n) {
        char where[PATH_MAX + 32];
        snprintf(where, sizeof where, "%s#indicators", name);
        rc = storm_buf_putc(&dm.json, ']');
        if (rc == STORM_OK)
            rc = storm_models_load_text(m, where, dm.json.data, dm.json.len, err);
    }
    *n_found = dm.n;
    storm_buf_free(&dm.json);
    return rc;
}
