/* SPDX-License-Identifier: Apache-2.0 */
/* A string-keyed hash map with chaining (keys copied, values borrowed),
 * used for per-scope state, open sightings and the exec-id lineage. */
#ifndef STORM_DETECT_STRMAP_H
#define STORM_DETECT_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_entry {
    struct strmap_entry *next;
    uint64_t hash;
    void *value;
    size_t key_len;
    char key[]; /* NUL-terminated */
} strmap_entry;

typedef struct strmap {
    strmap_entry **buckets;
    size_t n_buckets, n;
} strmap;

uint64_t strmap_hash(const char *key, size_t len);
/* NULL when absent. */
void *strmap_get(const strmap *m, const char *key, size_t len);
/* Insert or replace; -1 on OOM. */
int strmap_put(strmap *m, const char *key, size_t len, void *value);
/* Remove; returns the value or NULL. */
void *strmap_remove(strmap *m, const char *key, size_t len);
/* Free all entries (not the values). */
void strmap_clear(strmap *m);

#endif
