/* SPDX-License-Identifier: Apache-2.0 */
/* The lineage context map (src/session/lineage_map.h) against a plain
 * first-in-first-out list: its sets are queued and applied later, which
 * must not change what a get answers, what is evicted, or the count of
 * evictions (the count plus lineage_map_pending_evictions at any time, as
 * storm_session_get_stats reads it, and the count alone once flushed). */
#include <stdint.h>
#include <stdlib.h>

#include "lineage_map.h"
#include "test.h"

/* The reference: entries in insertion order, updated in place. */
typedef struct ref_map {
    uint64_t key[512], parent[512];
    size_t cap, n, head;
    uint64_t evicted;
} ref_map;

static size_t ref_find(const ref_map *r, uint64_t h)
{
    for (size_t k = 0; k < r->n; k++)
        if (r->key[(r->head + k) % r->cap] == h)
            return (r->head + k) % r->cap;
    return SIZE_MAX;
}

static void ref_set(ref_map *r, uint64_t h, uint64_t parent)
{
    size_t i = ref_find(r, h);
    if (i != SIZE_MAX) {
        r->parent[i] = parent;
        return;
    }
    if (r->n == r->cap) {
        r->head = (r->head + 1) % r->cap;
        r->n--;
        r->evicted++;
    }
    size_t at = (r->head + r->n) % r->cap;
    r->key[at] = h;
    r->parent[at] = parent;
    r->n++;
}

/* Random sets (often the same one twice in a row, as one process's events
 * are), gets and flushes (reads in 1000 operations) on both maps; keys
 * crowd one bucket half the time. Few reads: the queue fills and is
 * applied by a set. */
static void run_against_reference(size_t cap, int ops, unsigned reads, unsigned long long seed)
{
    lineage_map m;
    uint64_t evicted = 0;
    CHECK(lineage_map_init(&m, cap, &evicted));
    ref_map r = {.cap = cap};
    uint64_t last_h = 1, last_p = 0;
    int bad = 0;
    for (int i = 0; i < ops && !bad; i++) {
        unsigned op = test_rand(&seed, 1000);
        if (op >= reads) {
            uint64_t h = last_h, p = last_p;
            if (test_rand(&seed, 3) != 0) { /* a new set, else the previous one again */
                h = 1 + test_rand(&seed, (unsigned)cap + 4) * (test_rand(&seed, 2) ? 1024 : 1);
                p = test_rand(&seed, 4);
            }
            lineage_map_set(&m, h, p);
            ref_set(&r, h, p);
            last_h = h;
            last_p = p;
            bad += evicted + lineage_map_pending_evictions(&m) != r.evicted;
        } else if (op < reads * 2 / 3) {
            uint64_t h = 1 + test_rand(&seed, (unsigned)cap + 4) * (test_rand(&seed, 2) ? 1024 : 1), got = 99;
            bool found = lineage_map_get(&m, h, &got);
            size_t at = ref_find(&r, h);
            bad += found != (at != SIZE_MAX) || (found && got != r.parent[at]) || evicted != r.evicted;
        } else {
            lineage_map_flush(&m);
            bad += evicted != r.evicted || m.n != r.n;
        }
    }
    lineage_map_flush(&m);
    CHECK(!bad && evicted == r.evicted && m.n == r.n);
    /* every key the reference holds, with its parent */
    for (size_t k = 0; k < r.n; k++) {
        uint64_t got = 99;
        size_t at = (r.head + k) % r.cap;
        bad += !lineage_map_get(&m, r.key[at], &got) || got != r.parent[at];
    }
    CHECK(bad == 0);
    lineage_map_free(&m);
}

static void test_queued_sets_match_reference(void)
{
    for (size_t cap = 1; cap <= 40; cap += cap < 10 ? 1 : 10)
        for (unsigned long long seed = 1; seed <= 20; seed++) {
            run_against_reference(cap, 2000, 300, seed * 7919 + cap);
            run_against_reference(cap, 2000, 5, seed * 7919 + cap);
        }
    for (size_t cap = 100; cap <= 500; cap += 200) /* larger than the prefetch distance */
        for (unsigned long long seed = 1; seed <= 5; seed++)
            run_against_reference(cap, 20000, 5, seed * 104729 + cap);
}

/* A get right after a set sees it, and a set of what the queue holds last
 * changes nothing; the eviction count is exact once flushed. */
static void test_get_sees_queued_set(void)
{
    lineage_map m;
    uint64_t evicted = 0;
    CHECK(lineage_map_init(&m, 2, &evicted));
    uint64_t p = 0;
    lineage_map_set(&m, 10, 1);
    CHECK(lineage_map_get(&m, 10, &p) && p == 1);
    lineage_map_set(&m, 10, 2); /* known: updated in place */
    lineage_map_set(&m, 10, 2);
    lineage_map_set(&m, 11, 1);
    lineage_map_set(&m, 12, 1); /* 10 goes */
    lineage_map_flush(&m);
    CHECK(evicted == 1 && m.n == 2);
    CHECK(!lineage_map_get(&m, 10, &p));
    CHECK(lineage_map_get(&m, 11, &p) && p == 1);
    lineage_map_free(&m);
    CHECK(lineage_map_init(&m, 0, &evicted)); /* cap 0: remembers nothing */
    lineage_map_set(&m, 10, 1);
    CHECK(!lineage_map_get(&m, 10, &p));
    lineage_map_free(&m);
}

int main(void)
{
    RUN(test_queued_sets_match_reference);
    RUN(test_get_sees_queued_set);
    return test_report("test_lineage_map");
}
