/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker: each linking rule of docs/sessions.md, the quiet
 * period, merges, the caps, updates, anomalies, listeners and ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>
#include <storm/session.h>

#include "test.h"

#define SEC ((storm_time_ns)1000000000)
#define T0 ((storm_time_ns)1767225600 * SEC) /* 2026-01-01 */

/* What the listener heard. */
typedef struct heard {
    int opened, added, updated, merged, quiet, evicted;
    char last_replaces[64];
    char last_step[64]; /* the sighting id of the last event's step ("-": none) */
    uint64_t last_count;
} heard;

static void listen_fn(void *ctx, const storm_session_event *ev)
{
    heard *h = ctx;
    switch (ev->kind) {
    case STORM_SESSION_OPENED: h->opened++; break;
    case STORM_SESSION_STEP_ADDED: h->added++; break;
    case STORM_SESSION_STEP_UPDATED: h->updated++; break;
    case STORM_SESSION_MERGED: h->merged++; break;
    case STORM_SESSION_QUIET: h->quiet++; break;
    case STORM_SESSION_EVICTED: h->evicted++; break;
    }
    if (ev->replaces)
        snprintf(h->last_replaces, sizeof h->last_replaces, "%s", ev->replaces);
    snprintf(h->last_step, sizeof h->last_step, "%s", ev->step ? ev->step->sighting_id : "-");
    h->last_count = ev->step ? ev->step->count : 0;
}

static storm_session_tracker *tracker(heard *h, size_t cap)
{
    storm_session_opts o = {.sessions_cap = cap};
    storm_session_tracker *t = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_session_tracker_new(&o, &t, &err) != STORM_OK)
        return NULL;
    if (h) {
        memset(h, 0, sizeof *h);
        storm_session_listen(t, listen_fn, h);
    }
    return t;
}

/* A process event in a pod (pod NULL: on the host). */
static storm_event proc_ev(const char *ns, const char *pod, const char *node, const char *exec, const char *parent,
                           const char *parent_bin, storm_time_ns t)
{
    storm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.sensor = STORM_SENSOR_TETRAGON;
    ev.kind = STORM_EV_PROCESS_EXEC;
    ev.has_time = true;
    ev.time = t;
    ev.k8s.namespace_ = ns;
    ev.k8s.pod = pod;
    ev.k8s.node = node;
    ev.process.present = true;
    ev.process.exec_id = exec;
    ev.process.parent_exec_id = parent;
    ev.process.binary = "/bin/sh";
    ev.parent.present = parent_bin != NULL;
    ev.parent.binary = parent_bin;
    return ev;
}

/* An API request (audit). raw carries user.extra when extra_pod is set. */
static storm_arena *arena;
static storm_event audit_ev(const char *user, const char *source_ip, const char *verb, const char *resource,
                            const char *ns, const char *pod, const char *extra_pod, storm_time_ns t)
{
    storm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.sensor = STORM_SENSOR_K8S_AUDIT;
    ev.kind = STORM_EV_API_REQUEST;
    ev.has_time = true;
    ev.time = t;
    ev.audit.present = true;
    ev.audit.user = user;
    ev.audit.source_ip = source_ip;
    ev.audit.verb = verb;
    ev.audit.resource = resource;
    ev.audit.object_namespace = ns;
    ev.k8s.namespace_ = ns;
    ev.k8s.pod = pod;
    if (extra_pod) {
        char json[512];
        snprintf(json, sizeof json, "{\"user\":{\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"%s\"]}}}",
                 extra_pod);
        storm_value *v = NULL;
        storm_json_parse(arena, json, strlen(json), 0, &v, NULL, NULL);
        ev.raw = v;
    }
    return ev;
}

static void step(storm_session_tracker *t, const char *sighting, const char *name, const storm_event *ev,
                 storm_time_ns when)
{
    storm_session_step_in in = {.sighting_id = sighting,
                                .indicator_id = "indicator--00000000-0000-4000-8000-000000000001",
                                .indicator_name = name,
                                .step_id = "attack-pattern--00000000-0000-4000-8000-000000000002",
                                .step_name = name,
                                .evidence = name,
                                .first_seen = when,
                                .last_seen = when,
                                .count = 1};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_session_add(t, &in, ev, &err) == STORM_OK);
}

static const storm_session *only(storm_session_tracker *t)
{
    return storm_session_count(t) == 1 ? storm_session_at(t, 0) : NULL;
}

static void test_pod_rule(void)
{
    heard h;
    storm_session_tracker *t = tracker(&h, 0);
    storm_event a = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0);
    storm_event b = proc_ev("shop", "web-a", "n1", "e2", "p2", "/bin/sh", T0 + 600 * SEC);
    step(t, "sighting--1", "one", &a, a.time);
    step(t, "sighting--2", "two", &b, b.time);
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 2);
    CHECK(s && strcmp(s->steps[1].link, "pod") == 0);
    CHECK(h.opened == 1 && h.added == 1);
    storm_session_tracker_free(t);
}

static void test_quiet_period(void)
{
    /* 2 h apart in one pod: two sessions, whichever comes first */
    for (int order = 0; order < 2; order++) {
        storm_session_tracker *t = tracker(NULL, 0);
        storm_event a = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0);
        storm_event b = proc_ev("shop", "web-a", "n1", "e9", "p9", "/bin/sh", T0 + 7200 * SEC);
        if (order == 0) {
            step(t, "sighting--1", "one", &a, a.time);
            step(t, "sighting--2", "two", &b, b.time);
        } else {
            step(t, "sighting--2", "two", &b, b.time);
            step(t, "sighting--1", "one", &a, a.time);
        }
        CHECK(storm_session_count(t) == 2);
        storm_session_tracker_free(t);
    }
    /* a shorter quiet period splits what the default joins */
    storm_session_opts o = {.quiet = 300 * SEC};
    storm_session_tracker *t = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_session_tracker_new(&o, &t, &err) == STORM_OK);
    storm_event a = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0);
    storm_event b = proc_ev("shop", "web-a", "n1", "e2", "p2", "/bin/sh", T0 + 600 * SEC);
    step(t, "sighting--1", "one", &a, a.time);
    step(t, "sighting--2", "two", &b, b.time);
    CHECK(storm_session_count(t) == 2);
    storm_session_tracker_free(t);
}

static void test_lineage_across_nsenter(void)
{
    storm_session_tracker *t = tracker(NULL, 0);
    /* nsenter in a pod, a host shell it starts (no pod: only context), crictl from that shell */
    storm_event ns = proc_ev("shop", "escape", "n1", "nsenter-1", "sh-1", "/bin/sh", T0);
    storm_event host_sh = proc_ev(NULL, NULL, "n1", "bash-2", "nsenter-1", "/usr/bin/nsenter", T0 + SEC);
    storm_event crictl = proc_ev(NULL, NULL, "n1", "crictl-3", "bash-2", "/usr/bin/bash", T0 + 2 * SEC);
    step(t, "sighting--1", "escape", &ns, ns.time);
    storm_session_observe(t, &host_sh);
    step(t, "sighting--2", "runtime client", &crictl, crictl.time);
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 2 && strcmp(s->steps[1].link, "lineage") == 0);
    /* without the host shell's start the chain is broken: a new session */
    storm_session_tracker *u = tracker(NULL, 0);
    step(u, "sighting--1", "escape", &ns, ns.time);
    step(u, "sighting--2", "runtime client", &crictl, crictl.time);
    CHECK(storm_session_count(u) == 2);
    /* shared roots never link: two host processes under the container runtime */
    storm_session_tracker *v = tracker(NULL, 0);
    storm_event x = proc_ev(NULL, NULL, "n1", "x-1", "shim-1", "/usr/bin/containerd-shim-runc-v2", T0);
    storm_event y = proc_ev(NULL, NULL, "n1", "y-1", "shim-1", "/usr/bin/containerd-shim-runc-v2", T0 + SEC);
    step(v, "sighting--1", "a", &x, x.time);
    step(v, "sighting--2", "b", &y, y.time);
    CHECK(storm_session_count(v) == 2);
    storm_session_tracker_free(t);
    storm_session_tracker_free(u);
    storm_session_tracker_free(v);
}

static void test_address(void)
{
    storm_session_tracker *t = tracker(NULL, 0);
    storm_event in_b = proc_ev("shop", "worker-b", "n1", "c-1", "s-1", "/bin/sh", T0);
    storm_event flow = proc_ev("shop", "worker-b", "n1", "c-1", "s-1", "/bin/sh", T0 + SEC);
    flow.net.present = true;
    flow.net.src_ip = "10.244.2.31";
    flow.net.dst_ip = "10.96.0.1";
    flow.net.direction = "egress";
    step(t, "sighting--1", "curl", &in_b, in_b.time);
    storm_session_observe(t, &flow);
    storm_event api = audit_ev("alice", "10.244.2.31", "list", "secrets", "shop", NULL, NULL, T0 + 2 * SEC);
    step(t, "sighting--2", "secrets listed", &api, api.time);
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 2 && strcmp(s->steps[1].link, "address") == 0);
    /* the same client address links two API requests; loopback does not */
    storm_event r1 = audit_ev("bob", "192.168.99.1", "create", "clusterroles", NULL, NULL, NULL, T0 + 10 * SEC);
    storm_event r2 = audit_ev("bob", "192.168.99.1", "create", "clusterrolebindings", NULL, NULL, NULL, T0 + 20 * SEC);
    storm_event l1 = audit_ev("system:serviceaccount:kube-system:replicaset-controller", "127.0.0.1", "create",
                              "clusterroles", NULL, NULL, NULL, T0 + 10 * SEC);
    storm_event l2 = audit_ev("system:serviceaccount:kube-system:replicaset-controller", "::1", "create",
                              "clusterroles", NULL, NULL, NULL, T0 + 20 * SEC);
    step(t, "sighting--3", "r1", &r1, r1.time);
    step(t, "sighting--4", "r2", &r2, r2.time);
    step(t, "sighting--5", "l1", &l1, l1.time);
    step(t, "sighting--6", "l2", &l2, l2.time);
    CHECK(storm_session_count(t) == 4); /* B's, bob's, and two loopback ones */
    storm_session_tracker_free(t);
}

static void test_identity(void)
{
    /* the token read in web-a, used from an unknown address: the bound pod names it */
    storm_session_tracker *t = tracker(NULL, 0);
    storm_event rd = proc_ev("shop", "web-a", "n1", "cat-1", "sh-1", "/bin/sh", T0);
    rd.n_files = 1;
    rd.files[0].path = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    step(t, "sighting--1", "token theft", &rd, rd.time);
    storm_event use = audit_ev("system:serviceaccount:shop:web", "203.0.113.7", "list", "secrets", "shop", NULL,
                               "web-a", T0 + 60 * SEC);
    step(t, "sighting--2", "secrets listed", &use, use.time);
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 2 && strcmp(s->steps[1].link, "identity") == 0);
    storm_session_tracker_free(t);

    /* no bound pod in the request: the pod's account learned from its creation */
    t = tracker(NULL, 0);
    storm_event create = audit_ev("admin", "127.0.0.1", "create", "pods", "shop", "web-a", NULL, T0 - 100 * SEC);
    storm_value *req = NULL;
    const char *spec = "{\"spec\":{\"serviceAccountName\":\"web\"}}";
    storm_json_parse(arena, spec, strlen(spec), 0, &req, NULL, NULL);
    create.audit.request_object = req;
    storm_session_observe(t, &create);
    step(t, "sighting--1", "token theft", &rd, rd.time);
    storm_event other = audit_ev("system:serviceaccount:shop:other", "203.0.113.7", "list", "secrets", "shop", NULL,
                                 NULL, T0 + 60 * SEC);
    step(t, "sighting--3", "another account", &other, other.time);
    CHECK(storm_session_count(t) == 2); /* shop:other is not web-a's account */
    storm_event same = audit_ev("system:serviceaccount:shop:web", "198.51.100.9", "list", "secrets", "shop", NULL, NULL,
                                T0 + 70 * SEC);
    step(t, "sighting--2", "secrets listed", &same, same.time);
    CHECK(storm_session_count(t) == 2);
    CHECK(storm_session_at(t, 0)->n_steps == 2 && strcmp(storm_session_at(t, 0)->steps[1].link, "identity") == 0);
    storm_session_tracker_free(t);

    /* an account used with no token read anywhere opens its own session */
    t = tracker(NULL, 0);
    step(t, "sighting--2", "secrets listed", &same, same.time);
    step(t, "sighting--4", "again", &other, other.time);
    CHECK(storm_session_count(t) == 2);
    storm_session_tracker_free(t);
}

static void test_creation(void)
{
    storm_session_tracker *t = tracker(NULL, 0);
    storm_event create =
        audit_ev("system:serviceaccount:shop:web", "10.0.0.5", "create", "pods", "shop", "escape-pod", NULL, T0);
    step(t, "sighting--1", "privileged pod", &create, create.time);
    CHECK(only(t) && strcmp(only(t)->steps[0].link, "first") == 0);
    storm_event in_it = proc_ev("shop", "escape-pod", "n1", "ns-1", "sh-1", "/bin/sh", T0 + 30 * SEC);
    step(t, "sighting--2", "nsenter", &in_it, in_it.time);
    CHECK(only(t) && only(t)->n_steps == 2);
    storm_session_tracker_free(t);
}

static void test_kernel_helper(void)
{
    storm_session_tracker *t = tracker(NULL, 0);
    storm_event mount = proc_ev("demo", "test-pod", "kind", "mount-1", "sh-1", "/bin/sh", T0);
    storm_event modprobe = proc_ev(NULL, NULL, "kind", "modprobe-1", "kernel-0", "<kernel>", T0 + SEC / 1000);
    storm_event late = proc_ev(NULL, NULL, "kind", "modprobe-2", "kernel-0", "<kernel>", T0 + 5 * SEC);
    storm_event elsewhere = proc_ev(NULL, NULL, "other", "modprobe-3", "kernel-0", "<kernel>", T0 + SEC / 1000);
    step(t, "sighting--1", "module request", &mount, mount.time);
    step(t, "sighting--2", "modprobe", &modprobe, modprobe.time);
    CHECK(only(t) && only(t)->n_steps == 2 && strcmp(only(t)->steps[1].link, "helper") == 0);
    step(t, "sighting--3", "modprobe later", &late, late.time);
    step(t, "sighting--4", "modprobe elsewhere", &elsewhere, elsewhere.time);
    CHECK(storm_session_count(t) == 3);
    storm_session_tracker_free(t);
}

static void test_merge(void)
{
    heard h;
    storm_session_tracker *t = tracker(&h, 0);
    storm_event a = proc_ev("shop", "web-a", "n1", "cat-1", "sh-1", "/bin/sh", T0);
    a.n_files = 1;
    a.files[0].path = "/run/secrets/kubernetes.io/serviceaccount/..2026_01_01/token";
    storm_event b = proc_ev("shop", "worker-b", "n1", "curl-1", "sh-2", "/bin/sh", T0 + 40 * SEC);
    storm_event flow = b;
    flow.net.present = true;
    flow.net.src_ip = "10.244.2.31";
    step(t, "sighting--a", "token theft", &a, a.time);
    step(t, "sighting--b", "bearer token", &b, b.time);
    storm_session_observe(t, &flow);
    CHECK(storm_session_count(t) == 2);
    char id_a[64];
    snprintf(id_a, sizeof id_a, "%s", storm_session_at(t, 0)->id);
    storm_event use = audit_ev("system:serviceaccount:shop:web", "10.244.2.31", "list", "secrets", "shop", NULL,
                               "web-a", T0 + 43 * SEC);
    step(t, "sighting--c", "secrets listed", &use, use.time);
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 3);
    CHECK(s && strcmp(s->id, id_a) == 0); /* the earliest session survives, with its id */
    CHECK(h.merged == 1 && h.last_replaces[0] && strcmp(h.last_replaces, id_a) != 0);
    storm_session_stats st;
    storm_session_get_stats(t, &st);
    CHECK(st.merged == 1 && st.opened == 2 && st.held == 1);
    storm_session_tracker_free(t);
}

/* The lineage context holds context_cap processes: the oldest goes first
 * (counted), a process seen again keeps its place and takes its new parent,
 * and a chain is followed through the processes still held. */
static void test_lineage_context_cap(void)
{
    storm_event a = proc_ev("shop", "web", "n1", "a-1", "sh-0", "/bin/sh", T0);
    storm_event b = proc_ev(NULL, NULL, "n1", "b-2", "a-1", "/bin/sh", T0 + SEC);
    storm_event c = proc_ev(NULL, NULL, "n1", "c-3", "b-2", "/bin/sh", T0 + 2 * SEC);
    storm_event d = proc_ev(NULL, NULL, "n1", "d-4", "c-3", "/bin/sh", T0 + 3 * SEC);
    for (size_t cap = 1; cap <= 3; cap++) {
        storm_session_opts o = {.context_cap = cap};
        storm_session_tracker *t = NULL;
        storm_err err;
        storm_err_clear(&err);
        CHECK(storm_session_tracker_new(&o, &t, &err) == STORM_OK);
        step(t, "sighting--1", "a", &a, a.time);
        storm_session_observe(t, &b);
        storm_session_observe(t, &c);
        step(t, "sighting--2", "d", &d, d.time); /* walks c-3 -> b-2 -> a-1 */
        storm_session_stats st;
        storm_session_get_stats(t, &st);
        /* b-2 and c-3 both held (cap 2 and 3): one session; cap 1 lost b-2 */
        CHECK(storm_session_count(t) == (cap >= 2 ? 1u : 2u));
        CHECK(st.context_evicted == (cap == 1 ? 1u : 0u));
        storm_session_tracker_free(t);
    }
    /* cap 2: b-2 seen again (now a root's child) stays the older entry, so
     * the next process pushes it out; c-3 -> b-2 is lost with it */
    storm_session_opts o = {.context_cap = 2};
    storm_session_tracker *t = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_session_tracker_new(&o, &t, &err) == STORM_OK);
    step(t, "sighting--1", "a", &a, a.time);
    storm_session_observe(t, &b);
    storm_session_observe(t, &c);
    storm_event b_again = proc_ev(NULL, NULL, "n1", "b-2", "shim-1", "/usr/bin/containerd-shim-runc-v2", T0 + SEC);
    storm_session_observe(t, &b_again); /* b-2's parent is now a shared root: the walk stops there */
    step(t, "sighting--2", "d", &d, d.time);
    CHECK(storm_session_count(t) == 2);
    storm_event e = proc_ev(NULL, NULL, "n1", "e-5", "x-9", "/bin/sh", T0 + 4 * SEC);
    storm_session_observe(t, &e); /* b-2 goes, not c-3 */
    storm_session_stats st;
    storm_session_get_stats(t, &st);
    CHECK(st.context_evicted == 1);
    storm_session_observe(t, &b); /* b-2 -> a-1 again: c-3 goes */
    storm_session_get_stats(t, &st);
    CHECK(st.context_evicted == 2);
    storm_event g = proc_ev(NULL, NULL, "n1", "g-7", "b-2", "/bin/sh", T0 + 5 * SEC);
    step(t, "sighting--3", "g", &g, g.time); /* b-2 -> a-1: the first session */
    CHECK(storm_session_count(t) == 2 && storm_session_at(t, 0)->n_steps == 2);
    storm_session_tracker_free(t);
}

/* An updated step is found among many (steps are found by their pooled
 * sighting id) and handed to the listeners after it moved; an earlier
 * first_seen renames the session; a merge into a session at steps_cap
 * drops the absorbed step and reports no step for it. */
static void test_update_finds_step(void)
{
    heard h;
    storm_session_tracker *t = tracker(&h, 0);
    char sid[32];
    for (int i = 0; i < 6; i++) {
        storm_event e = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0 + i * SEC);
        snprintf(sid, sizeof sid, "sighting--%d", i);
        step(t, sid, "x", &e, e.time);
    }
    const storm_session *s = only(t);
    CHECK(s && s->n_steps == 6 && h.added == 5 && strcmp(h.last_step, "sighting--5") == 0);
    char id0[64];
    snprintf(id0, sizeof id0, "%s", s ? s->id : "");
    /* sighting--3 seen again, earlier than every step: it moves first */
    storm_session_step_in in = {
        .sighting_id = "sighting--3", .first_seen = T0 - SEC, .last_seen = T0 + 9 * SEC, .count = 7};
    storm_err err;
    storm_err_clear(&err);
    storm_event e = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0 + 9 * SEC);
    CHECK(storm_session_add(t, &in, &e, &err) == STORM_OK);
    s = only(t);
    CHECK(h.updated == 1 && strcmp(h.last_step, "sighting--3") == 0 && h.last_count == 7);
    CHECK(s && strcmp(s->steps[0].sighting_id, "sighting--3") == 0 && s->steps[0].count == 7);
    CHECK(s && strcmp(s->id, id0) != 0 && strcmp(h.last_replaces, id0) == 0); /* renamed */
    CHECK(s && s->size == 5 + 7 && s->first_seen == T0 - SEC && s->last_seen == T0 + 9 * SEC);
    in.sighting_id = "sighting--4"; /* an update without an event */
    in.first_seen = T0 + 4 * SEC;
    in.count = 2;
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    CHECK(h.updated == 2 && strcmp(h.last_step, "sighting--4") == 0 && h.last_count == 2);
    s = only(t);
    CHECK(s && s->size == 4 + 7 + 2 && s->first_seen == T0 - SEC && s->last_seen == T0 + 9 * SEC);
    in.count = 1; /* a lower count is not taken */
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    CHECK(s && s->size == 4 + 7 + 2);
    storm_session_tracker_free(t);

    /* steps_cap 2: web-a holds two steps, web-b one; sighting--b seen again
     * in web-a links both, web-b merges into web-a (the earlier) and its
     * step no longer fits */
    storm_session_opts o = {.steps_cap = 2};
    CHECK(storm_session_tracker_new(&o, &t, &err) == STORM_OK);
    memset(&h, 0, sizeof h);
    storm_session_listen(t, listen_fn, &h);
    storm_event a1 = proc_ev("shop", "web-a", "n1", "a1", NULL, NULL, T0);
    storm_event a2 = proc_ev("shop", "web-a", "n1", "a2", NULL, NULL, T0 + SEC);
    storm_event b1 = proc_ev("shop", "web-b", "n1", "b1", NULL, NULL, T0 + 2 * SEC);
    step(t, "sighting--a1", "x", &a1, a1.time);
    step(t, "sighting--a2", "x", &a2, a2.time);
    step(t, "sighting--b", "x", &b1, b1.time);
    CHECK(storm_session_count(t) == 2);
    storm_event again = proc_ev("shop", "web-a", "n1", "a3", NULL, NULL, T0 + 3 * SEC);
    step(t, "sighting--b", "x", &again, again.time);
    s = only(t);
    /* dropped twice: when web-b merged, and when its sighting came to be added */
    CHECK(s && s->n_steps == 2 && s->steps_dropped == 2 && h.merged == 1);
    CHECK(strcmp(h.last_step, "-") == 0);            /* the step past the cap: none to show */
    step(t, "sighting--b", "x", &again, again.time); /* not held anywhere now: past the cap again */
    s = only(t);
    CHECK(s && s->n_steps == 2 && s->steps_dropped == 3);
    CHECK(s && s->size == 2 && s->last_seen == T0 + SEC); /* dropped steps add to neither */
    storm_session_tracker_free(t);
}

/* Whether s's steps are the sighting ids want, in that order. */
static bool steps_are(const storm_session *s, const char *const *want, size_t n)
{
    if (!s || s->n_steps != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->steps[i].sighting_id, want[i]) != 0)
            return false;
    return true;
}

/* Steps stay in order of first_seen, then sighting id, when added out of
 * order, at the same time as others, or updated to an earlier time. */
static void test_step_order(void)
{
    storm_session_tracker *t = tracker(NULL, 0);
    const char *ids[] = {"s-c", "s-a", "s-b", "s-d", "s-e", "s-0"};
    const int at[] = {5, 5, 1, 5, 3, 9};
    for (int i = 0; i < 6; i++) {
        storm_event e = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0 + at[i] * SEC);
        step(t, ids[i], "x", &e, e.time);
    }
    const char *const want1[] = {"s-b", "s-e", "s-a", "s-c", "s-d", "s-0"};
    CHECK(steps_are(only(t), want1, 6));
    storm_session_step_in in = {
        .sighting_id = "s-d", .first_seen = T0 + 2 * SEC, .last_seen = T0 + 9 * SEC, .count = 1};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    const char *const want2[] = {"s-b", "s-d", "s-e", "s-a", "s-c", "s-0"};
    CHECK(steps_are(only(t), want2, 6));
    in.sighting_id = "s-0";
    in.first_seen = T0;
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    const char *const want3[] = {"s-0", "s-b", "s-d", "s-e", "s-a", "s-c"};
    CHECK(steps_are(only(t), want3, 6));
    in.sighting_id = "s-a"; /* a later first_seen is not taken: nothing moves */
    in.first_seen = T0 + 8 * SEC;
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    CHECK(steps_are(only(t), want3, 6));
    storm_event e = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0 + 5 * SEC);
    step(t, "s-bb", "x", &e, e.time); /* between s-a and s-c */
    const char *const want4[] = {"s-0", "s-b", "s-d", "s-e", "s-a", "s-bb", "s-c"};
    CHECK(steps_are(only(t), want4, 7));
    storm_session_tracker_free(t);
}

static void test_caps_updates_anomalies(void)
{
    heard h;
    storm_session_tracker *t = tracker(&h, 2);
    const char *pods[] = {"p1", "p2", "p3"};
    for (int i = 0; i < 3; i++) {
        storm_event e = proc_ev("ns", pods[i], "n1", pods[i], NULL, NULL, T0 + i * SEC);
        char sid[32];
        snprintf(sid, sizeof sid, "sighting--%d", i);
        step(t, sid, "x", &e, e.time);
    }
    storm_session_stats st;
    storm_session_get_stats(t, &st);
    CHECK(st.held == 2 && st.evicted == 1 && h.evicted == 1);
    /* an update without an event: the step held is updated */
    storm_session_step_in in = {
        .sighting_id = "sighting--2", .first_seen = T0 + 2 * SEC, .last_seen = T0 + 9 * SEC, .count = 5};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_session_add(t, &in, NULL, &err) == STORM_OK);
    CHECK(h.updated == 1);
    const storm_session *s = storm_session_at(t, 1);
    CHECK(s && s->steps[0].count == 5 && s->last_seen == T0 + 9 * SEC);
    /* anomalies join a session they link to and never open one */
    storm_event an = proc_ev("ns", "p3", "n1", "z", NULL, NULL, T0 + 3 * SEC);
    storm_session_step_in ain = {.sighting_id = "observed-data--1",
                                 .indicator_name = "baseline anomaly",
                                 .first_seen = an.time,
                                 .last_seen = an.time,
                                 .count = 1,
                                 .anomaly = true};
    CHECK(storm_session_add(t, &ain, &an, &err) == STORM_OK);
    storm_event lone = proc_ev("ns", "p9", "n1", "w", NULL, NULL, T0 + 3 * SEC);
    ain.sighting_id = "observed-data--2";
    CHECK(storm_session_add(t, &ain, &lone, &err) == STORM_OK);
    storm_session_get_stats(t, &st);
    CHECK(st.anomalies == 1 && st.anomalies_unlinked == 1 && st.held == 2);
    storm_session_tracker_free(t);
}

static void test_ids_and_json(void)
{
    char ids[2][64];
    for (int order = 0; order < 2; order++) {
        storm_session_tracker *t = tracker(NULL, 0);
        storm_event a = proc_ev("shop", "web-a", "n1", "e1", "p1", "/bin/sh", T0);
        storm_event b = proc_ev("shop", "web-a", "n1", "e2", "p2", "/bin/sh", T0 + SEC);
        if (order) {
            step(t, "sighting--b", "two", &b, b.time);
            step(t, "sighting--a", "one", &a, a.time);
        } else {
            step(t, "sighting--a", "one", &a, a.time);
            step(t, "sighting--b", "two", &b, b.time);
        }
        const storm_session *s = only(t);
        snprintf(ids[order], sizeof ids[order], "%s", s ? s->id : "");
        CHECK(s && strcmp(s->steps[0].sighting_id, "sighting--a") == 0);
        if (order == 0 && s) {
            storm_buf buf;
            storm_buf_init(&buf, 1 << 20);
            CHECK(storm_session_to_json(s, &buf) == STORM_OK);
            storm_buf_putc(&buf, '\0');
            CHECK(buf.data && strstr(buf.data, "\"pods\":[\"shop/web-a\"]") != NULL);
            CHECK(buf.data && strstr(buf.data, "\"first_seen\":\"2026-01-01T00:00:00.000Z\"") != NULL);
            storm_buf_free(&buf);
        }
        storm_session_tracker_free(t);
    }
    CHECK(strncmp(ids[0], "session--", 9) == 0 && strcmp(ids[0], ids[1]) == 0);
}

int main(void)
{
    arena = storm_arena_new(0, 0);
    RUN(test_pod_rule);
    RUN(test_quiet_period);
    RUN(test_lineage_across_nsenter);
    RUN(test_address);
    RUN(test_identity);
    RUN(test_creation);
    RUN(test_kernel_helper);
    RUN(test_merge);
    RUN(test_lineage_context_cap);
    RUN(test_update_finds_step);
    RUN(test_step_order);
    RUN(test_caps_updates_anomalies);
    RUN(test_ids_and_json);
    storm_arena_free(arena);
    return test_report("test_session");
}
