/* SPDX-License-Identifier: Apache-2.0 */
/* The store sink's writes waiting for the next commit. A sighting updated
 * many times between two commits is written once, as its last version: each
 * version used to cost a merge with the stored one and a new row of about a
 * kilobyte. Other objects (observed-data, SCOs, models) are kept once per id
 * and written in the order they came. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

#define PENDING_MIN_SLOTS 1024
#define PENDING_ARENA_CHUNK ((size_t)1 << 20) /* a batch holds megabytes */

void pipeline_pending_init(pipeline_pending *pd)
{
    memset(pd, 0, sizeof *pd);
}

void pipeline_pending_free(pipeline_pending *pd)
{
    storm_arena_free(pd->arena);
    free(pd->items);
    free(pd->slots);
    memset(pd, 0, sizeof *pd);
}

void pipeline_pending_reset(pipeline_pending *pd)
{
    if (pd->arena)
        storm_arena_reset(pd->arena);
    if (pd->slots)
        memset(pd->slots, 0, pd->n_slots * sizeof *pd->slots);
    pd->n = 0;
}

/* Index+1 of id's item in the slots, or where it would go (*slot). */
static size_t find(const pipeline_pending *pd, const char *collection, const char *id, size_t *slot)
{
    size_t mask = pd->n_slots - 1;
    for (size_t i = pipeline_id_hash(id) & mask;; i = (i + 1) & mask) {
        size_t k = pd->slots[i];
        if (!k || (strcmp(pd->items[k - 1].id, id) == 0 && strcmp(pd->items[k - 1].collection, collection) == 0)) {
            *slot = i;
            return k;
        }
    }
}

static bool grow_slots(pipeline_pending *pd)
{
    size_t n_slots = pd->n_slots ? pd->n_slots * 2 : PENDING_MIN_SLOTS;
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return false;
    free(pd->slots);
    pd->slots = slots;
    pd->n_slots = n_slots;
    for (size_t k = 0; k < pd->n; k++) {
        size_t slot;
        find(pd, pd->items[k].collection, pd->items[k].id, &slot);
        pd->slots[slot] = k + 1;
    }
    return true;
}

bool pipeline_pending_add(pipeline_pending *pd, const char *collection, const storm_value *obj)
{
    const char *id = storm_v_get_str(obj, "id");
    if (!id)
        return false;
    if (!pd->arena && !(pd->arena = storm_arena_new(PENDING_ARENA_CHUNK, 0)))
        return false;
    if ((pd->n + 1) * 2 > pd->n_slots && !grow_slots(pd))
        return false;
    size_t slot;
    size_t k = find(pd, collection, id, &slot);
    const char *type = storm_v_get_str(obj, "type");
    bool versioned = type && strcmp(type, "sighting") == 0;
    if (k && !versioned)
        return true; /* the same id is the same object (SCO ids are derived from their contents) */
    storm_value *copy = storm_v_copy(pd->arena, obj);
    if (!copy)
        return false;
    if (k) { /* a later version of a sighting replaces the earlier one, at its place, merged with it: what the
                pending version says must not be lost (a checkpoint's interim version, a sighting closed and
                opened again) */
        const storm_value *m = pipeline_merge_sighting_versions(pd->arena, pd->items[k - 1].obj, copy);
        if (!m)
            return true; /* the pending version says it all */
        copy = (storm_value *)m;
        pd->items[k - 1].obj = copy;
        pd->items[k - 1].id = storm_v_get_str(copy, "id");
        pd->versions_coalesced++;
        return true;
    }
    if (pd->n == pd->cap) {
        size_t cap = pd->cap ? pd->cap * 2 : 256;
        pipeline_pending_item *items = realloc(pd->items, cap * sizeof *items);
        if (!items)
            return false;
        pd->items = items;
        pd->cap = cap;
    }
    pd->items[pd->n] = (pipeline_pending_item){collection, storm_v_get_str(copy, "id"), copy, versioned};
    pd->slots[slot] = ++pd->n;
    return true;
}
