#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Several storm run writers into one store at once (storm run workers, or
clusters feeding one hub): the store ends up with the sightings one writer
would have left, on SQLite and (under tests/pg_run.sh) on PostgreSQL.
  - two writers over the same input at the same time hold what one run holds
    (each sighting once per version, counts not doubled, nothing lost);
  - two writers over different halves at the same time hold what the two
    halves run one after the other hold (counts merged, not overwritten)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, connect_db, report, run, store_db  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")


def inputs():
    out = []
    for sub in ("tetragon", "k8s-audit", "falco"):
        d = os.path.join(CORPUS, sub)
        out += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".jsonl") and "malformed" not in f]
    return out


def sightings(db):
    """{id: (first_seen, last_seen, count, sorted refs)} of the latest versions, and the rows stored."""
    con = connect_db(db)
    latest = {}
    for (j,) in con.execute("SELECT json FROM objects WHERE type = 'sighting' AND latest = 1"):
        o = json.loads(j)
        latest[o["id"]] = (o["first_seen"], o["last_seen"], o.get("count"), sorted(o.get("observed_data_refs", [])))
    dup = con.execute("SELECT count(*) FROM (SELECT collection, id, version FROM objects"
                      " GROUP BY collection, id, version HAVING count(*) > 1) AS v").fetchone()[0]
    con.close()
    return latest, dup


def at_once(db, file_sets):
    """storm run --db db over each file set, all started together: the exit codes."""
    procs = [subprocess.Popen([STORM, "run", "-q", "--db", db] + files, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for files in file_sets]
    results = [(p.wait(timeout=600), p.stderr.read().decode()) for p in procs]
    for rc, err in results:
        if rc != 0:
            print(err[-2000:], file=sys.stderr)
    return [rc for rc, _ in results]


def test_same_input_twice_at_once(tmp, files):
    one = store_db(tmp, "one.db")
    check(run(["run", "-q", "--db", one] + files).returncode == 0, "one writer")
    two = store_db(tmp, "two.db")
    check(at_once(two, [files, files]) == [0, 0], "two writers at once exit 0")
    want, _ = sightings(one)
    got, dup = sightings(two)
    check(len(want) > 10, "the input gives sightings (%d)" % len(want))
    check(set(got) == set(want), "the same sightings (%d, one writer %d)" % (len(got), len(want)))
    diff = [i for i in want if got.get(i) != want[i]]
    check(not diff, "the same counts, times and evidence (%d differ, e.g. %s)" % (len(diff), diff[:2]))
    check(dup == 0, "no (id, version) stored twice")


def test_halves_at_once(tmp, files):
    a, b = files[0::2], files[1::2]
    seq = store_db(tmp, "seq.db")
    check(run(["run", "-q", "--db", seq] + a).returncode == 0, "first half")
    check(run(["run", "-q", "--db", seq] + b).returncode == 0, "second half, after")
    par = store_db(tmp, "par.db")
    check(at_once(par, [a, b]) == [0, 0], "both halves at once exit 0")
    want, _ = sightings(seq)
    got, dup = sightings(par)
    check(set(got) == set(want), "the same sightings as one after the other (%d, %d)" % (len(got), len(want)))
    diff = [i for i in want if got.get(i) != want[i]]
    check(not diff, "the same merged counts, times and evidence (%d differ, e.g. %s)"
          % (len(diff), [(i, got.get(i), want[i]) for i in diff[:1]]))
    check(dup == 0, "no (id, version) stored twice")


if __name__ == "__main__":
    files = inputs()
    with tempfile.TemporaryDirectory() as tmp:
        test_same_input_twice_at_once(tmp, files)
        test_halves_at_once(tmp, files)
    sys.exit(report("test_db_writers"))
