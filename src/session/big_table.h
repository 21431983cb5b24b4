/* SPDX-License-Identifier: Apache-2.0 */
/* Zeroed memory for the session tracker's large fixed tables (the lineage
 * and context maps: megabytes at the default caps). Private to src/session.
 *
 * Tables of a megabyte or more are mapped directly, so that their pages
 * stay untouched until used: calloc gave heap memory that it cleared at
 * start once glibc's mmap threshold had grown (15 million instructions of
 * start-up for the tracker's three maps). A table written for every event
 * (the lineage map) can ask for huge pages where the system offers them
 * (THP in madvise mode): one page fault per 2 MiB instead of 512, which
 * were 1.3% of a run's time on the kprobe bench stream. */
#ifndef STORM_SESSION_BIG_TABLE_H
#define STORM_SESSION_BIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* n zeroed bytes (n > 0), or NULL on OOM; free with big_table_free(p, n)
 * and the same n. huge: in huge pages if the system has them (a huge page
 * is resident as a whole once touched). */
void *big_table_alloc(size_t n, bool huge);
void big_table_free(void *p, size_t n);

#endif
