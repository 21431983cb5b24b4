#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The small things a user trips over on the command line (issue 10):
unknown options and options missing their value are usage errors (exit 2,
the option named, the usage line shown) in every command parsed by
cli_getopt (storm run, convert and baseline too); a models PATH that does not
exist fails (storm models and storm run --models, also with -q); `models lint --db`
reads the models kept in a store; `models tree` gives sibling steps distinct
numbers (golden file); `storm users` wants 12-character passwords and
confirms what it did on standard error unless -q; --follow on a file that
does not exist yet waits for it."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report, run  # noqa: E402

MODELS = os.path.join(ROOT, "models")
GOLDEN = os.path.join(ROOT, "tests", "golden", "models")


def usage_error(args, option, usage):
    r = run(args)
    err = r.stderr.decode(errors="replace")
    what = "storm " + " ".join(args)
    check(r.returncode == 2, f"{what}: exit {r.returncode}, want 2")
    check(f"'{option}'" in err, f"{what}: the error names {option}: {err!r}")
    check(usage in err, f"{what}: the usage line is shown: {err!r}")
    check(r.stdout == b"", f"{what}: nothing on standard output")


def unknown_options():
    tree = "usage: storm models tree"
    usage_error(["models", "tree", "--format", "dot", MODELS], "--format", tree)
    usage_error(["models", "tree", MODELS, "--format", "dot"], "--format", tree)
    usage_error(["models", "lint", "--bogus", MODELS], "--bogus", "usage: storm models lint")
    usage_error(["models", "lint", "-x", MODELS], "-x", "usage: storm models lint")
    usage_error(["models", "import", "--bogus", "--from", "ksc", "x.json"], "--bogus", "usage: storm models import")
    usage_error(["models", "lint", "--db"], "--db", "usage: storm models lint")
    taxii = os.environ.get("STORM_HAVE_TAXII") != "0"  # -Dtaxii=disabled builds no serve, publish, pull
    for cmd, usage in (("serve", "usage: storm serve"), ("publish", "usage: storm publish"),
                       ("pull", "usage: storm pull"), ("users", "usage: storm users")):
        if taxii or cmd == "users":
            usage_error([cmd, "--bogus"], "--bogus", usage)
    if taxii:
        usage_error(["serve", "--db"], "--db", "usage: storm serve")
        usage_error(["pull", "--from"], "--from", "usage: storm pull")
    usage_error(["users", "--file"], "--file", "usage: storm users")
    usage_error(["match", "--bogus", "-p", "[a:b = 1]", "x.json"], "--bogus", "usage: storm match")
    usage_error(["match", "x.json", "-p"], "-p", "usage: storm match")
    usage_error(["pattern", "check", "--bogus", "[a:b = 1]"], "--bogus", "usage: storm pattern check")
    usage_error(["pattern", "check", "-s"], "-s", "usage: storm pattern check")
    # the pipeline's commands (they had their own parsers)
    usage_error(["run", "--bogus", "examples/events.jsonl"], "--bogus", "usage: storm run")
    usage_error(["run", "--models"], "--models", "usage: storm run")
    usage_error(["run", "-x"], "-x", "usage: storm run")
    usage_error(["convert", "--bogus"], "--bogus", "usage: storm convert")
    usage_error(["convert", "--follow", "x.jsonl", "--follow-timeout"], "--follow-timeout", "usage: storm convert")
    usage_error(["baseline", "--bogus"], "--bogus", "usage: storm baseline")
    usage_error(["baseline", "learn", "--db"], "--db", "usage: storm baseline")
    usage_error(["baseline", "show", "--db", "x.db", "-z"], "-z", "usage: storm baseline")
    for args in (["baseline", "--help"], ["baseline", "show", "--help"], ["run", "--help"], ["convert", "--help"]):
        r = run(args)
        check(r.returncode == 0 and r.stdout.startswith(b"usage: storm "), f"storm {' '.join(args)}: the help")


def missing_paths(tmp):
    gone = os.path.join(tmp, "no-such-models")
    for sub in ("tree", "lint"):
        r = run(["models", sub, gone])
        check(r.returncode == 1, f"models {sub} on a missing path: exit {r.returncode}, want 1")
        out = (r.stdout + r.stderr).decode(errors="replace")
        check("no-such-models" in out, f"models {sub} names the missing path: {out!r}")
    r = run(["models", "lint", "--db", gone + ".db"])
    check(r.returncode == 1, f"models lint --db on a missing store: exit {r.returncode}, want 1")
    # storm run: a --models path that does not exist fails the run, alone, beside
    # a good one (a typo must not run without those models) and with -q
    events = os.path.join(ROOT, "examples", "events.jsonl")
    for extra in ([], ["--models", MODELS], ["-q"], ["-q", "--models", MODELS]):
        args = ["run", "--format", "text"] + extra + ["--models", gone, events]
        r = run(args)
        err = r.stderr.decode(errors="replace")
        what = "storm " + " ".join(args[:-1])
        check(r.returncode == 1, f"{what}: exit {r.returncode}, want 1")
        check(f"--models {gone}:" in err, f"{what}: the message names the path: {err!r}")
        check(r.stdout == b"", f"{what}: no sightings written: {r.stdout[:200]!r}")


def lint_db(tmp):
    db = os.path.join(tmp, "run.db")
    r = run(["run", "--models", MODELS, "--db", db, "-q", "-o", os.devnull], stdin=b"")
    check(r.returncode == 0, f"storm run --db stores the models: {r.stderr!r}")
    files = run(["models", "lint", MODELS])
    stored = run(["models", "lint", "--db", db])
    check(stored.returncode == files.returncode, f"models lint --db: exit {stored.returncode}: {stored.stderr!r}")
    # the same objects, read from the store instead of the files
    want = files.stdout.decode().splitlines()[-1].split(": ", 1)[1]
    got = stored.stdout.decode().splitlines()[-1] if stored.stdout else ""
    check(got.startswith("0 files: ") or got.startswith("1 files: "), f"models lint --db summary: {got!r}")
    check(got.split(": ", 1)[-1] == want, f"models lint --db loads what the files hold: {got!r} vs {want!r}")
    both = run(["models", "lint", "--db", db, MODELS])
    check(both.stdout.decode().splitlines()[-1].split(": ", 1)[-1] == want,
          "models lint --db DB PATH: the files win, nothing loaded twice")


def tree_golden():
    r = run(["models", "tree", MODELS])
    check(r.returncode == 0, f"models tree models/: exit {r.returncode}")
    out = r.stdout.decode()
    with open(os.path.join(GOLDEN, "tree.txt")) as f:
        check(out == f.read(), "models tree models/ matches tests/golden/models/tree.txt")
    # sibling steps (same indentation, same parent) never share a number
    lines = [l for l in out.splitlines() if l.strip()[:1].isdigit()]
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        label = line.split()[0]
        for other in lines[i + 1:]:
            oi = len(other) - len(other.lstrip())
            if oi < indent:
                break
            if oi == indent:
                check(other.split()[0] != label, f"two siblings numbered {label}")
                break


def users(tmp):
    f = os.path.join(tmp, "users")
    r = run(["users", "--file", f, "--iterations", "1000", "add", "alice"], stdin=b"x\n")
    check(r.returncode == 1, f"a 1-character password is refused: exit {r.returncode}")
    check(b"at least 12" in r.stderr, f"and the message says the minimum: {r.stderr!r}")
    check(not os.path.exists(f), "nothing written for a refused password")
    r = run(["users", "--file", f, "--iterations", "1000", "add", "alice"], stdin=b"a-long-passphrase\n")
    check(r.returncode == 0, f"users add: exit {r.returncode}: {r.stderr!r}")
    check(b"added alice" in r.stderr, f"users add confirms on stderr: {r.stderr!r}")
    check(r.stdout == b"", "users add prints nothing on stdout")
    r = run(["users", "--file", f, "grant", "alice", "rw", "indicators"])
    check(r.returncode == 0 and b"granted alice rw on 1 collection" in r.stderr, f"users grant confirms: {r.stderr!r}")
    r = run(["users", "--file", f, "-q", "grant", "alice", "read", "sightings"])
    check(r.returncode == 0 and r.stderr == b"", f"users -q grant is quiet: {r.stderr!r}")
    r = run(["users", "--file", f, "list"])
    check(b"sightings" in r.stdout, f"the quiet grant happened: {r.stdout!r}")
    # an option after the command is not a user name (it made a user '--help')
    for late in ("--help", "-q"):
        r = run(["users", "--file", f, "--iterations", "1000", "add", late], stdin=b"a-long-passphrase\n")
        check(r.returncode == 2 and b"options go before the command" in r.stderr,
              f"users add {late}: usage error, exit {r.returncode}: {r.stderr!r}")
    r = run(["users", "--file", f, "list"])
    check(b"--help" not in r.stdout and b"-q" not in r.stdout, f"no user named like an option: {r.stdout!r}")
    r = run(["users", "--file", f, "remove", "bob"])
    check(r.returncode == 1 and r.stderr == b"storm users: no user 'bob'\n", f"one prefix in errors: {r.stderr!r}")


WAITING = b"does not exist yet: waiting for it to appear"


def pull_unreachable(tmp):
    if os.environ.get("STORM_HAVE_TAXII") == "0":
        return
    import socket
    with socket.socket() as sk:  # a loopback port nothing listens on
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    db = os.path.join(tmp, "pulled.db")
    r = run(["pull", "--from", f"http://127.0.0.1:{port}/taxii/", "--collection", "indicators", "--db", db])
    check(r.returncode == 1 and b"is the server running" in r.stderr, f"pull from nothing: a hint: {r.stderr!r}")
    check(not os.path.exists(db), "a pull that reached no server creates no store")


def follow_missing(tmp):
    # given up after --follow-timeout: said once, then the usual open error
    gone = os.path.join(tmp, "not-yet.jsonl")
    r = run(["convert", "--follow", "--follow-timeout", "300", gone])
    check(r.returncode == 1, f"convert --follow on a file that never appears: exit {r.returncode}, want 1")
    check(r.stderr.count(WAITING) == 1, f"it says once that it waits: {r.stderr!r}")
    # storm run waits until the file appears, then reads it
    path = os.path.join(tmp, "later.jsonl")
    out = os.path.join(tmp, "later.txt")
    p = subprocess.Popen([STORM, "run", "--follow", path, "--format", "text", "-o", out, "-q"],
                         stderr=subprocess.PIPE)
    first = p.stderr.readline()  # blocks until storm says it waits (or exits)
    check(WAITING in first, f"storm run --follow says it waits for {path}: {first!r}")
    tmpfile = path + ".tmp"
    shutil.copy(os.path.join(ROOT, "examples", "events.jsonl"), tmpfile)
    os.rename(tmpfile, path)
    deadline = time.monotonic() + 120  # a safety net for a hung run, not a timing assertion
    text = ""
    while "Container escape via nsenter" not in text and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        text = open(out).read() if os.path.exists(out) else ""
    check("Container escape via nsenter" in text, f"the file that appeared was read: {text!r}")
    check(p.poll() is None, f"storm run --follow was still running (exit {p.returncode})")
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    rest = p.communicate(timeout=120)[1]
    check(p.returncode == 0, f"storm run --follow ends with 0 at SIGTERM: {p.returncode}")
    check((first + rest).count(WAITING) == 1, "the wait is said once")


def number_options():
    """Whole-number options read digits only, in every command: a sign, a
    blank or a suffix is a usage error (strtoul alone took ' 5' and '-1')."""
    taxii = os.environ.get("STORM_HAVE_TAXII") != "0"
    cases = [(["run", "--state-cap", "+5", "x.jsonl"], "+5"), (["run", "--workers", " 2", "x.jsonl"], " 2"),
             (["convert", "--max-line", " 9", "x.jsonl"], " 9"), (["convert", "--follow-timeout", "-1", "x"], "-1"),
             (["users", "--iterations", " 700000", "list"], None),
             (["baseline", "learn", "--max-profiles", "-3", "x.jsonl"], "-3")]
    if taxii:
        cases += [(["pull", "--limit", " 5", "http://127.0.0.1:9/"], " 5"),
                  (["pull", "--timeout", "5x", "http://127.0.0.1:9/"], "5x"),
                  (["publish", "--timeout", "-1", "x.json"], "-1"), (["serve", "--threads", " 2"], " 2")]
    for args, shown in cases:
        r = run(args)
        what = "storm " + " ".join(args)
        check(r.returncode == 2, f"{what}: exit {r.returncode}, want 2: {r.stderr!r}")
        if shown is not None:
            check(f"'{shown}'".encode() in r.stderr, f"{what}: the error quotes the value: {r.stderr!r}")


def kafka_no_broker():
    """No broker at --kafka: one line says so and what to check, instead of
    librdkafka's raw log line every second."""
    p = subprocess.Popen([STORM, "run", "-q", "--kafka", "127.0.0.1:9", "--topic", "t", "--group", "g"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(4)  # librdkafka retries every second: a few retries
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    if b"built without Kafka support" in err:
        return  # -Dkafka=disabled: storm run says so and exits (tested with the minimal build's tests)
    said = err.count(b"no broker of 127.0.0.1:9 answers")
    check(said == 1 and b"is the broker running" in err, f"no broker: said once, with a hint ({said}): {err[-400:]!r}")
    check(b"%3|" not in err, f"no raw librdkafka log lines: {err[-400:]!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        unknown_options()
        number_options()
        missing_paths(tmp)
        lint_db(tmp)
        tree_golden()
        users(tmp)
        pull_unreachable(tmp)
        follow_missing(tmp)
        kafka_no_broker()
    return report("test_cli")


if __name__ == "__main__":
    sys.exit(main())
