/* SPDX-License-Identifier: Apache-2.0 */
/* Import of Kubescape ApplicationProfile objects (learned by the Kubescape
 * node-agent) as Storm profiles. YAML is read with libyaml into a storm_value
 * tree (scalars as strings; storm/yaml.h), JSON with our own parser; then one profile per
 * container: execs -> exec, opens -> file open, syscalls -> syscall,
 * capabilities -> cap, inbound endpoints -> net ingress. Kubescape's "⋯"
 * (one dynamic path segment) stays a wildcard. */
#include "baseline_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <storm/json.h>
#include <storm/yaml.h>
#include <string.h>

#define KS_MAX_NODES 1000000
#define KS_ARENA_CAP (256u << 20)
#define KS_MAX_ARGS 64

static const char *label(const storm_value *doc, const char *name)
{
    const char *const path[] = {"metadata", "labels", NULL};
    return storm_v_get_str(storm_v_path(doc, path), name);
}

static void add(storm_baseline *b, bl_profile *p, const char *text, storm_baseline_import_stats *st, storm_err *err)
{
    bool created = false;
    storm_rc rc = bl_add_entry(b, p, text, false, 0, 0, &created);
    if (rc != STORM_OK) {
        st->rejected++;
        storm_err_set(err, rc, 0, "%s: feature '%.80s' does not fit the profile", p->key, text);
    } else if (created) {
        st->features++;
    }
}

static bool str_item(const storm_value *v)
{
    return v && v->type == STORM_V_STRING && strlen(v->u.s.ptr) == v->u.s.len;
}

static void import_execs(storm_baseline *b, bl_profile *p, const storm_value *execs, storm_baseline_import_stats *st,
                         storm_err *err)
{
    for (size_t i = 0; execs && execs->type == STORM_V_ARRAY && i < execs->u.a.len; i++) {
        const storm_value *e = execs->u.a.items[i];
        const storm_value *path = storm_v_get(e, "path"), *args = storm_v_get(e, "args");
        if (!str_item(path)) {
            st->rejected++;
            storm_err_set(err, STORM_ERR_VALUE, e->pos == STORM_POS_NONE ? 0 : e->pos, "%s: an exec without a path",
                          p->key);
            continue;
        }
        const char *argv[KS_MAX_ARGS];
        size_t argc = 0;
        /* args[0] is the program itself; Storm's argument shape starts after it */
        for (size_t k = 1; args && args->type == STORM_V_ARRAY && k < args->u.a.len && argc < KS_MAX_ARGS; k++)
            if (str_item(args->u.a.items[k]))
                argv[argc++] = args->u.a.items[k]->u.s.ptr;
        char buf[STORM_BASELINE_FEATURE_MAX];
        bl_out o;
        bl_out_init(&o, buf, sizeof buf);
        bl_out_puts(&o, "exec ");
        bl_normalize(&o, path->u.s.ptr, path->u.s.len);
        if (argc) {
            bl_out_putc(&o, ' ');
            bl_arg_shape_argv(&o, argv, argc, BL_ARG_SHAPE_TOKENS);
        }
        add(b, p, buf, st, err);
    }
}

static void import_list(storm_baseline *b, bl_profile *p, const storm_value *list, const char *kind, const char *member,
                        bool normalize, storm_baseline_import_stats *st, storm_err *err)
{
    for (size_t i = 0; list && list->type == STORM_V_ARRAY && i < list->u.a.len; i++) {
        const storm_value *v = list->u.a.items[i];
        if (member)
            v = storm_v_get(v, member);
        if (!str_item(v) || !v->u.s.len) {
            st->rejected++;
            storm_err_set(err, STORM_ERR_VALUE, 0, "%s: a %s entry without a string", p->key, kind);
            continue;
        }
        char buf[STORM_BASELINE_FEATURE_MAX];
        bl_out o;
        bl_out_init(&o, buf, sizeof buf);
        bl_out_puts(&o, kind);
        bl_out_putc(&o, ' ');
        if (normalize)
            bl_normalize(&o, v->u.s.ptr, v->u.s.len);
        else
            bl_out_putn(&o, v->u.s.ptr, v->u.s.len); /* syscall and capability names are stable */
        add(b, p, buf, st, err);
    }
}

static void import_endpoints(storm_baseline *b, bl_profile *p, const storm_value *eps, storm_baseline_import_stats *st,
                             storm_err *err)
{
    for (size_t i = 0; eps && eps->type == STORM_V_ARRAY && i < eps->u.a.len; i++) {
        const storm_value *e = eps->u.a.items[i];
        const char *dir = storm_v_get_str(e, "direction"), *ep = storm_v_get_str(e, "endpoint");
        if (!dir || !ep || strcmp(dir, "inbound") != 0)
            continue; /* outbound endpoints name hosts, not addresses: nothing Storm's peers can match */
        const char *colon = strchr(ep, ':');
        long port = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (port <= 0 || port > 65535)
            continue;
        char buf[64];
        snprintf(buf, sizeof buf, "net ingress tcp * %ld", port);
        add(b, p, buf, st, err);
    }
}

static void import_container(storm_baseline *b, const char *ns, const char *kind, const char *name,
                             const storm_value *c, storm_baseline_import_stats *st, storm_err *err)
{
    const char *cname = storm_v_get_str(c, "name");
    if (!cname || !*cname) {
        st->rejected++;
        storm_err_set(err, STORM_ERR_VALUE, c->pos == STORM_POS_NONE ? 0 : c->pos, "%s",
                      "ApplicationProfile container without a name");
        return;
    }
    char key[STORM_BASELINE_KEY_MAX];
    bl_out o;
    bl_out_init(&o, key, sizeof key);
    bl_out_puts(&o, ns);
    bl_out_putc(&o, '/');
    bl_out_puts(&o, kind);
    bl_out_putc(&o, '/');
    bl_out_puts(&o, name); /* as identity.c: a resolved workload name is kept as it is */
    bl_out_putc(&o, '/');
    bl_normalize(&o, cname, strlen(cname));
    bool full;
    bl_profile *p = bl_get_profile(b, key, "kubescape", &full);
    if (!p) {
        st->rejected++;
        storm_err_set(err, full ? STORM_ERR_LIMIT : STORM_ERR_NOMEM, 0, "%s: no room for another profile", key);
        return;
    }
    st->profiles++;
    p->dirty = true;
    import_execs(b, p, storm_v_get(c, "execs"), st, err);
    import_list(b, p, storm_v_get(c, "opens"), "file open", "path", true, st, err);
    import_list(b, p, storm_v_get(c, "syscalls"), "syscall", NULL, false, st, err);
    import_list(b, p, storm_v_get(c, "capabilities"), "cap", NULL, false, st, err);
    import_endpoints(b, p, storm_v_get(c, "endpoints"), st, err);
}

static bool is_template(const char *s)
{
    return strstr(s, "$values.") || strstr(s, "{{");
}

static storm_rc import_doc(storm_baseline *b, const storm_value *doc, const char *ns_override, const char *wl_override,
                           storm_baseline_import_stats *st, storm_err *err)
{
    if (!storm_v_is_str(storm_v_get(doc, "kind"), "ApplicationProfile"))
        return storm_err_set(err, STORM_ERR_VALUE, doc && doc->pos != STORM_POS_NONE ? doc->pos : 0,
                             "not a Kubescape ApplicationProfile (kind must be \"ApplicationProfile\")");
    const char *const meta_ns[] = {"metadata", "namespace", NULL};
    const storm_value *nsv = storm_v_path(doc, meta_ns);
    const char *ns = ns_override ? ns_override : label(doc, "kubescape.io/workload-namespace");
    if (!ns)
        ns = nsv && nsv->type == STORM_V_STRING ? nsv->u.s.ptr : "-";
    const char *kind = label(doc, "kubescape.io/workload-kind");
    const char *name = wl_override ? wl_override : label(doc, "kubescape.io/workload-name");
    if (!name)
        return storm_err_set(err, STORM_ERR_VALUE, doc->pos == STORM_POS_NONE ? 0 : doc->pos,
                             "ApplicationProfile without the label kubescape.io/workload-name (give --workload)");
    /* an unrendered Helm template ("$values.name") names no workload: a
     * profile under it would never match an event */
    const char *templ = is_template(name) ? name : is_template(ns) ? ns : NULL;
    if (templ)
        return storm_err_set(err, STORM_ERR_VALUE, doc->pos == STORM_POS_NONE ? 0 : doc->pos,
                             "the ApplicationProfile's workload labels are a template ('%s'), not a workload: "
                             "render it first, or give --namespace NS and --workload NAME",
                             templ);
    if (kind && is_template(kind))
        kind = NULL; /* unknown kind, as when the label is absent */
    const char *const spec[] = {"spec", NULL};
    const storm_value *sp = storm_v_path(doc, spec);
    static const char *const groups[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t g = 0; g < 3; g++) {
        const storm_value *cs = storm_v_get(sp, groups[g]);
        for (size_t i = 0; cs && cs->type == STORM_V_ARRAY && i < cs->u.a.len; i++)
            import_container(b, ns, kind ? kind : "-", name, cs->u.a.items[i], st, err);
    }
    return STORM_OK;
}

storm_rc storm_baseline_import_kubescape(storm_baseline *b, const char *text, size_t len, const char *namespace_,
                                         const char *workload, storm_baseline_import_stats *stats, storm_err *err)
{
    storm_baseline_import_stats local = {0};
    storm_baseline_import_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    storm_arena *a = storm_arena_new(0, KS_ARENA_CAP);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_value *docs = storm_v_array(a);
    storm_rc rc = docs ? STORM_OK : STORM_ERR_NOMEM;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    if (rc == STORM_OK && i < len && text[i] == '{') {
        storm_value *root;
        rc = storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, err);
        if (rc == STORM_OK && storm_v_push(a, docs, root) != 0)
            rc = STORM_ERR_NOMEM;
    } else if (rc == STORM_OK) {
        rc = storm_yaml_documents(a, text, len, KS_MAX_NODES, docs, err);
    }
    if (rc == STORM_OK && docs->u.a.len == 0)
        rc = storm_err_set(err, STORM_ERR_VALUE, 0, "no ApplicationProfile in the input");
    for (size_t d = 0; rc == STORM_OK && d < docs->u.a.len; d++) {
        const storm_value *doc = docs->u.a.items[d];
        /* a List of profiles, as `kubectl get -o yaml` prints */
        const storm_value *items = storm_v_get(doc, "items");
        if (items && items->type == STORM_V_ARRAY) {
            for (size_t k = 0; rc == STORM_OK && k < items->u.a.len; k++)
                rc = import_doc(b, items->u.a.items[k], namespace_, workload, st, err);
        } else {
            rc = import_doc(b, doc, namespace_, workload, st, err);
        }
    }
    if (rc == STORM_ERR_NOMEM && err && err->rc == STORM_OK)
        storm_err_set(err, rc, 0, "out of memory");
    storm_arena_free(a);
    return rc;
}
