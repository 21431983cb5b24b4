/* SPDX-License-Identifier: Apache-2.0 */
/* Loading TracingPolicies: YAML files or directories of them, every hook
 * (kprobes, tracepoints, lsmhooks, uprobes) flattened into one list. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/array.h>
#include <storm/io.h>

#include "tp_int.h"

#define TP_MAX_FILE (64u << 20)
#define TP_MAX_DEPTH 16

storm_rc storm_tp_set_new(storm_tp_set **out)
{
    storm_tp_set *s = calloc(1, sizeof *s);
    if (!s || !(s->arena = storm_arena_new(1u << 16, 1u << 30))) {
        free(s);
        return STORM_ERR_NOMEM;
    }
    *out = s;
    return STORM_OK;
}

void storm_tp_set_free(storm_tp_set *s)
{
    if (!s)
        return;
    storm_arena_free(s->arena);
    free(s->hooks);
    free(s->problems);
    free(s);
}

size_t storm_tp_set_n_policies(const storm_tp_set *s)
{
    return s->n_policies;
}
size_t storm_tp_set_n_hooks(const storm_tp_set *s)
{
    return s->n_hooks;
}
const storm_tp_hook *storm_tp_set_hook(const storm_tp_set *s, size_t i)
{
    return i < s->n_hooks ? &s->hooks[i] : NULL;
}
size_t storm_tp_set_n_problems(const storm_tp_set *s)
{
    return s->n_problems;
}
const char *storm_tp_set_problem(const storm_tp_set *s, size_t i)
{
    return i < s->n_problems ? s->problems[i] : NULL;
}

const char *tp_str(const storm_value *obj, const char *key)
{
    const storm_value *v = obj ? storm_v_get(obj, key) : NULL;
    return v && v->type == STORM_V_STRING ? v->u.s.ptr : NULL;
}

bool tp_int(const storm_value *v, long long *out)
{
    if (!v)
        return false;
    if (v->type == STORM_V_INT) {
        *out = v->u.i;
        return true;
    }
    if (v->type != STORM_V_STRING || v->u.s.len == 0)
        return false;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v->u.s.ptr, &end, 0);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

long long tp_arg_index_at(const storm_tp_hook *h, size_t pos)
{
    const storm_value *args = storm_v_get(h->spec, "args");
    if (!args || args->type != STORM_V_ARRAY || pos >= args->u.a.len)
        return -1;
    long long idx;
    return tp_int(storm_v_get(args->u.a.items[pos], "index"), &idx) ? idx : -1;
}

const char *tp_arg_type(const storm_tp_hook *h, long long idx, size_t *pos)
{
    const storm_value *args = storm_v_get(h->spec, "args");
    if (!args || args->type != STORM_V_ARRAY)
        return NULL;
    for (size_t i = 0; i < args->u.a.len; i++) {
        long long x;
        if (tp_int(storm_v_get(args->u.a.items[i], "index"), &x) && x == idx) {
            if (pos)
                *pos = i;
            return tp_str(args->u.a.items[i], "type");
        }
    }
    return NULL;
}

static void problem(storm_tp_set *s, const char *file, const storm_err *e, const char *fallback)
{
    char msg[800];
    if (e && e->line)
        snprintf(msg, sizeof msg, "%s:%u:%u: %s", file, e->line, e->col, e->msg);
    else
        snprintf(msg, sizeof msg, "%s: %s", file, e && e->msg[0] ? e->msg : fallback);
    if (STORM_ARRAY_GROW(s->problems, s->n_problems + 1, s->cap_problems, 8) != 0)
        return;
    char *p = storm_arena_alloc(s->arena, strlen(msg) + 1);
    if (p) {
        memcpy(p, msg, strlen(msg) + 1);
        s->problems[s->n_problems++] = p;
    }
}

static void add_hook(storm_tp_set *s, const char *policy, const char *file, const char *kind, const char *call,
                     const storm_value *spec)
{
    if (STORM_ARRAY_GROW(s->hooks, s->n_hooks + 1, s->cap_hooks, 16) != 0)
        return;
    char buf[256];
    hook_normalize(call, buf, sizeof buf);
    char *c = storm_arena_alloc(s->arena, strlen(buf) + 1);
    if (!c)
        return;
    memcpy(c, buf, strlen(buf) + 1);
    s->hooks[s->n_hooks++] = (storm_tp_hook){.policy = policy, .file = file, .kind = kind, .call = c, .spec = spec};
}

static void load_doc(storm_tp_set *s, const char *file, const storm_value *doc)
{
    const char *kind = tp_str(doc, "kind");
    if (!kind || (strcmp(kind, "TracingPolicy") != 0 && strcmp(kind, "TracingPolicyNamespaced") != 0))
        return;
    const char *name = tp_str(storm_v_get(doc, "metadata"), "name");
    if (!name)
        name = "(no name)";
    const storm_value *spec = storm_v_get(doc, "spec");
    if (!spec || spec->type != STORM_V_OBJECT) {
        storm_err e;
        storm_err_clear(&e);
        storm_err_set(&e, STORM_ERR_VALUE, doc->pos, "TracingPolicy \"%s\" has no spec: it traces nothing", name);
        problem(s, file, &e, "");
        return;
    }
    s->n_policies++;
    static const char *const lists[][2] = {
        {"kprobes", "kprobe"}, {"tracepoints", "tracepoint"}, {"lsmhooks", "lsm"}, {"uprobes", "uprobe"}};
    for (size_t l = 0; l < 4; l++) {
        const storm_value *arr = storm_v_get(spec, lists[l][0]);
        if (!arr || arr->type != STORM_V_ARRAY)
            continue;
        for (size_t i = 0; i < arr->u.a.len; i++) {
            const storm_value *h = arr->u.a.items[i];
            char call[256];
            if (l == 0)
                snprintf(call, sizeof call, "%s", tp_str(h, "call") ? tp_str(h, "call") : "");
            else if (l == 1)
                snprintf(call, sizeof call, "%s/%s", tp_str(h, "subsystem") ? tp_str(h, "subsystem") : "",
                         tp_str(h, "event") ? tp_str(h, "event") : "");
            else if (l == 2)
                snprintf(call, sizeof call, "%s", tp_str(h, "hook") ? tp_str(h, "hook") : "");
            else
                snprintf(call, sizeof call, "%s", tp_str(h, "path") ? tp_str(h, "path") : "");
            add_hook(s, name, file, lists[l][1], call, h);
        }
    }
}

storm_rc storm_tp_set_load_text(storm_tp_set *s, const char *name, const char *text, size_t len, storm_err *err)
{
    char *file = storm_arena_alloc(s->arena, strlen(name) + 1);
    storm_value *docs = storm_v_array(s->arena);
    if (!file || !docs)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    memcpy(file, name, strlen(name) + 1);
    /* the documents point into the arena only (strings are copied) */
    storm_err e;
    storm_err_clear(&e);
    if (storm_yaml_documents(s->arena, text, len, TP_YAML_MAX_NODES, docs, &e) != STORM_OK)
        problem(s, file, &e, "does not parse");
    for (size_t i = 0; i < docs->u.a.len; i++)
        if (docs->u.a.items[i] && docs->u.a.items[i]->type == STORM_V_OBJECT)
            load_doc(s, file, docs->u.a.items[i]);
    return STORM_OK;
}

static storm_rc load_file(storm_tp_set *s, const char *path, storm_err *err)
{
    char *text = NULL;
    size_t len = 0;
    storm_err e;
    storm_err_clear(&e);
    if (storm_read_file(path, TP_MAX_FILE, &text, &len, &e) != STORM_OK) {
        storm_err_set(err, e.rc, 0, "%s: %s", path, e.msg);
        return e.rc;
    }
    storm_rc rc = storm_tp_set_load_text(s, path, text, len, err);
    free(text);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static storm_rc load_dir(storm_tp_set *s, const char *dir, int depth, storm_err *err)
{
    if (depth > TP_MAX_DEPTH)
        return STORM_OK;
    DIR *d = opendir(dir);
    if (!d)
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (STORM_ARRAY_GROW(names, n + 1, cap, 32) != 0 || !(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    storm_rc rc = STORM_OK;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (p) {
            snprintf(p, len, "%s/%s", dir, names[i]);
            struct stat st;
            if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
                if (rc == STORM_OK)
                    rc = load_dir(s, p, depth + 1, err);
            } else {
                size_t nl = strlen(names[i]);
                if ((nl > 5 && strcmp(names[i] + nl - 5, ".yaml") == 0) ||
                    (nl > 4 && strcmp(names[i] + nl - 4, ".yml") == 0))
                    if (rc == STORM_OK)
                        rc = load_file(s, p, err);
            }
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

storm_rc storm_tp_set_load_path(storm_tp_set *s, const char *path, storm_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", path, strerror(errno));
    return S_ISDIR(st.st_mode) ? load_dir(s, path, 0, err) : load_file(s, path, err);
}
