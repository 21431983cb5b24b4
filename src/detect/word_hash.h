/* SPDX-License-Identifier: Apache-2.0 */
/* A word-at-a-time hash of short byte strings (the regex memo's keys,
 * the filter's command-line parts): the FNV-1a of the tables goes a byte
 * at a time, and command lines are hundreds of bytes. */
#ifndef STORM_DETECT_WORD_HASH_H
#define STORM_DETECT_WORD_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The r < 8 bytes at s as a little-endian word, zero above (what a
 * memcpy of r bytes into a zeroed word gives), without a call: two
 * overlapping loads from four bytes up, else the bytes. */
static inline uint64_t word_hash_tail(const char *s, size_t r)
{
    const unsigned char *t = (const unsigned char *)s;
    if (r >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, t, 4);
        memcpy(&hi, t + r - 4, 4);
        return lo | (uint64_t)hi << (8 * (r - 4));
    }
    if (!r)
        return 0;
    return t[0] | (uint64_t)t[r >> 1] << (8 * (r >> 1)) | (uint64_t)t[r - 1] << (8 * (r - 1));
}

/* The hash of s[0..n) under seed (keys of different kinds apart); never 0,
 * so 0 can mark an empty slot. */
static inline uint64_t word_hash(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ seed ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = word_hash_tail(s + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h ? h : 1;
}

#endif
