/* SPDX-License-Identifier: Apache-2.0 */
/* The observation's values read off the typed event (storm/stix_prefilter.h).
 * It follows observe.c loosely on purpose: wherever observe.c decides whether
 * or where a value goes (which process is the subject, whether a relative is
 * known, a duplicate ancestor, an address that does not parse), this gives
 * the value anyway. Only the values themselves must be exactly the ones
 * observe.c writes (a command line joined, a file name cut from its path, a
 * label as key=value). */
#include <storm/decimal.h>
#include <storm/stix_prefilter.h>

#include <string.h>

#include "stix_int.h"

/* What a path reads. */
typedef enum src_kind {
    SRC_NONE = 0,
    /* process facts, of every process of the event (actor, parent, ancestors) */
    SRC_PROC_PID,
    SRC_PROC_UID,
    SRC_PROC_GID,
    SRC_PROC_AUID,
    SRC_PROC_TID,
    SRC_PROC_CWD,
    SRC_PROC_COMMAND_LINE,
    SRC_PROC_NAME,
    SRC_PROC_BINARY,
    SRC_PROC_ARGUMENTS,
    SRC_PROC_EXEC_ID,
    SRC_PROC_PARENT_EXEC_ID,
    SRC_PROC_EXTRA,
    SRC_PROC_USER_ID,
    /* files: the executables of every process and the files of the event */
    SRC_FILE_NAME,
    SRC_FILE_PATH,
    SRC_FILE_DIR,
    /* the subject's context (any subject type) */
    SRC_STR,        /* one string field of the event: see str_field */
    SRC_DEEP,       /* every scalar inside one value of the event: see deep_field */
    SRC_INT,        /* audit code */
    SRC_K8S_LABELS, /* "key=value" */
    SRC_K8S_CLUSTER,
    /* addresses and flows */
    SRC_IP,
    SRC_SRC_IP,
    SRC_DST_IP,
    SRC_DOMAIN,
    SRC_SRC_PORT,
    SRC_DST_PORT,
    SRC_USER_ID, /* user-account:user_id: process uids and the audit user */
    SRC_LOGIN,   /* user-account:account_login: the account an entry point's log names */
    SRC_APP_INT, /* x_app_http_status (field 0), x_app_http_bytes (field 1) */
} src_kind;

/* Which string or deep field (SRC_STR, SRC_DEEP). */
typedef enum ev_field {
    F_K8S_NODE,
    F_K8S_NAMESPACE,
    F_K8S_POD,
    F_K8S_CONTAINER,
    F_K8S_CONTAINER_ID,
    F_K8S_IMAGE,
    F_K8S_IMAGE_ID,
    F_K8S_WORKLOAD,
    F_K8S_WORKLOAD_KIND,
    F_HOOK_KIND,
    F_HOOK_NAME,
    F_HOOK_POLICY,
    F_HOOK_ACTION,
    F_HOOK_RETURN_ACTION,
    F_HOOK_MESSAGE,
    F_HOOK_ARGS,
    F_HOOK_RETURN,
    F_HOOK_TAGS,
    F_ALERT_RULE,
    F_ALERT_RULE_ID,
    F_ALERT_SEVERITY,
    F_ALERT_MESSAGE,
    F_ALERT_SOURCE,
    F_ALERT_TAGS,
    F_ALERT_FIELDS,
    F_NET_DIRECTION,
    F_NET_VERDICT,
    F_NET_STATE,
    F_NET_FAMILY,
    F_NET_DNS_NAME,
    F_NET_EXTRA,
    F_AUDIT_VERB,
    F_AUDIT_RESOURCE,
    F_AUDIT_SUBRESOURCE,
    F_AUDIT_API_GROUP,
    F_AUDIT_API_VERSION,
    F_AUDIT_NAMESPACE,
    F_AUDIT_NAME,
    F_AUDIT_USER,
    F_AUDIT_USER_GROUPS,
    F_AUDIT_DECISION,
    F_AUDIT_REASON,
    F_AUDIT_URI,
    F_AUDIT_USER_AGENT,
    F_AUDIT_STAGE,
    F_AUDIT_LEVEL,
    F_AUDIT_ID,
    F_AUDIT_REQUEST_OBJECT,
    F_SOFTWARE_NAME,
    F_APP_PROGRAM,
    F_APP_MESSAGE,
    F_APP_AUTH_USER,
    F_APP_AUTH_RESULT,
    F_APP_AUTH_METHOD,
} ev_field;

/* A handle is kind * 256 + field, plus ON_PROCESS and the number of
 * parent_ref steps before the property (DEPTH_SHIFT) for a path on process
 * objects. */
#define HANDLE(kind, field) ((int)(kind)*256 + (int)(field))
#define ON_PROCESS (1 << 16)
#define DEPTH_SHIFT 17
#define DEPTH_MAX 15
#define HANDLE_KIND(h) ((src_kind)(((h) >> 8) & 0xff))
#define HANDLE_FIELD(h) ((h)&0xff)

typedef struct prop {
    const char *name;
    src_kind kind;
    int field;
} prop;

/* Top-level properties of the subject (process or network-traffic), as
 * observe.c's put_k8s, put_hook, put_alert, put_net and put_audit name them. */
static const prop SUBJECT_PROPS[] = {
    {"x_k8s_cluster", SRC_K8S_CLUSTER, 0},
    {"x_k8s_node", SRC_STR, F_K8S_NODE},
    {"x_k8s_namespace", SRC_STR, F_K8S_NAMESPACE},
    {"x_k8s_pod", SRC_STR, F_K8S_POD},
    {"x_k8s_container", SRC_STR, F_K8S_CONTAINER},
    {"x_k8s_container_id", SRC_STR, F_K8S_CONTAINER_ID},
    {"x_k8s_image", SRC_STR, F_K8S_IMAGE},
    {"x_k8s_image_id", SRC_STR, F_K8S_IMAGE_ID},
    {"x_k8s_workload", SRC_STR, F_K8S_WORKLOAD},
    {"x_k8s_workload_kind", SRC_STR, F_K8S_WORKLOAD_KIND},
    {"x_k8s_labels", SRC_K8S_LABELS, 0},
    {"x_hook_kind", SRC_STR, F_HOOK_KIND},
    {"x_hook_name", SRC_STR, F_HOOK_NAME},
    {"x_hook_policy", SRC_STR, F_HOOK_POLICY},
    {"x_hook_action", SRC_STR, F_HOOK_ACTION},
    {"x_hook_return_action", SRC_STR, F_HOOK_RETURN_ACTION},
    {"x_hook_message", SRC_STR, F_HOOK_MESSAGE},
    {"x_hook_args", SRC_DEEP, F_HOOK_ARGS},
    {"x_hook_return", SRC_DEEP, F_HOOK_RETURN},
    {"x_hook_tags", SRC_DEEP, F_HOOK_TAGS},
    {"x_alert_rule", SRC_STR, F_ALERT_RULE},
    {"x_alert_rule_id", SRC_STR, F_ALERT_RULE_ID},
    {"x_alert_severity", SRC_STR, F_ALERT_SEVERITY},
    {"x_alert_message", SRC_STR, F_ALERT_MESSAGE},
    {"x_alert_source", SRC_STR, F_ALERT_SOURCE},
    {"x_alert_tags", SRC_DEEP, F_ALERT_TAGS},
    {"x_alert_fields", SRC_DEEP, F_ALERT_FIELDS},
    {"x_net_direction", SRC_STR, F_NET_DIRECTION},
    {"x_net_verdict", SRC_STR, F_NET_VERDICT},
    {"x_net_state", SRC_STR, F_NET_STATE},
    {"x_net_family", SRC_STR, F_NET_FAMILY},
    {"x_net_dns_name", SRC_STR, F_NET_DNS_NAME},
    {"x_net_extra", SRC_DEEP, F_NET_EXTRA},
    {"x_audit_verb", SRC_STR, F_AUDIT_VERB},
    {"x_audit_resource", SRC_STR, F_AUDIT_RESOURCE},
    {"x_audit_subresource", SRC_STR, F_AUDIT_SUBRESOURCE},
    {"x_audit_api_group", SRC_STR, F_AUDIT_API_GROUP},
    {"x_audit_api_version", SRC_STR, F_AUDIT_API_VERSION},
    {"x_audit_namespace", SRC_STR, F_AUDIT_NAMESPACE},
    {"x_audit_name", SRC_STR, F_AUDIT_NAME},
    {"x_audit_user", SRC_STR, F_AUDIT_USER},
    {"x_audit_user_groups", SRC_DEEP, F_AUDIT_USER_GROUPS},
    {"x_audit_code", SRC_INT, 0},
    {"x_audit_decision", SRC_STR, F_AUDIT_DECISION},
    {"x_audit_reason", SRC_STR, F_AUDIT_REASON},
    {"x_audit_uri", SRC_STR, F_AUDIT_URI},
    {"x_audit_user_agent", SRC_STR, F_AUDIT_USER_AGENT},
    {"x_audit_stage", SRC_STR, F_AUDIT_STAGE},
    {"x_audit_level", SRC_STR, F_AUDIT_LEVEL},
    {"x_audit_id", SRC_STR, F_AUDIT_ID},
    {"x_audit_request_object", SRC_DEEP, F_AUDIT_REQUEST_OBJECT},
    {"x_app_program", SRC_STR, F_APP_PROGRAM},
    {"x_app_message", SRC_STR, F_APP_MESSAGE},
    {"x_app_auth_user", SRC_STR, F_APP_AUTH_USER},
    {"x_app_auth_result", SRC_STR, F_APP_AUTH_RESULT},
    {"x_app_auth_method", SRC_STR, F_APP_AUTH_METHOD},
    {"x_app_http_status", SRC_APP_INT, 0},
    {"x_app_http_bytes", SRC_APP_INT, 1},
};

/* Process facts (every process of the event), as observe.c's process_sco. */
static const prop PROCESS_PROPS[] = {
    {"pid", SRC_PROC_PID, 0},
    {"cwd", SRC_PROC_CWD, 0},
    {"command_line", SRC_PROC_COMMAND_LINE, 0},
    {"x_proc_uid", SRC_PROC_UID, 0},
    {"x_proc_gid", SRC_PROC_GID, 0},
    {"x_proc_auid", SRC_PROC_AUID, 0},
    {"x_proc_tid", SRC_PROC_TID, 0},
    {"x_proc_name", SRC_PROC_NAME, 0},
    {"x_proc_binary", SRC_PROC_BINARY, 0},
    {"x_proc_arguments", SRC_PROC_ARGUMENTS, 0},
    {"x_proc_exec_id", SRC_PROC_EXEC_ID, 0},
    {"x_proc_parent_exec_id", SRC_PROC_PARENT_EXEC_ID, 0},
    {"x_proc_extra", SRC_DEEP, -1}, /* field -1: SRC_PROC_EXTRA */
};

static const prop FILE_PROPS[] = {
    {"name", SRC_FILE_NAME, 0},
    {"x_file_path", SRC_FILE_PATH, 0},
};

static bool step_is(const storm_stix_step *s, const char *key)
{
    size_t n = strlen(key);
    return s->key && s->key_len == n && memcmp(s->key, key, n) == 0;
}

static bool type_is(const char *type, size_t len, const char *want)
{
    size_t n = strlen(want);
    return len == n && memcmp(type, want, n) == 0;
}

static const prop *find_prop(const prop *t, size_t n, const storm_stix_step *s)
{
    if (!s->key)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (step_is(s, t[i].name))
            return &t[i];
    return NULL;
}

static bool key_ends_with(const storm_stix_step *s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s->key && s->key_len >= n && memcmp(s->key + s->key_len - n, suffix, n) == 0;
}

/* Whether the steps after a property fit what the property holds: none for a
 * scalar, one index or [*] for a list, anything inside a deep value but a
 * reference (the engine follows *_ref and *_refs to other objects, whose
 * values the deep value does not hold). */
static int prop_handle(const prop *p, const storm_stix_step *rest, size_t n_rest)
{
    switch (p->kind) {
    case SRC_DEEP:
        for (size_t i = 0; i < n_rest; i++)
            if (key_ends_with(&rest[i], "_ref") || key_ends_with(&rest[i], "_refs"))
                return -1;
        return p->field < 0 ? HANDLE(SRC_PROC_EXTRA, 0) : HANDLE(SRC_DEEP, p->field);
    case SRC_K8S_LABELS: return n_rest <= 1 ? HANDLE(SRC_K8S_LABELS, 0) : -1;
    default: return n_rest == 0 ? HANDLE(p->kind, p->field) : -1;
    }
}

/* file properties after steps[i] (a file SCO: image_ref or a file) */
static int file_path(const storm_stix_step *steps, size_t n)
{
    if (n == 0)
        return -1;
    if (step_is(&steps[0], "parent_directory_ref"))
        return n == 2 && step_is(&steps[1], "path") ? HANDLE(SRC_FILE_DIR, 0) : -1;
    const prop *p = find_prop(FILE_PROPS, sizeof FILE_PROPS / sizeof FILE_PROPS[0], &steps[0]);
    return p ? prop_handle(p, steps + 1, n - 1) : -1;
}

int storm_stix_prefilter_path(const char *type, size_t type_len, const storm_stix_step *steps, size_t n_steps)
{
    if (!type || !steps || n_steps == 0 || !steps[0].key)
        return -1;
    bool process = type_is(type, type_len, "process");
    bool flow = type_is(type, type_len, "network-traffic");
    if (process) {
        /* parent_ref.parent_ref...: some other process of the event */
        size_t i = 0;
        while (i < n_steps && step_is(&steps[i], "parent_ref"))
            i++;
        if (i == n_steps || i > DEPTH_MAX)
            return -1;
        int on = ON_PROCESS | (int)i << DEPTH_SHIFT, h = -1;
        if (step_is(&steps[i], "image_ref"))
            h = file_path(steps + i + 1, n_steps - i - 1);
        else if (step_is(&steps[i], "creator_user_ref"))
            h = n_steps - i == 2 && step_is(&steps[i + 1], "user_id") ? HANDLE(SRC_PROC_USER_ID, 0) : -1;
        else {
            const prop *p = find_prop(PROCESS_PROPS, sizeof PROCESS_PROPS / sizeof PROCESS_PROPS[0], &steps[i]);
            if (p)
                h = prop_handle(p, steps + i + 1, n_steps - i - 1);
            else if (i > 0)
                return -1; /* a relative carries no subject context */
            else if ((p = find_prop(SUBJECT_PROPS, sizeof SUBJECT_PROPS / sizeof SUBJECT_PROPS[0], &steps[0])))
                h = prop_handle(p, steps + 1, n_steps - 1);
        }
        return h < 0 ? -1 : h | on;
    }
    if (flow) {
        const prop *p = find_prop(SUBJECT_PROPS, sizeof SUBJECT_PROPS / sizeof SUBJECT_PROPS[0], &steps[0]);
        if (p)
            return prop_handle(p, steps + 1, n_steps - 1);
    }
    if (flow) {
        if (n_steps == 1 && step_is(&steps[0], "src_port"))
            return HANDLE(SRC_SRC_PORT, 0);
        if (n_steps == 1 && step_is(&steps[0], "dst_port"))
            return HANDLE(SRC_DST_PORT, 0);
        if (n_steps == 2 && step_is(&steps[1], "value") && step_is(&steps[0], "src_ref"))
            return HANDLE(SRC_SRC_IP, 0);
        if (n_steps == 2 && step_is(&steps[1], "value") && step_is(&steps[0], "dst_ref"))
            return HANDLE(SRC_DST_IP, 0);
        return -1;
    }
    if (type_is(type, type_len, "file"))
        return file_path(steps, n_steps);
    if (type_is(type, type_len, "directory"))
        return n_steps == 1 && step_is(&steps[0], "path") ? HANDLE(SRC_FILE_DIR, 0) : -1;
    if (type_is(type, type_len, "ipv4-addr") || type_is(type, type_len, "ipv6-addr"))
        return n_steps == 1 && step_is(&steps[0], "value") ? HANDLE(SRC_IP, 0) : -1;
    if (type_is(type, type_len, "domain-name"))
        return n_steps == 1 && step_is(&steps[0], "value") ? HANDLE(SRC_DOMAIN, 0) : -1;
    if (type_is(type, type_len, "user-account")) {
        if (n_steps == 1 && step_is(&steps[0], "account_login"))
            return HANDLE(SRC_LOGIN, 0);
        return n_steps == 1 && step_is(&steps[0], "user_id") ? HANDLE(SRC_USER_ID, 0) : -1;
    }
    if (type_is(type, type_len, "software"))
        return n_steps == 1 && step_is(&steps[0], "name") ? HANDLE(SRC_STR, F_SOFTWARE_NAME) : -1;
    return -1;
}

/* ---- values ---- */

typedef struct emit_ctx {
    void (*fn)(void *ctx, const storm_value *v);
    void *ctx;
    bool oom; /* a value could not be built: the caller cannot rely on the set */
    /* below a structured property: the path's steps after it (at), else
     * every scalar inside it is given */
    const storm_stix_step *rest;
    size_t n_rest;
    bool at;
} emit_ctx;

static void emit_strn(const emit_ctx *e, const char *s, size_t n)
{
    if (!s || !n) /* observe.c writes no empty string */
        return;
    storm_value v;
    memset(&v, 0, sizeof v);
    v.type = STORM_V_STRING;
    v.pos = STORM_POS_NONE;
    v.u.s.ptr = s;
    v.u.s.len = n;
    e->fn(e->ctx, &v);
}

static void emit_str(const emit_ctx *e, const char *s)
{
    if (s)
        emit_strn(e, s, strlen(s));
}

static void emit_int(const emit_ctx *e, int64_t i)
{
    storm_value v;
    memset(&v, 0, sizeof v);
    v.type = STORM_V_INT;
    v.pos = STORM_POS_NONE;
    v.u.i = i;
    e->fn(e->ctx, &v);
}

/* Every scalar inside v (the index compares scalars only). */
static void emit_deep(const emit_ctx *e, const storm_value *v, int depth)
{
    if (!v || depth > 64)
        return;
    switch (v->type) {
    case STORM_V_STRING: emit_strn(e, v->u.s.ptr, v->u.s.len); break;
    case STORM_V_INT:
    case STORM_V_FLOAT:
    case STORM_V_BOOL: e->fn(e->ctx, v); break;
    case STORM_V_ARRAY:
        for (size_t i = 0; i < v->u.a.len; i++)
            emit_deep(e, v->u.a.items[i], depth + 1);
        break;
    case STORM_V_OBJECT:
        for (size_t i = 0; i < v->u.o.len; i++)
            emit_deep(e, v->u.o.members[i].value, depth + 1);
        break;
    default: break;
    }
}

/* ---- below a structured property ----
 * observe.c puts a structured value (hook arguments, alert fields, a
 * process's extra facts) into the observation sanitized (build.c,
 * docs/mapping.md): nulls, empty strings and what holds nothing else are
 * dropped, so that a list's items move up; a key that is not a dictionary
 * key (lower case letters, digits, '_' and '-', 3 to 250 bytes) is mapped
 * (lower-cased, other bytes '_', cut to 250, padded with '_' to 3), and one
 * that collides with an earlier key gets "_2", "_3"... The values at a
 * path's steps are read off the sensor's value with those rules, giving
 * more where they cannot tell (a key that may be a collided one). */

#define DEEP_DEPTH_MAX 64 /* sanitizing keeps nothing deeper (SANITIZE_MAX_DEPTH) */

/* Whether sanitizing keeps anything of v at depth. */
static bool survives(const storm_value *v, int depth)
{
    if (!v || depth > DEEP_DEPTH_MAX)
        return false;
    switch (v->type) {
    case STORM_V_STRING: return v->u.s.len > 0;
    case STORM_V_BOOL:
    case STORM_V_INT:
    case STORM_V_FLOAT: return true;
    case STORM_V_ARRAY:
        for (size_t i = 0; i < v->u.a.len; i++)
            if (survives(v->u.a.items[i], depth + 1))
                return true;
        return false;
    case STORM_V_OBJECT:
        for (size_t i = 0; i < v->u.o.len; i++)
            if (v->u.o.members[i].key_len && survives(v->u.o.members[i].value, depth + 1))
                return true;
        return false;
    default: return false;
    }
}

#define DICT_KEY_MIN 3
#define DICT_KEY_MAX 250

static bool dict_byte(unsigned char c)
{
    return (unsigned char)(c - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '_' || c == '-';
}

/* Whether sensor key s[0..n) mapped is k[0..k_len). */
static bool maps_to(const char *s, size_t n, const char *k, size_t k_len)
{
    if (n == k_len && memcmp(s, k, n) == 0)
        return true;
    size_t m = n < DICT_KEY_MAX ? n : DICT_KEY_MAX;
    if ((m < DICT_KEY_MIN ? DICT_KEY_MIN : m) != k_len)
        return false;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((dict_byte(c) ? (char)c : '_') != k[i])
            return false;
    }
    for (size_t i = m; i < k_len; i++)
        if (k[i] != '_')
            return false;
    return true;
}

/* Whether key k may be a collided key's ("x_2"): any sensor key may then
 * have become it. */
static bool collision_form(const char *k, size_t n)
{
    size_t d = n;
    while (d > 0 && k[d - 1] >= '0' && k[d - 1] <= '9')
        d--;
    return d < n && d > 0 && k[d - 1] == '_';
}

/* The values at steps st[0..n) below v (at depth), as the sanitized copy
 * of v holds them; at the end of the steps every scalar inside. */
static void emit_at(const emit_ctx *e, const storm_value *v, const storm_stix_step *st, size_t n, int depth)
{
    if (!v || depth > DEEP_DEPTH_MAX)
        return;
    if (n == 0) {
        emit_deep(e, v, depth);
        return;
    }
    if (st->key) {
        if (v->type != STORM_V_OBJECT)
            return;
        bool any = collision_form(st->key, st->key_len);
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            if (any || maps_to(m->key, m->key_len, st->key, st->key_len))
                emit_at(e, m->value, st + 1, n - 1, depth + 1);
        }
    } else if (v->type == STORM_V_ARRAY) {
        int64_t seen = 0; /* the items sanitizing keeps before this one */
        for (size_t i = 0; i < v->u.a.len; i++) {
            const storm_value *it = v->u.a.items[i];
            if (st->index < 0) {
                emit_at(e, it, st + 1, n - 1, depth + 1);
            } else if (survives(it, depth + 1) && seen++ == st->index) {
                emit_at(e, it, st + 1, n - 1, depth + 1);
                return;
            }
        }
    }
}

/* The values of a structured property's value v: at the path's steps, or
 * every scalar inside. */
static void emit_structured(const emit_ctx *e, const storm_value *v)
{
    if (e->at)
        emit_at(e, v, e->rest, e->n_rest, 0);
    else
        emit_deep(e, v, 0);
}

static const char *str_field(const storm_event *ev, int f)
{
    switch ((ev_field)f) {
    case F_K8S_NODE: return ev->k8s.node;
    case F_K8S_NAMESPACE: return ev->k8s.namespace_;
    case F_K8S_POD: return ev->k8s.pod;
    case F_K8S_CONTAINER: return ev->k8s.container;
    case F_K8S_CONTAINER_ID: return ev->k8s.container_id;
    case F_K8S_IMAGE: return ev->k8s.image;
    case F_K8S_IMAGE_ID: return ev->k8s.image_id;
    case F_K8S_WORKLOAD: return ev->k8s.workload;
    case F_K8S_WORKLOAD_KIND: return ev->k8s.workload_kind;
    case F_HOOK_KIND: return ev->hook.present ? ev->hook.kind : NULL;
    case F_HOOK_NAME: return ev->hook.present ? ev->hook.name : NULL;
    case F_HOOK_POLICY: return ev->hook.present ? ev->hook.policy : NULL;
    case F_HOOK_ACTION: return ev->hook.present ? ev->hook.action : NULL;
    case F_HOOK_RETURN_ACTION: return ev->hook.present ? ev->hook.return_action : NULL;
    case F_HOOK_MESSAGE: return ev->hook.present ? ev->hook.message : NULL;
    case F_ALERT_RULE: return ev->alert.present ? ev->alert.rule : NULL;
    case F_ALERT_RULE_ID: return ev->alert.present ? ev->alert.rule_id : NULL;
    case F_ALERT_SEVERITY: return ev->alert.present ? ev->alert.severity : NULL;
    case F_ALERT_MESSAGE: return ev->alert.present ? ev->alert.message : NULL;
    case F_ALERT_SOURCE: return ev->alert.present ? ev->alert.source : NULL;
    case F_NET_DIRECTION: return ev->net.direction;
    case F_NET_VERDICT: return ev->net.verdict;
    case F_NET_STATE: return ev->net.state;
    case F_NET_FAMILY: return ev->net.family;
    case F_NET_DNS_NAME: return ev->net.dns_name;
    case F_AUDIT_VERB: return ev->audit.present ? ev->audit.verb : NULL;
    case F_AUDIT_RESOURCE: return ev->audit.present ? ev->audit.resource : NULL;
    case F_AUDIT_SUBRESOURCE: return ev->audit.present ? ev->audit.subresource : NULL;
    case F_AUDIT_API_GROUP: return ev->audit.present ? ev->audit.api_group : NULL;
    case F_AUDIT_API_VERSION: return ev->audit.present ? ev->audit.api_version : NULL;
    case F_AUDIT_NAMESPACE: return ev->audit.present ? ev->audit.object_namespace : NULL;
    case F_AUDIT_NAME: return ev->audit.present ? ev->audit.object_name : NULL;
    case F_AUDIT_USER: return ev->audit.present ? ev->audit.user : NULL;
    case F_AUDIT_DECISION: return ev->audit.present ? ev->audit.decision : NULL;
    case F_AUDIT_REASON: return ev->audit.present ? ev->audit.reason : NULL;
    case F_AUDIT_URI: return ev->audit.present ? ev->audit.request_uri : NULL;
    case F_AUDIT_USER_AGENT: return ev->audit.present ? ev->audit.user_agent : NULL;
    case F_AUDIT_STAGE: return ev->audit.present ? ev->audit.stage : NULL;
    case F_AUDIT_LEVEL: return ev->audit.present ? ev->audit.level : NULL;
    case F_AUDIT_ID: return ev->audit.present ? ev->audit.audit_id : NULL;
    case F_SOFTWARE_NAME: return ev->k8s.image;
    case F_APP_PROGRAM: return ev->app.present ? ev->app.program : NULL;
    case F_APP_MESSAGE: return ev->app.present ? ev->app.message : NULL;
    case F_APP_AUTH_USER: return ev->app.present ? ev->app.auth_user : NULL;
    case F_APP_AUTH_RESULT: return ev->app.present ? ev->app.auth_result : NULL;
    case F_APP_AUTH_METHOD: return ev->app.present ? ev->app.auth_method : NULL;
    default: return NULL;
    }
}

static const storm_value *deep_field(const storm_event *ev, int f)
{
    switch ((ev_field)f) {
    case F_HOOK_ARGS: return ev->hook.present ? ev->hook.args : NULL;
    case F_HOOK_RETURN: return ev->hook.present ? ev->hook.ret : NULL;
    case F_HOOK_TAGS: return ev->hook.present ? ev->hook.tags : NULL;
    case F_ALERT_TAGS: return ev->alert.present ? ev->alert.tags : NULL;
    case F_ALERT_FIELDS: return ev->alert.present ? ev->alert.fields : NULL;
    case F_NET_EXTRA: return ev->net.extra;
    case F_AUDIT_USER_GROUPS: return ev->audit.present ? ev->audit.groups : NULL;
    case F_AUDIT_REQUEST_OBJECT: return ev->audit.present ? ev->audit.request_object : NULL;
    default: return NULL;
    }
}

/* A path's file name, full path or directory, as a file SCO holds them. */
static void emit_file(const emit_ctx *e, const char *path, src_kind kind)
{
    if (!path || !*path || stix_pseudo_path(path))
        return;
    stix_cut cut;
    stix_path_cut(path, &cut);
    if (kind == SRC_FILE_PATH)
        emit_strn(e, path, cut.full);
    else if (kind == SRC_FILE_NAME)
        emit_strn(e, cut.name, cut.name_len);
    else if (cut.dir_len) /* SRC_FILE_DIR */
        emit_strn(e, path, cut.dir_len);
}

static void emit_process(storm_arena *a, emit_ctx *e, const storm_process_info *p, src_kind kind)
{
    switch (kind) {
    case SRC_PROC_PID:
        if (p->has_pid && p->pid >= 0)
            emit_int(e, p->pid);
        break;
    case SRC_PROC_UID:
        if (p->has_uid)
            emit_int(e, p->uid);
        break;
    case SRC_PROC_GID:
        if (p->has_gid)
            emit_int(e, p->gid);
        break;
    case SRC_PROC_AUID:
        if (p->has_auid)
            emit_int(e, p->auid);
        break;
    case SRC_PROC_TID:
        if (p->has_tid)
            emit_int(e, p->tid);
        break;
    case SRC_PROC_USER_ID:
        if (p->has_uid) {
            char tmp[24];
            emit_strn(e, tmp, storm_decimal(p->uid, tmp));
        }
        break;
    case SRC_PROC_CWD: emit_str(e, p->cwd); break;
    case SRC_PROC_NAME: emit_str(e, p->name); break;
    case SRC_PROC_BINARY: emit_str(e, p->binary); break;
    case SRC_PROC_ARGUMENTS: emit_str(e, p->arguments); break;
    case SRC_PROC_EXEC_ID: emit_str(e, p->exec_id); break;
    case SRC_PROC_PARENT_EXEC_ID: emit_str(e, p->parent_exec_id); break;
    case SRC_PROC_EXTRA: emit_structured(e, p->extra); break;
    case SRC_PROC_COMMAND_LINE: {
        const char *args;
        const char *first = stix_command_line_parts(p, &args);
        if (first && args) {
            size_t bl = strlen(first), al = strlen(args);
            char *s = storm_arena_alloc(a, bl + al + 2);
            if (!s) {
                e->oom = true;
                return;
            }
            memcpy(s, first, bl);
            s[bl] = ' ';
            memcpy(s + bl + 1, args, al + 1);
            emit_strn(e, s, bl + al + 1);
        } else {
            emit_str(e, first);
        }
        break;
    }
    case SRC_FILE_NAME:
    case SRC_FILE_PATH:
    case SRC_FILE_DIR: emit_file(e, p->binary, kind); break;
    default: break;
    }
}

static void each_process(storm_arena *a, emit_ctx *e, const storm_event *ev, src_kind kind)
{
    emit_process(a, e, &ev->process, kind);
    emit_process(a, e, &ev->parent, kind);
    for (size_t i = 0; i < ev->n_ancestors; i++)
        emit_process(a, e, &ev->ancestors[i], kind);
}

/* The values of handle on ev, given to e (storm_stix_prefilter_values). */
static bool values_into(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle, emit_ctx *ep)
{
    emit_ctx e = *ep;
    src_kind kind = HANDLE_KIND(handle);
    int field = HANDLE_FIELD(handle);
    switch (kind) {
    case SRC_PROC_PID:
    case SRC_PROC_UID:
    case SRC_PROC_GID:
    case SRC_PROC_AUID:
    case SRC_PROC_TID:
    case SRC_PROC_CWD:
    case SRC_PROC_COMMAND_LINE:
    case SRC_PROC_NAME:
    case SRC_PROC_BINARY:
    case SRC_PROC_ARGUMENTS:
    case SRC_PROC_EXEC_ID:
    case SRC_PROC_PARENT_EXEC_ID:
    case SRC_PROC_EXTRA:
    case SRC_PROC_USER_ID: each_process(a, &e, ev, kind); break;
    case SRC_FILE_NAME:
    case SRC_FILE_PATH:
    case SRC_FILE_DIR:
        each_process(a, &e, ev, kind);
        for (size_t i = 0; i < ev->n_files && i < STORM_EVENT_MAX_FILES; i++)
            emit_file(&e, ev->files[i].path, kind);
        break;
    case SRC_STR: emit_str(&e, str_field(ev, field)); break;
    case SRC_DEEP: emit_structured(&e, deep_field(ev, field)); break;
    case SRC_INT:
        if (ev->audit.present && ev->audit.has_code)
            emit_int(&e, ev->audit.code);
        break;
    case SRC_K8S_CLUSTER:
        emit_str(&e, ev->k8s.cluster);
        if (opts)
            emit_str(&e, opts->cluster);
        break;
    case SRC_K8S_LABELS: {
        const storm_value *l = ev->k8s.labels;
        if (!l || l->type != STORM_V_OBJECT)
            break;
        for (size_t i = 0; i < l->u.o.len; i++) {
            const storm_member *m = &l->u.o.members[i];
            if (!m->key_len || m->value->type != STORM_V_STRING)
                continue;
            size_t vl = m->value->u.s.len;
            char *s = storm_arena_alloc(a, m->key_len + vl + 2);
            if (!s)
                return false;
            memcpy(s, m->key, m->key_len);
            s[m->key_len] = '=';
            memcpy(s + m->key_len + 1, m->value->u.s.ptr, vl);
            s[m->key_len + 1 + vl] = '\0';
            emit_strn(&e, s, m->key_len + 1 + vl);
        }
        break;
    }
    case SRC_IP:
        emit_str(&e, ev->net.src_ip);
        emit_str(&e, ev->net.dst_ip);
        if (ev->audit.present)
            emit_str(&e, ev->audit.source_ip);
        break;
    case SRC_SRC_IP:
        emit_str(&e, ev->net.src_ip);
        if (ev->audit.present)
            emit_str(&e, ev->audit.source_ip);
        break;
    case SRC_DST_IP:
        emit_str(&e, ev->net.dst_ip);
        emit_str(&e, ev->net.dns_name);
        break;
    case SRC_DOMAIN: emit_str(&e, ev->net.dns_name); break;
    case SRC_SRC_PORT:
        emit_int(&e, 0);
        if (ev->net.has_src_port)
            emit_int(&e, ev->net.src_port);
        break;
    case SRC_DST_PORT:
        emit_int(&e, 0);
        if (ev->net.has_dst_port)
            emit_int(&e, ev->net.dst_port);
        break;
    case SRC_USER_ID:
        each_process(a, &e, ev, SRC_PROC_USER_ID);
        if (ev->audit.present)
            emit_str(&e, ev->audit.user);
        break;
    case SRC_LOGIN:
        if (ev->app.present)
            emit_str(&e, ev->app.auth_user);
        break;
    case SRC_APP_INT:
        if (ev->app.present && field == 0 && ev->app.has_http_status)
            emit_int(&e, ev->app.http_status);
        if (ev->app.present && field == 1 && ev->app.has_http_bytes)
            emit_int(&e, ev->app.http_bytes);
        break;
    default: break;
    }
    return !e.oom;
}

bool storm_stix_prefilter_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                 void (*fn)(void *ctx, const storm_value *v), void *ctx)
{
    if (!ev || !fn || handle < 0)
        return false;
    emit_ctx e = {fn, ctx, false, NULL, 0, false};
    return values_into(a, ev, opts, handle, &e);
}

static bool any_binary(const storm_event *ev)
{
    if (ev->process.binary || ev->parent.binary)
        return true;
    for (size_t i = 0; i < ev->n_ancestors; i++)
        if (ev->ancestors[i].binary)
            return true;
    return false;
}

static bool any_uid(const storm_event *ev)
{
    if (ev->process.has_uid || ev->parent.has_uid)
        return true;
    for (size_t i = 0; i < ev->n_ancestors; i++)
        if (ev->ancestors[i].has_uid)
            return true;
    return false;
}

bool storm_stix_prefilter_may_have(const storm_event *ev, const char *type, size_t type_len)
{
    if (type_is(type, type_len, "file") || type_is(type, type_len, "directory"))
        return ev->n_files > 0 || any_binary(ev);
    if (type_is(type, type_len, "network-traffic") || type_is(type, type_len, "ipv4-addr") ||
        type_is(type, type_len, "ipv6-addr"))
        return ev->net.present || ev->audit.present;
    if (type_is(type, type_len, "domain-name"))
        return ev->net.present && ev->net.dns_name && *ev->net.dns_name;
    if (type_is(type, type_len, "user-account"))
        return ev->audit.present || any_uid(ev) || (ev->app.present && ev->app.auth_user);
    if (type_is(type, type_len, "software"))
        return ev->k8s.image && *ev->k8s.image;
    if (type_is(type, type_len, "process"))
        return true;
    return false; /* observe.c builds no other type */
}

static bool set(const char *s)
{
    return s && *s;
}

bool storm_stix_prefilter_observable(const storm_event *ev)
{
    const storm_process_info *p = &ev->process;
    if (set(ev->k8s.image) || set(ev->k8s.pod) || set(ev->k8s.node) || set(ev->k8s.namespace_))
        return true; /* a software SCO, or context on whatever is the subject */
    if ((p->has_pid && p->pid >= 0) || set(p->binary) || set(p->exec_id) || set(p->name))
        return true; /* the acting process has a property of its own */
    if (ev->hook.present && set(ev->hook.name))
        return true;
    if (ev->alert.present && set(ev->alert.rule))
        return true;
    for (size_t i = 0; i < ev->n_files && i < STORM_EVENT_MAX_FILES; i++)
        if (set(ev->files[i].path) && !stix_pseudo_path(ev->files[i].path))
            return true;
    return false;
}

storm_time_ns storm_stix_event_time(const storm_event *ev, const storm_stix_opts *opts)
{
    if (ev->has_time)
        return ev->time;
    if (ev->process.has_start_time && ev->process.start_time > 0)
        return ev->process.start_time;
    return opts ? opts->default_time : 0;
}

/* ---- values by object ---- */

bool storm_stix_prefilter_scalar(int handle)
{
    if (handle < 0)
        return false;
    src_kind k = HANDLE_KIND(handle);
    return k != SRC_NONE && k != SRC_DEEP && k != SRC_PROC_EXTRA && k != SRC_K8S_LABELS;
}

bool storm_stix_prefilter_on_process(int handle)
{
    return handle >= 0 && (handle & ON_PROCESS);
}

/* The process of place `slot` (0 the actor, 1 the parent, 2 + i ancestors[i]). */
static const storm_process_info *place_process(const storm_event *ev, size_t slot)
{
    return slot == 0 ? &ev->process : slot == 1 ? &ev->parent : &ev->ancestors[slot - 2];
}

static bool place_keyed(const storm_process_info *p)
{
    return set(p->exec_id) || p->has_pid;
}

/* Whether observe.c could give two places one object (it merges processes
 * with one key: the exec id, else the pid and start time). */
static bool same_key(const storm_process_info *x, const storm_process_info *y)
{
    if (!place_keyed(x) || !place_keyed(y))
        return false;
    if (set(x->exec_id) || set(y->exec_id))
        return set(x->exec_id) && set(y->exec_id) && strcmp(x->exec_id, y->exec_id) == 0;
    return x->pid == y->pid && (x->has_start_time ? x->start_time : 0) == (y->has_start_time ? y->start_time : 0);
}

size_t storm_stix_prefilter_places(const storm_event *ev)
{
    size_t n = 2 + ev->n_ancestors;
    if (n > STORM_STIX_PREFILTER_PLACES_MAX)
        return 1;
    /* ancestors[0] repeating the parent is left out of the observation */
    bool skip2 = ev->n_ancestors > 0 && set(ev->ancestors[0].exec_id) && set(ev->parent.exec_id) &&
                 strcmp(ev->ancestors[0].exec_id, ev->parent.exec_id) == 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!(skip2 && (i == 2 || j == 2)) && same_key(place_process(ev, i), place_process(ev, j)))
                return 1;
    return n;
}

typedef struct place_ctx {
    void (*fn)(void *ctx, int lo, int hi, const storm_value *v);
    void *ctx;
    int lo, hi; /* the places the values now given belong to */
} place_ctx;

static void to_places(void *ctx, const storm_value *v)
{
    place_ctx *pc = ctx;
    pc->fn(pc->ctx, pc->lo, pc->hi, v);
}

static bool structured(int handle)
{
    src_kind k = HANDLE_KIND(handle);
    return k == SRC_DEEP || k == SRC_PROC_EXTRA;
}

bool storm_stix_prefilter_structured(int handle)
{
    return handle >= 0 && structured(handle);
}

/* The part of the event a string or deep field is in. */
static uint32_t field_part(int f)
{
    switch ((ev_field)f) {
    case F_HOOK_KIND:
    case F_HOOK_NAME:
    case F_HOOK_POLICY:
    case F_HOOK_ACTION:
    case F_HOOK_RETURN_ACTION:
    case F_HOOK_MESSAGE:
    case F_HOOK_ARGS:
    case F_HOOK_RETURN:
    case F_HOOK_TAGS: return STORM_STIX_PART_HOOK;
    case F_ALERT_RULE:
    case F_ALERT_RULE_ID:
    case F_ALERT_SEVERITY:
    case F_ALERT_MESSAGE:
    case F_ALERT_SOURCE:
    case F_ALERT_TAGS:
    case F_ALERT_FIELDS: return STORM_STIX_PART_ALERT;
    case F_AUDIT_VERB:
    case F_AUDIT_RESOURCE:
    case F_AUDIT_SUBRESOURCE:
    case F_AUDIT_API_GROUP:
    case F_AUDIT_API_VERSION:
    case F_AUDIT_NAMESPACE:
    case F_AUDIT_NAME:
    case F_AUDIT_USER:
    case F_AUDIT_USER_GROUPS:
    case F_AUDIT_DECISION:
    case F_AUDIT_REASON:
    case F_AUDIT_URI:
    case F_AUDIT_USER_AGENT:
    case F_AUDIT_STAGE:
    case F_AUDIT_LEVEL:
    case F_AUDIT_ID:
    case F_AUDIT_REQUEST_OBJECT: return STORM_STIX_PART_AUDIT;
    case F_APP_PROGRAM:
    case F_APP_MESSAGE:
    case F_APP_AUTH_USER:
    case F_APP_AUTH_RESULT:
    case F_APP_AUTH_METHOD: return STORM_STIX_PART_APP;
    default: return STORM_STIX_PART_OTHER;
    }
}

uint32_t storm_stix_prefilter_reads(int handle)
{
    if (handle < 0)
        return STORM_STIX_PART_OTHER;
    switch (HANDLE_KIND(handle)) {
    case SRC_STR:
    case SRC_DEEP: return field_part(HANDLE_FIELD(handle));
    case SRC_INT: return STORM_STIX_PART_AUDIT;
    case SRC_LOGIN:
    case SRC_APP_INT: return STORM_STIX_PART_APP;
    default: return STORM_STIX_PART_OTHER;
    }
}

uint32_t storm_stix_prefilter_parts(const storm_event *ev)
{
    return STORM_STIX_PART_OTHER | (ev->hook.present ? STORM_STIX_PART_HOOK : 0) |
           (ev->alert.present ? STORM_STIX_PART_ALERT : 0) | (ev->audit.present ? STORM_STIX_PART_AUDIT : 0) |
           (ev->app.present ? STORM_STIX_PART_APP : 0);
}

static bool place_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                         const storm_stix_step *steps, size_t n_steps, size_t places,
                         void (*fn)(void *ctx, int lo, int hi, const storm_value *v), void *ctx)
{
    if (!ev || !fn || handle < 0)
        return false;
    place_ctx pc = {fn, ctx, STORM_STIX_PREFILTER_ANY, STORM_STIX_PREFILTER_ANY};
    emit_ctx e = {to_places, &pc, false, NULL, 0, false};
    int depth = (handle & ON_PROCESS) ? (handle >> DEPTH_SHIFT) & DEPTH_MAX : 0;
    if (steps && structured(handle) && n_steps > (size_t)depth) {
        /* the property is the step after the parent_refs */
        e.at = true;
        e.rest = steps + depth + 1;
        e.n_rest = n_steps - (size_t)depth - 1;
    }
    if (!(handle & ON_PROCESS))
        return values_into(a, ev, opts, handle, &e);
    src_kind kind = HANDLE_KIND(handle);
    bool proc_fact = (kind >= SRC_PROC_PID && kind <= SRC_PROC_USER_ID) || kind == SRC_FILE_NAME ||
                     kind == SRC_FILE_PATH || kind == SRC_FILE_DIR;
    pc.lo = pc.hi = 0;
    if (places == 1 || !proc_fact) /* one process object, or the subject's context */
        return values_into(a, ev, opts, handle, &e);
    /* a process's own fact is its place's alone (observe.c gives each
     * process of the event its own object, short of two with one key:
     * places == 1); read through `depth` parent_refs it belongs to the
     * places at least depth below it (a parent_ref skips unknown
     * processes, it never goes down) */
    for (size_t slot = 0; slot < places; slot++) {
        pc.hi = (int)slot - depth;
        pc.lo = depth ? 0 : pc.hi;
        if (pc.hi >= 0)
            emit_process(a, &e, place_process(ev, slot), kind);
    }
    pc.lo = 0;
    if (kind == SRC_FILE_NAME || kind == SRC_FILE_PATH || kind == SRC_FILE_DIR) {
        pc.hi = (int)places - 1; /* the event's files: any process's, as far as this knows */
        for (size_t i = 0; i < ev->n_files && i < STORM_EVENT_MAX_FILES; i++)
            emit_file(&e, ev->files[i].path, kind);
    }
    return !e.oom;
}

bool storm_stix_prefilter_place_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                       void (*fn)(void *ctx, int lo, int hi, const storm_value *v), void *ctx)
{
    if (!ev)
        return false;
    return place_values(a, ev, opts, handle, NULL, 0, storm_stix_prefilter_places(ev), fn, ctx);
}

bool storm_stix_prefilter_path_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                      const storm_stix_step *steps, size_t n_steps, size_t places,
                                      void (*fn)(void *ctx, int lo, int hi, const storm_value *v), void *ctx)
{
    if (!ev || places < 1 || places > STORM_STIX_PREFILTER_PLACES_MAX)
        return false;
    return place_values(a, ev, opts, handle, steps, n_steps, places, fn, ctx);
}
