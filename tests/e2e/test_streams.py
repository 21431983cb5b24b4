# SPDX-License-Identifier: Apache-2.0
"""storm run --kafka and --redis against one storm run over the files.

The whole corpus is produced to a log engine keyed by node (a Kafka topic
of 4 partitions on librdkafka's mock cluster; 4 Redis streams as shards on
a real redis-server), then consumed by two storm processes of one group
writing one store; one of them is killed (SIGKILL) while it works, the
other takes its partitions over. The store must then hold exactly the
sightings (ids, counts, first/last seen, evidence) of one storm run over
the files: nothing lost, nothing doubled. Also: a run with one consumer,
and the metrics the consumers serve.

No consumer leaves on its own (an idle timeout races the group's
rebalance on a loaded machine): each is stopped with SIGTERM once its
/metrics say it holds every partition and has taken everything of them
(storm_consumer_partitions, storm_consumer_lag 0), waited for with a
generous overall limit; a consumer that never gets there fails the test."""
import glob
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
MOCK = os.environ.get("STORM_KAFKA_MOCK")
BUILT_KAFKA = os.environ.get("STORM_HAVE_KAFKA") == "1"
BUILT_REDIS = os.environ.get("STORM_HAVE_REDIS") == "1"
# the kill test watches the consumers' /metrics (storm run --listen)
HAVE_HTTP = os.environ.get("STORM_HAVE_TAXII", "1") == "1"
HAVE_KAFKA = BUILT_KAFKA and MOCK and HAVE_HTTP
HAVE_REDIS = BUILT_REDIS and shutil.which("redis-server") and HAVE_HTTP
PARTS = 4


def untimed_tetragon(line):
    """A Tetragon event without a time: storm dates it by the event before
    it in a file (so by the order of the files) and by the message's own
    time in a stream, so its sighting cannot be compared; left out."""
    try:
        o = json.loads(line)
    except ValueError:
        return False
    return isinstance(o, dict) and "time" not in o and any(k.startswith("process_") for k in o)


def corpus_copy(tmp):
    """The corpus files, copied to tmp/corpus without untimed Tetragon
    events; returns (files, [(key, line)] of their non-blank lines in order,
    lines left out)."""
    files, lines, left = [], [], 0
    for f in sorted(glob.glob(os.path.join(CORPUS, "**", "*.jsonl"), recursive=True)):
        dst = os.path.join(tmp, "corpus", os.path.relpath(f, CORPUS))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(f, encoding="utf-8", errors="surrogateescape") as fh, \
                open(dst, "w", encoding="utf-8", errors="surrogateescape") as out:
            for line in fh:
                line = line.rstrip("\n")
                if "/tetragon/" in f and untimed_tetragon(line):
                    left += 1
                    continue
                out.write(line + "\n")
                if line.strip():
                    lines.append((node_key(line), line))
        files.append(dst)
    return files, lines, left


def find_node(v, depth=0):
    if depth > 6:
        return None
    if isinstance(v, dict):
        for k in ("node_name", "nodeName", "hostname", "k8s.node.name", "node"):
            if isinstance(v.get(k), str) and v[k]:
                return v[k]
        for x in v.values():
            n = find_node(x, depth + 1)
            if n:
                return n
    elif isinstance(v, list):
        for x in v[:8]:
            n = find_node(x, depth + 1)
            if n:
                return n
    return None


def node_key(line):
    """The partition key a shipper keyed by node would use ("cluster" for
    records without a node: audit events, for instance)."""
    try:
        return find_node(json.loads(line)) or "cluster"
    except ValueError:
        return "cluster"


def shard_of(key):
    h = 0
    for ch in key.encode():
        h = (h * 31 + ch) & 0xFFFFFFFF
    return h % PARTS


def sightings(db):
    """id -> (count, first_seen, last_seen, sorted refs, sighting_of_ref) of
    the last version of every sighting."""
    out = {}
    con = sqlite3.connect(db)
    for (js,) in con.execute("SELECT json FROM objects WHERE latest = 1 AND type = 'sighting'"):
        o = json.loads(js)
        out[o["id"]] = (o.get("count"), o.get("first_seen"), o.get("last_seen"),
                        tuple(sorted(o.get("observed_data_refs", []))), o.get("sighting_of_ref"))
    con.close()
    return out


def compare(what, got, want):
    lost = [i for i in want if i not in got]
    extra = [i for i in got if i not in want]
    lower = [i for i in want if i in got and (got[i][0] or 0) < (want[i][0] or 0)]
    higher = [i for i in want if i in got and (got[i][0] or 0) > (want[i][0] or 0)]
    differ = [i for i in want if i in got and got[i] != want[i]]
    print(f"{what}: {len(got)} sightings (want {len(want)}): lost {len(lost)}, extra {len(extra)}, "
          f"count lower {len(lower)}, count doubled/higher {len(higher)}, differing {len(differ)}")
    for i in differ[:5]:
        print("  differs:", i, got[i], want[i], file=sys.stderr)
    for i in lost[:5]:
        print("  lost:", i, want[i], file=sys.stderr)
    for i in extra[:5]:
        print("  extra:", i, got[i], file=sys.stderr)
    check(not lost and not extra and not differ, f"{what}: the same sightings as one run over the files")
    return len(lost), len(higher)


def reference(tmp, files):
    db = os.path.join(tmp, "files.db")
    r = subprocess.run([STORM, "run", "-q", "--db", db, "-o", os.devnull] + files, capture_output=True, timeout=300)
    check(r.returncode in (0, 1) and os.path.exists(db), "the reference run over the files")
    return sightings(db)


def start_consumer(args, tmp, name, db):
    err = open(os.path.join(tmp, name + ".err"), "w")
    return subprocess.Popen([STORM, "run", "--db", db, "-o", os.devnull, "--listen", "127.0.0.1:0"] + args,
                            stdout=subprocess.DEVNULL, stderr=err)


def port_of(tmp, name, proc, timeout=30):
    path = os.path.join(tmp, name + ".err")
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        for line in open(path):
            if "(port " in line:
                return int(line.rsplit("(port ", 1)[1].split(")")[0])
        time.sleep(0.05)
    return None


def metric(port, name):
    """The value of a metric without labels, or None."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


DRAIN_LIMIT = 400  # seconds: a safety net for a stuck consumer, not a timing assertion


def drained(port):
    """The consumer holds every partition and has taken all of them."""
    return metric(port, "storm_consumer_partitions") == PARTS and metric(port, "storm_consumer_lag") == 0


def stop_when_drained(what, proc, port):
    """Wait until the consumer has taken everything (two readings in a row),
    then SIGTERM: it makes its results durable, acknowledges and exits.
    Returns its exit status."""
    done = port is not None and wait_for(lambda: proc.poll() is not None or (drained(port) and drained(port)),
                                         DRAIN_LIMIT) and proc.poll() is None
    check(done, f"{what}: the consumer holds all {PARTS} partitions and has taken everything "
                f"(partitions {metric(port, 'storm_consumer_partitions') if port else None}, "
                f"lag {metric(port, 'storm_consumer_lag') if port else None})")
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=300)


def one_consumer(what, args, tmp, want):
    """One consumer of a group of its own reads everything."""
    db = os.path.join(tmp, what + ".db")
    t0 = time.monotonic()
    c = start_consumer(args + ["--idle-exit", "3600s", "--stats-json", os.path.join(tmp, what + ".json")], tmp,
                       what, db)
    rc = stop_when_drained(what, c, port_of(tmp, what, c))
    secs = time.monotonic() - t0
    check(rc in (0, 1), f"{what}: ends on SIGTERM ({rc}): " + open(os.path.join(tmp, what + ".err")).read()[-300:])
    compare(what, sightings(db), want)
    return secs


def two_consumers_one_killed(what, args_of, tmp, want):
    """Consumers a and b share the work; a is killed once it has taken
    messages (the first checkpoint may or may not have passed); b takes its
    partitions over and is stopped once it has taken everything. Returns
    (lost, doubled)."""
    db = os.path.join(tmp, what + ".db")
    a = start_consumer(args_of("a") + ["--idle-exit", "3600s"], tmp, what + "-a", db)
    b = start_consumer(args_of("b") + ["--idle-exit", "3600s"], tmp, what + "-b", db)
    pa = port_of(tmp, what + "-a", a)
    check(pa is not None, f"{what}: consumer a serves /metrics")
    took = wait_for(lambda: (metric(pa, "storm_consumer_messages_total") or 0) > 0, 120) if pa else False
    check(took, f"{what}: consumer a took messages before it was killed")
    killed_at = metric(pa, "storm_consumer_messages_total") if pa else None
    a.send_signal(signal.SIGKILL)
    a.wait()
    rb = stop_when_drained(what + ", consumer b", b, port_of(tmp, what + "-b", b))
    check(rb in (0, 1), f"{what}: consumer b ends on SIGTERM ({rb})")
    print(f"{what}: a killed after taking messages ({killed_at}); b exited {rb}")
    return compare(what + " (a killed)", sightings(db), want)


# ---- Kafka (librdkafka's mock cluster) ----

def kafka_tests(tmp, lines, want):
    broker = subprocess.Popen([MOCK, "events", str(PARTS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    boot = broker.stdout.readline().strip()
    check(":" in boot, "the mock cluster gives its bootstrap servers")
    for key, line in lines:
        broker.stdin.write(key + "\t" + line + "\n")
    broker.stdin.write(".\n")
    broker.stdin.flush()
    produced = broker.stdout.readline().strip()
    check(produced == f"produced {len(lines)}", f"every corpus line produced ({produced})")
    fast = ["--kafka-config", "session.timeout.ms=6000", "--kafka-config", "heartbeat.interval.ms=500",
            "--kafka-config", "topic.metadata.refresh.interval.ms=1000"]

    def args(group):
        return lambda name: ["--kafka", boot, "--topic", "events", "--group", group] + fast

    # one consumer: the same sightings
    secs = one_consumer("kafka, one consumer", args("one")("x"), tmp, want)
    print(f"kafka, one consumer: {len(lines)} messages, wall {secs:.2f} s (start-up, group join and polling "
          f"/metrics included)")
    lost, doubled = two_consumers_one_killed("kafka", args("two"), tmp, want)
    broker.stdin.write("offsets two\n")
    broker.stdin.flush()
    print("kafka, group two:", broker.stdout.readline().strip(), "of", len(lines), "(the rest held for replay)")
    broker.stdin.close()
    broker.wait(timeout=60)
    return lost, doubled


# ---- Redis Streams (a real redis-server) ----

class Resp:
    """A minimal RESP client (enough for XADD, DEL, FLUSHALL)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode("utf-8", "surrogateescape")
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))

    def reply(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b":"):
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def call(self, *args):
        self.send(*args)
        return self.reply()


def redis_tests(tmp, lines, want):
    sock = os.path.join(tmp, "redis.sock")
    srv = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly",
                            "no", "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check(wait_for(lambda: os.path.exists(sock), 30), "redis-server starts")
        c = Resp(sock)
        streams = [f"events:{i}" for i in range(PARTS)]
        for key, line in lines:
            c.send("XADD", streams[shard_of(key)], "*", "event", line)
        ids = [c.reply() for _ in lines]
        check(all(isinstance(i, bytes) for i in ids), f"every corpus line added ({len(ids)})")
        url = "unix:" + sock

        def args(group):
            def f(name):
                a = ["--redis", url, "--group", group, "--consumer", name, "--lease", "3s"]
                for s in streams:
                    a += ["--stream", s]
                return a
            return f

        secs = one_consumer("redis, one consumer", args("one")("x"), tmp, want)
        print(f"redis, one consumer: {len(lines)} entries, wall {secs:.2f} s (start-up and polling /metrics "
              f"included)")
        lost, doubled = two_consumers_one_killed("redis", args("two"), tmp, want)
        pending = sum(int(c.call("XPENDING", s, "two")[0]) for s in streams)
        print(f"redis, group two: {pending} entries still pending (held for replay)")
        return lost, doubled
    finally:
        srv.terminate()
        srv.wait(timeout=30)


def without(option, args, what):
    """A build without the library says how to get it (exit 1)."""
    r = subprocess.run([STORM, "run", option] + args, capture_output=True, timeout=60)
    check(r.returncode == 1 and b"built without " + what.encode() in r.stderr,
          f"storm run {option} in a build without {what} says how to get it ({r.returncode})")


def main():
    if not BUILT_KAFKA:
        without("--kafka", ["127.0.0.1:1", "--topic", "t", "--group", "g"], "Kafka")
    if not BUILT_REDIS:
        without("--redis", ["unix:/nonexistent", "--stream", "s", "--group", "g"], "Redis")
    r = subprocess.run([STORM, "run", "--kafka", "b:1", "--group", "g"], capture_output=True, timeout=60)
    check(r.returncode == 2 and b"--topic" in r.stderr, "--kafka without --topic: a usage error (exit 2)")
    r = subprocess.run([STORM, "run", "--redis", "unix:/x", "--stream", "s", "--group", "g", "file.jsonl"],
                       capture_output=True, timeout=60)
    check(r.returncode == 2, "--redis with input files: a usage error (exit 2)")
    tmp = tempfile.mkdtemp(prefix="storm-streams-")
    try:
        files, lines, left = corpus_copy(tmp)
        print(f"test_streams: {len(lines)} corpus lines ({left} untimed Tetragon events left out)")
        want = reference(tmp, files)
        check(len(want) > 20, f"the corpus gives sightings ({len(want)})")
        if HAVE_KAFKA:
            lost, doubled = kafka_tests(tmp, lines, want)
            print(f"kafka kill-one-consumer: lost {lost}, doubled {doubled}")
        else:
            print("test_streams: kafka skipped (built without librdkafka)")
        if HAVE_REDIS:
            lost, doubled = redis_tests(tmp, lines, want)
            print(f"redis kill-one-consumer: lost {lost}, doubled {doubled}")
        else:
            print("test_streams: redis skipped (built without hiredis, or no redis-server)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report("test_streams")


if __name__ == "__main__":
    sys.exit(main())
