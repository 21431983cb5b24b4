/* SPDX-License-Identifier: Apache-2.0 */
/* Kept GET answers (webapi_int.h): a few slots, least recently used out,
 * each valid while its store connection's data version is unchanged. */
#include "webapi_int.h"

#include <stdlib.h>
#include <string.h>

static bool current(storm_store *st, uint64_t *version)
{
    storm_err err = {0};
    return storm_store_data_version(st, version, &err) == STORM_OK;
}

bool webapi_cache_get(storm_webapi *w, storm_store *st, const char *key, size_t key_len, storm_webapi_response *rs)
{
    uint64_t version;
    if (!current(st, &version))
        return false;
    bool hit = false;
    pthread_mutex_lock(&w->cache_lock);
    for (size_t i = 0; i < WEBAPI_CACHE_SLOTS && !hit; i++) {
        webapi_cached *c = &w->cache[i];
        if (!c->used || c->store != st || c->key_len != key_len || memcmp(c->key, key, key_len) != 0)
            continue;
        if (c->data_version != version)
            break; /* stale: replaced by the put that follows */
        storm_buf_reset(&rs->body);
        if (storm_buf_append(&rs->body, c->body, c->body_len) == STORM_OK) {
            rs->status = 200;
            rs->content_type = c->content_type;
            c->last_use = ++w->cache_clock;
            hit = true;
        }
    }
    pthread_mutex_unlock(&w->cache_lock);
    return hit;
}

static void drop(webapi_cached *c)
{
    free(c->key);
    free(c->body);
    memset(c, 0, sizeof *c);
}

void webapi_cache_put(storm_webapi *w, storm_store *st, const char *key, size_t key_len,
                      const storm_webapi_response *rs)
{
    uint64_t version;
    if (rs->status != 200 || rs->body.len > WEBAPI_CACHE_BODY_MAX || !current(st, &version))
        return;
    char *k = malloc(key_len), *b = malloc(rs->body.len ? rs->body.len : 1);
    if (!k || !b) {
        free(k);
        free(b);
        return;
    }
    memcpy(k, key, key_len);
    if (rs->body.len)
        memcpy(b, rs->body.data, rs->body.len);
    pthread_mutex_lock(&w->cache_lock);
    webapi_cached *slot = &w->cache[0];
    for (size_t i = 0; i < WEBAPI_CACHE_SLOTS; i++) {
        webapi_cached *c = &w->cache[i];
        if (c->used && c->store == st && c->key_len == key_len && memcmp(c->key, key, key_len) == 0) {
            slot = c; /* the same answer again: replace it */
            break;
        }
        if (!c->used || (slot->used && c->last_use < slot->last_use))
            slot = c;
    }
    drop(slot);
    *slot = (webapi_cached){.used = true,
                            .store = st,
                            .data_version = version,
                            .key = k,
                            .key_len = key_len,
                            .body = b,
                            .body_len = rs->body.len,
                            .content_type = rs->content_type,
                            .last_use = ++w->cache_clock};
    pthread_mutex_unlock(&w->cache_lock);
}

void webapi_cache_free(storm_webapi *w)
{
    for (size_t i = 0; i < WEBAPI_CACHE_SLOTS; i++)
        drop(&w->cache[i]);
}
