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
#include <storm/share.h>

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

/* The keys of the members a held object keeps beside its text: what the
 * share step reads (storm_share_prepare: the id, the keys of its
 * extensions, its creator, its markings, a pattern) and the sighting's
 * "modified" (the bundle's id). Literals: a stub's keys need no copy. */
static const char *const kept_keys[] = {"id",      "pattern", "extensions", "created_by_ref", "object_marking_refs",
                                        "modified"};
#define KEPT_EXTENSIONS 2

/* text[0..len) and the members of o the share step reads, copied: a held
 * object (the sighting of a held version, or an object whose id the share
 * step looks for). NULL on OOM. */
static storm_value *held_object(storm_arena *a, const storm_value *o, const char *text, size_t len)
{
    storm_value *stub = storm_v_object(a);
    storm_value *t = stub ? storm_v_strn(a, text, len) : NULL;
    if (!t || storm_v_append(a, stub, held_text_key, 0, t) != 0)
        return NULL;
    for (size_t i = 0; o->type == STORM_V_OBJECT && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        const char *key = NULL;
        for (size_t j = 0; j < sizeof kept_keys / sizeof *kept_keys && !key; j++)
            if (m->key_len == strlen(kept_keys[j]) && memcmp(m->key, kept_keys[j], m->key_len) == 0)
                key = kept_keys[j];
        if (!key)
            continue;
        storm_value *v;
        if (key == kept_keys[KEPT_EXTENSIONS] && m->value->type == STORM_V_OBJECT) {
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

/* Does the share step look for the object's id (an identity, a
 * definition, a marking) or read its pattern? Such an object is held on
 * its own; the others are run together (held_run). */
static bool held_alone(const storm_share_fields *f)
{
    if (f->pattern)
        return true;
    if (!f->id || f->id->type != STORM_V_STRING)
        return false;
    static const char *const prefixes[] = {"identity--", "extension-definition--", "marking-definition--"};
    char c = f->id->u.s.ptr[0];
    if (c != 'i' && c != 'e' && c != 'm') /* none of them: most objects */
        return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(f->id->u.s.ptr, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* Objects held together (one update's, in order): their texts joined by
 * commas in the table's text buffer, and the union of what the share step
 * reads of each beyond its id (held_alone): the keys of their extensions,
 * whether one names Storm as its creator, the TLP markings they carry in
 * the order first carried. */
typedef struct held_run {
    size_t n;           /* objects in it */
    storm_value *ext;   /* extension keys (NULL: none yet) */
    bool by_storm;      /* created_by_ref Storm's identity */
    storm_value *marks; /* TLP marking ids (NULL: none yet) */
} held_run;

static bool run_add(pipeline_held *h, held_run *r, const storm_share_fields *f)
{
    storm_arena *a = h->arena;
    const storm_value *ext = f->extensions;
    for (size_t k = 0; ext && ext->type == STORM_V_OBJECT && k < ext->u.o.len; k++) {
        const storm_member *e = &ext->u.o.members[k];
        if (r->ext && storm_v_getn(r->ext, e->key, e->key_len))
            continue;
        char *key = storm_arena_strndup(a, e->key, e->key_len);
        storm_value *null = storm_v_null(a);
        if (!key || !null || (!r->ext && !(r->ext = storm_v_object(a))) ||
            storm_v_append(a, r->ext, key, e->key_len, null) != 0)
            return false;
    }
    r->by_storm |= storm_v_is_str(f->created_by_ref, STORM_STIX_IDENTITY_ID);
    const storm_value *marks = f->marks;
    for (size_t k = 0; marks && marks->type == STORM_V_ARRAY && k < marks->u.a.len; k++) {
        const storm_value *mk = marks->u.a.items[k];
        for (int t = STORM_TLP_CLEAR; mk->type == STORM_V_STRING && t <= STORM_TLP_RED; t++) {
            const char *tlp = storm_tlp_marking_id((storm_tlp)t);
            if (strcmp(mk->u.s.ptr, tlp) != 0)
                continue;
            bool have = false;
            for (size_t j = 0; r->marks && j < r->marks->u.a.len && !have; j++)
                have = r->marks->u.a.items[j]->u.s.ptr == tlp;
            storm_value *v = have ? NULL : storm_v_str_borrow(a, tlp, strlen(tlp));
            if (!have && (!v || (!r->marks && !(r->marks = storm_v_array(a))) || storm_v_push(a, r->marks, v) != 0))
                return false;
        }
    }
    r->n++;
    return true;
}

/* The run's stub: its text (h->text) and the union of its members. */
static storm_value *run_stub(pipeline_held *h, const held_run *r)
{
    storm_arena *a = h->arena;
    storm_value *stub = storm_v_object(a);
    storm_value *t = stub ? storm_v_strn(a, h->text.data, h->text.len) : NULL;
    if (!t || storm_v_append(a, stub, held_text_key, 0, t) != 0)
        return NULL;
    if (r->ext && storm_v_append(a, stub, "extensions", 10, r->ext) != 0)
        return NULL;
    if (r->by_storm) {
        storm_value *by = storm_v_str_borrow(a, STORM_STIX_IDENTITY_ID, strlen(STORM_STIX_IDENTITY_ID));
        if (!by || storm_v_append(a, stub, "created_by_ref", 14, by) != 0)
            return NULL;
    }
    if (r->marks && storm_v_append(a, stub, "object_marking_refs", 19, r->marks) != 0)
        return NULL;
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

/* The slot of item k's object id in the table's set (*found: the item's
 * current span holds it), or where it would go. An entry of a span written
 * since is not found. */
static size_t obj_find(const pipeline_held *h, size_t k, const char *id, size_t len, uint64_t hash, bool *found)
{
    size_t mask = h->n_obj_slots - 1;
    uint32_t span = h->items[k].span;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const pipeline_held_obj *e = &h->obj_slots[i];
        if (e->gen != h->obj_gen) { /* empty, or of a span released */
            *found = false;
            return i;
        }
        if (e->hash == hash && e->item == k && e->span == span && e->len == len && memcmp(e->id, id, len) == 0) {
            *found = true;
            return i;
        }
    }
}

static bool obj_grow(pipeline_held *h)
{
    if (!h->obj_gen)
        h->obj_gen = 1; /* calloc's slots (generation 0) are empty */
    size_t n = h->n_obj_slots ? h->n_obj_slots * 2 : HELD_MIN_SLOTS * 4;
    pipeline_held_obj *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < h->n_obj_slots; i++) {
        const pipeline_held_obj *e = &h->obj_slots[i];
        if (e->gen != h->obj_gen)
            continue;
        size_t j = e->hash & (n - 1);
        while (slots[j].gen == h->obj_gen)
            j = (j + 1) & (n - 1);
        slots[j] = *e;
    }
    free(h->obj_slots);
    h->obj_slots = slots;
    h->n_obj_slots = n;
    return true;
}

/* o after the objects it holds (a stub: an alone object's or a run's). */
static bool push_obj(pipeline_held *h, pipeline_held_item *it, const storm_value *o)
{
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
    it->objs[it->s.n_objects++] = o;
    it->s.objects = it->objs;
    return true;
}

/* Ends the run r (nothing when empty): its stub after item k's objects. */
static bool run_end(pipeline_held *h, size_t k, held_run *r)
{
    if (!r->n)
        return true;
    const storm_value *stub = run_stub(h, r);
    *r = (held_run){0, NULL, false, NULL};
    storm_buf_reset(&h->text);
    return stub && push_obj(h, &h->items[k], stub);
}

static void text_begin(pipeline_held *h)
{
    if (!h->text.cap)
        storm_buf_init(&h->text, (size_t)1 << 30);
    storm_buf_reset(&h->text);
}

/* Adds s's objects not in item k yet (by id) to it: for the STIX output,
 * their text, run together, and what the share step reads of them; the
 * text output names none. Each object's text is written now, not at the
 * flush point: the same text, written once either way, and the object
 * itself (a process SCO with its command line and extensions is ~1 KB of
 * values) is not copied. */
static bool add_objects(storm_pipeline *p, size_t k, const storm_detect_sighting *s)
{
    pipeline_held *h = &p->held;
    if (p->sinks.format != STORM_PIPELINE_STIX)
        return true;
    text_begin(h);
    held_run r = {0, NULL, false, NULL};
    for (size_t i = 0; i < s->n_objects; i++) {
        const storm_value *o = s->objects[i];
        if ((h->n_objs + 1) * 2 > h->n_obj_slots && !obj_grow(h))
            return false;
        storm_share_fields f = storm_share_fields_of(o); /* what the share step reads */
        const storm_value *id = f.id;
        bool dup = false;
        size_t slot = 0;
        uint64_t hash = 0;
        if (id && id->type == STORM_V_STRING) {
            hash = obj_hash(k, id->u.s.ptr, id->u.s.len);
            slot = obj_find(h, k, id->u.s.ptr, id->u.s.len, hash, &dup);
        } else {
            id = NULL; /* never the same as another */
        }
        if (dup)
            continue;
        if (id) {
            char *copy = storm_arena_strndup(h->arena, id->u.s.ptr, id->u.s.len);
            if (!copy)
                return false;
            if (h->obj_slots[slot].gen != h->obj_gen)
                h->n_objs++;
            h->obj_slots[slot] = (pipeline_held_obj){hash, copy, id->u.s.len, k, h->items[k].span, h->obj_gen};
        }
        if (held_alone(&f)) {
            if (!run_end(h, k, &r))
                return false;
            pipeline_object_text(p, &h->text, o);
            const storm_value *stub = h->text.len ? held_object(h->arena, o, h->text.data, h->text.len) : NULL;
            storm_buf_reset(&h->text);
            if (!stub || !push_obj(h, &h->items[k], stub))
                return false;
            continue;
        }
        if (r.n && storm_buf_putc(&h->text, ',') != STORM_OK)
            return false;
        size_t start = h->text.len;
        pipeline_object_text(p, &h->text, o);
        if (h->text.len == start || !run_add(h, &r, &f))
            return false;
    }
    return run_end(h, k, &r);
}

/* The scalars of s over it's: what the last version says. For the STIX
 * output its sighting is its text and the members the bundle and the
 * share step read (held_object), for the text output a copy. */
static bool take_version(storm_pipeline *p, pipeline_held_item *it, const storm_detect_sighting *s)
{
    pipeline_held *h = &p->held;
    const storm_value *sg = NULL;
    if (p->sinks.format == STORM_PIPELINE_STIX) {
        text_begin(h);
        if (storm_json_write(&h->text, s->sighting, STORM_JSONW_COMPACT) == STORM_OK)
            sg = held_object(h->arena, s->sighting, h->text.data, h->text.len);
        storm_buf_reset(&h->text);
    } else {
        sg = storm_v_copy(h->arena, s->sighting);
    }
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
            it->span++;
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
    if (!take_version(p, it, s) || !add_objects(p, (size_t)(it - h->items), s))
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
    /* the objects' set empties by its generation, without a pass over it
     * (0 is never one: calloc's slots are empty) */
    if (++h->obj_gen == 0) {
        if (h->obj_slots)
            memset(h->obj_slots, 0, h->n_obj_slots * sizeof *h->obj_slots);
        h->obj_gen = 1;
    }
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
