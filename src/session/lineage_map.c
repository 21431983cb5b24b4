/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker's lineage context (lineage_map.h). */
#include "lineage_map.h"

#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

#include "big_table.h"

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
    size_t slots = cap ? cap : 1;
    m->key = big_table_alloc(slots * sizeof *m->key, true);
    m->parent = big_table_alloc(slots * sizeof *m->parent, true);
    m->next = big_table_alloc(slots * sizeof *m->next, true);
    m->bucket = big_table_alloc(m->n_buckets * sizeof *m->bucket, true);
    if (!m->key || !m->parent || !m->next || !m->bucket) {
        lineage_map_free(m);
        return false;
    }
    return true;
}

void lineage_map_free(lineage_map *m)
{
    size_t slots = m->cap ? m->cap : 1;
    big_table_free(m->key, slots * sizeof *m->key);
    big_table_free(m->parent, slots * sizeof *m->parent);
    big_table_free(m->next, slots * sizeof *m->next);
    big_table_free(m->bucket, m->n_buckets * sizeof *m->bucket);
    memset(m, 0, sizeof *m);
}

static uint32_t find(const lineage_map *m, uint64_t h)
{
    for (uint32_t i = m->bucket[bucket_of(m, h)]; i; i = m->next[i - 1])
        if (m->key[i - 1] == h)
            return i;
    return 0;
}

bool lineage_map_get(lineage_map *m, uint64_t h, uint64_t *parent)
{
    if (!m->cap)
        return false;
    lineage_map_flush(m);
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

static void apply(lineage_map *m, uint64_t h, uint64_t parent)
{
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

/* How far ahead of the set applied the flush fetches buckets (and, half
 * as far, the chains they start). */
#define PREFETCH_AHEAD 16

static void prefetch_chain(const lineage_map *m, uint64_t h)
{
    uint32_t i = m->bucket[bucket_of(m, h)];
    if (i) {
        __builtin_prefetch(&m->key[i - 1]);
        __builtin_prefetch(&m->next[i - 1]);
    }
}

void lineage_map_flush(lineage_map *m)
{
    size_t n = m->n_pend;
    for (size_t k = 0; k < n && k < PREFETCH_AHEAD; k++)
        __builtin_prefetch(&m->bucket[bucket_of(m, m->pend_key[k])]);
    for (size_t k = 0; k < n && k < PREFETCH_AHEAD / 2; k++)
        prefetch_chain(m, m->pend_key[k]);
    for (size_t k = 0; k < n; k++) {
        if (k + PREFETCH_AHEAD < n)
            __builtin_prefetch(&m->bucket[bucket_of(m, m->pend_key[k + PREFETCH_AHEAD])]);
        if (k + PREFETCH_AHEAD / 2 < n)
            prefetch_chain(m, m->pend_key[k + PREFETCH_AHEAD / 2]);
        /* full: this set evicts the oldest entry, whose bucket it reads */
        if (m->n == m->cap && m->cap > PREFETCH_AHEAD)
            __builtin_prefetch(&m->bucket[bucket_of(m, m->key[(m->head + PREFETCH_AHEAD) % m->cap])]);
        apply(m, m->pend_key[k], m->pend_parent[k]);
    }
    m->n_pend = 0;
}

uint64_t lineage_map_pending_evictions(const lineage_map *m)
{
    /* the sets replayed on a view of the map: evictions take the oldest
     * entries first, the ring's from head (gone: how many), then those the
     * replay added (added[dropped..]) */
    uint64_t added[LINEAGE_PENDING];
    size_t n_added = 0, dropped = 0, gone = 0, n = m->n;
    uint64_t evictions = 0;
    for (size_t k = 0; k < m->n_pend; k++) {
        uint64_t h = m->pend_key[k];
        uint32_t i = find(m, h);
        bool held = i && (i - 1 + m->cap - m->head) % m->cap >= gone;
        for (size_t j = dropped; j < n_added && !held; j++)
            held = added[j] == h;
        if (held)
            continue;
        if (n == m->cap) {
            if (gone < m->n)
                gone++;
            else
                dropped++;
            n--;
            evictions++;
        }
        added[n_added++] = h;
        n++;
    }
    return evictions;
}

void lineage_map_set(lineage_map *m, uint64_t h, uint64_t parent)
{
    if (!m->cap)
        return;
    /* the same as the set queued before (one process's events in a row):
     * once that one is applied h has this parent, so this one changes nothing */
    if (m->n_pend && m->pend_key[m->n_pend - 1] == h && m->pend_parent[m->n_pend - 1] == parent)
        return;
    if (m->n_pend == LINEAGE_PENDING)
        lineage_map_flush(m);
    m->pend_key[m->n_pend] = h;
    m->pend_parent[m->n_pend] = parent;
    m->n_pend++;
}
