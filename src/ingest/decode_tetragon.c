/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon JSON export (GetEventsResponse as protojson) -> storm_event.
 *
 * A record is {"<event type>": {...}, "node_name": ..., "time": ...} with
 * exactly one event key. process_exec/exit become process events;
 * process_kprobe/tracepoint/lsm/uprobe/usdt become kernel-hook events whose
 * positional args[] are normalised and lifted into files[] and net (see
 * tetragon_args.h); process_loader becomes a file event; the legacy
 * process_connect/accept/listen/close types become network events. Other
 * types (process_throttle, rate_limit_info, types added after this decoder)
 * are skipped and counted by the caller, not rejected.
 *
 * protojson omits zero values: a missing field means 0, false or unknown, so
 * nothing here is required except the shape of what is present. Every field
 * read is type-checked (tetragon_fields.h): a wrong type is an error with its
 * position, never a guess. Strings and nested values are borrowed from the
 * parsed record; what we build comes from the same arena. */
#include "decoders.h"

#include "tetragon_args.h"
#include "tetragon_fields.h"

typedef enum tg_type {
    TG_EXEC,
    TG_EXIT,
    TG_KPROBE,
    TG_TRACEPOINT,
    TG_LSM,
    TG_UPROBE,
    TG_USDT,
    TG_LOADER,
    TG_CONNECT, /* legacy network types of the book-era exporter */
    TG_ACCEPT,
    TG_LISTEN,
    TG_CLOSE,
} tg_type;

static const struct {
    const char *name;
    tg_type type;
} event_types[] = {
    {"process_kprobe", TG_KPROBE},   {"process_exec", TG_EXEC},
    {"process_exit", TG_EXIT},       {"process_tracepoint", TG_TRACEPOINT},
    {"process_lsm", TG_LSM},         {"process_uprobe", TG_UPROBE},
    {"process_usdt", TG_USDT},       {"process_loader", TG_LOADER},
    {"process_connect", TG_CONNECT}, {"process_accept", TG_ACCEPT},
    {"process_listen", TG_LISTEN},   {"process_close", TG_CLOSE},
};

/* Top-level keys that name an event (one per record). */
static bool is_event_key(const storm_member *m)
{
    return (m->key_len > 8 && memcmp(m->key, "process_", 8) == 0) || TG_KEY_IS(m, "rate_limit_info");
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT)
        return false;
    const storm_member *first = NULL;
    for (size_t i = 0; i < root->u.o.len; i++) {
        const storm_member *m = &root->u.o.members[i];
        if (!is_event_key(m))
            continue;
        if (first && !(first->key_len == m->key_len && memcmp(first->key, m->key, m->key_len) == 0))
            return false; /* two event types: not one Tetragon event */
        first = m;
    }
    return first != NULL;
}

static storm_rc oom(storm_err *err)
{
    return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Tetragon event");
}

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        storm_rc rc_ = (expr);                                                                                         \
        if (rc_ != STORM_OK)                                                                                           \
            return rc_;                                                                                                \
    } while (0)

/* Adds key -> v to *extra (created on first use) when v is present. */
static storm_rc extra_add(storm_arena *a, storm_value **extra, const char *key, size_t key_len, storm_value *v,
                          storm_err *err)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (!*extra && !(*extra = tg_obj_new(a, 8)))
        return oom(err);
    /* A key given again replaces its value (the last wins, as tg_obj_put
     * does). Every key of an extra object comes through EXTRA_ADD, and each
     * key text is one literal of this file, written once: equal keys are the
     * same pointer, so the scan compares pointers, no bytes. */
    storm_value *o = *extra;
    for (size_t i = 0; i < o->u.o.len; i++)
        if (o->u.o.members[i].key == key) {
            o->u.o.members[i].value = v;
            return STORM_OK;
        }
    return storm_v_append(a, o, key, key_len, v) == 0 ? STORM_OK : oom(err);
}
#define EXTRA_ADD(a, extra, lit, v, err) extra_add((a), (extra), (lit), sizeof(lit) - 1, (v), (err))

/* A process block's extra fields, gathered on the stack and made into one
 * object of their exact size at the end (decode_process): no object grown
 * member by member per block. Keys as for extra_add: literals of this file,
 * each written once (thirteen of them), so pointers compare. */
#define EXTRA_MAX 16
typedef struct extra_acc {
    size_t n;
    storm_member m[EXTRA_MAX];
} extra_acc;

static storm_rc acc_add(extra_acc *x, const char *key, size_t key_len, storm_value *v, storm_err *err)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    for (size_t i = 0; i < x->n; i++)
        if (x->m[i].key == key) {
            x->m[i].value = v; /* given again: the last value, in the first place */
            return STORM_OK;
        }
    if (x->n == EXTRA_MAX) /* more keys than this file has: a programming error */
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "too many extra fields in a Tetragon process");
    x->m[x->n++] = (storm_member){key, key_len, v};
    return STORM_OK;
}
#define ACC_ADD(x, lit, v, err) acc_add((x), (lit), sizeof(lit) - 1, (v), (err))

/* "containerd://cf5c..." -> "cf5c...": the bare id is what other sensors
 * (Kubescape, Falco) report, so contexts correlate across sensors. */
static const char *container_id_bare(const char *id)
{
    const char *sep = id ? strstr(id, "://") : NULL;
    return sep ? sep + 3 : id;
}

/* pod.container.image {id, name} */
static storm_rc decode_image(const storm_value *v, const tg_path *path, storm_k8s_ctx *k8s, storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    for (size_t i = 0; o && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        if (TG_KEY_IS(m, "id"))
            TRY(tg_str(err, m->value, &fp, &k8s->image_id));
        else if (TG_KEY_IS(m, "name"))
            TRY(tg_str(err, m->value, &fp, &k8s->image));
    }
    return STORM_OK;
}

/* pod.container {id, name, image, start_time, pid, maybe_exec_probe, security_context} */
static storm_rc decode_container(const storm_value *v, const tg_path *path, storm_k8s_ctx *k8s, extra_acc *extra,
                                 storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    for (size_t i = 0; o && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        if (TG_KEY_IS(m, "id")) {
            const char *id = NULL;
            TRY(tg_str(err, m->value, &fp, &id));
            k8s->container_id = container_id_bare(id);
        } else if (TG_KEY_IS(m, "name")) {
            TRY(tg_str(err, m->value, &fp, &k8s->container));
        } else if (TG_KEY_IS(m, "image")) {
            TRY(decode_image(m->value, &fp, k8s, err));
        } else if (TG_KEY_IS(m, "pid")) {
            int64_t pid;
            TRY(tg_u32(err, m->value, &fp, &pid, NULL));
            TRY(ACC_ADD(extra, "container_pid", m->value, err));
        } else if (TG_KEY_IS(m, "start_time")) {
            storm_time_ns t;
            TRY(tg_time(err, m->value, &fp, &t, NULL));
            TRY(ACC_ADD(extra, "container_start_time", m->value, err));
        } else if (TG_KEY_IS(m, "maybe_exec_probe")) {
            bool b;
            TRY(tg_bool(err, m->value, &fp, &b, NULL));
            TRY(ACC_ADD(extra, "maybe_exec_probe", m->value, err));
        } else if (TG_KEY_IS(m, "security_context")) {
            const storm_value *sc;
            TRY(tg_object(err, m->value, &fp, &sc));
            storm_value *priv = storm_v_get(sc, "privileged");
            tg_path pp = TG_KEY(&fp, "privileged");
            bool b;
            TRY(tg_bool(err, priv, &pp, &b, NULL));
            TRY(ACC_ADD(extra, "privileged", priv, err));
        }
    }
    return STORM_OK;
}

/* process.pod {namespace, name, uid, container, pod_labels, workload, workload_kind} */
static storm_rc decode_pod(const storm_value *v, const tg_path *path, storm_k8s_ctx *k8s, extra_acc *extra,
                           storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    for (size_t i = 0; o && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        if (TG_KEY_IS(m, "namespace")) {
            TRY(tg_str(err, m->value, &fp, &k8s->namespace_));
        } else if (TG_KEY_IS(m, "name")) {
            TRY(tg_str(err, m->value, &fp, &k8s->pod));
        } else if (TG_KEY_IS(m, "container")) {
            TRY(decode_container(m->value, &fp, k8s, extra, err));
        } else if (TG_KEY_IS(m, "pod_labels")) {
            TRY(tg_object(err, m->value, &fp, &k8s->labels));
        } else if (TG_KEY_IS(m, "workload")) {
            TRY(tg_str(err, m->value, &fp, &k8s->workload));
        } else if (TG_KEY_IS(m, "workload_kind")) {
            TRY(tg_str(err, m->value, &fp, &k8s->workload_kind));
        } else if (TG_KEY_IS(m, "uid")) {
            const char *uid = NULL;
            TRY(tg_str(err, m->value, &fp, &uid));
            TRY(ACC_ADD(extra, "pod_uid", m->value, err));
        }
    }
    return STORM_OK;
}

static storm_rc command_line(storm_arena *a, storm_process_info *p, storm_err *err)
{
    if (!p->binary)
        return STORM_OK;
    if (!p->arguments || !p->arguments[0]) {
        p->command_line = p->binary;
        return STORM_OK;
    }
    size_t nb = strlen(p->binary), na = strlen(p->arguments);
    char *s = storm_arena_alloc(a, nb + na + 2);
    if (!s)
        return oom(err);
    memcpy(s, p->binary, nb);
    s[nb] = ' ';
    memcpy(s + nb + 1, p->arguments, na + 1);
    p->command_line = s;
    return STORM_OK;
}

/* Tetragon's "unset" audit uid: (uid_t)-1. */
#define AUID_UNSET 4294967295LL

/* A Process block (process, parent, ancestors[i]). k8s receives the pod
 * context (pass a scratch context for blocks whose pod is not the event's). */
static storm_rc decode_process(storm_arena *a, const storm_value *v, const tg_path *path, storm_process_info *p,
                               storm_k8s_ctx *k8s, storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    if (!o)
        return STORM_OK;
    memset(p, 0, sizeof *p);
    p->present = true;
    extra_acc extra;
    extra.n = 0;
    const char *docker = NULL;
    for (size_t i = 0; i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        storm_value *mv = m->value;
        switch (m->key[0]) {
        case 'a':
            if (TG_KEY_IS(m, "arguments"))
                TRY(tg_str(err, mv, &fp, &p->arguments));
            else if (TG_KEY_IS(m, "auid"))
                TRY(tg_u32(err, mv, &fp, &p->auid, &p->has_auid));
            break;
        case 'b':
            if (TG_KEY_IS(m, "binary")) {
                TRY(tg_str(err, mv, &fp, &p->binary));
            } else if (TG_KEY_IS(m, "binary_properties")) {
                const storm_value *bp;
                TRY(tg_object(err, mv, &fp, &bp));
                TRY(ACC_ADD(&extra, "binary_properties", mv, err));
            }
            break;
        case 'c':
            if (TG_KEY_IS(m, "cwd")) {
                TRY(tg_str(err, mv, &fp, &p->cwd));
            } else if (TG_KEY_IS(m, "cap")) {
                const storm_value *cap;
                TRY(tg_object(err, mv, &fp, &cap));
                TRY(ACC_ADD(&extra, "cap", mv, err));
            }
            break;
        case 'd':
            if (TG_KEY_IS(m, "docker")) {
                TRY(tg_str(err, mv, &fp, &docker));
                TRY(ACC_ADD(&extra, "docker", mv, err));
            }
            break;
        case 'e':
            if (TG_KEY_IS(m, "exec_id")) {
                TRY(tg_str(err, mv, &fp, &p->exec_id));
            } else if (TG_KEY_IS(m, "environment_variables")) {
                if (mv->type == STORM_V_STRING) {
                    /* a single "K=V" (seen in doc examples): an array of one, as consumers expect */
                    storm_value *arr = storm_v_array(a);
                    if (!arr || storm_v_push(a, arr, mv) != 0)
                        return oom(err);
                    arr->pos = mv->pos;
                    p->environment = arr;
                } else if (mv->type == STORM_V_ARRAY || mv->type == STORM_V_OBJECT) {
                    p->environment = mv;
                } else if (mv->type != STORM_V_NULL) {
                    return tg_fail(err, mv, &fp, "expected an array, an object or a string, got %s", tg_type_name(mv));
                }
            }
            break;
        case 'f':
            if (TG_KEY_IS(m, "flags")) {
                const char *flags = NULL;
                TRY(tg_str(err, mv, &fp, &flags));
                TRY(ACC_ADD(&extra, "flags", mv, err));
            }
            break;
        case 'i':
            if (TG_KEY_IS(m, "in_init_tree")) {
                bool b;
                TRY(tg_bool(err, mv, &fp, &b, NULL));
                TRY(ACC_ADD(&extra, "in_init_tree", mv, err));
            }
            break;
        case 'n':
            if (TG_KEY_IS(m, "ns")) {
                const storm_value *ns;
                TRY(tg_object(err, mv, &fp, &ns));
                TRY(ACC_ADD(&extra, "ns", mv, err));
            }
            break;
        case 'p':
            if (TG_KEY_IS(m, "pid")) {
                TRY(tg_u32(err, mv, &fp, &p->pid, &p->has_pid));
            } else if (TG_KEY_IS(m, "parent_exec_id")) {
                TRY(tg_str(err, mv, &fp, &p->parent_exec_id));
            } else if (TG_KEY_IS(m, "pod")) {
                TRY(decode_pod(mv, &fp, k8s, &extra, err));
            } else if (TG_KEY_IS(m, "process_credentials")) {
                const storm_value *pc;
                TRY(tg_object(err, mv, &fp, &pc));
                tg_path gp = TG_KEY(&fp, "gid");
                TRY(tg_u32(err, storm_v_get(pc, "gid"), &gp, &p->gid, &p->has_gid));
                TRY(ACC_ADD(&extra, "process_credentials", mv, err));
            }
            break;
        case 'r':
            if (TG_KEY_IS(m, "refcnt")) {
                int64_t refcnt;
                TRY(tg_u32(err, mv, &fp, &refcnt, NULL));
            }
            break;
        case 's':
            if (TG_KEY_IS(m, "start_time"))
                TRY(tg_time(err, mv, &fp, &p->start_time, &p->has_start_time));
            break;
        case 't':
            if (TG_KEY_IS(m, "tid"))
                TRY(tg_u32(err, mv, &fp, &p->tid, &p->has_tid));
            break;
        case 'u':
            if (TG_KEY_IS(m, "uid")) {
                TRY(tg_u32(err, mv, &fp, &p->uid, &p->has_uid));
            } else if (TG_KEY_IS(m, "user")) {
                const storm_value *u;
                TRY(tg_object(err, mv, &fp, &u));
                TRY(ACC_ADD(&extra, "user", mv, err));
            }
            break;
        default: break;
        }
    }
    if (p->has_auid && p->auid == AUID_UNSET)
        p->has_auid = false; /* no login session: not a user id */
    if (!k8s->container_id && docker && docker[0])
        k8s->container_id = docker; /* a container outside Kubernetes: only the short id is known */
    if (extra.n) {
        storm_value *xo = tg_obj_new(a, extra.n);
        if (!xo)
            return oom(err);
        memcpy(xo->u.o.members, extra.m, extra.n * sizeof *extra.m);
        xo->u.o.len = extra.n;
        p->extra = xo;
    }
    return command_line(a, p, err);
}

/* Legacy close stats: 64-bit counters arrive as strings ("bytes_sent": "78"). */
static storm_rc decode_stats(storm_arena *a, const storm_value *v, const tg_path *path, storm_value **out,
                             storm_err *err)
{
    const storm_value *o;
    TRY(tg_object(err, v, path, &o));
    if (!o)
        return STORM_OK;
    storm_value *s = tg_obj_new(a, o->u.o.len);
    if (!s)
        return oom(err);
    for (size_t i = 0; i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(path, m->key);
        storm_value *mv = m->value;
        if (mv->type == STORM_V_STRING || mv->type == STORM_V_INT) {
            int64_t x;
            TRY(tg_i64(err, mv, &fp, &x, NULL));
            if (mv->type == STORM_V_STRING && !(mv = storm_v_int(a, x)))
                return oom(err);
        } else if (mv->type != STORM_V_NULL) {
            return tg_fail(err, mv, &fp, "expected a counter (an integer), got %s", tg_type_name(mv));
        }
        if (tg_obj_copy_member(a, s, m->key, m->key_len, mv) != 0)
            return oom(err);
    }
    *out = s;
    return STORM_OK;
}

/* Fields of the event body other than the process blocks, by name. The body
 * is scanned once; the meaning of some keys depends on the type (path, name). */
typedef struct body_fields {
    const storm_member *process, *parent, *ancestors, *function_name, *policy_name, *action, *return_action, *ret,
        *args, *message, *tags, *subsys, *event, *symbol, *path, *provider, *name, *time, *status, *signal, *offset,
        *source_ip, *source_port, *destination_ip, *destination_port, *protocol, *ip, *port, *stats;
} body_fields;

static void body_scan(const storm_value *body, body_fields *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < body->u.o.len; i++) {
        const storm_member *m = &body->u.o.members[i];
#define F(name, field)                                                                                                 \
    if (TG_KEY_IS(m, name)) {                                                                                          \
        f->field = m;                                                                                                  \
        continue;                                                                                                      \
    }
        F("process", process)
        F("parent", parent)
        F("function_name", function_name)
        F("args", args)
        F("action", action)
        F("policy_name", policy_name)
        F("return_action", return_action)
        F("return", ret)
        F("ancestors", ancestors)
        F("message", message)
        F("tags", tags)
        F("subsys", subsys)
        F("event", event)
        F("symbol", symbol)
        F("path", path)
        F("provider", provider)
        F("name", name)
        F("time", time)
        F("status", status)
        F("signal", signal)
        F("offset", offset)
        F("source_ip", source_ip)
        F("source_port", source_port)
        F("destination_ip", destination_ip)
        F("destination_port", destination_port)
        F("protocol", protocol)
        F("ip", ip)
        F("port", port)
        F("stats", stats)
#undef F
    }
}

static storm_rc field_str(const storm_member *m, const tg_path *body, const char **out, storm_err *err)
{
    if (!m)
        return STORM_OK;
    tg_path fp = TG_KEY(body, m->key);
    return tg_str(err, m->value, &fp, out);
}

static storm_rc field_port(const storm_member *m, const tg_path *body, int64_t *out, bool *has, storm_err *err)
{
    if (!m)
        return STORM_OK;
    tg_path fp = TG_KEY(body, m->key);
    return tg_port(err, m->value, &fp, out, has);
}

static storm_rc field_u32(const storm_member *m, const tg_path *body, int64_t *out, bool *has, storm_err *err)
{
    if (!m)
        return STORM_OK;
    tg_path fp = TG_KEY(body, m->key);
    return tg_u32(err, m->value, &fp, out, has);
}

static const char *protocol_lower(const char *p)
{
    if (!p)
        return NULL;
    static const char *const names[][2] = {
        {"TCP", "tcp"}, {"UDP", "udp"}, {"ICMP", "icmp"}, {"ICMPv6", "icmpv6"}, {"SCTP", "sctp"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(p, names[i][0]) == 0 || strcmp(p, names[i][1]) == 0)
            return names[i][1];
    return NULL;
}

static const char *ip_family(const char *ip)
{
    return !ip ? NULL : strchr(ip, ':') ? "ipv6" : "ipv4";
}

/* Legacy process_connect / accept / listen / close: flat addresses. */
static storm_rc decode_legacy_net(storm_arena *a, tg_type t, const body_fields *f, const tg_path *body, storm_event *ev,
                                  storm_err *err)
{
    storm_net_info *n = &ev->net;
    n->present = true;
    const char *proto = NULL;
    TRY(field_str(f->protocol, body, &proto, err));
    n->protocol = protocol_lower(proto);
    if (t == TG_LISTEN) {
        TRY(field_str(f->ip, body, &n->src_ip, err));
        TRY(field_port(f->port, body, &n->src_port, &n->has_src_port, err));
        n->state = n->protocol && strcmp(n->protocol, "tcp") == 0 ? "TCP_LISTEN" : NULL;
    } else {
        TRY(field_str(f->source_ip, body, &n->src_ip, err));
        TRY(field_port(f->source_port, body, &n->src_port, &n->has_src_port, err));
        TRY(field_str(f->destination_ip, body, &n->dst_ip, err));
        TRY(field_port(f->destination_port, body, &n->dst_port, &n->has_dst_port, err));
        n->direction = t == TG_ACCEPT ? "ingress" : "egress";
        if (t == TG_CLOSE && n->protocol && strcmp(n->protocol, "tcp") == 0)
            n->state = "TCP_CLOSE";
    }
    n->family = ip_family(n->src_ip ? n->src_ip : n->dst_ip);
    if (f->stats) {
        tg_path sp = TG_KEY(body, "stats");
        storm_value *stats = NULL;
        TRY(decode_stats(a, f->stats->value, &sp, &stats, err));
        if (stats && (!(n->extra = tg_obj_new(a, 1)) || TG_OBJ_ADD_LIT(a, (storm_value *)n->extra, "stats", stats)))
            return oom(err);
    }
    return STORM_OK;
}

static const char *hook_kind(tg_type t)
{
    switch (t) {
    case TG_KPROBE: return "kprobe";
    case TG_TRACEPOINT: return "tracepoint";
    case TG_LSM: return "lsm";
    case TG_UPROBE: return "uprobe";
    case TG_USDT: return "usdt";
    default: return NULL;
    }
}

/* "a" ":" "b" in the arena (either may be NULL). */
static const char *join_colon(storm_arena *a, const char *x, const char *y)
{
    if (!x || !y)
        return x ? x : y;
    return storm_arena_printf(a, "%s:%s", x, y);
}

static storm_rc decode_hook(storm_arena *a, const storm_value *root, tg_type t, const body_fields *f,
                            const tg_path *body, storm_event *ev, storm_err *err)
{
    storm_hook_info *h = &ev->hook;
    h->present = true;
    h->kind = hook_kind(t);
    TRY(field_str(f->policy_name, body, &h->policy, err));
    TRY(field_str(f->action, body, &h->action, err));
    TRY(field_str(f->return_action, body, &h->return_action, err));
    TRY(field_str(f->message, body, &h->message, err));
    switch (t) {
    case TG_TRACEPOINT: {
        const char *subsys = NULL, *event = NULL;
        TRY(field_str(f->subsys, body, &subsys, err));
        TRY(field_str(f->event, body, &event, err));
        h->name = join_colon(a, subsys, event);
        break;
    }
    case TG_UPROBE:
        TRY(field_str(f->symbol, body, &h->name, err));
        if (f->offset) {
            tg_path op = TG_KEY(body, "offset");
            int64_t off;
            TRY(tg_i64(err, f->offset->value, &op, &off, NULL));
        }
        if (f->path) {
            const char *path = NULL;
            TRY(field_str(f->path, body, &path, err));
        }
        break;
    case TG_USDT: {
        const char *provider = NULL, *name = NULL, *path = NULL;
        TRY(field_str(f->provider, body, &provider, err));
        TRY(field_str(f->name, body, &name, err));
        TRY(field_str(f->path, body, &path, err));
        h->name = join_colon(a, provider, name);
        break;
    }
    default: /* kprobe, lsm */ TRY(field_str(f->function_name, body, &h->name, err)); break;
    }
    if (f->tags) {
        tg_path tp = TG_KEY(body, "tags");
        const storm_value *tags;
        TRY(tg_array(err, f->tags->value, &tp, &tags));
        for (size_t i = 0; tags && i < tags->u.a.len; i++) {
            tg_path ip = TG_INDEX(&tp, i);
            const char *s;
            TRY(tg_str(err, tags->u.a.items[i], &ip, &s));
        }
        h->tags = tags;
    }
    if (f->ret) {
        tg_path rp = TG_KEY(body, "return");
        if (f->ret->value->type != STORM_V_NULL) {
            storm_value *ret;
            TRY(tetragon_arg_normalize(a, f->ret->value, &rp, &ret, err));
            h->ret = ret;
        }
    }
    if (f->args) {
        tg_path ap = TG_KEY(body, "args");
        const storm_value *args;
        TRY(tg_array(err, f->args->value, &ap, &args));
        TRY(tetragon_args_decode(a, args, &ap, h->name, ev, err));
    } else {
        /* no args[]: a shipper may have lifted them to kprobe0..kprobe4 */
        storm_value *items[TETRAGON_LIFTED_MAX];
        const char *names[TETRAGON_LIFTED_MAX];
        size_t n = 0;
        TRY(tetragon_lifted_args(root, items, names, &n, err));
        if (n)
            TRY(tetragon_args_decode_lifted(a, items, names, n, h->name, ev, err));
    }
    return STORM_OK;
}

static storm_rc decode_ancestors(storm_arena *a, const storm_member *m, const tg_path *body, storm_event *ev,
                                 storm_err *err)
{
    tg_path ap = TG_KEY(body, "ancestors");
    const storm_value *arr;
    TRY(tg_array(err, m->value, &ap, &arr));
    if (!arr || arr->u.a.len == 0)
        return STORM_OK;
    storm_process_info *anc = storm_arena_calloc(a, arr->u.a.len, sizeof *anc);
    if (!anc)
        return oom(err);
    storm_k8s_ctx scratch;
    for (size_t i = 0; i < arr->u.a.len; i++) {
        tg_path ip = TG_INDEX(&ap, i);
        memset(&scratch, 0, sizeof scratch);
        TRY(decode_process(a, arr->u.a.items[i], &ip, &anc[i], &scratch, err));
    }
    ev->ancestors = anc;
    ev->n_ancestors = arr->u.a.len;
    return STORM_OK;
}

static storm_rc decode_event(storm_arena *a, const storm_value *root, const storm_member *tm, tg_type t,
                             storm_event *ev, storm_err *err)
{
    tg_path body_path = TG_KEY(NULL, tm->key);
    const storm_value *body;
    TRY(tg_object(err, tm->value, &body_path, &body));
    if (!body)
        return tg_fail(err, tm->value, &body_path, "expected an object, got null");

    ev->sensor = STORM_SENSOR_TETRAGON;
    ev->type = tm->key;
    ev->raw = root;

    /* envelope: node_name, time, cluster_name */
    for (size_t i = 0; i < root->u.o.len; i++) {
        const storm_member *m = &root->u.o.members[i];
        tg_path fp = TG_KEY(NULL, m->key);
        if (TG_KEY_IS(m, "node_name"))
            TRY(tg_str(err, m->value, &fp, &ev->k8s.node));
        else if (TG_KEY_IS(m, "time"))
            TRY(tg_time(err, m->value, &fp, &ev->time, &ev->has_time));
        else if (TG_KEY_IS(m, "cluster_name"))
            TRY(tg_str(err, m->value, &fp, &ev->k8s.cluster));
    }

    body_fields f;
    body_scan(body, &f);
    if (f.process) {
        tg_path pp = TG_KEY(&body_path, "process");
        TRY(decode_process(a, f.process->value, &pp, &ev->process, &ev->k8s, err));
    }
    if (f.parent) {
        tg_path pp = TG_KEY(&body_path, "parent");
        storm_k8s_ctx scratch = {0};
        TRY(decode_process(a, f.parent->value, &pp, &ev->parent, &scratch, err));
    }
    if (f.ancestors)
        TRY(decode_ancestors(a, f.ancestors, &body_path, ev, err));

    /* the event's own time (process_exit carries one) when the envelope has none */
    if (f.time) {
        tg_path tp = TG_KEY(&body_path, "time");
        storm_time_ns tt;
        bool has = false;
        TRY(tg_time(err, f.time->value, &tp, &tt, &has));
        if (has && !ev->has_time) {
            ev->time = tt;
            ev->has_time = true;
        }
    }

    switch (t) {
    case TG_EXEC: ev->kind = STORM_EV_PROCESS_EXEC; break;
    case TG_EXIT: {
        ev->kind = STORM_EV_PROCESS_EXIT;
        /* protojson omits a zero status: absent means exited with 0 */
        int64_t status = 0;
        TRY(field_u32(f.status, &body_path, &status, NULL, err));
        const char *sig = NULL;
        TRY(field_str(f.signal, &body_path, &sig, err));
        storm_value *extra = (storm_value *)ev->process.extra;
        storm_value *sv = storm_v_int(a, status);
        if (!sv)
            return oom(err);
        TRY(EXTRA_ADD(a, &extra, "exit_status", sv, err));
        if (sig && sig[0])
            TRY(EXTRA_ADD(a, &extra, "exit_signal", f.signal->value, err));
        ev->process.extra = extra;
        break;
    }
    case TG_KPROBE:
    case TG_TRACEPOINT:
    case TG_LSM:
    case TG_UPROBE:
    case TG_USDT:
        ev->kind = STORM_EV_KERNEL_HOOK;
        TRY(decode_hook(a, root, t, &f, &body_path, ev, err));
        break;
    case TG_LOADER: {
        ev->kind = STORM_EV_FILE;
        const char *path = NULL;
        TRY(field_str(f.path, &body_path, &path, err));
        if (path && path[0]) {
            ev->n_files = 1;
            ev->files[0].path = path;
            ev->files[0].operation = "load";
        }
        break;
    }
    case TG_CONNECT:
    case TG_ACCEPT:
    case TG_LISTEN:
    case TG_CLOSE:
        ev->kind = STORM_EV_NETWORK;
        TRY(decode_legacy_net(a, t, &f, &body_path, ev, err));
        break;
    }

    if (!ev->has_time && ev->process.has_start_time) {
        ev->time = ev->process.start_time; /* doc snippets without time: the process start is the best we have */
        ev->has_time = true;
    }
    return STORM_OK;
}

/* The honeycluster seeds its Vector sinks and ClickHouse schemas with one
 * line whose event body is {"init": true} (honeystack/pixie/filesource/
 * tetragon.json, analysis/file_sourcer/tetragon/tetragon_schema_init.json). */
static bool is_init_placeholder(const storm_value *body)
{
    return body && body->type == STORM_V_OBJECT && body->u.o.len == 1 && TG_KEY_IS(&body->u.o.members[0], "init");
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    if (!root || root->type != STORM_V_OBJECT)
        return tg_fail(err, root, NULL, "a Tetragon event is a JSON object, got %s", tg_type_name(root));
    const storm_member *tm = NULL;
    for (size_t i = 0; i < root->u.o.len; i++) {
        const storm_member *m = &root->u.o.members[i];
        if (!is_event_key(m))
            continue;
        if (tm && !(tm->key_len == m->key_len && memcmp(tm->key, m->key, m->key_len) == 0))
            return tg_fail(err, m->value, NULL, "a Tetragon record holds one event, this one has \"%s\" and \"%s\"",
                           tm->key, m->key);
        tm = m;
    }
    if (!tm)
        return tg_fail(err, root, NULL, "not a Tetragon event: no \"process_*\" key");

    const tg_type *type = NULL;
    for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(event_types[i].name, tm->key) == 0) {
            type = &event_types[i].type;
            break;
        }
    if (!type) {
        if (skip_type)
            *skip_type = tm->key;
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, tm->value ? tm->value->pos : 0,
                             "Tetragon %s records are not events to convert (skipped)", tm->key);
    }

    if (is_init_placeholder(tm->value)) {
        if (skip_type)
            *skip_type = "init";
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, ingest_pos_of(tm->value),
                             "placeholder record {\"init\": true} (a pipeline's schema seed), not an event (skipped)");
    }

    size_t before = out->n;
    storm_event *ev = storm_event_list_add(a, out);
    if (!ev)
        return oom(err);
    storm_rc rc = decode_event(a, root, tm, *type, ev, err);
    if (rc != STORM_OK)
        out->n = before; /* no half-decoded event */
    return rc;
}

const storm_decoder storm_decoder_tetragon = {"tetragon", STORM_SENSOR_TETRAGON, detect, decode};
