/* SPDX-License-Identifier: Apache-2.0 */
/* Collections: lookup by alias or UUID, listing, creation. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <storm/uuid.h>

#define COLLECTION_COLUMNS "key, id, coalesce(alias, ''), title, description, media_types, can_read, can_write"

static void copy_text(char *dst, size_t cap, store_stmt *st, int col)
{
    const char *t = (const char *)store_column_text(st, col);
    snprintf(dst, cap, "%s", t ? t : "");
}

static int64_t read_collection(store_stmt *st, storm_store_collection *c)
{
    copy_text(c->id, sizeof c->id, st, 1);
    copy_text(c->alias, sizeof c->alias, st, 2);
    copy_text(c->title, sizeof c->title, st, 3);
    copy_text(c->description, sizeof c->description, st, 4);
    copy_text(c->media_types, sizeof c->media_types, st, 5);
    c->can_read = store_column_int64(st, 6) != 0;
    c->can_write = store_column_int64(st, 7) != 0;
    return store_column_int64(st, 0);
}

/* Find by alias or id; *rowid and (when out is non-NULL) the collection. */
static storm_rc lookup(storm_store *s, const char *key, int64_t *rowid, storm_store_collection *out, storm_err *err)
{
    storm_rc prc = store_prepare(s, &s->st_collection_find,
                                 "SELECT " COLLECTION_COLUMNS " FROM collections WHERE id = ?1 OR alias = ?1", err);
    if (prc)
        return prc;
    store_stmt *st = s->st_collection_find;
    store_bind_text(st, 1, key);
    storm_rc rc;
    int r = store_step(st);
    if (r == STORE_STEP_ROW) {
        storm_store_collection tmp;
        *rowid = read_collection(st, out ? out : &tmp);
        rc = STORM_OK;
    } else if (r == STORE_STEP_DONE) {
        rc = storm_err_set(err, STORM_ERR_NOTFOUND, 0, "store: no collection '%s'", key);
    } else {
        rc = store_db_err(s, err, "find collection");
    }
    store_reset(st);
    return rc;
}

storm_rc store_collection_resolve(storm_store *s, const char *id_or_alias, int64_t *rowid, storm_err *err)
{
    if (!id_or_alias || !*id_or_alias)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: no collection given");
    for (size_t i = 0; i < s->n_collections; i++) {
        store_collection_key *k = &s->collections[i];
        if (strcmp(k->id, id_or_alias) == 0 || (k->alias[0] && strcmp(k->alias, id_or_alias) == 0)) {
            *rowid = k->rowid;
            return STORM_OK;
        }
    }
    storm_store_collection c;
    storm_rc rc = lookup(s, id_or_alias, rowid, &c, err);
    if (rc)
        return rc;
    if (s->n_collections < STORE_COLLECTION_CACHE) {
        store_collection_key *k = &s->collections[s->n_collections++];
        k->rowid = *rowid;
        snprintf(k->id, sizeof k->id, "%s", c.id);
        snprintf(k->alias, sizeof k->alias, "%s", c.alias);
    }
    return STORM_OK;
}

storm_rc storm_store_collection_find(storm_store *s, const char *id_or_alias, storm_store_collection *out,
                                     storm_err *err)
{
    int64_t rowid;
    if (!id_or_alias || !*id_or_alias)
        return storm_err_set(err, STORM_ERR_NOTFOUND, 0, "store: no collection given");
    return lookup(s, id_or_alias, &rowid, out, err);
}

storm_rc storm_store_collections(storm_store *s, storm_store_collection *out, size_t cap, size_t *n, storm_err *err)
{
    store_stmt *st = NULL;
    *n = 0;
    storm_rc prc = store_prepare_once(s, "SELECT " COLLECTION_COLUMNS " FROM collections ORDER BY key", &st, err);
    if (prc)
        return prc;
    int r;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        if (*n < cap)
            read_collection(st, &out[*n]);
        (*n)++;
    }
    storm_rc rc = r == STORE_STEP_DONE ? STORM_OK : store_db_err(s, err, "list collections");
    store_finalize(st);
    return rc;
}

static void random_uuid(char out[STORM_STORE_ID_MAX])
{
    unsigned char b[16] = {0};
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    storm_uuid_format(b, 4, out);
}

storm_rc storm_store_collection_create(storm_store *s, storm_store_collection *c, storm_err *err)
{
    if (!c->title[0])
        return storm_err_set(err, STORM_ERR_VALUE, 0, "store: a collection needs a title");
    if (!c->id[0])
        random_uuid(c->id);
    store_stmt *st = NULL;
    storm_rc prc =
        store_prepare_once(s,
                           "INSERT INTO collections(id, alias, title, description, media_types, can_read, can_write)"
                           " VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?)",
                           &st, err);
    if (prc)
        return prc;
    store_bind_text(st, 1, c->id);
    store_bind_text(st, 2, c->alias);
    store_bind_text(st, 3, c->title);
    store_bind_text(st, 4, c->description);
    store_bind_text(st, 5, c->media_types[0] ? c->media_types : "application/stix+json;version=2.1");
    store_bind_int64(st, 6, c->can_read);
    store_bind_int64(st, 7, c->can_write);
    storm_rc rc = store_step(st) == STORE_STEP_DONE ? STORM_OK : store_db_err(s, err, "create collection");
    store_finalize(st);
    return rc;
}
