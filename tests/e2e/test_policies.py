#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The TracingPolicies of the attack library (models/policies/) against
Tetragon's own CRD schema (tests/data/tetragon-crd/, see PROVENANCE.md),
strictly: where the schema lists an object's properties, no other property
is accepted (what `kubectl apply --validate=strict` rejects). Also: every
policy is referenced by an indicator of the models, and a misspelt field is
caught (so the check can fail). Needs python3-yaml and python3-jsonschema."""
import copy
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # scripts/deps.sh --test installs both
    print("test_policies: skipped (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report  # noqa: E402

CRD = os.path.join(ROOT, "tests", "data", "tetragon-crd", "tetragon-tracingpolicies-crd.yaml")
POLICIES = os.path.join(ROOT, "models", "policies")


def strict(node):
    """Forbid properties a schema does not list (unless it keeps unknown fields)."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for v in node.values():
            strict(v)
    elif isinstance(node, list):
        for v in node:
            strict(v)
    return node


def schema():
    crd = yaml.safe_load(open(CRD))
    v = [x for x in crd["spec"]["versions"] if x["name"] == "v1alpha1"][0]
    s = strict(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
    # apiVersion, kind and metadata are the API server's, not the CRD's
    s["properties"]["metadata"] = {"type": "object"}
    return s


def errors(validator, doc):
    return [("/".join(str(p) for p in e.absolute_path), e.message) for e in validator.iter_errors(doc)]


def main():
    v = jsonschema.Draft7Validator(schema())
    files = sorted(glob.glob(os.path.join(POLICIES, "*.yaml")))
    check(len(files) >= 15, "the library ships its policies (%d)" % len(files))
    referenced = set()
    for f in glob.glob(os.path.join(ROOT, "models", "*.json")):
        for o in json.load(open(f))["objects"]:
            for r in o.get("external_references", []):
                if r.get("source_name") == "tetragon-tracingpolicy":
                    referenced.add(r["description"].split(":")[0])
    first = None
    for path in files:
        doc = yaml.safe_load(open(path))
        check(doc.get("apiVersion") == "cilium.io/v1alpha1" and doc.get("kind") == "TracingPolicy", "%s: a TracingPolicy" % path)
        errs = errors(v, doc)
        check(not errs, "%s: valid against Tetragon's CRD: %s" % (path, errs[:3]))
        rel = os.path.relpath(path, ROOT)
        check(rel in referenced, "%s is referenced by an indicator" % rel)
        first = first or doc
    # the check must be able to fail: a misspelt kprobe field, a bad operator
    bad = copy.deepcopy(first)
    bad["spec"]["kprobes"][0]["sycall"] = True
    check(errors(v, bad), "a misspelt field ('sycall') is rejected")
    bad = copy.deepcopy(first)
    bad["spec"]["kprobes"][0]["selectors"] = [{"matchArgs": [{"index": 0, "operator": "Contains", "values": ["x"]}]}]
    check(errors(v, bad), "an operator Tetragon does not have ('Contains') is rejected")
    return report("test_policies")


if __name__ == "__main__":
    sys.exit(main())
