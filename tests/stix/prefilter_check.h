/* SPDX-License-Identifier: Apache-2.0 */
/* The check shared by test_prefilter and fuzz_prefilter: every scalar the
 * built observation holds at a path the prefilter claims to read must be
 * among the values it reads off the event (storm/stix_prefilter.h). */
#ifndef STORM_TEST_PREFILTER_CHECK_H
#define STORM_TEST_PREFILTER_CHECK_H

#include <stdio.h>
#include <string.h>
#include <storm/stix.h>
#include <storm/stix_prefilter.h>

#define MAX_STEPS 12
#define MAX_VALUES 4096

typedef struct collected {
    storm_arena *a;
    size_t n;
    storm_value v[MAX_VALUES];
} collected;

static void collect(void *ctx, const storm_value *v)
{
    collected *c = ctx;
    if (c->n == MAX_VALUES)
        return;
    storm_value copy = *v;
    if (v->type == STORM_V_STRING) {
        char *s = storm_arena_strndup(c->a, v->u.s.ptr, v->u.s.len);
        copy.u.s.ptr = s;
    }
    c->v[c->n++] = copy;
}

static void collect_placed(void *ctx, int lo, int hi, const storm_value *v)
{
    (void)lo;
    (void)hi;
    collect(ctx, v);
}

static bool same_scalar(const storm_value *x, const storm_value *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case STORM_V_STRING: return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case STORM_V_INT: return x->u.i == y->u.i;
    case STORM_V_FLOAT: return x->u.f == y->u.f;
    case STORM_V_BOOL: return x->u.b == y->u.b;
    default: return true;
    }
}

typedef struct walk {
    storm_arena *a;
    const storm_event *ev;
    const storm_observation *obs;
    const char *type;
    storm_stix_step steps[MAX_STEPS];
    size_t n;
    const char *where; /* for messages */
    int checked, missing;
} walk;

static const storm_value *object_by_id(const storm_observation *obs, const char *id, size_t len)
{
    for (size_t i = 0; i < obs->n_objects; i++)
        if (strlen(obs->objects[i].key) == len && memcmp(obs->objects[i].key, id, len) == 0)
            return obs->objects[i].value;
    return NULL;
}

static void path_text(const walk *w, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "%s:", w->type);
    for (size_t i = 0; i < w->n && o < cap; i++) {
        if (w->steps[i].key)
            o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", i ? "." : "", (int)w->steps[i].key_len, w->steps[i].key);
        else if (w->steps[i].index >= 0)
            o += (size_t)snprintf(buf + o, cap - o, "[%lld]", (long long)w->steps[i].index);
        else
            o += (size_t)snprintf(buf + o, cap - o, "[*]");
    }
}

/* A scalar v at the current path: the prefilter must give it if it reads the path. */
static void check_value(walk *w, const storm_value *v)
{
    int h = storm_stix_prefilter_path(w->type, strlen(w->type), w->steps, w->n);
    if (h < 0)
        return;
    static collected c;
    c.a = w->a;
    c.n = 0;
    storm_stix_opts o = {0};
    if (!storm_stix_prefilter_values(w->a, w->ev, &o, h, collect, &c)) {
        w->missing++; /* an arena without a cap: cannot happen */
        return;
    }
    bool found = false;
    for (size_t i = 0; i < c.n && !found; i++)
        found = same_scalar(&c.v[i], v);
    /* the values at the path's own steps (below a structured property),
     * and the event parts it reads */
    c.n = 0;
    bool at_ok = storm_stix_prefilter_path_values(w->a, w->ev, &o, h, w->steps, w->n,
                                                  storm_stix_prefilter_places(w->ev), collect_placed, &c);
    bool found_at = false;
    for (size_t i = 0; at_ok && i < c.n && !found_at; i++)
        found_at = same_scalar(&c.v[i], v);
    bool parts = (storm_stix_prefilter_reads(h) & storm_stix_prefilter_parts(w->ev)) != 0;
    if (found && found_at && parts) {
        w->checked++;
        return;
    }
    w->missing++;
    char p[512];
    path_text(w, p, sizeof p);
    fprintf(stderr, "%s: prefilter misses %s = %.*s%s%s%s\n", w->where, p,
            v->type == STORM_V_STRING ? (int)v->u.s.len : 5, v->type == STORM_V_STRING ? v->u.s.ptr : "(num)",
            found ? "" : " (all values)", found_at ? "" : " (at its steps)", parts ? "" : " (parts)");
}

static void walk_value(walk *w, const storm_value *v, int depth)
{
    if (!v || depth > 6 || w->n >= MAX_STEPS)
        return;
    switch (v->type) {
    case STORM_V_STRING:
    case STORM_V_INT:
    case STORM_V_FLOAT:
    case STORM_V_BOOL: {
        check_value(w, v);
        /* a reference: follow it to the object it names */
        const storm_stix_step *last = w->n ? &w->steps[w->n - 1] : NULL;
        if (v->type == STORM_V_STRING && last && depth < 4) {
            const storm_stix_step *key = last->key ? last : (w->n >= 2 ? &w->steps[w->n - 2] : NULL);
            if (key && key->key &&
                ((key->key_len > 4 && memcmp(key->key + key->key_len - 4, "_ref", 4) == 0) ||
                 (key->key_len > 5 && memcmp(key->key + key->key_len - 5, "_refs", 5) == 0))) {
                const storm_value *o = object_by_id(w->obs, v->u.s.ptr, v->u.s.len);
                if (o)
                    walk_value(w, o, depth + 1);
            }
        }
        break;
    }
    case STORM_V_ARRAY:
        for (size_t i = 0; i < v->u.a.len; i++) {
            w->steps[w->n] = (storm_stix_step){NULL, 0, (int64_t)i};
            w->n++;
            walk_value(w, v->u.a.items[i], depth + 1);
            w->steps[w->n - 1].index = -1;
            walk_value(w, v->u.a.items[i], depth + 1);
            w->n--;
        }
        break;
    case STORM_V_OBJECT:
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            if (depth > 0 && w->n == 0)
                continue;
            w->steps[w->n] = (storm_stix_step){m->key, m->key_len, -1};
            w->n++;
            walk_value(w, m->value, depth + 1);
            w->n--;
        }
        break;
    default: break;
    }
}

/* Checks one event: returns the number of problems (0 when sound), adds
 * the values checked to *checked. quiet: no messages (fuzzing). */
static int prefilter_check_event(storm_arena *a, const storm_event *ev, const char *where, int *checked)
{
    storm_observation obs;
    storm_err err;
    storm_err_clear(&err);
    storm_stix_opts o = {0};
    storm_rc rc = storm_stix_observe(a, ev, &o, &obs, &err);
    int problems = 0;
    if (storm_stix_prefilter_observable(ev) && rc != STORM_OK && rc != STORM_ERR_NOMEM) {
        fprintf(stderr, "%s: observable, but not built: %s\n", where, err.msg);
        problems++;
    }
    if (rc != STORM_OK)
        return problems;
    if (storm_stix_event_time(ev, &o) != obs.first_observed) {
        fprintf(stderr, "%s: event time differs from first_observed\n", where);
        problems++;
    }
    for (size_t i = 0; i < obs.n_objects; i++) {
        const storm_value *sco = obs.objects[i].value;
        const char *type = storm_v_get_str(sco, "type");
        if (!type || !storm_stix_prefilter_may_have(ev, type, strlen(type))) {
            fprintf(stderr, "%s: prefilter says no %s\n", where, type ? type : "(no type)");
            problems++;
            continue;
        }
        walk w = {.a = a, .ev = ev, .obs = &obs, .type = type, .n = 0, .where = where};
        walk_value(&w, sco, 0);
        *checked += w.checked;
        problems += w.missing;
    }
    return problems;
}

#endif
