#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""storm policy and storm instrument end to end, on the shipped models and
the corpus:
  - every TracingPolicy `storm policy generate` writes (cluster-wide and
    namespaced) validates strictly against Tetragon's CRD schema;
  - coverage of the shipped models by the generated policies: every hook
    indicator covered; by the corpus's hand-written policies: the counts and
    a reason for each gap;
  - `storm policy test` over the corpus's Tetragon events: the generated
    policies emit every event a hook indicator accepts, and drop some;
  - `storm instrument` over a template (a directory and a kustomize base):
    `kubectl kustomize` renders it, every rendered object validates strictly
    (Kubernetes 1.36 definitions, Tetragon CRDs; copies in tests/data, see
    k8s-schemas/PROVENANCE.md), and the template's objects come out unchanged.
Needs python3-yaml and python3-jsonschema; the overlay part needs kubectl."""
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:  # scripts/deps.sh --test installs both
    print("test_instrument: skipped (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report, run  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(DATA, "corpus")
TEMPLATES = os.path.join(DATA, "instrument")


def strict(node):
    """Forbid properties a schema does not list (unless it keeps unknown fields)."""
    if isinstance(node, dict):
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for v in node.values():
            strict(v)
    elif isinstance(node, list):
        for v in node:
            strict(v)
    return node


def int_or_string(node):
    """x-kubernetes-int-or-string and format int-or-string take both types."""
    if isinstance(node, dict):
        if node.get("x-kubernetes-int-or-string") and "type" not in node and "anyOf" not in node:
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if node.get("format") == "int-or-string" and node.get("type") == "string":
            del node["type"]
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        for v in node.values():
            int_or_string(v)
    elif isinstance(node, list):
        for v in node:
            int_or_string(v)
    return node


def validators():
    """(apiVersion, kind) -> Draft 4/7 validator, strict."""
    table = {}
    sw = json.load(open(os.path.join(DATA, "k8s-schemas", "kubernetes-1.36-swagger-subset.json")))
    defs = strict(int_or_string(copy.deepcopy(sw["definitions"])))
    for name, d in defs.items():
        for g in d.get("x-kubernetes-group-version-kind", []):
            api = g["version"] if not g["group"] else "%s/%s" % (g["group"], g["version"])
            table[(api, g["kind"])] = jsonschema.Draft4Validator({"definitions": defs, "$ref": "#/definitions/" + name})
    for f in (os.path.join(DATA, "tetragon-crd", "tetragon-tracingpolicies-crd.yaml"),
              os.path.join(DATA, "k8s-schemas", "tetragon-tracingpoliciesnamespaced-crd.yaml")):
        crd = yaml.safe_load(open(f))
        for v in crd["spec"]["versions"]:
            s = strict(int_or_string(copy.deepcopy(v["schema"]["openAPIV3Schema"])))
            s["properties"]["metadata"] = {"type": "object"}  # the API server's, not the CRD's
            table[("cilium.io/" + v["name"], crd["spec"]["names"]["kind"])] = jsonschema.Draft7Validator(s)
    return table


V = validators()


def errors(doc):
    v = V.get((doc.get("apiVersion"), doc.get("kind")))
    if v is None:
        return ["no schema for %s %s" % (doc.get("apiVersion"), doc.get("kind"))]
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message) for e in v.iter_errors(doc)]


def docs_of(paths):
    out = []
    for p in paths:
        out.extend(d for d in yaml.safe_load_all(open(p)) if d)
    return out


def test_generate(tmp):
    out = os.path.join(tmp, "gen")
    r = run(["policy", "generate", "--out", out])
    check(r.returncode == 0, "policy generate: exit 0 (%s)" % r.stderr.decode()[-300:])
    text = r.stdout.decode()
    check("no policy nsenter into PID 1's namespaces: reads only what process_exec carries" in text,
          "exec-only indicators are reported as needing no policy")
    files = sorted(glob.glob(os.path.join(out, "storm-*.yaml")))
    check(len(files) >= 15, "one policy per hook (%d)" % len(files))
    docs = docs_of(files)
    bad = [(d["metadata"]["name"], errors(d)[:2]) for d in docs if errors(d)]
    check(docs and not bad, "every generated TracingPolicy validates strictly: %s" % bad[:3])
    for d in docs:
        for k in d["spec"].get("kprobes", []):
            check(len(k.get("selectors", [])) <= 5, "%s: at most 5 selectors" % d["metadata"]["name"])
            for s in k.get("selectors", []):
                for a in s.get("matchArgs", []):
                    check(len(a["values"]) <= 16, "%s: at most 16 values" % d["metadata"]["name"])
    calls = {k["call"] for d in docs for k in d["spec"].get("kprobes", [])}
    for c in ("sys_openat", "security_file_permission", "sys_setns", "tcp_connect", "security_kernel_read_file"):
        check(c in calls, "a tripwire on %s" % c)
    audit = yaml.safe_load(open(os.path.join(out, "audit-policy.yaml")))
    check(audit["apiVersion"] == "audit.k8s.io/v1" and audit["kind"] == "Policy", "audit-policy.yaml is a Policy")
    levels = [r["level"] for r in audit["rules"]]
    check(levels[-1] == "None" and "RequestResponse" in levels
          and levels.index("RequestResponse") < levels.index("Metadata"),
          "RequestResponse rules before Metadata, None last: %s" % levels)
    check(any("pods/exec" in gr["resources"] for r in audit["rules"] for gr in r.get("resources", [])),
          "the audit policy logs pods/exec")
    # namespaced
    nsout = os.path.join(tmp, "genns")
    r = run(["policy", "generate", "-q", "--namespace", "shop", "--out", nsout])
    nsdocs = docs_of(sorted(glob.glob(os.path.join(nsout, "storm-*.yaml"))))
    check(r.returncode == 0 and nsdocs and all(d["kind"] == "TracingPolicyNamespaced"
                                               and d["metadata"]["namespace"] == "shop" for d in nsdocs),
          "--namespace writes TracingPolicyNamespaced")
    check(not [d for d in nsdocs if errors(d)], "every namespaced policy validates strictly")
    # the validation can fail: a misspelt field
    bad = copy.deepcopy(docs[0])
    bad["spec"]["kprobes"][0]["sycall"] = True
    check(errors(bad), "a misspelt field ('sycall') is rejected")
    return out


def test_coverage(gen):
    r = run(["policy", "coverage", "--policies", gen])
    last = r.stdout.decode().strip().splitlines()[-1]
    check(r.returncode == 0, "coverage of the shipped models by the generated policies: exit 0 (%s)" % last)
    check(" 0 partly, 0 not covered" in last, "every hook indicator covered: %s" % last)
    r = run(["policy", "coverage", "--format", "json", "--policies", os.path.join(CORPUS, "tracingpolicies")])
    check(r.returncode == 1, "coverage by the corpus's policies: exit 1 (gaps)")
    rows = json.loads(r.stdout)
    hook_rows = [x for x in rows if x["status"] != "no-policy-needed"]
    check(len(hook_rows) >= 20, "hook indicators listed (%d)" % len(hook_rows))
    gaps = [h for x in hook_rows for h in x["hooks"] if not h["covered"]]
    check(gaps and all(h.get("reason") for h in gaps), "every gap has a reason")
    check(any("not traced" in h["reason"] for h in gaps), "a hook no policy traces is named")
    check(any("drops values the indicator needs" in h["reason"] for h in gaps), "a narrowing selector is named")
    check(any(x["status"] == "covered" for x in hook_rows), "some indicators are covered by the corpus")
    check(b"has no spec" in r.stderr, "the corpus policy without spec is reported")
    # the table in docs/instrument.md is this run's
    r = run(["policy", "coverage", "--policies", os.path.join(CORPUS, "tracingpolicies")])
    summary = r.stdout.decode().strip().splitlines()[-1].split(";")[0]
    doc = open(os.path.join(ROOT, "docs", "instrument.md")).read()
    check(summary in doc, "docs/instrument.md shows the current coverage summary: %s" % summary)


def test_replay(gen):
    events = sorted(glob.glob(os.path.join(CORPUS, "tetragon", "*.jsonl")))
    r = run(["policy", "test", "--policies", gen, "--models", os.path.join(ROOT, "models")] + events)
    last = r.stdout.decode().strip().splitlines()[-1]
    check(r.returncode == 0, "policy test over the corpus: exit 0 (%s)" % last)
    check(", 0 of them lost" in last, "every event a hook indicator accepts is emitted: %s" % last)
    r = run(["policy", "test", "--format", "json", "--policies", gen] + events)
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    emitted = sum(x["verdict"] == "emitted" for x in rows)
    traced = sum(x["verdict"] != "untraced" for x in rows)
    check(0 < emitted < traced, "selectors drop some traced events (%d of %d emitted)" % (emitted, traced))
    # with the corpus's policy that keeps only some files, an event is lost
    r = run(["policy", "test", "--policies",
             os.path.join(CORPUS, "tracingpolicies", "honeycluster--2enumerate-sa.yaml"),
             "--models", os.path.join(ROOT, "models")] + events)
    check(r.returncode == 1 and b"NEEDED BUT LOST" in r.stdout, "a narrower policy loses needed events: exit 1")


def kustomize(d):
    r = subprocess.run(["kubectl", "kustomize", d], capture_output=True, timeout=120)
    check(r.returncode == 0, "kubectl kustomize %s: %s" % (d, r.stderr.decode()[-300:]))
    return [x for x in yaml.safe_load_all(r.stdout) if x]


def test_instrument(tmp):
    if not shutil.which("kubectl"):
        print("test_instrument: kubectl not found, overlay rendering not checked")
        return
    webapp = os.path.join(TEMPLATES, "webapp")
    out = os.path.join(tmp, "overlay")
    # trailing slashes as a shell's completion writes them
    r = run(["instrument", "--template", webapp, "--out", out + "/", "--bait", os.path.join(TEMPLATES, "bait") + "/"])
    check(r.returncode == 0, "instrument: exit 0 (%s)" % r.stderr.decode()[-300:])
    check(b"skipped" in r.stdout and b"values.yaml" in r.stdout, "a file without objects is skipped")
    check(b"skipped" not in r.stdout or b"bait-model.json: the bait's attack model" in r.stdout and
          not re.search(rb"skipped \S*bait-model.json", r.stdout),
          "the bait's model is not called skipped: it goes into the models ConfigMap (%s)" % r.stdout[-400:])
    check(b"//" not in r.stdout + r.stderr, "no doubled slash in the paths printed (%s)" % (r.stdout + r.stderr)[-300:])
    for f in ("web.yaml", "db.yaml"):
        check(open(os.path.join(webapp, f), "rb").read() == open(os.path.join(out, "template", f), "rb").read(),
              "template/%s is a byte-for-byte copy" % f)
    check(os.path.exists(os.path.join(out, "audit-policy.yaml")) and os.path.exists(os.path.join(out, "AUDIT-POLICY.md")),
          "the audit policy and its note are beside the overlay")
    objs = kustomize(out)
    bad = [(o["kind"], o["metadata"]["name"], errors(o)[:2]) for o in objs if errors(o)]
    check(objs and not bad, "every rendered object validates strictly (%d objects): %s" % (len(objs), bad[:3]))
    kinds = [o["kind"] for o in objs]
    check("DaemonSet" in kinds and "ConfigMap" in kinds and kinds.count("TracingPolicy") >= 15,
          "Storm's DaemonSet, its models ConfigMap and the tripwires are rendered")
    check(not any(o["kind"] in ("ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding") for o in objs),
          "Storm gets no RBAC (it calls no API)")
    ds = [o for o in objs if o["kind"] == "DaemonSet"][0]
    c = ds["spec"]["template"]["spec"]["containers"][0]
    check(c["resources"]["limits"] and c["securityContext"]["capabilities"]["drop"] == ["ALL"],
          "the DaemonSet has limits and drops every capability")
    cm = [o for o in objs if o["kind"] == "ConfigMap"][0]
    check(len(cm["data"]) >= 20 and ds["spec"]["template"]["spec"]["volumes"][1]["configMap"]["name"] == cm["metadata"]["name"],
          "the models ConfigMap holds the models and the DaemonSet mounts it by its generated name")
    check(any(o["kind"] == "Secret" and o["metadata"]["name"] == "backup-credentials" for o in objs),
          "--bait: the bait's manifests are rendered")
    check("bait-model.json" in cm["data"], "--bait: the bait's model is in the models ConfigMap")
    check(any(s_.get("matchArgs", [{}])[0].get("values") == ["/var/run/secrets/ops-backup/credentials"]
              for o in objs if o["kind"] == "TracingPolicy" for k in o["spec"].get("kprobes", [])
              for s_ in k.get("selectors", [])),
          "--bait: a tripwire for the bait's indicator")
    template = kustomize(os.path.join(TEMPLATES, "webapp-base"))
    mine = [o for o in objs if o["metadata"].get("namespace") == "shop" or (o["kind"] == "Namespace" and o["metadata"]["name"] == "shop")]
    check(sorted(json.dumps(o, sort_keys=True) for o in mine) == sorted(json.dumps(o, sort_keys=True) for o in template),
          "the template's objects come out unchanged")
    # a kustomize base, the HTTP intake, a namespace and an image
    out2 = os.path.join(tmp, "overlay2")
    r = run(["instrument", "-q", "--template", os.path.join(TEMPLATES, "webapp-base"), "--out", out2,
             "--listen", "0.0.0.0:9090", "--namespace", "shop", "--image", "registry.example/storm:1.2"])
    check(r.returncode == 0, "instrument over a kustomize base: exit 0 (%s)" % r.stderr.decode()[-300:])
    objs = kustomize(out2)
    bad = [(o["kind"], o["metadata"]["name"], errors(o)[:2]) for o in objs if errors(o)]
    check(objs and not bad, "every rendered object validates strictly (%d objects): %s" % (len(objs), bad[:3]))
    dep = [o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "storm-intake"]
    check(dep and "0.0.0.0:9090" in dep[0]["spec"]["template"]["spec"]["containers"][0]["args"]
          and dep[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/storm:1.2",
          "--listen and --image reach the Deployment")
    check(all(o["kind"] != "DaemonSet" for o in objs), "--listen: no DaemonSet")
    check(any(o["kind"] == "TracingPolicyNamespaced" for o in objs), "--namespace: namespaced tripwires")
    # the check can fail: a misspelt container field
    bad = copy.deepcopy(dep[0])
    bad["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    check(errors(bad), "a misspelt field ('imagee') is rejected")
    r = run(["instrument", "--template", os.path.join(tmp, "missing"), "--out", os.path.join(tmp, "o3")])
    check(r.returncode == 1 and b"not a directory" in r.stderr, "a missing template: exit 1 with why")


def main():
    tmp = tempfile.mkdtemp(prefix="storm-instrument-")
    try:
        gen = test_generate(tmp)
        test_coverage(gen)
        test_replay(gen)
        test_instrument(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report("test_instrument")


if __name__ == "__main__":
    sys.exit(main())
