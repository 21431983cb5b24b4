#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the Vector-shaped test files of this directory from the corpus.

Each function below does what one VRL transform of the honeycluster's Vector
values does to a record (k8sstormcenter/honeycluster at 5f62da7e,
honeystack/vector/*.yaml); it is our own reimplementation of their effect,
written from reading them, not their code. Vector's JSON codec writes the
keys of an event in sorted order, so do we.

    python3 tests/data/seed-pipeline/build_shapes.py   (from the repository root)
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")


def vrl_str(v):
    # VRL to_string: strings as they are, integers in decimal
    return v if isinstance(v, str) else json.dumps(v)


def get(d, *path):
    for p in path:
        if isinstance(d, dict) and p in d:
            d = d[p]
        elif isinstance(d, list) and isinstance(p, int) and p < len(d):
            d = d[p]
        else:
            return None
    return d


def first(ev, kinds, *path):
    for k in kinds:
        v = get(ev, k, *path)
        if v is not None:
            return v
    return "1"


def arg_field(ev, idx, *alts):
    """.fieldk*: the first of several args[idx].<path> that exists, else "1"."""
    if get(ev, "process_kprobe", "args") is None:
        return "1"
    for i, path in alts:
        v = get(ev, "process_kprobe", "args", i, *path)
        if v is not None:
            return v
    return "1"


def tetragon_gke(ev):
    """gkevalues.yaml: tetragon_pre (kprobe0..4 lifted, "null" placeholders),
    tetragon_create_key (md5_hash, dedup; args deleted)."""
    out = dict(ev)
    args = get(ev, "process_kprobe", "args") or []
    for i in range(5):
        out["kprobe%d" % i] = args[i] if i < len(args) else "null"
    kinds = ["process_exec", "process_exit", "process_kprobe"]
    fields = [
        first(ev, kinds, "process", "pod", "container", "id"),
        first(ev, kinds, "process", "binary"),
        first(ev, kinds, "process", "arguments"),
        first(ev, kinds, "parent", "pod", "container", "id"),
        first(ev, kinds, "parent", "binary"),
        first(ev, kinds, "parent", "arguments"),
        get(ev, "process_kprobe", "function_name") or "1",
        arg_field(ev, 0, (0, ("file_arg", "path")), (0, ("int_arg",)), (0, ("string_arg",))),
        arg_field(ev, 1, (0, ("file_arg", "permission")), (1, ("int_arg",)), (1, ("string_arg",))),
        arg_field(ev, 1, (1, ("sock_arg", "state")), (1, ("int_arg",)), (1, ("string_arg",))),
    ]
    pre = "exec" if "process_exec" in ev else "exit" if "process_exit" in ev else "kpro" if "process_kprobe" in ev else "1"
    out["md5_hash"] = hashlib.md5("".join(vrl_str(f) for f in fields).encode()).hexdigest()
    out["dedup"] = out["md5_hash"] + pre
    if "process_kprobe" in out:
        body = dict(out["process_kprobe"])
        body.pop("args", None)
        out["process_kprobe"] = body
    return out


def falco_gke(alert):
    """gkevalues.yaml: falco_pre (output_fields -> interesting; rule, source,
    priority, tags, hostname copied; the kubernetes_logs fields and message
    deleted, Vector's own timestamp stays), falco (md5_hash)."""
    out = {
        "interesting": alert.get("output_fields"),
        "rule": alert.get("rule"),
        "source": alert.get("source"),
        "priority": alert.get("priority"),
        "tags": alert.get("tags"),
        "hostname": alert.get("hostname"),
        # kubernetes_logs' timestamp: when the line was read; Falco's own time is the nearest real value
        "timestamp": alert.get("time", "")[:30].split("+")[0],
    }
    f = out["interesting"] or {}
    keys = ["container.id", "container.name", "proc.cmdline", "proc.pname", "evt.type", "user.uid",
            "evt.arg.flags", "proc.exepath"]
    out["md5_hash"] = hashlib.md5("".join(vrl_str(f[k]) if k in f else "1" for k in keys).encode()).hexdigest()
    return out


def convert(src, dst, fn):
    with open(src) as fi, open(dst, "w") as fo:
        for line in fi:
            if line.strip():
                fo.write(json.dumps(fn(json.loads(line)), sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    convert(os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl"),
            os.path.join(HERE, "vector-gke-tetragon-calibration.jsonl"), tetragon_gke)
    convert(os.path.join(CORPUS, "falco", "falco-website-alerts.jsonl"),
            os.path.join(HERE, "vector-gke-falco-website-alerts.jsonl"), falco_gke)
