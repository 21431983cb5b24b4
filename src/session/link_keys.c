/* SPDX-License-Identifier: Apache-2.0 */
/* What links a step to a session: the keys of its event (one per rule of
 * docs/sessions.md), and the context every event gives so that later steps
 * can be linked (which process started which, which pod holds an address,
 * which service account a pod runs as). */
#include <stdio.h>
#include <string.h>

#include "tracker_int.h"

const char *link_kind_name(link_kind k)
{
    static const char *const names[] = {"lineage", "pod", "creation", "identity", "address", "helper"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* Processes every session would share: the kernel, init, container
 * runtimes and node agents. Lineage stops at them. Asked twice for every
 * event (link_observe): the names are told apart by length first. */
static bool shared_root(const storm_process_info *p)
{
    if (!p || !p->present)
        return false;
    if (p->has_pid && p->pid <= 1)
        return true;
    const char *b = p->binary ? p->binary : p->name;
    if (!b)
        return false;
    if (b[0] == '<' && strcmp(b, "<kernel>") == 0)
        return true;
    static const struct {
        const char *name;
        size_t len;
    } roots[] = {
#define ROOT(s) {s, sizeof s - 1}
        ROOT("containerd-shim"),
        ROOT("containerd-shim-runc-v2"),
        ROOT("runc"),
        ROOT("conmon"),
        ROOT("containerd"),
        ROOT("dockerd"),
        ROOT("kubelet"),
        ROOT("systemd"),
        ROOT("init"),
        ROOT("crio"),
#undef ROOT
    };
    const char *n = base_name(b);
    size_t len = strlen(n);
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
        if (roots[i].len == len && memcmp(n, roots[i].name, len) == 0)
            return true;
    return false;
}

bool link_is_kernel_helper(const storm_event *ev)
{
    const char *b = ev->parent.binary ? ev->parent.binary : ev->parent.name;
    return !ev->k8s.pod && ev->k8s.node && b && strcmp(b, "<kernel>") == 0;
}

/* a, then sep and b when b is given, at buf (cap bytes with the NUL);
 * false when it does not fit, as snprintf's truncation was refused. */
static bool join(char *buf, size_t cap, const char *a, char sep, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, n = la + (b ? 1 + lb : 0);
    if (n >= cap)
        return false;
    memcpy(buf, a, la);
    if (b) {
        buf[la] = sep;
        memcpy(buf + la + 1, b, lb);
    }
    buf[n] = '\0';
    return true;
}

bool link_pod_name(const storm_event *ev, char *buf, size_t cap)
{
    if (!ev->k8s.pod || !*ev->k8s.pod)
        return false;
    return join(buf, cap, ev->k8s.namespace_ ? ev->k8s.namespace_ : "", '/', ev->k8s.pod);
}

static bool loopback(const char *ip)
{
    return !ip || !*ip || strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 || strcmp(ip, "0.0.0.0") == 0 ||
           strcmp(ip, "::") == 0;
}

/* The key "<prefix>a" or "<prefix>a:b" (prefix ends in ':'), unless it
 * does not fit. */
static void add_key(link_key *out, size_t *n, link_kind kind, bool look, bool hold, const char *prefix, const char *a,
                    const char *b)
{
    if (*n >= LINK_KEYS_MAX || !a)
        return;
    link_key *k = &out[*n];
    size_t lp = strlen(prefix);
    if (lp >= sizeof k->key || !join(k->key + lp, sizeof k->key - lp, a, ':', b))
        return;
    memcpy(k->key, prefix, lp);
    k->hash = key_index_hash(k->key);
    for (size_t i = 0; i < *n; i++)
        if (out[i].hash == k->hash && (!out[i].key[0] || strcmp(out[i].key, k->key) == 0)) {
            out[i].look |= look;
            out[i].hold |= hold;
            return;
        }
    k->kind = kind;
    k->look = look;
    k->hold = hold;
    (*n)++;
}

/* A look-only lineage key known by its hash (an ancestor). */
static void add_ancestor(link_key *out, size_t *n, uint64_t h)
{
    if (*n >= LINK_KEYS_MAX)
        return;
    for (size_t i = 0; i < *n; i++)
        if (out[i].hash == h) {
            out[i].look = true;
            return;
        }
    out[*n] = (link_key){.key = "", .hash = h, .kind = LINK_LINEAGE, .look = true, .hold = false};
    (*n)++;
}

/* "system:serviceaccount:NS:SA" -> ns, sa (into bufs). */
static bool split_service_account(const char *user, char *ns, size_t ns_cap, char *sa, size_t sa_cap)
{
    static const char prefix[] = "system:serviceaccount:";
    if (!user || strncmp(user, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *rest = user + sizeof prefix - 1;
    const char *colon = strchr(rest, ':');
    if (!colon || colon == rest || !colon[1] || (size_t)(colon - rest) >= ns_cap || strlen(colon + 1) >= sa_cap)
        return false;
    memcpy(ns, rest, (size_t)(colon - rest));
    ns[colon - rest] = '\0';
    strcpy(sa, colon + 1);
    return true;
}

/* The pod a bound service-account token names (audit user.extra), or NULL. */
static const char *token_pod(const storm_event *ev)
{
    const storm_value *extra = storm_v_get(storm_v_get(ev->raw, "user"), "extra");
    const storm_value *names = storm_v_get(extra, "authentication.kubernetes.io/pod-name");
    if (names && names->type == STORM_V_ARRAY && names->u.a.len > 0 && names->u.a.items[0]->type == STORM_V_STRING)
        return names->u.a.items[0]->u.s.ptr;
    return NULL;
}

static bool mentions_token(const char *s)
{
    return s && strstr(s, "kubernetes.io/serviceaccount") && strstr(s, "token");
}

/* The event reads a service-account token (a file, a hook argument or a
 * command line naming one). */
static bool reads_token(const storm_event *ev)
{
    for (size_t i = 0; i < ev->n_files; i++)
        if (mentions_token(ev->files[i].path))
            return true;
    return mentions_token(ev->process.command_line) || mentions_token(ev->process.arguments);
}

static void lineage_keys(storm_session_tracker *t, const storm_event *ev, link_key *out, size_t *n)
{
    const storm_process_info *p = &ev->process;
    if (!p->exec_id || shared_root(p))
        return;
    add_key(out, n, LINK_LINEAGE, true, true, "exec:", p->exec_id, NULL);
    if (!p->parent_exec_id || shared_root(&ev->parent))
        return;
    add_key(out, n, LINK_LINEAGE, true, true, "exec:", p->parent_exec_id, NULL);
    uint64_t up = lineage_hash(p->parent_exec_id);
    for (int depth = 0; depth < LINEAGE_DEPTH; depth++) {
        if (!lineage_map_get(&t->lineage, up, &up) || up == LINEAGE_ROOT)
            break;
        add_ancestor(out, n, up);
    }
}

size_t link_keys_of_event(storm_session_tracker *t, const storm_event *ev, link_key *out)
{
    size_t n = 0;
    char pod[LINK_KEY_LEN];
    bool in_pod = link_pod_name(ev, pod, sizeof pod);
    lineage_keys(t, ev, out, &n);
    bool api = ev->audit.present;
    bool creates_pod = api && ev->audit.verb && strcmp(ev->audit.verb, "create") == 0 && ev->audit.resource &&
                       strcmp(ev->audit.resource, "pods") == 0 && !ev->audit.subresource;
    if (in_pod)
        add_key(out, &n, creates_pod ? LINK_CREATION : LINK_POD, true, true, "pod:", pod, NULL);
    if (ev->k8s.container_id && *ev->k8s.container_id && !api)
        add_key(out, &n, LINK_POD, true, true, "ctr:", ev->k8s.container_id, NULL);

    /* address: the API client's source, a flow's local address, and the pod known to hold it */
    const char *addr = NULL;
    if (api)
        addr = ev->audit.source_ip;
    else if (ev->net.present && in_pod)
        addr = ev->net.direction && strcmp(ev->net.direction, "ingress") == 0 ? ev->net.dst_ip : ev->net.src_ip;
    if (!loopback(addr)) {
        add_key(out, &n, LINK_ADDRESS, true, true, "ip:", addr, NULL);
        const char *owner = ctx_map_get(&t->addresses, addr);
        if (api && owner)
            add_key(out, &n, LINK_ADDRESS, true, true, "pod:", owner, NULL);
    }

    /* identity: a token read in a pod; a request made with a service account's token */
    if (in_pod && !api && reads_token(ev)) {
        add_key(out, &n, LINK_IDENTITY, true, true, "token:", pod, NULL);
        const char *sa = ctx_map_get(&t->accounts, pod);
        if (sa)
            add_key(out, &n, LINK_IDENTITY, true, true, "sa:", ev->k8s.namespace_ ? ev->k8s.namespace_ : "", sa);
        else /* the pod's account is not known: any account of its namespace */
            add_key(out, &n, LINK_IDENTITY, true, true, "sans:", ev->k8s.namespace_ ? ev->k8s.namespace_ : "", NULL);
    }
    char ns[254], sa[254];
    if (api && split_service_account(ev->audit.user, ns, sizeof ns, sa, sizeof sa)) {
        add_key(out, &n, LINK_IDENTITY, true, false, "sa:", ns, sa);
        add_key(out, &n, LINK_IDENTITY, true, false, "sans:", ns, NULL);
        const char *bound = token_pod(ev);
        if (bound) {
            char owner[LINK_KEY_LEN];
            snprintf(owner, sizeof owner, "%s/%s", ns, bound);
            add_key(out, &n, LINK_IDENTITY, true, false, "token:", owner, NULL);
        }
    }
    return n;
}

void link_observe(storm_session_tracker *t, const storm_event *ev)
{
    const storm_process_info *p = &ev->process;
    if (p->exec_id && p->parent_exec_id && !shared_root(p))
        lineage_map_set(&t->lineage, lineage_hash(p->exec_id),
                        shared_root(&ev->parent) ? LINEAGE_ROOT : lineage_hash(p->parent_exec_id));
    /* the pod's name is formatted only when it is remembered: most events
     * are neither flows in a pod nor API requests */
    char pod[LINK_KEY_LEN];
    if (!ev->audit.present) {
        if (!ev->net.present || !ev->k8s.pod || !*ev->k8s.pod)
            return;
        const char *local =
            ev->net.direction && strcmp(ev->net.direction, "ingress") == 0 ? ev->net.dst_ip : ev->net.src_ip;
        if (!loopback(local) && link_pod_name(ev, pod, sizeof pod))
            ctx_map_set(&t->addresses, local, pod);
        return;
    }
    bool in_pod = link_pod_name(ev, pod, sizeof pod);
    /* a pod's service account: from its creation, or from a token bound to it */
    char ns[254], sa[254];
    const char *bound = token_pod(ev);
    if (bound && split_service_account(ev->audit.user, ns, sizeof ns, sa, sizeof sa)) {
        char key[LINK_KEY_LEN];
        snprintf(key, sizeof key, "%s/%s", ns, bound);
        ctx_map_set(&t->accounts, key, sa);
    }
    if (in_pod && ev->audit.verb && strcmp(ev->audit.verb, "create") == 0 && ev->audit.resource &&
        strcmp(ev->audit.resource, "pods") == 0 && !ev->audit.subresource) {
        const storm_value *spec = storm_v_get(ev->audit.request_object, "spec");
        const char *name = storm_v_get_str(spec, "serviceAccountName");
        if (!name)
            name = storm_v_get_str(spec, "serviceAccount");
        ctx_map_set(&t->accounts, pod, name ? name : "default");
    }
}
