/* SPDX-License-Identifier: Apache-2.0 */
/* Compact copies of the kept model objects: each string once (interned),
 * each array and member list at its exact length, the required common
 * properties filled in so the store accepts the object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>
#include <storm/time.h>

#include "models_int.h"

/* ---- compact copies of the kept objects ---- */

static uint64_t hash_mem(const char *s, size_t n)
{
    uint64_t h = storm_fnv1a(s, n);
    return h ^ (h >> 29);
}

/* A table of ncap slots (a power of two) holding the strings of t; false
 * on OOM (t unchanged). */
static bool strset_resize(model_strset *t, size_t ncap)
{
    model_str_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].s)
            continue;
        size_t j = t->slots[i].hash & (ncap - 1);
        while (ns[j].s)
            j = (j + 1) & (ncap - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return true;
}

void model_strings_reserve(storm_models *m, size_t n)
{
    model_strset *t = &m->strings;
    size_t ncap = t->cap ? t->cap : 1024;
    while ((t->n + n + 1) * 2 > ncap && ncap < ((size_t)1 << 40))
        ncap *= 2;
    if (ncap != t->cap)
        strset_resize(t, ncap);
}

/* The recent-strings slot of s[0..len) (len <= MODEL_RECENT_MAX): a hash of
 * its length and a few of its bytes, cheap beside hashing it whole. */
static size_t recent_slot(const char *s, size_t len)
{
    if (!len)
        return 0;
    unsigned h = (unsigned)len * 31u + (unsigned char)s[0] * 7u + (unsigned char)s[len - 1] * 131u +
                 (unsigned char)s[len / 2] * 1031u + (unsigned char)s[len / 3] * 17u;
    return (h ^ (h >> 8)) & (MODEL_RECENT_SLOTS - 1);
}

/* The one copy of s[0..len) in the models' arena: found in m->strings, or
 * s itself when `borrow` (s must then live in one of the models' arenas,
 * NUL-terminated), or a new copy. NULL on OOM. */
const char *model_intern(storm_models *m, const char *s, size_t len, bool borrow)
{
    model_strset *t = &m->strings;
    if (len > UINT32_MAX) /* not from a model file: no sharing */
        return borrow ? s : storm_arena_strndup(m->arena, s, len);
    model_str_slot *recent = len <= MODEL_RECENT_MAX ? &t->recent[recent_slot(s, len)] : NULL;
    if (recent && recent->s && recent->len == len && memcmp(recent->s, s, len) == 0)
        return recent->s;
    uint64_t h = hash_mem(s, len);
    if ((t->n + 1) * 2 > t->cap && !strset_resize(t, t->cap ? t->cap * 2 : 1024)) /* no sharing then */
        return borrow ? s : storm_arena_strndup(m->arena, s, len);
    size_t j = h & (t->cap - 1);
    for (; t->slots[j].s; j = (j + 1) & (t->cap - 1))
        if (t->slots[j].hash == (uint32_t)h && t->slots[j].len == len && memcmp(t->slots[j].s, s, len) == 0) {
            if (recent)
                *recent = t->slots[j];
            return t->slots[j].s;
        }
    const char *keep = borrow ? s : storm_arena_strndup(m->arena, s, len);
    if (!keep)
        return NULL;
    t->slots[j] = (model_str_slot){keep, (uint32_t)len, (uint32_t)h};
    t->n++;
    if (recent)
        *recent = t->slots[j];
    return keep;
}

/* Deep copy of v into the models' arena, each array and member list at its
 * exact length and each string shared through model_intern(). The parsed
 * document holds every value of the file with the parser's growth slack,
 * the bundle and the ignored objects: a 10,000-indicator file took ~26 MB
 * that way, kept for the whole run. NULL on OOM. */
static storm_value *compact_copy(storm_models *m, const storm_value *v)
{
    storm_value *c = storm_arena_alloc(m->arena, sizeof *c);
    if (!c)
        return NULL;
    *c = *v;
    switch (v->type) {
    case STORM_V_STRING:
        c->u.s.ptr = model_intern(m, v->u.s.ptr, v->u.s.len, false);
        if (!c->u.s.ptr)
            return NULL;
        break;
    case STORM_V_ARRAY: {
        size_t n = v->u.a.len;
        c->u.a.items = n ? storm_arena_alloc(m->arena, n * sizeof *c->u.a.items) : NULL;
        c->u.a.len = c->u.a.alloc = n;
        if (n && !c->u.a.items)
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (!(c->u.a.items[i] = compact_copy(m, v->u.a.items[i])))
                return NULL;
        break;
    }
    case STORM_V_OBJECT: {
        size_t n = v->u.o.len;
        c->u.o.members = n ? storm_arena_alloc(m->arena, n * sizeof *c->u.o.members) : NULL;
        c->u.o.len = c->u.o.alloc = n;
        if (n && !c->u.o.members)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            const storm_member *src = &v->u.o.members[i];
            storm_member *dst = &c->u.o.members[i];
            dst->key = model_intern(m, src->key, src->key_len, false);
            dst->key_len = src->key_len;
            dst->value = dst->key ? compact_copy(m, src->value) : NULL;
            if (!dst->value)
                return NULL;
        }
        break;
    }
    default: break;
    }
    return c;
}

/* Returns the object with fixed ids and the required common properties
 * filled in (so the store accepts it), reporting what was missing. Its
 * original values are read first: the checks run before the fix-ups. */
storm_value *model_normalised_copy(load_ctx *c, const storm_value *obj, const char *id, const char *type)
{
    storm_models *m = c->m;
    /* the fix-ups go into the parsed document (its arena is c->doc), which
     * is then copied compactly: the copy is what the models keep */
    storm_arena *doc = c->doc ? c->doc : m->arena;
    storm_value *copy = (storm_value *)obj;
    storm_v_set_str(doc, copy, "id", id);
    char missing[128] = "";
    const char *fill = "1970-01-01T00:00:00.000Z";
    const char *vf = storm_v_get_str(obj, "valid_from");
    storm_time_ns t;
    if (vf && storm_time_parse(vf, strlen(vf), STORM_TIME_STIX_STRICT, &t))
        fill = vf;
    const char *created = storm_v_get_str(obj, "created");
    if (!storm_v_get(obj, "spec_version")) {
        strcat(missing, " spec_version");
        storm_v_set_str(doc, copy, "spec_version", "2.1");
    }
    bool created_ok = model_check_timestamp(c, obj, "created", id);
    if (!created_ok) {
        if (!storm_v_get(obj, "created"))
            strcat(missing, " created");
        storm_v_set_str(doc, copy, "created", fill);
        created = fill;
    }
    if (!model_check_timestamp(c, obj, "modified", id)) {
        if (!storm_v_get(obj, "modified"))
            strcat(missing, " modified");
        storm_v_set_str(doc, copy, "modified", created ? created : fill);
    }
    if (missing[0])
        model_defect(c, obj->pos, id, false, "%s lacks required properties:%s; loaded with spec_version 2.1 and %s",
                     type, missing, fill);
    model_intern(m, id, strlen(id), true); /* the copy's "id" shares the id string */
    return compact_copy(m, copy);
}

int model_add_object(storm_models *m, storm_value *obj)
{
    if (GROW(m->objects, m->n_objects, m->alloc_objects) != 0)
        return -1;
    m->objects[m->n_objects++] = obj;
    return 0;
}
