/* SPDX-License-Identifier: Apache-2.0 */
/* Falco decoder: json_output alerts {output, priority, rule, time,
 * output_fields, source?, tags?, hostname?}. Each alert becomes one
 * STORM_EV_ALERT with alert.* and whatever context its output_fields carry
 * (process, parent, files, net, k8s, and audit for k8s_audit alerts); see
 * docs/mapping/falco.md. "internal" metrics snapshots are skipped.
 *
 * The honeycluster's Vector remap (falco_pre in honeystack/vector/
 * gkevalues.yaml) reshapes alerts before Redis: output_fields becomes
 * "interesting", rule/source/priority/tags/hostname are kept, output and time
 * are dropped and Vector's own "timestamp" and an "md5_hash" are added. Those
 * records are read the same way (docs/mapping/vector-ksc.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <storm/time.h>

#include "ingest/decoders.h"
#include "ingest/falco_fields.h"

static storm_rc wrong_type(storm_err *err, const char *key, const storm_value *v, const char *want)
{
    return storm_err_set(err, STORM_ERR_VALUE, v->pos != STORM_POS_NONE ? v->pos : 0, "%s: expected %s, got %s", key,
                         want, ingest_value_name(v));
}

/* Optional top-level member of the given type (absent or null -> NULL). */
static storm_rc top_member(const storm_value *root, const char *key, storm_vtype want, const char *want_text,
                           const storm_value **out, storm_err *err)
{
    const storm_value *v = storm_v_get(root, key);
    *out = NULL;
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != want)
        return wrong_type(err, key, v, want_text);
    *out = v;
    return STORM_OK;
}

static storm_rc top_str(const storm_value *root, const char *key, const char **out, storm_err *err)
{
    const storm_value *v;
    storm_rc rc = top_member(root, key, STORM_V_STRING, "a string", &v, err);
    *out = v ? v->u.s.ptr : NULL;
    return rc;
}

/* storm_time_parse overflows past the years int64 nanoseconds can hold
 * (1678..2261; Kubescape writes year 0001 for "unknown"): refuse those first. */
static bool parse_time(const char *s, size_t len, storm_time_ns *out)
{
    if (len < 4 || memcmp(s, "1678", 4) < 0 || memcmp(s, "2261", 4) > 0)
        return false;
    return storm_time_parse(s, len, STORM_TIME_LENIENT, out);
}

/* Nanoseconds from an integer epoch of unknown unit: Falco writes evt.time
 * in ns, but some published alerts carry microseconds. */
static storm_time_ns epoch_to_ns(int64_t t)
{
    int64_t mul = 1, ns;
    if (t < 100000000000000000LL && t > -100000000000000000LL)
        mul = (t >= 100000000000000LL || t <= -100000000000000LL) ? 1000
              : (t >= 100000000000LL || t <= -100000000000LL)     ? 1000000
                                                                  : 1000000000;
    return __builtin_mul_overflow(t, mul, &ns) ? t : ns;
}

/* "time" (RFC 3339 with ns), else evt.time / evt.time.iso8601 from
 * output_fields. One published alert has "…046Z+2": the part through 'Z'
 * is a complete UTC time, so it is read and the tail ignored. */
static storm_rc read_time(const storm_value *root, falco_fields *f, storm_event *ev, storm_err *err)
{
    const storm_value *t;
    storm_rc rc = top_member(root, "time", STORM_V_STRING, "a string", &t, err);
    if (rc != STORM_OK)
        return rc;
    if (t) {
        const char *z = memchr(t->u.s.ptr, 'Z', t->u.s.len);
        if (parse_time(t->u.s.ptr, t->u.s.len, &ev->time) ||
            (z && parse_time(t->u.s.ptr, (size_t)(z - t->u.s.ptr) + 1, &ev->time))) {
            ev->has_time = true;
            return STORM_OK;
        }
    }
    static const char *const keys[] = {"evt.time", "evt.time.iso8601", "evt.rawtime"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const storm_value *v = storm_v_get(f->map, keys[i]);
        if (v && v->type == STORM_V_INT) {
            ev->time = epoch_to_ns(v->u.i);
            ev->has_time = true;
            return STORM_OK;
        }
    }
    if (t)
        return storm_err_set(err, STORM_ERR_VALUE, t->pos != STORM_POS_NONE ? t->pos : 0,
                             "time: \"%.40s\" is not an RFC 3339 timestamp", t->u.s.ptr);
    /* a Vector-reshaped alert: the shipper's read time, the nearest there is */
    const storm_value *vt;
    if ((rc = top_member(root, "timestamp", STORM_V_STRING, "a string", &vt, err)) != STORM_OK)
        return rc;
    if (vt) {
        if (!parse_time(vt->u.s.ptr, vt->u.s.len, &ev->time))
            return storm_err_set(err, STORM_ERR_VALUE, vt->pos != STORM_POS_NONE ? vt->pos : 0,
                                 "timestamp: \"%.40s\" is not an RFC 3339 timestamp", vt->u.s.ptr);
        ev->has_time = true;
    }
    return STORM_OK;
}

static storm_rc read_alert(const storm_value *root, storm_event *ev, storm_err *err)
{
    storm_alert_info *al = &ev->alert;
    storm_rc rc;
    if ((rc = top_str(root, "rule", &al->rule, err)) != STORM_OK ||
        (rc = top_str(root, "priority", &al->severity, err)) != STORM_OK ||
        (rc = top_str(root, "output", &al->message, err)) != STORM_OK ||
        (rc = top_str(root, "source", &al->source, err)) != STORM_OK ||
        (rc = top_member(root, "tags", STORM_V_ARRAY, "an array", &al->tags, err)) != STORM_OK)
        return rc;
    if (!al->rule)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "rule is missing: not a Falco alert");
    for (size_t i = 0; al->tags && i < al->tags->u.a.len; i++) {
        const storm_value *tag = al->tags->u.a.items[i];
        if (tag->type != STORM_V_STRING)
            return storm_err_set(err, STORM_ERR_VALUE, tag->pos != STORM_POS_NONE ? tag->pos : 0,
                                 "tags[%zu]: expected a string, got %s", i, ingest_type_name(tag->type));
    }
    al->present = true;
    return STORM_OK;
}

static const char *const ns_keys[] = {"k8s.ns.name", "k8smeta.ns.name", NULL};
static const char *const pod_keys[] = {"k8s.pod.name", "k8smeta.pod.name", NULL};
static const char *const node_keys[] = {"k8smeta.node.name", "k8s.node.name", NULL};
static const char *const image_id_keys[] = {"container.image.digest", "container.image.id", NULL};

/* The owning workload: the first of these that has a value. */
static const struct {
    const char *key, *kind;
} workload_fields[] = {
    {"k8smeta.deployment.name", "Deployment"},
    {"k8s.deployment.name", "Deployment"},
    {"k8smeta.daemonset.name", "DaemonSet"},
    {"k8smeta.statefulset.name", "StatefulSet"},
    {"k8smeta.job.name", "Job"},
    {"k8smeta.cronjob.name", "CronJob"},
    {"k8smeta.rs.name", "ReplicaSet"},
    {"k8s.rs.name", "ReplicaSet"},
    {"k8s.rc.name", "ReplicationController"},
};

static storm_rc read_image(falco_fields *f, storm_k8s_ctx *k)
{
    const char *image, *repo, *tag;
    storm_rc rc;
    if ((rc = falco_field_str(f, "container.image", &image)) != STORM_OK ||
        (rc = falco_field_str(f, "container.image.repository", &repo)) != STORM_OK ||
        (rc = falco_field_str(f, "container.image.tag", &tag)) != STORM_OK ||
        (rc = falco_field_str_any(f, image_id_keys, &k->image_id)) != STORM_OK)
        return rc;
    if (image) {
        k->image = image;
    } else if (repo && tag && *tag) {
        if (!(k->image = storm_arena_printf(f->a, "%s:%s", repo, tag)))
            return storm_err_set(f->err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Falco alert");
    } else {
        k->image = repo;
    }
    return STORM_OK;
}

static storm_rc read_k8s(const storm_value *root, falco_fields *f, storm_event *ev, storm_err *err)
{
    storm_k8s_ctx *k = &ev->k8s;
    storm_rc rc;
    const char *hostname, *container_id;
    if ((rc = falco_field_str_any(f, ns_keys, &k->namespace_)) != STORM_OK ||
        (rc = falco_field_str_any(f, pod_keys, &k->pod)) != STORM_OK ||
        (rc = falco_field_str_any(f, node_keys, &k->node)) != STORM_OK ||
        (rc = falco_field_str(f, "container.name", &k->container)) != STORM_OK ||
        (rc = falco_field_str(f, "container.id", &container_id)) != STORM_OK || (rc = read_image(f, k)) != STORM_OK)
        return rc;
    /* Falco says "host" for processes outside any container */
    k->container_id = container_id && strcmp(container_id, "host") != 0 ? container_id : NULL;
    if (k->container && strcmp(k->container, "host") == 0 && !k->container_id)
        k->container = NULL;
    for (size_t i = 0; i < sizeof workload_fields / sizeof workload_fields[0] && !k->workload; i++) {
        if ((rc = falco_field_str(f, workload_fields[i].key, &k->workload)) != STORM_OK)
            return rc;
        if (k->workload)
            k->workload_kind = workload_fields[i].kind;
    }
    if ((rc = top_str(root, "hostname", &hostname, err)) != STORM_OK)
        return rc;
    /* hostname is the node for syscall alerts (the Helm chart sets it to the
     * node name); a k8s_audit alert's hostname is the Falco pod, not a node */
    if (!k->node && hostname && !(ev->alert.source && strcmp(ev->alert.source, "k8s_audit") == 0))
        k->node = hostname;
    return STORM_OK;
}

/* ka.* fields (k8s_audit source) -> audit. */
static storm_rc read_audit(falco_fields *f, storm_event *ev)
{
    storm_audit_info *au = &ev->audit;
    struct {
        const char *key;
        const char **out;
    } fields[] = {
        {"ka.auditid", &au->audit_id},
        {"ka.stage", &au->stage},
        {"ka.verb", &au->verb},
        {"ka.uri", &au->request_uri},
        {"ka.user.name", &au->user},
        {"ka.target.resource", &au->resource},
        {"ka.target.subresource", &au->subresource},
        {"ka.target.namespace", &au->object_namespace},
        {"ka.target.name", &au->object_name},
        {"ka.useragent", &au->user_agent},
        {"ka.auth.decision", &au->decision},
        {"ka.auth.reason", &au->reason},
    };
    storm_rc rc;
    bool any = false;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if ((rc = falco_field_str(f, fields[i].key, fields[i].out)) != STORM_OK)
            return rc;
        any |= *fields[i].out != NULL;
    }
    if ((rc = falco_field_int(f, "ka.response.code", &au->has_code, &au->code)) != STORM_OK)
        return rc;
    au->present = any || au->has_code;
    if (!au->present)
        return STORM_OK;
    if (!ev->k8s.namespace_)
        ev->k8s.namespace_ = au->object_namespace;
    if (!ev->k8s.pod && au->resource && strcmp(au->resource, "pods") == 0)
        ev->k8s.pod = au->object_name;
    return STORM_OK;
}

static bool is_metrics(const storm_value *root)
{
    return storm_v_is_str(storm_v_get(root, "source"), "internal") ||
           storm_v_is_str(storm_v_get(root, "rule"), "Falco internal: metrics snapshot");
}

static storm_rc decode_alert(storm_arena *a, const storm_value *root, storm_event_list *out, storm_err *err)
{
    falco_fields f = {.a = a, .err = err};
    storm_rc rc = top_member(root, "output_fields", STORM_V_OBJECT, "an object", &f.map, err);
    if (rc == STORM_OK && !storm_v_get(root, "output_fields"))
        rc = top_member(root, "interesting", STORM_V_OBJECT, "an object", &f.map, err); /* Vector-reshaped */
    if (rc != STORM_OK)
        return rc;
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_FALCO;
    ev.kind = STORM_EV_ALERT;
    ev.raw = root;
    if ((rc = read_alert(root, &ev, err)) != STORM_OK)
        return rc;
    ev.type = ev.alert.source ? ev.alert.source : "alert";
    ev.alert.fields = f.map;
    if ((rc = read_time(root, &f, &ev, err)) != STORM_OK || (rc = read_k8s(root, &f, &ev, err)) != STORM_OK ||
        (rc = falco_read_process(&f, &ev)) != STORM_OK || (rc = falco_read_fd(&f, &ev)) != STORM_OK ||
        (rc = read_audit(&f, &ev)) != STORM_OK)
        return rc;
    storm_event *slot = storm_event_list_add(a, out);
    if (!slot)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Falco alert");
    *slot = ev;
    return STORM_OK;
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT || !storm_v_get(root, "rule"))
        return false;
    return storm_v_get(root, "output_fields") || (storm_v_get(root, "priority") && storm_v_get(root, "output")) ||
           (storm_v_get(root, "interesting") && storm_v_get(root, "priority"));
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    *skip_type = NULL;
    if (!root || root->type != STORM_V_OBJECT)
        return storm_err_set(err, STORM_ERR_VALUE, root && root->pos != STORM_POS_NONE ? root->pos : 0,
                             "expected a JSON object, got %s", root ? ingest_type_name(root->type) : "nothing");
    if (is_metrics(root)) {
        *skip_type = "falco-metrics";
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "internal metrics snapshot, not an alert");
    }
    return decode_alert(a, root, out, err);
}

const storm_decoder storm_decoder_falco = {"falco", STORM_SENSOR_FALCO, detect, decode};
