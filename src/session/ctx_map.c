/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker's string tables (ctx_map.h). */
#include "ctx_map.h"

#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/hash.h>

#include "big_table.h"

static uint64_t hash_str(const char *s)
{
    return storm_fnv1a(s, strlen(s));
}

bool ctx_map_init(ctx_map *m, size_t cap, uint64_t *evicted)
{
    memset(m, 0, sizeof *m);
    if (cap > SIZE_MAX / 2 / sizeof *m->e) /* the table's size and its buckets' */
        return false;
    m->cap = cap;
    m->evicted = evicted;
    m->n_buckets = 16;
    while (m->n_buckets < cap * 2)
        m->n_buckets <<= 1;
    /* both zeroed, untouched until used (a bucket holds its first slot + 1,
     * 0 when empty): the tables of the default cap are megabytes, which a
     * short run would otherwise fault in at start and walk at exit */
    m->e = big_table_alloc((cap ? cap : 1) * sizeof *m->e, false);
    m->bucket = big_table_alloc(m->n_buckets * sizeof *m->bucket, false);
    if (!m->e || !m->bucket) {
        ctx_map_free(m);
        return false;
    }
    return true;
}

void ctx_map_free(ctx_map *m)
{
    /* the entries held are the ring [head, head + n) */
    for (size_t k = 0; m->e && k < m->n; k++) {
        size_t i = (m->head + k) % m->cap;
        free(m->e[i].key);
        free(m->e[i].val);
    }
    big_table_free(m->e, (m->cap ? m->cap : 1) * sizeof *m->e);
    big_table_free(m->bucket, m->n_buckets * sizeof *m->bucket);
    memset(m, 0, sizeof *m);
}

static int64_t find(const ctx_map *m, const char *key, uint64_t h)
{
    for (int64_t i = m->bucket[h & (m->n_buckets - 1)] - 1; i >= 0; i = m->e[i].next)
        if (m->e[i].hash == h && strcmp(m->e[i].key, key) == 0)
            return i;
    return -1;
}

const char *ctx_map_get(const ctx_map *m, const char *key)
{
    if (!m->cap || !m->n)
        return NULL; /* empty: its buckets untouched (each read of one faulted a page in) */
    int64_t i = find(m, key, hash_str(key));
    return i >= 0 ? m->e[i].val : NULL;
}

static void unlink_slot(ctx_map *m, size_t slot)
{
    int64_t *head = &m->bucket[m->e[slot].hash & (m->n_buckets - 1)];
    if (*head - 1 == (int64_t)slot) {
        *head = m->e[slot].next + 1;
    } else {
        for (int64_t i = *head - 1; i >= 0; i = m->e[i].next)
            if (m->e[i].next == (int64_t)slot) {
                m->e[i].next = m->e[slot].next;
                break;
            }
    }
    free(m->e[slot].key);
    free(m->e[slot].val);
    m->e[slot].key = m->e[slot].val = NULL;
}

bool ctx_map_set(ctx_map *m, const char *key, const char *val)
{
    if (!m->cap)
        return true;
    uint64_t h = hash_str(key);
    int64_t i = find(m, key, h);
    if (i >= 0) {
        if (strcmp(m->e[i].val, val) == 0)
            return true;
        char *v = strdup(val);
        if (!v)
            return false;
        free(m->e[i].val);
        m->e[i].val = v;
        return true;
    }
    char *k = strdup(key), *v = strdup(val);
    if (!k || !v) {
        free(k);
        free(v);
        return false;
    }
    size_t slot = (m->head + m->n) % m->cap;
    if (m->n == m->cap) { /* full: the oldest goes */
        slot = m->head;
        unlink_slot(m, slot);
        m->head = (m->head + 1) % m->cap;
        m->n--;
        if (m->evicted)
            (*m->evicted)++;
    }
    size_t b = h & (m->n_buckets - 1);
    m->e[slot] = (ctx_entry){k, v, h, m->bucket[b] - 1};
    m->bucket[b] = (int64_t)slot + 1;
    m->n++;
    return true;
}

bool key_index_init(key_index *x)
{
    x->n = 0;
    x->n_buckets = 1024;
    x->bucket = calloc(x->n_buckets, sizeof *x->bucket);
    return x->bucket != NULL;
}

void key_index_free(key_index *x)
{
    for (size_t b = 0; x->bucket && b < x->n_buckets; b++)
        for (key_slot *k = x->bucket[b], *next; k; k = next) {
            next = k->next;
            free(k->key);
            free(k->v);
            free(k);
        }
    free(x->bucket);
    x->bucket = NULL;
}

uint64_t key_index_hash(const char *key)
{
    return hash_str(key);
}

key_slot *key_index_get_hash(const key_index *x, uint64_t h)
{
    for (key_slot *k = x->bucket[h & (x->n_buckets - 1)]; k; k = k->next)
        if (k->hash == h)
            return k;
    return NULL;
}

key_slot *key_index_get(const key_index *x, const char *key)
{
    return key_index_get_h(x, key, hash_str(key));
}

key_slot *key_index_get_h(const key_index *x, const char *key, uint64_t h)
{
    for (key_slot *k = x->bucket[h & (x->n_buckets - 1)]; k; k = k->next)
        if (k->hash == h && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static void rehash(key_index *x)
{
    size_t nb = x->n_buckets * 2;
    key_slot **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < x->n_buckets; i++)
        for (key_slot *k = x->bucket[i], *next; k; k = next) {
            next = k->next;
            k->next = b[k->hash & (nb - 1)];
            b[k->hash & (nb - 1)] = k;
        }
    free(x->bucket);
    x->bucket = b;
    x->n_buckets = nb;
}

bool key_index_add(key_index *x, const char *key, struct sess *s)
{
    return key_index_add_h(x, key, hash_str(key), s);
}

bool key_index_add_h(key_index *x, const char *key, uint64_t h, struct sess *s)
{
    key_slot *k = key_index_get_h(x, key, h);
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k || !(k->key = strdup(key))) {
            free(k);
            return false;
        }
        k->hash = h;
        size_t b = k->hash & (x->n_buckets - 1);
        k->next = x->bucket[b];
        x->bucket[b] = k;
        if (++x->n > x->n_buckets)
            rehash(x);
    }
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i] == s)
            return true;
    if (storm_array_grow(&k->v, &k->alloc, k->n + 1, sizeof *k->v, 2) != 0)
        return false;
    k->v[k->n++] = s;
    return true;
}

void key_index_remove(key_index *x, const char *key, struct sess *s)
{
    uint64_t h = hash_str(key);
    key_slot **pp = &x->bucket[h & (x->n_buckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
            break;
    key_slot *k = *pp;
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i] == s) {
            k->v[i] = k->v[--k->n];
            break;
        }
    if (k->n == 0) {
        *pp = k->next;
        free(k->key);
        free(k->v);
        free(k);
        x->n--;
    }
}
