/* SPDX-License-Identifier: Apache-2.0 */
/* A set of 64-bit hashes of ids, for "has this run written that id?":
 * it may answer yes for an id never added (two ids with one hash), never
 * no for one added, so a caller may skip work only on "no". It grows up to
 * a cap and then says so (full), after which nothing can be skipped. */
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

#include "pipeline_int.h"

#define HASH_SET_MAX_SLOTS ((size_t)1 << 23) /* 64 MiB: 4M ids */

uint64_t pipeline_id_hash(const char *id)
{
    uint64_t h = storm_fnv1a(id, strlen(id));
    return h ^ h >> 29; /* the high bits into the low ones the tables mask */
}

static uint64_t key_of(const char *id)
{
    uint64_t h = pipeline_id_hash(id);
    return h ? h : 1; /* 0 marks an empty slot */
}

static size_t slot_of(const uint64_t *slots, size_t n_slots, uint64_t k)
{
    size_t i = (size_t)k & (n_slots - 1);
    while (slots[i] && slots[i] != k)
        i = (i + 1) & (n_slots - 1);
    return i;
}

bool pipeline_hash_set_maybe_has(const pipeline_hash_set *set, const char *id)
{
    if (set->full)
        return true;
    if (!set->n)
        return false;
    uint64_t k = key_of(id);
    return set->slots[slot_of(set->slots, set->n_slots, k)] == k;
}

void pipeline_hash_set_add(pipeline_hash_set *set, const char *id)
{
    if (set->full)
        return;
    if ((set->n + 1) * 2 > set->n_slots) {
        size_t n_slots = set->n_slots ? set->n_slots * 2 : 4096;
        uint64_t *slots = n_slots <= HASH_SET_MAX_SLOTS ? calloc(n_slots, sizeof *slots) : NULL;
        if (!slots) {
            set->full = true; /* from now on every id may have been added */
            return;
        }
        for (size_t i = 0; i < set->n_slots; i++)
            if (set->slots[i])
                slots[slot_of(slots, n_slots, set->slots[i])] = set->slots[i];
        free(set->slots);
        set->slots = slots;
        set->n_slots = n_slots;
    }
    uint64_t k = key_of(id);
    size_t i = slot_of(set->slots, set->n_slots, k);
    if (!set->slots[i]) {
        set->slots[i] = k;
        set->n++;
    }
}

void pipeline_hash_set_free(pipeline_hash_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}
