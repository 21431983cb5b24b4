#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Coalesced sighting updates (issue 16; docs/run.md, Output): on a stream of
several flush points (bench/gen_stream.py, 40,000 records: flush points at
16,384 and 32,768 records and at the end), storm run writes fewer lines than
each update written as made (the default), and what it writes says what every version said: the same
last version of each sighting, the same observed-data and SCOs, versions of
a sighting in order, at most one update of a sighting per flush span, and
the count of folded updates it reports is the difference."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report, run  # noqa: E402

GEN = os.path.join(ROOT, "bench", "gen_stream.py")
FOLDED = re.compile(rb"storm run: (\d+) more updates were folded into a later version of their sighting")
RECORDS = 40000
SPANS = 3  # 40,000 records: flush points after 16,384, 32,768 and 40,000


def read(path):
    """Lines, the last sighting version per id, every other object's id, and
    each sighting id's versions (modified) in output order."""
    last, objects, versions, lines = {}, set(), {}, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            lines += 1
            for o in json.loads(line)["objects"]:
                if o["type"] == "sighting":
                    last[o["id"]] = o
                    versions.setdefault(o["id"], []).append(o["modified"])
                else:
                    objects.add(o["id"])
    return lines, last, objects, versions


def follow(tmp):
    """--follow: once storm has caught up with the file, the updates it holds
    and the store's batch go out without waiting for more records (or the
    end): the output reaches what a plain run writes while storm still runs."""
    src = os.path.join(ROOT, "tests", "data", "corpus", "tetragon")
    path, out, db = os.path.join(tmp, "follow.jsonl"), os.path.join(tmp, "follow.out"), os.path.join(tmp, "f.db")
    with open(path, "wb") as f:
        for name in sorted(os.listdir(src)):
            if name.endswith(".jsonl"):
                f.write(open(os.path.join(src, name), "rb").read())
    plain = run(["run", "-q", "--coalesce-updates", path])
    want = plain.stdout.count(b"\n")
    proc = subprocess.Popen([STORM, "run", "-q", "--coalesce-updates", "--follow", "--db", db, "-o", out, path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    got, deadline = 0, time.monotonic() + 120  # a safety limit, not a measure
    while time.monotonic() < deadline and proc.poll() is None:
        got = open(out, "rb").read().count(b"\n") if os.path.exists(out) else 0
        if got >= want:
            break
        time.sleep(0.2)
    running = proc.poll() is None
    proc.terminate()
    proc.wait(timeout=60)
    check(want > 0 and running and got == want,
          f"--follow writes all {want} lines while it waits for more (got {got}, still running: {running})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        stream = os.path.join(tmp, "mixed.jsonl")
        with open(stream, "w") as f:
            subprocess.run([sys.executable, GEN, str(RECORDS)], stdout=f, check=True, timeout=300)
        every_out, co_out = os.path.join(tmp, "every.out"), os.path.join(tmp, "co.out")
        every = run(["run", "-o", every_out, stream])
        co = run(["run", "--coalesce-updates", "-o", co_out, stream])
        check(every.returncode == co.returncode == 0, f"both runs succeed ({every.returncode}, {co.returncode}): "
                                                        f"{co.stderr[-400:]!r}")
        e_lines, e_last, e_objects, e_versions = read(every_out)
        c_lines, c_last, c_objects, c_versions = read(co_out)
        f = FOLDED.search(co.stderr)
        folded = int(f.group(1)) if f else 0
        check(c_lines < e_lines, f"fewer lines coalesced ({c_lines}) than by default ({e_lines})")
        check(folded == e_lines - c_lines, f"the folded updates reported ({folded}) are the lines saved "
                                           f"({e_lines - c_lines})")
        check(FOLDED.search(every.stderr) is None, "by default nothing is folded")
        check(c_last.keys() == e_last.keys(), f"the same sightings ({len(c_last)}, {len(e_last)})")
        same = sum(1 for k in e_last if c_last.get(k) == e_last[k])
        check(same == len(e_last), f"the same last version of every sighting ({same} of {len(e_last)})")
        check(c_objects == e_objects, f"the same observed-data and SCOs ({len(c_objects)}, {len(e_objects)}; "
                                      f"missing {len(e_objects - c_objects)})")
        busy = sum(1 for v in e_versions.values() if len(v) > 1 + SPANS)
        check(busy > 0, f"some sighting has more versions ({max(len(v) for v in e_versions.values())}) than "
                        f"1 + {SPANS} flush spans: the test can fail")
        over = [k for k, v in c_versions.items() if len(v) > 1 + SPANS]
        check(not over, f"at most one update per flush span: {len(over)} sightings have more")
        unordered = [k for k, v in c_versions.items() if v != sorted(v) or len(set(v)) != len(v)]
        check(not unordered, f"each sighting's versions come out in order: {len(unordered)} do not")
        for n in (2, 3):  # the writer holds the book's updates as one pipeline does
            w_out = os.path.join(tmp, f"co-{n}.out")
            w = run(["run", "--coalesce-updates", "--workers", str(n), "-o", w_out, stream])
            same = w.returncode == 0 and open(w_out, "rb").read() == open(co_out, "rb").read()
            check(same, f"--coalesce-updates --workers {n} writes what one worker writes, byte for byte")
        text = run(["run", "--coalesce-updates", "--format", "text", stream])
        t_lines = text.stdout.count(b"\n")
        check(t_lines == c_lines, f"--format text writes the same versions ({t_lines} lines, {c_lines})")
        follow(tmp)
    return report("test_coalesce")


if __name__ == "__main__":
    sys.exit(main())
