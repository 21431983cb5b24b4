/* SPDX-License-Identifier: Apache-2.0 */
/* Sighting updates held back from the output until the next flush point
 * (every store batch of records, the end of an input, a drained --listen
 * queue, exit): a sighting that gains evidence many times in that span is
 * written once, as its last version, carrying every observation and SCO the
 * versions it replaces brought. A sighting's first version is written at
 * once: an alert must not wait. Each bundle was a self-contained ~10 KB
 * write per matched observation, the largest part of a busy run's output. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

#define HELD_MIN_SLOTS 256
#define HELD_ARENA_CHUNK ((size_t)1 << 20)

void pipeline_held_free(pipeline_held *h)
{
    storm_arena_free(h->arena);
    free(h->items);
    free(h->slots);
    memset(h, 0, sizeof *h);
}

static const char *item_id(const pipeline_held_item *it)
{
    return storm_v_get_str(it->s.sighting, "id");
}

/* Index+1 of id's item, or 0 and where it would go (*slot). */
static size_t find(const pipeline_held *h, const char *id, size_t *slot)
{
    size_t mask = h->n_slots - 1;
    for (size_t i = pipeline_id_hash(id) & mask;; i = (i + 1) & mask) {
        size_t k = h->slots[i];
        if (!k || strcmp(item_id(&h->items[k - 1]), id) == 0) {
            *slot = i;
            return k;
        }
    }
}

static bool grow_slots(pipeline_held *h)
{
    size_t n_slots = h->n_slots ? h->n_slots * 2 : HELD_MIN_SLOTS;
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return false;
    free(h->slots);
    h->slots = slots;
    h->n_slots = n_slots;
    for (size_t k = 0; k < h->n; k++) {
        size_t slot;
        find(h, item_id(&h->items[k]), &slot);
        h->slots[slot] = k + 1;
    }
    return true;
}

/* Adds s's objects not in it yet (by id) to it, copied. */
static bool add_objects(pipeline_held *h, pipeline_held_item *it, const storm_detect_sighting *s)
{
    for (size_t i = 0; i < s->n_objects; i++) {
        const char *id = storm_v_get_str(s->objects[i], "id");
        bool dup = false;
        for (size_t j = 0; id && j < it->s.n_objects && !dup; j++) {
            const char *have = storm_v_get_str(it->objs[j], "id");
            dup = have && strcmp(have, id) == 0;
        }
        if (dup)
            continue;
        if (it->s.n_objects == it->alloc_objs) { /* the old array stays in the arena until the flush */
            size_t alloc = it->alloc_objs ? it->alloc_objs * 2 : 16;
            const storm_value **objs = storm_arena_alloc(h->arena, alloc * sizeof *objs);
            if (!objs)
                return false;
            if (it->s.n_objects)
                memcpy(objs, it->objs, it->s.n_objects * sizeof *objs);
            it->objs = objs;
            it->alloc_objs = alloc;
        }
        const storm_value *c = storm_v_copy(h->arena, s->objects[i]);
        if (!c)
            return false;
        it->objs[it->s.n_objects++] = c;
    }
    it->s.objects = it->objs;
    return true;
}

/* The scalars of s over it's, copied: what the last version says. */
static bool take_version(pipeline_held *h, pipeline_held_item *it, const storm_detect_sighting *s)
{
    const storm_value *sg = storm_v_copy(h->arena, s->sighting);
    const char *scope = s->scope ? storm_arena_strdup(h->arena, s->scope) : NULL;
    const char *place = s->place ? storm_arena_strdup(h->arena, s->place) : NULL;
    const char *evidence = s->evidence ? storm_arena_strdup(h->arena, s->evidence) : NULL;
    if (!sg || (s->scope && !scope) || (s->place && !place) || (s->evidence && !evidence))
        return false;
    size_t n = it->s.n_objects;
    it->s = *s;
    it->s.sighting = sg;
    it->s.scope = scope;
    it->s.place = place;
    it->s.evidence = evidence;
    it->s.n_objects = n;
    it->s.objects = it->objs;
    return true;
}

bool pipeline_held_add(pipeline_held *h, const storm_detect_sighting *s)
{
    const char *id = storm_v_get_str(s->sighting, "id");
    if (!id)
        return false;
    if (!h->arena && !(h->arena = storm_arena_new(HELD_ARENA_CHUNK, 0)))
        return false;
    if ((h->n + 1) * 2 > h->n_slots && !grow_slots(h))
        return false;
    size_t slot;
    size_t k = find(h, id, &slot);
    pipeline_held_item *it;
    if (k) {
        it = &h->items[k - 1];
        if (it->live)
            h->folded++; /* the version held is replaced by this one */
        else {           /* written already: a new span, in new memory (the written one may still be rendered) */
            it->s.n_objects = 0;
            it->objs = NULL;
            it->alloc_objs = 0;
        }
    } else {
        if (h->n == h->cap) {
            size_t cap = h->cap ? h->cap * 2 : 64;
            pipeline_held_item *items = realloc(h->items, cap * sizeof *items);
            if (!items)
                return false;
            h->items = items;
            h->cap = cap;
        }
        it = &h->items[h->n];
        memset(it, 0, sizeof *it);
    }
    if (!take_version(h, it, s) || !add_objects(h, it, s))
        return false; /* out of memory: the caller writes what is held of it, then s (a version twice, none lost) */
    it->live = true;
    if (!k)
        h->slots[slot] = ++h->n;
    return true;
}

bool pipeline_held_update(storm_pipeline *p, const storm_detect_sighting *s)
{
    if (!p->sinks.out || !p->sinks.coalesce_updates || !s->is_update)
        return false;
    uint64_t folded = p->held.folded;
    if (!pipeline_held_add(&p->held, s))
        return false;
    p->st.updates_folded += p->held.folded - folded;
    return true;
}

const storm_detect_sighting *pipeline_held_take(storm_pipeline *p, const char *id)
{
    pipeline_held *h = &p->held;
    size_t slot;
    size_t k = id && h->n ? find(h, id, &slot) : 0;
    if (!k || !h->items[k - 1].live)
        return NULL;
    h->items[k - 1].live = false;
    return &h->items[k - 1].s;
}

void pipeline_held_drain(storm_pipeline *p, void (*fn)(void *ctx, const storm_detect_sighting *s), void *ctx)
{
    pipeline_held *h = &p->held;
    for (size_t k = 0; k < h->n; k++)
        if (h->items[k].live) {
            h->items[k].live = false;
            fn(ctx, &h->items[k].s);
        }
}

void pipeline_held_reset(pipeline_held *h)
{
    h->n = 0;
    if (h->slots)
        memset(h->slots, 0, h->n_slots * sizeof *h->slots);
    if (h->arena)
        storm_arena_reset(h->arena);
}

static void render_now(void *ctx, const storm_detect_sighting *s)
{
    storm_pipeline *p = ctx;
    pipeline_sighting_render(p, s);
    pipeline_out_flush(p, p->sinks.format == STORM_PIPELINE_TEXT);
}

void pipeline_held_release(storm_pipeline *p)
{
    pipeline_held_drain(p, render_now, p);
    pipeline_held_reset(&p->held);
}

void pipeline_sighting_out(storm_pipeline *p, const storm_detect_sighting *s)
{
    if (!p->sinks.out)
        return; /* store only: nothing to render */
    if (pipeline_held_update(p, s))
        return;
    /* a first version (or one that could not be held): whatever the span
     * holds of the same id goes first, so that versions come out in order */
    const storm_detect_sighting *held = pipeline_held_take(p, storm_v_get_str(s->sighting, "id"));
    if (held)
        render_now(p, held);
    pipeline_sighting_render(p, s);
}
