# SPDX-License-Identifier: Apache-2.0
"""Throughput of storm run --kafka and --redis beside storm run over a file
of the same events (on demand: python3 bench/bench_streams.py [BUILD_DIR] [COPIES]).

The corpus (without its untimed Tetragon events) is repeated COPIES times
(default 4: the mock cluster keeps only a few MB per partition, and most events are of one node) into one file, into a Kafka topic of 4 partitions (librdkafka's
mock cluster, build/tests/e2e/kafka_mock_broker) and into 4 Redis streams (a
redis-server on a unix socket). One consumer reads each, with the shipped
models and default options, writing a store. The figures: events per second
while messages flow (from the first message taken to the last, watched on
/metrics every 20 ms), and the wall time including start-up, the group join
and the --idle-exit wait; for the file the same two (processing and wall).
The file run is the floor the others are compared with."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
COPIES = int(sys.argv[2]) if len(sys.argv) > 2 else 4
os.environ.setdefault("STORM_SOURCE_ROOT", ROOT)
os.environ["STORM_BIN"] = os.path.join(BUILD, "src", "cli", "storm")
import test_streams as ts  # noqa: E402

STORM = os.environ["STORM_BIN"]
MOCK = os.path.join(BUILD, "tests", "e2e", "kafka_mock_broker")


def watch(args, tmp, name, n):
    """Run a consumer until idle; (events/s while flowing, wall s, events)."""
    db = os.path.join(tmp, name + ".db")
    stats = os.path.join(tmp, name + ".json")
    t0 = time.monotonic()
    p = ts.start_consumer(args + ["--idle-exit", "3s", "--stats-json", stats], tmp, name, db)
    port = ts.port_of(tmp, name, p)
    first = last = None
    while p.poll() is None:
        got = ts.metric(port, "storm_consumer_messages_total") or 0
        now = time.monotonic()
        if got and first is None:
            first = (now, got)
        if got >= n and last is None:
            last = now
        time.sleep(0.02)
    wall = time.monotonic() - t0
    st = json.load(open(stats))
    rate = (st["events_read"] * (n - first[1]) / n) / (last - first[0]) if first and last and last > first[0] else 0
    return rate, wall, st["events_read"]


def main():
    tmp = tempfile.mkdtemp(prefix="storm-bench-streams-")
    try:
        files, lines, _ = ts.corpus_copy(tmp)
        lines = lines * COPIES
        big = os.path.join(tmp, "all.jsonl")
        with open(big, "w", encoding="utf-8", errors="surrogateescape") as f:
            for _, line in lines:
                f.write(line + "\n")
        n = len(lines)
        stats = os.path.join(tmp, "file.json")
        t0 = time.monotonic()
        subprocess.run([STORM, "run", "-q", "--db", os.path.join(tmp, "file.db"), "-o", os.devnull,
                        "--stats-json", stats, big], check=False, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - t0
        st = json.load(open(stats))
        file_rate = st["events_read"] / st["processing_seconds"]
        print(f"file : {n} records, {st['events_read']} events: {file_rate:9.0f} events/s processing, "
              f"wall {wall:.2f} s (start-up {st['startup_seconds']:.2f} s)")
        if os.path.exists(MOCK):
            broker = subprocess.Popen([MOCK, "events", "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            boot = broker.stdout.readline().strip()
            for key, line in lines:
                broker.stdin.write(key + "\t" + line + "\n")
            broker.stdin.write(".\n")
            broker.stdin.flush()
            broker.stdout.readline()
            rate, wall, ev = watch(["--kafka", boot, "--topic", "events", "--group", "bench"], tmp, "kafka", n)
            print(f"kafka: {n} messages, {ev} events: {rate:9.0f} events/s while flowing "
                  f"({rate / file_rate:.2f} x file), wall {wall:.2f} s with join and 3 s idle exit")
            broker.stdin.close()
            broker.wait()
        if shutil.which("redis-server"):
            sock = os.path.join(tmp, "redis.sock")
            srv = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
                                    "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
            ts.wait_for(lambda: os.path.exists(sock), 30)
            c = ts.Resp(sock)
            for i in range(0, n, 1000):
                chunk = lines[i:i + 1000]
                for key, line in chunk:
                    c.send("XADD", f"events:{ts.shard_of(key)}", "*", "event", line)
                for _ in chunk:
                    c.reply()
            args = ["--redis", "unix:" + sock, "--group", "bench"]
            for i in range(4):
                args += ["--stream", f"events:{i}"]
            rate, wall, ev = watch(args, tmp, "redis", n)
            print(f"redis: {n} entries,  {ev} events: {rate:9.0f} events/s while flowing "
                  f"({rate / file_rate:.2f} x file), wall {wall:.2f} s with 3 s idle exit")
            srv.terminate()
            srv.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
