/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker's lineage context: which process started which,
 * remembered for every event (so up to context_cap, 262,144 by default,
 * processes). Private to src/session.
 *
 * A process is named by the hash of its lineage key ("exec:" and its exec
 * id, fnv1a as the key index hashes it), not by an owned copy of the id:
 * an entry is 20 bytes in flat arrays instead of two owned strings and a
 * chained entry (~110 bytes and two allocations with 19-character ids,
 * more with Tetragon's longer ones), and
 * the ancestors a step's walk finds are looked up in the key index by that
 * same hash (key_index_get_hash). Two exec ids only mix up when their
 * 64-bit hashes are equal: with every id a sensor assigned (not chosen by
 * the workload) and at most 262,144 held (2^35 pairs), about 2 full tables
 * in 10^9 would hold such a pair, and the effect is one extra or missing
 * lineage link.
 *
 * Bounded like ctx_map: when full the oldest entry goes (first in, first
 * out) and is counted; setting a known process updates its parent in place.
 *
 * Every event sets one process, most of them new, and with a table of
 * megabytes each set waited for a cache miss on its bucket (4% of a run's
 * time on the kprobe bench stream). Sets are therefore queued and applied
 * together, LINEAGE_PENDING at a time or before a get (or
 * lineage_map_flush), in order, with the buckets and chains of the next
 * few prefetched: the misses overlap instead of following one another.
 * What a get answers and what is evicted are exactly as if every set were
 * applied at once. */
#ifndef STORM_SESSION_LINEAGE_MAP_H
#define STORM_SESSION_LINEAGE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The hash of a process that has no parent worth linking (a shared root:
 * the kernel, init, container runtimes); never a key's hash (lineage_hash
 * moves it). */
#define LINEAGE_ROOT 0

#define LINEAGE_PENDING 64

typedef struct lineage_map {
    uint64_t *key;    /* cap slots, used as a ring from head */
    uint64_t *parent; /* LINEAGE_ROOT: a shared root */
    uint32_t *next;   /* the chain's next slot + 1; 0 ends it */
    uint32_t *bucket; /* first slot of each chain + 1; 0: empty */
    size_t cap, n, head, n_buckets;
    uint64_t *evicted; /* counter to bump on eviction (borrowed) */
    /* sets not applied yet, oldest first */
    uint64_t pend_key[LINEAGE_PENDING], pend_parent[LINEAGE_PENDING];
    size_t n_pend;
} lineage_map;

/* The hash of exec id id: fnv1a of "exec:" and id, the hash the key index
 * gives the lineage key of that process. */
uint64_t lineage_hash(const char *id);

/* false on OOM or a cap beyond 2^31. */
bool lineage_map_init(lineage_map *m, size_t cap, uint64_t *evicted);
void lineage_map_free(lineage_map *m);
/* Remember that process h was started by parent (LINEAGE_ROOT for none). */
void lineage_map_set(lineage_map *m, uint64_t h, uint64_t parent);
/* Whether h is known; its parent then goes to *parent. Applies the queued
 * sets first. */
bool lineage_map_get(lineage_map *m, uint64_t h, uint64_t *parent);
/* Apply the queued sets. */
void lineage_map_flush(lineage_map *m);
/* How many entries applying the queued sets would evict, without applying
 * them: the eviction count as if every set were applied at once is
 * *evicted plus this. Reads only (statistics may be read from a thread
 * that does not own the map). */
uint64_t lineage_map_pending_evictions(const lineage_map *m);

#endif
