/* SPDX-License-Identifier: Apache-2.0 */
#include "bundle_text.h"

#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>
#include <storm/json.h>

#define BUNDLE_TEXT_MAX ((size_t)1 << 20) /* entries kept: the models' indicators and a few definitions */

static uint64_t key_hash(const void *ptr, const char *id)
{
    return id ? storm_fnv1a(id, strlen(id)) : storm_fnv1a(&ptr, sizeof ptr);
}

static bundle_text_entry *find(const bundle_text *c, const void *ptr, const char *id, uint64_t h)
{
    if (!c->cap)
        return NULL;
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        bundle_text_entry *e = &c->e[i];
        if (!e->text)
            return NULL;
        if (e->hash == h && e->ptr == ptr && (id ? e->id && strcmp(e->id, id) == 0 : !e->id))
            return e;
    }
}

static bool grow(bundle_text *c)
{
    size_t nc = c->cap ? c->cap * 2 : 64;
    bundle_text_entry *ne = calloc(nc, sizeof *ne);
    if (!ne)
        return false;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->e[i].text)
            continue;
        size_t k = c->e[i].hash & (nc - 1);
        while (ne[k].text)
            k = (k + 1) & (nc - 1);
        ne[k] = c->e[i];
    }
    free(c->e);
    c->e = ne;
    c->cap = nc;
    return true;
}

/* Keep text[0..len) under the key; nothing when out of memory or full. */
static void keep(bundle_text *c, const void *ptr, const char *id, uint64_t h, const char *text, size_t len)
{
    if (c->n >= BUNDLE_TEXT_MAX || ((c->n + 1) * 2 > c->cap && !grow(c)))
        return;
    char *t = malloc(len + 1), *i = id ? strdup(id) : NULL;
    if (!t || (id && !i)) {
        free(t);
        free(i);
        return;
    }
    memcpy(t, text, len);
    t[len] = '\0';
    size_t k = h & (c->cap - 1);
    while (c->e[k].text)
        k = (k + 1) & (c->cap - 1);
    c->e[k] = (bundle_text_entry){ptr, i, h, t, len};
    c->n++;
}

storm_rc bundle_text_write(bundle_text *c, storm_buf *out, const storm_value *v, bool by_ptr)
{
    const void *ptr = by_ptr ? v : NULL;
    const char *id = by_ptr ? NULL : storm_v_get_str(v, "id");
    if (!by_ptr && !id)
        return storm_json_write(out, v, STORM_JSONW_COMPACT);
    uint64_t h = key_hash(ptr, id);
    const bundle_text_entry *e = find(c, ptr, id, h);
    if (e)
        return storm_buf_append(out, e->text, e->len);
    size_t start = out->len;
    storm_rc rc = storm_json_write(out, v, STORM_JSONW_COMPACT);
    if (rc == STORM_OK)
        keep(c, ptr, id, h, out->data + start, out->len - start);
    return rc;
}

void bundle_text_free(bundle_text *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        free(c->e[i].id);
        free(c->e[i].text);
    }
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
}
