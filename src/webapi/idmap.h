/* SPDX-License-Identifier: Apache-2.0 */
/* A string -> index map for one request (open addressing, arena memory):
 * indicator ids to their sighting totals, observed-data ids to pods. */
#ifndef STORM_WEBAPI_IDMAP_H
#define STORM_WEBAPI_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/arena.h>

typedef struct webapi_idmap {
    storm_arena *arena;
    const char **keys;
    size_t *values;
    size_t cap, n;
} webapi_idmap;

void webapi_idmap_init(webapi_idmap *m, storm_arena *a);
/* The value of key, or false when absent. */
bool webapi_idmap_get(const webapi_idmap *m, const char *key, size_t *value);
/* Set key (copied into the arena) to value. False on out of memory. */
bool webapi_idmap_put(webapi_idmap *m, const char *key, size_t value);

#endif
