/* SPDX-License-Identifier: Apache-2.0 */
#include "sco_text.h"

#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

/* Bounds: past either, everything kept is dropped and keeping starts over
 * (the SCOs of a stream's recent sightings are the ones that come back).
 * 512 entries and 1 MB are as fast as 4,096 and 8 MB on the attack-heavy
 * bench streams, and keep bench_rss.sh's 25M-event run at 63.8 MB peak
 * (64.9 MB with 2 MB; the cap is 64 MB). */
#define SCO_TEXT_MAX_ENTRIES 512
#define SCO_TEXT_MAX_BYTES ((size_t)1 << 20)

/* v's "id" when a string: the first one (the cache's key only: a kept
 * text is used only when the whole object is the same), else NULL. */
static const storm_value *id_of(const storm_value *v)
{
    if (!v || v->type != STORM_V_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->u.o.len; i++) {
        const storm_member *m = &v->u.o.members[i];
        if (m->key_len == 2 && m->key[0] == 'i' && m->key[1] == 'd')
            return m->value->type == STORM_V_STRING ? m->value : NULL;
    }
    return NULL;
}

bool sco_text_wanted(const storm_value *v)
{
    const storm_value *id = id_of(v);
    if (!id || id->u.s.len < 39)
        return false;
    /* "<type>--xxxxxxxx-xxxx-Vxxx-xxxx-xxxxxxxxxxxx": the version digit V */
    const char *uuid = id->u.s.ptr + id->u.s.len - 36;
    return uuid[-1] == '-' && uuid[-2] == '-' && uuid[14] == '5';
}

/* Would x and y be written as the same text? Exactly: same types, members
 * in the same order under the same keys, same values (floats bit for bit). */
static bool same(const storm_value *x, const storm_value *y, int depth)
{
    if (x == y)
        return true;
    if (!x || !y || x->type != y->type || depth > STORM_JSON_MAX_DEPTH)
        return false;
    switch (x->type) {
    case STORM_V_NULL: return true;
    case STORM_V_BOOL: return x->u.b == y->u.b;
    case STORM_V_INT: return x->u.i == y->u.i;
    case STORM_V_FLOAT: return memcmp(&x->u.f, &y->u.f, sizeof x->u.f) == 0;
    case STORM_V_STRING: return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case STORM_V_ARRAY:
        if (x->u.a.len != y->u.a.len)
            return false;
        for (size_t i = 0; i < x->u.a.len; i++)
            if (!same(x->u.a.items[i], y->u.a.items[i], depth + 1))
                return false;
        return true;
    case STORM_V_OBJECT:
        if (x->u.o.len != y->u.o.len)
            return false;
        for (size_t i = 0; i < x->u.o.len; i++) {
            const storm_member *a = &x->u.o.members[i], *b = &y->u.o.members[i];
            if (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len) != 0)
                return false;
            const storm_value *va = a->value, *vb = b->value;
            if (va && vb && va->type == STORM_V_STRING && vb->type == STORM_V_STRING) { /* most members: no call */
                if (va->u.s.len != vb->u.s.len || memcmp(va->u.s.ptr, vb->u.s.ptr, va->u.s.len) != 0)
                    return false;
            } else if (!same(va, vb, depth + 1)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static void drop_all(sco_text *c)
{
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
    storm_arena_free(c->arena);
    c->arena = NULL;
}

/* The slot of id: its entry, or the free slot where it would go. */
static sco_text_entry *slot_of(const sco_text *c, const char *id, size_t id_len, uint64_t h)
{
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        sco_text_entry *e = &c->e[i];
        if (!e->id || (e->hash == h && e->id_len == id_len && memcmp(e->id, id, id_len) == 0))
            return e;
    }
}

/* Keep text[0..len) of v under its id; nothing when out of room. */
static void keep(sco_text *c, const char *id, size_t id_len, uint64_t h, const storm_value *v, const char *text,
                 size_t len)
{
    if (c->n >= SCO_TEXT_MAX_ENTRIES || (c->arena && storm_arena_used(c->arena) > SCO_TEXT_MAX_BYTES))
        drop_all(c);
    if (!c->e) {
        c->cap = 2 * SCO_TEXT_MAX_ENTRIES; /* never more than half full: no growing */
        c->e = calloc(c->cap, sizeof *c->e);
        c->arena = storm_arena_new(0, 0);
        if (!c->e || !c->arena) {
            drop_all(c);
            return;
        }
    }
    const storm_value *copy = storm_v_copy(c->arena, v);
    char *t = storm_arena_alloc(c->arena, len);
    char *i = storm_arena_strndup(c->arena, id, id_len);
    if (!copy || !t || !i)
        return; /* what the arena holds is dropped with it */
    memcpy(t, text, len);
    sco_text_entry *e = slot_of(c, id, id_len, h);
    if (!e->id)
        c->n++;
    *e = (sco_text_entry){i, id_len, h, copy, t, len};
}

storm_rc sco_text_write(sco_text *c, storm_buf *out, const storm_value *v)
{
    const storm_value *idv = id_of(v);
    if (!idv || idv->u.s.len < 8)
        return storm_json_write(out, v, STORM_JSONW_COMPACT);
    const char *id = idv->u.s.ptr;
    size_t id_len = idv->u.s.len;
    /* the id ends in random hex digits: its last eight bytes, mixed, are
     * hash enough for the table */
    uint64_t h;
    memcpy(&h, id + id_len - 8, 8);
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    if (c->e) {
        const sco_text_entry *e = slot_of(c, id, id_len, h);
        if (e->id && same(e->copy, v, 0))
            return storm_buf_append(out, e->text, e->len);
    }
    size_t start = out->len;
    storm_rc rc = storm_json_write(out, v, STORM_JSONW_COMPACT);
    if (rc == STORM_OK)
        keep(c, id, id_len, h, v, out->data + start, out->len - start);
    return rc;
}

void sco_text_free(sco_text *c)
{
    drop_all(c);
}
