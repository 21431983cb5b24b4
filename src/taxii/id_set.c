/* SPDX-License-Identifier: Apache-2.0 */
#include "id_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <storm/hash.h>
#include <string.h>

void taxii_id_set_init(taxii_id_set *s)
{
    memset(s, 0, sizeof *s);
}

void taxii_id_set_free(taxii_id_set *s)
{
    free(s->keys);
    free(s->values);
    memset(s, 0, sizeof *s);
}

static size_t slot_of(const taxii_id_set *s, const char *id)
{
    size_t i = (size_t)storm_fnv1a(id, strlen(id)) & (s->cap - 1);
    while (s->keys[i] && strcmp(s->keys[i], id) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int grow(taxii_id_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    taxii_id_set n = {calloc(cap, sizeof *n.keys), calloc(cap, sizeof *n.values), cap, 0};
    if (!n.keys || !n.values) {
        free(n.keys);
        free(n.values);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->keys[i]) {
            size_t j = slot_of(&n, s->keys[i]);
            n.keys[j] = s->keys[i];
            n.values[j] = s->values[i];
            n.len++;
        }
    free(s->keys);
    free(s->values);
    *s = n;
    return 0;
}

int taxii_id_set_add(taxii_id_set *s, const char *id, size_t value)
{
    /* at most half full: probes stay short */
    if ((s->len + 1) * 2 > s->cap && grow(s) != 0)
        return -1;
    size_t i = slot_of(s, id);
    if (s->keys[i])
        return 0;
    s->keys[i] = id;
    s->values[i] = value;
    s->len++;
    return 1;
}

bool taxii_id_set_get(const taxii_id_set *s, const char *id, size_t *value)
{
    if (!s->cap)
        return false;
    size_t i = slot_of(s, id);
    if (!s->keys[i])
        return false;
    if (value)
        *value = s->values[i];
    return true;
}
