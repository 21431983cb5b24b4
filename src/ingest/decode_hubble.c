/* SPDX-License-Identifier: Apache-2.0 */
/* Hubble flows (Cilium's flow.proto exported as protojson with proto field
 * names: "IP", "l4", "Type", "node_name", "ipVersion") -> storm_event.
 *
 * Accepts what `hubble observe -o json` and the Hubble exporter write,
 * {"flow": {...}, "node_name": ..., "time": ...}, and bare flow objects.
 * Other GetFlowsResponse records (lost_events, node_status, agent_event,
 * debug_event) are skipped by type. A flow becomes one network event: the
 * addresses, ports and protocol go to net.*, the pod the flow belongs to
 * (the source of egress traffic, the destination of ingress traffic) to the
 * Kubernetes context, and the rest of what Hubble says about the flow (drop
 * reason, both endpoints with identities, labels and workloads, L7 records,
 * TCP flags) to net.extra, borrowed from the record. */
#include "decoders.h"

#include "tetragon_fields.h"

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        storm_rc rc_ = (expr);                                                                                         \
        if (rc_ != STORM_OK)                                                                                           \
            return rc_;                                                                                                \
    } while (0)

/* GetFlowsResponse records that are not flows. */
static const char *const other_records[] = {"lost_events", "node_status", "agent_event", "debug_event"};

static bool is_bare_flow(const storm_value *o)
{
    const storm_value *verdict = storm_v_get(o, "verdict");
    if (!verdict || (verdict->type != STORM_V_STRING && verdict->type != STORM_V_INT))
        return false;
    static const char *const flow_keys[] = {"IP", "l4", "Type", "ethernet", "source", "destination"};
    for (size_t i = 0; i < sizeof flow_keys / sizeof flow_keys[0]; i++)
        if (storm_v_get(o, flow_keys[i]))
            return true;
    return false;
}

static const char *other_record(const storm_value *root)
{
    if (!storm_v_get(root, "time") && !storm_v_get(root, "node_name"))
        return NULL;
    for (size_t i = 0; i < sizeof other_records / sizeof other_records[0]; i++)
        if (storm_v_get(root, other_records[i]))
            return other_records[i];
    return NULL;
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT)
        return false;
    const storm_value *flow = storm_v_get(root, "flow");
    if (flow)
        return flow->type == STORM_V_OBJECT;
    return is_bare_flow(root) || other_record(root) != NULL;
}

static storm_rc oom(storm_err *err)
{
    return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Hubble flow");
}

/* An enum field: protojson writes the name; a number (an exporter set to
 * enum numbers, or a value newer than the exporter) is mapped via names[]. */
static storm_rc enum_field(storm_arena *a, const storm_value *v, const tg_path *path, const char *const *names,
                           size_t n_names, const char **out, storm_err *err)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type == STORM_V_STRING) {
        *out = v->u.s.ptr;
        return STORM_OK;
    }
    if (v->type == STORM_V_INT && v->u.i >= 0) {
        if ((size_t)v->u.i < n_names && names[v->u.i])
            *out = names[v->u.i];
        else if (!(*out = storm_arena_printf(a, "%lld", (long long)v->u.i)))
            return oom(err);
        return STORM_OK;
    }
    return tg_fail(err, v, path, "expected an enum name (a string), got %s", tg_type_name(v));
}

static const char *const verdict_names[] = {"VERDICT_UNKNOWN", "FORWARDED",  "DROPPED", "ERROR",
                                            "AUDIT",           "REDIRECTED", "TRACED",  "TRANSLATED"};
static const char *const direction_names[] = {"TRAFFIC_DIRECTION_UNKNOWN", "INGRESS", "EGRESS"};
static const char *const ip_version_names[] = {"IP_NOT_USED", "IPv4", "IPv6"};
static const char *const flow_type_names[] = {"UNKNOWN_TYPE", "L3_L4", "L7", "SOCK"};

/* What the decoder reads from one Endpoint {ID, identity, namespace, labels[], pod_name, workloads[]}. */
typedef struct endpoint {
    const storm_value *value;
    const char *namespace_, *pod, *workload, *workload_kind;
    const storm_value *labels;
} endpoint;

static storm_rc decode_endpoint(const storm_value *v, const tg_path *path, endpoint *ep, storm_err *err)
{
    memset(ep, 0, sizeof *ep);
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    ep->value = o;
    for (size_t i = 0; o && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        int64_t n;
        if (TG_KEY_IS(m, "namespace")) {
            TRY(tg_str(err, m->value, &fp, &ep->namespace_));
        } else if (TG_KEY_IS(m, "pod_name")) {
            TRY(tg_str(err, m->value, &fp, &ep->pod));
        } else if (TG_KEY_IS(m, "ID") || TG_KEY_IS(m, "identity")) {
            TRY(tg_u32(err, m->value, &fp, &n, NULL));
        } else if (TG_KEY_IS(m, "labels")) {
            TRY(tg_array(err, m->value, &fp, &ep->labels));
            for (size_t j = 0; ep->labels && j < ep->labels->u.a.len; j++) {
                tg_path lp = TG_INDEX(&fp, j);
                const char *s;
                TRY(tg_str(err, ep->labels->u.a.items[j], &lp, &s));
            }
        } else if (TG_KEY_IS(m, "workloads")) {
            const storm_value *w;
            TRY(tg_array(err, m->value, &fp, &w));
            for (size_t j = 0; w && j < w->u.a.len; j++) {
                tg_path wp = TG_INDEX(&fp, j);
                const storm_value *wo;
                TRY(tg_object(err, w->u.a.items[j], &wp, &wo));
                const char *name = NULL, *kind = NULL;
                tg_path np = TG_KEY(&wp, "name"), kp = TG_KEY(&wp, "kind");
                TRY(tg_str(err, storm_v_get(wo, "name"), &np, &name));
                TRY(tg_str(err, storm_v_get(wo, "kind"), &kp, &kind));
                if (j == 0) {
                    ep->workload = name;
                    ep->workload_kind = kind;
                }
            }
        }
    }
    return STORM_OK;
}

/* Cilium labels "k8s:app=web" -> {"app": "web"}: the pod's Kubernetes labels,
 * without the ones Cilium derives itself (namespace, service account, ...). */
static storm_rc labels_object(storm_arena *a, const storm_value *labels, const storm_value **out, storm_err *err)
{
    if (!labels || labels->u.a.len == 0)
        return STORM_OK;
    storm_value *o = tg_obj_new(a, labels->u.a.len);
    if (!o)
        return oom(err);
    for (size_t i = 0; i < labels->u.a.len; i++) {
        const storm_value *l = labels->u.a.items[i];
        const char *s = l->u.s.ptr;
        if (strncmp(s, "k8s:", 4) != 0)
            continue;
        s += 4;
        if (strncmp(s, "io.cilium.k8s.", 14) == 0 || strncmp(s, "io.kubernetes.pod.namespace", 27) == 0)
            continue;
        const char *eq = strchr(s, '=');
        size_t klen = eq ? (size_t)(eq - s) : strlen(s);
        const char *val = eq ? eq + 1 : "";
        char *key = storm_arena_strndup(a, s, klen);
        storm_value *vv = key ? storm_v_str_borrow(a, val, strlen(val)) : NULL;
        if (!vv || tg_obj_copy_member(a, o, key, klen, vv) != 0)
            return oom(err);
    }
    *out = o->u.o.len ? o : NULL;
    return STORM_OK;
}

/* l4 {TCP|UDP|SCTP: {source_port, destination_port, flags}, ICMPv4|ICMPv6: {type, code}} */
static storm_rc decode_l4(storm_arena *a, const storm_value *v, const tg_path *path, storm_net_info *n,
                          storm_value **extra, storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    for (size_t i = 0; o && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        const storm_value *p;
        TRY(tg_object(err, m->value, &fp, &p));
        if (!p)
            continue;
        if (TG_KEY_IS(m, "TCP") || TG_KEY_IS(m, "UDP") || TG_KEY_IS(m, "SCTP")) {
            n->protocol = TG_KEY_IS(m, "TCP") ? "tcp" : TG_KEY_IS(m, "UDP") ? "udp" : "sctp";
            for (size_t j = 0; j < p->u.o.len; j++) {
                const storm_member *pm = &p->u.o.members[j];
                tg_path pp = TG_KEY(&fp, pm->key);
                if (TG_KEY_IS(pm, "source_port")) {
                    TRY(tg_port(err, pm->value, &pp, &n->src_port, &n->has_src_port));
                } else if (TG_KEY_IS(pm, "destination_port")) {
                    TRY(tg_port(err, pm->value, &pp, &n->dst_port, &n->has_dst_port));
                } else if (TG_KEY_IS(pm, "flags")) {
                    const storm_value *flags;
                    TRY(tg_object(err, pm->value, &pp, &flags));
                    if (flags && TG_OBJ_ADD_LIT(a, *extra, "tcp_flags", (storm_value *)flags) != 0)
                        return oom(err);
                }
            }
        } else if (TG_KEY_IS(m, "ICMPv4") || TG_KEY_IS(m, "ICMPv6")) {
            n->protocol = TG_KEY_IS(m, "ICMPv4") ? "icmp" : "icmpv6";
            int64_t x;
            tg_path tp = TG_KEY(&fp, "type"), cp = TG_KEY(&fp, "code");
            TRY(tg_u32(err, storm_v_get(p, "type"), &tp, &x, NULL));
            TRY(tg_u32(err, storm_v_get(p, "code"), &cp, &x, NULL));
            if (TG_OBJ_ADD_LIT(a, *extra, "icmp", (storm_value *)p) != 0)
                return oom(err);
        }
    }
    return STORM_OK;
}

/* "isovalent.com." -> "isovalent.com" (STIX domain-name values have no root dot). */
static const char *strip_root_dot(storm_arena *a, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 2 || name[n - 1] != '.')
        return n ? name : NULL;
    return storm_arena_strndup(a, name, n - 1);
}

/* l7 {type, latency_ns, dns{query, ips, ...} | http{code, method, url, ...} | kafka{...}} */
static storm_rc decode_l7(storm_arena *a, const storm_value *v, const tg_path *path, storm_net_info *n,
                          storm_value **extra, storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    if (!o)
        return STORM_OK;
    tg_path dp = TG_KEY(path, "dns"), hp = TG_KEY(path, "http"), lp = TG_KEY(path, "latency_ns");
    const storm_value *dns, *http;
    int64_t latency;
    TRY(tg_i64(err, storm_v_get(o, "latency_ns"), &lp, &latency, NULL));
    TRY(tg_object(err, storm_v_get(o, "dns"), &dp, &dns));
    TRY(tg_object(err, storm_v_get(o, "http"), &hp, &http));
    if (dns) {
        const char *query = NULL;
        tg_path qp = TG_KEY(&dp, "query");
        TRY(tg_str(err, storm_v_get(dns, "query"), &qp, &query));
        n->dns_name = strip_root_dot(a, query);
        if (query && query[0] && !n->dns_name)
            return oom(err);
    }
    if (http) {
        const char *s;
        int64_t code;
        tg_path up = TG_KEY(&hp, "url"), mp = TG_KEY(&hp, "method"), cp = TG_KEY(&hp, "code");
        TRY(tg_str(err, storm_v_get(http, "url"), &up, &s));
        TRY(tg_str(err, storm_v_get(http, "method"), &mp, &s));
        TRY(tg_u32(err, storm_v_get(http, "code"), &cp, &code, NULL));
    }
    if (TG_OBJ_ADD_LIT(a, *extra, "l7", (storm_value *)o) != 0)
        return oom(err);
    return STORM_OK;
}

/* First string of a string array (names lists), type-checked. */
static storm_rc first_name(const storm_value *v, const tg_path *path, const char **out, storm_err *err)
{
    const storm_value *arr;
    TRY(tg_array(err, v, path, &arr));
    for (size_t i = 0; arr && i < arr->u.a.len; i++) {
        tg_path ip = TG_INDEX(path, i);
        const char *s = NULL;
        TRY(tg_str(err, arr->u.a.items[i], &ip, &s));
        if (i == 0)
            *out = s;
    }
    return STORM_OK;
}

/* Hubble Relay names nodes "<cluster>/<node>". */
static storm_rc split_node(storm_arena *a, const char *node_name, storm_k8s_ctx *k8s, storm_err *err)
{
    if (!node_name)
        return STORM_OK;
    const char *slash = strchr(node_name, '/');
    if (!slash) {
        k8s->node = node_name;
        return STORM_OK;
    }
    if (slash > node_name && !k8s->cluster &&
        !(k8s->cluster = storm_arena_strndup(a, node_name, (size_t)(slash - node_name))))
        return oom(err);
    k8s->node = slash[1] ? slash + 1 : node_name;
    return STORM_OK;
}

static storm_rc decode_flow(storm_arena *a, const storm_value *root, const storm_value *flow, const tg_path *fpath,
                            storm_event *ev, storm_err *err)
{
    ev->sensor = STORM_SENSOR_HUBBLE;
    ev->kind = STORM_EV_NETWORK;
    ev->type = "flow";
    ev->raw = root;
    storm_net_info *n = &ev->net;
    n->present = true;
    storm_value *extra = tg_obj_new(a, 16);
    if (!extra)
        return oom(err);

    const char *node_name = NULL, *direction = NULL, *ip_version = NULL, *flow_type = NULL, *dst_name = NULL,
               *src_name = NULL;
    bool is_reply = false, has_reply = false;
    endpoint src = {0}, dst = {0};
    for (size_t i = 0; i < flow->u.o.len; i++) {
        const storm_member *m = &flow->u.o.members[i];
        tg_path fp = TG_KEY(fpath, m->key);
        storm_value *mv = m->value;
        if (TG_KEY_IS(m, "time")) {
            TRY(tg_time(err, mv, &fp, &ev->time, &ev->has_time));
        } else if (TG_KEY_IS(m, "verdict")) {
            TRY(enum_field(a, mv, &fp, verdict_names, 8, &n->verdict, err));
        } else if (TG_KEY_IS(m, "IP")) {
            const storm_value *ip;
            TRY(tg_object(err, mv, &fp, &ip));
            tg_path sp = TG_KEY(&fp, "source"), dp = TG_KEY(&fp, "destination"), vp = TG_KEY(&fp, "ipVersion");
            TRY(tg_str(err, storm_v_get(ip, "source"), &sp, &n->src_ip));
            TRY(tg_str(err, storm_v_get(ip, "destination"), &dp, &n->dst_ip));
            TRY(enum_field(a, storm_v_get(ip, "ipVersion"), &vp, ip_version_names, 3, &ip_version, err));
        } else if (TG_KEY_IS(m, "l4")) {
            TRY(decode_l4(a, mv, &fp, n, &extra, err));
        } else if (TG_KEY_IS(m, "source")) {
            TRY(decode_endpoint(mv, &fp, &src, err));
        } else if (TG_KEY_IS(m, "destination")) {
            TRY(decode_endpoint(mv, &fp, &dst, err));
        } else if (TG_KEY_IS(m, "Type")) {
            TRY(enum_field(a, mv, &fp, flow_type_names, 4, &flow_type, err));
        } else if (TG_KEY_IS(m, "node_name")) {
            TRY(tg_str(err, mv, &fp, &node_name));
        } else if (TG_KEY_IS(m, "traffic_direction")) {
            TRY(enum_field(a, mv, &fp, direction_names, 3, &direction, err));
        } else if (TG_KEY_IS(m, "l7")) {
            TRY(decode_l7(a, mv, &fp, n, &extra, err));
        } else if (TG_KEY_IS(m, "is_reply")) {
            TRY(tg_bool(err, mv, &fp, &is_reply, &has_reply));
        } else if (TG_KEY_IS(m, "destination_names")) {
            TRY(first_name(mv, &fp, &dst_name, err));
        } else if (TG_KEY_IS(m, "source_names")) {
            TRY(first_name(mv, &fp, &src_name, err));
        } else if (TG_KEY_IS(m, "drop_reason_desc")) {
            const char *s;
            TRY(enum_field(a, mv, &fp, NULL, 0, &s, err));
        } else if (TG_KEY_IS(m, "socket_cookie") || TG_KEY_IS(m, "cgroup_id")) {
            int64_t x;
            TRY(tg_i64(err, mv, &fp, &x, NULL));
            continue; /* kernel-internal ids: in raw only */
        } else {
            continue; /* e.g. ethernet, uuid, Summary: kept in raw, not in extra */
        }
        /* fields worth keeping beside net.*, in Hubble's own names */
        if (TG_KEY_IS(m, "drop_reason_desc") || TG_KEY_IS(m, "is_reply") || TG_KEY_IS(m, "source") ||
            TG_KEY_IS(m, "destination") || TG_KEY_IS(m, "source_names") || TG_KEY_IS(m, "destination_names"))
            if (mv->type != STORM_V_NULL && tg_obj_put(a, extra, m->key, m->key_len, mv) != 0)
                return oom(err);
    }
    /* flow fields that are not type-checked above, kept for the mapping as they are */
    static const char *const kept[] = {
        "event_type", "source_service",    "destination_service", "trace_observation_point",
        "interface",  "policy_match_type", "proxy_port",          "uuid"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        storm_value *v = storm_v_get(flow, kept[i]);
        if (v && v->type != STORM_V_NULL && tg_obj_put(a, extra, kept[i], strlen(kept[i]), v) != 0)
            return oom(err);
    }
    if (flow_type) {
        storm_value *tv = tg_str_value(a, flow_type);
        if (!tv || TG_OBJ_ADD_LIT(a, extra, "type", tv) != 0)
            return oom(err);
    }

    /* the envelope (GetFlowsResponse) repeats node_name and time */
    if (root != flow) {
        tg_path np = TG_KEY(NULL, "node_name"), tp = TG_KEY(NULL, "time");
        const char *env_node = NULL;
        TRY(tg_str(err, storm_v_get(root, "node_name"), &np, &env_node));
        if (!node_name)
            node_name = env_node;
        storm_time_ns t;
        bool has_t = false;
        TRY(tg_time(err, storm_v_get(root, "time"), &tp, &t, &has_t));
        if (has_t && !ev->has_time) {
            ev->time = t;
            ev->has_time = true;
        }
    }
    TRY(split_node(a, node_name, &ev->k8s, err));

    if (ip_version)
        n->family = strcmp(ip_version, "IPv4") == 0 ? "ipv4" : strcmp(ip_version, "IPv6") == 0 ? "ipv6" : NULL;
    if (!n->family && (n->src_ip || n->dst_ip))
        n->family = strchr(n->src_ip ? n->src_ip : n->dst_ip, ':') ? "ipv6" : "ipv4";
    if (direction)
        n->direction = strcmp(direction, "INGRESS") == 0  ? "ingress"
                       : strcmp(direction, "EGRESS") == 0 ? "egress"
                                                          : NULL;
    if (!n->dns_name) {
        const char *name = has_reply && is_reply ? src_name : dst_name;
        if (name && !(n->dns_name = strip_root_dot(a, name)))
            return oom(err);
    }

    /* the event happened in the pod the flow belongs to */
    const endpoint *local = NULL;
    if (n->direction && strcmp(n->direction, "ingress") == 0)
        local = &dst;
    else if (n->direction)
        local = &src;
    else
        local = src.pod ? &src : dst.pod ? &dst : &src;
    ev->k8s.namespace_ = local->namespace_;
    ev->k8s.pod = local->pod;
    ev->k8s.workload = local->workload;
    ev->k8s.workload_kind = local->workload_kind;
    TRY(labels_object(a, local->labels, &ev->k8s.labels, err));

    n->extra = extra->u.o.len ? extra : NULL;
    return STORM_OK;
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    if (!root || root->type != STORM_V_OBJECT)
        return tg_fail(err, root, NULL, "a Hubble record is a JSON object, got %s", tg_type_name(root));
    const storm_value *flow = storm_v_get(root, "flow");
    tg_path flow_path = TG_KEY(NULL, "flow");
    const tg_path *fpath = &flow_path;
    if (flow) {
        if (flow->type != STORM_V_OBJECT)
            return tg_fail(err, flow, fpath, "expected an object, got %s", tg_type_name(flow));
    } else if (is_bare_flow(root)) {
        flow = root;
        fpath = NULL;
    } else {
        const char *other = other_record(root);
        if (other) {
            if (skip_type)
                *skip_type = other;
            return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "Hubble %s records are not flows (skipped)", other);
        }
        return tg_fail(err, root, NULL, "not a Hubble flow: no \"flow\" object and no \"verdict\"");
    }
    size_t before = out->n;
    storm_event *ev = storm_event_list_add(a, out);
    if (!ev)
        return oom(err);
    storm_rc rc = decode_flow(a, root, flow, fpath, ev, err);
    if (rc != STORM_OK)
        out->n = before;
    return rc;
}

const storm_decoder storm_decoder_hubble = {"hubble", STORM_SENSOR_HUBBLE, detect, decode};
