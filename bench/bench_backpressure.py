# SPDX-License-Identifier: Apache-2.0
"""Backpressure of storm run --redis: does memory stay bounded when the
backlog is large and the store is slow? (on demand:
python3 bench/bench_backpressure.py [BUILD_DIR] [SMALL_COPIES] [LARGE_COPIES] [DELAY_US])

The corpus (without its untimed Tetragon events) is added SMALL_COPIES
(default 20) and LARGE_COPIES (default 100) times to 4 Redis streams (a
redis-server on a unix socket). One consumer reads each backlog into a
store, with the shipped models and default options, twice: with the store
at its own speed, and with a slow store (each write and sync of the store
held DELAY_US, default 2000 us, by strace's fault injection: a slow disk). It is
stopped with SIGTERM once its /metrics say it has taken everything. The
figures: the consumer's maximum RSS (GNU time -v), its CPU time and wall
time, and the lag it showed while the store was slow. Memory bounded means
the maximum RSS of the large backlog stays close to the small one's."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
SMALL = int(sys.argv[2]) if len(sys.argv) > 2 else 20
LARGE = int(sys.argv[3]) if len(sys.argv) > 3 else 100
DELAY_US = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
os.environ.setdefault("STORM_SOURCE_ROOT", ROOT)
os.environ["STORM_BIN"] = os.path.join(BUILD, "src", "cli", "storm")
import test_streams as ts  # noqa: E402

STORM = os.environ["STORM_BIN"]


def descendant(pid, name):
    """The first descendant process of pid running name (the consumer under
    time and strace)."""
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = open(f"/proc/{p}/task/{p}/children").read().split()
        except OSError:
            continue
        for k in kids:
            try:
                if open(f"/proc/{k}/comm").read().strip() == name:
                    return int(k)
            except OSError:
                pass
            todo.append(int(k))
    return None


def consume(tmp, name, sock, streams, slow):
    db = os.path.join(tmp, name + ".db")
    timing = os.path.join(tmp, name + ".time")
    err = os.path.join(tmp, name + ".err")
    cmd = ["/usr/bin/time", "-v", "-o", timing]
    if slow:
        cmd += ["strace", "-f", "-qq", "--seccomp-bpf", "-o", os.devnull, "-e", "trace=pwrite64,fdatasync,fsync",
                "-e", f"inject=pwrite64,fdatasync,fsync:delay_exit={DELAY_US}"]
    cmd += [STORM, "run", "--db", db, "-o", os.devnull, "--listen", "127.0.0.1:0", "--idle-exit", "3600s",
            "--redis", "unix:" + sock, "--group", name, "--lease", "3s"]
    for s in streams:
        cmd += ["--stream", s]
    t0 = time.monotonic()
    with open(err, "w") as f:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=f)
    port = None
    while port is None and p.poll() is None:
        m = re.search(r"\(port (\d+)\)", open(err).read())
        port = int(m.group(1)) if m else None
        time.sleep(0.05)
    lag_max, held = 0, None
    while p.poll() is None:
        lag = ts.metric(port, "storm_consumer_lag")
        lag_max = max(lag_max, lag or 0)
        if ts.metric(port, "storm_consumer_partitions") == ts.PARTS and lag == 0:
            held = ts.metric(port, "storm_consumer_uncommitted")
            break
        time.sleep(0.2)
    pid = descendant(p.pid, "storm")
    if pid:
        os.kill(pid, signal.SIGTERM)
    p.wait(timeout=600)
    wall = time.monotonic() - t0
    t = open(timing).read()

    def field(label):
        m = re.search(re.escape(label) + r": *([\d.:]+)", t)
        return m.group(1) if m else "?"
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return int(field("Maximum resident set size (kbytes)")), cpu, wall, lag_max, held


def main():
    if not shutil.which("redis-server") or (not shutil.which("strace")):
        print("bench_backpressure: needs redis-server and strace")
        return 1
    tmp = tempfile.mkdtemp(prefix="storm-bench-bp-")
    try:
        _, lines, _ = ts.corpus_copy(tmp)
        sock = os.path.join(tmp, "redis.sock")
        srv = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly",
                                "no", "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ts.wait_for(lambda: os.path.exists(sock), 30)
            c = ts.Resp(sock)
            print(f"bench_backpressure: {len(lines)} corpus lines; slow store: each write and sync held {DELAY_US} us")
            for copies in (SMALL, LARGE):
                streams = [f"bp{copies}:{i}" for i in range(ts.PARTS)]
                n = 0
                for _ in range(copies):
                    for key, line in lines:
                        c.send("XADD", streams[ts.shard_of(key)], "*", "event", line)
                        n += 1
                    for _ in lines:
                        c.reply()
                for slow in (False, True):
                    name = f"g{copies}{'slow' if slow else 'fast'}"
                    rss, cpu, wall, lag, held = consume(tmp, name, sock, streams, slow)
                    print(f"backlog {n:7d} entries, store {'slow' if slow else 'fast'}: max RSS {rss / 1024:7.1f} MiB, "
                          f"CPU {cpu:6.2f} s, wall {wall:6.2f} s, largest lag seen {lag:.0f}, "
                          f"unacknowledged at the end {held}")
        finally:
            srv.terminate()
            srv.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
