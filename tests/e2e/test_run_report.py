#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What storm run tells people (issue 10): the summary's sighting numbers
agree with the lines written and the rows the store holds, on a first run
and on a re-run that adds nothing; the progress line appears on a terminal
(a pty) and never in a pipe or with -q."""
import os
import pty
import re
import select
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report, run, backend, connect_db, store_db  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
INPUTS = [os.path.join(CORPUS, "tetragon", f) for f in sorted(os.listdir(os.path.join(CORPUS, "tetragon")))
          if f.endswith(".jsonl")]
WRITTEN = re.compile(rb"storm run: \d+ indicators; \d+ observations matched; (\d+) sightings written "
                     rb"\((\d+) new, (\d+) updated with more evidence\)\n")
FOLDED = re.compile(rb"storm run: (\d+) more updates were folded into a later version of their sighting")
STORED = re.compile(rb"storm run: stored (\d+) sighting rows \((\d+) new sightings, (\d+) updates\); "
                    rb"(\d+) versions were folded into a later one or stored already\n")


def store_sightings(db):
    """(rows, distinct ids) of the sightings the store holds."""
    con = connect_db(db)
    try:
        return con.execute("SELECT count(*), count(DISTINCT id) FROM objects WHERE type = 'sighting'").fetchone()
    finally:
        con.close()


def summary(tmp):
    db = store_db(tmp, "report.db")
    out = os.path.join(tmp, "out.jsonl")
    before = (0, 0)
    for attempt in ("first run", "re-run"):
        r = run(["run", "--db", db, "-o", out] + INPUTS)
        err = r.stderr
        w, s = WRITTEN.search(err), STORED.search(err)
        check(w is not None, f"{attempt}: the 'sightings written' line: {err!r}")
        check(s is not None, f"{attempt}: the 'stored' line: {err!r}")
        if not w or not s:
            return
        written, new, updated = (int(x) for x in w.groups())
        stored, stored_new, stored_upd, already = (int(x) for x in s.groups())
        lines = open(out, "rb").read().count(b"\n")
        f = FOLDED.search(err)
        folded = int(f.group(1)) if f else 0
        versions = written + folded  # what the detector made; the store sees each
        check(folded == 0, f"{attempt}: by default every update is written: {err!r}")
        check(written > 0, f"{attempt}: the tetragon corpus gives sightings ({written})")
        check(written == new + updated == lines, f"{attempt}: written {written} = {new} new + {updated} updated "
                                                 f"= {lines} output lines")
        check(stored == stored_new + stored_upd and stored + already == versions,
              f"{attempt}: stored {stored} = {stored_new} + {stored_upd}; + {already} already = {versions}")
        rows, ids = store_sightings(db)
        check(rows - before[0] == stored, f"{attempt}: the store gained {rows - before[0]} rows, said {stored}")
        check(ids - before[1] == stored_new, f"{attempt}: the store gained {ids - before[1]} sighting ids, "
                                             f"said {stored_new}")
        if attempt == "first run":
            # versions within one store batch are folded into the last: every
            # sighting is stored, not every version
            check(stored_new == new and new <= stored <= versions,
                  f"a new store takes every sighting ({stored_new}/{new}), {stored} of {versions} versions")
            co = run(["run", "--coalesce-updates", "-o", out + ".co"] + INPUTS)
            n_co = open(out + ".co", "rb").read().count(b"\n")
            f_co = FOLDED.search(co.stderr)
            folded_co = int(f_co.group(1)) if f_co else 0
            check(co.returncode == r.returncode and folded_co > 0 and n_co == versions - folded_co,
                  f"--coalesce-updates folds {folded_co} of the {versions} versions: {n_co} lines")
        else:
            check(stored == 0 and already == versions, f"a re-run adds nothing ({stored} stored, {already} already)")
        before = (rows, ids)
    check(b"partial matches evicted" not in err and not re.search(rb"sightings \(\d+ updates\)", err),
          "the old wording is gone")


def read_pty(master, proc):
    """Everything written to the pty until the process exits."""
    data = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its side
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            data += chunk
        elif proc.poll() is not None:
            break
    return data


def run_on_pty(args):
    master, slave = pty.openpty()
    proc = subprocess.Popen([STORM] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    try:
        data = read_pty(master, proc)
    finally:
        os.close(master)
    proc.wait(timeout=300)
    return proc.returncode, data


def progress():
    name = os.path.basename(INPUTS[0]).encode()
    rc, tty = run_on_pty(["run"] + INPUTS)
    check(rc == 0, f"storm run with stderr on a terminal: exit {rc}")
    check(b"\r" in tty and name in tty and b"events, " in tty,
          f"a progress line on the terminal names the input: {tty[:300]!r}")
    check(b"sightings written" in tty, "the summary follows it")
    rc, quiet = run_on_pty(["run", "-q"] + INPUTS)
    check(rc == 0 and quiet == b"", f"-q on a terminal: nothing at all: {quiet[:300]!r}")
    r = run(["run"] + INPUTS)
    check(r.returncode == 0, f"storm run with stderr in a pipe: exit {r.returncode}")
    check(b"\r" not in r.stderr and b"\x1b[" not in r.stderr, f"no progress in a pipe: {r.stderr[:300]!r}")
    check(b"sightings written" in r.stderr, "but the summary")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        summary(tmp)
        progress()
    return report("test_run_report")


if __name__ == "__main__":
    sys.exit(main())
