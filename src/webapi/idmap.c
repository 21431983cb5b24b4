/* SPDX-License-Identifier: Apache-2.0 */
#include "idmap.h"

#include <string.h>
#include <storm/hash.h>

void webapi_idmap_init(webapi_idmap *m, storm_arena *a)
{
    memset(m, 0, sizeof *m);
    m->arena = a;
}

static size_t slot_of(const webapi_idmap *m, const char *key)
{
    size_t i = (size_t)storm_fnv1a(key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

bool webapi_idmap_get(const webapi_idmap *m, const char *key, size_t *value)
{
    if (!m->cap)
        return false;
    size_t i = slot_of(m, key);
    if (!m->keys[i])
        return false;
    *value = m->values[i];
    return true;
}

static bool grow(webapi_idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    const char **keys = storm_arena_calloc(m->arena, cap, sizeof *keys);
    size_t *values = storm_arena_calloc(m->arena, cap, sizeof *values);
    if (!keys || !values)
        return false;
    webapi_idmap old = *m;
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t j = slot_of(m, old.keys[i]);
            m->keys[j] = old.keys[i];
            m->values[j] = old.values[i];
        }
    return true; /* the old arrays stay in the arena until the request ends */
}

bool webapi_idmap_put(webapi_idmap *m, const char *key, size_t value)
{
    if ((m->n + 1) * 2 > m->cap && !grow(m))
        return false;
    size_t i = slot_of(m, key);
    if (!m->keys[i]) {
        if (!(m->keys[i] = storm_arena_strdup(m->arena, key)))
            return false;
        m->n++;
    }
    m->values[i] = value;
    return true;
}
