/* SPDX-License-Identifier: Apache-2.0 */
/* Loading STIX observations (observed-data and the objects they cover) from
 * parsed JSON into storm_observation, the shape patterns are matched on.
 *
 * Accepted input: an observed-data object, a bundle, or an array of either
 * (bundles' objects are flattened). An observed-data's objects are its
 * inline "objects" map (STIX 2.0, still allowed in 2.1) plus, in STIX 2.1,
 * the objects its "object_refs" name among all objects of the input;
 * references that name nothing are skipped. For STIX 2.0, any object with
 * an "objects" map and a "first_observed" counts as observed data (older
 * producers call it "cybox-container"). Other objects (SCOs given
 * separately, SDOs) are not observations and are skipped. */
#include <string.h>

#include <storm/hash.h>
#include <storm/observation.h>

#include "match_int.h"

const storm_value *storm_observation_resolve(const storm_observation *obs, const char *ref, size_t ref_len)
{
    if (!obs || !ref)
        return NULL;
    for (size_t i = 0; i < obs->n_objects; i++) {
        const char *k = obs->objects[i].key;
        if (k && strlen(k) == ref_len && memcmp(k, ref, ref_len) == 0)
            return obs->objects[i].value;
    }
    return NULL;
}

/* --- id index over the input's objects (open addressing) ------------------ */

typedef struct id_index {
    const storm_value **slots;
    size_t cap; /* power of two */
} id_index;

static const storm_value *id_of(const storm_value *o)
{
    const storm_value *id = storm_v_get(o, "id");
    return id && id->type == STORM_V_STRING ? id : NULL;
}

static bool index_add(id_index *ix, const storm_value *o)
{
    const storm_value *id = id_of(o);
    if (!id)
        return true;
    size_t i = storm_fnv1a(id->u.s.ptr, id->u.s.len) & (ix->cap - 1);
    while (ix->slots[i]) {
        const storm_value *other = id_of(ix->slots[i]);
        if (other->u.s.len == id->u.s.len && memcmp(other->u.s.ptr, id->u.s.ptr, id->u.s.len) == 0) {
            ix->slots[i] = o; /* a later object of the same id wins, as in a JSON object */
            return true;
        }
        i = (i + 1) & (ix->cap - 1);
    }
    ix->slots[i] = o;
    return true;
}

static const storm_value *index_get(const id_index *ix, const char *s, size_t n)
{
    if (!ix->cap)
        return NULL;
    size_t i = storm_fnv1a(s, n) & (ix->cap - 1);
    while (ix->slots[i]) {
        const storm_value *id = id_of(ix->slots[i]);
        if (id->u.s.len == n && memcmp(id->u.s.ptr, s, n) == 0)
            return ix->slots[i];
        i = (i + 1) & (ix->cap - 1);
    }
    return NULL;
}

/* --- collecting the input's objects ----------------------------------------- */

typedef struct collected {
    const storm_value **items;
    size_t n, cap;
} collected;

static bool collect_push(storm_arena *a, collected *c, const storm_value *v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        const storm_value **items = storm_arena_alloc(a, cap * sizeof *items);
        if (!items)
            return false;
        if (c->n)
            memcpy(items, c->items, c->n * sizeof *items);
        c->items = items;
        c->cap = cap;
    }
    c->items[c->n++] = v;
    return true;
}

static bool collect(storm_arena *a, collected *c, const storm_value *v, int depth)
{
    if (depth > 8)
        return true;
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            if (!collect(a, c, v->u.a.items[i], depth + 1))
                return false;
        return true;
    }
    if (v->type != STORM_V_OBJECT)
        return true;
    if (storm_v_is_str(storm_v_get(v, "type"), "bundle")) {
        const storm_value *objs = storm_v_get(v, "objects");
        return !objs || objs->type != STORM_V_ARRAY || collect(a, c, objs, depth + 1);
    }
    return collect_push(a, c, v);
}

static bool is_observed_data(const storm_value *o, storm_spec spec)
{
    if (storm_v_is_str(storm_v_get(o, "type"), "observed-data"))
        return true;
    if (spec == STORM_SPEC_20) {
        const storm_value *objs = storm_v_get(o, "objects");
        return objs && objs->type == STORM_V_OBJECT && storm_v_get(o, "first_observed");
    }
    return false;
}

static uint32_t pos_of(const storm_value *v, const storm_value *fallback)
{
    if (v && v->pos != STORM_POS_NONE)
        return v->pos;
    return fallback && fallback->pos != STORM_POS_NONE ? fallback->pos : 0;
}

static storm_rc read_time(const storm_value *o, const char *key, storm_time_ns *out, storm_err *err)
{
    const storm_value *v = storm_v_get(o, key);
    if (!v)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(o, NULL), "observed-data has no '%s'", key);
    int64_t us;
    if (v->type != STORM_V_STRING || !stix_time_us(v->u.s.ptr, v->u.s.len, &us))
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(v, o),
                             "observed-data '%s' is not a STIX timestamp (like 2020-01-31T12:00:00Z)", key);
    /* microseconds, as patterns compare them; saturates past 1678..2261 */
    *out = stix_us_to_ns(us);
    return STORM_OK;
}

static storm_rc load_one(storm_arena *a, const storm_value *o, const id_index *ix, size_t index, storm_observation *ob,
                         storm_err *err)
{
    memset(ob, 0, sizeof *ob);
    ob->sdo = o;
    ob->index = index;
    const storm_value *id = id_of(o);
    ob->id = id ? id->u.s.ptr : NULL;
    storm_rc rc = read_time(o, "first_observed", &ob->first_observed, err);
    if (rc == STORM_OK)
        rc = read_time(o, "last_observed", &ob->last_observed, err);
    if (rc != STORM_OK)
        return rc;
    if (ob->last_observed < ob->first_observed)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(storm_v_get(o, "last_observed"), o),
                             "observed-data 'last_observed' is before its 'first_observed'");
    const storm_value *no = storm_v_get(o, "number_observed");
    if (!no)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(o, NULL), "observed-data has no 'number_observed'");
    if (no->type != STORM_V_INT || no->u.i < 1)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(no, o),
                             "observed-data 'number_observed' must be an integer of at least 1");
    ob->number_observed = no->u.i;

    const storm_value *inl = storm_v_get(o, "objects");
    const storm_value *refs = storm_v_get(o, "object_refs");
    size_t cap = (inl && inl->type == STORM_V_OBJECT ? inl->u.o.len : 0) +
                 (refs && refs->type == STORM_V_ARRAY ? refs->u.a.len : 0);
    ob->objects = storm_arena_calloc(a, cap ? cap : 1, sizeof *ob->objects);
    if (!ob->objects)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading observations");
    if (inl && inl->type == STORM_V_OBJECT)
        for (size_t i = 0; i < inl->u.o.len; i++) {
            const storm_member *m = &inl->u.o.members[i];
            if (m->value->type != STORM_V_OBJECT)
                continue;
            ob->objects[ob->n_objects].key = m->key;
            ob->objects[ob->n_objects].value = m->value;
            ob->n_objects++;
        }
    if (refs && refs->type == STORM_V_ARRAY)
        for (size_t i = 0; i < refs->u.a.len; i++) {
            const storm_value *r = refs->u.a.items[i];
            if (r->type != STORM_V_STRING)
                continue;
            const storm_value *target = index_get(ix, r->u.s.ptr, r->u.s.len);
            if (!target || storm_observation_resolve(ob, r->u.s.ptr, r->u.s.len))
                continue; /* dangling or listed twice */
            ob->objects[ob->n_objects].key = r->u.s.ptr;
            ob->objects[ob->n_objects].value = target;
            ob->n_objects++;
        }
    return STORM_OK;
}

storm_rc storm_observations_load(storm_arena *arena, const storm_value *root, storm_spec spec, storm_observation **out,
                                 size_t *n, storm_err *err)
{
    if (!arena || !root || !out || !n)
        return storm_err_set(err, STORM_ERR_STATE, 0, "storm_observations_load: missing argument");
    collected c = {0};
    if (!collect(arena, &c, root, 0))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading observations");
    size_t n_od = 0;
    for (size_t i = 0; i < c.n; i++)
        n_od += is_observed_data(c.items[i], spec);
    if (n_od == 0)
        return STORM_OK;
    id_index ix = {0};
    if (spec == STORM_SPEC_21) {
        ix.cap = 16;
        while (ix.cap < c.n * 2)
            ix.cap *= 2;
        ix.slots = storm_arena_calloc(arena, ix.cap, sizeof *ix.slots);
        if (!ix.slots)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading observations");
        for (size_t i = 0; i < c.n; i++)
            if (!is_observed_data(c.items[i], spec))
                index_add(&ix, c.items[i]);
    }
    storm_observation *arr = storm_arena_alloc(arena, (*n + n_od) * sizeof *arr);
    if (!arr)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading observations");
    if (*n)
        memcpy(arr, *out, *n * sizeof *arr);
    size_t k = *n;
    for (size_t i = 0; i < c.n; i++) {
        if (!is_observed_data(c.items[i], spec))
            continue;
        storm_rc rc = load_one(arena, c.items[i], &ix, k, &arr[k], err);
        if (rc != STORM_OK)
            return rc;
        k++;
    }
    *out = arr;
    *n = k;
    return STORM_OK;
}
