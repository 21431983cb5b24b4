/* SPDX-License-Identifier: Apache-2.0 */
/* Small string tables of the session tracker. Private to src/session.
 *  - ctx_map: key -> value, bounded: when full the oldest entry goes
 *    (first in, first out) and is counted. For the context the tracker
 *    remembers (address -> pod, pod -> service account; which process
 *    started which is lineage_map.h).
 *  - key_index: key -> the sessions that hold it (unbounded itself; the
 *    sessions and their keys are capped by the tracker). */
#ifndef STORM_SESSION_CTX_MAP_H
#define STORM_SESSION_CTX_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ctx_entry {
    char *key, *val; /* owned */
    uint64_t hash;
    int64_t next; /* chain; -1 ends */
} ctx_entry;

typedef struct ctx_map {
    ctx_entry *e;    /* cap slots, used as a ring */
    int64_t *bucket; /* first slot of each chain + 1; 0: empty */
    size_t cap, n, head, n_buckets;
    uint64_t *evicted; /* counter to bump on eviction (borrowed) */
} ctx_map;

bool ctx_map_init(ctx_map *m, size_t cap, uint64_t *evicted);
void ctx_map_free(ctx_map *m);
/* Set key to val (copied); false on OOM. */
bool ctx_map_set(ctx_map *m, const char *key, const char *val);
/* The value of key (borrowed until the next set), or NULL. */
const char *ctx_map_get(const ctx_map *m, const char *key);

struct sess;
typedef struct key_slot {
    char *key; /* owned */
    uint64_t hash;
    struct sess **v; /* the sessions holding it */
    size_t n, alloc;
    struct key_slot *next;
} key_slot;

typedef struct key_index {
    key_slot **bucket;
    size_t n_buckets, n;
} key_index;

bool key_index_init(key_index *x);
void key_index_free(key_index *x);
/* The hash the index files key under. */
uint64_t key_index_hash(const char *key);
/* The slot of key, or NULL. */
key_slot *key_index_get(const key_index *x, const char *key);
/* The same, for a caller that has key's hash h (key_index_hash) already:
 * the tracker looks a key up several times per step. */
key_slot *key_index_get_h(const key_index *x, const char *key, uint64_t h);
/* The slot of the key hashed to h, or NULL (for the keys known only by
 * their hash: lineage_map.h says why a hash alone is enough). */
key_slot *key_index_get_hash(const key_index *x, uint64_t h);
/* Record that s holds key; false on OOM. Adding twice is a no-op. */
bool key_index_add(key_index *x, const char *key, struct sess *s);
/* The same with key's hash h (key_index_hash). */
bool key_index_add_h(key_index *x, const char *key, uint64_t h, struct sess *s);
/* s no longer holds key. */
void key_index_remove(key_index *x, const char *key, struct sess *s);

#endif
