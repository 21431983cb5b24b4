#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The store on PostgreSQL beside SQLite (on demand, not a test).

Starts a PostgreSQL server of its own (tests/pg_run.sh: initdb in a temporary
directory, unix socket; PostgreSQL's durable defaults, fsync on) and, on each
back end:
  TAXII POST  storm serve --db X; N indicators POSTed in 100-object envelopes
              over one keep-alive connection: objects/s;
  TAXII GET   every page (limit=100, following `next`) of that collection,
              ROUNDS times: objects/s, with the page cache and without
              (--no-page-cache: a query per request);
  storm run   --db X over a generated stream (gen_stream.py EVENTS):
              wall seconds (start-up included) and CPU (user+system) of storm
              and of the database server (PostgreSQL's processes).
Ratios are PostgreSQL / SQLite, both measured in the same run. SQLite runs in
WAL mode with synchronous=NORMAL (no fsync per commit); PostgreSQL commits
with fsync: a durability difference the ratios include.
Pin with taskset on a shared machine:
  taskset -c 1 bench/bench_store_backends.py [--objects N] [--rounds R] [--events E] [STORM_BIN]"""
import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def proc_cpu(pids):
    """user+system seconds of the given processes (and nothing else)."""
    t = 0
    tck = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            t += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return t / tck


def postgres_pids():
    """The server's processes: the postmaster first."""
    pid = int(open(os.path.join(os.environ["STORM_TEST_PG_DIR"], "data", "postmaster.pid")).readline())
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [int(x) for x in out.split()]


def postgres_cpu():
    """user+system seconds of PostgreSQL: its live processes, and the
    connections' backends that have exited (counted in the postmaster's
    children time)."""
    pids = postgres_pids()
    tck = os.sysconf("SC_CLK_TCK")
    f = open("/proc/%d/stat" % pids[0]).read().rsplit(")", 1)[1].split()
    return proc_cpu(pids) + (int(f[13]) + int(f[14])) / tck


def serve(storm, db, users, extra, work):
    log = open(os.path.join(work, "serve.log"), "w+")
    p = subprocess.Popen([storm, "serve", "--db", db, "--users", users, "--listen", "127.0.0.1:0"] + extra,
                         stderr=log)
    for _ in range(200):
        log.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read())
        if m:
            return p, int(m.group(1))
        time.sleep(0.05)
    p.kill()
    raise SystemExit("storm serve did not start: " + open(log.name).read())


HEADERS = {"Accept": "application/taxii+json;version=2.1",
           "Content-Type": "application/taxii+json;version=2.1",
           "Authorization": "Basic " + base64.b64encode(b"bench:bench-password-1").decode()}


def envelope(e):
    objs = []
    for i in range(100):
        n = e * 100 + i
        objs.append({"type": "indicator", "spec_version": "2.1",
                     "id": "indicator--b0000000-0000-4000-8000-%012d" % n,
                     "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                     "name": "bench indicator %d" % n, "pattern": "[ipv4-addr:value = '10.%d.%d.%d']"
                     % (n // 65536, n // 256 % 256, n % 256), "pattern_type": "stix",
                     "valid_from": "2026-01-01T00:00:00Z"})
    return json.dumps({"objects": objs}).encode()


def taxii(storm, db, users, objects, rounds, work):
    """(POST objects/s, GET objects/s, GET objects/s without page cache, server CPU s of POST)."""
    p, port = serve(storm, db, users, [], work)
    pg = db.startswith("postgresql")
    pgcpu = postgres_cpu if pg else (lambda: 0.0)
    bodies = [envelope(e) for e in range(objects // 100)]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c0, p0 = proc_cpu([p.pid]), pgcpu()
    t0 = time.perf_counter()
    for b in bodies:
        c.request("POST", "/storm/collections/indicators/objects/", body=b, headers=HEADERS)
        r = c.getresponse()
        r.read()
        if r.status != 202:
            raise SystemExit("POST: HTTP %d" % r.status)
    post_s = time.perf_counter() - t0
    post_cpu = (proc_cpu([p.pid]) - c0, pgcpu() - p0)
    got = {}
    for label, extra in (("cached", []), ("uncached", ["--no-page-cache"])):
        if extra:
            p.terminate()
            p.wait()
            p, port = serve(storm, db, users, extra, work)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = 0
        c0, p0 = proc_cpu([p.pid]), pgcpu()
        t0 = time.perf_counter()
        for _ in range(rounds):
            nxt = None
            while True:
                c.request("GET", "/storm/collections/indicators/objects/?limit=100" + ("&next=" + nxt if nxt else ""),
                          headers=HEADERS)
                r = c.getresponse()
                page = json.loads(r.read())
                n += len(page.get("objects", []))
                if not page.get("more"):
                    break
                nxt = page["next"]
        secs = time.perf_counter() - t0
        got[label] = (n, secs, proc_cpu([p.pid]) - c0, pgcpu() - p0)
    p.terminate()
    p.wait()
    return (objects, post_s, post_cpu), got


def run_stream(storm, db, stream, work):
    pgcpu = postgres_cpu if db.startswith("postgresql") else (lambda: 0.0)
    p0 = pgcpu()
    t0 = time.perf_counter()
    r0 = os.times()
    out = subprocess.run([storm, "run", "-q", "--db", db, "--stats-json", os.path.join(work, "stats.json"), stream],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    r1 = os.times()
    if out.returncode not in (0, 1):
        raise SystemExit("storm run failed: " + out.stderr.decode()[-500:])
    cpu = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    stats = json.load(open(os.path.join(work, "stats.json")))
    time.sleep(0.2)  # the backend of storm run's connection exits just after it
    return wall, cpu, pgcpu() - p0, stats.get("events_read", 0)


def new_db(name, work):
    if name.startswith("pg-"):
        host = os.environ["STORM_TEST_PG_DIR"]
        subprocess.run([os.path.join(os.environ["PGBIN"], "createdb"), "-h", host, "-U", "storm", name.replace("-", "_")],
                       check=True)
        return "postgresql://storm@/%s?host=%s" % (name.replace("-", "_"), host)
    return os.path.join(work, name + ".db")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("storm", nargs="?", default=os.path.join(ROOT, "build", "src", "cli", "storm"))
    a = ap.parse_args()
    if not os.environ.get("STORM_TEST_PG_URL"):  # start a server, then come back
        env = dict(os.environ, STORM_TEST_PG_DURABLE="1")
        os.execvpe(os.path.join(ROOT, "tests", "pg_run.sh"),
                   [os.path.join(ROOT, "tests", "pg_run.sh"), sys.executable] + sys.argv, env)
    storm = os.path.abspath(a.storm)
    with tempfile.TemporaryDirectory() as work:
        users = os.path.join(work, "users")
        subprocess.run([storm, "users", "--file", users, "--iterations", "1000", "add", "bench"], input=b"bench-password-1\n",
                       check=True, capture_output=True)
        subprocess.run([storm, "users", "--file", users, "grant", "bench", "rw", "*"], check=True, capture_output=True)
        stream = os.path.join(work, "stream.jsonl")
        with open(stream, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_stream.py"), str(a.events)], stdout=f,
                           check=True)
        res = {}
        for be in ("sqlite", "pg"):
            db = new_db(be + "-taxii", work)
            res[be, "taxii"] = taxii(storm, db, users, a.objects, a.rounds, work)
            res[be, "run"] = run_stream(storm, new_db(be + "-run", work), stream, work)
    print("Store back ends (%s, %d CPUs, load average %s, storm: %s)"
          % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.cpu_count(), open("/proc/loadavg").read().split()[0],
             storm))
    print("%-34s %14s %14s %7s" % ("", "SQLite", "PostgreSQL", "PG/SQL"))

    def row(name, s, p, unit="", higher_better=True):
        print("%-34s %14s %14s %7.2f" % (name, "%.0f%s" % (s, unit) if s >= 10 else "%.2f%s" % (s, unit),
                                          "%.0f%s" % (p, unit) if p >= 10 else "%.2f%s" % (p, unit), p / s if s else 0))
    (sn, sp, scpu), sget = res["sqlite", "taxii"]
    (pn, pp, pcpu), pget = res["pg", "taxii"]
    row("TAXII POST objects/s", sn / sp, pn / pp)
    row("  storm serve CPU s", scpu[0], pcpu[0])
    row("  postgres CPU s", scpu[1], pcpu[1])
    for label in ("cached", "uncached"):
        s, p = sget[label], pget[label]
        row("TAXII paged GET objects/s (%s)" % label, s[0] / s[1], p[0] / p[1])
        row("  storm serve CPU s", s[2], p[2])
        row("  postgres CPU s", s[3], p[3])
    s, p = res["sqlite", "run"], res["pg", "run"]
    row("storm run --db %d events: wall s" % s[3], s[0], p[0])
    row("  storm run CPU s (user+sys)", s[1], p[1])
    row("  postgres CPU s", s[2], p[2])
    row("  events/s (wall)", s[3] / s[0], p[3] / p[0])


if __name__ == "__main__":
    main()
