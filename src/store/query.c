/* SPDX-License-Identifier: Apache-2.0 */
/* Page queries and deletes over one collection (the TAXII filters).
 *
 * A page is `date_added > cursor ORDER BY date_added LIMIT n+1` on the
 * objects_by_added index: its cost is the page, never the collection. The
 * filters are extra conditions on the rows the range yields; match[version]
 * first/last are one objects_by_id probe per row. */
#include "store_int.h"

#include <storm/buf.h>

#define QUERY_SQL_MAX 8192

static storm_rc check_query(const storm_store_query *q, bool for_delete, storm_err *err)
{
    if (q->n_ids > STORM_STORE_QUERY_LIST_MAX || q->n_types > STORM_STORE_QUERY_LIST_MAX ||
        q->n_spec_versions > STORM_STORE_QUERY_LIST_MAX || q->n_versions > STORM_STORE_QUERY_LIST_MAX)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "store: more than %d values in one filter",
                             STORM_STORE_QUERY_LIST_MAX);
    if (!for_delete && (q->limit < 1 || q->limit > STORM_STORE_QUERY_LIMIT_MAX))
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "store: page size %zu is not in 1..%d", q->limit,
                             STORM_STORE_QUERY_LIMIT_MAX);
    if (for_delete && q->n_ids != 1)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: delete needs exactly one object id");
    return STORM_OK;
}

/* Numbered placeholders throughout: a bare '?' would take the number after
 * the largest used so far and collide with ?3 (the LIMIT). */
static void placeholder_list(storm_buf *sql, size_t n, int *next)
{
    for (size_t i = 0; i < n; i++)
        storm_buf_printf(sql, "%s?%d", i ? "," : "", (*next)++);
}

static void placeholders(storm_buf *sql, const char *column, size_t n, int *next)
{
    if (!n)
        return;
    storm_buf_printf(sql, " AND %s IN (", column);
    placeholder_list(sql, n, next);
    storm_buf_putc(sql, ')');
}

/* The match[version] condition; nothing when every version is wanted. */
static void version_clause(storm_buf *sql, const storm_store_query *q, bool default_all, int *next)
{
    unsigned f = q->version_flags;
    if (f & STORM_STORE_VERSION_ALL)
        return;
    if (!f && !q->n_versions) {
        if (default_all)
            return;
        f = STORM_STORE_VERSION_LAST;
    }
    const char *sep = "";
    storm_buf_puts(sql, " AND (");
    if (f & STORM_STORE_VERSION_LAST) {
        storm_buf_puts(sql, "o.latest = 1");
        sep = " OR ";
    }
    if (f & STORM_STORE_VERSION_FIRST) {
        storm_buf_printf(sql,
                         "%so.version = (SELECT min(i.version) FROM objects i"
                         " WHERE i.collection = o.collection AND i.id = o.id)",
                         sep);
        sep = " OR ";
    }
    if (q->n_versions) {
        storm_buf_printf(sql, "%so.version IN (", sep);
        placeholder_list(sql, q->n_versions, next);
        storm_buf_putc(sql, ')');
    }
    storm_buf_putc(sql, ')');
}

static int bind_list(store_stmt *st, int at, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_bind_text(st, at++, v[i]);
    return at;
}

/* Binds in the order the builders above emit placeholders. */
static void bind_filters(store_stmt *st, int at, const storm_store_query *q)
{
    at = bind_list(st, at, q->types, q->n_types);
    at = bind_list(st, at, q->ids, q->n_ids);
    at = bind_list(st, at, q->spec_versions, q->n_spec_versions);
    for (size_t i = 0; i < q->n_versions; i++)
        store_bind_int64(st, at++, q->versions[i]);
}

/* first: the number of the first filter placeholder. */
static void filters(storm_buf *sql, const storm_store_query *q, bool default_all, int first)
{
    int next = first;
    placeholders(sql, "o.type", q->n_types, &next);
    placeholders(sql, "o.id", q->n_ids, &next);
    placeholders(sql, "o.spec_version", q->n_spec_versions, &next);
    version_clause(sql, q, default_all, &next);
}

storm_rc store_query_sql(const storm_store_query *q, bool index_hints, storm_buf *sql)
{
    storm_buf_init(sql, QUERY_SQL_MAX);
    /* Without an id list the page must walk objects_by_added; with one,
     * objects_by_id bounds the work by the versions of the ids asked for
     * (then sorted). Both are forced: left to itself, SQLite walks
     * objects_by_added for an id too (to avoid the sort), which reads the
     * whole collection for one object. PostgreSQL has no index hints; its
     * planner weighs the two by the statistics. */
    storm_buf_printf(sql, "SELECT o.id, o.type, o.spec_version, o.version, o.date_added%s FROM objects o%s%s",
                     q->with_json ? ", o.json" : "", index_hints ? " INDEXED BY " : "",
                     !index_hints ? ""
                     : q->n_ids   ? "objects_by_id"
                                  : "objects_by_added");
    storm_buf_puts(sql, " WHERE o.collection = ?1 AND o.date_added > ?2");
    filters(sql, q, false, 4);
    return storm_buf_puts(sql, " ORDER BY o.date_added LIMIT ?3");
}

storm_rc storm_store_query_objects(storm_store *s, const storm_store_query *q, storm_store_row_fn fn, void *ctx,
                                   bool *more, int64_t *next_key, storm_err *err)
{
    bool more_local;
    if (!more)
        more = &more_local;
    *more = false;
    if (next_key)
        *next_key = 0;
    storm_rc rc = check_query(q, false, err);
    int64_t collection;
    if (rc || (rc = store_collection_resolve(s, q->collection, &collection, err)))
        return rc;
    storm_buf sql;
    if (store_query_sql(q, s->be->sqlite_dialect, &sql)) {
        storm_buf_free(&sql);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    }
    store_stmt *st;
    rc = store_prepare_cached(s, sql.data, &st, err);
    storm_buf_free(&sql);
    if (rc)
        return rc;
    int64_t after = q->added_after_us > q->after_key ? q->added_after_us : q->after_key;
    store_bind_int64(st, 1, collection);
    store_bind_int64(st, 2, after);
    store_bind_int64(st, 3, (int64_t)q->limit + 1);
    bind_filters(st, 4, q);
    size_t n = 0;
    int r;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        if (n == q->limit) {
            *more = true;
            break;
        }
        storm_store_row row = {
            .id = (const char *)store_column_text(st, 0),
            .type = (const char *)store_column_text(st, 1),
            .spec_version = (const char *)store_column_text(st, 2),
            .version = store_column_int64(st, 3),
            .date_added_us = store_column_int64(st, 4),
        };
        if (q->with_json) {
            row.json = (const char *)store_column_text(st, 5);
            row.json_len = (size_t)store_column_bytes(st, 5);
        }
        n++;
        if (next_key)
            *next_key = row.date_added_us;
        if (fn && fn(ctx, &row)) {
            rc = storm_err_set(err, STORM_ERR_STATE, 0, "store: query stopped by its caller");
            break;
        }
    }
    if (!rc && r != STORE_STEP_ROW && r != STORE_STEP_DONE)
        rc = store_db_err(s, err, "page query");
    store_reset(st);
    if (!*more && next_key)
        *next_key = 0;
    return rc;
}

typedef struct delete_job {
    const storm_store_query *q;
    int64_t collection;
    size_t deleted;
} delete_job;

static storm_rc delete_in_tx(storm_store *s, void *ctx, storm_err *err)
{
    delete_job *j = ctx;
    storm_buf sql;
    storm_buf_init(&sql, QUERY_SQL_MAX);
    /* one id (check_query): its versions, never the collection */
    storm_buf_printf(&sql, "DELETE FROM objects AS o%s WHERE o.collection = ?1 AND o.date_added > ?2",
                     s->be->sqlite_dialect ? " INDEXED BY objects_by_id" : "");
    filters(&sql, j->q, true, 3);
    if (!sql.data) {
        storm_buf_free(&sql);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    }
    store_stmt *st = NULL;
    storm_rc prc = store_prepare_once(s, sql.data, &st, err);
    storm_buf_free(&sql);
    if (prc)
        return prc;
    store_bind_int64(st, 1, j->collection);
    store_bind_int64(st, 2, j->q->added_after_us);
    bind_filters(st, 3, j->q);
    storm_rc rc = STORM_OK;
    if (store_step(st) != STORE_STEP_DONE)
        rc = store_db_err(s, err, "delete");
    else
        j->deleted = (size_t)store_changes(st);
    store_finalize(st);
    if (rc || !j->deleted)
        return rc;
    /* The newest remaining version (if any) becomes the latest. */
    static const char relatest[] =
        "UPDATE objects SET latest = CASE WHEN version = (SELECT max(i.version) FROM objects i"
        " WHERE i.collection = ?1 AND i.id = ?2) THEN 1 ELSE 0 END"
        " WHERE collection = ?1 AND id = ?2";
    if ((rc = store_prepare_once(s, relatest, &st, err)))
        return rc;
    store_bind_int64(st, 1, j->collection);
    store_bind_text(st, 2, j->q->ids[0]);
    if (store_step(st) != STORE_STEP_DONE)
        rc = store_db_err(s, err, "delete");
    store_finalize(st);
    return rc;
}

storm_rc storm_store_delete(storm_store *s, const storm_store_query *q, size_t *deleted, storm_err *err)
{
    if (deleted)
        *deleted = 0;
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0, "store: opened read-only");
    delete_job j = {.q = q};
    storm_rc rc = check_query(q, true, err);
    if (rc || (rc = store_collection_resolve(s, q->collection, &j.collection, err)))
        return rc;
    rc = store_in_transaction(s, delete_in_tx, &j, err);
    if (!rc && deleted)
        *deleted = j.deleted;
    return rc;
}
