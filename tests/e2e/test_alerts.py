# SPDX-License-Identifier: Apache-2.0
"""storm run --alert-webhook against local HTTP receivers: one alert per new
attack session and per step added (Storm's shape and Falco's), a receiver
that fails first (the alerts are retried and all arrive), and one that is
down (ingest completes with the same sightings; the alerts are counted as
dropped)."""
import http.server
import json
import os
import socket
import sys
import tempfile
import threading
from datetime import datetime

from harness import ROOT, check, report, run

EVENTS = os.path.join(ROOT, "tests/data/sessions/synthetic-attack.jsonl")
MODELS = os.path.join(ROOT, "models")
FALCO_PRIORITIES = {"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}


class Receiver:
    """A webhook on a free loopback port; answers 503 to the first fail_first POSTs."""

    def __init__(self, fail_first=0):
        self.bodies, self.requests, self.fail_first = [], 0, fail_first
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rec.requests += 1
                if rec.requests <= rec.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                rec.bodies.append((self.headers.get("Content-Type"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def storm_run(tmp, extra):
    stats = os.path.join(tmp, "stats.json")
    r = run(["run", "--models", MODELS, "--format", "text", "--stats-json", stats] + extra + [EVENTS])
    with open(stats) as f:
        return r, json.load(f)


def main():
    tmp = tempfile.mkdtemp(prefix="storm-alerts-")
    if os.environ.get("STORM_HAVE_TAXII") == "0":
        r = run(["run", "--alert-webhook", "http://127.0.0.1:9/", EVENTS])
        check(r.returncode == 2 and b"not available" in r.stderr, "without libcurl the option says why")
        return report("test_alerts")

    base, base_stats = storm_run(tmp, [])
    check(base.returncode == 0, "storm run without alerts")

    # Storm's shape, a receiver that answers
    rec = Receiver()
    r, st = storm_run(tmp, ["--alert-webhook", rec.url])
    rec.stop()
    check(r.returncode == 0, f"run with alerts: {r.stderr.decode()}")
    alerts = [json.loads(b) for _, b in rec.bodies]
    kinds = [a["kind"] for a in alerts]
    check(len(alerts) > 0 and st.get("alerts_sent") == len(alerts) and st.get("alerts_dropped") == 0,
          f"every alert arrived: {len(alerts)} vs {st}")
    check(all(ct == "application/json" for ct, _ in rec.bodies), "JSON content type")
    check(kinds.count("session_opened") >= 2 and "step_added" in kinds, f"opened and added: {kinds}")
    check(all(a["step"]["sighting"].startswith("sighting--") and a["session"]["id"].startswith("session--")
              for a in alerts), "each alert names its sighting and session")
    steps = [a["step"]["step"] for a in alerts]
    check("Container escape via nsenter" in steps and "Service-account token theft" in steps,
          f"the attack's steps are alerted: {steps}")
    check(r.stdout == base.stdout, "the sightings are the same with alerts")
    check(b"alerts sent" in r.stderr, "the summary says how many alerts went")

    # Falco's shape, a receiver failing the first three POSTs: retried, all arrive
    rec = Receiver(fail_first=3)
    r, st = storm_run(tmp, ["--alert-webhook", rec.url, "--alert-format", "falco"])
    rec.stop()
    falco = [json.loads(b) for _, b in rec.bodies]
    check(r.returncode == 0 and len(falco) == len(alerts), f"falco: {len(falco)} of {len(alerts)} arrived")
    check(st.get("alert_retries", 0) >= 3 and st.get("alerts_dropped") == 0, f"retried, none dropped: {st}")
    need = {"output", "priority", "rule", "time", "output_fields", "source", "tags", "hostname"}
    check(all(need <= set(a) for a in falco), "Falco's output fields are all there")
    check(all(a["priority"] in FALCO_PRIORITIES for a in falco), "priorities are Falco's")
    ok_time = True
    for a in falco:
        try:
            datetime.fromisoformat(a["time"][:26] + "+00:00")
        except ValueError:
            ok_time = False
    check(ok_time, "time is RFC 3339")
    check(all(a["source"] == "storm" and isinstance(a["output_fields"], dict) and a["output"] for a in falco),
          "source, output and output_fields")
    check(any(a["output_fields"].get("storm.event") == "session_opened" and a["priority"] == "Critical"
              for a in falco), "a new session is Critical")

    # a receiver that is down: ingest completes, same sightings, alerts dropped and counted
    down = f"http://127.0.0.1:{free_port()}/"
    r, st = storm_run(tmp, ["--alert-webhook", down])
    check(r.returncode == 0, f"ingest completes with the receiver down: {r.stderr.decode()}")
    check(r.stdout == base.stdout, "same sightings with the receiver down")
    check(st.get("alerts_sent") == 0 and st.get("alerts_dropped") == len(alerts), f"drops counted: {st}")
    check(st.get("events_read") == base_stats.get("events_read"), "every event read")

    # usage errors
    check(run(["run", "--alert-webhook", "ftp://x/", EVENTS]).returncode == 2, "non-HTTP URL exits 2")
    check(run(["run", "--alert-webhook", down, "--alert-format", "slack", EVENTS]).returncode == 2,
          "unknown --alert-format exits 2")
    return report("test_alerts")


if __name__ == "__main__":
    sys.exit(main())
