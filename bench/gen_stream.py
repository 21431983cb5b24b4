#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate a realistic sensor stream for bench_run.sh from the real corpus:
Tetragon events (60%), Kubescape alerts (25%) and Kubernetes audit events
(15%), each a real corpus line with its pod name, binary, exec id and time
varied (500 pods, 60 binaries, increasing times). Deterministic (seeded).
Usage: gen_stream.py EVENTS > stream.jsonl"""
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

binaries = ["/usr/bin/%s" % b for b in ("curl", "wget", "bash", "sh", "python3", "node", "java", "nginx", "cat",
            "ls", "ps", "grep", "sed", "awk", "tar", "gzip", "ssh", "scp", "nc", "socat", "mount", "nsenter",
            "ln", "crictl", "kubectl", "apt-get", "pip", "git", "make", "gcc")] + \
           ["/opt/app%d/bin/server" % i for i in range(30)]
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
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
