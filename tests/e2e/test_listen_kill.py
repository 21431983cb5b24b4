# SPDX-License-Identifier: Apache-2.0
"""storm run --listen --db killed with SIGKILL mid-stream loses no
acknowledged event: every body answered 202 is in the spool before the
answer, and the next start with the same --db processes what the killed run
had not committed. N events (each in its own pod, so each makes its own
sighting) are posted by a sender thread; the process is killed after a
random number of acknowledgements, restarted, stopped with SIGTERM, and the
store must hold a sighting of every acknowledged event."""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")


def start_listen(db):
    """storm run --listen on a free port into db: (process, port or None)."""
    p = subprocess.Popen([STORM, "run", "--listen", "127.0.0.1:0", "--db", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    port, deadline, err = None, time.time() + 60, b""
    while port is None and time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        err += line
        m = re.search(rb"\(port (\d+)\)", line)
        if m:
            port = int(m.group(1))
    return p, port, err


def stored_pods(db):
    con = sqlite3.connect(db)
    pods = set()
    for (j,) in con.execute("SELECT json FROM objects WHERE type = 'sighting'"):
        pods.update(int(x) for x in re.findall(r"kill-pod-(\d+)", j))
    con.close()
    return pods


def sender(port, events, acked, stop):
    """Post events one per body until stop is set or the server is gone;
    acked gets the index of every event answered 202."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i, body in enumerate(events):
        if stop.is_set():
            return
        try:
            c.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            return  # killed: this one was not acknowledged
        if r.status == 202:
            acked.append(i)


def test_sigkill_loses_no_acknowledged_event():
    src = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    base = json.loads(open(src).read().splitlines()[0])
    kind = [k for k in base if k.startswith("process_")][0]
    n = 600
    events = []
    for i in range(n):
        ev = json.loads(json.dumps(base))
        ev[kind]["process"]["pod"]["name"] = "kill-pod-%d" % i
        events.append(json.dumps(ev).encode())
    rnd = random.Random(os.environ.get("STORM_TEST_SEED", "11"))
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "k.db")
        p, port, err = start_listen(db)
        check(port is not None, "--listen --db reports its port (%r)" % err[-300:])
        if port is None:
            p.kill()
            return
        acked, stop = [], threading.Event()
        t = threading.Thread(target=sender, args=(port, events, acked, stop))
        t.start()
        kill_after = rnd.randint(50, n - 100)
        deadline = time.time() + 120
        while len(acked) < kill_after and t.is_alive() and time.time() < deadline:
            time.sleep(0.001)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        stop.set()
        t.join(timeout=60)
        check(len(acked) >= kill_after, "killed after %d acknowledgements (%d acknowledged)" % (kill_after, len(acked)))
        before = stored_pods(db)
        spool = db + "-intake-spool"
        check(os.path.exists(spool), "the spool is beside the store (%s)" % spool)
        # the next start processes what the killed run had not committed
        p, port, err = start_listen(db)
        check(port is not None, "restarted (%r)" % err[-300:])
        check(b"earlier run left" in err or before >= set(acked),
              "the restart says it processed the spool, or nothing was missing (%r)" % err[-300:])
        p.send_signal(signal.SIGTERM)
        _, rest = p.communicate(timeout=120)
        check(p.returncode == 0, "the restarted run exits 0 (%s %r)" % (p.returncode, rest[-300:]))
        after = stored_pods(db)
        lost = sorted(set(acked) - after)
        print("test_listen_kill: %d acknowledged, %d stored when killed, %d after the restart, %d lost"
              % (len(acked), len(before & set(acked)), len(after & set(acked)), len(lost)))
        check(not lost, "every acknowledged event is stored (%d lost: %s)" % (len(lost), lost[:10]))
        check(after <= set(range(n)), "only events that were sent are stored")
        # a second restart finds nothing left to replay and adds nothing
        con = sqlite3.connect(db)
        rows = con.execute("SELECT count(*) FROM objects").fetchone()[0]
        con.close()
        p, port, err = start_listen(db)
        p.send_signal(signal.SIGTERM)
        _, rest = p.communicate(timeout=120)
        con = sqlite3.connect(db)
        rows2 = con.execute("SELECT count(*) FROM objects").fetchone()[0]
        con.close()
        check(b"earlier run left" not in err + rest and rows2 == rows,
              "a clean restart replays nothing (%d then %d objects; %r)" % (rows, rows2, (err + rest)[-200:]))


def test_spool_is_locked():
    """Two storm run --listen on one store would both replay one spool: the
    second is refused."""
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "l.db")
        p, port, err = start_listen(db)
        check(port is not None, "first --listen starts")
        r = subprocess.run([STORM, "run", "--listen", "127.0.0.1:0", "--db", db], capture_output=True, timeout=60)
        check(r.returncode == 1 and b"another storm run --listen" in r.stderr,
              "a second --listen on the same store is refused (%d %r)" % (r.returncode, r.stderr[-300:]))
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=60)


if __name__ == "__main__":
    test_sigkill_loses_no_acknowledged_event()
    test_spool_is_locked()
    sys.exit(report("test_listen_kill"))
