/* SPDX-License-Identifier: Apache-2.0 */
/* FNV-1a, 64 bits: the one byte-string hash of Storm's in-memory tables
 * (ids, strings, index keys, page cache). Cheap and good enough for
 * open addressing once the caller folds the high bits into the low ones it
 * masks with (h ^ h >> 29, as most tables here do). Never persisted, so it
 * may change; not keyed, so a table filled by a remote client must start
 * from a secret (storm_fnv1a_add over the secret first). Header-only: the
 * tables hash on their hot paths. */
#ifndef STORM_HASH_H
#define STORM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define STORM_FNV1A_INIT 0xcbf29ce484222325ULL /* the FNV-1a 64-bit offset basis */
#define STORM_FNV1A_PRIME 0x100000001b3ULL

/* Continue hash h over p[0..n): storm_fnv1a_add(storm_fnv1a(a, na), b, nb)
 * is the hash of a and b concatenated. */
static inline uint64_t storm_fnv1a_add(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * STORM_FNV1A_PRIME;
    return h;
}

/* FNV-1a of p[0..n) (embedded NULs count like any byte). */
static inline uint64_t storm_fnv1a(const void *p, size_t n)
{
    return storm_fnv1a_add(STORM_FNV1A_INIT, p, n);
}

#endif
