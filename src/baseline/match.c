/* SPDX-License-Identifier: Apache-2.0 */
/* Feature hashing and wildcard/CIDR matching of hand-written and imported
 * profile entries. Learned entries are exact (hash lookup); only entries with
 * a wildcard or a CIDR come here, and only when the exact lookup missed. */
#include "baseline_int.h"

#include <stdlib.h>
#include <string.h>

#include <storm/cidr.h>

#define SEGMENT_WILDCARD "\xe2\x8b\xaf" /* "⋯", Kubescape's dynamic path segment */
#define SEGMENT_WILDCARD_LEN 3
/* Wildcard matching backtracks; a budget keeps a hostile pattern from
 * costing more than this many steps. Over budget means "no match", which
 * keeps the event (the safe side). */
#define GLOB_STEP_BUDGET 20000

/* 8 bytes per step (the FNV byte loop this replaces was a tenth of check()'s
 * time), splitmix64's finaliser at the end so that the low bits, which pick
 * the hash slot, depend on every byte. Not persisted: may change freely.
 * Lookups compare the text too, so a collision costs a probe, never a wrong
 * answer. */
static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t load32(const char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

uint64_t bl_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL), w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        h = (h ^ load64(s + i)) * 0xc2b2ae3d27d4eb4fULL;
        h ^= h >> 29;
    }
    /* the last bytes by whole (overlapping) loads: a byte-wise copy into a
     * word stalls the load that follows it */
    if (i == n)
        return mix64(h);
    if (n >= 8)
        w = load64(s + n - 8);
    else if (n >= 4)
        w = load32(s) | load32(s + n - 4) << 32;
    else
        w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
            (uint64_t)(unsigned char)s[n - 1] << 16;
    h = (h ^ w) * 0xc2b2ae3d27d4eb4fULL;
    return mix64(h ^ (h >> 29));
}

static bool has_cidr_peer(const char *text);

bool bl_is_pattern(const char *text)
{
    return strchr(text, '*') || strstr(text, SEGMENT_WILDCARD) || has_cidr_peer(text);
}

static bool glob(const char *p, const char *t, int *budget)
{
    while (*p) {
        if (--*budget <= 0)
            return false;
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return true;
            for (const char *k = t; *k; k++)
                if (glob(p, k, budget))
                    return true;
            return false;
        }
        if (strncmp(p, SEGMENT_WILDCARD, SEGMENT_WILDCARD_LEN) == 0) {
            p += SEGMENT_WILDCARD_LEN;
            /* one or more characters of one path segment */
            for (const char *k = t; *k && *k != '/'; k++)
                if (glob(p, k + 1, budget))
                    return true;
            return false;
        }
        if (*p != *t)
            return false;
        p++;
        t++;
    }
    return *t == '\0';
}

/* Split "net dir proto peer port" into fields; false unless 5 of them. */
static bool net_fields(const char *text, char *copy, size_t cap, char *f[5])
{
    size_t n = strlen(text);
    if (n >= cap || strncmp(text, "net ", 4) != 0)
        return false;
    memcpy(copy, text, n + 1);
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (k == 5)
            return false;
        f[k++] = tok;
    }
    return k == 5;
}

/* A peer written as a block ("10.0.0.0/8"; storm/cidr.h): a plain address
 * is a value to look up, not a pattern. */
static bool is_block(const char *s, storm_cidr *c)
{
    return strchr(s, '/') && storm_cidr_parse(s, strlen(s), c);
}

static bool has_cidr_peer(const char *text)
{
    char copy[STORM_BASELINE_FEATURE_MAX], *f[5];
    storm_cidr c;
    return net_fields(text, copy, sizeof copy, f) && is_block(f[3], &c);
}

/* Is the address ip (a plain address, as events give it) inside the block cidr? */
static bool cidr_contains(const char *cidr, const char *ip)
{
    storm_cidr net, addr;
    return is_block(cidr, &net) && !strchr(ip, '/') && storm_cidr_parse(ip, strlen(ip), &addr) &&
           storm_cidr_contains(&net, &addr);
}

bool bl_pattern_match(const char *pattern, const char *text)
{
    int budget = GLOB_STEP_BUDGET;
    char pc[STORM_BASELINE_FEATURE_MAX], tc[STORM_BASELINE_FEATURE_MAX], *pf[5], *tf[5];
    if (net_fields(pattern, pc, sizeof pc, pf) && strchr(pf[3], '/') && net_fields(text, tc, sizeof tc, tf)) {
        for (int i = 0; i < 5; i++) {
            if (i == 3) {
                if (!cidr_contains(pf[3], tf[3]))
                    return false;
            } else if (!glob(pf[i], tf[i], &budget)) {
                return false;
            }
        }
        return true;
    }
    return glob(pattern, text, &budget);
}
