/* SPDX-License-Identifier: Apache-2.0 */
/* A small per-thread cache of rendered pages (objects, manifest, versions).
 *
 * A TAXII page is a pure function of the request and the stored data, and
 * clients walking a collection ask for the same pages again and again. An
 * entry is valid only while the store's data version is the one it was
 * built at (storm_store_data_version: commits by any connection or process
 * move it), so a hit is exactly what the query would return. Rights are
 * checked before the cache is consulted. Bounded: TAXII_PAGE_CACHE_SLOTS
 * entries of at most TAXII_PAGE_CACHE_BODY_MAX bytes each, and
 * TAXII_PAGE_CACHE_BYTES in all. */
#include "taxii_int.h"

#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>

typedef struct cache_entry {
    uint64_t hash;
    uint64_t data_version;
    char *key; /* owned */
    size_t key_len;
    char *body; /* owned */
    size_t body_len;
    char added_first[40], added_last[40];
} cache_entry;

struct taxii_page_cache {
    cache_entry slots[TAXII_PAGE_CACHE_SLOTS];
    size_t bytes; /* bodies held, at most TAXII_PAGE_CACHE_BYTES */
};

taxii_page_cache *taxii_page_cache_new(void)
{
    return calloc(1, sizeof(taxii_page_cache));
}

static void drop(taxii_page_cache *c, cache_entry *e)
{
    c->bytes -= e->body_len;
    free(e->key);
    free(e->body);
    memset(e, 0, sizeof *e);
}

void taxii_page_cache_free(taxii_page_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < TAXII_PAGE_CACHE_SLOTS; i++)
        drop(c, &c->slots[i]);
    free(c);
}

bool taxii_page_cache_get(taxii_page_cache *c, const char *key, size_t key_len, uint64_t data_version,
                          taxii_response *rs)
{
    uint64_t h = storm_fnv1a(key, key_len);
    cache_entry *e = &c->slots[h % TAXII_PAGE_CACHE_SLOTS];
    if (!e->key || e->hash != h || e->key_len != key_len || memcmp(e->key, key, key_len) != 0)
        return false;
    if (e->data_version != data_version) {
        drop(c, e); /* stale for good: the data version only moves forward */
        return false;
    }
    storm_buf_reset(&rs->body);
    if (storm_buf_append(&rs->body, e->body, e->body_len))
        return false;
    rs->status = 200;
    memcpy(rs->added_first, e->added_first, sizeof rs->added_first);
    memcpy(rs->added_last, e->added_last, sizeof rs->added_last);
    return true;
}

void taxii_page_cache_put(taxii_page_cache *c, const char *key, size_t key_len, uint64_t data_version,
                          const taxii_response *rs)
{
    if (rs->status != 200 || rs->body.len > TAXII_PAGE_CACHE_BODY_MAX || !rs->body.data)
        return;
    uint64_t h = storm_fnv1a(key, key_len);
    cache_entry *e = &c->slots[h % TAXII_PAGE_CACHE_SLOTS];
    drop(c, e);
    if (c->bytes + rs->body.len > TAXII_PAGE_CACHE_BYTES)
        return;
    e->key = malloc(key_len);
    e->body = malloc(rs->body.len ? rs->body.len : 1);
    if (!e->key || !e->body) {
        free(e->key);
        free(e->body);
        memset(e, 0, sizeof *e);
        return;
    }
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    memcpy(e->body, rs->body.data, rs->body.len);
    e->body_len = rs->body.len;
    c->bytes += e->body_len;
    e->hash = h;
    e->data_version = data_version;
    memcpy(e->added_first, rs->added_first, sizeof e->added_first);
    memcpy(e->added_last, rs->added_last, sizeof e->added_last);
}
