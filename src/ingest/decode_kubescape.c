/* SPDX-License-Identifier: Apache-2.0 */
/* Kubescape node-agent decoder: runtime alerts {BaseRuntimeMetadata,
 * CloudMetadata, RuleID, RuntimeK8sDetails, RuntimeProcessDetails, event,
 * level, message, msg, time, [event_time, hostname, md5_hash,
 * processtree_depth]}, in the agent's nested form and in the hive-sentinel
 * export form where the four blocks are JSON *strings*. Each alert becomes
 * one STORM_EV_ALERT (rule, process lineage from the processTree, k8s
 * context, the file or exec it names); agent log lines that share the
 * stream are skipped as "kubescape-log". See docs/mapping/kubescape.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <storm/decimal.h>
#include <storm/json.h>
#include <storm/time.h>

#include "decoders.h"
#include "kubescape_tree.h"

/* A top-level block, parsed from a JSON string when it came as one.
 * Offsets inside a parsed string are relative to that string, so errors in
 * it point at the string and name the inner byte. */
typedef struct ks_block {
    const char *name;
    const storm_value *v; /* object, or NULL when absent */
    bool stringified;
    size_t outer_pos;
} ks_block;

typedef struct ks_reader {
    storm_arena *a;
    storm_err *err;
} ks_reader;

static storm_rc fail(ks_reader *r, const ks_block *b, const storm_value *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static storm_rc fail(ks_reader *r, const ks_block *b, const storm_value *at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b && b->stringified)
        return storm_err_set(r->err, STORM_ERR_VALUE, b->outer_pos, "%s (a JSON string, at its byte %zu)", msg,
                             ingest_pos_of(at));
    return storm_err_set(r->err, STORM_ERR_VALUE, ingest_pos_of(at), "%s", msg);
}

static storm_rc nomem(ks_reader *r)
{
    return storm_err_set(r->err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Kubescape alert");
}

static const char *want_text(storm_vtype t)
{
    switch (t) {
    case STORM_V_STRING: return "a string";
    case STORM_V_OBJECT: return "an object";
    case STORM_V_ARRAY: return "an array";
    case STORM_V_INT: return "an integer";
    case STORM_V_BOOL: return "a boolean";
    default: return "a value";
    }
}

/* Optional member of one type; absent or null -> *out = NULL. path names
 * obj in messages ("BaseRuntimeMetadata", "processTree", ...; NULL at the top). */
static storm_rc member(ks_reader *r, const ks_block *b, const storm_value *obj, const char *path, const char *key,
                       storm_vtype want, const storm_value **out)
{
    const storm_value *v = storm_v_get(obj, key);
    *out = NULL;
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != want)
        return fail(r, b, v, "%s%s%s: expected %s, got %s", path ? path : "", path ? "." : "", key, want_text(want),
                    ingest_value_name(v));
    *out = v;
    return STORM_OK;
}

static storm_rc member_str(ks_reader *r, const ks_block *b, const storm_value *obj, const char *path, const char *key,
                           const char **out)
{
    const storm_value *v;
    storm_rc rc = member(r, b, obj, path, key, STORM_V_STRING, &v);
    *out = v ? v->u.s.ptr : NULL;
    return rc;
}

static storm_rc member_int(ks_reader *r, const ks_block *b, const storm_value *obj, const char *path, const char *key,
                           bool *has, int64_t *out)
{
    const storm_value *v;
    storm_rc rc = member(r, b, obj, path, key, STORM_V_INT, &v);
    *has = v != NULL;
    if (v)
        *out = v->u.i;
    return rc;
}

/* A top-level block: an object, or a string holding one (hive-sentinel);
 * "", "null" and "empty" strings mean absent, as CloudMetadata shows. */
static storm_rc open_block(ks_reader *r, const storm_value *root, const char *name, ks_block *b)
{
    *b = (ks_block){.name = name};
    const storm_value *v = storm_v_get(root, name);
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type == STORM_V_OBJECT) {
        b->v = v;
        return STORM_OK;
    }
    if (v->type != STORM_V_STRING)
        return fail(r, NULL, v, "%s: expected an object or a JSON string, got %s", name, ingest_type_name(v->type));
    if (v->u.s.len == 0 || storm_v_is_str(v, "null") || storm_v_is_str(v, "empty"))
        return STORM_OK;
    storm_value *inner = NULL;
    storm_err perr = {0};
    storm_rc rc = storm_json_parse(r->a, v->u.s.ptr, v->u.s.len, 0, &inner, NULL, &perr);
    if (rc == STORM_ERR_NOMEM)
        return nomem(r);
    if (rc != STORM_OK)
        return fail(r, NULL, v, "%s: the string does not hold JSON (at its byte %zu: %s)", name, perr.offset, perr.msg);
    b->stringified = true;
    b->outer_pos = ingest_pos_of(v);
    if (inner->type == STORM_V_NULL)
        return STORM_OK;
    if (inner->type != STORM_V_OBJECT)
        return fail(r, NULL, v, "%s: the string holds %s, not an object", name, ingest_type_name(inner->type));
    b->v = inner;
    return STORM_OK;
}

/* storm_time_parse overflows past the years int64 nanoseconds can hold
 * (1678..2261; Kubescape writes year 0001 for "unknown"): refuse those first. */
static bool parse_time(const char *s, size_t len, storm_time_ns *out)
{
    if (len < 4 || memcmp(s, "1678", 4) < 0 || memcmp(s, "2261", 4) > 0)
        return false;
    return storm_time_parse(s, len, STORM_TIME_LENIENT, out);
}

/* ---- time ------------------------------------------------------------- */

/* The most precise time first: BaseRuntimeMetadata.timestamp (RFC 3339 ns),
 * event.timestamp (integer ns), then event_time / time (seconds). */
static storm_rc read_time(ks_reader *r, const storm_value *root, const ks_block *base, const ks_block *event,
                          storm_event *ev)
{
    const storm_value *ts;
    storm_rc rc = member(r, base, base->v, base->name, "timestamp", STORM_V_STRING, &ts);
    if (rc != STORM_OK)
        return rc;
    if (ts) {
        if (!parse_time(ts->u.s.ptr, ts->u.s.len, &ev->time))
            return fail(r, base, ts, "BaseRuntimeMetadata.timestamp: \"%.40s\" is not an RFC 3339 timestamp",
                        ts->u.s.ptr);
        ev->has_time = true;
        return STORM_OK;
    }
    bool has;
    int64_t ns;
    if (event->v && (rc = member_int(r, event, event->v, "event", "timestamp", &has, &ns)) != STORM_OK)
        return rc;
    if (event->v && has) {
        ev->time = ns;
        ev->has_time = true;
        return STORM_OK;
    }
    static const char *const keys[] = {"event_time", "time"};
    for (size_t i = 0; i < 2; i++) {
        const storm_value *t = storm_v_get(root, keys[i]);
        if (!t || t->type == STORM_V_NULL)
            continue;
        if (t->type != STORM_V_STRING || !parse_time(t->u.s.ptr, t->u.s.len, &ev->time))
            return fail(r, NULL, t, "%s: expected an RFC 3339 timestamp string", keys[i]);
        ev->has_time = true;
        return STORM_OK;
    }
    return STORM_OK;
}

/* ---- process lineage ------------------------------------------------------ */

/* Kubescape writes the Go zero time 0001-01-01T00:00:00Z when it does not
 * know a start time: anything before the epoch is "unknown". */
static void set_start_time(const char *s, storm_process_info *p)
{
    storm_time_ns t;
    if (s && parse_time(s, strlen(s), &t) && t > 0) {
        p->start_time = t;
        p->has_start_time = true;
    }
}

/* The arguments: the command line after its first word (Kubescape gives
 * only the whole cmdline). */
static const char *args_of(const char *cmdline)
{
    const char *sp = cmdline ? strchr(cmdline, ' ') : NULL;
    while (sp && *sp == ' ')
        sp++;
    return sp && *sp ? sp : NULL;
}

static storm_rc read_node(ks_reader *r, const ks_block *b, const kubescape_tree_step *step, storm_process_info *p)
{
    const storm_value *node = step->node;
    const char *path = "processTree";
    const char *start;
    const storm_value *hardlink, *upper;
    storm_rc rc;
    if ((rc = member_int(r, b, node, path, "uid", &p->has_uid, &p->uid)) != STORM_OK ||
        (rc = member_int(r, b, node, path, "gid", &p->has_gid, &p->gid)) != STORM_OK ||
        (rc = member_str(r, b, node, path, "comm", &p->name)) != STORM_OK ||
        (rc = member_str(r, b, node, path, "path", &p->binary)) != STORM_OK ||
        (rc = member_str(r, b, node, path, "cmdline", &p->command_line)) != STORM_OK ||
        (rc = member_str(r, b, node, path, "cwd", &p->cwd)) != STORM_OK ||
        (rc = member_str(r, b, node, path, "startTime", &start)) != STORM_OK ||
        (rc = member(r, b, node, path, "hardlink", STORM_V_STRING, &hardlink)) != STORM_OK ||
        (rc = member(r, b, node, path, "upperLayer", STORM_V_BOOL, &upper)) != STORM_OK)
        return rc;
    const storm_value *pid = storm_v_get(node, "pid");
    if (pid && pid->type != STORM_V_INT && pid->type != STORM_V_NULL)
        return fail(r, b, pid, "processTree.pid: expected an integer, got %s", ingest_value_name(pid));
    p->has_pid = kubescape_tree_node_pid(node, step->key, step->key_len, &p->pid);
    p->arguments = args_of(p->command_line);
    set_start_time(start, p);
    if (hardlink || upper) {
        storm_value *extra = storm_v_object(r->a);
        if (!extra || (hardlink && storm_v_set(r->a, extra, "hardlink", (storm_value *)hardlink) != 0) ||
            (upper && storm_v_set(r->a, extra, "upper_layer", (storm_value *)upper) != 0))
            return nomem(r);
        p->extra = extra;
    }
    p->present = true;
    return STORM_OK;
}

/* What a node says of its own parent (ppid, pcomm): the parent of the
 * tree's top process, which the tree itself does not hold. */
static storm_rc read_node_parent(ks_reader *r, const ks_block *b, const storm_value *node, storm_process_info *p)
{
    storm_rc rc;
    if ((rc = member_int(r, b, node, "processTree", "ppid", &p->has_pid, &p->pid)) != STORM_OK ||
        (rc = member_str(r, b, node, "processTree", "pcomm", &p->name)) != STORM_OK)
        return rc;
    p->present = p->has_pid || p->name;
    return STORM_OK;
}

static storm_rc read_lineage(ks_reader *r, const ks_block *procs, const ks_block *base, storm_event *ev)
{
    bool has_pid;
    int64_t infected = 0;
    storm_rc rc = member_int(r, base, base->v, base->name, "infectedPID", &has_pid, &infected);
    if (rc != STORM_OK)
        return rc;
    const storm_value *tree = NULL;
    if (procs->v && (rc = member(r, procs, procs->v, procs->name, "processTree", STORM_V_OBJECT, &tree)) != STORM_OK)
        return rc;
    kubescape_tree_step path[KUBESCAPE_TREE_MAX_DEPTH];
    size_t n = 0;
    if (!tree || !has_pid || !kubescape_tree_find(tree, infected, path, &n)) {
        /* the process is not in the tree: only its pid is known */
        ev->process.present = has_pid;
        ev->process.has_pid = has_pid;
        ev->process.pid = infected;
        return STORM_OK;
    }
    if ((rc = read_node(r, procs, &path[n - 1], &ev->process)) != STORM_OK)
        return rc;
    if (n >= 2)
        rc = read_node(r, procs, &path[n - 2], &ev->parent);
    else
        rc = read_node_parent(r, procs, path[0].node, &ev->parent);
    if (rc != STORM_OK || n < 2)
        return rc;
    /* grandparent and above, nearest first; then the top process's own parent */
    size_t count = n - 2 + 1;
    ev->ancestors = storm_arena_calloc(r->a, count, sizeof *ev->ancestors);
    if (!ev->ancestors)
        return nomem(r);
    for (size_t i = 0; i + 2 < n; i++)
        if ((rc = read_node(r, procs, &path[n - 3 - i], &ev->ancestors[i])) != STORM_OK)
            return rc;
    if ((rc = read_node_parent(r, procs, path[0].node, &ev->ancestors[n - 2])) != STORM_OK)
        return rc;
    ev->n_ancestors = ev->ancestors[n - 2].present ? count : count - 1;
    return STORM_OK;
}

/* ---- Kubernetes context ------------------------------------------------- */

static storm_rc read_k8s(ks_reader *r, const ks_block *k8s, const ks_block *procs, const ks_block *event,
                         storm_event *ev)
{
    storm_k8s_ctx *k = &ev->k8s;
    storm_rc rc;
    if (k8s->v) {
        const char *pod_ns;
        struct {
            const char *key;
            const char **out;
        } fields[] = {
            {"clusterName", &k->cluster},   {"namespace", &k->namespace_},       {"podNamespace", &pod_ns},
            {"podName", &k->pod},           {"containerName", &k->container},    {"containerID", &k->container_id},
            {"workloadName", &k->workload}, {"workloadKind", &k->workload_kind}, {"image", &k->image},
            {"imageDigest", &k->image_id},
        };
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if ((rc = member_str(r, k8s, k8s->v, k8s->name, fields[i].key, fields[i].out)) != STORM_OK)
                return rc;
        if (!k->namespace_)
            k->namespace_ = pod_ns;
        if ((rc = member(r, k8s, k8s->v, k8s->name, "podLabels", STORM_V_OBJECT, &k->labels)) != STORM_OK)
            return rc;
    }
    if (!k->container_id && procs->v &&
        (rc = member_str(r, procs, procs->v, procs->name, "containerID", &k->container_id)) != STORM_OK)
        return rc;
    if (!event->v)
        return STORM_OK;
    /* event.k8s / event.runtime repeat most of it, and add the node */
    const storm_value *ek8s, *runtime;
    if ((rc = member(r, event, event->v, "event", "k8s", STORM_V_OBJECT, &ek8s)) != STORM_OK ||
        (rc = member(r, event, event->v, "event", "runtime", STORM_V_OBJECT, &runtime)) != STORM_OK)
        return rc;
    struct {
        const storm_value *obj;
        const char *path, *key;
        const char **out;
    } fallbacks[] = {
        {ek8s, "event.k8s", "node", &k->node},
        {ek8s, "event.k8s", "namespace", &k->namespace_},
        {ek8s, "event.k8s", "podName", &k->pod},
        {ek8s, "event.k8s", "containerName", &k->container},
        {runtime, "event.runtime", "containerId", &k->container_id},
        {runtime, "event.runtime", "containerImageName", &k->image},
        {runtime, "event.runtime", "containerImageDigest", &k->image_id},
    };
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
        if (*fallbacks[i].out || !fallbacks[i].obj)
            continue;
        if ((rc = member_str(r, event, fallbacks[i].obj, fallbacks[i].path, fallbacks[i].key, fallbacks[i].out)) !=
            STORM_OK)
            return rc;
    }
    if (!k->labels && ek8s &&
        (rc = member(r, event, ek8s, "event.k8s", "podLabels", STORM_V_OBJECT, &k->labels)) != STORM_OK)
        return rc;
    return STORM_OK;
}

/* ---- the rule's arguments -------------------------------------------- */

/* Join a string array with spaces; NULL when empty. */
static storm_rc join_args(ks_reader *r, const ks_block *b, const storm_value *args, size_t from, const char **out)
{
    *out = NULL;
    size_t len = 0;
    for (size_t i = 0; i < args->u.a.len; i++) {
        const storm_value *s = args->u.a.items[i];
        if (s->type != STORM_V_STRING)
            return fail(r, b, s, "BaseRuntimeMetadata.arguments.args[%zu]: expected a string, got %s", i,
                        ingest_type_name(s->type));
        if (i >= from)
            len += s->u.s.len + 1;
    }
    if (len == 0)
        return STORM_OK;
    char *buf = storm_arena_alloc(r->a, len);
    if (!buf)
        return nomem(r);
    size_t at = 0;
    for (size_t i = from; i < args->u.a.len; i++) {
        const storm_value *s = args->u.a.items[i];
        if (at)
            buf[at++] = ' ';
        memcpy(buf + at, s->u.s.ptr, s->u.s.len);
        at += s->u.s.len;
    }
    buf[at] = '\0';
    *out = buf;
    return STORM_OK;
}

/* R0001 exec {exec, args[], retval}, R0002/R0010 file {path, flags[]}, and
 * any other rule that names a path or an exec: the file it touched. The
 * rest (syscall, capability, io_uring opcode) stays in alert.fields. */
static storm_rc read_arguments(ks_reader *r, const ks_block *base, storm_event *ev)
{
    const storm_value *args;
    storm_rc rc = member(r, base, base->v, base->name, "arguments", STORM_V_OBJECT, &args);
    if (rc != STORM_OK || !args)
        return rc;
    const char *path, *exec;
    const storm_value *argv;
    if ((rc = member_str(r, base, args, "BaseRuntimeMetadata.arguments", "path", &path)) != STORM_OK ||
        (rc = member_str(r, base, args, "BaseRuntimeMetadata.arguments", "exec", &exec)) != STORM_OK ||
        (rc = member(r, base, args, "BaseRuntimeMetadata.arguments", "args", STORM_V_ARRAY, &argv)) != STORM_OK)
        return rc;
    if (exec && *exec)
        ev->files[ev->n_files++] = (storm_file_info){.path = exec, .operation = "exec"};
    if (path && *path)
        ev->files[ev->n_files++] = (storm_file_info){.path = path, .operation = "open"};
    if (!argv)
        return STORM_OK;
    /* args[] is argv: argv[0] is the program as invoked */
    const char *rest, *all;
    if ((rc = join_args(r, base, argv, 1, &rest)) != STORM_OK || (rc = join_args(r, base, argv, 0, &all)) != STORM_OK)
        return rc;
    ev->process.arguments = rest;
    if (!ev->process.command_line)
        ev->process.command_line = all;
    if (!ev->process.binary && exec && *exec)
        ev->process.binary = exec;
    ev->process.present = true;
    return STORM_OK;
}

/* ---- the alert ------------------------------------------------------------ */

/* The decimal text of v, in the arena (no printf: every alert has one). */
static const char *int_text(storm_arena *a, int64_t v)
{
    char tmp[STORM_DECIMAL_MAX];
    return storm_arena_strndup(a, tmp, storm_decimal(v, tmp));
}

static storm_rc read_alert(ks_reader *r, const storm_value *root, const ks_block *base, storm_event *ev)
{
    storm_alert_info *al = &ev->alert;
    const storm_value *sev, *message, *msg;
    storm_rc rc;
    if ((rc = member_str(r, base, base->v, base->name, "alertName", &al->rule)) != STORM_OK)
        return rc;
    sev = storm_v_get(base->v, "severity");
    if (sev && sev->type == STORM_V_INT) {
        if (!(al->severity = int_text(r->a, sev->u.i)))
            return nomem(r);
    } else if (sev && sev->type == STORM_V_STRING) {
        al->severity = sev->u.s.ptr;
    } else if (sev && sev->type != STORM_V_NULL) {
        return fail(r, base, sev, "BaseRuntimeMetadata.severity: expected an integer, got %s", ingest_value_name(sev));
    }
    if ((rc = member(r, NULL, root, NULL, "message", STORM_V_STRING, &message)) != STORM_OK ||
        (rc = member(r, NULL, root, NULL, "msg", STORM_V_STRING, &msg)) != STORM_OK)
        return rc;
    al->message = message ? message->u.s.ptr : msg ? msg->u.s.ptr : NULL;
    if (!al->rule && msg)
        al->rule = msg->u.s.ptr;
    al->fields = base->v;
    al->present = true;
    /* a short name for the process when the tree had none */
    if (!ev->process.name) {
        const storm_value *ids = storm_v_get(base->v, "identifiers");
        const storm_value *proc = storm_v_get(ids, "process");
        const char *name = storm_v_get_str(proc, "name");
        if (name) {
            ev->process.name = name;
            ev->process.present = true;
        }
    }
    return STORM_OK;
}

static storm_rc decode_alert(ks_reader *r, const storm_value *root, const storm_value *rule_id, storm_event_list *out)
{
    ks_block base, k8s, procs, event;
    storm_rc rc;
    if ((rc = open_block(r, root, "BaseRuntimeMetadata", &base)) != STORM_OK ||
        (rc = open_block(r, root, "RuntimeK8sDetails", &k8s)) != STORM_OK ||
        (rc = open_block(r, root, "RuntimeProcessDetails", &procs)) != STORM_OK ||
        (rc = open_block(r, root, "event", &event)) != STORM_OK)
        return rc;
    if (!base.v)
        return fail(r, NULL, rule_id, "BaseRuntimeMetadata is missing: an alert needs its rule's details");
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_KUBESCAPE;
    ev.kind = STORM_EV_ALERT;
    ev.type = rule_id->u.s.ptr;
    ev.raw = root;
    ev.alert.rule_id = rule_id->u.s.ptr;
    if ((rc = read_lineage(r, &procs, &base, &ev)) != STORM_OK || (rc = read_arguments(r, &base, &ev)) != STORM_OK ||
        (rc = read_alert(r, root, &base, &ev)) != STORM_OK ||
        (rc = read_k8s(r, &k8s, &procs, &event, &ev)) != STORM_OK ||
        (rc = read_time(r, root, &base, &event, &ev)) != STORM_OK)
        return rc;
    storm_event *slot = storm_event_list_add(r->a, out);
    if (!slot)
        return nomem(r);
    *slot = ev;
    return STORM_OK;
}

/* The node-agent's own zap log records ({"level","ts","msg",...}). */
static bool is_agent_log(const storm_value *root)
{
    return storm_v_get(root, "msg") && storm_v_get(root, "level") &&
           (storm_v_get(root, "ts") || storm_v_get(root, "container ID") || storm_v_get(root, "k8s workload"));
}

/* The honeycluster seeds its Vector file sink and ClickHouse table with a
 * line whose RuleID is "init" and whose blocks are {"init": true}
 * (honeystack/pixie/filesource/kubescape.json): no rule fired. */
static bool is_init_placeholder(const storm_value *root, const storm_value *rule_id)
{
    if (!storm_v_is_str(rule_id, "init"))
        return false;
    const storm_value *base = storm_v_get(root, "BaseRuntimeMetadata");
    return !base || base->type != STORM_V_OBJECT || (base->u.o.len == 1 && storm_v_get(base, "init"));
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT)
        return false;
    if (storm_v_get(root, "RuleID") || storm_v_get(root, "BaseRuntimeMetadata") ||
        storm_v_get(root, "RuntimeK8sDetails") || storm_v_get(root, "RuntimeProcessDetails"))
        return true;
    return storm_v_get(root, "ts") && is_agent_log(root);
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    ks_reader r = {.a = a, .err = err};
    *skip_type = NULL;
    if (!root || root->type != STORM_V_OBJECT)
        return fail(&r, NULL, root, "expected a JSON object, got %s", root ? ingest_type_name(root->type) : "nothing");
    const storm_value *rule_id = storm_v_get(root, "RuleID");
    if (!rule_id || rule_id->type == STORM_V_NULL) {
        if (!storm_v_get(root, "BaseRuntimeMetadata") && is_agent_log(root)) {
            *skip_type = "kubescape-log";
            return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "node-agent log line, not an alert");
        }
        return fail(&r, NULL, root, "RuleID is missing: not a Kubescape runtime alert");
    }
    if (rule_id->type != STORM_V_STRING)
        return fail(&r, NULL, rule_id, "RuleID: expected a string, got %s", ingest_type_name(rule_id->type));
    if (is_init_placeholder(root, rule_id)) {
        *skip_type = "init";
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, ingest_pos_of(rule_id),
                             "placeholder record (RuleID \"init\", a pipeline's schema seed), not an alert");
    }
    return decode_alert(&r, root, rule_id, out);
}

const storm_decoder storm_decoder_kubescape = {"kubescape", STORM_SENSOR_KUBESCAPE, detect, decode};
