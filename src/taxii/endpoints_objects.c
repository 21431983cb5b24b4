/* SPDX-License-Identifier: Apache-2.0 */
/* Objects, one object, versions, manifest, DELETE and POST of envelopes.
 * Pages are written straight from the stored JSON text: a GET parses
 * nothing and copies each object once. */
#include "taxii_int.h"

#include <stdio.h>
#include <string.h>
#include <storm/json.h>
#include <storm/time.h>

typedef enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS } page_kind;

typedef struct page {
    taxii_call *c;
    page_kind kind;
    size_t rows;
    int64_t first_us, last_us;
    bool truncated; /* stopped at TAXII_RESPONSE_MAX */
} page;

static int page_row(void *ctx, const storm_store_row *row)
{
    page *p = ctx;
    storm_buf *b = &p->c->rs->body;
    char ts[40];
    size_t need = (row->json ? row->json_len : 0) + 512;
    if (b->len + need > TAXII_RESPONSE_MAX - 64 && p->rows > 0) {
        p->truncated = true;
        return 1;
    }
    storm_buf_putc(b, p->rows ? ',' : '[');
    switch (p->kind) {
    case PAGE_OBJECTS: storm_buf_append(b, row->json, row->json_len); break;
    case PAGE_MANIFEST:
        storm_buf_puts(b, "{\"id\":");
        storm_json_write_string(b, row->id, strlen(row->id));
        taxii_format_us(row->date_added_us, ts);
        storm_buf_printf(b, ",\"date_added\":\"%s\"", ts);
        taxii_format_ns(row->version, ts);
        storm_buf_printf(b, ",\"version\":\"%s\",\"media_type\":", ts);
        {
            char mt[96];
            snprintf(mt, sizeof mt, "application/stix+json;version=%s", row->spec_version);
            storm_json_write_string(b, mt, strlen(mt));
        }
        storm_buf_putc(b, '}');
        break;
    case PAGE_VERSIONS:
        taxii_format_ns(row->version, ts);
        storm_buf_printf(b, "\"%s\"", ts);
        break;
    }
    if (!p->rows)
        p->first_us = row->date_added_us;
    p->last_us = row->date_added_us;
    p->rows++;
    return 0;
}

/* Run q and write {"<list>":[...],"more":..,"next":..}; false on an error
 * (rs holds it). Empty results give {"more":false} unless empty_is_404. */
static bool write_page(taxii_call *c, storm_store_query *q, page_kind kind, bool empty_is_404)
{
    page p = {.c = c, .kind = kind};
    storm_buf *b = &c->rs->body;
    static const char *const list_key[] = {"objects", "objects", "versions"};
    size_t start = b->len;
    storm_buf_printf(b, "{\"%s\":", list_key[kind]);
    bool more = false;
    int64_t next = 0;
    storm_err err = {0};
    storm_rc rc = storm_store_query_objects(c->store, q, page_row, &p, &more, &next, &err);
    if (rc && !(rc == STORM_ERR_STATE && p.truncated))
        return taxii_error(c->rs, 500, "Store error", "%s", err.msg);
    if (p.truncated) {
        more = true;
        next = p.last_us;
    }
    if (p.rows == 0) {
        if (empty_is_404)
            return taxii_error(c->rs, 404, "Not found", "no object '%s' matches in this collection",
                               c->object_id ? c->object_id : "");
        b->len = start;
        b->data[start] = '\0';
        storm_buf_puts(b, "{\"more\":false}");
        return true;
    }
    storm_buf_puts(b, "],\"more\":");
    if (more)
        storm_buf_printf(b, "true,\"next\":\"%lld\"}", (long long)next);
    else
        storm_buf_puts(b, "false}");
    if (!b->data)
        return taxii_error(c->rs, 500, "Out of memory", "cannot build the response");
    taxii_format_us(p.first_us, c->rs->added_first);
    taxii_format_us(p.last_us, c->rs->added_last);
    return true;
}

#define ALL_FILTERS                                                                                                    \
    (TAXII_FILTER_ADDED_AFTER | TAXII_FILTER_ID | TAXII_FILTER_TYPE | TAXII_FILTER_VERSION |                           \
     TAXII_FILTER_SPEC_VERSION | TAXII_FILTER_PAGE)

void taxii_get_objects(taxii_call *c)
{
    storm_store_query q = {.collection = c->collection.id, .with_json = true};
    if (taxii_params_query(c->ctx, c->rq, ALL_FILTERS, c->arena, &q, c->rs))
        write_page(c, &q, PAGE_OBJECTS, false);
}

void taxii_get_manifest(taxii_call *c)
{
    storm_store_query q = {.collection = c->collection.id};
    if (taxii_params_query(c->ctx, c->rq, ALL_FILTERS, c->arena, &q, c->rs))
        write_page(c, &q, PAGE_MANIFEST, false);
}

void taxii_get_object(taxii_call *c)
{
    storm_store_query q = {.collection = c->collection.id, .with_json = true};
    if (!taxii_params_query(c->ctx, c->rq,
                            TAXII_FILTER_ADDED_AFTER | TAXII_FILTER_VERSION | TAXII_FILTER_SPEC_VERSION |
                                TAXII_FILTER_PAGE,
                            c->arena, &q, c->rs))
        return;
    q.ids = &c->object_id;
    q.n_ids = 1;
    write_page(c, &q, PAGE_OBJECTS, true);
}

void taxii_get_versions(taxii_call *c)
{
    storm_store_query q = {.collection = c->collection.id};
    if (!taxii_params_query(c->ctx, c->rq, TAXII_FILTER_ADDED_AFTER | TAXII_FILTER_SPEC_VERSION | TAXII_FILTER_PAGE,
                            c->arena, &q, c->rs))
        return;
    q.ids = &c->object_id;
    q.n_ids = 1;
    q.version_flags = STORM_STORE_VERSION_ALL;
    write_page(c, &q, PAGE_VERSIONS, true);
}

void taxii_delete_object(taxii_call *c)
{
    storm_store_query q = {.collection = c->collection.id};
    if (!taxii_params_query(c->ctx, c->rq, TAXII_FILTER_VERSION | TAXII_FILTER_SPEC_VERSION, c->arena, &q, c->rs))
        return;
    q.ids = &c->object_id;
    q.n_ids = 1;
    size_t deleted = 0;
    storm_err err = {0};
    if (storm_store_delete(c->store, &q, &deleted, &err)) {
        taxii_error(c->rs, 500, "Store error", "%s", err.msg);
        return;
    }
    if (deleted == 0) {
        taxii_error(c->rs, 404, "Not found", "no object '%s' matches in this collection", c->object_id);
        return;
    }
    c->rs->status = 200;
}

/* ---- POST ---------------------------------------------------------------- */

typedef struct status_lists {
    storm_buf successes, failures;
    size_t n_ok, n_failed;
} status_lists;

static void add_detail(storm_buf *b, size_t n, const char *id, const char *version, const char *message)
{
    storm_buf_putc(b, n ? ',' : '[');
    storm_buf_puts(b, "{\"id\":");
    storm_json_write_string(b, id, strlen(id));
    storm_buf_puts(b, ",\"version\":");
    storm_json_write_string(b, version, strlen(version));
    if (message) {
        storm_buf_puts(b, ",\"message\":");
        storm_json_write_string(b, message, strlen(message));
    }
    storm_buf_putc(b, '}');
}

/* The version a status detail names: modified, else created, else the
 * request time (objects without either have one version, stored at once). */
static const char *detail_version(const storm_value *obj, const char *request_ts)
{
    const char *m = storm_v_get_str(obj, "modified");
    if (!m)
        m = storm_v_get_str(obj, "created");
    return m ? m : request_ts;
}

static void post_one(taxii_call *c, const storm_value *obj, size_t index, const char *request_ts, status_lists *st)
{
    const char *id = storm_v_get_str(obj, "id");
    char fallback[64];
    if (!id) {
        snprintf(fallback, sizeof fallback, "objects[%zu]", index);
        id = fallback;
    }
    const char *version = obj->type == STORM_V_OBJECT ? detail_version(obj, request_ts) : request_ts;
    char why[256];
    if (!taxii_stix_check(obj, why, sizeof why)) {
        add_detail(&st->failures, st->n_failed++, id, version, why);
        return;
    }
    storm_err err = {0};
    bool added = false;
    int64_t stored = 0;
    storm_rc rc = storm_store_put_versioned(c->store, c->collection.id, obj, &added, &stored, &err);
    if (rc) {
        add_detail(&st->failures, st->n_failed++, id, version, err.msg);
        return;
    }
    char ts[40];
    if (version == request_ts) { /* no modified/created: the version is the stored date_added */
        taxii_format_ns(stored, ts);
        version = ts;
    }
    add_detail(&st->successes, st->n_ok++, id, version, added ? NULL : "already present");
}

void taxii_post_objects(taxii_call *c)
{
    const taxii_request *rq = c->rq;
    storm_value *env = NULL;
    storm_err err = {0};
    storm_rc rc = storm_json_parse(c->arena, rq->body, rq->body_len, STORM_JSON_DEFAULT, &env, NULL, &err);
    if (rc == STORM_ERR_LIMIT) { /* nesting depth: the body is bad, not big */
        storm_err_locate(&err, rq->body, rq->body_len);
        taxii_error(c->rs, 400, "Malformed JSON", "line %u, column %u (byte %zu): %s", err.line, err.col, err.offset,
                    err.msg);
        return;
    }
    if (rc == STORM_ERR_NOMEM) {
        taxii_error(c->rs, 413, "Request too large", "the envelope is too large to process: %s", err.msg);
        return;
    }
    if (rc) {
        storm_err_locate(&err, rq->body, rq->body_len);
        taxii_error(c->rs, 400, "Malformed JSON", "line %u, column %u (byte %zu): %s", err.line, err.col, err.offset,
                    err.msg);
        return;
    }
    storm_value *objects = env->type == STORM_V_OBJECT ? storm_v_get(env, "objects") : NULL;
    if (env->type != STORM_V_OBJECT || (storm_v_get(env, "objects") && (!objects || objects->type != STORM_V_ARRAY))) {
        taxii_error(c->rs, 400, "Not an envelope", "the body must be a TAXII envelope: {\"objects\": [...]}");
        return;
    }
    size_t n = objects ? objects->u.a.len : 0;
    if (n > c->ctx->cfg.max_envelope_objects) {
        taxii_error(c->rs, 413, "Too many objects", "the envelope holds %zu objects; at most %zu are accepted", n,
                    c->ctx->cfg.max_envelope_objects);
        return;
    }
    char status_id[40], request_ts[40];
    taxii_uuid4(status_id);
    storm_time_format(taxii_now_ns(), 6, request_ts);
    status_lists st = {0};
    storm_buf_init(&st.successes, TAXII_RESPONSE_MAX / 2);
    storm_buf_init(&st.failures, TAXII_RESPONSE_MAX / 2);
    /* One transaction per envelope: its objects appear together, and a
     * hundred objects cost one commit. */
    if ((rc = storm_store_begin(c->store, &err))) {
        taxii_error(c->rs, 503, "Store busy", "%s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        post_one(c, objects->u.a.items[i], i, request_ts, &st);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"id\":");
    storm_json_write_string(b, status_id, strlen(status_id));
    storm_buf_printf(b, ",\"status\":\"complete\",\"request_timestamp\":\"%s\",\"total_count\":%zu", request_ts, n);
    storm_buf_printf(b, ",\"success_count\":%zu", st.n_ok);
    if (st.n_ok) {
        storm_buf_puts(b, ",\"successes\":");
        storm_buf_append(b, st.successes.data, st.successes.len);
        storm_buf_putc(b, ']');
    }
    storm_buf_printf(b, ",\"failure_count\":%zu", st.n_failed);
    if (st.n_failed) {
        storm_buf_puts(b, ",\"failures\":");
        storm_buf_append(b, st.failures.data, st.failures.len);
        storm_buf_putc(b, ']');
    }
    storm_buf_puts(b, ",\"pending_count\":0}");
    /* Stored under "user/id": a status is shown to the user who posted
     * only (it names objects, maybe of collections others cannot read). */
    char key[STORM_USERS_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s/%s", c->user, status_id);
    if (!b->data || storm_store_status_put(c->store, key, b->data, b->len, &err) ||
        storm_store_commit(c->store, &err)) {
        storm_store_rollback(c->store);
        taxii_error(c->rs, 500, "Store error", "the envelope was not stored: %s",
                    err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    c->rs->status = 202;
out:
    storm_buf_free(&st.successes);
    storm_buf_free(&st.failures);
}
