#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""storm run --workers N gives what one worker gives (issue 16): over the
whole corpus and generated streams (bench/gen_stream.py, mixed and
kprobe-heavy) with the shipped models, --workers 2 and 3 against 1: the
same sightings (every id's last version: count, first_seen, last_seen),
the same output lines, the same store rows (but the wall-clock columns),
the same sessions (store and storm sessions), the same rejects, the same
statistics; with
each correlation mode that shards. Combinations it does not support are
refused with exit status 2."""
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report, run  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
GEN = os.path.join(ROOT, "bench", "gen_stream.py")


def corpus_inputs():
    files = []
    for sub in ("tetragon", "k8s-audit", "falco", "kubescape", "hubble"):
        files += sorted(glob.glob(os.path.join(CORPUS, sub, "*.jsonl")))
    return files


def generate(path, args):
    with open(path, "w") as f:
        subprocess.run([sys.executable, GEN] + args, stdout=f, check=True, timeout=300)
    return path


def results(tmp, name, inputs, workers, extra=()):
    """One run: its output lines, store, sessions and statistics."""
    db = os.path.join(tmp, f"{name}-{workers}.db")
    out = os.path.join(tmp, f"{name}-{workers}.out")
    stats = os.path.join(tmp, f"{name}-{workers}.json")
    rejects = os.path.join(tmp, f"{name}-{workers}.rejects")
    r = run(["run", "--workers", str(workers), "--db", db, "-o", out, "--stats-json", stats, "--rejects", rejects] +
            list(extra) + inputs)
    check(r.returncode in (0, 1), f"{name}: storm run --workers {workers} ({r.returncode}: {r.stderr.decode()[-300:]})")
    # exit status 1 is also the rejects' (the corpus has bad lines): a
    # sanitizer's report would hide behind it
    check(b"Sanitizer" not in r.stderr and b"runtime error" not in r.stderr,
          f"{name}: --workers {workers}: no sanitizer report ({r.stderr.decode()[-600:]})")
    lines = open(out).read().splitlines()
    last = {}
    for line in lines:
        for o in json.loads(line)["objects"]:
            if o["type"] == "sighting":
                last[o["id"]] = (o.get("count"), o.get("first_seen"), o.get("last_seen"), o.get("modified"))
    c = sqlite3.connect(db)
    # version and date_added are the wall-clock time of the write
    rows = sorted(c.execute("SELECT collection, id, type, spec_version, latest, json FROM objects"))
    sessions = sorted(c.execute("SELECT * FROM sessions"))
    c.close()
    s = run(["sessions", "--db", db, "--format", "json"])
    check(s.returncode == 0, f"{name}: storm sessions --db ({s.stderr.decode()[-200:]})")
    st = json.load(open(stats))
    keep = ("records_read", "events_read", "events_rejected", "events_skipped", "events_decoded", "observations",
            "observations_matched", "matches", "sightings", "sighting_updates", "sightings_stored",
            "sightings_stored_new", "bytes_read")
    return {"stderr": r.stderr, "rejects_bytes": open(rejects, "rb").read(),
            "rejects": sorted(open(rejects, "rb").read().splitlines()), "lines": lines, "bytes": open(out, "rb").read(), "last": last, "rows": rows, "sessions": sessions, "report": s.stdout,
            "stats": {k: st.get(k) for k in keep}}


def compare(tmp, name, inputs, extra=(), workers=(2, 3)):
    one = results(tmp, name, inputs, 1, extra)
    check(len(one["last"]) > 0, f"{name}: one worker finds sightings ({len(one['last'])})")
    for n in workers:
        got = results(tmp, name, inputs, n, extra)
        check(got["last"] == one["last"],
              f"{name}: --workers {n}: the same sightings ({len(got['last'])} ids, {len(one['last'])} with one)")
        check(got["bytes"] == one["bytes"],
              f"{name}: --workers {n}: the same output, byte for byte ({len(got['lines'])} lines, "
              f"{len(one['lines'])} with one)")
        check(got["rows"] == one["rows"],
              f"{name}: --workers {n}: the same store rows ({len(got['rows'])}, {len(one['rows'])} with one)")
        check(got["sessions"] == one["sessions"] and len(one["sessions"]) > 0,
              f"{name}: --workers {n}: the same sessions in the store ({len(got['sessions'])}, "
              f"{len(one['sessions'])} with one)")
        check(got["rejects"] == one["rejects"], f"{name}: --workers {n}: the same lines set aside in --rejects "
              f"({len(got['rejects'])}, {len(one['rejects'])} with one)")
        check(got["report"] == one["report"], f"{name}: --workers {n}: storm sessions prints the same")
        check(got["stats"] == one["stats"], f"{name}: --workers {n}: the same statistics ({got['stats']} vs "
              f"{one['stats']})")


def test_caps(tmp, stream):
    """The detector's caps reached on a small stream (STORM_TEST_DETECT_CAPS,
    for tests only): the open sightings' cap closes the sightings one worker
    closes, when it closes them, whatever the worker count."""
    base = results(tmp, "nocap", [stream], 1)
    os.environ["STORM_TEST_DETECT_CAPS"] = "sightings=6"
    try:
        capped = results(tmp, "cap", [stream], 1)
        # the cap closes sightings early: more versions, some reopened
        check(len(capped["lines"]) > len(base["lines"]), f"caps: the cap of 6 open sightings is reached "
              f"({len(capped['lines'])} lines against {len(base['lines'])} without it)")
        compare(tmp, "caps", [stream])
        compare(tmp, "caps-node", [stream], ["--correlate", "node"], workers=(2,))
    finally:
        del os.environ["STORM_TEST_DETECT_CAPS"]
    os.environ["STORM_TEST_DETECT_CAPS"] = "sightings=x"
    try:
        r = run(["run", "-q", "-o", os.devnull, stream])
        check(r.returncode == 2 and b"STORM_TEST_DETECT_CAPS" in r.stderr,
              f"a bad STORM_TEST_DETECT_CAPS is refused ({r.returncode}: {r.stderr.decode()[-200:]})")
    finally:
        del os.environ["STORM_TEST_DETECT_CAPS"]


def test_follow(tmp):
    """--follow with --workers: what the file holds is matched and written
    while storm waits for more (not held until a batch fills), and the
    output is one worker's."""
    events = os.path.join(ROOT, "examples", "events.jsonl")
    one = run(["run", "-q", events])
    check(one.returncode == 0 and one.stdout, f"one worker finds sightings in {events}")
    path = os.path.join(tmp, "followed.jsonl")
    out = os.path.join(tmp, "followed.out")
    shutil.copy(events, path)
    p = subprocess.Popen([STORM, "run", "-q", "--workers", "2", "--follow", path, "-o", out],
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120  # a safety net for a hung run, not a timing assertion
    got = b""
    while got != one.stdout and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        got = open(out, "rb").read() if os.path.exists(out) else b""
    check(p.poll() is None, f"storm run --workers 2 --follow is still running (exit {p.returncode})")
    # the sightings still open are written at the end
    check(len(got) > 0 and one.stdout.startswith(got), "--workers 2 --follow: the output so far is written while "
          f"it waits for more ({len(got)} bytes, {len(one.stdout)} from one worker at the end)")
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=120)[1]
    check(p.returncode == 0, f"--workers 2 --follow ends with 0 at SIGTERM ({p.returncode}: {err.decode()[-200:]})")
    check(open(out, "rb").read() == one.stdout, "--workers 2 --follow: the output of one worker, byte for byte")


def test_lines(tmp, mixed):
    """Lines of every kind, parsed and decoded by the workers and fed in
    input order: JSON records, arrays of records, text log lines (sshd,
    access log) dated by their file, blank lines, invalid JSON, invalid
    UTF-8, an over-long line, records of no known format, in several files:
    the output, store, sessions, statistics, and the rejects and their
    messages in the order one worker gives them."""
    entry = os.path.join(ROOT, "tests", "data", "entry")
    with open(mixed) as f:
        recs = [l for l in f.read().splitlines() if l.strip()][:2000]
    odd = os.path.join(tmp, "odd.jsonl")
    with open(odd, "wb") as f:
        for i, line in enumerate(recs):
            f.write(line.encode() + b"\n")
            if i == 100:
                f.write(b"\n   \n{not json\n42\n" + json.dumps({"hello": "world"}).encode() + b"\n")
            if i == 300:
                f.write(b'{"bad": "\xff\xfe"}\n')
            if i == 500:  # two records on one line, and a line one byte over the 16 MiB limit
                f.write(b"[" + recs[1].encode() + b"," + recs[2].encode() + b"]\n")
                f.write(b'{"x": "' + b"y" * (16 << 20) + b'"}\n')
            if i == 1500:
                f.write(b"Dec  7 08:01:30 jumpbox sshd[4251]: Failed password for root from 203.0.113.7 port 51242 "
                        b"ssh2\n")
    inputs = [os.path.join(entry, "auth.log"), odd, os.path.join(entry, "access.log"),
              os.path.join(entry, "journal.jsonl")]
    one = results(tmp, "lines", inputs, 1)
    check(one["stats"]["events_rejected"] >= 8 and b"line too long" in one["stderr"] and
          b"invalid UTF-8" in one["stderr"] and b"invalid JSON" in one["stderr"],
          f"lines: the bad lines are rejects ({one['stats']['events_rejected']}: {one['stderr'].decode()[-600:]})")
    check(len(one["last"]) > 0, f"lines: one worker finds sightings ({len(one['last'])})")
    for n in (2, 3):
        got = results(tmp, "lines", inputs, n)
        for key in ("bytes", "rows", "sessions", "report", "stats"):
            check(got[key] == one[key], f"lines: --workers {n}: the same {key}")
        check(got["rejects_bytes"] == one["rejects_bytes"],
              f"lines: --workers {n}: the same lines in --rejects, in the same order")
        # but the summary's times
        timed = re.compile(rb"^storm run: [0-9.]+ s, .*$", re.M)
        check(timed.sub(b"", got["stderr"]) == timed.sub(b"", one["stderr"]),
              f"lines: --workers {n}: the same messages, in the same order ({got['stderr'].decode()[-400:]})")


def test_refused(tmp):
    inp = corpus_inputs()[:1]
    for extra, what in ((["--workers", "0"], "--workers 0"), (["--workers", "65"], "--workers 65"),
                        (["--workers", "2", "--correlate", "global"], "--correlate global"),
                        (["--workers", "2", "--listen", "127.0.0.1:0"], "--listen"),
                        (["--workers", "2", "--learn-for", "1h"], "--learn-for"),
                        (["--workers", "2", "--keep-observations", "--db", os.path.join(tmp, "k.db")],
                         "--keep-observations")):
        r = run(["run", "-q", "-o", os.devnull] + extra + inp)
        check(r.returncode == 2 and b"--" in r.stderr, f"{what} with --workers is refused with exit 2 "
              f"({r.returncode}: {r.stderr.decode()[-200:]})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_refused(tmp)
        test_follow(tmp)
        corpus = corpus_inputs()
        compare(tmp, "corpus", corpus)
        mixed = generate(os.path.join(tmp, "mixed.jsonl"), ["6000"])
        compare(tmp, "mixed", [mixed])
        test_caps(tmp, mixed)
        test_lines(tmp, mixed)
        kprobe = generate(os.path.join(tmp, "kprobe.jsonl"), ["--kprobe", "4000"])
        compare(tmp, "kprobe", [kprobe])
        for mode in ("node", "lineage"):
            compare(tmp, f"{mode}", [mixed] + corpus, ["--correlate", mode], workers=(3,))
        # standard input is read the same way
        with open(mixed, "rb") as f:
            data = f.read()
        a = run(["run", "-q", "--workers", "1", "-"], stdin=data)
        b = run(["run", "-q", "--workers", "2", "-"], stdin=data)
        check(a.returncode == 0 and b.returncode == 0 and a.stdout and sorted(a.stdout.splitlines()) ==
              sorted(b.stdout.splitlines()), "standard input: --workers 2 prints the lines one worker prints")
    return report("test_workers")


if __name__ == "__main__":
    sys.exit(main())
