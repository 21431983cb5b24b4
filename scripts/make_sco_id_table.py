#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the table of SCO ids computed by python-stix2 (the OASIS reference
library) for the SCOs `storm convert` makes of the corpus, for test_stix's
test_sco_id_table (tests/data/stix-ids/sco-ids.tsv). Needs the OASIS tools,
so it is not run by the tests; rerun it when the observation model changes
on purpose, and check the diff.

Usage: scripts/make_sco_id_table.py [STORM_BINARY] > tests/data/stix-ids/sco-ids.tsv

Every distinct SCO with ID contributing properties (process has none) is
listed once, with the first corpus line that gives it: corpus file (relative
to tests/data/corpus), line number (1-based), type, and the id python-stix2
generates for the object as Storm wrote it, without its id
(stix2.parse(..., allow_custom=True) then the object's "id").
Environment: OASIS_DIR (default /opt/oasis).
"""
import glob
import json
import os
import subprocess
import sys

OASIS = os.environ.get("OASIS_DIR", "/opt/oasis")
for p in ("cti-python-stix2", "cti-pattern-validator", "pylib"):
    sys.path.insert(0, os.path.join(OASIS, p))
import stix2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/src/cli/storm")
CORPUS = os.path.join(ROOT, "tests/data/corpus")
SENSORS = ("tetragon", "k8s-audit", "falco", "kubescape", "hubble")

print("# SCO ids computed by python-stix2 (%s) for the SCOs storm convert makes of"
      % stix2.__version__)
print("# tests/data/corpus; written by scripts/make_sco_id_table.py (see there).")
print("# file\tline\ttype\tid")
seen = set()
for sensor in SENSORS:
    for path in sorted(glob.glob(os.path.join(CORPUS, sensor, "*.jsonl"))):
        rel = os.path.relpath(path, CORPUS)
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            out = subprocess.run([STORM, "convert", "-"], input=line + b"\n", capture_output=True).stdout
            for bl in out.decode("utf-8").splitlines():
                for obj in json.loads(bl).get("objects", []):
                    t = obj.get("type")
                    if t == "process" or "created" in obj:
                        continue  # no contributing properties, or not an SCO
                    body = dict(obj)
                    body.pop("id")
                    sid = stix2.parse(body, allow_custom=True, version="2.1").id
                    if sid in seen:
                        continue
                    seen.add(sid)
                    print("%s\t%d\t%s\t%s" % (rel, no, t, sid))
