/* SPDX-License-Identifier: Apache-2.0 */
/* Model ids: the table of defined ids (with where each was first defined),
 * bad ids replaced by a UUIDv5 of the bad id (the same bad id always maps
 * to the same good one, so references still line up across files), and the
 * fixed-up form of a reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>
#include <storm/stix.h>

#include "ids.h"
#include "models_int.h"

/* ---- id table: open addressing over arena strings ---- */

static uint64_t hash_str(const char *s)
{
    return storm_fnv1a(s, strlen(s));
}

/* A table of ncap slots (a power of two) holding the entries of t; -1 on
 * OOM (t unchanged). */
static int idmap_resize(model_idmap *t, size_t ncap)
{
    model_idmap_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].key)
            continue;
        size_t j = hash_str(t->slots[i].key) & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* The slot of key: its entry, or the empty slot where it goes (key NULL
 * there). The table must have an empty slot. */
static model_idmap_slot *idmap_slot(model_idmap *t, const char *key)
{
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key && strcmp(t->slots[j].key, key) != 0)
        j = (j + 1) & (t->cap - 1);
    return &t->slots[j];
}

static int idmap_put(model_idmap *t, const char *key, size_t val, const char *str)
{
    if ((t->n + 1) * 2 > t->cap && idmap_resize(t, t->cap ? t->cap * 2 : 64) != 0)
        return -1;
    model_idmap_slot *s = idmap_slot(t, key);
    if (!s->key) {
        s->key = key;
        t->n++;
    }
    s->val = val;
    s->str = str;
    return 0;
}

void model_ids_reserve(storm_models *m, size_t n)
{
    model_idmap *t = &m->defined;
    size_t ncap = t->cap ? t->cap : 64;
    while ((t->n + n + 1) * 2 > ncap && ncap < ((size_t)1 << 40))
        ncap *= 2;
    if (ncap != t->cap)
        idmap_resize(t, ncap);
}

static const model_idmap_slot *idmap_find(const model_idmap *t, const char *key)
{
    if (!t->cap || !key)
        return NULL;
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key) {
        if (strcmp(t->slots[j].key, key) == 0)
            return &t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    return NULL;
}

bool model_idmap_get(const model_idmap *t, const char *key, size_t *val)
{
    if (!t->cap || !key)
        return false;
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key) {
        if (strcmp(t->slots[j].key, key) == 0) {
            if (val)
                *val = t->slots[j].val;
            return true;
        }
        j = (j + 1) & (t->cap - 1);
    }
    return false;
}

/* ---- object loading ---- */

const char *model_fixed_id(load_ctx *c, const storm_value *idv, const char *type, const char *what)
{
    storm_models *m = c->m;
    if (!idv || idv->type != STORM_V_STRING)
        return NULL;
    const char *raw = idv->u.s.ptr;
    size_t len = idv->u.s.len;
    if (storm_stix_id_valid(raw, len))
        return storm_arena_strndup(m->arena, raw, len);
    char buf[DETECT_ID_MAX];
    char tbuf[64];
    /* the type part of the bad id when it has one, else the object's type */
    const char *sep = strstr(raw, "--");
    if (sep && (size_t)(sep - raw) < sizeof tbuf) {
        memcpy(tbuf, raw, (size_t)(sep - raw));
        tbuf[sep - raw] = '\0';
    } else {
        snprintf(tbuf, sizeof tbuf, "%s", type);
    }
    detect_uuid5_id(tbuf, raw, len, false, buf, sizeof buf);
    char *good = storm_arena_strdup(m->arena, buf);
    char *bad = storm_arena_strndup(m->arena, raw, len);
    if (good && bad)
        idmap_put(&m->fixed, bad, 0, good);
    if (what)
        model_defect(c, idv->pos, bad, false,
                     "%s id '%s' is not '<type>--<UUID>' (an RFC 4122 UUID: 8-4-4-4-12 hex digits, "
                     "the fourth group starting with 8, 9, a or b); loaded as %s",
                     what, bad, good);
    return good;
}

/* The fixed-up form of a reference: a bad id maps to its replacement. */
const char *model_ref(const storm_models *m, const char *ref)
{
    const model_idmap_slot *s = idmap_find(&m->fixed, ref);
    return s ? s->str : ref;
}

/* Record id as defined here; a second definition is a defect and is skipped. */
size_t model_claim_id(load_ctx *c, const char *id, const storm_value *obj)
{
    storm_models *m = c->m;
    model_idmap *t = &m->defined;
    /* one probe finds a duplicate or where the new id goes */
    if ((t->n + 1) * 2 > t->cap && idmap_resize(t, t->cap ? t->cap * 2 : 64) != 0)
        return SIZE_MAX;
    model_idmap_slot *slot = idmap_slot(t, id);
    if (slot->key) {
        const model_origin *o = &m->origins[slot->val];
        model_defect(c, obj->pos, id, true, "duplicate id %s (first defined at %s:%u:%u); this definition is ignored",
                     id, m->files[o->file].path, o->line, o->col);
        return SIZE_MAX;
    }
    if (GROW(m->origins, m->n_origins, m->alloc_origins) != 0)
        return SIZE_MAX;
    model_origin *o = &m->origins[m->n_origins];
    o->file = c->file;
    model_locate(c, obj->pos, &o->line, &o->col);
    o->kind = MODEL_NONE;
    o->index = 0;
    *slot = (model_idmap_slot){id, m->n_origins, NULL};
    t->n++;
    return m->n_origins++;
}

void model_set_origin(storm_models *m, size_t origin, model_kind kind, size_t index)
{
    m->origins[origin].kind = kind;
    m->origins[origin].index = index;
}
