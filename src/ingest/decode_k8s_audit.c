/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes audit decoder: audit.k8s.io (v1, v1beta1, or no apiVersion at
 * all on older lines) Event records and the EventList batches that the API
 * server's webhook backend posts (one record -> many events). Each Event
 * becomes one STORM_EV_API_REQUEST; docs/mapping/k8s-audit.md lists every
 * field. Types are checked everywhere: a field of the wrong type is a
 * STORM_ERR_VALUE at its byte offset, never a guess. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <storm/time.h>

#include "decoders.h"
#include "k8s_audit_summary.h"

typedef struct audit_reader {
    storm_arena *a;
    storm_err *err;
    char prefix[32]; /* "items[N]." inside an EventList, else "" */
} audit_reader;

static storm_rc fail(audit_reader *r, const storm_value *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static storm_rc fail(audit_reader *r, const storm_value *at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return storm_err_set(r->err, STORM_ERR_VALUE, ingest_pos_of(at), "%s%s", r->prefix, msg);
}

static storm_rc nomem(audit_reader *r)
{
    return storm_err_set(r->err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Kubernetes audit event");
}

static storm_rc wrong_type(audit_reader *r, const char *parent, const char *key, const storm_value *v, const char *want)
{
    return fail(r, v, "%s%s%s: expected %s, got %s", parent ? parent : "", parent ? "." : "", key, want,
                ingest_value_name(v));
}

/* Optional member of an expected type: absent or null -> *out = NULL. */
static storm_rc opt_member(audit_reader *r, const storm_value *obj, const char *parent, const char *key,
                           storm_vtype want, const storm_value **out)
{
    const storm_value *v = storm_v_get(obj, key);
    *out = NULL;
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != want)
        return wrong_type(r, parent, key, v,
                          want == STORM_V_STRING   ? "a string"
                          : want == STORM_V_OBJECT ? "an object"
                          : want == STORM_V_ARRAY  ? "an array"
                                                   : "an integer");
    *out = v;
    return STORM_OK;
}

static storm_rc opt_str(audit_reader *r, const storm_value *obj, const char *parent, const char *key, const char **out)
{
    const storm_value *v;
    storm_rc rc = opt_member(r, obj, parent, key, STORM_V_STRING, &v);
    *out = v ? v->u.s.ptr : NULL;
    return rc;
}

/* An array whose items must all be strings (sourceIPs, groups). */
static storm_rc opt_str_array(audit_reader *r, const storm_value *obj, const char *parent, const char *key,
                              const storm_value **out)
{
    storm_rc rc = opt_member(r, obj, parent, key, STORM_V_ARRAY, out);
    if (rc != STORM_OK || !*out)
        return rc;
    for (size_t i = 0; i < (*out)->u.a.len; i++) {
        const storm_value *item = (*out)->u.a.items[i];
        if (item->type != STORM_V_STRING)
            return fail(r, item, "%s%s%s[%zu]: expected a string, got %s", parent ? parent : "", parent ? "." : "", key,
                        i, ingest_type_name(item->type));
    }
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

/* The first present timestamp among the audit event's time fields: when
 * the API server received the request, else when the stage was reached,
 * else the older top-level and metadata timestamps. */
static storm_rc read_time(audit_reader *r, const storm_value *root, storm_event *ev)
{
    const storm_value *meta;
    storm_rc rc = opt_member(r, root, NULL, "metadata", STORM_V_OBJECT, &meta);
    if (rc != STORM_OK)
        return rc;
    static const char *const keys[] = {"requestReceivedTimestamp", "stageTimestamp", "timestamp"};
    const storm_value *found = NULL;
    const char *found_name = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !found; i++) {
        if ((rc = opt_member(r, root, NULL, keys[i], STORM_V_STRING, &found)) != STORM_OK)
            return rc;
        found_name = keys[i];
    }
    if (!found && meta) {
        if ((rc = opt_member(r, meta, "metadata", "creationTimestamp", STORM_V_STRING, &found)) != STORM_OK)
            return rc;
        found_name = "metadata.creationTimestamp";
    }
    if (!found)
        return STORM_OK;
    if (!parse_time(found->u.s.ptr, found->u.s.len, &ev->time))
        return fail(r, found, "%s: \"%.40s\" is not an RFC 3339 timestamp", found_name, found->u.s.ptr);
    ev->has_time = true;
    return STORM_OK;
}

static storm_rc read_object_ref(audit_reader *r, const storm_value *root, storm_audit_info *au)
{
    const storm_value *ref;
    storm_rc rc = opt_member(r, root, NULL, "objectRef", STORM_V_OBJECT, &ref);
    if (rc != STORM_OK || !ref)
        return rc;
    struct {
        const char *key;
        const char **out;
    } fields[] = {
        {"resource", &au->resource}, {"subresource", &au->subresource}, {"namespace", &au->object_namespace},
        {"name", &au->object_name},  {"apiGroup", &au->api_group},      {"apiVersion", &au->api_version},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((rc = opt_str(r, ref, "objectRef", fields[i].key, fields[i].out)) != STORM_OK)
            return rc;
    return STORM_OK;
}

static storm_rc read_user(audit_reader *r, const storm_value *root, storm_audit_info *au, storm_value *summary)
{
    const storm_value *user;
    storm_rc rc = opt_member(r, root, NULL, "user", STORM_V_OBJECT, &user);
    if (rc != STORM_OK)
        return rc;
    if (user) {
        if ((rc = opt_str(r, user, "user", "username", &au->user)) != STORM_OK ||
            (rc = opt_str(r, user, "user", "uid", &au->user_uid)) != STORM_OK ||
            (rc = opt_str_array(r, user, "user", "groups", &au->groups)) != STORM_OK)
            return rc;
    }
    const storm_value *imp;
    if ((rc = opt_member(r, root, NULL, "impersonatedUser", STORM_V_OBJECT, &imp)) != STORM_OK)
        return rc;
    if (imp) {
        const char *name;
        if ((rc = opt_str(r, imp, "impersonatedUser", "username", &name)) != STORM_OK)
            return rc;
        if (storm_v_set_str(r->a, summary, "impersonated_user", name) != 0)
            return nomem(r);
    }
    return STORM_OK;
}

static storm_rc read_response(audit_reader *r, const storm_value *root, storm_audit_info *au)
{
    const storm_value *status, *code;
    storm_rc rc = opt_member(r, root, NULL, "responseStatus", STORM_V_OBJECT, &status);
    if (rc != STORM_OK || !status)
        return rc;
    if ((rc = opt_member(r, status, "responseStatus", "code", STORM_V_INT, &code)) != STORM_OK)
        return rc;
    if (code) {
        au->has_code = true;
        au->code = code->u.i;
    }
    return STORM_OK;
}

static storm_rc read_annotations(audit_reader *r, const storm_value *root, storm_audit_info *au)
{
    const storm_value *ann;
    storm_rc rc = opt_member(r, root, NULL, "annotations", STORM_V_OBJECT, &ann);
    if (rc != STORM_OK || !ann)
        return rc;
    if ((rc = opt_str(r, ann, "annotations", "authorization.k8s.io/decision", &au->decision)) != STORM_OK)
        return rc;
    return opt_str(r, ann, "annotations", "authorization.k8s.io/reason", &au->reason);
}

/* Where it happened: the namespace of the object, and for pod requests the
 * pod (and, when one can tell, its container, image and labels). */
static storm_rc fill_context(audit_reader *r, storm_event *ev, storm_value *summary)
{
    storm_audit_info *au = &ev->audit;
    ev->k8s.namespace_ = au->object_namespace;
    const storm_value *spec = k8s_audit_pod_spec(au->request_object);
    const storm_value *spec_owner = au->request_object;
    if (!spec) {
        spec = k8s_audit_pod_spec(au->response_object);
        spec_owner = au->response_object;
    }
    if (spec && k8s_audit_summarize_pod_spec(r->a, spec, summary) != 0)
        return nomem(r);
    if (!au->resource || strcmp(au->resource, "pods") != 0)
        return STORM_OK;
    const storm_value *meta = storm_v_get(spec_owner, "metadata");
    ev->k8s.pod = au->object_name ? au->object_name : storm_v_get_str(meta, "name");
    /* a create with generateName: the server's response names the pod */
    if (!ev->k8s.pod && storm_v_is_str(storm_v_get(au->response_object, "kind"), "Pod"))
        ev->k8s.pod = storm_v_get_str(storm_v_get(au->response_object, "metadata"), "name");
    const storm_value *labels = storm_v_get(meta, "labels");
    if (labels && labels->type == STORM_V_OBJECT)
        ev->k8s.labels = labels;
    if (au->subresource && (strcmp(au->subresource, "exec") == 0 || strcmp(au->subresource, "attach") == 0)) {
        if (k8s_audit_summarize_exec_uri(r->a, au->request_uri, summary, &ev->k8s.container) != 0)
            return nomem(r);
        return STORM_OK;
    }
    /* a single-container pod names its container and image unambiguously */
    const storm_value *containers = spec ? storm_v_get(spec, "containers") : NULL;
    if (containers && containers->u.a.len == 1) {
        ev->k8s.container = storm_v_get_str(containers->u.a.items[0], "name");
        ev->k8s.image = storm_v_get_str(containers->u.a.items[0], "image");
    }
    return STORM_OK;
}

static storm_rc decode_event(audit_reader *r, const storm_value *root, storm_event_list *out)
{
    const char *verb;
    storm_rc rc = opt_str(r, root, NULL, "verb", &verb);
    if (rc != STORM_OK)
        return rc;
    if (!verb)
        return fail(r, root, "verb is missing: not a Kubernetes audit event");
    storm_event *ev = storm_event_list_add(r->a, out);
    storm_value *summary = storm_v_object(r->a);
    if (!ev || !summary)
        return nomem(r);
    ev->sensor = STORM_SENSOR_K8S_AUDIT;
    ev->kind = STORM_EV_API_REQUEST;
    ev->type = "Event";
    ev->raw = root;
    storm_audit_info *au = &ev->audit;
    au->present = true;
    au->verb = verb;
    struct {
        const char *key;
        const char **out;
    } fields[] = {
        {"auditID", &au->audit_id},       {"stage", &au->stage},          {"level", &au->level},
        {"requestURI", &au->request_uri}, {"userAgent", &au->user_agent},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((rc = opt_str(r, root, NULL, fields[i].key, fields[i].out)) != STORM_OK)
            return rc;
    if ((rc = opt_str_array(r, root, NULL, "sourceIPs", &au->source_ips)) != STORM_OK)
        return rc;
    if (au->source_ips && au->source_ips->u.a.len)
        au->source_ip = au->source_ips->u.a.items[0]->u.s.ptr;
    /* requestObject/responseObject are free-form, but must be objects when given */
    if ((rc = opt_member(r, root, NULL, "requestObject", STORM_V_OBJECT, &au->request_object)) != STORM_OK ||
        (rc = opt_member(r, root, NULL, "responseObject", STORM_V_OBJECT, &au->response_object)) != STORM_OK)
        return rc;
    if ((rc = read_object_ref(r, root, au)) != STORM_OK || (rc = read_user(r, root, au, summary)) != STORM_OK ||
        (rc = read_response(r, root, au)) != STORM_OK || (rc = read_annotations(r, root, au)) != STORM_OK ||
        (rc = read_time(r, root, ev)) != STORM_OK || (rc = fill_context(r, ev, summary)) != STORM_OK)
        return rc;
    if (summary->u.o.len)
        ev->alert.fields = summary; /* alert.present stays false: this is derived request data */
    return STORM_OK;
}

/* apiVersion, when given, must name the audit group. */
static storm_rc check_api_version(audit_reader *r, const storm_value *root)
{
    const char *api;
    storm_rc rc = opt_str(r, root, NULL, "apiVersion", &api);
    if (rc != STORM_OK || !api)
        return rc;
    if (strncmp(api, "audit.k8s.io/", 13) != 0)
        return fail(r, storm_v_get(root, "apiVersion"), "apiVersion \"%.60s\" is not audit.k8s.io/*", api);
    return STORM_OK;
}

static storm_rc decode_list(audit_reader *r, const storm_value *root, storm_event_list *out)
{
    const storm_value *items;
    storm_rc rc = opt_member(r, root, NULL, "items", STORM_V_ARRAY, &items);
    if (rc != STORM_OK || !items)
        return rc; /* Go writes an empty list as "items": null */
    for (size_t i = 0; i < items->u.a.len; i++) {
        const storm_value *item = items->u.a.items[i];
        snprintf(r->prefix, sizeof r->prefix, "items[%zu].", i);
        if (item->type != STORM_V_OBJECT)
            return fail(r, item, "expected an object, got %s", ingest_type_name(item->type));
        const storm_value *kind = storm_v_get(item, "kind");
        if (kind && !storm_v_is_str(kind, "Event"))
            return fail(r, kind, "kind: an EventList holds only \"Event\" items");
        if ((rc = check_api_version(r, item)) != STORM_OK || (rc = decode_event(r, item, out)) != STORM_OK)
            return rc;
        out->items[out->n - 1].batch_item = true;
    }
    r->prefix[0] = '\0';
    return STORM_OK;
}

static storm_rc decode_record(audit_reader *r, const storm_value *root, storm_event_list *out)
{
    storm_rc rc = check_api_version(r, root);
    if (rc != STORM_OK)
        return rc;
    const storm_value *kind = storm_v_get(root, "kind");
    if (!kind)
        return decode_event(r, root, out);
    if (kind->type != STORM_V_STRING)
        return fail(r, kind, "kind: expected the string \"Event\" or \"EventList\", got %s",
                    ingest_type_name(kind->type));
    if (storm_v_is_str(kind, "Event"))
        return decode_event(r, root, out);
    if (storm_v_is_str(kind, "EventList"))
        return decode_list(r, root, out);
    return fail(r, kind, "kind \"%.60s\" is not an audit Event or EventList", kind->u.s.ptr);
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT)
        return false;
    const storm_value *kind = storm_v_get(root, "kind");
    if (kind && kind->type == STORM_V_STRING)
        return storm_v_is_str(kind, "Event") || storm_v_is_str(kind, "EventList");
    /* a non-string kind is a broken audit record (Falco's {"kind": 0}
     * regression fixture): claim it so that decode reports why */
    if (kind)
        return true;
    const char *api = storm_v_get_str(root, "apiVersion");
    if (api)
        return strncmp(api, "audit.k8s.io/", 13) == 0;
    return storm_v_get(root, "auditID") && storm_v_get(root, "verb");
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    audit_reader r = {.a = a, .err = err};
    *skip_type = NULL;
    if (!root || root->type != STORM_V_OBJECT)
        return fail(&r, root, "expected a JSON object, got %s", root ? ingest_type_name(root->type) : "nothing");
    size_t n_before = out->n;
    storm_rc rc = decode_record(&r, root, out);
    if (rc != STORM_OK)
        out->n = n_before; /* a bad batch item rejects the whole record: no half-converted batches */
    return rc;
}

const storm_decoder storm_decoder_k8s_audit = {"k8s-audit", STORM_SENSOR_K8S_AUDIT, detect, decode};
