/* SPDX-License-Identifier: Apache-2.0 */
/* The extension-definitions Storm publishes and Storm's identity. Every
 * Storm-specific property is a top-level x_<group>_<name> property declared
 * by one of these toplevel-property-extension definitions (docs/mapping.md,
 * "The observation model"). The ids are fixed: the same in every
 * installation, so that shared intelligence from two clusters agrees. */
#include <string.h>

#include "stix_int.h"

/* Fixed creation time of the definitions and the identity. */
#define STORM_STIX_META_TIME "2026-01-01T00:00:00.000Z"
/* A definition's new version (its schema became a JSON Schema) needs a later
 * modified; created stays, the id too (STIX 2.1 section 3.6). */
#define STORM_STIX_EXT_MODIFIED "2026-12-07T00:00:00.000Z"

static const char *const K8S_PROPS[] = {"x_k8s_cluster",   "x_k8s_node",          "x_k8s_namespace", "x_k8s_pod",
                                        "x_k8s_container", "x_k8s_container_id",  "x_k8s_image",     "x_k8s_image_id",
                                        "x_k8s_workload",  "x_k8s_workload_kind", "x_k8s_labels",    NULL};
static const char *const PROC_PROPS[] = {
    "x_proc_uid",       "x_proc_gid",     "x_proc_auid",           "x_proc_tid",   "x_proc_name", "x_proc_binary",
    "x_proc_arguments", "x_proc_exec_id", "x_proc_parent_exec_id", "x_proc_extra", NULL};
static const char *const HOOK_PROPS[] = {"x_hook_kind",          "x_hook_name", "x_hook_policy", "x_hook_action",
                                         "x_hook_return_action", "x_hook_args", "x_hook_return", "x_hook_message",
                                         "x_hook_tags",          NULL};
static const char *const AUDIT_PROPS[] = {"x_audit_verb",
                                          "x_audit_resource",
                                          "x_audit_subresource",
                                          "x_audit_api_group",
                                          "x_audit_api_version",
                                          "x_audit_namespace",
                                          "x_audit_name",
                                          "x_audit_user",
                                          "x_audit_user_groups",
                                          "x_audit_code",
                                          "x_audit_decision",
                                          "x_audit_reason",
                                          "x_audit_uri",
                                          "x_audit_user_agent",
                                          "x_audit_stage",
                                          "x_audit_level",
                                          "x_audit_id",
                                          "x_audit_request_object",
                                          NULL};
static const char *const ALERT_PROPS[] = {"x_alert_rule",   "x_alert_rule_id", "x_alert_severity", "x_alert_message",
                                          "x_alert_source", "x_alert_tags",    "x_alert_fields",   NULL};
static const char *const NET_PROPS[] = {"x_net_direction", "x_net_verdict", "x_net_state", "x_net_family",
                                        "x_net_dns_name",  "x_net_extra",   NULL};
static const char *const FILE_PROPS[] = {"x_file_path", NULL};
static const char *const STORM_PROPS[] = {"x_storm_sensor", "x_storm_event_type", NULL};
static const char *const APP_PROPS[] = {
    "x_app_program",     "x_app_message",     "x_app_auth_user",  "x_app_auth_result",
    "x_app_auth_method", "x_app_http_status", "x_app_http_bytes", NULL};

static const storm_stix_ext_info EXTS[STORM_STIX_EXT__COUNT] = {
    [STORM_STIX_EXT_K8S] = {"extension-definition--792bd6e5-c4b4-40ca-ad6b-d2bd57312470", "storm-k8s-context",
                            "Kubernetes context of an observed object: node, namespace, pod, container, image, "
                            "owning workload and pod labels (x_k8s_*).",
                            K8S_PROPS},
    [STORM_STIX_EXT_PROC] = {"extension-definition--42fbc098-03bc-433c-b0d6-0c1f413ed05e", "storm-process",
                             "Process details STIX has no property for: credentials, short name, binary path, "
                             "the sensor's process key and further sensor fields (x_proc_*).",
                             PROC_PROPS},
    [STORM_STIX_EXT_HOOK] = {"extension-definition--88d99ecf-d282-4c97-af91-8617603c6966", "storm-kernel-hook",
                             "A kernel or user-space hook hit by the process (kprobe, tracepoint, LSM, uprobe): "
                             "hook name, policy, action, positional arguments and return value (x_hook_*).",
                             HOOK_PROPS},
    [STORM_STIX_EXT_AUDIT] = {"extension-definition--aa081060-375d-4908-8022-f57ba1f72eb7", "storm-k8s-api-request",
                              "A Kubernetes API request from the audit log: verb, resource, object, user, "
                              "response code and authorization decision (x_audit_*).",
                              AUDIT_PROPS},
    [STORM_STIX_EXT_ALERT] = {"extension-definition--6bac9b7d-b304-474e-b89f-b5f6750ba599", "storm-sensor-alert",
                              "A rule alert raised by a sensor (Falco, Kubescape): rule, severity, message and "
                              "the sensor's own fields (x_alert_*).",
                              ALERT_PROPS},
    [STORM_STIX_EXT_NET] = {"extension-definition--67ec57bb-a4e4-40c9-9339-93e95bcb1104", "storm-network-flow",
                            "Flow details STIX has no property for: direction, verdict, socket state, address "
                            "family, DNS name and further sensor fields (x_net_*).",
                            NET_PROPS},
    [STORM_STIX_EXT_FILE] = {"extension-definition--4bfc2c0e-35ee-4b60-a81a-422cb30a0ac8", "storm-file-path",
                             "The full path of a file as the sensor reported it (x_file_path).", FILE_PROPS},
    [STORM_STIX_EXT_STORM] = {"extension-definition--541aaaaf-8309-47bd-97bb-77e3b324e519", "storm-event-origin",
                              "Which sensor and which sensor event type an observation comes from "
                              "(x_storm_*).",
                              STORM_PROPS},
    [STORM_STIX_EXT_APP] = {"extension-definition--8e6ecae4-bb27-481d-9f8e-1531f1817b71", "storm-app-log",
                            "What an entry point's own log line says (an SSH server, an HTTP server): the "
                            "program, the message, the account an authentication named and its outcome, the "
                            "HTTP response status and size (x_app_*).",
                            APP_PROPS},
};

/* JSON Schema (draft 2020-12) of each property's value, for the "schema"
 * of the definitions: what a program validating Storm's objects needs
 * (docs/mapping.md, "Every pattern path", gives the meaning). A property not
 * listed is a string. The dictionaries hold sensor fields under keys mapped
 * as STIX dictionary keys (build.c). Kept small: the definitions travel in
 * every bundle. */
#define JS_STRING "{\"type\":\"string\"}"
#define JS_INT "{\"type\":\"integer\"}"
#define JS_STRINGS "{\"type\":\"array\",\"minItems\":1,\"items\":" JS_STRING "}"
#define JS_DICT "{\"type\":\"object\",\"minProperties\":1,\"propertyNames\":{\"pattern\":\"^[a-z0-9_-]{3,250}$\"}}"
static const struct {
    const char *name, *schema;
} PROP_SCHEMAS[] = {
    {"x_k8s_labels", JS_STRINGS},
    {"x_proc_uid", JS_INT},
    {"x_proc_gid", JS_INT},
    {"x_proc_auid", JS_INT},
    {"x_proc_tid", JS_INT},
    {"x_proc_extra", JS_DICT},
    /* positional arguments: the sensor's type, the policy's label, the value
     * of a scalar argument, the path of a file argument, and the fields of a
     * structured one */
    {"x_hook_args", "{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"object\",\"properties\":{"
                    "\"type\":" JS_STRING ",\"label\":" JS_STRING ",\"path\":" JS_STRING "}}}"},
    {"x_hook_return", "{\"type\":\"object\",\"minProperties\":1,\"properties\":{\"type\":" JS_STRING "}}"},
    {"x_hook_tags", JS_STRINGS},
    {"x_audit_user_groups", JS_STRINGS},
    {"x_audit_code", JS_INT},
    {"x_audit_request_object", JS_DICT},
    {"x_alert_tags", JS_STRINGS},
    {"x_alert_fields", JS_DICT},
    {"x_net_extra", JS_DICT},
    {"x_app_http_status", JS_INT},
    {"x_app_http_bytes", JS_INT},
    /* the names observe.c's sensor_text writes */
    {"x_storm_sensor", "{\"enum\":[\"tetragon\",\"k8s-audit\",\"falco\",\"kubescape\",\"hubble\","
                       "\"sshd\",\"http-access\",\"unknown\"]}"},
};

static const char *prop_schema(const char *name)
{
    for (size_t i = 0; i < sizeof PROP_SCHEMAS / sizeof PROP_SCHEMAS[0]; i++)
        if (strcmp(PROP_SCHEMAS[i].name, name) == 0)
            return PROP_SCHEMAS[i].schema;
    return JS_STRING;
}

/* The JSON Schema text of definition x: an object schema over the
 * properties it adds at the top level (the object's other properties are
 * STIX's own, so additional properties stay allowed). Built into out. */
static storm_rc ext_schema(storm_buf *out, const storm_stix_ext_info *x)
{
    storm_rc rc = storm_buf_printf(out,
                                   "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
                                   "\"title\":\"%s\",\"type\":\"object\",\"properties\":{",
                                   x->name);
    for (const char *const *p = x->properties; *p && !rc; p++)
        rc = storm_buf_printf(out, "%s\"%s\":%s", p == x->properties ? "" : ",", *p, prop_schema(*p));
    return rc ? rc : storm_buf_puts(out, "}}");
}

const storm_stix_ext_info *storm_stix_ext_get(storm_stix_ext e)
{
    return (unsigned)e < STORM_STIX_EXT__COUNT ? &EXTS[e] : NULL;
}

int storm_stix_ext_of_property(const char *name, size_t len)
{
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        for (const char *const *p = EXTS[e].properties; *p; p++)
            if (strlen(*p) == len && memcmp(*p, name, len) == 0)
                return e;
    return -1;
}

static bool ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

unsigned storm_stix_ext_mask_of_pattern(const char *pattern)
{
    unsigned mask = 0;
    for (size_t i = 0; pattern && pattern[i]; i++) {
        if (pattern[i] != 'x') { /* to the next 'x' at once: a pattern is mostly other text */
            const char *x = strchr(pattern + i, 'x');
            if (!x)
                break;
            i = (size_t)(x - pattern);
        }
        if (pattern[i + 1] != '_' || (i && ident_char(pattern[i - 1])))
            continue;
        size_t n = 2;
        while (ident_char(pattern[i + n]))
            n++;
        int e = storm_stix_ext_of_property(pattern + i, n);
        if (e >= 0)
            mask |= 1u << e;
        i += n - 1;
    }
    return mask;
}

#define SCO_COMMON "type", "spec_version", "id", "extensions"
#define K8S_LIST                                                                                                       \
    "x_k8s_cluster", "x_k8s_node", "x_k8s_namespace", "x_k8s_pod", "x_k8s_container", "x_k8s_container_id",            \
        "x_k8s_image", "x_k8s_image_id", "x_k8s_workload", "x_k8s_workload_kind", "x_k8s_labels"
#define HOOK_LIST                                                                                                      \
    "x_hook_kind", "x_hook_name", "x_hook_policy", "x_hook_action", "x_hook_return_action", "x_hook_args",             \
        "x_hook_return", "x_hook_message", "x_hook_tags"
#define ALERT_LIST                                                                                                     \
    "x_alert_rule", "x_alert_rule_id", "x_alert_severity", "x_alert_message", "x_alert_source", "x_alert_tags",        \
        "x_alert_fields"
#define AUDIT_LIST                                                                                                     \
    "x_audit_verb", "x_audit_resource", "x_audit_subresource", "x_audit_api_group", "x_audit_api_version",             \
        "x_audit_namespace", "x_audit_name", "x_audit_user", "x_audit_user_groups", "x_audit_code",                    \
        "x_audit_decision", "x_audit_reason", "x_audit_uri", "x_audit_user_agent", "x_audit_stage", "x_audit_level",   \
        "x_audit_id", "x_audit_request_object"
#define NET_LIST "x_net_direction", "x_net_verdict", "x_net_state", "x_net_family", "x_net_dns_name", "x_net_extra"
#define APP_LIST                                                                                                       \
    "x_app_program", "x_app_message", "x_app_auth_user", "x_app_auth_result", "x_app_auth_method",                     \
        "x_app_http_status", "x_app_http_bytes"

static const char *const KNOWN_PROCESS[] = {SCO_COMMON,
                                            "pid",
                                            "cwd",
                                            "command_line",
                                            "created_time",
                                            "image_ref",
                                            "parent_ref",
                                            "creator_user_ref",
                                            "environment_variables",
                                            "opened_connection_refs",
                                            "x_proc_uid",
                                            "x_proc_gid",
                                            "x_proc_auid",
                                            "x_proc_tid",
                                            "x_proc_name",
                                            "x_proc_binary",
                                            "x_proc_arguments",
                                            "x_proc_exec_id",
                                            "x_proc_parent_exec_id",
                                            "x_proc_extra",
                                            K8S_LIST,
                                            HOOK_LIST,
                                            ALERT_LIST,
                                            AUDIT_LIST,
                                            NET_LIST,
                                            APP_LIST,
                                            NULL};
static const char *const KNOWN_NT[] = {SCO_COMMON, "start",     "src_ref", "dst_ref",  "src_port",
                                       "dst_port", "protocols", NET_LIST,  AUDIT_LIST, K8S_LIST,
                                       HOOK_LIST,  ALERT_LIST,  APP_LIST,  NULL};
static const char *const KNOWN_FILE[] = {SCO_COMMON, "name", "parent_directory_ref", "x_file_path", NULL};
static const char *const KNOWN_DIR[] = {SCO_COMMON, "path", NULL};
static const char *const KNOWN_ADDR[] = {SCO_COMMON, "value", NULL};
static const char *const KNOWN_DOMAIN[] = {SCO_COMMON, "value", "resolves_to_refs", NULL};
static const char *const KNOWN_USER[] = {SCO_COMMON, "user_id", "account_type", "account_login", NULL};
static const char *const KNOWN_SOFTWARE[] = {SCO_COMMON, "name", NULL};

const char *const *storm_stix_known_properties(const char *type)
{
    static const struct {
        const char *type;
        const char *const *props;
    } known[] = {{"process", KNOWN_PROCESS},    {"network-traffic", KNOWN_NT}, {"file", KNOWN_FILE},
                 {"directory", KNOWN_DIR},      {"ipv4-addr", KNOWN_ADDR},     {"ipv6-addr", KNOWN_ADDR},
                 {"domain-name", KNOWN_DOMAIN}, {"user-account", KNOWN_USER},  {"software", KNOWN_SOFTWARE}};
    for (size_t i = 0; type && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].type, type) == 0)
            return known[i].props;
    return NULL;
}

storm_value *storm_stix_extension_definition(storm_arena *a, storm_stix_ext e)
{
    const storm_stix_ext_info *x = storm_stix_ext_get(e);
    if (!x)
        return NULL;
    stix_b b = {a, false};
    storm_value *o = sb_obj(&b, 14);
    sb_put_str(&b, o, "type", "extension-definition");
    sb_put_str(&b, o, "spec_version", "2.1");
    sb_put_str(&b, o, "id", x->id);
    sb_put_str(&b, o, "created_by_ref", STORM_STIX_IDENTITY_ID);
    sb_put_str(&b, o, "created", STORM_STIX_META_TIME);
    sb_put_str(&b, o, "modified", STORM_STIX_EXT_MODIFIED);
    sb_put_str(&b, o, "name", x->name);
    sb_put_str(&b, o, "description", x->description);
    storm_buf schema;
    storm_buf_init(&schema, 16384);
    if (ext_schema(&schema, x) == STORM_OK)
        sb_put(&b, o, "schema", sb_strn(&b, sb_strndup(&b, schema.data, schema.len), schema.len));
    else
        b.oom = true;
    storm_buf_free(&schema);
    sb_put_str(&b, o, "version", "1.1");
    storm_value *types = sb_arr(&b, 1);
    sb_push(&b, types, sb_str(&b, "toplevel-property-extension"));
    sb_put(&b, o, "extension_types", types);
    storm_value *props = sb_arr(&b, 20);
    for (const char *const *p = x->properties; *p; p++)
        sb_push(&b, props, sb_str(&b, *p));
    sb_put(&b, o, "extension_properties", props);
    return b.oom ? NULL : o;
}

storm_value *storm_stix_identity(storm_arena *a)
{
    stix_b b = {a, false};
    storm_value *o = sb_obj(&b, 8);
    sb_put_str(&b, o, "type", "identity");
    sb_put_str(&b, o, "spec_version", "2.1");
    sb_put_str(&b, o, "id", STORM_STIX_IDENTITY_ID);
    sb_put_str(&b, o, "created", STORM_STIX_META_TIME);
    sb_put_str(&b, o, "modified", STORM_STIX_META_TIME);
    sb_put_str(&b, o, "name", "Storm");
    sb_put_str(&b, o, "description",
               "Storm honeycluster threat-intelligence engine: the producer of these "
               "observations and the publisher of their extension-definitions.");
    sb_put_str(&b, o, "identity_class", "system");
    return b.oom ? NULL : o;
}
