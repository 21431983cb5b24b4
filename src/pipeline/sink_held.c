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

#include <storm/json.h>

#include "pipeline_int.h"

#define HELD_MIN_SLOTS 256
#define HELD_ARENA_CHUNK ((size_t)32 << 20)

void pipeline_held_free(pipeline_held *h)
{
    storm_arena_free(h->arena);
    free(h->items);
    free(h->slots);
    free(h->obj_slots);
    storm_buf_free(&h->text);
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

/* The key of the member a held object's text rides under: this address
 * (of length 0), which no parsed or built member has, so write_bundle
 * tells a held object from any other by one pointer comparison. */
static const char held_text_key[] = "";

const char *pipeline_held_text(const storm_value *o, size_t *len)
{
    if (!o || o->type != STORM_V_OBJECT || !o->u.o.len || o->u.o.members[0].key != held_text_key)
        return NULL;
    const storm_value *t = o->u.o.members[0].value;
    *len = t->u.s.len;
    return t->u.s.ptr;
}

/* The members of o the share step reads (storm_share_prepare: its id, the
 * keys of its extensions, its creator, its markings, a pattern), copied,
 * after its compact JSON text: what a held object keeps. The object itself
 * (a process SCO with its command line and extensions is ~1 KB of values)
 * is not copied, and its text is written now instead of at the flush
 * point: the same text, written once either way. NULL on OOM. */
static storm_value *held_object(storm_pipeline *p, storm_arena *a, const storm_value *o)
{
    storm_buf *t = &p->held.text;
    if (!t->cap)
        storm_buf_init(t, (size_t)1 << 30);
    storm_buf_reset(t);
    pipeline_object_text(p, t, o);
    if (!t->len)
        return NULL; /* out of memory */
    storm_value *stub = storm_v_object(a);
    storm_value *text = stub ? storm_v_strn(a, t->data, t->len) : NULL;
    if (!text || storm_v_append(a, stub, held_text_key, 0, text) != 0)
        return NULL;
    /* the keys it keeps (literals: a stub's keys need no copy) */
    static const char *const kept[] = {"id", "pattern", "extensions", "created_by_ref", "object_marking_refs"};
    for (size_t i = 0; o->type == STORM_V_OBJECT && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        const char *key = NULL;
        for (size_t j = 0; j < sizeof kept / sizeof *kept && !key; j++)
            if (m->key_len == strlen(kept[j]) && memcmp(m->key, kept[j], m->key_len) == 0)
                key = kept[j];
        if (!key)
            continue;
        storm_value *v;
        if (key == kept[2] && m->value->type == STORM_V_OBJECT) {
            /* only which extensions it uses matters: the keys */
            v = storm_v_object(a);
            for (size_t k = 0; v && k < m->value->u.o.len; k++) {
                const storm_member *e = &m->value->u.o.members[k];
                char *ext = storm_arena_strndup(a, e->key, e->key_len);
                storm_value *null = storm_v_null(a);
                if (!ext || !null || storm_v_append(a, v, ext, e->key_len, null) != 0)
                    v = NULL;
            }
        } else {
            v = storm_v_copy(a, m->value);
        }
        if (!v || storm_v_append(a, stub, key, m->key_len, v) != 0)
            return NULL;
    }
    return stub;
}

/* Item k's object id, hashed: an id ends in a UUID whose last 16 hex
 * digits differ from one object to the next (a SHA-1's or a random
 * number's), so they and the length stand for it, read as two words
 * instead of one multiply per byte. */
static uint64_t obj_hash(size_t k, const char *id, size_t len)
{
    uint64_t h = len * 0x9e3779b97f4a7c15u ^ (uint64_t)k * 0xc2b2ae3d27d4eb4fu;
    if (len < 16)
        return h ^ pipeline_id_hash(id);
    uint64_t w[2];
    memcpy(w, id + len - 16, sizeof w);
    h ^= w[0] * 0xff51afd7ed558ccdu;
    h ^= h >> 29;
    h ^= w[1] * 0xc4ceb9fe1a85ec53u;
    return h ^ h >> 32;
}

/* The slot of item k's object id in the table's set (*found: it holds it),
 * or where it would go. An entry of a span written since (the item holds
 * other objects now) is not found, and is overwritten. */
static size_t obj_find(const pipeline_held *h, size_t k, const char *id, uint64_t hash, bool *found)
{
    size_t mask = h->n_obj_slots - 1;
    const pipeline_held_item *it = &h->items[k];
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const pipeline_held_obj *e = &h->obj_slots[i];
        if (!e->id) {
            *found = false;
            return i;
        }
        if (e->hash == hash && e->item == k && e->idx < it->s.n_objects && it->objs[e->idx] == e->stub &&
            strcmp(e->id, id) == 0) {
            *found = true;
            return i;
        }
    }
}

static bool obj_grow(pipeline_held *h)
{
    size_t n = h->n_obj_slots ? h->n_obj_slots * 2 : HELD_MIN_SLOTS * 4;
    pipeline_held_obj *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < h->n_obj_slots; i++) {
        const pipeline_held_obj *e = &h->obj_slots[i];
        size_t j = e->hash & (n - 1);
        while (e->id && slots[j].id)
            j = (j + 1) & (n - 1);
        if (e->id)
            slots[j] = *e;
    }
    free(h->obj_slots);
    h->obj_slots = slots;
    h->n_obj_slots = n;
    return true;
}

/* Adds s's objects not in item k yet (by id) to it: for the STIX output,
 * their text and what the share step reads of them (held_object); the
 * text output names none. */
static bool add_objects(storm_pipeline *p, size_t k, const storm_detect_sighting *s)
{
    pipeline_held *h = &p->held;
    pipeline_held_item *it = &h->items[k];
    if (p->sinks.format != STORM_PIPELINE_STIX)
        return true;
    for (size_t i = 0; i < s->n_objects; i++) {
        if ((h->n_objs + 1) * 2 > h->n_obj_slots && !obj_grow(h))
            return false;
        const storm_value *id = storm_v_get(s->objects[i], "id");
        bool dup = false;
        size_t slot = 0;
        uint64_t hash = 0;
        if (id && id->type == STORM_V_STRING) {
            hash = obj_hash(k, id->u.s.ptr, id->u.s.len);
            slot = obj_find(h, k, id->u.s.ptr, hash, &dup);
        } else {
            id = NULL; /* never the same as another */
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
        const storm_value *c = held_object(p, h->arena, s->objects[i]);
        if (!c)
            return false;
        if (id) {
            if (!h->obj_slots[slot].id)
                h->n_objs++;
            h->obj_slots[slot] = (pipeline_held_obj){hash, storm_v_get_str(c, "id"), c, k, (uint32_t)it->s.n_objects};
        }
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

bool pipeline_held_add(storm_pipeline *p, const storm_detect_sighting *s)
{
    pipeline_held *h = &p->held;
    const char *id = storm_v_get_str(s->sighting, "id");
    if (!id)
        return false;
    if (!h->arena) {
        if (!(h->arena = storm_arena_new(HELD_ARENA_CHUNK, 0)))
            return false;
        storm_arena_use_huge_blocks(h->arena, HELD_ARENA_CHUNK);
    }
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
    if (!take_version(h, it, s) || !add_objects(p, (size_t)(it - h->items), s))
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
    if (!pipeline_held_add(p, s))
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
    if (h->obj_slots)
        memset(h->obj_slots, 0, h->n_obj_slots * sizeof *h->obj_slots);
    h->n_objs = 0;
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
