/* SPDX-License-Identifier: Apache-2.0 */
/* Zeroed memory for the session tracker's large fixed tables (the lineage
 * and context maps: megabytes at the default caps). Private to src/session.
 *
 * Tables of a megabyte or more are mapped directly, so that their pages
 * stay untouched until used: calloc gave heap memory that it cleared at
 * start once glibc's mmap threshold had grown (15 million instructions of
 * start-up for the tracker's three maps). Huge pages (MADV_HUGEPAGE) were
 * tried for the lineage map, probed at random for every event, and changed
 * nothing measurable on this VM. */
#ifndef STORM_SESSION_BIG_TABLE_H
#define STORM_SESSION_BIG_TABLE_H

#include <stddef.h>

/* n zeroed bytes (n > 0), or NULL on OOM; free with big_table_free(p, n)
 * and the same n. */
void *big_table_alloc(size_t n);
void big_table_free(void *p, size_t n);

#endif
