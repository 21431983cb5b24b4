/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/value.h>

#include <string.h>

static storm_value *make(storm_arena *a, storm_vtype t)
{
    storm_value *v = storm_arena_alloc(a, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->type = t;
    v->pos = STORM_POS_NONE;
    return v;
}

storm_value *storm_v_null(storm_arena *a)
{
    return make(a, STORM_V_NULL);
}

storm_value *storm_v_bool(storm_arena *a, bool b)
{
    storm_value *v = make(a, STORM_V_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

storm_value *storm_v_int(storm_arena *a, int64_t i)
{
    storm_value *v = make(a, STORM_V_INT);
    if (v)
        v->u.i = i;
    return v;
}

storm_value *storm_v_float(storm_arena *a, double f)
{
    storm_value *v = make(a, STORM_V_FLOAT);
    if (v)
        v->u.f = f;
    return v;
}

storm_value *storm_v_str_borrow(storm_arena *a, const char *s, size_t len)
{
    storm_value *v = make(a, STORM_V_STRING);
    if (v) {
        v->u.s.ptr = s;
        v->u.s.len = len;
    }
    return v;
}

storm_value *storm_v_strn(storm_arena *a, const char *s, size_t len)
{
    char *copy = storm_arena_strndup(a, s ? s : "", s ? len : 0);
    return copy ? storm_v_str_borrow(a, copy, s ? len : 0) : NULL;
}

storm_value *storm_v_str(storm_arena *a, const char *s)
{
    return storm_v_strn(a, s, s ? strlen(s) : 0);
}

storm_value *storm_v_array(storm_arena *a)
{
    return make(a, STORM_V_ARRAY);
}
storm_value *storm_v_object(storm_arena *a)
{
    return make(a, STORM_V_OBJECT);
}

int storm_v_push(storm_arena *a, storm_value *arr, storm_value *item)
{
    if (!arr || arr->type != STORM_V_ARRAY || !item)
        return -1;
    if (arr->u.a.len == arr->u.a.alloc) {
        size_t na = arr->u.a.alloc ? arr->u.a.alloc * 2 : 4;
        storm_value **items = storm_arena_alloc(a, na * sizeof *items);
        if (!items)
            return -1;
        if (arr->u.a.len)
            memcpy(items, arr->u.a.items, arr->u.a.len * sizeof *items);
        arr->u.a.items = items;
        arr->u.a.alloc = na;
    }
    arr->u.a.items[arr->u.a.len++] = item;
    return 0;
}

int storm_v_append(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *value)
{
    if (!obj || obj->type != STORM_V_OBJECT || !value)
        return -1;
    if (obj->u.o.len == obj->u.o.alloc) {
        size_t na = obj->u.o.alloc ? obj->u.o.alloc * 2 : 8;
        storm_member *ms = storm_arena_alloc(a, na * sizeof *ms);
        if (!ms)
            return -1;
        if (obj->u.o.len)
            memcpy(ms, obj->u.o.members, obj->u.o.len * sizeof *ms);
        obj->u.o.members = ms;
        obj->u.o.alloc = na;
    }
    obj->u.o.members[obj->u.o.len++] = (storm_member){key, key_len, value};
    return 0;
}

int storm_v_setn(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *value)
{
    if (!obj || obj->type != STORM_V_OBJECT || !value)
        return -1;
    for (size_t i = 0; i < obj->u.o.len; i++) {
        storm_member *m = &obj->u.o.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            m->value = value;
            return 0;
        }
    }
    char *k = storm_arena_strndup(a, key, key_len);
    if (!k)
        return -1;
    return storm_v_append(a, obj, k, key_len, value);
}

int storm_v_set(storm_arena *a, storm_value *obj, const char *key, storm_value *value)
{
    return storm_v_setn(a, obj, key, strlen(key), value);
}

int storm_v_set_str(storm_arena *a, storm_value *obj, const char *key, const char *s)
{
    if (!s)
        return 0;
    storm_value *v = storm_v_str(a, s);
    return v ? storm_v_set(a, obj, key, v) : -1;
}

int storm_v_set_int(storm_arena *a, storm_value *obj, const char *key, int64_t i)
{
    storm_value *v = storm_v_int(a, i);
    return v ? storm_v_set(a, obj, key, v) : -1;
}

int storm_v_set_bool(storm_arena *a, storm_value *obj, const char *key, bool b)
{
    storm_value *v = storm_v_bool(a, b);
    return v ? storm_v_set(a, obj, key, v) : -1;
}

storm_value *storm_v_getn(const storm_value *obj, const char *key, size_t key_len)
{
    if (!obj || obj->type != STORM_V_OBJECT)
        return NULL;
    /* last wins, as most JSON libraries do for duplicate keys */
    if (key_len == 0) {
        for (size_t i = obj->u.o.len; i-- > 0;)
            if (obj->u.o.members[i].key_len == 0)
                return obj->u.o.members[i].value;
        return NULL;
    }
    /* the first byte before the call: keys of one length mostly differ there
     * (decoders look up a dozen keys per object, one by one) */
    for (size_t i = obj->u.o.len; i-- > 0;) {
        const storm_member *m = &obj->u.o.members[i];
        if (m->key_len == key_len && m->key[0] == key[0] && memcmp(m->key, key, key_len) == 0)
            return m->value;
    }
    return NULL;
}

storm_value *(storm_v_get)(const storm_value *obj, const char *key)
{
    return storm_v_getn(obj, key, strlen(key));
}

storm_value *storm_v_path(const storm_value *obj, const char *const *keys)
{
    const storm_value *v = obj;
    for (; v && *keys; keys++)
        v = storm_v_get(v, *keys);
    return (storm_value *)v;
}

const char *storm_v_get_strn(const storm_value *obj, const char *key, size_t key_len)
{
    const storm_value *v = storm_v_getn(obj, key, key_len);
    return v && v->type == STORM_V_STRING ? v->u.s.ptr : NULL;
}

const char *(storm_v_get_str)(const storm_value *obj, const char *key)
{
    return storm_v_get_strn(obj, key, strlen(key));
}

bool storm_v_is_strn(const storm_value *v, const char *s, size_t n)
{
    return v && v->type == STORM_V_STRING && v->u.s.len == n && memcmp(v->u.s.ptr, s, n) == 0;
}

bool(storm_v_is_str)(const storm_value *v, const char *s)
{
    return storm_v_is_strn(v, s, strlen(s));
}

size_t storm_v_len(const storm_value *v)
{
    if (!v)
        return 0;
    switch (v->type) {
    case STORM_V_STRING: return v->u.s.len;
    case STORM_V_ARRAY: return v->u.a.len;
    case STORM_V_OBJECT: return v->u.o.len;
    default: return 0;
    }
}

bool storm_v_equal(const storm_value *x, const storm_value *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->type != y->type)
        return false;
    switch (x->type) {
    case STORM_V_NULL: return true;
    case STORM_V_BOOL: return x->u.b == y->u.b;
    case STORM_V_INT: return x->u.i == y->u.i;
    case STORM_V_FLOAT: return x->u.f == y->u.f;
    case STORM_V_STRING: return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case STORM_V_ARRAY:
        if (x->u.a.len != y->u.a.len)
            return false;
        for (size_t i = 0; i < x->u.a.len; i++)
            if (!storm_v_equal(x->u.a.items[i], y->u.a.items[i]))
                return false;
        return true;
    case STORM_V_OBJECT: {
        if (x->u.o.len != y->u.o.len)
            return false;
        /* same keys in the same order (always so after a write and re-parse):
         * compare member by member, which also handles repeated keys */
        bool same_order = true;
        for (size_t i = 0; i < x->u.o.len && same_order; i++) {
            const storm_member *a = &x->u.o.members[i], *b = &y->u.o.members[i];
            same_order = a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
        }
        for (size_t i = 0; i < x->u.o.len; i++) {
            const storm_member *m = &x->u.o.members[i];
            const storm_value *other = same_order ? y->u.o.members[i].value : storm_v_getn(y, m->key, m->key_len);
            if (!storm_v_equal(m->value, other))
                return false;
        }
        return true;
    }
    }
    return false;
}

/* Containers are made at their exact size and filled in place (growing them
 * one push at a time made and copied three or four arrays per object): the
 * store sink copies every sighting and its evidence. Repeated keys collapse
 * as storm_v_setn collapses them: the first place, the last value. */
storm_value *storm_v_copy(storm_arena *a, const storm_value *v)
{
    if (!v)
        return NULL;
    storm_value *c = make(a, v->type);
    if (!c)
        return NULL;
    c->pos = v->pos;
    switch (v->type) {
    case STORM_V_STRING: {
        size_t len = v->u.s.ptr ? v->u.s.len : 0;
        char *copy = storm_arena_strndup(a, v->u.s.ptr ? v->u.s.ptr : "", len);
        if (!copy)
            return NULL;
        c->u.s.ptr = copy;
        c->u.s.len = len;
        break;
    }
    case STORM_V_ARRAY:
        if (!v->u.a.len)
            break;
        if (!(c->u.a.items = storm_arena_alloc(a, v->u.a.len * sizeof *c->u.a.items)))
            return NULL;
        c->u.a.alloc = v->u.a.len;
        for (size_t i = 0; i < v->u.a.len; i++)
            if (!(c->u.a.items[c->u.a.len++] = storm_v_copy(a, v->u.a.items[i])))
                return NULL;
        break;
    case STORM_V_OBJECT:
        if (!v->u.o.len)
            break;
        if (!(c->u.o.members = storm_arena_alloc(a, v->u.o.len * sizeof *c->u.o.members)))
            return NULL;
        c->u.o.alloc = v->u.o.len;
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            storm_value *mv = storm_v_copy(a, m->value);
            if (!mv)
                return NULL;
            storm_member *same = NULL;
            for (size_t j = 0; j < c->u.o.len && !same; j++)
                if (c->u.o.members[j].key_len == m->key_len && memcmp(c->u.o.members[j].key, m->key, m->key_len) == 0)
                    same = &c->u.o.members[j];
            if (same) {
                same->value = mv;
                continue;
            }
            char *k = storm_arena_strndup(a, m->key, m->key_len);
            if (!k)
                return NULL;
            c->u.o.members[c->u.o.len++] = (storm_member){k, m->key_len, mv};
        }
        break;
    default: c->u = v->u; break;
    }
    return c;
}
