/* SPDX-License-Identifier: Apache-2.0 */
/* Region allocator: many small allocations, one free. Used per event batch
 * (decode, observations, match scratch) and for parsed documents. */
#ifndef STORM_ARENA_H
#define STORM_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_arena storm_arena;

/* Returns an owned arena (free with storm_arena_free) or NULL on OOM.
 * chunk: size of each block (0 = 64 KiB); cap: most bytes it may hold in all
 * (0 = unlimited). Allocations past the cap fail with NULL. */
storm_arena *storm_arena_new(size_t chunk, size_t cap);
void storm_arena_free(storm_arena *a);
/* Forget every allocation; keeps the first block for reuse. */
void storm_arena_reset(storm_arena *a);
/* 16-byte aligned, uninitialised; NULL on OOM or cap. Borrowed from the arena. */
void *storm_arena_alloc(storm_arena *a, size_t size);
void *storm_arena_calloc(storm_arena *a, size_t n, size_t size);
/* Copy of s[0..len) with a trailing NUL. */
char *storm_arena_strndup(storm_arena *a, const char *s, size_t len);
char *storm_arena_strdup(storm_arena *a, const char *s);
/* printf into the arena. */
char *storm_arena_printf(storm_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes handed out since creation or the last reset. */
size_t storm_arena_used(const storm_arena *a);
/* From now on a takes blocks of chunk bytes (rounded up to 2 MiB), each
 * 2 MiB-aligned and advised for transparent huge pages (MADV_HUGEPAGE)
 * where the system has them: one page fault per 2 MiB instead of 512. For
 * arenas known to grow to tens of megabytes (the models of 10,000
 * indicators); a huge page is 2 MiB of resident memory however little of
 * it is used. */
void storm_arena_use_huge_blocks(storm_arena *a, size_t chunk);

#ifdef __cplusplus
}
#endif
#endif
