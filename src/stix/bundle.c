/* SPDX-License-Identifier: Apache-2.0 */
/* STIX bundles of observations: one per event (the JSON Lines output of
 * `storm convert`) or one for a whole stream (--bundle). Every bundle holds
 * Storm's identity and the extension-definitions its objects use, so that
 * each one validates on its own. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storm/hash.h>
#include <storm/json.h>

#include "stix_int.h"

/* Caps: one bundle of a whole stream may not grow without bound. */
#define BUNDLE_MAX_BYTES ((size_t)1 << 30)
#define BUNDLE_IDS_MAX_BYTES ((size_t)256 << 20)

/* ---- the fixed objects, serialised once ---- */

static char *meta_json[1 + STORM_STIX_EXT__COUNT]; /* [0] identity, [1+e] definition e */
static size_t meta_len[1 + STORM_STIX_EXT__COUNT];
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static void meta_build(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    if (!a)
        return;
    for (int i = 0; i <= STORM_STIX_EXT__COUNT; i++) {
        storm_value *v = i == 0 ? storm_stix_identity(a) : storm_stix_extension_definition(a, (storm_stix_ext)(i - 1));
        storm_buf b;
        storm_buf_init(&b, 1 << 16);
        if (v && storm_json_write(&b, v, STORM_JSONW_COMPACT) == STORM_OK)
            meta_json[i] = storm_buf_take(&b, &meta_len[i]);
        storm_buf_free(&b);
    }
    storm_arena_free(a);
}

static storm_rc write_meta(storm_buf *out, unsigned mask)
{
    pthread_once(&meta_once, meta_build);
    for (int i = 0; i <= STORM_STIX_EXT__COUNT; i++) {
        if (i > 0 && !(mask & (1u << (i - 1))))
            continue;
        if (!meta_json[i])
            return STORM_ERR_NOMEM;
        if (i > 0 && storm_buf_putc(out, ','))
            return STORM_ERR_LIMIT;
        storm_rc rc = storm_buf_append(out, meta_json[i], meta_len[i]);
        if (rc)
            return rc;
    }
    return STORM_OK;
}

/* Which of Storm's extension-definitions an object names in "extensions". */
static unsigned ext_mask_of(const storm_value *o)
{
    unsigned mask = 0;
    const storm_value *ext = storm_v_get(o, "extensions");
    if (!ext || ext->type != STORM_V_OBJECT)
        return 0;
    for (size_t i = 0; i < ext->u.o.len; i++) {
        const storm_member *m = &ext->u.o.members[i];
        if (m->key_len != STIX_EXT_ID_LEN)
            continue;
        for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
            const char *id = storm_stix_ext_get((storm_stix_ext)e)->id;
            /* observe.c uses the table's own pointers: compare those first */
            if (m->key == id || memcmp(m->key, id, STIX_EXT_ID_LEN) == 0) {
                mask |= 1u << e;
                break;
            }
        }
    }
    return mask;
}

static unsigned obs_ext_mask(const storm_observation *obs)
{
    unsigned mask = obs->sdo ? ext_mask_of(obs->sdo) : 0;
    for (size_t i = 0; i < obs->n_objects; i++)
        mask |= ext_mask_of(obs->objects[i].value);
    return mask;
}

static storm_rc write_header(storm_buf *out, const unsigned char md[20])
{
    char id[37];
    stix_uuid4_from_digest(md, id);
    storm_rc rc = storm_buf_puts(out, "{\"type\":\"bundle\",\"id\":\"bundle--");
    if (!rc)
        rc = storm_buf_append(out, id, 36);
    if (!rc)
        rc = storm_buf_puts(out, "\",\"objects\":[");
    return rc;
}

storm_rc storm_stix_write_observation_bundle(storm_buf *out, const storm_observation *obs)
{
    if (!out || !obs || !obs->sdo || !obs->id)
        return STORM_ERR_STATE;
    /* ids left pending (lazy_ids) never leave Storm as placeholders; free
     * when they are complete already */
    storm_stix_observation_finish(obs);
    unsigned char md[20];
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, "storm-bundle", 12);
    stix_sha1_update(&s, obs->id, strlen(obs->id));
    stix_sha1_final(&s, md);
    size_t mark = out->len;
    storm_rc rc = write_header(out, md);
    if (!rc)
        rc = write_meta(out, obs_ext_mask(obs));
    if (!rc)
        rc = storm_buf_putc(out, ',');
    if (!rc)
        rc = storm_json_write(out, obs->sdo, STORM_JSONW_COMPACT);
    for (size_t i = 0; i < obs->n_objects && !rc; i++) {
        rc = storm_buf_putc(out, ',');
        if (!rc)
            rc = storm_json_write(out, obs->objects[i].value, STORM_JSONW_COMPACT);
    }
    if (!rc)
        rc = storm_buf_puts(out, "]}");
    if (rc) { /* leave no half bundle behind */
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

/* ---- one bundle for many observations ---- */

typedef struct id_slot {
    uint64_t hash;
    size_t off; /* into ids; SIZE_MAX = empty */
} id_slot;

struct storm_stix_bundle {
    storm_buf objs; /* objects' JSON, comma-separated */
    storm_buf ids;  /* NUL-terminated ids of the objects, for deduplication */
    id_slot *slots;
    size_t nslots, count;
    unsigned mask;
    stix_sha1 sha; /* of the observed-data ids: the bundle id */
};

storm_stix_bundle *storm_stix_bundle_new(void)
{
    storm_stix_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    storm_buf_init(&b->objs, BUNDLE_MAX_BYTES);
    storm_buf_init(&b->ids, BUNDLE_IDS_MAX_BYTES);
    stix_sha1_init(&b->sha);
    stix_sha1_update(&b->sha, "storm-bundle", 12);
    return b;
}

void storm_stix_bundle_free(storm_stix_bundle *b)
{
    if (!b)
        return;
    storm_buf_free(&b->objs);
    storm_buf_free(&b->ids);
    free(b->slots);
    free(b);
}

void storm_stix_bundle_reset(storm_stix_bundle *b)
{
    storm_buf_reset(&b->objs);
    storm_buf_reset(&b->ids);
    for (size_t i = 0; i < b->nslots; i++)
        b->slots[i].off = SIZE_MAX;
    b->count = 0;
    b->mask = 0;
    stix_sha1_init(&b->sha);
    stix_sha1_update(&b->sha, "storm-bundle", 12);
}

size_t storm_stix_bundle_count(const storm_stix_bundle *b)
{
    return b ? b->count : 0;
}

static storm_rc grow_slots(storm_stix_bundle *b)
{
    size_t n = b->nslots ? b->nslots * 2 : 1024;
    id_slot *s = malloc(n * sizeof *s);
    if (!s)
        return STORM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        s[i].off = SIZE_MAX;
    for (size_t i = 0; i < b->nslots; i++) {
        if (b->slots[i].off == SIZE_MAX)
            continue;
        size_t j = b->slots[i].hash & (n - 1);
        while (s[j].off != SIZE_MAX)
            j = (j + 1) & (n - 1);
        s[j] = b->slots[i];
    }
    free(b->slots);
    b->slots = s;
    b->nslots = n;
    return STORM_OK;
}

/* true when id was new (and is now recorded) */
static storm_rc remember(storm_stix_bundle *b, const char *id, bool *is_new)
{
    if ((b->count + 1) * 2 > b->nslots && grow_slots(b))
        return STORM_ERR_NOMEM;
    uint64_t h = storm_fnv1a(id, strlen(id));
    size_t j = h & (b->nslots - 1);
    while (b->slots[j].off != SIZE_MAX) {
        if (b->slots[j].hash == h && strcmp(b->ids.data + b->slots[j].off, id) == 0) {
            *is_new = false;
            return STORM_OK;
        }
        j = (j + 1) & (b->nslots - 1);
    }
    size_t off = b->ids.len;
    storm_rc rc = storm_buf_append(&b->ids, id, strlen(id) + 1);
    if (rc)
        return rc;
    b->slots[j] = (id_slot){h, off};
    *is_new = true;
    return STORM_OK;
}

static storm_rc add_object(storm_stix_bundle *b, const char *id, const storm_value *v)
{
    bool is_new;
    storm_rc rc = remember(b, id, &is_new);
    if (rc || !is_new)
        return rc;
    size_t mark = b->objs.len;
    if (b->count)
        rc = storm_buf_putc(&b->objs, ',');
    if (!rc)
        rc = storm_json_write(&b->objs, v, STORM_JSONW_COMPACT);
    if (rc) {
        b->objs.len = mark;
        return rc;
    }
    b->count++;
    b->mask |= ext_mask_of(v);
    return STORM_OK;
}

storm_rc storm_stix_bundle_add(storm_stix_bundle *b, const storm_observation *obs)
{
    if (!b || !obs || !obs->sdo || !obs->id)
        return STORM_ERR_STATE;
    storm_stix_observation_finish(obs); /* as above */
    storm_rc rc = add_object(b, obs->id, obs->sdo);
    for (size_t i = 0; i < obs->n_objects && !rc; i++)
        rc = add_object(b, obs->objects[i].key, obs->objects[i].value);
    if (!rc)
        stix_sha1_update(&b->sha, obs->id, strlen(obs->id));
    return rc;
}

storm_rc storm_stix_bundle_write(const storm_stix_bundle *b, storm_buf *out)
{
    if (!b || !out)
        return STORM_ERR_STATE;
    stix_sha1 s = b->sha; /* finalise a copy: the bundle can keep growing */
    unsigned char md[20];
    stix_sha1_final(&s, md);
    storm_rc rc = write_header(out, md);
    if (!rc)
        rc = write_meta(out, b->mask);
    if (!rc && b->count)
        rc = storm_buf_putc(out, ',');
    if (!rc && b->objs.len)
        rc = storm_buf_append(out, b->objs.data, b->objs.len);
    if (!rc)
        rc = storm_buf_puts(out, "]}");
    return rc;
}
