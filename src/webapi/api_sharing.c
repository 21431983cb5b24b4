/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/sharing: the TAXII collections this user reads (with what they
 * hold and the TLP markings their objects carry), where storm publish sent
 * objects and when, and where storm pull stopped. */
#include "webapi_int.h"

#include <stdlib.h>
#include <string.h>
#include <storm/json.h>
#include <storm/share.h>
#include <storm/store_summary.h>

#define MARKINGS_MAX 16
#define MARKING_SCAN_MAX 20000 /* objects read per collection to list its markings */

typedef struct marking_scan {
    storm_arena *arena;
    const char *ids[MARKINGS_MAX];
    size_t counts[MARKINGS_MAX];
    size_t n;
} marking_scan;

static int scan_markings(void *ctx, const storm_store_row *row)
{
    marking_scan *m = ctx;
    const char *at = row->json_len ? strstr(row->json, "\"object_marking_refs\"") : NULL;
    if (!at)
        return 0;
    storm_arena_reset(m->arena);
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(m->arena, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    const storm_value *refs = storm_v_get(v, "object_marking_refs");
    for (size_t i = 0; refs && refs->type == STORM_V_ARRAY && i < refs->u.a.len; i++) {
        const storm_value *r = refs->u.a.items[i];
        if (r->type != STORM_V_STRING)
            continue;
        size_t k = 0;
        while (k < m->n && strcmp(m->ids[k], r->u.s.ptr) != 0)
            k++;
        if (k == m->n) {
            if (m->n == MARKINGS_MAX)
                continue;
            m->ids[m->n++] = strdup(r->u.s.ptr);
            if (!m->ids[k]) {
                m->n--;
                continue;
            }
        }
        m->counts[k]++;
    }
    return 0;
}

/* The TLP 2.0 name of a marking id, NULL for another marking. */
static const char *tlp_name(const char *id)
{
    static const storm_tlp all[] = {STORM_TLP_CLEAR, STORM_TLP_GREEN, STORM_TLP_AMBER, STORM_TLP_AMBER_STRICT,
                                    STORM_TLP_RED};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(storm_tlp_marking_id(all[i]), id) == 0)
            return storm_tlp_name(all[i]);
    return NULL;
}

typedef struct list_out {
    storm_buf *b;
    size_t n;
} list_out;

static int put_count(void *ctx, const char *type, int64_t n)
{
    list_out *o = ctx;
    storm_buf_puts(o->b, o->n++ ? "," : "");
    webapi_str(o->b, type);
    storm_buf_printf(o->b, ":%lld", (long long)n);
    return 0;
}

static int put_target(void *ctx, const storm_store_publish_target *t)
{
    list_out *o = ctx;
    storm_buf_puts(o->b, o->n++ ? ",{\"target\":" : "{\"target\":");
    webapi_str(o->b, t->target);
    storm_buf_printf(o->b, ",\"objects\":%lld,\"first_published\":", (long long)t->objects);
    webapi_str(o->b, t->first_published);
    storm_buf_puts(o->b, ",\"last_published\":");
    webapi_str(o->b, t->last_published);
    storm_buf_putc(o->b, '}');
    return 0;
}

static int put_pull(void *ctx, const char *source, const char *position)
{
    list_out *o = ctx;
    storm_buf_puts(o->b, o->n++ ? ",{\"source\":" : "{\"source\":");
    webapi_str(o->b, source);
    storm_buf_puts(o->b, ",\"added_last\":");
    webapi_str(o->b, position);
    storm_buf_putc(o->b, '}');
    return 0;
}

void webapi_get_sharing(webapi_call *c)
{
    storm_store_collection colls[64];
    size_t n = 0;
    storm_err err = {0};
    if (storm_store_collections(c->rq->store, colls, 64, &n, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    if (n > 64)
        n = 64;
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"collections\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = colls[i].alias[0] ? colls[i].alias : colls[i].id;
        if (!c->rq->can || !c->rq->can(c->rq->can_cls, name, false))
            continue;
        storm_buf_puts(b, shown++ ? ",{\"id\":" : "{\"id\":");
        webapi_str(b, colls[i].id);
        storm_buf_puts(b, ",\"alias\":");
        webapi_str(b, colls[i].alias);
        storm_buf_puts(b, ",\"title\":");
        webapi_str(b, colls[i].title);
        storm_buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"types\":{",
                         c->rq->can(c->rq->can_cls, name, false) ? "true" : "false",
                         c->rq->can(c->rq->can_cls, name, true) ? "true" : "false");
        list_out lo = {b, 0};
        storm_store_type_counts(c->rq->store, colls[i].id, put_count, &lo, &err);
        storm_buf_puts(b, "},\"markings\":[");
        marking_scan ms = {.arena = storm_arena_new(16384, (size_t)64 << 20)};
        bool capped = false;
        if (ms.arena)
            webapi_walk(c->rq->store, colls[i].id, NULL, 0, MARKING_SCAN_MAX, scan_markings, &ms, &capped, &err);
        for (size_t k = 0; k < ms.n; k++) {
            storm_buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
            webapi_str(b, ms.ids[k]);
            const char *tlp = tlp_name(ms.ids[k]);
            storm_buf_puts(b, ",\"name\":");
            if (tlp)
                webapi_str(b, tlp);
            else
                storm_buf_puts(b, "null");
            storm_buf_printf(b, ",\"objects\":%zu}", ms.counts[k]);
            free((void *)ms.ids[k]);
        }
        storm_arena_free(ms.arena);
        storm_buf_printf(b, "],\"markings_sampled\":%s}", capped ? "true" : "false");
    }
    storm_buf_puts(b, "],\"published\":");
    bool log_ok = c->rq->can && c->rq->can(c->rq->can_cls, STORM_COLLECTION_SIGHTINGS, false);
    if (log_ok) {
        storm_buf_putc(b, '[');
        list_out lo = {b, 0};
        storm_err_clear(&err);
        storm_store_publish_targets(c->rq->store, put_target, &lo, &err);
        storm_buf_puts(b, "],\"pulled\":[");
        lo.n = 0;
        storm_store_pull_sources(c->rq->store, put_pull, &lo, &err);
        storm_buf_putc(b, ']');
    } else
        storm_buf_puts(b, "null,\"pulled\":null");
    storm_buf_putc(b, '}');
}
