/* SPDX-License-Identifier: Apache-2.0 */
/* After redaction, ids derived from original values would still leak them
 * (a UUIDv5 of an address can be found by trying every address). So: SCOs
 * with deterministic ids get them recomputed from their redacted properties
 * (the specification's rule, so equal redacted objects still share ids);
 * process SCOs, observed-data and sightings (ids derived from sensor keys
 * and input bytes) get a keyed UUID of their old id. References are then
 * rewritten everywhere. */
#include <storm/share.h>
#include <storm/hash.h>
#include <storm/stix.h>

#include <string.h>

#include "object_kind.h"
#include "redact_int.h"

typedef struct id_map {
    const char **old_ids, **new_ids;
    storm_value **objs; /* the object that had old_ids[i] */
    size_t n;
    size_t *slots; /* hash of old_ids: index + 1, 0 = empty; a power of two >= 2n */
    size_t n_slots;
} id_map;

static size_t id_hash(const char *s)
{
    return (size_t)storm_fnv1a(s, strlen(s));
}

/* A lookup per reference: hashed, so rewriting stays linear in the objects. */
static const char *map_find(const id_map *m, const char *id)
{
    for (size_t h = id_hash(id) & (m->n_slots - 1);; h = (h + 1) & (m->n_slots - 1)) {
        size_t k = m->slots[h];
        if (!k)
            return NULL;
        if (strcmp(m->old_ids[k - 1], id) == 0)
            return m->new_ids[k - 1];
    }
}

/* The first object of an id wins, as it did when the map was searched in order. */
static void map_index(id_map *m, size_t i)
{
    for (size_t h = id_hash(m->old_ids[i]) & (m->n_slots - 1);; h = (h + 1) & (m->n_slots - 1)) {
        size_t k = m->slots[h];
        if (!k) {
            m->slots[h] = i + 1;
            return;
        }
        if (strcmp(m->old_ids[k - 1], m->old_ids[i]) == 0)
            return;
    }
}

static bool ends_with(const char *key, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(key + len - n, suffix, n) == 0;
}

/* Rewrite every reference (values of *_ref and *_refs keys) through the map. */
static size_t rewrite_refs(storm_arena *a, storm_value *v, const id_map *m, bool in_ref, int depth)
{
    size_t changed = 0;
    if (!v || depth > 64)
        return 0;
    switch (v->type) {
    case STORM_V_OBJECT:
        for (size_t i = 0; i < v->u.o.len; i++) {
            storm_member *mb = &v->u.o.members[i];
            bool ref = ends_with(mb->key, mb->key_len, "_ref") || ends_with(mb->key, mb->key_len, "_refs");
            changed += rewrite_refs(a, mb->value, m, ref, depth + 1);
        }
        break;
    case STORM_V_ARRAY:
        for (size_t i = 0; i < v->u.a.len; i++)
            changed += rewrite_refs(a, v->u.a.items[i], m, in_ref, depth + 1);
        break;
    case STORM_V_STRING:
        if (in_ref) {
            const char *n = map_find(m, v->u.s.ptr);
            if (n && strcmp(n, v->u.s.ptr) != 0) {
                v->u.s.ptr = n;
                v->u.s.len = strlen(n);
                changed++;
            }
        }
        break;
    default: break;
    }
    return changed;
}

storm_rc redact_rewrite_ids(storm_redactor *r, storm_arena *a, storm_value *objects, storm_redact_stats *stats,
                            storm_err *err)
{
    size_t n = objects->u.a.len;
    size_t n_slots = 2;
    while (n_slots < 2 * n)
        n_slots *= 2;
    id_map m = {
        storm_arena_calloc(a, n ? n : 1, sizeof(char *)),        storm_arena_calloc(a, n ? n : 1, sizeof(char *)),
        storm_arena_calloc(a, n ? n : 1, sizeof(storm_value *)), 0,
        storm_arena_calloc(a, n_slots, sizeof(size_t)),          n_slots};
    if (!m.old_ids || !m.new_ids || !m.objs || !m.slots)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
    /* keyed ids first: they do not depend on other objects */
    for (size_t i = 0; i < n; i++) {
        storm_value *o = objects->u.a.items[i];
        const char *type = storm_v_get_str(o, "type"), *id = storm_v_get_str(o, "id");
        if (!type || !id || !share_is_derived(type))
            continue;
        char uuid[37];
        redactor_keyed_uuid(r, id, uuid);
        m.old_ids[m.n] = id;
        m.objs[m.n] = o;
        m.new_ids[m.n] = storm_arena_printf(a, "%s--%s", type, uuid);
        if (!m.new_ids[m.n])
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
        map_index(&m, m.n);
        m.n++;
    }
    /* deterministic SCO ids depend on referenced ids (file -> directory,
     * network-traffic -> addresses): recompute until nothing changes */
    /* which of them have a deterministic id at all (process SCOs do not):
     * only those are copied and recomputed, round after round */
    bool *det = storm_arena_calloc(a, m.n ? m.n : 1, sizeof *det);
    if (!det)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
    for (size_t i = 0; i < m.n; i++) {
        char nid[STORM_STIX_ID_MAX];
        det[i] = share_is_sco(storm_v_get_str(m.objs[i], "type")) && storm_stix_sco_id(m.objs[i], nid) == STORM_OK;
    }
    for (int round = 0; round < 8; round++) {
        bool changed = false;
        for (size_t i = 0; i < m.n; i++) {
            storm_value *o = m.objs[i];
            if (!det[i])
                continue;
            /* compute on a copy whose references already point at new ids */
            storm_value *copy = storm_v_copy(a, o);
            if (!copy)
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
            rewrite_refs(a, copy, &m, false, 0);
            char nid[STORM_STIX_ID_MAX];
            if (storm_stix_sco_id(copy, nid) != STORM_OK)
                continue; /* process and friends keep their keyed id */
            if (strcmp(nid, m.new_ids[i]) != 0) {
                m.new_ids[i] = storm_arena_strdup(a, nid);
                if (!m.new_ids[i])
                    return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        storm_value *o = objects->u.a.items[i];
        stats->ids_rewritten += rewrite_refs(a, o, &m, false, 0);
        const char *id = storm_v_get_str(o, "id");
        const char *nid = id ? map_find(&m, id) : NULL;
        if (nid && strcmp(nid, id) != 0) {
            if (storm_v_set_str(a, o, "id", nid))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rewriting ids");
            stats->ids_rewritten++;
        }
    }
    return STORM_OK;
}
