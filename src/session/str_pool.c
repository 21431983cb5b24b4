/* SPDX-License-Identifier: Apache-2.0 */
/* Shared step strings (str_pool.h). */
#include "str_pool.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

struct pooled {
    pooled *next;
    uint64_t hash;
    size_t refs;
    char s[]; /* what str_pool_take returns: the entry is found from it */
};

static pooled *entry_of(char *s)
{
    return (pooled *)(void *)(s - offsetof(pooled, s));
}

bool str_pool_init(str_pool *p)
{
    p->n = 0;
    p->n_buckets = 256;
    p->bucket = calloc(p->n_buckets, sizeof *p->bucket);
    return p->bucket != NULL;
}

void str_pool_free(str_pool *p)
{
    for (size_t b = 0; p->bucket && b < p->n_buckets; b++)
        for (pooled *e = p->bucket[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(p->bucket);
    p->bucket = NULL;
    p->n = 0;
}

static size_t bucket_of(const str_pool *p, uint64_t h)
{
    return (size_t)(h ^ h >> 29) & (p->n_buckets - 1);
}

static void grow(str_pool *p)
{
    size_t nb = p->n_buckets * 2;
    pooled **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < p->n_buckets; i++)
        for (pooled *e = p->bucket[i], *next; e; e = next) {
            next = e->next;
            size_t j = (size_t)(e->hash ^ e->hash >> 29) & (nb - 1);
            e->next = b[j];
            b[j] = e;
        }
    free(p->bucket);
    p->bucket = b;
    p->n_buckets = nb;
}

static pooled *find(const str_pool *p, const char *s, uint64_t h)
{
    for (pooled *e = p->bucket[bucket_of(p, h)]; e; e = e->next)
        if (e->hash == h && strcmp(e->s, s) == 0)
            return e;
    return NULL;
}

const char *str_pool_find(const str_pool *p, const char *s, uint64_t h)
{
    pooled *e = s ? find(p, s, h) : NULL;
    return e ? e->s : NULL;
}

char *str_pool_take(str_pool *p, const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s);
    uint64_t h = storm_fnv1a(s, len);
    pooled *e = find(p, s, h);
    if (e) {
        e->refs++;
        return e->s;
    }
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->s, s, len + 1);
    e->hash = h;
    e->refs = 1;
    size_t b = bucket_of(p, h);
    e->next = p->bucket[b];
    p->bucket[b] = e;
    if (++p->n > p->n_buckets)
        grow(p);
    return e->s;
}

void str_pool_release(str_pool *p, char *s)
{
    if (!s)
        return;
    pooled *e = entry_of(s);
    if (--e->refs > 0)
        return;
    pooled **pp = &p->bucket[bucket_of(p, e->hash)];
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    free(e);
    p->n--;
}
