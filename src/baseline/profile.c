/* SPDX-License-Identifier: Apache-2.0 */
/* One workload's profile: its features in insertion order, an
 * open-addressing hash index over the exact ones, and the short list of
 * pattern entries (wildcards, CIDRs) that are scanned on an exact miss. */
#include "baseline_int.h"

#include <storm/array.h>

#include <stdlib.h>
#include <string.h>

bl_profile *bl_profile_new(const char *key, const char *origin)
{
    bl_profile *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->key = strdup(key);
    p->origin = strdup(origin ? origin : "learned");
    if (!p->key || !p->origin) {
        bl_profile_free(p);
        return NULL;
    }
    p->key_len = (uint32_t)strlen(key);
    p->key_hash = bl_hash(key, p->key_len);
    p->dirty = true;
    return p;
}

void bl_profile_free(bl_profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i]);
    free(p->items);
    free(p->index);
    free(p->patterns);
    free(p->key);
    free(p->origin);
    free(p);
}

static void index_put(bl_feature **idx, size_t cap, bl_feature *f)
{
    size_t s = (size_t)f->hash & (cap - 1);
    while (idx[s])
        s = (s + 1) & (cap - 1);
    idx[s] = f;
}

static bool index_rebuild(bl_profile *p, size_t cap)
{
    bl_feature **idx = calloc(cap, sizeof *idx);
    if (!idx)
        return false;
    for (size_t i = 0; i < p->n; i++) {
        bl_feature *f = p->items[i];
        if (!f->pattern && !f->removed)
            index_put(idx, cap, f);
    }
    free(p->index);
    p->index = idx;
    p->index_cap = cap;
    return true;
}

bl_feature *bl_profile_find(const bl_profile *p, const char *text, size_t len, uint64_t hash)
{
    if (!p->index_cap)
        return NULL;
    size_t mask = p->index_cap - 1;
    for (size_t s = (size_t)hash & mask; p->index[s]; s = (s + 1) & mask) {
        bl_feature *f = p->index[s];
        if (f->hash == hash && f->len == len && memcmp(f->text, text, len) == 0)
            return f;
    }
    return NULL;
}

bl_feature *bl_profile_add(bl_profile *p, const char *text, size_t len, bool *created)
{
    uint64_t h = bl_hash(text, len);
    bool pattern = bl_is_pattern(text);
    *created = false;
    if (!pattern) {
        bl_feature *f = bl_profile_find(p, text, len, h);
        if (f && f->removed) {
            /* removed (collapsed) and not yet compacted away: it is back */
            f->removed = false;
            f->dirty = true;
            f->denied = false;
            f->hits = 0;
            f->first_seen = 0;
            p->live++;
            p->dirty = true;
            *created = true;
        }
        if (f)
            return f;
    } else {
        for (size_t k = 0; k < p->n_patterns; k++) {
            bl_feature *f = p->items[p->patterns[k]];
            if (!f->removed && f->len == len && memcmp(f->text, text, len) == 0)
                return f;
        }
    }
    if (STORM_ARRAY_GROW(p->items, p->n + 1, p->alloc, 16))
        return NULL;
    bl_feature *f = calloc(1, sizeof *f + len + 1);
    if (!f)
        return NULL;
    f->text = (char *)(f + 1);
    memcpy(f->text, text, len);
    f->text[len] = '\0';
    f->len = len;
    f->hash = h;
    f->pattern = pattern;
    f->dirty = true;
    size_t item = p->n;
    if (pattern) {
        if (STORM_ARRAY_GROW(p->patterns, p->n_patterns + 1, p->patterns_alloc, 8)) {
            free(f);
            return NULL;
        }
        p->patterns[p->n_patterns++] = item;
    }
    p->items[p->n++] = f;
    p->live++;
    if (!pattern) {
        /* keep the load factor under 1/2 */
        if ((p->n + 1) * 2 > p->index_cap) {
            size_t cap = p->index_cap ? p->index_cap : 32;
            while (cap < (p->n + 1) * 2)
                cap *= 2;
            if (!index_rebuild(p, cap)) {
                p->n--;
                p->live--;
                free(f);
                return NULL;
            }
        } else {
            index_put(p->index, p->index_cap, f);
        }
    }
    p->dirty = true;
    *created = true;
    return f;
}

/* A deny pattern that matches text, if any. */
static const bl_feature *deny_pattern(const bl_profile *p, const char *text)
{
    for (size_t k = 0; k < p->n_patterns; k++) {
        const bl_feature *pf = p->items[p->patterns[k]];
        if (pf->denied && !pf->removed && bl_pattern_match(pf->text, text))
            return pf;
    }
    return NULL;
}

bool bl_profile_explains(const bl_profile *p, const char *text, size_t len, bool *denied)
{
    *denied = false;
    bl_feature *f = bl_profile_find(p, text, len, bl_hash(text, len));
    if (f && !f->removed) {
        /* a deny wins, also a deny pattern over a learned exact entry (only
         * looked for when the profile has a deny at all) */
        *denied = f->denied || (p->denied && p->n_patterns && deny_pattern(p, text));
        return !*denied;
    }
    /* a deny pattern wins over an allow pattern */
    bool allowed = false;
    for (size_t k = 0; k < p->n_patterns; k++) {
        const bl_feature *pf = p->items[p->patterns[k]];
        if (pf->removed || !bl_pattern_match(pf->text, text))
            continue;
        if (pf->denied) {
            *denied = true;
            return false;
        }
        allowed = true;
    }
    return allowed;
}

void bl_profile_compact(bl_profile *p)
{
    size_t w = 0, np = 0;
    for (size_t i = 0; i < p->n; i++) {
        bl_feature *f = p->items[i];
        if (f->removed) {
            free(f);
            continue;
        }
        if (f->pattern)
            p->patterns[np++] = w;
        p->items[w++] = f;
    }
    if (w == p->n)
        return;
    p->n = w;
    p->n_patterns = np;
    size_t cap = 32;
    while (cap < (p->n + 1) * 2)
        cap *= 2;
    if (!index_rebuild(p, cap)) {
        /* the old index names old item numbers: drop it rather than keep it stale;
         * lookups then miss (events are kept, the safe side) until the next add rebuilds it */
        free(p->index);
        p->index = NULL;
        p->index_cap = 0;
    }
}
