#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The README's "Using it" examples run as written: the first shell block
(the one that needs no server and no cluster) runs from a copy of the source
tree's layout (examples/ and models/) with S pointing at the built storm,
every command must succeed, and the sightings the examples promise appear.
Every examples/ or models/ path any block of the section names exists."""
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report  # noqa: E402

def section_blocks():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index("## Using it\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def main():
    blocks = section_blocks()
    check(len(blocks) >= 1, "README's Using it has shell blocks")
    for block in blocks:
        for path in re.findall(r"(?<![\w/.-])((?:examples|models)/[\w./*-]*)", block):
            if "*" in path:
                check(glob.glob(os.path.join(ROOT, path)), f"README path {path} matches files")
            else:
                check(os.path.exists(os.path.join(ROOT, path)), f"README path {path} exists")
    first = blocks[0]
    check(first.startswith("S=build/src/cli/storm\n"), "the first block starts by setting S")
    script = "set -e -o pipefail\nS=\"$STORM_BIN\"\n" + first.split("\n", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("examples", "models"):
            os.symlink(os.path.join(os.path.abspath(ROOT), d), os.path.join(tmp, d))
        # -x: the failing command is the last one on standard error
        r = subprocess.run(["bash", "-x", "-c", script], cwd=tmp, capture_output=True, timeout=300,
                           env=dict(os.environ, STORM_BIN=os.path.abspath(STORM)))
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 0, f"the first block runs (exit {r.returncode}): ...{err[-1500:]}")
        out = r.stdout.decode(errors="replace")
        for want in ("Container escape via nsenter", "Kernel log read from a pod", "anomaly", "match\t"):
            check(want in out, f"the examples print {want!r}")
        check(os.path.exists(os.path.join(tmp, "observations.jsonl")), "convert wrote observations.jsonl")
        # a session whose first step is a baseline anomaly names its first model step as the entry,
        # as storm report and the web UI do
        entries = re.findall(r"entry: (.*?) in (?:pod|node) .*?steps: (\S.*?)(?:  |$)", out, re.M)
        check(entries, "storm sessions prints entry points")
        for entry, steps in entries:
            if not steps.startswith("("):
                check(entry != "baseline anomaly", f"the entry is a model step, not the anomaly ({steps})")
    return report("test_readme")


if __name__ == "__main__":
    sys.exit(main())
