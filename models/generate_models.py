#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the shipped attack-model library (models/*.json): one bundle per
attack step plus the attack tree. Ids are UUIDv5 names under a fixed
namespace, so regenerating gives the same files. Usage: python3 models/generate_models.py"""
import json, uuid, os
NS = uuid.UUID('6b1f3a52-9d0e-5c41-8a77-2e63c4901d5f')
TS = "2026-01-01T00:00:00.000Z"
# Storm's identity (STORM_STIX_IDENTITY_ID, include/storm/stix.h) creates every
# shipped object; all of them are TLP:CLEAR (include/storm/share.h). Both
# objects travel in every bundle so that each file resolves its references.
STORM_ID = "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91"
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
IDENTITY = {"type": "identity", "spec_version": "2.1", "id": STORM_ID, "created": TS, "modified": TS, "name": "Storm",
            "description": "Storm honeycluster threat-intelligence engine: the producer of these observations and the publisher of their extension-definitions.",
            "identity_class": "system"}
MARKING = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_CLEAR, "created": "2022-10-01T00:00:00.000Z", "name": "clear",
           "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "clear"}}}
def owned(o):
    o["created_by_ref"] = STORM_ID
    o["object_marking_refs"] = [TLP_CLEAR]
    return o
def ident(kind, name): return f"{kind}--{uuid.uuid5(NS, 'storm-models/' + kind + '/' + name)}"
def kc(*phases): return [{"kill_chain_name": "mitre-attack", "phase_name": p} for p in phases]
def ext(tid, name):
    return [{"source_name": "mitre-attack", "external_id": tid, "url": "https://attack.mitre.org/techniques/" + tid.replace('.', '/') + "/", "description": name}]
models = []
def model(slug, name, desc, tid, tname, phases, indicators):
    ap = {"type": "attack-pattern", "spec_version": "2.1", "id": ident("attack-pattern", slug), "created": TS, "modified": TS,
          "name": name, "description": desc, "kill_chain_phases": kc(*phases), "external_references": ext(tid, tname)}
    objs = [ap]
    for i, (iname, idesc, pattern) in enumerate(indicators):
        ind = {"type": "indicator", "spec_version": "2.1", "id": ident("indicator", f"{slug}/{i}"), "created": TS, "modified": TS,
               "name": iname, "description": idesc, "indicator_types": ["malicious-activity"], "pattern": pattern,
               "pattern_type": "stix", "pattern_version": "2.1", "valid_from": TS, "kill_chain_phases": kc(*phases)}
        rel = {"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"{slug}/{i}/indicates"), "created": TS, "modified": TS,
               "relationship_type": "indicates", "source_ref": ind["id"], "target_ref": ap["id"]}
        objs += [ind, rel]
    models.append((slug, objs))
    return ap["id"]

WRITE_FLAGS = "(1, 2, 65, 66, 513, 514, 577, 578, 1025, 1026, 1089, 1090, 524289, 524290, 524353, 524354, 524865, 524866)"
steps = {}
steps['pod-exec'] = model("pod-exec", "Exec into a pod",
  "Someone runs a command inside a running container through the Kubernetes API (pods/exec or pods/attach), or a shell appears in a container.",
  "T1609", "Container Administration Command", ["execution"], [
  ("Kubernetes API exec or attach into a pod", "An audit event for the exec or attach subresource of a pod.",
   "[network-traffic:x_audit_resource = 'pods' AND network-traffic:x_audit_subresource IN ('exec', 'attach')]"),
  ("Falco: exec or attach into a pod", "Falco's k8s_audit rule for exec/attach.",
   "[process:x_alert_rule = 'Attach/Exec Pod']"),
  ("Falco: terminal shell in a container", "Falco saw an interactive shell in a container.",
   "[process:x_alert_rule = 'Terminal shell in container']"),
])
steps['sa-token'] = model("sa-token-theft", "Service-account token theft",
  "A process in a pod reads the pod's service-account token and uses it against the API server.",
  "T1528", "Steal Application Access Token", ["credential-access"], [
  ("Service-account token read", "A kernel hook saw a read of a projected service-account token file.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/secrets/kubernetes[.]io/serviceaccount/.*token']"),
  ("Service-account token read by a shell tool", "cat, head, base64, ... started on the service-account token.",
   "[process:image_ref.name IN ('cat', 'head', 'tail', 'less', 'more', 'base64', 'cp', 'dd') AND process:command_line MATCHES '/secrets/kubernetes[.]io/serviceaccount/token' AND EXISTS process:x_k8s_pod]"),
  ("Token read, then an API call with a bearer token", "The token is read and, within five minutes, a process of the same pod connects with an Authorization: Bearer header on its command line.",
   "([process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/serviceaccount/.*token'] FOLLOWEDBY [process:x_hook_name = 'tcp_connect' AND process:command_line MATCHES 'Authorization: Bearer ']) WITHIN 300 SECONDS"),
])
steps['rbac'] = model("rbac-escalation", "RBAC escalation",
  "New cluster-wide rights: a ClusterRoleBinding or RoleBinding is created or changed, or a role that grants every verb.",
  "T1098", "Account Manipulation", ["privilege-escalation", "persistence"], [
  ("Role binding created or changed", "create/update/patch of a (Cluster)RoleBinding.",
   "[network-traffic:x_audit_resource IN ('clusterrolebindings', 'rolebindings') AND network-traffic:x_audit_verb IN ('create', 'update', 'patch')]"),
  ("Role with wildcard verbs created", "A (Cluster)Role whose rules grant the verb '*'.",
   "[network-traffic:x_audit_resource IN ('clusterroles', 'roles') AND network-traffic:x_audit_verb IN ('create', 'update', 'patch') AND network-traffic:x_audit_request_object.rules[*].verbs[*] = '*']"),
])
steps['pod-create'] = model("privileged-pod-create", "Privileged or host-namespace pod created",
  "A pod is created with host namespaces (hostPID, hostNetwork, hostIPC), a privileged container or a hostPath volume: the usual first move of a container escape.",
  "T1610", "Deploy Container", ["defense-evasion", "execution"], [
  ("Pod with host namespaces, privilege or hostPath", "Audit event of a pod create whose spec shares a host namespace, runs privileged or mounts a host path.",
   "[network-traffic:x_audit_verb = 'create' AND network-traffic:x_audit_resource = 'pods' AND (network-traffic:x_audit_request_object.spec.hostpid = true OR network-traffic:x_audit_request_object.spec.hostnetwork = true OR network-traffic:x_audit_request_object.spec.hostipc = true OR network-traffic:x_audit_request_object.spec.containers[*].securitycontext.privileged = true OR EXISTS network-traffic:x_audit_request_object.spec.volumes[*].hostpath.path)]"),
])
steps['nsenter'] = model("ce-nsenter", "Container escape via nsenter",
  "A process in a pod enters the host's namespaces (nsenter -t 1, setns).",
  "T1611", "Escape to Host", ["privilege-escalation"], [
  ("nsenter into PID 1's namespaces", "nsenter started with --target 1.",
   "[process:image_ref.name = 'nsenter' AND process:command_line MATCHES '(-t|--target)[ =]?1( |$)' AND EXISTS process:x_k8s_pod]"),
  ("setns from a pod", "The setns system call hit by a process in a pod.",
   "[process:x_hook_name IN ('__x64_sys_setns', '__arm64_sys_setns') AND EXISTS process:x_k8s_pod]"),
])
steps['ptrace'] = model("ce-sys-ptrace", "Process injection with ptrace",
  "A container uses ptrace (gdb, strace) to control other processes: with CAP_SYS_PTRACE and a shared PID namespace this reaches the host.",
  "T1055.008", "Process Injection: Ptrace System Calls", ["privilege-escalation", "defense-evasion"], [
  ("ptrace system call", "A process called ptrace.",
   "[process:x_hook_name IN ('__x64_sys_ptrace', '__arm64_sys_ptrace')]"),
  ("Debugger started", "execve of gdb, strace or ltrace.",
   "[process:x_hook_name = '__x64_sys_execve' AND process:x_hook_args[0].value IN ('/usr/bin/gdb', '/usr/bin/strace', '/usr/bin/ltrace', '/bin/gdb', '/bin/strace')]"),
])
steps['mount'] = model("ce-priv-mount", "Privileged mount from a container",
  "A process in a pod mounts a file system (proc, the host disk, cgroups): only possible with privileges that allow an escape.",
  "T1611", "Escape to Host", ["privilege-escalation"], [
  ("mount system call from a pod", "The mount system call hit by a process in a pod.",
   "[process:x_hook_name IN ('__x64_sys_mount', '__arm64_sys_mount') AND EXISTS process:x_k8s_pod]"),
  ("mount of proc, sysfs or cgroup", "The mount command started for a kernel file system.",
   "[process:image_ref.name = 'mount' AND process:command_line MATCHES '-t (proc|sysfs|cgroup2?)( |$)' AND EXISTS process:x_k8s_pod]"),
])
steps['module'] = model("ce-module-load", "Kernel module load",
  "A kernel module is loaded (insmod, modprobe, a module request): code in the kernel, outside every container.",
  "T1547.006", "Boot or Logon Autostart Execution: Kernel Modules and Extensions", ["persistence", "privilege-escalation"], [
  ("Kernel reads a module file", "security_kernel_read_file with the READING_MODULE id (2).",
   "[process:x_hook_name = 'security_kernel_read_file' AND process:x_hook_args[1].value = 2]"),
  ("Module initialised or requested", "The kernel initialises a module or a process requests one.",
   "[process:x_hook_name IN ('do_init_module', 'find_module_sections', 'security_kernel_module_request', '__x64_sys_init_module', '__x64_sys_finit_module')]"),
  ("insmod or modprobe started", "A module loader binary ran.",
   "[process:image_ref.name IN ('insmod', 'modprobe')]"),
])
steps['varlog'] = model("ce-var-log-symlink", "Host file read through a /var/log symlink",
  "A pod with /var/log mounted from the host plants a symlink there; the kubelet then serves any host file as a log.",
  "T1611", "Escape to Host", ["privilege-escalation", "collection"], [
  ("symlink created under /var/log", "symlink/symlinkat whose new path lies under a var/log directory.",
   "[process:x_hook_name IN ('__x64_sys_symlinkat', '__x64_sys_symlink') AND (process:x_hook_args[2].value MATCHES '/var/log/' OR process:x_hook_args[1].value MATCHES '/var/log/')]"),
  ("ln -s into /var/log", "ln -s started with a target under /var/log.",
   "[process:image_ref.name = 'ln' AND process:command_line MATCHES ' -s .*/var/log/' AND EXISTS process:x_k8s_pod]"),
  ("kubelet logs endpoint read through the API", "A command reaches the kubelet's /logs/ endpoint (port 10250).",
   "[process:command_line MATCHES ':10250/logs/']"),
])
steps['containerd'] = model("exploit-containerd-sock", "Container runtime socket used from a pod",
  "A pod that mounts the container runtime socket (containerd, CRI-O, Docker) talks to it: it can start privileged containers on the node.",
  "T1610", "Deploy Container", ["execution", "privilege-escalation"], [
  ("Runtime client connects", "crictl, ctr, nerdctl or docker calls connect.",
   "[process:x_hook_name = '__x64_sys_connect' AND process:image_ref.name IN ('crictl', 'ctr', 'nerdctl', 'docker')]"),
  ("Runtime socket on a command line", "A command names the containerd, CRI-O, Docker or dockershim socket.",
   "[process:command_line MATCHES '(containerd|dockershim|docker|crio)[.]sock' AND EXISTS process:x_k8s_pod]"),
])
steps['host-read'] = model("exploit-host-read", "Host file read from a pod",
  "A process in a pod opens a host file for reading through a hostPath mount, /proc/1 or another process's root.",
  "T1611", "Escape to Host", ["privilege-escalation", "collection"], [
  ("Read under a hostPath mount", "openat of a path under /host without write flags.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/host/' AND process:x_hook_args[2].value NOT IN " + WRITE_FLAGS + "]"),
  ("Read through /proc of another process", "openat of /proc/1/... or /proc/N/root/... from a pod.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/proc/(1|[0-9]+/root)/' AND EXISTS process:x_k8s_pod]"),
])
steps['host-write'] = model("exploit-host-write", "Host file written from a pod",
  "A process in a pod opens a host file for writing through a hostPath mount (cron, systemd, ssh keys).",
  "T1611", "Escape to Host", ["privilege-escalation", "persistence"], [
  ("Write under a hostPath mount", "openat of a path under /host with write flags.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/host/' AND process:x_hook_args[2].value IN " + WRITE_FLAGS + "]"),
])

# the attack tree: steps ordered by related-to, one intrusion-set using them
iset = {"type": "intrusion-set", "spec_version": "2.1", "id": ident("intrusion-set", "kubernetes-escape"), "created": TS, "modified": TS,
        "name": "Kubernetes container escape", "description": "From a foothold in one pod to the node: the honeycluster's critical attack path.",
        "goals": ["Control of a cluster node"]}
objs = [iset]
order = [('pod-exec', 'sa-token'), ('sa-token', 'rbac'), ('rbac', 'pod-create'), ('pod-create', 'nsenter'), ('pod-create', 'mount'),
         ('pod-create', 'host-read'), ('pod-create', 'host-write'), ('pod-create', 'containerd'), ('pod-create', 'varlog'),
         ('pod-create', 'ptrace'), ('mount', 'module')]
for k, v in steps.items():
    objs.append({"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"tree/uses/{k}"), "created": TS, "modified": TS,
                 "relationship_type": "uses", "source_ref": iset["id"], "target_ref": v})
for a, b in order:
    objs.append({"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"tree/{a}/{b}"), "created": TS, "modified": TS,
                 "relationship_type": "related-to", "source_ref": steps[a], "target_ref": steps[b]})
models.append(("kubernetes-escape-tree", objs))

out = os.path.dirname(os.path.abspath(__file__))
for slug, objs in models:
    b = {"type": "bundle", "id": ident("bundle", slug), "objects": [owned(o) for o in objs] + [IDENTITY, MARKING]}
    with open(os.path.join(out, slug + ".json"), "w") as f:
        json.dump(b, f, indent=2)
        f.write("\n")
print(len(models), "files")
