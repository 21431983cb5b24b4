/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker's lineage context (lineage_map.h). */
#include "lineage_map.h"

#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

uint64_t lineage_hash(const char *id)
{
    uint64_t h = storm_fnv1a_add(storm_fnv1a("exec:", 5), id, strlen(id));
    /* the hash has to differ from "no parent"; 1 in 2^64 lands there */
    return h == LINEAGE_ROOT ? h + 1 : h;
}

static size_t bucket_of(const lineage_map *m, uint64_t h)
{
    return (size_t)(h ^ h >> 29) & (m->n_buckets - 1);
}

bool lineage_map_init(lineage_map *m, size_t cap, uint64_t *evicted)
{
    memset(m, 0, sizeof *m);
    if (cap >= (size_t)1 << 31)
        return false;
    m->cap = cap;
    m->evicted = evicted;
    m->n_buckets = 16;
    while (m->n_buckets < cap * 2)
        m->n_buckets <<= 1;
    /* zeroed pages stay untouched until used: a short run does not fault
     * in the megabytes of the default cap */
    m->key = calloc(cap ? cap : 1, sizeof *m->key);
    m->parent = calloc(cap ? cap : 1, sizeof *m->parent);
    m->next = calloc(cap ? cap : 1, sizeof *m->next);
    m->bucket = calloc(m->n_buckets, sizeof *m->bucket);
    if (!m->key || !m->parent || !m->next || !m->bucket) {
        lineage_map_free(m);
        return false;
    }
    return true;
}

void lineage_map_free(lineage_map *m)
{
    free(m->key);
    free(m->parent);
    free(m->next);
    free(m->bucket);
    memset(m, 0, sizeof *m);
}

static uint32_t find(const lineage_map *m, uint64_t h)
{
    for (uint32_t i = m->bucket[bucket_of(m, h)]; i; i = m->next[i - 1])
        if (m->key[i - 1] == h)
            return i;
    return 0;
}

bool lineage_map_get(const lineage_map *m, uint64_t h, uint64_t *parent)
{
    if (!m->cap)
        return false;
    uint32_t i = find(m, h);
    if (i)
        *parent = m->parent[i - 1];
    return i != 0;
}

static void unlink_slot(lineage_map *m, uint32_t slot)
{
    uint32_t *link = &m->bucket[bucket_of(m, m->key[slot])];
    while (*link && *link != slot + 1)
        link = &m->next[*link - 1];
    if (*link)
        *link = m->next[slot];
}

void lineage_map_set(lineage_map *m, uint64_t h, uint64_t parent)
{
    if (!m->cap)
        return;
    uint32_t i = find(m, h);
    if (i) {
        m->parent[i - 1] = parent;
        return;
    }
    size_t slot = (m->head + m->n) % m->cap;
    if (m->n == m->cap) { /* full: the oldest goes */
        slot = m->head;
        unlink_slot(m, (uint32_t)slot);
        m->head = (m->head + 1) % m->cap;
        m->n--;
        if (m->evicted)
            (*m->evicted)++;
    }
    size_t b = bucket_of(m, h);
    m->key[slot] = h;
    m->parent[slot] = parent;
    m->next[slot] = m->bucket[b];
    m->bucket[b] = (uint32_t)slot + 1;
    m->n++;
}
