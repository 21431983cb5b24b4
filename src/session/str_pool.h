/* SPDX-License-Identifier: Apache-2.0 */
/* Shared copies of the strings many session steps repeat (indicator and
 * attack-pattern ids and names, tactics, pods, nodes, link rules; sighting
 * ids, so that a step is found by comparing addresses): one copy
 * per distinct string, counted by reference, instead of one per step (a
 * step held ~700 bytes, mostly these). Private to src/session. */
#ifndef STORM_SESSION_STR_POOL_H
#define STORM_SESSION_STR_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pooled pooled;

typedef struct str_pool {
    pooled **bucket;
    size_t n_buckets, n;
} str_pool;

bool str_pool_init(str_pool *p);
/* Frees every string still held: only once nothing refers to them. */
void str_pool_free(str_pool *p);
/* A shared copy of s with one more reference (NULL for NULL, or on OOM:
 * check s). Give it back with str_pool_release. */
char *str_pool_take(str_pool *p, const char *s);
/* The shared copy of s if p holds one (borrowed, no reference taken), else
 * NULL; h is storm_fnv1a of s (the hash key_index_hash gives), which the
 * caller has already. Two pooled strings are equal exactly when their
 * addresses are. */
const char *str_pool_find(const str_pool *p, const char *s, uint64_t h);
/* One reference less to s (from str_pool_take of p; NULL is ignored): the
 * copy is freed with the last one. */
void str_pool_release(str_pool *p, char *s);

#endif
