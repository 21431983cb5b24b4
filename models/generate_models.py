#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the shipped attack-model library (models/*.json): one bundle per
attack step (the 26 attacks of KubeHound's catalogue) plus the attack tree,
and the TracingPolicies its kernel-hook indicators need (models/policies/). Ids are UUIDv5 names under a fixed
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
def ident(kind, name):
    # STIX 2.1 wants UUIDv4 ids for SDOs/SROs/bundles (the OASIS validator's
    # {103} in strict mode): a UUIDv5 name hash with the version nibble set
    # to 4, so that the ids stay deterministic across regenerations.
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(NS, 'storm-models/' + kind + '/' + name).bytes, version=4)}"
def kc(*phases): return [{"kill_chain_name": "mitre-attack", "phase_name": p} for p in phases]
def ext(tid, name):
    # no url: STIX wants a url to come with the hashes of what it points at
    # (the validator's {302}), and the technique id names the page anyway
    return [{"source_name": "mitre-attack", "external_id": tid, "description": name}]
def kh_ref(kh):
    # the step's name in KubeHound's attack catalogue (DataDog/KubeHound docs/reference/attacks/)
    return {"source_name": "kubehound", "external_id": kh, "description": "KubeHound attack catalogue, docs/reference/attacks/" + kh + ".md"}
models = []
policies = {}   # policy file slug -> list of hook specs (see POLICY section)
def model(slug, name, desc, tid, tname, phases, indicators, kh=(), more_ext=()):
    """indicators: (name, description, pattern[, policy slug]); a policy slug
    names models/policies/<slug>.yaml, the TracingPolicy that makes the
    indicator's kernel hook visible. Indicators are only ever appended, so
    the ids of the existing ones (slug/<index>) stay what they were."""
    refs = ext(tid, tname) + [r for t, n in more_ext for r in ext(t, n)] + [kh_ref(k) for k in kh]
    ap = {"type": "attack-pattern", "spec_version": "2.1", "id": ident("attack-pattern", slug), "created": TS, "modified": TS,
          "name": name, "description": desc, "kill_chain_phases": kc(*phases), "external_references": refs}
    objs = [ap]
    for i, (iname, idesc, pattern, *pol) in enumerate(indicators):
        ind = {"type": "indicator", "spec_version": "2.1", "id": ident("indicator", f"{slug}/{i}"), "created": TS, "modified": TS,
               "name": iname, "description": idesc, "indicator_types": ["malicious-activity"], "pattern": pattern,
               "pattern_type": "stix", "pattern_version": "2.1", "valid_from": TS, "kill_chain_phases": kc(*phases)}
        if pol:
            ind["external_references"] = [{"source_name": "tetragon-tracingpolicy", "external_id": "storm-" + pol[0],
                                           "description": "models/policies/" + pol[0] + ".yaml: the TracingPolicy that makes this kernel hook visible"}]
        rel = {"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"{slug}/{i}/indicates"), "created": TS, "modified": TS,
               "relationship_type": "indicates", "source_ref": ind["id"], "target_ref": ap["id"]}
        objs += [ind, rel]
    models.append((slug, objs))
    return ap["id"]

WRITE_FLAGS = "(1, 2, 65, 66, 513, 514, 577, 578, 1025, 1026, 1089, 1090, 524289, 524290, 524353, 524354, 524865, 524866)"
# security_file_permission mask (include/linux/fs.h): MAY_WRITE 2, MAY_APPEND 8, MAY_READ 4
MAY_WRITE = "(2, 10)"
# Commands of a pod: only the acting process carries the Kubernetes context (docs/models.md)
IN_POD = "EXISTS process:x_k8s_pod"
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
  ("kubectl exec or a raw exec call started from a pod", "A process in a pod runs kubectl exec, or calls the exec subresource itself (curl, websocat, a script).",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?exec |/api/v1/namespaces/[^/ ]+/pods/[^/ ]+/exec)' AND " + IN_POD + "]"),
], kh=("POD_EXEC",))
steps['sa-token'] = model("sa-token-theft", "Service-account token theft",
  "A process in a pod reads the pod's service-account token and uses it against the API server.",
  "T1528", "Steal Application Access Token", ["credential-access"], [
  ("Service-account token read", "A kernel hook saw a read of a projected service-account token file.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/secrets/kubernetes[.]io/serviceaccount/.*token']", "sa-token-theft"),
  ("Service-account token read by a shell tool", "cat, head, base64, ... started on the service-account token.",
   "[process:image_ref.name IN ('cat', 'head', 'tail', 'less', 'more', 'base64', 'cp', 'dd') AND process:command_line MATCHES '/secrets/kubernetes[.]io/serviceaccount/token' AND EXISTS process:x_k8s_pod]"),
  ("Token read, then an API call with a bearer token", "The token is read and, within five minutes, a process of the same pod connects with an Authorization: Bearer header on its command line.",
   "([process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/serviceaccount/.*token'] FOLLOWEDBY [process:x_hook_name = 'tcp_connect' AND process:command_line MATCHES 'Authorization: Bearer ']) WITHIN 300 SECONDS", "sa-token-theft"),
  ("Service-account token opened (syscall)", "openat of the token under /run/secrets or /var/run/secrets: the syscall view, for clusters that trace syscalls rather than LSM hooks.",
   "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES '/secrets/kubernetes[.]io/serviceaccount/(.*/)?token$' AND " + IN_POD + "]", "sa-token-theft"),
  ("Kubescape: unexpected service-account token access", "Kubescape's rule R0006: a process its profile does not expect read the token.",
   "[process:x_alert_rule_id = 'R0006']"),
], kh=("TOKEN_STEAL",), more_ext=(("T1552.001", "Unsecured Credentials: Credentials In Files"),))
steps['rbac'] = model("rbac-escalation", "RBAC escalation",
  "New cluster-wide rights: a ClusterRoleBinding or RoleBinding is created or changed, or a role that grants every verb.",
  "T1098", "Account Manipulation", ["privilege-escalation", "persistence"], [
  ("Role binding created or changed", "create/update/patch of a (Cluster)RoleBinding.",
   "[network-traffic:x_audit_resource IN ('clusterrolebindings', 'rolebindings') AND network-traffic:x_audit_verb IN ('create', 'update', 'patch')]"),
  ("Role with wildcard verbs created", "A (Cluster)Role whose rules grant the verb '*'.",
   "[network-traffic:x_audit_resource IN ('clusterroles', 'roles') AND network-traffic:x_audit_verb IN ('create', 'update', 'patch') AND network-traffic:x_audit_request_object.rules[*].verbs[*] = '*']"),
  ("Role binding created from a pod", "kubectl create (cluster)rolebinding, or a POST to the rolebindings API, from inside a pod.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?create (cluster)?rolebinding|/apis/rbac[.]authorization[.]k8s[.]io/v1/(namespaces/[^/ ]+/)?(cluster)?rolebindings)' AND " + IN_POD + "]"),
  ("Falco: binding to cluster-admin or a powerful role", "Falco's k8s_audit rules on role bindings and roles.",
   "[process:x_alert_rule IN ('Attach to cluster-admin Role', 'ClusterRole With Wildcard Created', 'ClusterRole With Write Privileges Created', 'ClusterRole With Pod Exec Created')]"),
], kh=("ROLE_BIND",), more_ext=(("T1078", "Valid Accounts"),))
steps['pod-create'] = model("privileged-pod-create", "Privileged or host-namespace pod created",
  "A pod is created with host namespaces (hostPID, hostNetwork, hostIPC), a privileged container or a hostPath volume: the usual first move of a container escape.",
  "T1610", "Deploy Container", ["defense-evasion", "execution"], [
  ("Pod with host namespaces, privilege or hostPath", "Audit event of a pod create whose spec shares a host namespace, runs privileged or mounts a host path.",
   "[network-traffic:x_audit_verb = 'create' AND network-traffic:x_audit_resource = 'pods' AND (network-traffic:x_audit_request_object.spec.hostpid = true OR network-traffic:x_audit_request_object.spec.hostnetwork = true OR network-traffic:x_audit_request_object.spec.hostipc = true OR network-traffic:x_audit_request_object.spec.containers[*].securitycontext.privileged = true OR EXISTS network-traffic:x_audit_request_object.spec.volumes[*].hostpath.path)]"),
  ("Workload with host namespaces, privilege or hostPath", "The same pod template inside a Deployment, DaemonSet, StatefulSet, ReplicaSet or Job: the controller then creates the pod.",
   "[network-traffic:x_audit_verb IN ('create', 'update', 'patch') AND network-traffic:x_audit_resource IN ('deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs') AND (network-traffic:x_audit_request_object.spec.template.spec.hostpid = true OR network-traffic:x_audit_request_object.spec.template.spec.hostnetwork = true OR network-traffic:x_audit_request_object.spec.template.spec.hostipc = true OR network-traffic:x_audit_request_object.spec.template.spec.containers[*].securitycontext.privileged = true OR EXISTS network-traffic:x_audit_request_object.spec.template.spec.volumes[*].hostpath.path)]"),
  ("Pod created from inside a pod", "kubectl run/apply/create, or a POST to the pods API, from a process in a pod.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?(run|apply|replace|create (-f|--filename|pod|deployment|daemonset|statefulset|job|cronjob))[ =]|(-X ?|--request )POST .*/(api/v1|apis/(apps|batch)/v1)/namespaces/[^/ ]+/(pods|deployments|daemonsets|statefulsets|jobs|cronjobs))' AND " + IN_POD + "]"),
  ("Falco: privileged, host-network or sensitive-mount pod", "Falco's k8s_audit rules on pod creation.",
   "[process:x_alert_rule IN ('Create Privileged Pod', 'Create Sensitive Mount Pod', 'Create HostNetwork Pod')]"),
], kh=("POD_CREATE",))
steps['nsenter'] = model("ce-nsenter", "Container escape via nsenter",
  "A process in a pod enters the host's namespaces (nsenter -t 1, setns).",
  "T1611", "Escape to Host", ["privilege-escalation"], [
  ("nsenter into PID 1's namespaces", "nsenter started with --target 1.",
   "[process:image_ref.name = 'nsenter' AND process:command_line MATCHES '(-t|--target)[ =]?1( |$)' AND EXISTS process:x_k8s_pod]"),
  ("setns from a pod", "The setns system call hit by a process in a pod.",
   "[process:x_hook_name IN ('__x64_sys_setns', '__arm64_sys_setns') AND EXISTS process:x_k8s_pod]", "ce-nsenter"),
], kh=("CE_NSENTER",))
steps['ptrace'] = model("ce-sys-ptrace", "Process injection with ptrace",
  "A container uses ptrace (gdb, strace) to control other processes: with CAP_SYS_PTRACE and a shared PID namespace this reaches the host.",
  "T1055.008", "Process Injection: Ptrace System Calls", ["privilege-escalation", "defense-evasion"], [
  ("ptrace system call", "A process called ptrace.",
   "[process:x_hook_name IN ('__x64_sys_ptrace', '__arm64_sys_ptrace')]", "ce-sys-ptrace"),
  ("Debugger started", "execve of gdb, strace or ltrace.",
   "[process:x_hook_name = '__x64_sys_execve' AND process:x_hook_args[0].value IN ('/usr/bin/gdb', '/usr/bin/strace', '/usr/bin/ltrace', '/bin/gdb', '/bin/strace')]", "ce-sys-ptrace"),
  ("Falco or Kubescape: ptrace", "Falco's PTRACE rules, Kubescape's R1015 (malicious ptrace usage).",
   "[process:x_alert_rule IN ('PTRACE attached to process', 'PTRACE anti-debug attempt') OR process:x_alert_rule_id = 'R1015']"),
], kh=("CE_SYS_PTRACE",), more_ext=(("T1611", "Escape to Host"),))
steps['mount'] = model("ce-priv-mount", "Privileged mount from a container",
  "A process in a pod mounts a file system (proc, the host disk, cgroups): only possible with privileges that allow an escape.",
  "T1611", "Escape to Host", ["privilege-escalation"], [
  ("mount system call from a pod", "The mount system call hit by a process in a pod.",
   "[process:x_hook_name IN ('__x64_sys_mount', '__arm64_sys_mount') AND EXISTS process:x_k8s_pod]", "ce-priv-mount"),
  ("mount of proc, sysfs or cgroup", "The mount command started for a kernel file system.",
   "[process:image_ref.name = 'mount' AND process:command_line MATCHES '-t (proc|sysfs|cgroup2?)( |$)' AND EXISTS process:x_k8s_pod]"),
  ("Host disk mounted in a pod", "mount started on a block device (/dev/sda1, /dev/vda1, /dev/nvme0n1p1, /dev/xvda1, /dev/mapper/...).",
   "[process:image_ref.name = 'mount' AND process:command_line MATCHES ' /dev/([svx]v?d[a-z]|nvme|mapper/|dm-)' AND " + IN_POD + "]"),
  ("security_sb_mount from a pod", "The kernel's mount permission check, whatever the mount API (mount(2), fsmount, a library wrapper).",
   "[process:x_hook_name = 'security_sb_mount' AND " + IN_POD + "]", "ce-priv-mount"),
  ("Falco: mount in a privileged container", "Falco's rule on mount started in a privileged container.",
   "[process:x_alert_rule = 'Mount Launched in Privileged Container']"),
], kh=("CE_PRIV_MOUNT",))
steps['module'] = model("ce-module-load", "Kernel module load",
  "A kernel module is loaded (insmod, modprobe, a module request): code in the kernel, outside every container.",
  "T1547.006", "Boot or Logon Autostart Execution: Kernel Modules and Extensions", ["persistence", "privilege-escalation"], [
  ("Kernel reads a module file", "security_kernel_read_file with the READING_MODULE id (2).",
   "[process:x_hook_name = 'security_kernel_read_file' AND process:x_hook_args[1].value = 2]", "ce-module-load"),
  ("Module initialised or requested", "The kernel initialises a module or a process requests one.",
   "[process:x_hook_name IN ('do_init_module', 'find_module_sections', 'security_kernel_module_request', '__x64_sys_init_module', '__x64_sys_finit_module')]", "ce-module-load"),
  ("insmod or modprobe started", "A module loader binary ran.",
   "[process:image_ref.name IN ('insmod', 'modprobe')]"),
  ("Falco or Kubescape: kernel module load", "Falco's module-injection rule, Kubescape's R1002.",
   "[process:x_alert_rule = 'Linux Kernel Module Injection Detected' OR process:x_alert_rule_id = 'R1002']"),
], kh=("CE_MODULE_LOAD",), more_ext=(("T1611", "Escape to Host"),))
steps['varlog'] = model("ce-var-log-symlink", "Host file read through a /var/log symlink",
  "A pod with /var/log mounted from the host plants a symlink there; the kubelet then serves any host file as a log.",
  "T1611", "Escape to Host", ["privilege-escalation", "collection"], [
  ("symlink created under /var/log", "symlink/symlinkat whose new path lies under a var/log directory.",
   "[process:x_hook_name IN ('__x64_sys_symlinkat', '__x64_sys_symlink') AND (process:x_hook_args[2].value MATCHES '/var/log/' OR process:x_hook_args[1].value MATCHES '/var/log/')]", "ce-var-log-symlink"),
  ("ln -s into /var/log", "ln -s started with a target under /var/log.",
   "[process:image_ref.name = 'ln' AND process:command_line MATCHES ' -s .*/var/log/' AND EXISTS process:x_k8s_pod]"),
  ("kubelet logs endpoint read through the API", "A command reaches the kubelet's /logs/ endpoint (port 10250).",
   "[process:command_line MATCHES ':10250/logs/']"),
], kh=("CE_VAR_LOG_SYMLINK",))
steps['containerd'] = model("exploit-containerd-sock", "Container runtime socket used from a pod",
  "A pod that mounts the container runtime socket (containerd, CRI-O, Docker) talks to it: it can start privileged containers on the node.",
  "T1610", "Deploy Container", ["execution", "privilege-escalation"], [
  ("Runtime client connects", "crictl, ctr, nerdctl or docker calls connect.",
   "[process:x_hook_name = '__x64_sys_connect' AND process:image_ref.name IN ('crictl', 'ctr', 'nerdctl', 'docker')]", "exploit-containerd-sock"),
  ("Runtime socket on a command line", "A command names the containerd, CRI-O, Docker or dockershim socket.",
   "[process:command_line MATCHES '(containerd|dockershim|docker|crio)[.]sock' AND EXISTS process:x_k8s_pod]"),
  ("Falco: container runtime client in a container", "Falco's rule on the docker client run inside a container.",
   "[process:x_alert_rule = 'The docker client is executed in a container']"),
], kh=("EXPLOIT_CONTAINERD_SOCK",))
steps['host-read'] = model("exploit-host-read", "Host file read from a pod",
  "A process in a pod opens a host file for reading through a hostPath mount, /proc/1 or another process's root.",
  "T1611", "Escape to Host", ["privilege-escalation", "collection"], [
  ("Read under a hostPath mount", "openat of a path under /host without write flags.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/host/' AND process:x_hook_args[2].value NOT IN " + WRITE_FLAGS + "]", "exploit-host-read"),
  ("Read through /proc of another process", "openat of /proc/1/... or /proc/N/root/... from a pod.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/proc/(1|[0-9]+/root)/' AND EXISTS process:x_k8s_pod]", "exploit-host-read"),
  ("Host file read (LSM), any host mount point", "security_file_permission with MAY_READ on a file under /host, /host-<dir>, /hostfs, /rootfs or /node: the resolved path, also for files opened by a relative path or read through a library.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '^/(host[^/]*|rootfs|node)/' AND process:x_hook_args[1].value = 4 AND " + IN_POD + "]", "exploit-host-read"),
], kh=("EXPLOIT_HOST_READ",))
steps['host-write'] = model("exploit-host-write", "Host file written from a pod",
  "A process in a pod opens a host file for writing through a hostPath mount (cron, systemd, ssh keys).",
  "T1611", "Escape to Host", ["privilege-escalation", "persistence"], [
  ("Write under a hostPath mount", "openat of a path under /host with write flags.",
   "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/host/' AND process:x_hook_args[2].value IN " + WRITE_FLAGS + "]", "exploit-host-write"),
  ("Host file written (LSM), any host mount point", "security_file_permission with MAY_WRITE/MAY_APPEND on a file under /host, /host-<dir> (the catalogue's /host-etc/cron.d), /hostfs, /rootfs or /node.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '^/(host[^/]*|rootfs|node)/' AND process:x_hook_args[1].value IN " + MAY_WRITE + " AND " + IN_POD + "]", "exploit-host-write"),
  ("Host cron, systemd or ssh file written from a shell", "A shell command in a pod redirects into a host cron, systemd unit or authorized_keys file.",
   "[process:command_line MATCHES '>>? ?/[^ ]*/(etc/cron[.][a-z]+/|etc/crontab|var/spool/cron/|etc/systemd/system/|root/[.]ssh/authorized_keys)' AND " + IN_POD + "]"),
], kh=("EXPLOIT_HOST_WRITE",))

# --- steps of the KubeHound catalogue that the first library did not cover ---
steps['umh'] = model("ce-umh-core-pattern", "Container escape through a usermode helper",
  "A privileged pod that sees the host's /proc/sys (or /sys) writes a usermode-helper path (core_pattern, modprobe, hotplug, uevent_helper, a cgroup release_agent): the kernel then runs the attacker's program on the host, as root, at the next crash, module request or cgroup release.",
  "T1611", "Escape to Host", ["privilege-escalation"], [
  ("Usermode-helper file written (LSM)", "security_file_permission with MAY_WRITE on core_pattern, modprobe, hotplug, uevent_helper or release_agent, wherever procfs/sysfs is mounted (/proc, /sysproc, /host/proc...).",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/(sys/kernel/(core_pattern|modprobe|hotplug)|kernel/uevent_helper|release_agent)$' AND process:x_hook_args[1].value IN " + MAY_WRITE + "]", "ce-umh-core-pattern"),
  ("Usermode-helper file opened for writing (syscall)", "openat with write flags of such a file, also by a relative path (cd /sysproc; echo ... > core_pattern).",
   "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES '(^|/)(core_pattern|uevent_helper|release_agent)$' AND process:x_hook_args[2].value IN " + WRITE_FLAGS + "]", "ce-umh-core-pattern"),
  ("Usermode helper named on a command line in a pod", "A command in a pod names core_pattern, uevent_helper or release_agent (echo '|/path' > ..., tee, sysctl kernel.core_pattern).",
   "[process:command_line MATCHES '(core_pattern|uevent_helper|release_agent)' AND " + IN_POD + "]"),
  ("Falco: release_agent escape", "Falco's rule on writes to a cgroup release_agent.",
   "[process:x_alert_rule = 'Detect release_agent File Container Escapes']"),
], kh=("CE_UMH_CORE_PATTERN",))
steps['container-attach'] = model("container-attach", "Debug container attached to a pod",
  "An ephemeral debug container is added to a running pod (kubectl debug) and attached to: it shares the target container's process namespace and can read its files and memory.",
  "T1609", "Container Administration Command", ["execution"], [
  ("Ephemeral container added to a pod", "Audit event of an update or patch of the ephemeralcontainers subresource (what kubectl debug sends).",
   "[network-traffic:x_audit_resource = 'pods' AND network-traffic:x_audit_subresource = 'ephemeralcontainers' AND network-traffic:x_audit_verb IN ('update', 'patch')]"),
  ("Attach to a container through the API", "Audit event of the attach subresource (kubectl attach, kubectl debug -it).",
   "[network-traffic:x_audit_resource = 'pods' AND network-traffic:x_audit_subresource = 'attach']"),
  ("kubectl debug or attach, or a raw call, from a pod", "kubectl debug/attach from a process in a pod, or a direct call to the attach or ephemeralcontainers subresource.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?(debug|attach) |/pods/[^/ ]+/(attach|ephemeralcontainers))' AND " + IN_POD + "]"),
  ("Falco: ephemeral container created", "Falco's k8s_audit rule on ephemeral containers.",
   "[process:x_alert_rule = 'EphemeralContainers Created']"),
], kh=("CONTAINER_ATTACH",))
steps['endpoint'] = model("endpoint-exploit", "Exposed endpoint exploited",
  "A service a pod exposes is exploited for code execution: its server process starts a shell or a download tool.",
  "T1210", "Exploitation of Remote Services", ["lateral-movement"], [
  ("Injected command or downloader started by a network server in a pod", "A web or application server (apache2, nginx, java, node, python, php, ruby, gunicorn, uwsgi) starts curl, wget or netcat, or a shell whose command chains commands (; && | $( ` /dev/tcp): a server that shells out for its own work (ping -c 4 HOST) does not match.",
   "[(process:image_ref.name IN ('curl', 'wget', 'nc', 'ncat', 'socat') OR (process:image_ref.name IN ('sh', 'bash', 'dash', 'ash', 'zsh') AND process:command_line MATCHES '(;|&&|[|]|[$][(]|`|/dev/tcp/)')) AND process:parent_ref.image_ref.name IN ('nginx', 'httpd', 'apache2', 'java', 'node', 'php', 'php-fpm', 'ruby', 'gunicorn', 'uwsgi', 'tomcat', 'python', 'python3', 'dotnet') AND " + IN_POD + "]"),
  ("Falco: remote code execution in a container", "Falco's rules on an untrusted shell, netcat RCE and Java class download.",
   "[process:x_alert_rule IN ('Run shell untrusted', 'Netcat Remote Code Execution in Container', 'Java Process Class File Download')]"),
], kh=("ENDPOINT_EXPLOIT",))
steps['host-traverse'] = model("exploit-host-traverse", "Other pods' tokens read through a host mount",
  "A pod that mounts (part of) the node's file system walks /var/lib/kubelet/pods and reads the service-account tokens of every pod on the node.",
  "T1552.001", "Unsecured Credentials: Credentials In Files", ["credential-access"], [
  ("Pod token read through a host mount (LSM)", "security_file_permission with MAY_READ on a kubelet pod volume token, from a pod, under any mount point (/host/var/lib/kubelet/pods/..., /rootfs/...).",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '/var/lib/kubelet/pods/[^/]+/volumes/kubernetes[.]io~(projected|secret)/.*token$' AND process:x_hook_args[1].value = 4 AND " + IN_POD + "]", "exploit-host-traverse"),
  ("Pod token opened through a host mount (syscall)", "openat of a kubelet pod volume token from a pod.",
   "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES 'var/lib/kubelet/pods/.*token$' AND " + IN_POD + "]", "exploit-host-traverse"),
  ("kubelet pod directory searched from a pod", "find, ls, cat, grep or tar on .../var/lib/kubelet/pods from a pod.",
   "[process:image_ref.name IN ('find', 'ls', 'cat', 'grep', 'tar', 'cp', 'head', 'xargs') AND process:command_line MATCHES '/[^ ]+/var/lib/kubelet/pods' AND " + IN_POD + "]"),
], kh=("EXPLOIT_HOST_TRAVERSE",))
steps['identity-assume'] = model("identity-assume", "Stolen identity used against the API",
  "A stolen credential is used: a bearer token handed to curl or kubectl from a pod, the kubelet's client certificate or an admin kubeconfig read from the node, API calls by a service account or node from a generic HTTP client.",
  "T1078", "Valid Accounts", ["privilege-escalation", "defense-evasion"], [
  ("Bearer token or kubeconfig handed to a client in a pod", "A command in a pod carries an Authorization: Bearer header, kubectl --token, or a --kubeconfig/--cert pointing at kubelet or admin credentials.",
   "[process:command_line MATCHES '(Authorization: Bearer |--token[= ][^ ]|kubelet-client(-current)?[.]pem|/etc/kubernetes/(admin|super-admin|kubelet)[.]conf)' AND " + IN_POD + "]"),
  ("Node or admin credentials read from a pod", "security_file_permission with MAY_READ on the kubelet's client key/certificate or an admin/kubelet kubeconfig, under any mount point.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '(/var/lib/kubelet/pki/kubelet-client[^/]*[.]pem|/etc/kubernetes/(admin|super-admin|kubelet)[.]conf)$' AND process:x_hook_args[1].value = 4 AND " + IN_POD + "]", "identity-assume"),
  ("API call by a service account or node from a generic client", "An audit event whose user is a service account or a node and whose client is curl, wget, python-requests or kubectl: controllers and kubelets do not call like that.",
   "[network-traffic:x_audit_user MATCHES '^system:(serviceaccount|node):' AND network-traffic:x_audit_user_agent MATCHES '^(curl|[Ww]get|python-requests|kubectl)/']"),
  ("Falco: API server contacted by a client tool in a container", "Falco's API-server rule, when the process is curl, wget, kubectl, python or a raw socket tool.",
   "[process:x_alert_rule = 'Contact K8S API Server From Container' AND process:x_alert_fields.proc_cmdline MATCHES '^(curl|wget|kubectl|python[0-9.]*|nc|ncat|socat) ']"),
  ("Kubescape: Kubernetes client executed", "Kubescape's R0007: a Kubernetes client ran in a container.",
   "[process:x_alert_rule_id = 'R0007']"),
], kh=("IDENTITY_ASSUME",))
steps['impersonate'] = model("identity-impersonate", "Identity impersonation",
  "A user or service account with the impersonate right acts as another user or group (system:masters) through Impersonate-* headers.",
  "T1078", "Valid Accounts", ["privilege-escalation"], [
  ("Impersonation flags or headers on a command line", "kubectl --as/--as-group/--as-uid, or curl with an Impersonate-User/-Group/-Uid/-Extra header.",
   "[process:command_line MATCHES '( --as(-group|-uid)?[= ][^ ]|Impersonate-(User|Group|Uid|Extra-[A-Za-z0-9-]+) ?:)']"),
  ("Impersonation permission checked", "A SelfSubjectAccessReview asking for the verb impersonate (kubectl auth can-i impersonate ...).",
   "[network-traffic:x_audit_resource = 'selfsubjectaccessreviews' AND network-traffic:x_audit_request_object.spec.resourceattributes.verb = 'impersonate']"),
  ("Role granting impersonate created", "A (Cluster)Role whose rules grant the verb impersonate.",
   "[network-traffic:x_audit_resource IN ('clusterroles', 'roles') AND network-traffic:x_audit_verb IN ('create', 'update', 'patch') AND network-traffic:x_audit_request_object.rules[*].verbs[*] = 'impersonate']"),
], kh=("IDENTITY_IMPERSONATE",))
steps['perm-discover'] = model("permission-discover", "Permission discovery",
  "Someone asks what the current identity may do (kubectl auth can-i, auth whoami, a SelfSubjectAccessReview or SelfSubjectRulesReview) or enumerates role bindings.",
  "T1069", "Permission Groups Discovery", ["discovery"], [
  ("Self subject access or rules review", "Audit event of a SelfSubjectAccessReview, SelfSubjectRulesReview or SelfSubjectReview (kubectl auth can-i, can-i --list, auth whoami, or the same call from any client).",
   "[network-traffic:x_audit_resource IN ('selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews')]"),
  ("Permission discovery from a pod", "kubectl auth can-i/whoami, a direct call to the review APIs, or a permission enumeration tool (kdigger, rakkess, kubectl-who-can, peirates) in a pod.",
   "[process:command_line MATCHES '(auth (can-i|whoami)|selfsubject(access|rules)?reviews|kdigger|rakkess|kubectl-who-can|peirates)' AND " + IN_POD + "]"),
  ("Role bindings listed by a non-system user", "list of (cluster)role bindings by a user that is not a Kubernetes component.",
   "[network-traffic:x_audit_resource IN ('rolebindings', 'clusterrolebindings') AND network-traffic:x_audit_verb = 'list' AND network-traffic:x_audit_user NOT LIKE 'system:%']"),
], kh=("PERMISSION_DISCOVER",))
steps['pod-attach'] = model("pod-attach", "Container entered from the node",
  "From a compromised node, the runtime's own client (ctr, crictl, nerdctl, docker) execs into or attaches to a container, bypassing the API server.",
  "T1609", "Container Administration Command", ["execution"], [
  ("Runtime client exec or attach", "ctr task exec/attach, crictl exec/attach, nerdctl or docker exec/attach.",
   "[process:image_ref.name IN ('ctr', 'crictl', 'nerdctl', 'docker') AND process:command_line MATCHES ' (task )?(exec|attach)( |$)']"),
], kh=("POD_ATTACH",))
steps['pod-patch'] = model("pod-patch", "Pod patched with another image",
  "A running pod's container image is replaced through a patch or update (kubectl patch, set image, edit): the attacker's image then runs with the pod's identity and mounts.",
  "T1609", "Container Administration Command", ["execution", "persistence"], [
  ("Pod image changed through the API", "Audit event of a pod patch or update whose body sets a container image.",
   "[network-traffic:x_audit_resource = 'pods' AND network-traffic:x_audit_verb IN ('patch', 'update') AND (EXISTS network-traffic:x_audit_request_object.spec.containers[*].image OR EXISTS network-traffic:x_audit_request_object.spec.initcontainers[*].image)]"),
  ("Pod patched from a pod", "kubectl patch/set image/edit on a pod, or a PATCH to the pods API, from a process in a pod.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?(patch|set image|edit) (pods?|po)[ /]|(-X ?|--request )PATCH .*/api/v1/namespaces/[^/ ]+/pods/)' AND " + IN_POD + "]"),
], kh=("POD_PATCH",))
steps['share-ps'] = model("share-ps-namespace", "Neighbour container reached through a shared process namespace",
  "In a pod with shareProcessNamespace, one container reaches another container's files and memory through /proc/<pid>/root, /proc/<pid>/mem or /proc/<pid>/environ.",
  "T1080", "Taint Shared Content", ["lateral-movement"], [
  ("Another process's root, memory or environment opened", "openat of /proc/<pid>/root/..., /proc/<pid>/mem or /proc/<pid>/environ (pid not self) from a pod.",
   "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES '^/proc/[0-9]+/(root/|mem$|environ$)' AND " + IN_POD + "]", "share-ps-namespace"),
  ("Another process's root named on a command line", "A command in a pod reads through /proc/<pid>/root or dumps /proc/<pid>/mem.",
   "[process:command_line MATCHES '/proc/[0-9]+/(root/|mem( |$))' AND " + IN_POD + "]"),
  ("Pod with a shared process namespace created", "Audit event of a pod or workload create whose spec sets shareProcessNamespace.",
   "[network-traffic:x_audit_verb = 'create' AND (network-traffic:x_audit_request_object.spec.shareprocessnamespace = true OR network-traffic:x_audit_request_object.spec.template.spec.shareprocessnamespace = true)]"),
], kh=("SHARE_PS_NAMESPACE",))
steps['token-bruteforce'] = model("token-bruteforce", "Secret names guessed",
  "An identity allowed to get (not list) secrets guesses the names of service-account token secrets: many gets of secrets, most of them not found.",
  "T1528", "Steal Application Access Token", ["credential-access"], [
  ("Repeated secret gets that miss", "Ten gets of secrets answered 404 within a minute.",
   "([network-traffic:x_audit_resource = 'secrets' AND network-traffic:x_audit_verb = 'get' AND network-traffic:x_audit_code = 404] REPEATS 10 TIMES) WITHIN 60 SECONDS"),
  ("Secret fetched by name from a pod", "kubectl get secret <name>, or a GET of /api/v1/namespaces/<ns>/secrets/<name>, from a process in a pod.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?get secrets? [a-z0-9]|/api/v1/namespaces/[^/ ]+/secrets/[a-z0-9])' AND " + IN_POD + "]"),
], kh=("TOKEN_BRUTEFORCE",))
steps['token-list'] = model("token-list", "Secrets listed",
  "An identity allowed to list secrets dumps them all (kubectl get secrets -o json, a GET of the secrets collection) and takes the service-account tokens among them.",
  "T1528", "Steal Application Access Token", ["credential-access"], [
  ("Secrets listed by a user or workload", "list or watch of secrets by a user that is neither a control-plane component nor a node nor a kube-system service account.",
   "[network-traffic:x_audit_resource = 'secrets' AND network-traffic:x_audit_verb IN ('list', 'watch') AND network-traffic:x_audit_user NOT LIKE 'system:node:%' AND network-traffic:x_audit_user NOT LIKE 'system:serviceaccount:kube-system:%' AND network-traffic:x_audit_user NOT IN ('system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver')]"),
  ("Secrets listed from a pod", "kubectl get secrets (all of them), or a GET of the secrets collection, from a process in a pod.",
   "[process:command_line MATCHES '(kubectl[^ ]* (.* )?get secrets?( +-|$| *$)|/api/v1/(namespaces/[^/ ]+/)?secrets([? ]|$))' AND " + IN_POD + "]"),
], kh=("TOKEN_LIST",))
steps['volume-access'] = model("volume-access", "Pod volumes read from the node",
  "On the node, someone other than the kubelet reads pod volumes under /var/lib/kubelet/pods (secrets, tokens, application data).",
  "T1613", "Container and Resource Discovery", ["discovery"], [
  ("Pod volume read on the node (LSM)", "security_file_permission with MAY_READ under /var/lib/kubelet/pods/<uid>/volumes by a process outside every pod that is not the kubelet.",
   "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES '^/var/lib/kubelet/pods/[^/]+/volumes/' AND process:x_hook_args[1].value = 4 AND process:image_ref.name NOT IN ('kubelet', 'containerd', 'containerd-shim-runc-v2', 'runc')]", "volume-access"),
  ("Pod volumes listed on the node", "find, ls, cat, tar or cp on /var/lib/kubelet/pods/.../volumes.",
   "[process:image_ref.name IN ('find', 'ls', 'cat', 'tar', 'cp', 'head', 'grep') AND process:command_line MATCHES '(^| )/var/lib/kubelet/pods(/|$| )']"),
], kh=("VOLUME_ACCESS",))
steps['volume-discover'] = model("volume-discover", "Mounted volumes discovered",
  "From inside a container, someone lists what is mounted (/proc/self/mounts, mountinfo, /etc/mtab, mount, findmnt, df, kdigger) to find host paths, sockets and tokens worth attacking.",
  "T1613", "Container and Resource Discovery", ["discovery"], [
  ("Mount table read by a shell tool (syscall)", "cat, head, grep, awk or sed opens /proc/<self|pid>/mounts, mountinfo or /etc/mtab in a pod (runtimes and JVMs read these files too, so the reader must be a shell tool).",
   "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES '^(/proc/(self|thread-self|[0-9]+)/(mounts|mountinfo)|/etc/mtab)$' AND process:image_ref.name IN ('cat', 'head', 'tail', 'grep', 'awk', 'sed', 'less', 'more') AND " + IN_POD + "]", "volume-discover"),
  ("Mount listing command in a pod", "cat/grep of the mount table, mount or findmnt without arguments, df, kdigger dig mounts.",
   "[process:command_line MATCHES '(/proc/(self|[0-9]+)/(mounts|mountinfo)|/etc/mtab|kdigger .*(mount|dig)|^[^ ]*/(findmnt|mount)$|^[^ ]*/df( |$))' AND " + IN_POD + "]"),
  ("Kubescape: mount table read", "Kubescape's unexpected (sensitive) file access on the mount table.",
   "[process:x_alert_rule_id IN ('R0002', 'R0010') AND process:x_alert_fields.arguments.path MATCHES '^(/proc/(self|[0-9]+)/(mounts|mountinfo)|/etc/mtab)$']"),
], kh=("VOLUME_DISCOVER",))

# --- entry points: what their own logs say (decoders sshd and http-access) ---
# BAIT_USER is the account `storm bait generate` plants (src/bait/bait.c,
# STORM_BAIT_SSH_USER): nobody knows it who has not read a bait secret.
BAIT_USER = "ops-backup"
SCANNER_PATHS = ("^/+(\\.env|\\.git/|\\.aws/|\\.kube/|\\.ssh/|\\.DS_Store|wp-login\\.php|wp-admin|xmlrpc\\.php|actuator|"
                 "api/v1/secrets|api/v1/namespaces/[^/]+/secrets|phpmyadmin|server-status|cgi-bin/|boaform|config\\.json|"
                 "vendor/phpunit|owa/|HNAP1|console/|solr/|\\.well-known/security\\.txt$)")
steps['ssh-bruteforce'] = model("entry-ssh-bruteforce", "SSH passwords guessed",
  "Someone tries password after password (or user name after user name) against an SSH server of the cluster: the server's own authentication log shows the failures.",
  "T1110.001", "Brute Force: Password Guessing", ["credential-access"], [
  ("Repeated SSH authentication failures", "Five failed SSH authentications within a minute in one place (the host or pod whose sshd logged them).",
   "([network-traffic:x_app_auth_result = 'failed' AND network-traffic:x_app_program IN ('sshd', 'sshd-session', 'sshd-auth')] REPEATS 5 TIMES) WITHIN 60 SECONDS"),
  ("Repeated unknown SSH users", "Five attempts to log in as accounts that do not exist within a minute.",
   "([network-traffic:x_app_auth_result = 'invalid_user'] REPEATS 5 TIMES) WITHIN 60 SECONDS"),
  ("SSH maximum authentication attempts exceeded", "sshd cut a connection off after too many failed authentications.",
   "[network-traffic:x_app_auth_result = 'max_auth_tries']"),
])
steps['bait-login'] = model("entry-bait-login", "Login with a bait credential",
  "Someone logs in (or tries to) with the account of a bait credential: the name is only written in the honeytoken secrets that storm bait generate plants, so whoever uses it read them.",
  "T1078", "Valid Accounts", ["initial-access"], [
  ("Bait account logged in", "An entry point accepted a login as the bait account.",
   f"[network-traffic:x_app_auth_user = '{BAIT_USER}' AND network-traffic:x_app_auth_result = 'accepted']"),
  ("Bait account tried", "An entry point's log names the bait account (any outcome).",
   f"[user-account:account_login = '{BAIT_USER}']"),
], more_ext=(("T1552.001", "Unsecured Credentials: Credentials In Files"),))
steps['http-scan'] = model("entry-http-scan", "Web paths scanned",
  "A scanner walks an HTTP entry point for well-known secret, admin and framework paths (/.env, /.git/config, /wp-login.php, /actuator, /api/v1/secrets...): the server's access log shows the requests.",
  "T1595.003", "Active Scanning: Wordlist Scanning", ["reconnaissance"], [
  ("Request for a well-known secret or admin path", "An access log line (not a Kubernetes API request: those carry the same extension) whose request target is one of the paths scanners probe first.",
   "[network-traffic:x_app_program = 'httpd' AND network-traffic:extensions.'http-request-ext'.request_value MATCHES '" + SCANNER_PATHS.replace("\\", "\\\\") + "']"),
  ("Scanner user agent", "The request's User-Agent names a known scanner.",
   "[network-traffic:x_app_program = 'httpd' AND network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'[*] MATCHES '(?i)(nmap|nikto|sqlmap|masscan|zgrab|nuclei|gobuster|dirbuster|wpscan|ffuf|feroxbuster|l9explore|censys)']"),
  ("Many requests answered not found", "Twenty 404 responses within a minute: a wordlist walked.",
   "([network-traffic:x_app_http_status = 404] REPEATS 20 TIMES) WITHIN 60 SECONDS"),
])

# the attack tree: steps ordered by related-to, one intrusion-set using them.
# The first eleven edges are the original library's; the rest place the
# KubeHound steps in the order attackers chain them (entry -> credential
# access -> discovery -> lateral movement -> escape -> persistence). The
# graph stays acyclic so that `storm models tree` draws it as a tree.
iset = {"type": "intrusion-set", "spec_version": "2.1", "id": ident("intrusion-set", "kubernetes-escape"), "created": TS, "modified": TS,
        "name": "Kubernetes container escape", "description": "From a foothold in one pod to the node: the honeycluster's critical attack path, with every attack of KubeHound's catalogue placed on it.",
        "goals": ["Control of a cluster node"]}
objs = [iset]
order = [('pod-exec', 'sa-token'), ('sa-token', 'rbac'), ('rbac', 'pod-create'), ('pod-create', 'nsenter'), ('pod-create', 'mount'),
         ('pod-create', 'host-read'), ('pod-create', 'host-write'), ('pod-create', 'containerd'), ('pod-create', 'varlog'),
         ('pod-create', 'ptrace'), ('mount', 'module'),
         # entry: an exploited service or an exec gives a shell in a pod
         ('endpoint', 'volume-discover'), ('endpoint', 'sa-token'), ('endpoint', 'share-ps'),
         # credential access -> use of the identity -> discovery of its rights
         ('sa-token', 'identity-assume'), ('identity-assume', 'perm-discover'),
         ('perm-discover', 'token-list'), ('perm-discover', 'token-bruteforce'), ('perm-discover', 'impersonate'),
         ('perm-discover', 'pod-patch'), ('perm-discover', 'container-attach'),
         ('impersonate', 'rbac'), ('token-list', 'rbac'), ('token-bruteforce', 'rbac'),
         # escapes that start from the mounts a pod was given
         ('volume-discover', 'host-traverse'), ('volume-discover', 'umh'), ('pod-create', 'umh'), ('pod-create', 'host-traverse'),
         # on the node: other containers and their volumes
         ('nsenter', 'pod-attach'), ('containerd', 'pod-attach'), ('nsenter', 'volume-access'),
         # initial access through an entry point's own door: its logs see it
         ('http-scan', 'endpoint'), ('ssh-bruteforce', 'bait-login'), ('bait-login', 'volume-discover')]
for k, v in steps.items():
    objs.append({"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"tree/uses/{k}"), "created": TS, "modified": TS,
                 "relationship_type": "uses", "source_ref": iset["id"], "target_ref": v})
for a, b in order:
    objs.append({"type": "relationship", "spec_version": "2.1", "id": ident("relationship", f"tree/{a}/{b}"), "created": TS, "modified": TS,
                 "relationship_type": "related-to", "source_ref": steps[a], "target_ref": steps[b]})
models.append(("kubernetes-escape-tree", objs))

# --- POLICY: the TracingPolicies that make the kernel hooks of the indicators visible ---
# Argument positions match the indicators' x_hook_args[n]: security_file_permission
# (file, int mask), sys_openat (int dfd, string path, int flags), ...
# Process execution (image_ref, command_line) needs no policy: Tetragon
# reports every exec by default.
NOT_HOST = {"matchNamespaces": [{"namespace": "Pid", "operator": "NotIn", "values": ["host_ns"]}]}
def kp(call, args, selectors=None, syscall=True):
    k = {"call": call, "syscall": syscall, "args": [{"index": i, "type": t} for i, t in enumerate(args)]}
    if selectors:
        k["selectors"] = selectors
    return k
def fperm(op, values, masks):
    return kp("security_file_permission", ["file", "int"], [{"matchArgs": [
        {"index": 0, "operator": op, "values": values}, {"index": 1, "operator": "Equal", "values": masks}]}], syscall=False)
def openat(op, values, extra=None):
    sel = {"matchArgs": [{"index": 1, "operator": op, "values": values}]}
    if extra:
        sel.update(extra)
    return kp("sys_openat", ["int", "string", "int"], [sel])
TOKEN_DIRS = ["/run/secrets/kubernetes.io/serviceaccount", "/var/run/secrets/kubernetes.io/serviceaccount"]
HOST_DIRS = ["/host", "/rootfs", "/node"]
UMH = ["/core_pattern", "/modprobe", "/hotplug", "/uevent_helper", "/release_agent"]
policies = {
  "sa-token-theft": [fperm("Prefix", TOKEN_DIRS, ["4"]), kp("tcp_connect", ["sock"], syscall=False), openat("Prefix", TOKEN_DIRS)],
  "ce-nsenter": [kp("sys_setns", ["int", "int"], [NOT_HOST])],
  "ce-sys-ptrace": [kp("sys_ptrace", ["int", "int"]),
                    kp("sys_execve", ["string"], [{"matchArgs": [{"index": 0, "operator": "Postfix", "values": ["/gdb", "/strace", "/ltrace"]}]}])],
  "ce-priv-mount": [kp("sys_mount", ["string", "string"], [NOT_HOST]),
                    kp("security_sb_mount", ["string", "path", "string"], [NOT_HOST], syscall=False)],
  "ce-module-load": [kp("security_kernel_read_file", ["file", "int"], [{"matchArgs": [{"index": 1, "operator": "Equal", "values": ["2"]}]}], syscall=False),
                     kp("do_init_module", ["module"], syscall=False), kp("find_module_sections", ["module"], syscall=False),
                     kp("security_kernel_module_request", ["string"], syscall=False),
                     kp("sys_init_module", []), kp("sys_finit_module", ["int"])],
  "ce-var-log-symlink": [kp("sys_symlinkat", ["string", "int", "string"], [NOT_HOST]), kp("sys_symlink", ["string", "string"], [NOT_HOST])],
  "exploit-containerd-sock": [kp("sys_connect", ["int"], [{"matchBinaries": [{"operator": "Postfix", "values": ["/crictl", "/ctr", "/nerdctl", "/docker"]}]}])],
  "exploit-host-read": [openat("Prefix", [d + "/" for d in HOST_DIRS] + ["/proc/"], NOT_HOST), fperm("Prefix", HOST_DIRS, ["4"])],
  "exploit-host-write": [openat("Prefix", [d + "/" for d in HOST_DIRS], NOT_HOST), fperm("Prefix", HOST_DIRS, ["2", "10"])],
  "ce-umh-core-pattern": [fperm("Postfix", UMH, ["2", "10"]), openat("Postfix", ["core_pattern", "uevent_helper", "release_agent"])],
  "exploit-host-traverse": [fperm("Postfix", ["/token"], ["4"]), openat("Postfix", ["/token"], NOT_HOST)],
  "identity-assume": [fperm("Postfix", ["/kubelet-client-current.pem", "/admin.conf", "/super-admin.conf", "/kubelet.conf"], ["4"])],
  # the pid range of a pod's own processes: a shared process namespace rarely holds more than a few dozen
  "share-ps-namespace": [openat("Prefix", ["/proc/%d/" % n for n in range(1, 65)], NOT_HOST)],
  "volume-access": [kp("security_file_permission", ["file", "int"], [{"matchArgs": [
        {"index": 0, "operator": "Prefix", "values": ["/var/lib/kubelet/pods/"]}, {"index": 1, "operator": "Equal", "values": ["4"]}],
        "matchNamespaces": [{"namespace": "Pid", "operator": "In", "values": ["host_ns"]}],
        "matchBinaries": [{"operator": "NotIn", "values": ["/usr/bin/kubelet", "/usr/local/bin/kubelet"]}]}], syscall=False)],
  "volume-discover": [openat("Postfix", ["/mounts", "/mountinfo", "/etc/mtab"], NOT_HOST)],
}

def yaml_lines(v, ind=0):
    """A small YAML writer (block style, every string quoted): keeps this
    generator free of dependencies."""
    sp = "  " * ind
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{sp}{k}:")
                out += yaml_lines(x, ind + 1)
            else:
                out.append(f"{sp}{k}: {scalar(x)}")
    else:
        for x in v:
            if isinstance(x, dict):
                sub = yaml_lines(x, ind + 1)
                out.append(f"{sp}- " + sub[0].lstrip())
                out += sub[1:]
            else:
                out.append(f"{sp}- {scalar(x)}")
    return out
def scalar(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, list):
        return "[]"
    return json.dumps(x)

out = os.path.dirname(os.path.abspath(__file__))
for slug, objs in models:
    b = {"type": "bundle", "id": ident("bundle", slug), "objects": [owned(o) for o in objs] + [IDENTITY, MARKING]}
    with open(os.path.join(out, slug + ".json"), "w") as f:
        json.dump(b, f, indent=2)
        f.write("\n")
pdir = os.path.join(out, "policies")
os.makedirs(pdir, exist_ok=True)
for slug, kprobes in policies.items():
    doc = {"apiVersion": "cilium.io/v1alpha1", "kind": "TracingPolicy", "metadata": {"name": "storm-" + slug},
           "spec": {"kprobes": kprobes}}
    with open(os.path.join(pdir, slug + ".yaml"), "w") as f:
        f.write("# SPDX-License-Identifier: Apache-2.0\n# Written by models/generate_models.py: the kernel hooks that the indicators of\n"
                f"# models/{slug}.json read (process:x_hook_name / x_hook_args). Do not edit by hand.\n")
        f.write("\n".join(yaml_lines(doc)) + "\n")
print(len(models), "files,", len(policies), "policies")
