/* SPDX-License-Identifier: Apache-2.0 */
/* The prefilter of storm run (storm/stix_prefilter.h) must never miss a value
 * the observation holds: for every corpus event, every scalar the built
 * observation holds at any path the prefilter claims to read (every SCO,
 * every property, into arrays, dictionaries and through _ref/_refs) must be
 * among the values it reads off the event. Also: every SCO type present is
 * one it says may be present, and an event it calls observable is built. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/stix.h>
#include <storm/stix_prefilter.h>

#include "../unit/test.h"

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
            o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", i ? "." : "", (int)w->steps[i].key_len,
                                  w->steps[i].key);
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
    CHECK(storm_stix_prefilter_values(w->a, w->ev, &o, h, collect, &c));
    for (size_t i = 0; i < c.n; i++)
        if (same_scalar(&c.v[i], v)) {
            w->checked++;
            return;
        }
    w->missing++;
    char p[512];
    path_text(w, p, sizeof p);
    fprintf(stderr, "%s: prefilter misses %s = %.*s\n", w->where, p,
            v->type == STORM_V_STRING ? (int)v->u.s.len : 5, v->type == STORM_V_STRING ? v->u.s.ptr : "(num)");
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
    default:
        break;
    }
}

static int events, built, prefilter_readable_values, missing;

static void check_event(storm_arena *a, const storm_event *ev, const char *where)
{
    storm_observation obs;
    storm_err err;
    storm_err_clear(&err);
    storm_stix_opts o = {0};
    events++;
    storm_rc rc = storm_stix_observe(a, ev, &o, &obs, &err);
    if (storm_stix_prefilter_observable(ev))
        CHECK(rc == STORM_OK);
    if (rc != STORM_OK)
        return;
    built++;
    CHECK(storm_stix_event_time(ev, &o) == obs.first_observed);
    for (size_t i = 0; i < obs.n_objects; i++) {
        const storm_value *sco = obs.objects[i].value;
        const char *type = storm_v_get_str(sco, "type");
        CHECK(type && storm_stix_prefilter_may_have(ev, type, strlen(type)));
        walk w = {.a = a, .ev = ev, .obs = &obs, .type = type, .n = 0, .where = where};
        walk_value(&w, sco, 0);
        prefilter_readable_values += w.checked;
        missing += w.missing;
        CHECK(w.missing == 0);
    }
}

static void test_corpus(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    CHECK(root != NULL);
    if (!root)
        return;
    static const char *sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    storm_arena *a = storm_arena_new(0, 0);
    for (size_t si = 0; si < sizeof sensors / sizeof sensors[0]; si++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/data/corpus/%s", root, sensors[si]);
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strstr(e->d_name, ".json"))
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            char *text;
            size_t len;
            storm_err err;
            storm_err_clear(&err);
            if (storm_read_file(path, 1 << 26, &text, &len, &err) != STORM_OK)
                continue;
            size_t off = 0;
            uint64_t line = 0;
            for (;;) {
                storm_arena_reset(a);
                storm_value *rootv;
                size_t start;
                storm_err_clear(&err);
                storm_rc rc = storm_json_parse_next(a, text, len, &off, &rootv, &start, &err);
                if (rc == STORM_ERR_NOTFOUND)
                    break;
                line++;
                if (rc != STORM_OK) {
                    /* skip to the next line */
                    const char *nl = memchr(text + off, '\n', len - off);
                    if (!nl)
                        break;
                    off = (size_t)(nl - text) + 1;
                    continue;
                }
                size_t n_recs = rootv->type == STORM_V_ARRAY ? rootv->u.a.len : 1;
                for (size_t r = 0; r < n_recs; r++) {
                    const storm_value *one = rootv->type == STORM_V_ARRAY ? rootv->u.a.items[r] : rootv;
                    const storm_value *rec = storm_decode_unwrap(a, one);
                    const storm_decoder *dec = rec && rec->type == STORM_V_OBJECT ? storm_decoder_detect(rec) : NULL;
                    storm_event_list list = {0};
                    const char *skip = NULL;
                    if (!dec || dec->decode(a, rec, &list, &skip, &err) != STORM_OK)
                        continue;
                    char where[2200];
                    snprintf(where, sizeof where, "%s record %llu", path, (unsigned long long)line);
                    for (size_t i = 0; i < list.n; i++)
                        check_event(a, &list.items[i], where);
                }
            }
            free(text);
        }
        if (d)
            closedir(d);
    }
    storm_arena_free(a);
    fprintf(stderr, "prefilter: %d events, %d built, %d values checked, %d missing\n", events, built,
            prefilter_readable_values, missing);
    CHECK(events > 500);
    CHECK(prefilter_readable_values > 5000);
}

/* Paths it must read (the ones indicators use most), and ones it must not claim. */
static void test_paths(void)
{
    storm_stix_step name[] = {{"image_ref", 9, -1}, {"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, name, 2) >= 0);
    storm_stix_step pname[] = {{"parent_ref", 10, -1}, {"image_ref", 9, -1}, {"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, pname, 3) >= 0);
    storm_stix_step hook[] = {{"x_hook_args", 11, -1}, {NULL, 0, 1}, {"value", 5, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, hook, 3) >= 0);
    storm_stix_step cmd[] = {{"command_line", 12, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, cmd, 1) >= 0);
    storm_stix_step id[] = {{"id", 2, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, id, 1) < 0);
    storm_stix_step start[] = {{"start", 5, -1}};
    CHECK(storm_stix_prefilter_path("network-traffic", 15, start, 1) < 0);
    storm_stix_step cn[] = {{"name", 4, -1}};
    CHECK(storm_stix_prefilter_path("x-custom", 8, cn, 1) < 0);
    /* a scalar property has nothing below it */
    storm_stix_step deeper[] = {{"command_line", 12, -1}, {"x", 1, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, deeper, 2) < 0);
    /* a relative has no subject context */
    storm_stix_step ppod[] = {{"parent_ref", 10, -1}, {"x_k8s_pod", 9, -1}};
    CHECK(storm_stix_prefilter_path("process", 7, ppod, 2) < 0);
}

int main(void)
{
    RUN(test_paths);
    RUN(test_corpus);
    return test_report("test_prefilter");
}
