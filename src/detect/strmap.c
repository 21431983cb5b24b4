/* SPDX-License-Identifier: Apache-2.0 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

uint64_t strmap_hash(const char *key, size_t len)
{
    uint64_t h = storm_fnv1a(key, len);
    return h ^ (h >> 31);
}

static strmap_entry **slot(const strmap *m, const char *key, size_t len, uint64_t h)
{
    strmap_entry **e = &m->buckets[h & (m->n_buckets - 1)];
    while (*e && !((*e)->hash == h && (*e)->key_len == len && memcmp((*e)->key, key, len) == 0))
        e = &(*e)->next;
    return e;
}

void *strmap_get(const strmap *m, const char *key, size_t len)
{
    if (!m->n_buckets)
        return NULL;
    strmap_entry *e = *slot(m, key, len, strmap_hash(key, len));
    return e ? e->value : NULL;
}

static int grow(strmap *m)
{
    size_t nb = m->n_buckets ? m->n_buckets * 2 : 64;
    strmap_entry **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < m->n_buckets; i++) {
        strmap_entry *e = m->buckets[i];
        while (e) {
            strmap_entry *next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = nb;
    return 0;
}

int strmap_put(strmap *m, const char *key, size_t len, void *value)
{
    if (m->n >= m->n_buckets && grow(m) != 0)
        return -1;
    uint64_t h = strmap_hash(key, len);
    strmap_entry **s = slot(m, key, len, h);
    if (*s) {
        (*s)->value = value;
        return 0;
    }
    strmap_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return -1;
    e->next = NULL;
    e->hash = h;
    e->value = value;
    e->key_len = len;
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    *s = e;
    m->n++;
    return 0;
}

void *strmap_remove(strmap *m, const char *key, size_t len)
{
    if (!m->n_buckets)
        return NULL;
    strmap_entry **s = slot(m, key, len, strmap_hash(key, len));
    strmap_entry *e = *s;
    if (!e)
        return NULL;
    *s = e->next;
    void *v = e->value;
    free(e);
    m->n--;
    return v;
}

void strmap_clear(strmap *m)
{
    for (size_t i = 0; i < m->n_buckets; i++) {
        strmap_entry *e = m->buckets[i];
        while (e) {
            strmap_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->n_buckets = m->n = 0;
}
