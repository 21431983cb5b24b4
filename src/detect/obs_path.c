/* SPDX-License-Identifier: Apache-2.0 */
#include "obs_path.h"

#include <string.h>

typedef struct walk {
    const storm_observation *obs;
    const pat_path *path;
    void (*fn)(void *ctx, const storm_value *v);
    void *ctx;
    size_t emitted;
    int derefs; /* guards against reference cycles */
} walk;

/* The suffix tests and the member lookup run for every indexed path of
 * every observation: fixed-size compares the compiler inlines, and the
 * first byte checked before a memcmp call. */
static inline bool key_is_ref(const char *s, size_t len)
{
    return len >= 4 && memcmp(s + len - 4, "_ref", 4) == 0;
}

static inline bool key_is_refs(const char *s, size_t len)
{
    return len >= 5 && memcmp(s + len - 5, "_refs", 5) == 0;
}

/* storm_v_getn: the last member of that key wins. */
static const storm_value *member(const storm_value *obj, const char *key, size_t len)
{
    if (obj->type != STORM_V_OBJECT)
        return NULL;
    if (len == 0) /* no first byte to compare */
        return storm_v_getn(obj, key, len);
    for (size_t i = obj->u.o.len; i-- > 0;) {
        const storm_member *m = &obj->u.o.members[i];
        if (m->key_len == len && m->key[0] == key[0] && memcmp(m->key, key, len) == 0)
            return m->value;
    }
    return NULL;
}

static void step_from(walk *w, const storm_value *v, size_t i);

static void deref_then(walk *w, const storm_value *ref, size_t next)
{
    if (!ref || ref->type != STORM_V_STRING || w->derefs > 16)
        return;
    const storm_value *target = storm_observation_resolve(w->obs, ref->u.s.ptr, ref->u.s.len);
    if (!target)
        return;
    w->derefs++;
    step_from(w, target, next);
    w->derefs--;
}

static void step_from(walk *w, const storm_value *v, size_t i)
{
    if (!v || w->emitted >= OBS_PATH_MAX_VALUES)
        return;
    if (i == w->path->n_steps) {
        if (v->type != STORM_V_ARRAY && v->type != STORM_V_OBJECT && v->type != STORM_V_NULL) {
            w->emitted++;
            w->fn(w->ctx, v);
        }
        return;
    }
    const pat_step *s = &w->path->steps[i];
    switch (s->kind) {
    case PAT_STEP_KEY: {
        const storm_value *c = member(v, s->key, s->key_len);
        if (!c)
            return;
        if (key_is_ref(s->key, s->key_len)) {
            deref_then(w, c, i + 1);
        } else if (key_is_refs(s->key, s->key_len) && c->type == STORM_V_ARRAY) {
            /* the next step is usually [*] or [n]: apply it to the refs, then resolve */
            if (i + 1 < w->path->n_steps && w->path->steps[i + 1].kind != PAT_STEP_KEY) {
                const pat_step *ix = &w->path->steps[i + 1];
                for (size_t k = 0; k < c->u.a.len; k++)
                    if (ix->kind == PAT_STEP_ANY || (int64_t)k == ix->index)
                        deref_then(w, c->u.a.items[k], i + 2);
            } else {
                for (size_t k = 0; k < c->u.a.len; k++)
                    deref_then(w, c->u.a.items[k], i + 1);
            }
        } else {
            step_from(w, c, i + 1);
        }
        return;
    }
    case PAT_STEP_INDEX:
        if (v->type == STORM_V_ARRAY && s->index >= 0 && (size_t)s->index < v->u.a.len)
            step_from(w, v->u.a.items[s->index], i + 1);
        return;
    case PAT_STEP_ANY:
        if (v->type == STORM_V_ARRAY)
            for (size_t k = 0; k < v->u.a.len; k++)
                step_from(w, v->u.a.items[k], i + 1);
        return;
    }
}

static bool is_type(const storm_value *obj, const char *type, size_t len)
{
    const storm_value *t = storm_v_get(obj, "type");
    return t && t->type == STORM_V_STRING && t->u.s.len == len && memcmp(t->u.s.ptr, type, len) == 0;
}

void obs_path_values(const storm_observation *obs, const pat_path *path, void (*fn)(void *ctx, const storm_value *v),
                     void *ctx)
{
    walk w = {obs, path, fn, ctx, 0, 0};
    for (size_t i = 0; i < obs->n_objects; i++)
        if (is_type(obs->objects[i].value, path->object_type, path->object_type_len))
            step_from(&w, obs->objects[i].value, 0);
}

bool obs_has_type(const storm_observation *obs, const char *type, size_t len)
{
    for (size_t i = 0; i < obs->n_objects; i++)
        if (is_type(obs->objects[i].value, type, len))
            return true;
    return false;
}

void obs_types_of(const storm_observation *obs, obs_types *out)
{
    out->n = obs->n_objects;
    if (out->n > OBS_TYPES_MAX)
        return;
    for (size_t i = 0; i < obs->n_objects; i++) {
        const storm_value *t = storm_v_get(obs->objects[i].value, "type");
        bool ok = t && t->type == STORM_V_STRING;
        out->type[i] = ok ? t->u.s.ptr : "";
        out->len[i] = ok ? t->u.s.len : 0;
    }
}

static bool type_is(const obs_types *types, size_t i, const char *type, size_t len)
{
    return types->len[i] == len && memcmp(types->type[i], type, len) == 0;
}

void obs_path_values_typed(const storm_observation *obs, const obs_types *types, const pat_path *path,
                           void (*fn)(void *ctx, const storm_value *v), void *ctx)
{
    if (types->n > OBS_TYPES_MAX) {
        obs_path_values(obs, path, fn, ctx);
        return;
    }
    walk w = {obs, path, fn, ctx, 0, 0};
    for (size_t i = 0; i < types->n; i++)
        if (type_is(types, i, path->object_type, path->object_type_len))
            step_from(&w, obs->objects[i].value, 0);
}

bool obs_types_has(const storm_observation *obs, const obs_types *types, const char *type, size_t len)
{
    if (types->n > OBS_TYPES_MAX)
        return obs_has_type(obs, type, len);
    for (size_t i = 0; i < types->n; i++)
        if (type_is(types, i, type, len))
            return true;
    return false;
}

void obs_path_values_kind(const storm_observation *obs, const int *kind, int want, const pat_path *path,
                          void (*fn)(void *ctx, const storm_value *v), void *ctx)
{
    walk w = {obs, path, fn, ctx, 0, 0};
    for (size_t i = 0; i < obs->n_objects && i < OBS_TYPES_MAX; i++)
        if (kind[i] == want)
            step_from(&w, obs->objects[i].value, 0);
}
