/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII status resources, kept as JSON text. The table is capped: the
 * oldest are dropped past STORE_STATUS_KEEP so that a client posting
 * forever cannot grow it without bound. */
#include "store_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct status_job {
    const char *id;
    const char *json;
    size_t len;
} status_job;

static storm_rc status_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    status_job *j = ctx;
    storm_rc rc = store_prepare(s, &s->st_status_put,
                                "INSERT INTO status(id, created, json) VALUES (?1, ?2, ?3)"
                                " ON CONFLICT(id) DO UPDATE SET created = excluded.created, json = excluded.json",
                                err);
    if (rc)
        return rc;
    store_bind_text(s->st_status_put, 1, j->id);
    store_bind_int64(s->st_status_put, 2, store_now_us());
    store_bind_textn(s->st_status_put, 3, j->json, j->len);
    int r = store_step(s->st_status_put);
    store_reset(s->st_status_put);
    if (r != STORE_STEP_DONE)
        return store_db_err(s, err, "store status");
    /* key grows monotonically: everything below the newest KEEP goes. */
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM status WHERE key <= (SELECT max(key) FROM status) - %d", STORE_STATUS_KEEP);
    return store_exec(s, sql, err);
}

storm_rc storm_store_status_put(storm_store *s, const char *id, const char *json, size_t len, storm_err *err)
{
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    if (len > (size_t)1 << 28)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "store: status resource too large");
    status_job j = {id, json, len};
    return store_in_transaction(s, status_in_tx, &j, err);
}

storm_rc storm_store_status_get(storm_store *s, const char *id, char **json, size_t *len, storm_err *err)
{
    *json = NULL;
    *len = 0;
    storm_rc rc = store_prepare(s, &s->st_status_get, "SELECT json FROM status WHERE id = ?", err);
    if (rc)
        return rc;
    store_stmt *st = s->st_status_get;
    store_bind_text(st, 1, id);
    int r = store_step(st);
    if (r == STORE_STEP_ROW) {
        size_t n = (size_t)store_column_bytes(st, 0);
        const char *p = store_column_text(st, 0);
        *json = malloc(n + 1);
        if (!*json) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
        } else {
            if (n)
                memcpy(*json, p, n);
            (*json)[n] = '\0';
            *len = n;
        }
    } else if (r == STORE_STEP_DONE) {
        rc = storm_err_set(err, STORM_ERR_NOTFOUND, 0, "store: no status '%s'", id);
    } else {
        rc = store_db_err(s, err, "read status");
    }
    store_reset(st);
    return rc;
}
