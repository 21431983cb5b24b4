/* SPDX-License-Identifier: Apache-2.0 */
/* Process lineage for --correlate lineage: each exec id maps to the root of
 * its known process tree (the oldest ancestor seen through parent exec ids).
 * Bounded: two generations of at most cap/2 entries each; when the current
 * one fills, the older one is dropped (an approximate LRU). */
#ifndef STORM_DETECT_LINEAGE_H
#define STORM_DETECT_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "strmap.h"

typedef struct detect_lineage {
    strmap cur, prev; /* exec id -> owned root string */
    size_t cap;
} detect_lineage;

int detect_lineage_init(detect_lineage *l, size_t cap);
void detect_lineage_free(detect_lineage *l);
/* Record exec_id (child of parent_exec_id, may be NULL) and return its root
 * (borrowed until the next call). */
const char *detect_lineage_root(detect_lineage *l, const char *exec_id, const char *parent_exec_id);

/* A readable name of a process tree's root for people: "pid P on NODE" from a
 * Tetragon exec id (base64 of NODE:KTIME:PID). False when it is not one. */
bool detect_lineage_describe(const char *exec_id, char *buf, size_t cap);

#endif
