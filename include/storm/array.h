/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays on malloc: the one growth rule of Storm (doubling from a
 * first size, so appends cost O(1) amortised; sizes checked for overflow). */
#ifndef STORM_ARRAY_H
#define STORM_ARRAY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* arr_ptr is the address of an array pointer (T **, NULL for none yet)
 * holding *cap elements of elem bytes. Makes room for at least need
 * elements: realloc to the first power-of-two multiple of first (first >= 1)
 * that holds them. The array stays owned by the caller (free() it). Returns
 * 0, or -1 on out of memory or size overflow, leaving *arr_ptr and *cap as
 * they were. */
int storm_array_grow(void *arr_ptr, size_t *cap, size_t need, size_t elem, size_t first);

/* STORM_ARRAY_GROW(items, n + 1, alloc, 16) for a T *items and size_t alloc. */
#define STORM_ARRAY_GROW(arr, need, cap, first) storm_array_grow(&(arr), &(cap), (need), sizeof *(arr), (first))

#ifdef __cplusplus
}
#endif

#endif
