#!/usr/bin/env python3
"""Write synthetic-attack.jsonl: one attacker across two pods and the API
server, as Tetragon (export JSON) and Kubernetes audit (audit.k8s.io/v1
Event) records, in the shapes of the real ones in ../corpus/.

The story (namespace shop, node worker-1):
  +0s    web-a: a shell starts (a web shell)                       tetragon exec
  +5s    web-a: cat the service-account token                      tetragon exec   (token theft)
  +40s   worker-b: a shell starts                                  tetragon exec
  +42s   worker-b: curl with the bearer token lists secrets        tetragon exec   (stolen identity, secrets listed)
  +42.1s worker-b: curl connects from 10.244.2.31 to the API       tetragon kprobe tcp_connect
  +43s   API: list secrets as system:serviceaccount:shop:web from 10.244.2.31,
         the token bound to pod web-a (user.extra)                 audit           (stolen identity, secrets listed)
  +60s   API: web-a itself reads a configmap with its own token    audit           (normal, no step)
  +90s   API: create pod escape-pod (hostPID, privileged, hostPath /) with that token
                                                                   audit           (privileged pod created)
  +110s  API: exec into escape-pod with that token                 audit           (exec into a pod)
  +115s  escape-pod: nsenter -t 1 ... bash                         tetragon exec   (escape via nsenter)
  +118s  worker-1 host: the bash nsenter started (no pod)          tetragon exec
  +125s  worker-1 host: crictl exec into another container         tetragon exec   (container entered from the node)
Unrelated, same minutes: billing/api-0 reads its own token (+60s): another session.

Expected (test_sessions.py): two sessions; the first holds every step above in
order and touches shop/web-a, shop/worker-b, shop/escape-pod and node worker-1.
Run: python3 make_synthetic.py > synthetic-attack.jsonl
"""
import base64
import json
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=timezone.utc)
NODE = "worker-1"
TOKEN = ("eyJhbGciOiJSUzI1NiIsImtpZCI6InN5bnRoZXRpYyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDp3ZWIifQ."
         "c3ludGhldGljLXNpZ25hdHVyZQ")


def ts(sec, digits=9):
    t = T0 + timedelta(seconds=sec)
    frac = f"{t.microsecond:06d}" + "000"
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + frac[:digits] + "Z"


def exec_id(ktime, pid):
    return base64.b64encode(f"{NODE}:{ktime}:{pid}".encode()).decode()


def pod(ns, name, ctr, image, labels):
    cid = "containerd://" + (name.encode().hex() * 8)[:64]
    return {"namespace": ns, "name": name,
            "container": {"id": cid, "name": ctr, "image": {"id": image + "@sha256:" + "ab" * 32, "name": image},
                          "start_time": ts(-3600, 0)[:-2] + "Z", "pid": 1},
            "pod_labels": labels, "workload": name.rsplit("-", 1)[0], "workload_kind": "Deployment"}


def proc(eid, pid, binary, args, start, parent_eid, pod_block=None, flags="execve clone"):
    p = {"exec_id": eid, "pid": pid, "uid": 0, "cwd": "/", "binary": binary, "arguments": args, "flags": flags,
         "start_time": ts(start), "auid": 4294967295, "parent_exec_id": parent_eid, "refcnt": 1, "tid": pid}
    if pod_block:
        p["pod"] = pod_block
        p["docker"] = pod_block["container"]["id"][13:44]
    return p


def tetragon_exec(sec, process, parent):
    return {"process_exec": {"process": process, "parent": parent}, "node_name": NODE, "time": ts(sec)}


def audit(sec, verb, uri, resource, ns, name, user, extra_pod, source_ip, agent, code, request_object=None,
          subresource=None):
    obj = {"resource": resource, "namespace": ns, "apiVersion": "v1"}
    if name:
        obj["name"] = name
    if subresource:
        obj["subresource"] = subresource
    u = {"username": user, "uid": "5d1c0f9e-3a51-4c1e-9c6b-2f1e7c9d0a11",
         "groups": ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"]}
    if extra_pod:
        u["extra"] = {"authentication.kubernetes.io/credential-id": ["JTI=7c1b2f0e-4d5a-4a8e-9f3b-1e2d3c4b5a69"],
                      "authentication.kubernetes.io/node-name": [NODE],
                      "authentication.kubernetes.io/pod-name": [extra_pod],
                      "authentication.kubernetes.io/pod-uid": ["0f6e1d2c-3b4a-4958-8a7b-6c5d4e3f2a1b"]}
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
          "auditID": "%08x-0000-4000-8000-%012x" % (sec * 1000, sec * 1000),
          "stage": "ResponseComplete", "requestURI": uri, "verb": verb, "user": u, "sourceIPs": [source_ip],
          "userAgent": agent, "objectRef": obj,
          "responseStatus": {"metadata": {}, "code": code},
          "requestReceivedTimestamp": ts(sec, 6), "stageTimestamp": ts(sec + 0.004, 6),
          "annotations": {"authorization.k8s.io/decision": "allow",
                          "authorization.k8s.io/reason": "RBAC: allowed by RoleBinding \"web-admin/shop\" of Role \"admin\" to ServiceAccount \"web/shop\""}}
    if request_object is not None:
        ev["requestObject"] = request_object
    return ev


def main():
    web = pod("shop", "web-a", "web", "ghcr.io/example/shop-web:2.4.1", {"app": "web"})
    worker = pod("shop", "worker-b", "worker", "ghcr.io/example/shop-worker:1.9.0", {"app": "worker"})
    escape = pod("shop", "escape-pod", "shell", "docker.io/library/alpine:3.19", {"run": "escape-pod"})
    billing = pod("billing", "api-0", "api", "ghcr.io/example/billing-api:3.0.2", {"app": "billing-api"})
    shim_web = proc(exec_id(1000, 4100), 4100, "/usr/bin/containerd-shim-runc-v2",
                    "-namespace k8s.io -id " + "a1" * 32 + " -address /run/containerd/containerd.sock", -3600,
                    exec_id(10, 900))
    shim_worker = dict(shim_web, exec_id=exec_id(1100, 4200), pid=4200)
    shim_escape = dict(shim_web, exec_id=exec_id(1300, 4400), pid=4400)
    shim_billing = dict(shim_web, exec_id=exec_id(1200, 4300), pid=4300)
    out = []
    # web-a: a web shell, then the token
    sh_a = proc(exec_id(2000, 5001), 5001, "/bin/sh", "-c \"sh -i\"", 0, shim_web["exec_id"], web)
    out.append(tetragon_exec(0, sh_a, shim_web))
    cat_a = proc(exec_id(2005, 5010), 5010, "/usr/bin/cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", 5,
                 sh_a["exec_id"], web)
    out.append(tetragon_exec(5, cat_a, sh_a))
    # worker-b: the token used with curl
    sh_b = proc(exec_id(2040, 6001), 6001, "/bin/sh", "", 40, shim_worker["exec_id"], worker)
    out.append(tetragon_exec(40, sh_b, shim_worker))
    curl_b = proc(exec_id(2042, 6010), 6010, "/usr/bin/curl",
                  "-sk -H \"Authorization: Bearer " + TOKEN + "\" https://10.96.0.1:443/api/v1/namespaces/shop/secrets",
                  42, sh_b["exec_id"], worker)
    out.append(tetragon_exec(42, curl_b, sh_b))
    out.append({"process_kprobe": {
        "process": curl_b, "parent": sh_b, "function_name": "tcp_connect",
        "args": [{"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
                               "saddr": "10.244.2.31", "daddr": "10.96.0.1", "sport": 48122, "dport": 443,
                               "cookie": "18446618440389939712", "state": "TCP_SYN_SENT"}}],
        "action": "KPROBE_ACTION_POST", "policy_name": "connect", "return_action": "KPROBE_ACTION_POST"},
        "node_name": NODE, "time": ts(42.1)})
    sa = "system:serviceaccount:shop:web"
    out.append(audit(43, "list", "/api/v1/namespaces/shop/secrets", "secrets", "shop", None, sa, "web-a",
                     "10.244.2.31", "curl/8.5.0", 200))
    # normal use of the token by web-a itself (no step)
    out.append(audit(60, "get", "/api/v1/namespaces/shop/configmaps/web-config", "configmaps", "shop", "web-config",
                     sa, "web-a", "10.244.1.17", "shop-web/2.4.1", 200))
    # unrelated: billing/api-0 reads its own token
    sh_c = proc(exec_id(2060, 7001), 7001, "/bin/sh", "-c \"cat /var/run/secrets/kubernetes.io/serviceaccount/token\"",
                60, shim_billing["exec_id"], billing)
    cat_c = proc(exec_id(2061, 7002), 7002, "/usr/bin/cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", 60,
                 sh_c["exec_id"], billing)
    out.append(tetragon_exec(60, cat_c, sh_c))
    # the privileged pod, created with the stolen token
    spec = {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "escape-pod", "namespace": "shop", "creationTimestamp": None},
            "spec": {"hostPID": True, "serviceAccountName": "web",
                     "containers": [{"name": "shell", "image": "docker.io/library/alpine:3.19",
                                     "command": ["sleep", "infinity"], "resources": {},
                                     "securityContext": {"privileged": True},
                                     "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
                     "volumes": [{"name": "host", "hostPath": {"path": "/", "type": ""}}]},
            "status": {}}
    out.append(audit(90, "create", "/api/v1/namespaces/shop/pods", "pods", "shop", "escape-pod", sa, "web-a",
                     "10.244.2.31", "curl/8.5.0", 201, spec))
    out.append(audit(110, "create",
                     "/api/v1/namespaces/shop/pods/escape-pod/exec?command=sh&container=shell&stdin=true&stdout=true&tty=true",
                     "pods", "shop", "escape-pod", sa, "web-a", "10.244.2.31", "kubectl/v1.30.2 (linux/amd64)", 101,
                     subresource="exec"))
    # the escape
    sh_e = proc(exec_id(2110, 8001), 8001, "/bin/sh", "", 110, shim_escape["exec_id"], escape)
    out.append(tetragon_exec(110.5, sh_e, shim_escape))
    ns_e = proc(exec_id(2115, 8010), 8010, "/usr/bin/nsenter", "-t 1 -m -u -n -i -p -- bash", 115, sh_e["exec_id"],
                escape)
    out.append(tetragon_exec(115, ns_e, sh_e))
    host_bash = proc(exec_id(2118, 8011), 8011, "/usr/bin/bash", "", 118, ns_e["exec_id"])
    out.append(tetragon_exec(118, host_bash, ns_e))
    crictl = proc(exec_id(2125, 8020), 8020, "/usr/local/bin/crictl", "exec -it " + "9f" * 6 + " sh", 125,
                  host_bash["exec_id"])
    out.append(tetragon_exec(125, crictl, host_bash))
    for ev in out:
        print(json.dumps(ev, separators=(",", ":")))


if __name__ == "__main__":
    main()
