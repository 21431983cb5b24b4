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
    storm_rc rc =
        store_prepare(s, &s->st_status_put, "INSERT OR REPLACE INTO status(id, created, json) VALUES (?, ?, ?)", err);
    if (rc)
        return rc;
    sqlite3_bind_text(s->st_status_put, 1, j->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->st_status_put, 2, store_now_us());
    sqlite3_bind_text(s->st_status_put, 3, j->json, (int)j->len, SQLITE_STATIC);
    int r = sqlite3_step(s->st_status_put);
    sqlite3_reset(s->st_status_put);
    if (r != SQLITE_DONE)
        return store_sqlite_err(s, err, "store status");
    /* key grows monotonically: everything below the newest KEEP goes. */
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM status WHERE key <= (SELECT max(key) FROM status) - %d", STORE_STATUS_KEEP);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_sqlite_err(s, err, "trim status");
    return STORM_OK;
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
    sqlite3_stmt *st = s->st_status_get;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        const void *p = sqlite3_column_blob(st, 0);
        *json = malloc(n + 1);
        if (!*json) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
        } else {
            if (n)
                memcpy(*json, p, n);
            (*json)[n] = '\0';
            *len = n;
        }
    } else if (r == SQLITE_DONE) {
        rc = storm_err_set(err, STORM_ERR_NOTFOUND, 0, "store: no status '%s'", id);
    } else {
        rc = store_sqlite_err(s, err, "read status");
    }
    sqlite3_reset(st);
    return rc;
}
