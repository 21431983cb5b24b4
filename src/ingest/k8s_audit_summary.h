/* SPDX-License-Identifier: Apache-2.0 */
/* What attack detection cares about in one Kubernetes API request, pulled
 * out of the free-form request/response objects: the pod spec a create
 * carries (images, privileged, host namespaces, hostPath volumes, added
 * capabilities) and the command of a pods/exec. */
#ifndef STORM_INGEST_K8S_AUDIT_SUMMARY_H
#define STORM_INGEST_K8S_AUDIT_SUMMARY_H

#include <storm/arena.h>
#include <storm/value.h>

/* The pod spec inside a Kubernetes object: a Pod's spec, a workload's
 * spec.template.spec, a CronJob's spec.jobTemplate.spec.template.spec.
 * NULL when obj holds none. Borrowed from obj. */
const storm_value *k8s_audit_pod_spec(const storm_value *obj);

/* Add the security-relevant facts of a pod spec to summary (an object):
 * "images", "privileged", "allow_privilege_escalation", "host_pid",
 * "host_network", "host_ipc", "host_path_volumes", "capabilities_add",
 * "run_as_root", "service_account", "node_name". Parts of the spec with an
 * unexpected type are skipped (the spec is kept whole in the event anyway).
 * Returns 0, or -1 on OOM. */
int k8s_audit_summarize_pod_spec(storm_arena *a, const storm_value *spec, storm_value *summary);

/* Parse the query of a pods/exec or pods/attach request URI into summary:
 * "exec_command" (array of the command= parameters, percent-decoded) and
 * "exec_container". *container receives the container name (arena copy) or
 * NULL. Returns 0, or -1 on OOM. */
int k8s_audit_summarize_exec_uri(storm_arena *a, const char *uri, storm_value *summary, const char **container);

#endif
