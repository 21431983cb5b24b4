/* SPDX-License-Identifier: Apache-2.0 */
/* Two value trees alike in every detail a reader may see: types, numbers
 * (floats bit for bit), strings and keys (NUL-terminated), member order and
 * every value's position. For the tests that rebuild or re-parse a tree. */
#ifndef STORM_TESTS_VALUE_SAME_H
#define STORM_TESTS_VALUE_SAME_H

#include <stdbool.h>
#include <string.h>

#include <storm/json.h>

static inline bool test_value_same(const storm_value *x, const storm_value *y)
{
    if (!x || !y)
        return x == y;
    if (x->type != y->type || x->pos != y->pos)
        return false;
    switch (x->type) {
    case STORM_V_NULL: return true;
    case STORM_V_BOOL: return x->u.b == y->u.b;
    case STORM_V_INT: return x->u.i == y->u.i;
    case STORM_V_FLOAT: return memcmp(&x->u.f, &y->u.f, sizeof x->u.f) == 0;
    case STORM_V_STRING:
        return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0 &&
               x->u.s.ptr[x->u.s.len] == '\0' && y->u.s.ptr[y->u.s.len] == '\0';
    case STORM_V_ARRAY:
        if (x->u.a.len != y->u.a.len)
            return false;
        for (size_t i = 0; i < x->u.a.len; i++)
            if (!test_value_same(x->u.a.items[i], y->u.a.items[i]))
                return false;
        return true;
    case STORM_V_OBJECT:
        if (x->u.o.len != y->u.o.len)
            return false;
        for (size_t i = 0; i < x->u.o.len; i++) {
            const storm_member *m = &x->u.o.members[i], *n = &y->u.o.members[i];
            if (m->key_len != n->key_len || memcmp(m->key, n->key, m->key_len) != 0 || m->key[m->key_len] != '\0' ||
                n->key[n->key_len] != '\0' || !test_value_same(m->value, n->value))
                return false;
        }
        return true;
    }
    return false;
}

#endif
