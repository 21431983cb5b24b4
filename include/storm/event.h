/* SPDX-License-Identifier: Apache-2.0 */
/* The typed, sensor-neutral event: what every decoder produces from one
 * sensor record, and what the baseline and the STIX observation builder read.
 * All strings and values are borrowed from the arena the event was decoded
 * into (or from the parsed JSON); NULL means "not present". */
#ifndef STORM_EVENT_H
#define STORM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/time.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_sensor {
    STORM_SENSOR_UNKNOWN = 0,
    STORM_SENSOR_TETRAGON,
    STORM_SENSOR_K8S_AUDIT,
    STORM_SENSOR_FALCO,
    STORM_SENSOR_KUBESCAPE,
    STORM_SENSOR_HUBBLE,
    STORM_SENSOR_SSHD,        /* OpenSSH server log lines (syslog text, journald JSON) */
    STORM_SENSOR_HTTP_ACCESS, /* common/combined HTTP access log lines */
    STORM_SENSOR__COUNT
} storm_sensor;

const char *storm_sensor_name(storm_sensor s); /* "tetragon", "k8s-audit", ... */

typedef enum storm_event_kind {
    STORM_EV_OTHER = 0,
    STORM_EV_PROCESS_EXEC, /* a process started */
    STORM_EV_PROCESS_EXIT,
    STORM_EV_KERNEL_HOOK, /* kprobe / tracepoint / LSM / uprobe hit (hook.* set) */
    STORM_EV_NETWORK,     /* a connection or flow (net.* set) */
    STORM_EV_FILE,        /* a file access (files[] set) */
    STORM_EV_API_REQUEST, /* a Kubernetes API request (audit.* set) */
    STORM_EV_ALERT,       /* a rule alert from Falco or Kubescape (alert.* set, plus context) */
} storm_event_kind;

/* Where it happened. */
typedef struct storm_k8s_ctx {
    const char *cluster;
    const char *node;
    const char *namespace_;
    const char *pod;
    const char *container; /* container name */
    const char *container_id;
    const char *image;         /* image name, e.g. docker.io/library/nginx:1.25 */
    const char *image_id;      /* digest or id */
    const char *workload;      /* owning workload name, e.g. the Deployment */
    const char *workload_kind; /* Deployment, DaemonSet, ... */
    const storm_value *labels; /* object: label -> value (keys may contain '.' and '/') */
} storm_k8s_ctx;

typedef struct storm_process_info {
    bool present;
    bool has_pid, has_uid, has_gid, has_auid, has_tid;
    int64_t pid, tid, uid, gid, auid;
    const char *binary;       /* absolute path of the executable when known */
    const char *name;         /* comm / short name, when the sensor gives only that */
    const char *arguments;    /* arguments as the sensor gives them, without the binary */
    const char *command_line; /* binary and arguments as one string */
    const char *cwd;
    const char *exec_id; /* sensor's stable process key (Tetragon exec_id) */
    const char *parent_exec_id;
    bool has_start_time;
    storm_time_ns start_time;
    const storm_value *environment; /* array of "K=V" strings or object, when given */
    const storm_value *extra;       /* object of further sensor fields worth keeping (flags, caps, ns, ...) */
} storm_process_info;

typedef struct storm_file_info {
    const char *path;
    const char *operation;   /* "open", "read", "write", "exec", "unlink", "symlink", "mount", ... */
    const char *permission;  /* e.g. "-rw-r--r--" */
    const char *link_target; /* for symlink/link operations */
} storm_file_info;

#define STORM_EVENT_MAX_FILES 4

typedef struct storm_net_info {
    bool present;
    const char *src_ip, *dst_ip;
    bool has_src_port, has_dst_port;
    int64_t src_port, dst_port;
    const char *protocol;     /* lower-case IANA name: "tcp", "udp", "icmp", "icmpv6" */
    const char *family;       /* "ipv4", "ipv6", "unix" */
    const char *direction;    /* "egress", "ingress", NULL */
    const char *verdict;      /* Hubble: FORWARDED, DROPPED, ... */
    const char *dns_name;     /* queried / resolved name, when known */
    const char *state;        /* socket state, e.g. TCP_SYN_SENT */
    const storm_value *extra; /* object of further fields */
} storm_net_info;

typedef struct storm_hook_info {
    bool present;
    const char *kind;   /* "kprobe", "tracepoint", "lsm", "uprobe", "usdt" */
    const char *name;   /* function_name / subsys:event / LSM hook / symbol */
    const char *policy; /* TracingPolicy name */
    const char *action; /* e.g. KPROBE_ACTION_POST */
    const char *return_action;
    const storm_value *args; /* array, positional: each element an object {"type": "...", ...fields} */
    const storm_value *ret;  /* return value as a typed arg object, or NULL */
    const char *message;     /* policy message, when given */
    const storm_value *tags; /* array of strings */
} storm_hook_info;

typedef struct storm_audit_info {
    bool present;
    const char *audit_id, *stage, *level, *request_uri;
    const char *verb; /* get, list, create, update, patch, delete, watch, ... */
    const char *resource, *subresource, *api_group, *api_version;
    const char *object_namespace, *object_name;
    const char *user, *user_uid;
    const storm_value *groups; /* array of strings */
    const char *source_ip;     /* first of sourceIPs */
    const storm_value *source_ips;
    const char *user_agent;
    bool has_code;
    int64_t code;         /* HTTP response code */
    const char *decision; /* authorization.k8s.io/decision annotation */
    const char *reason;
    const storm_value *request_object; /* borrowed, may be large */
    const storm_value *response_object;
} storm_audit_info;

typedef struct storm_alert_info {
    bool present;
    const char *rule;     /* rule name, e.g. "Terminal shell in container" */
    const char *rule_id;  /* e.g. Kubescape "R0001" */
    const char *severity; /* sensor's priority / severity text */
    const char *message;
    const char *source; /* Falco source: syscall, k8s_audit, ... */
    const storm_value *tags;
    const storm_value *fields; /* object: the sensor's own fields (Falco output_fields, ...) */
} storm_alert_info;

/* An application log line of an entry point (sshd, a web server): who tried
 * what from where. The client and server addresses go in net. */
typedef struct storm_app_info {
    bool present;
    const char *program;      /* "sshd", "httpd" */
    const char *message;      /* the log line's message as written */
    const char *auth_user;    /* the account an authentication named (sshd user, HTTP remote user) */
    const char *auth_result;  /* sshd: "accepted", "failed", "invalid_user", "disconnected", ... */
    const char *auth_method;  /* sshd: "password", "publickey", "keyboard-interactive", "none" */
    const char *http_method;  /* GET, POST, ... (as sent; upper case for known methods) */
    const char *http_target;  /* the request target as sent: path and query */
    const char *http_version; /* "HTTP/1.1" as sent */
    const char *http_user_agent, *http_referer;
    bool has_http_status, has_http_bytes;
    int64_t http_status, http_bytes;
} storm_app_info;

typedef struct storm_event {
    storm_sensor sensor;
    storm_event_kind kind;
    const char *type; /* the sensor's own type name, e.g. "process_kprobe", "Event", "R0002" */
    bool has_time;
    storm_time_ns time; /* when it happened (UTC ns) */
    storm_k8s_ctx k8s;
    storm_process_info process;
    storm_process_info parent;
    size_t n_ancestors;
    storm_process_info *ancestors; /* nearest first */
    size_t n_files;
    storm_file_info files[STORM_EVENT_MAX_FILES];
    storm_net_info net;
    storm_hook_info hook;
    storm_audit_info audit;
    storm_alert_info alert;
    storm_app_info app;
    const storm_value *raw; /* the sensor record as parsed (borrowed) */
    bool batch_item;        /* raw is one item of a batch record (an audit EventList): its
                               ids derive from raw's own bytes, not the whole record's */
    /* where it came from, for error reports and rejects */
    const char *source_name; /* file name or "-" or "http" */
    uint64_t source_line;    /* 1-based line number (0 when unknown) */
} storm_event;

/* A growable list of events in an arena (one input record may hold several,
 * e.g. an audit EventList). */
typedef struct storm_event_list {
    storm_event *items;
    size_t n, alloc;
} storm_event_list;

/* Append a zeroed event; NULL on OOM. The pointer is valid until the next add. */
storm_event *storm_event_list_add(storm_arena *a, storm_event_list *list);

#ifdef __cplusplus
}
#endif
#endif
