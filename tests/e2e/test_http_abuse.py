#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Both HTTP servers under abuse. First a bounded loopback slow-client attack: while
hundreds of connections drip their request head (or body) one byte at a time,
legitimate requests from another client address must still be answered.
Loopback has the whole of 127.0.0.0/8, so attackers bind 127.0.0.2 and up and
the legitimate client uses 127.0.0.1. Bounded: a fixed number of attack
connections, a fixed number of legitimate requests, each with a client
timeout; the only assertion is that each legitimate request completed with
the expected status. Prints the counts measured. Then what the intake says
to a compressed body and what both servers say about a busy port.

Usage: test_http_abuse.py            (the test)
       test_http_abuse.py --same-ip  (also attack from 127.0.0.1: printed, not asserted)"""
import base64
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("STORM_SOURCE_ROOT", ".")
STORM = os.environ.get("STORM_BIN", "storm")
LINE = open(os.path.join(ROOT, "tests", "data", "corpus", "tetragon", "honeycluster-kubehound-calibration.jsonl"),
            "rb").readline()
LEGIT_REQUESTS = 5
LEGIT_TIMEOUT = 20  # seconds per legitimate request: a bound, not a measure
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


class Attack:
    """Keeps n connections open from the given source addresses, each
    sending `head` (and then `drip` forever) one byte every tick; a connection
    the server closes is opened again, so the pressure never lets up. A head
    ending in a blank line (a complete head, for a slow body) goes at once."""

    def __init__(self, port, n, sources, head, drip=b"X-Slow: 1\r\n"):
        self.port, self.n, self.sources, self.head, self.drip = port, n, sources, head, drip
        self.whole_head = head.endswith(b"\r\n\r\n")
        self.stop = threading.Event()
        self.opened = 0
        self.reopened = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self, i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((self.sources[i % len(self.sources)], 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        self.opened += 1
        return [s, 0]

    def run(self):
        conns = [self.connect(i) for i in range(self.n)]
        data = self.head
        while not self.stop.wait(0.3):
            for i, c in enumerate(conns):
                s, sent = c
                if self.whole_head and sent == 0:
                    try:
                        s.sendall(data)
                        c[1] = len(data)
                    except OSError:
                        pass  # not connected yet: next tick
                    continue
                byte = data[sent:sent + 1] if sent < len(data) else self.drip[(sent - len(data)) % len(self.drip):][:1]
                try:
                    if s.send(byte) == 1:
                        c[1] += 1
                    # the server closing shows as EOF to a read
                    s.setblocking(False)
                    try:
                        if s.recv(4096) == b"":
                            raise ConnectionResetError
                    except BlockingIOError:
                        pass
                except BlockingIOError:
                    pass  # not connected yet, or the send buffer is full
                except OSError:
                    s.close()
                    conns[i] = self.connect(i)
                    self.reopened += 1
        for s, _ in conns:
            s.close()

    def __enter__(self):
        self.thread.start()
        time.sleep(2)  # let the attack take its connections first
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.thread.join()


def legit(port, method, path, body=None, headers=None):
    """One legitimate request from 127.0.0.1: its status, or the error."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=LEGIT_TIMEOUT, source_address=("127.0.0.1", 0))
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__


def start(args, pattern, log):
    """Start storm with its stderr in the file log (a pipe nobody reads
    would fill up and stop it); its port, read from the log."""
    err = open(log, "wb")
    p = subprocess.Popen([STORM] + args, stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    deadline = time.time() + 30
    buf = b""
    while time.time() < deadline:
        buf = open(log, "rb").read()
        m = re.search(pattern, buf)
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.1)
    p.kill()
    raise SystemExit("storm did not start: %r" % buf)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.returncode


def scenario(name, port, n, sources, head, method, path, body, headers, want, assert_it=True):
    with Attack(port, n, sources, head) as a:
        got = [legit(port, method, path, body, headers) for _ in range(LEGIT_REQUESTS)]
    ok = sum(1 for g in got if g == want)
    print("%s: %d of %d legitimate requests answered %d during the attack (%d attack connections opened, %d "
          "reopened after the server closed them); statuses %s" % (name, ok, len(got), want, a.opened, a.reopened, got))
    if assert_it:
        check(ok == len(got), "%s: every legitimate request is answered during the attack (%s)" % (name, got))


def intake_messages(port):
    """A compressed body is a 415 that says so, not a JSON syntax error."""
    for what, body, headers in [
            ("Content-Encoding: gzip", gzip.compress(LINE), {"Content-Encoding": "gzip"}),
            ("gzip bytes without Content-Encoding", gzip.compress(LINE), {}),
            ("Content-Type: application/gzip", gzip.compress(LINE), {"Content-Type": "application/gzip"}),
    ]:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=LEGIT_TIMEOUT)
        c.request("POST", "/", body=body, headers=dict({"Content-Type": "application/json"}, **headers))
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        check(r.status == 415 and "gzip" in text and "uncompressed" in text,
              "intake, %s: 415 naming the compression (%d %s)" % (what, r.status, text))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=LEGIT_TIMEOUT)
    c.request("POST", "/", body=LINE, headers={"Content-Type": "application/json", "Content-Encoding": "identity"})
    r = c.getresponse()
    r.read()
    check(r.status == 202, "intake, Content-Encoding: identity accepted (%d)" % r.status)


def closed_by_server(port, source, head, drip, wait=30):
    """Send head, then drip one byte every half second: does the server close
    the connection (within wait seconds, a bound and not a measure)?"""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    s.settimeout(0.5)
    try:
        s.sendall(head)
        end = time.time() + wait
        i = 0
        while time.time() < end:
            s.send(drip[i % len(drip):][:1])
            i += 1
            try:
                if s.recv(4096) == b"":
                    return True
            except socket.timeout:
                pass
        return False
    except OSError:  # reset: closed as well
        return True
    finally:
        s.close()


def deadlines(port):
    """With nobody else around, a slow head and a slow body are closed at
    their deadlines, and a kept-alive connection still serves two requests."""
    get_head = b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    # a user who may write, so that the server reads the body
    post_head = (b"POST /storm/collections/indicators/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Accept: application/taxii+json;version=2.1\r\n"
                 b"Authorization: Basic " + base64.b64encode(b"alice:alice-pw") + b"\r\n"
                 b"Content-Type: application/taxii+json;version=2.1\r\nContent-Length: 100000\r\n\r\n")
    check(closed_by_server(port, "127.0.0.5", get_head, b"X-Slow: 1\r\n"),
          "serve --head-timeout: a head sent a byte at a time is closed")
    check(closed_by_server(port, "127.0.0.6", post_head, b"{"),
          "serve --request-timeout: a body sent a byte at a time is closed")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=LEGIT_TIMEOUT)
    got = []
    auth = "Basic " + base64.b64encode(b"alice:alice-pw").decode()
    for _ in range(2):
        c.request("GET", "/taxii2/", headers={"Accept": "application/taxii+json;version=2.1", "Authorization": auth})
        r = c.getresponse()
        r.read()
        got.append(r.status)
    c.close()
    check(got == [200, 200], "serve: two requests on one kept-alive connection (%s)" % got)


def busy_port(args, port):
    r = subprocess.run([STORM] + args + ["--listen", "127.0.0.1:%d" % port], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    check(r.returncode != 0 and ("127.0.0.1:%d: the port is in use" % port) in err and "port 0" not in err,
          "storm %s on a busy port says so (%d %r)" % (args[0], r.returncode, err))


def main():
    same_ip = "--same-ip" in sys.argv
    post_head = b"POST /intake HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    get_head = b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/taxii+json;version=2.1\r\n"
    body_head = post_head + b"Content-Length: 100000\r\n\r\n"
    one = ["127.0.0.2"]
    many = ["127.0.0.%d" % i for i in range(10, 18)]

    tmp = tempfile.mkdtemp(prefix="storm-slow-")
    p, port = start(["run", "--listen", "127.0.0.1:0", "--format", "text"], rb"\(port (\d+)\)",
                    os.path.join(tmp, "run.log"))
    post = ("POST", "/", LINE, {"Content-Type": "application/json"}, 202)
    scenario("run --listen, 200 slow heads from one address", port, 200, one, post_head, *post)
    scenario("run --listen, 200 slow heads from 8 addresses", port, 200, many, post_head, *post)
    scenario("run --listen, 100 slow bodies from one address", port, 100, ["127.0.0.3"], body_head, *post)
    scenario("run --listen, 200 slow bodies from 8 addresses", port, 200, many, body_head, *post)
    if same_ip:
        scenario("run --listen, 200 slow heads from the client's own address", port, 200, ["127.0.0.1"], post_head,
                 *post, assert_it=False)
    intake_messages(port)
    busy_port(["run", "--format", "text"], port)
    check(stop(p) == 0, "storm run --listen stops cleanly after the attacks")

    p, port = start(["serve", "--db", os.path.join(tmp, "s.db"), "--listen", "127.0.0.1:0"],
                    rb"listening on http://127\.0\.0\.1:(\d+)/", os.path.join(tmp, "serve.log"))
    get = ("GET", "/taxii2/", None, {"Accept": "application/taxii+json;version=2.1"}, 200)
    scenario("serve, 300 slow heads from one address", port, 300, one, get_head, *get)
    scenario("serve, 300 slow heads from 8 addresses", port, 300, many, get_head, *get)
    if same_ip:
        scenario("serve, 300 slow heads from the client's own address", port, 300, ["127.0.0.1"], get_head,
                 *get, assert_it=False)
    busy_port(["serve", "--db", os.path.join(tmp, "busy.db")], port)
    check(stop(p) == 0, "storm serve stops cleanly after the attacks")

    users = os.path.join(tmp, "users")
    subprocess.run([STORM, "users", "--file", users, "--iterations", "1000", "add", "alice"], input=b"alice-pw\n",
                   check=True, capture_output=True)
    subprocess.run([STORM, "users", "--file", users, "grant", "alice", "rw", "indicators"], check=True,
                   capture_output=True)
    p, port = start(["serve", "--db", os.path.join(tmp, "s.db"), "--listen", "127.0.0.1:0", "--head-timeout", "1",
                     "--request-timeout", "2", "--users", users], rb"listening on http://127\.0\.0\.1:(\d+)/",
                    os.path.join(tmp, "deadlines.log"))
    deadlines(port)
    check(stop(p) == 0, "storm serve with short deadlines stops cleanly")
    log = open(os.path.join(tmp, "serve.log"), "rb").read()
    check(log.count(b"\n") < 200, "storm serve's log stays short under attack (%d lines)" % log.count(b"\n"))
    shutil.rmtree(tmp)

    print("test_http_abuse: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
