/* SPDX-License-Identifier: Apache-2.0 */
/* Security-relevant facts of one Kubernetes API request (see the header).
 * The request and response objects are whatever the client sent, so every
 * step checks types and skips what does not fit instead of failing: the
 * summary is derived data, the objects themselves stay in the event. */
#include "k8s_audit_summary.h"

#include <stdbool.h>
#include <string.h>

#include <storm/utf8.h>
#include <storm/codec.h>

static const storm_value *get_obj(const storm_value *obj, const char *key)
{
    const storm_value *v = storm_v_get(obj, key);
    return v && v->type == STORM_V_OBJECT ? v : NULL;
}

static bool get_true(const storm_value *obj, const char *key)
{
    const storm_value *v = storm_v_get(obj, key);
    return v && v->type == STORM_V_BOOL && v->u.b;
}

const storm_value *k8s_audit_pod_spec(const storm_value *obj)
{
    if (!obj || obj->type != STORM_V_OBJECT)
        return NULL;
    const storm_value *spec = get_obj(obj, "spec");
    if (!spec)
        return NULL;
    const char *kind = storm_v_get_str(obj, "kind");
    if (kind && strcmp(kind, "CronJob") == 0) {
        const storm_value *job = get_obj(spec, "jobTemplate");
        spec = job ? get_obj(job, "spec") : NULL;
    }
    /* Deployments, DaemonSets, Jobs, ...: the pod spec is in the template */
    const storm_value *tmpl = spec ? get_obj(spec, "template") : NULL;
    if (tmpl)
        spec = get_obj(tmpl, "spec");
    if (!spec)
        return NULL;
    /* a pod spec has containers; anything else (a Service's spec) is not one */
    const storm_value *containers = storm_v_get(spec, "containers");
    return containers && containers->type == STORM_V_ARRAY ? spec : NULL;
}

/* Append s to the array member key of summary unless already there. */
static int add_unique(storm_arena *a, storm_value *summary, const char *key, const storm_value *s)
{
    storm_value *arr = storm_v_get(summary, key);
    if (!arr) {
        arr = storm_v_array(a);
        if (!arr || storm_v_set(a, summary, key, arr) != 0)
            return -1;
    }
    for (size_t i = 0; i < arr->u.a.len; i++)
        if (storm_v_equal(arr->u.a.items[i], s))
            return 0;
    storm_value *copy = storm_v_strn(a, s->u.s.ptr, s->u.s.len);
    return copy ? storm_v_push(a, arr, copy) : -1;
}

static int set_true(storm_arena *a, storm_value *summary, const char *key)
{
    return storm_v_set_bool(a, summary, key, true);
}

static bool runs_as_root(const storm_value *security_context)
{
    const storm_value *uid = storm_v_get(security_context, "runAsUser");
    return uid && uid->type == STORM_V_INT && uid->u.i == 0;
}

static int summarize_container(storm_arena *a, const storm_value *c, storm_value *summary)
{
    if (!c || c->type != STORM_V_OBJECT)
        return 0;
    const storm_value *image = storm_v_get(c, "image");
    if (image && image->type == STORM_V_STRING && add_unique(a, summary, "images", image) != 0)
        return -1;
    const storm_value *sc = get_obj(c, "securityContext");
    if (!sc)
        return 0;
    if (get_true(sc, "privileged") && set_true(a, summary, "privileged") != 0)
        return -1;
    if (get_true(sc, "allowPrivilegeEscalation") && set_true(a, summary, "allow_privilege_escalation") != 0)
        return -1;
    if (runs_as_root(sc) && set_true(a, summary, "run_as_root") != 0)
        return -1;
    const storm_value *caps = get_obj(sc, "capabilities");
    const storm_value *add = caps ? storm_v_get(caps, "add") : NULL;
    if (add && add->type == STORM_V_ARRAY)
        for (size_t i = 0; i < add->u.a.len; i++)
            if (add->u.a.items[i]->type == STORM_V_STRING &&
                add_unique(a, summary, "capabilities_add", add->u.a.items[i]) != 0)
                return -1;
    return 0;
}

int k8s_audit_summarize_pod_spec(storm_arena *a, const storm_value *spec, storm_value *summary)
{
    if (!spec || spec->type != STORM_V_OBJECT)
        return 0;
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        const storm_value *arr = storm_v_get(spec, lists[l]);
        if (!arr || arr->type != STORM_V_ARRAY)
            continue;
        for (size_t i = 0; i < arr->u.a.len; i++)
            if (summarize_container(a, arr->u.a.items[i], summary) != 0)
                return -1;
    }
    static const struct {
        const char *spec_key, *summary_key;
    } flags[] = {{"hostPID", "host_pid"}, {"hostNetwork", "host_network"}, {"hostIPC", "host_ipc"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (get_true(spec, flags[i].spec_key) && set_true(a, summary, flags[i].summary_key) != 0)
            return -1;
    const storm_value *psc = get_obj(spec, "securityContext");
    if (psc && runs_as_root(psc) && set_true(a, summary, "run_as_root") != 0)
        return -1;
    const storm_value *volumes = storm_v_get(spec, "volumes");
    if (volumes && volumes->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < volumes->u.a.len; i++) {
            const storm_value *hp = get_obj(volumes->u.a.items[i], "hostPath");
            const storm_value *path = hp ? storm_v_get(hp, "path") : NULL;
            if (path && path->type == STORM_V_STRING && add_unique(a, summary, "host_path_volumes", path) != 0)
                return -1;
        }
    }
    const char *sa = storm_v_get_str(spec, "serviceAccountName");
    if (!sa)
        sa = storm_v_get_str(spec, "serviceAccount");
    if (storm_v_set_str(a, summary, "service_account", sa) != 0)
        return -1;
    if (storm_v_set_str(a, summary, "node_name", storm_v_get_str(spec, "nodeName")) != 0)
        return -1;
    return 0;
}

/* Percent-decode s[0..len) as a URL query component ('+' is a space).
 * A malformed escape or a result that is not UTF-8 keeps the text as sent. */
static storm_value *query_decode(storm_arena *a, const char *s, size_t len)
{
    char *out = storm_arena_alloc(a, len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[n++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && codec_hex_digit(s[i + 1]) >= 0 && codec_hex_digit(s[i + 2]) >= 0) {
            out[n++] = (char)(codec_hex_digit(s[i + 1]) * 16 + codec_hex_digit(s[i + 2]));
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    if (!storm_utf8_valid(out, n) || memchr(out, '\0', n))
        return storm_v_strn(a, s, len);
    return storm_v_str_borrow(a, out, n);
}

int k8s_audit_summarize_exec_uri(storm_arena *a, const char *uri, storm_value *summary, const char **container)
{
    *container = NULL;
    const char *q = uri ? strchr(uri, '?') : NULL;
    if (!q)
        return 0;
    storm_value *command = NULL;
    for (const char *p = q + 1; *p;) {
        const char *end = strchr(p, '&');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        if (eq) {
            size_t klen = (size_t)(eq - p);
            const char *val = eq + 1;
            size_t vlen = plen - klen - 1;
            if (klen == 7 && memcmp(p, "command", 7) == 0) {
                storm_value *arg = query_decode(a, val, vlen);
                if (!command) {
                    command = storm_v_array(a);
                    if (!command || storm_v_set(a, summary, "exec_command", command) != 0)
                        return -1;
                }
                if (!arg || storm_v_push(a, command, arg) != 0)
                    return -1;
            } else if (klen == 9 && memcmp(p, "container", 9) == 0 && !*container) {
                storm_value *name = query_decode(a, val, vlen);
                if (!name || storm_v_set(a, summary, "exec_container", name) != 0)
                    return -1;
                *container = name->u.s.ptr;
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}
