/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded set of ids (strings), for what the store sink remembers across
 * commits: when it would pass its cap it is emptied, so memory stays bounded
 * on an endless stream and a forgotten id only costs the slow path again. */
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

#include "pipeline_int.h"

#define ID_SET_CAP 65536 /* ids kept at most */

static size_t slot_of(const pipeline_id_set *set, const char *id)
{
    uint64_t h = storm_fnv1a(id, strlen(id));
    size_t mask = set->n_slots - 1;
    size_t i = (size_t)(h ^ h >> 29) & mask;
    while (set->slots[i] && strcmp(set->slots[i], id) != 0)
        i = (i + 1) & mask;
    return i;
}

void pipeline_id_set_clear(pipeline_id_set *set)
{
    for (size_t i = 0; i < set->n_slots; i++) {
        free(set->slots[i]);
        set->slots[i] = NULL;
    }
    set->n = 0;
}

void pipeline_id_set_free(pipeline_id_set *set)
{
    pipeline_id_set_clear(set);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

bool pipeline_id_set_has(const pipeline_id_set *set, const char *id)
{
    return set->n && set->slots[slot_of(set, id)] != NULL;
}

void pipeline_id_set_add(pipeline_id_set *set, const char *id)
{
    if (!set->slots) {
        set->slots = calloc(2 * ID_SET_CAP, sizeof *set->slots);
        if (!set->slots)
            return;
        set->n_slots = 2 * ID_SET_CAP;
    }
    size_t i = slot_of(set, id);
    if (set->slots[i])
        return;
    if (set->n >= ID_SET_CAP) {
        pipeline_id_set_clear(set);
        i = slot_of(set, id);
    }
    if ((set->slots[i] = strdup(id)))
        set->n++;
}

void pipeline_id_set_remove(pipeline_id_set *set, const char *id)
{
    if (!set->n)
        return;
    size_t i = slot_of(set, id);
    if (!set->slots[i])
        return;
    /* linear probing: re-place the run that follows the hole */
    free(set->slots[i]);
    set->slots[i] = NULL;
    set->n--;
    size_t mask = set->n_slots - 1;
    for (size_t j = (i + 1) & mask; set->slots[j]; j = (j + 1) & mask) {
        char *k = set->slots[j];
        set->slots[j] = NULL;
        set->slots[slot_of(set, k)] = k;
    }
}
