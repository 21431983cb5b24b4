#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""storm bait generate | verify, end to end: the manifests pass a strict
schema check (the definitions in tests/data/k8s-schemas, unknown fields
refused) and the no-real-access review (RBAC reaches only the bait secrets,
no privileged pod, no token on the entry point); the honeytokens are unique
per cluster and verify names their origin; the bait model lints with the
shipped library; and storm run over the entry-point sample logs
(tests/data/entry) plus events touching the bait sights the right steps."""
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report, run  # noqa: E402

try:
    import jsonschema
    import yaml
except ImportError:  # scripts/deps.sh --test installs both
    jsonschema = yaml = None

SCHEMA = os.path.join(ROOT, "tests", "data", "k8s-schemas", "kubernetes-1.36-swagger-subset.json")
ENTRY = os.path.join(ROOT, "tests", "data", "entry")


def strict(node):
    """An object schema that lists its properties accepts no other one (as
    kubectl apply --validate=strict); int-or-string fields take both."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        if node.get("format") == "int-or-string":
            node.pop("type", None)
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        for v in node.values():
            strict(v)
    elif isinstance(node, list):
        for v in node:
            strict(v)
    return node


def validators():
    defs = strict(copy.deepcopy(json.load(open(SCHEMA))["definitions"]))
    table = {}
    for name, d in defs.items():
        for g in d.get("x-kubernetes-group-version-kind", []):
            api = g["version"] if not g["group"] else g["group"] + "/" + g["version"]
            table[(api, g["kind"])] = {"definitions": defs, "$ref": "#/definitions/" + name}
    return table


def documents(out):
    docs = []
    mdir = os.path.join(out, "manifests")
    for fn in sorted(os.listdir(mdir)):
        with open(os.path.join(mdir, fn)) as f:
            docs += [(fn, d) for d in yaml.safe_load_all(f) if d]
    return docs


def review(docs, ns):
    """The no-real-access rules of docs/instrument.md, checked per object."""
    secrets = {d["metadata"]["name"] for _, d in docs if d["kind"] == "Secret"}
    for fn, d in docs:
        kind, md = d["kind"], d["metadata"]
        what = f"{fn}: {kind} {md['name']}"
        check(kind not in ("ClusterRole", "ClusterRoleBinding", "PodSecurityPolicy"), f"{what}: nothing cluster-wide")
        if kind != "Namespace":
            check(md.get("namespace") == ns, f"{what}: in the bait namespace")
        if kind == "Secret":
            check(d["type"] == "Opaque", f"{what}: Opaque, so the API server neither fills nor honours it")
        if kind == "Role":
            for r in d["rules"]:
                check(r["verbs"] == ["get"], f"{what}: get only")
                check(r["resources"] == ["secrets"] and r["apiGroups"] == [""], f"{what}: core secrets only")
                check(set(r.get("resourceNames", [])) <= secrets and r.get("resourceNames"),
                      f"{what}: named bait secrets only")
        if kind == "RoleBinding":
            check(d["roleRef"]["kind"] == "Role", f"{what}: binds a namespaced Role")
            check(all(s["kind"] == "ServiceAccount" and s["namespace"] == ns for s in d["subjects"]),
                  f"{what}: binds the bait service account only")
        if kind == "Deployment":
            spec = d["spec"]["template"]["spec"]
            check(not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), f"{what}: no host namespace")
            check(not any("hostPath" in v for v in spec.get("volumes", [])), f"{what}: no hostPath")
            for c in spec["containers"]:
                sc = c.get("securityContext", {})
                check(not sc.get("privileged"), f"{what}: not privileged")
                check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{what}: drops all capabilities")
                check(not set(sc.get("capabilities", {}).get("add", [])) & {"SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE"},
                      f"{what}: no capability reaching beyond the container")
                check("limits" in c.get("resources", {}), f"{what}: resource limits")
            if md["name"] == "legacy-jumpbox":
                check(spec.get("automountServiceAccountToken") is False, f"{what}: the entry point holds no API token")


def main():
    if yaml is None or jsonschema is None:
        check(False, "python3-yaml and python3-jsonschema installed (scripts/deps.sh --test)")
        return report("test_bait")
    with tempfile.TemporaryDirectory() as d:
        seed = os.path.join(d, "seed")
        with open(seed, "wb") as f:
            f.write(b"test-seed-0123456789abcdef\n")
        out1, out2 = os.path.join(d, "hc1"), os.path.join(d, "hc2")
        r = run(["bait", "generate", "--seed-file", seed, "--out", out1, "--cluster", "hc-1",
                 "--models", os.path.join(ROOT, "models")])
        check(r.returncode == 0, f"generate exits 0 ({r.stderr.decode()[-300:]})")
        check(b"no defects" in r.stdout, "the bait model lints with the shipped models")
        check(os.stat(os.path.join(out1, "manifests", "bait-10-secrets.yaml")).st_mode & 0o077 == 0,
              "the honeytoken files are private (0600)")
        r = run(["bait", "generate", "-q", "--seed-file", seed, "--out", out2, "--cluster", "hc-2",
                 "--namespace", "ops-legacy"])
        check(r.returncode == 0 and r.stdout == b"", "generate -q prints nothing")

        # strict schema check, then the review
        table = validators()
        docs = documents(out1)
        kinds = sorted({d["kind"] for _, d in docs})
        check(len(docs) == 13, f"13 objects written ({len(docs)}: {kinds})")
        failed = 0
        for fn, doc in docs:
            v = table.get((doc.get("apiVersion"), doc.get("kind")))
            errs = [] if v is None else sorted(jsonschema.Draft4Validator(v).iter_errors(doc), key=str)
            if v is None or errs:
                failed += 1
                print(f"FAIL schema {fn} {doc.get('kind')}: {errs[0].message if errs else 'unknown kind'}")
        check(failed == 0, f"every object passes the strict schema check ({len(docs) - failed} passed, {failed} failed)")
        # the check can fail: a misspelt field is refused
        bad = copy.deepcopy(next(doc for _, doc in docs if doc["kind"] == "Deployment"))
        bad["spec"]["template"]["spec"]["serviceAcountName"] = "x"
        v = table[("apps/v1", "Deployment")]
        check(any(True for _ in jsonschema.Draft4Validator(v).iter_errors(bad)), "a misspelt field fails the check")
        review(docs, "ops-backup")
        review(documents(out2), "ops-legacy")

        # the honeytokens: unique per cluster, verify names the origin
        s1 = open(os.path.join(out1, "manifests", "bait-10-secrets.yaml")).read()
        s2 = open(os.path.join(out2, "manifests", "bait-10-secrets.yaml")).read()
        key1 = next(w for w in s1.split() if w.startswith("AKIA"))
        key2 = next(w for w in s2.split() if w.startswith("AKIA"))
        check(key1 != key2, "each honeycluster gets its own tokens")
        r = run(["bait", "generate", "-q", "--seed-file", seed, "--out", os.path.join(d, "again"), "--cluster", "hc-1"])
        check(open(os.path.join(d, "again", "manifests", "bait-10-secrets.yaml")).read() == s1,
              "the same seed and cluster give the same tokens")
        r = run(["bait", "verify", "--seed-file", seed, "--cluster", "hc-1", "--cluster", "hc-2", key2])
        check(r.returncode == 0 and b"aws-access-key-id of honeycluster hc-2" in r.stdout,
              f"verify names the cluster and the bait ({r.stdout!r})")
        r = run(["bait", "verify", "--seed-file", seed, "--cluster", "hc-1", "AKIAIOSFODNN7EXAMPLE"])
        check(r.returncode == 1 and b"not a honeytoken" in r.stdout, "an unknown token exits 1")
        r = run(["bait", "verify", "--seed-file", seed, key1])
        check(r.returncode == 1, "a token of another cluster than the ones asked is unknown")
        other = os.path.join(d, "other-seed")
        with open(other, "wb") as f:
            f.write(b"another-seed-0123456789abcdef")
        r = run(["bait", "verify", "--seed-file", other, "--cluster", "hc-1", key1])
        check(r.returncode == 1, "another seed does not claim the token")
        short = os.path.join(d, "short")
        with open(short, "wb") as f:
            f.write(b"short")
        r = run(["bait", "generate", "--seed-file", short, "--out", os.path.join(d, "x")])
        check(r.returncode == 1 and b"at least 16" in r.stderr, "a short seed is refused")
        check(run(["bait", "generate", "--out", d]).returncode == 2, "generate without --seed-file: usage")
        check(run(["bait", "verify", "--seed-file", seed]).returncode == 2, "verify without TOKEN: usage")
        check(run(["bait", "generate", "--frob"]).returncode == 2, "unknown option: usage")

        # storm run: the entry-point logs and events touching the bait
        touch = os.path.join(d, "touch.jsonl")
        jwt = next(w for w in s1.split() if w.startswith("eyJ"))
        with open(touch, "w") as f:
            f.write(json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                                "auditID": "5d1f0c5e-1111-4a2b-9c3d-000000000001", "stage": "ResponseComplete",
                                "requestURI": "/api/v1/namespaces/ops-backup/secrets/admin-kubeconfig", "verb": "get",
                                "user": {"username": "system:serviceaccount:ops-backup:cluster-backup-admin"},
                                "sourceIPs": ["10.244.1.20"], "userAgent": "kubectl/v1.30.0",
                                "objectRef": {"resource": "secrets", "namespace": "ops-backup",
                                              "name": "admin-kubeconfig", "apiVersion": "v1"},
                                "responseStatus": {"code": 200},
                                "requestReceivedTimestamp": "2026-12-07T08:30:00.000000Z",
                                "stageTimestamp": "2026-12-07T08:30:00.010000Z"}) + "\n")
            f.write(json.dumps({"process_exec": {"process": {
                "exec_id": "bm9kZS0xOjEyMzQ1Njc4OjQ0MDA=", "pid": 4400, "uid": 0, "cwd": "/",
                "binary": "/usr/bin/curl", "arguments": "-H \"Authorization: Bearer " + jwt + "\" https://10.96.0.1/api",
                "start_time": "2026-12-07T08:31:00.000000000Z",
                "pod": {"namespace": "web", "name": "web-7d9f"}}},
                "node_name": "node-1", "time": "2026-12-07T08:31:00.000000000Z"}) + "\n")
        db = os.path.join(d, "run.db")
        r = run(["run", "--db", db, "--models", os.path.join(ROOT, "models"), "--models", out1, "--format", "text",
                 os.path.join(ENTRY, "auth.log"), os.path.join(ENTRY, "journal.jsonl"),
                 os.path.join(ENTRY, "access.log"), touch])
        text = r.stdout.decode()
        err = r.stderr.decode()
        steps = {}
        for line in text.splitlines():
            for step in ("SSH passwords guessed", "Login with a bait credential", "Web paths scanned",
                         "Honeytoken read", "Honeytoken used", "Bait entry point probed"):
                if "  " + step + "  " in line:
                    steps[step] = steps.get(step, 0) + 1
        for step in ("SSH passwords guessed", "Login with a bait credential", "Web paths scanned",
                     "Honeytoken read", "Honeytoken used", "Bait entry point probed"):
            check(steps.get(step, 0) > 0, f"storm run sights '{step}' ({steps})")
        check("Bait service account calls the API" in text, "the bait service account's API call is sighted")
        check(any("client 203.0.113.7  SSH passwords guessed" in l for l in text.splitlines()),
              "a brute force sighting names its source address")
        check("Honeytoken value on a command line" in text, "a honeytoken on a command line is sighted")
        # TIME  PLACE  STEP  INDICATOR  EVIDENCE: every sighting says what was seen (a PAM session
        # line, with no client address, had an empty evidence)
        bare = [l for l in text.splitlines() if len(l.split("  ")) < 5 or not l.split("  ")[4].strip()]
        check(not bare, f"every entry-point sighting has its evidence: {bare[:3]}")
        # the bad lines are rejects with their positions, the rest goes on
        check("auth.log:25:1: invalid JSON" in err and "(nor an sshd or HTTP access log line)" in err,
              "a non-JSON line that is no log line is a reject with its position")
        check("journal.jsonl:7:" in err and "MESSAGE: expected a string" in err, "a binary MESSAGE is a reject")
        check("access.log:13:" in err, "a bad access line is a reject")
        check(r.returncode == 1, "rejects make exit status 1")
        check("4 rejected" in err, f"four rejects counted ({err.strip().splitlines()[-1]})")
        check("1 rejected" not in err.replace("4 rejected", ""), "and no more")
        # brute force needs five failures: the first ten lines hold three (PAM's line is no extra one)
        few = os.path.join(d, "few.log")
        with open(os.path.join(ENTRY, "auth.log")) as src, open(few, "w") as f:
            f.writelines(src.readlines()[:10])
        r = run(["run", "--models", os.path.join(ROOT, "models"), "--format", "text", few])
        check("Repeated SSH authentication failures" not in r.stdout.decode(), "three failures are no brute force")
        with open(few, "a") as f:
            f.write("Dec  7 08:01:30 jumpbox sshd[4251]: Failed password for root from 203.0.113.7 port 51242 ssh2\n")
            f.write("Dec  7 08:01:31 jumpbox sshd[4251]: Failed password for root from 203.0.113.7 port 51242 ssh2\n")
        r = run(["run", "--models", os.path.join(ROOT, "models"), "--format", "text", few])
        check("Repeated SSH authentication failures" in r.stdout.decode(), "five failures within a minute are")
        # access log: http-request-ext as STIX wants it
        conv = subprocess.run([os.environ.get("STORM_BIN", "storm"), "convert", os.path.join(ENTRY, "access.log")],
                              capture_output=True, timeout=120)
        http = [json.loads(l) for l in conv.stdout.decode().splitlines()]
        exts = [o["extensions"]["http-request-ext"] for b in http for o in b["objects"]
                if o["type"] == "network-traffic" and "http-request-ext" in o.get("extensions", {})]
        check(any(e.get("request_value") == "/.env" and e["request_header"]["User-Agent"] == ["Mozilla/5.0 zgrab/0.x"]
                  for e in exts), "access log: http-request-ext with the target and User-Agent as a list")
    return report("test_bait")


if __name__ == "__main__":
    sys.exit(main())
