#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Cut the Kubernetes OpenAPI v2 document down to the definitions the
storm instrument tests render (the kinds below and every definition they
reference), unchanged otherwise, for tests/data/k8s-schemas/.
Usage: trim_k8s_schema.py SWAGGER_JSON > kubernetes-1.36-swagger-subset.json
Not run by the tests; rerun when the overlay gains a kind."""
import json
import sys

KINDS = {"Namespace", "ServiceAccount", "Secret", "ConfigMap", "Service", "Deployment", "StatefulSet", "DaemonSet",
         "NetworkPolicy", "PersistentVolumeClaim", "Role", "RoleBinding", "Pod"}


def refs(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/definitions/"):
            out.add(r[len("#/definitions/"):])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main():
    doc = json.load(open(sys.argv[1]))
    defs = doc["definitions"]
    todo = [n for n, d in defs.items()
            if any(g["kind"] in KINDS and g["group"] in ("", "apps", "networking.k8s.io", "rbac.authorization.k8s.io")
                   and g["version"] == "v1" for g in d.get("x-kubernetes-group-version-kind", []))]
    keep = set()
    while todo:
        n = todo.pop()
        if n in keep:
            continue
        keep.add(n)
        found = set()
        refs(defs[n], found)
        todo.extend(found - keep)
    json.dump({"swagger": doc.get("swagger"), "info": doc.get("info"),
               "definitions": {n: defs[n] for n in sorted(keep)}}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


main()
