/* SPDX-License-Identifier: Apache-2.0 */
/* Value-tree building for the observation model (see stix_int.h). */
#include <string.h>

#include "stix_int.h"

storm_value *sb_obj(stix_b *b, size_t cap)
{
    storm_value *v = storm_arena_alloc(b->a, sizeof *v);
    storm_member *m = cap ? storm_arena_alloc(b->a, cap * sizeof *m) : NULL;
    if (!v || (cap && !m)) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_OBJECT;
    v->pos = STORM_POS_NONE;
    v->u.o.members = m;
    v->u.o.len = 0;
    v->u.o.alloc = cap;
    return v;
}

storm_value *sb_arr(stix_b *b, size_t cap)
{
    storm_value *v = storm_arena_alloc(b->a, sizeof *v);
    storm_value **items = cap ? storm_arena_alloc(b->a, cap * sizeof *items) : NULL;
    if (!v || (cap && !items)) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_ARRAY;
    v->pos = STORM_POS_NONE;
    v->u.a.items = items;
    v->u.a.len = 0;
    v->u.a.alloc = cap;
    return v;
}

void sb_put(stix_b *b, storm_value *obj, const char *key, storm_value *v)
{
    if (!obj || !v)
        return;
    if (obj->u.o.len == obj->u.o.alloc) {
        size_t na = obj->u.o.alloc ? obj->u.o.alloc * 2 : 8;
        storm_member *ms = storm_arena_alloc(b->a, na * sizeof *ms);
        if (!ms) {
            b->oom = true;
            return;
        }
        if (obj->u.o.len)
            memcpy(ms, obj->u.o.members, obj->u.o.len * sizeof *ms);
        obj->u.o.members = ms;
        obj->u.o.alloc = na;
    }
    obj->u.o.members[obj->u.o.len++] = (storm_member){key, strlen(key), v};
}

void sb_push(stix_b *b, storm_value *arr, storm_value *v)
{
    if (!arr || !v)
        return;
    if (arr->u.a.len == arr->u.a.alloc) {
        size_t na = arr->u.a.alloc ? arr->u.a.alloc * 2 : 4;
        storm_value **items = storm_arena_alloc(b->a, na * sizeof *items);
        if (!items) {
            b->oom = true;
            return;
        }
        if (arr->u.a.len)
            memcpy(items, arr->u.a.items, arr->u.a.len * sizeof *items);
        arr->u.a.items = items;
        arr->u.a.alloc = na;
    }
    arr->u.a.items[arr->u.a.len++] = v;
}

storm_value *sb_strn(stix_b *b, const char *s, size_t len)
{
    if (!s || !len)
        return NULL;
    storm_value *v = storm_arena_alloc(b->a, sizeof *v);
    if (!v) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_STRING;
    v->pos = STORM_POS_NONE;
    v->u.s.ptr = s;
    v->u.s.len = len;
    return v;
}

storm_value *sb_str(stix_b *b, const char *s)
{
    return s ? sb_strn(b, s, strlen(s)) : NULL;
}

storm_value *sb_int(stix_b *b, int64_t i)
{
    storm_value *v = storm_arena_alloc(b->a, sizeof *v);
    if (!v) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_INT;
    v->pos = STORM_POS_NONE;
    v->u.i = i;
    return v;
}

void sb_put_str(stix_b *b, storm_value *obj, const char *key, const char *s)
{
    sb_put(b, obj, key, sb_str(b, s));
}

void sb_put_int(stix_b *b, storm_value *obj, const char *key, int64_t i)
{
    sb_put(b, obj, key, sb_int(b, i));
}

void sb_set_first_str(storm_value *obj, const char *key, const char *s)
{
    for (size_t i = 0; i < obj->u.o.len; i++) {
        storm_member *m = &obj->u.o.members[i];
        if (strcmp(m->key, key) == 0 && m->value->type == STORM_V_STRING) {
            m->value->u.s.ptr = s;
            m->value->u.s.len = strlen(s);
            return;
        }
    }
}

static bool has_upper(const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (k[i] >= 'A' && k[i] <= 'Z')
            return true;
    return false;
}

#define SANITIZE_MAX_DEPTH 64

static storm_value *sanitized(stix_b *b, const storm_value *v, int depth)
{
    if (!v || depth > SANITIZE_MAX_DEPTH)
        return NULL;
    switch (v->type) {
    case STORM_V_NULL:
        return NULL;
    case STORM_V_STRING:
        return v->u.s.len ? (storm_value *)v : NULL;
    case STORM_V_BOOL:
    case STORM_V_INT:
    case STORM_V_FLOAT:
        return (storm_value *)v;
    case STORM_V_ARRAY: {
        storm_value *arr = sb_arr(b, v->u.a.len);
        for (size_t i = 0; i < v->u.a.len; i++)
            sb_push(b, arr, sanitized(b, v->u.a.items[i], depth + 1));
        return arr && arr->u.a.len ? arr : NULL;
    }
    case STORM_V_OBJECT: {
        storm_value *obj = sb_obj(b, v->u.o.len);
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            storm_value *c = sanitized(b, m->value, depth + 1);
            if (!c || !m->key_len || !obj)
                continue;
            const char *key = m->key;
            if (has_upper(m->key, m->key_len)) {
                char *k = storm_arena_strndup(b->a, m->key, m->key_len);
                if (!k) {
                    b->oom = true;
                    return NULL;
                }
                for (size_t j = 0; j < m->key_len; j++)
                    if (k[j] >= 'A' && k[j] <= 'Z')
                        k[j] = (char)(k[j] - 'A' + 'a');
                key = k;
            }
            /* a key may now collide with another one: the later wins, as on lookup */
            bool replaced = false;
            for (size_t j = 0; j < obj->u.o.len; j++) {
                storm_member *o = &obj->u.o.members[j];
                if (o->key_len == m->key_len && memcmp(o->key, key, m->key_len) == 0) {
                    o->value = c;
                    replaced = true;
                    break;
                }
            }
            if (!replaced)
                obj->u.o.members[obj->u.o.len++] = (storm_member){key, m->key_len, c};
        }
        return obj && obj->u.o.len ? obj : NULL;
    }
    }
    return NULL;
}

storm_value *sb_sanitized(stix_b *b, const storm_value *v)
{
    return sanitized(b, v, 0);
}
