#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate a realistic sensor stream for bench_run.sh from the real corpus:
Tetragon events (60%), Kubescape alerts (25%) and Kubernetes audit events
(15%), each a real corpus line with its pod name, binary, exec id and time
varied (500 pods, 60 binaries, increasing times). Deterministic (seeded).
With --kprobe: a kprobe-heavy Tetragon stream instead, as a node with file,
memory-map and network tripwires reports it (~1.9 KB events): exec 14%,
exit 4%, security_file_permission 34%, fd_install 14%, security_mmap_file
10%, tcp_connect 10%, every other corpus kprobe 14%; built from the real
corpus kprobes (fd_install and security_mmap_file take the process, parent
and file argument of a real security_file_permission event), with pod,
subject binary and arguments, parent binary, file path, exec ids, node and time varied;
one event in 50 keeps its real file path, binaries, arguments and hook, so
the attack steps of the corpus still occur; the other 49 get an
application's binary and arguments, a parent's, a common file path and,
for the corpus's other kprobes (module loads, setns, mount...), a common
hook: a node's normal noise, against which a few percent of events match
(the workload the speed issue measured: 5,330 of 200,000 events matched).
With --kprobe-attack: the same stream as it was before that noise was made
benign (half the subjects take a binary from a list that holds attack tools
such as nc, nsenter and crictl; parents keep their corpus arguments; other
kprobes keep their hooks), where about a third of events match: a stress
case for sightings and output, kept to compare with earlier figures.
Usage: gen_stream.py [--kprobe | --kprobe-attack] EVENTS > stream.jsonl"""
import glob
import json
import os
import random
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "corpus")
rnd = random.Random(42)


def lines(pattern):
    out = []
    for f in sorted(glob.glob(os.path.join(root, pattern))):
        for l in open(f, encoding="utf-8"):
            l = l.strip()
            if l:
                try:
                    out.append((l, json.loads(l)))
                except ValueError:
                    pass
    return out


def tetragon_fields(d):
    for k, v in d.items():
        if k.startswith("process_") and isinstance(v, dict) and "process" in v:
            p = v["process"]
            return (p.get("pod", {}).get("name"), p.get("binary"), p.get("exec_id"), d.get("time"))
    return (None, None, None, d.get("time"))


templates = []
for raw, d in lines("tetragon/*.jsonl"):
    templates.append(("tetragon", raw) + tetragon_fields(d))
kube = []
for raw, d in lines("kubescape/honeycluster-*.jsonl"):
    k8s = d.get("RuntimeK8sDetails") or {}
    kube.append(("kubescape", raw, k8s.get("podName") if isinstance(k8s, dict) else None, None, None, d.get("time")))
audit = []
for raw, d in lines("k8s-audit/falco-trace-files-k8s-audit.jsonl"):
    if isinstance(d.get("kind"), str):
        audit.append(("audit", raw, (d.get("objectRef") or {}).get("name"), None, None,
                      d.get("requestReceivedTimestamp")))

def kprobe_stream(n, attack):
    """The --kprobe stream, or --kprobe-attack's (see the module's text)."""
    by_kind = {"exec": [], "exit": [], "sfp": [], "tcp": [], "other": []}
    for raw, d in lines("tetragon/*.jsonl"):
        if "process_exec" in d:
            by_kind["exec"].append(d)
        elif "process_exit" in d:
            by_kind["exit"].append(d)
        elif "process_kprobe" in d:
            fn = d["process_kprobe"].get("function_name")
            by_kind["sfp" if fn == "security_file_permission" else "tcp" if fn == "tcp_connect" else "other"].append(d)
    paths = ["/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libssl.so.3",
             "/proc/self/status", "/proc/%d/cmdline", "/etc/passwd", "/etc/hosts", "/etc/resolv.conf",
             "/var/log/app/%d.log", "/tmp/cache-%d", "/usr/share/zoneinfo/UTC", "/app/config/%d.yaml",
             "/dev/null", "/dev/urandom", "/sys/fs/cgroup/cpu.max", "/opt/app/lib/module-%d.so"]
    arguments = ["-c /etc/app/%d.conf", "--port 8%03d --workers 4", "run --config /app/config.yaml --id %d",
                 "-jar /opt/app/service.jar --server.port=8%03d", "/app/server.js --shard %d", "worker.py --queue q%d",
                 "-g daemon off; -c /etc/nginx/nginx.conf # %d", "%d"]
    parent_arguments = ["", "-c /usr/local/bin/start.sh", "/usr/local/bin/entrypoint.sh --serve",
                        "-namespace k8s.io -id %d -address /run/containerd/containerd.sock", "/app/run.py --worker %d",
                        "--init -- /app/start"]
    quiet_hooks = ["security_inode_getattr", "security_file_open", "__x64_sys_close", "vfs_read", "vfs_write",
                   "security_socket_sendmsg", "__x64_sys_newfstatat"]
    parents = ["/bin/sh", "/bin/bash", "/usr/bin/containerd-shim-runc-v2", "/usr/local/bin/entrypoint.sh",
               "/usr/bin/python3", "/usr/bin/node", "/usr/bin/java", "/usr/sbin/nginx", "/usr/bin/tini"]
    weights = [("exec", 0.14), ("exit", 0.04), ("sfp", 0.34), ("fd_install", 0.14), ("mmap", 0.10),
               ("tcp", 0.10), ("other", 0.14)]
    base = 1767225600
    out = sys.stdout
    for i in range(n):
        r, kind = rnd.random(), "other"
        for k, w in weights:
            if r < w:
                kind = k
                break
            r -= w
        src = "sfp" if kind in ("fd_install", "mmap") else kind
        d = json.loads(json.dumps(rnd.choice(by_kind[src])))
        real = rnd.random() < 0.02
        body = next(v for k, v in d.items() if k.startswith("process_"))
        if kind in ("fd_install", "mmap"):
            fa = next((a for a in body.get("args", []) if "file_arg" in a), {"file_arg": {"path": "/etc/hosts"}})
            if kind == "fd_install":
                body["function_name"] = "fd_install"
                body["args"] = [{"int_arg": rnd.randrange(3, 64)}, fa]
                body["policy_name"] = "fd-install"
            else:
                body["function_name"] = "security_mmap_file"
                body["args"] = [fa, {"uint_arg": 5}, {"uint_arg": 1}]
                body["policy_name"] = "mmap-exec"
        if not real and not attack and kind == "other":
            body["function_name"] = rnd.choice(quiet_hooks)
            body["policy_name"] = "file-monitoring"
        if not real:
            for a in body.get("args", []):
                if "file_arg" in a:
                    p = rnd.choice(paths)
                    a["file_arg"]["path"] = p % rnd.randrange(1000) if "%d" in p else p
        pod = "%s-%d" % (rnd.choice(("api", "web", "worker", "db", "cache", "batch")), rnd.randrange(500))
        for key in ("process", "parent"):
            p = body.get(key)
            if not isinstance(p, dict):
                continue
            if "pod" in p:
                p["pod"]["name"] = pod
            if not real:
                if key == "process":
                    if not attack:
                        p["binary"] = rnd.choice(app_binaries)
                    elif rnd.random() < 0.5:
                        p["binary"] = rnd.choice(binaries)
                    p["arguments"] = rnd.choice(arguments) % rnd.randrange(1000)
                if key == "parent":
                    p["binary"] = rnd.choice(parents)
                    if not attack:
                        a = rnd.choice(parent_arguments)
                        p["arguments"] = a % rnd.randrange(1000) if "%d" in a else a
            p["exec_id"] = "bm9kZTo%010d%s" % (i, key[:2])
        if "process" in body and "parent" in body:
            body["process"]["parent_exec_id"] = body["parent"]["exec_id"]
        ts = base + i // 2000
        d["time"] = "2026-01-%02dT%02d:%02d:%02d.%06dZ" % (
            1 + ts // 86400 % 28, ts // 3600 % 24, ts // 60 % 60, ts % 60, (i % 2000) * 500)
        d["node_name"] = "node-%d" % rnd.randrange(8)
        out.write(json.dumps(d, separators=(",", ":")))
        out.write("\n")


binaries = ["/usr/bin/%s" % b for b in ("curl", "wget", "bash", "sh", "python3", "node", "java", "nginx", "cat",
            "ls", "ps", "grep", "sed", "awk", "tar", "gzip", "ssh", "scp", "nc", "socat", "mount", "nsenter",
            "ln", "crictl", "kubectl", "apt-get", "pip", "git", "make", "gcc")] + \
           ["/opt/app%d/bin/server" % i for i in range(30)]
# The quiet stream's subjects: applications and system services, none an attack tool.
app_binaries = ["/usr/bin/%s" % b for b in ("python3", "node", "java", "nginx", "envoy", "redis-server", "postgres",
                "ruby", "php-fpm", "gunicorn", "httpd", "haproxy", "memcached", "mongod", "mysqld", "coredns",
                "etcd", "fluent-bit", "prometheus", "traefik")] + ["/opt/app%d/bin/server" % i for i in range(30)]
args = [a for a in sys.argv[1:] if a not in ("--kprobe", "--kprobe-attack")]
kprobe_mode = len(args) != len(sys.argv) - 1
n = int(args[0]) if args else 1000000
if kprobe_mode:
    kprobe_stream(n, "--kprobe-attack" in sys.argv)
    sys.exit(0)
base = 1767225600  # 2026-01-01T00:00:00Z
out = sys.stdout
for i in range(n):
    r = rnd.random()
    kind, raw, pod, binary, exec_id, t = rnd.choice(templates if r < 0.6 else kube if r < 0.85 else audit)
    s = raw
    if pod:
        s = s.replace('"%s"' % pod, '"%s-%d"' % (pod, rnd.randrange(500)))
    if binary and rnd.random() < 0.5:
        s = s.replace('"%s"' % binary, '"%s"' % rnd.choice(binaries))
    if exec_id:
        s = s.replace(exec_id, "bm9kZTo%010d" % i)
    if t:
        ts = base + i // 2000
        s = s.replace('"%s"' % t, '"2026-01-%02dT%02d:%02d:%02d.%06dZ"' % (
            1 + ts // 86400 % 28, ts // 3600 % 24, ts // 60 % 60, ts % 60, (i % 2000) * 500), 1)
    out.write(s)
    out.write("\n")
