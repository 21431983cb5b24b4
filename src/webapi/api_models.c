/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/models: the attack models as stored (intrusion-sets, attack-
 * patterns, indicators and their relationships; the browser draws the
 * tree as `storm models tree` does) with each indicator's sightings: how
 * many, the sum of their counts, the last time seen. */
#include "idmap.h"
#include "webapi_int.h"

#include <string.h>

typedef struct indicator_stats {
    const char *id;
    size_t sightings;
    long long count;
    const char *last_seen;
} indicator_stats;

typedef struct stats_ctx {
    storm_arena *arena;
    webapi_idmap map;
    indicator_stats *items;
    size_t n, alloc;
} stats_ctx;

static int add_sighting(void *ctx, const storm_value *s, const storm_store_row *row)
{
    (void)row;
    stats_ctx *sc = ctx;
    const char *of = storm_v_get_str(s, "sighting_of_ref");
    if (!of)
        return 0;
    size_t i;
    if (!webapi_idmap_get(&sc->map, of, &i)) {
        if (sc->n == sc->alloc) {
            size_t alloc = sc->alloc ? sc->alloc * 2 : 64;
            indicator_stats *items = storm_arena_alloc(sc->arena, alloc * sizeof *items);
            if (!items)
                return 1;
            if (sc->n)
                memcpy(items, sc->items, sc->n * sizeof *items);
            sc->items = items;
            sc->alloc = alloc;
        }
        i = sc->n++;
        sc->items[i] = (indicator_stats){.id = storm_arena_strdup(sc->arena, of)};
        if (!sc->items[i].id || !webapi_idmap_put(&sc->map, of, i))
            return 1;
    }
    indicator_stats *st = &sc->items[i];
    st->sightings++;
    const storm_value *count = storm_v_get(s, "count");
    st->count += count && count->type == STORM_V_INT ? count->u.i : 1;
    const char *last = storm_v_get_str(s, "last_seen");
    if (last && (!st->last_seen || strcmp(last, st->last_seen) > 0))
        st->last_seen = storm_arena_strdup(sc->arena, last);
    return 0;
}

typedef struct objects_ctx {
    storm_buf *b;
    bool first;
} objects_ctx;

static int put_object(void *ctx, const storm_store_row *row)
{
    objects_ctx *oc = ctx;
    storm_buf_puts(oc->b, oc->first ? "" : ",");
    oc->first = false;
    storm_buf_append(oc->b, row->json, row->json_len);
    return 0;
}

void webapi_get_models(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_INDICATORS, false))
        return;
    static const char *const types[] = {"intrusion-set", "attack-pattern", "indicator", "relationship"};
    storm_err err = {0};
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"objects\":[");
    objects_ctx oc = {b, true};
    bool truncated = false;
    if (webapi_walk(c->rq->store, STORM_COLLECTION_INDICATORS, types, 4, c->w->cfg.list_max * 4, put_object, &oc,
                    &truncated, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_printf(b, "],\"truncated\":%s,\"stats\":", truncated ? "true" : "false");
    if (!c->rq->can || !c->rq->can(c->rq->can_cls, STORM_COLLECTION_SIGHTINGS, false)) {
        storm_buf_puts(b, "null}");
        return;
    }
    stats_ctx sc = {.arena = c->arena};
    webapi_idmap_init(&sc.map, c->arena);
    bool stats_truncated = false;
    if (webapi_each_sighting(c->rq->store, 0, add_sighting, &sc, &stats_truncated, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    storm_buf_putc(b, '{');
    for (size_t i = 0; i < sc.n; i++) {
        const indicator_stats *st = &sc.items[i];
        storm_buf_puts(b, i ? "," : "");
        webapi_str(b, st->id);
        storm_buf_printf(b, ":{\"sightings\":%zu,\"count\":%lld,\"last_seen\":", st->sightings, st->count);
        webapi_str(b, st->last_seen);
        storm_buf_putc(b, '}');
    }
    storm_buf_puts(b, "}}");
}
