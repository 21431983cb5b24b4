#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `storm run` and `storm models` on the real corpus:
expected sightings per shipped model (what must match and nothing else),
idempotent re-runs into the same --db, bad lines, --stats-json, stdin, and the
HTTP intake (--listen) driven with curl: a good body, a bad one (400) and an
oversized one (413)."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from harness import backend, connect_db, store_db  # noqa: E402  (the --db stores: SQLite or PostgreSQL)

ROOT = os.environ.get("STORM_SOURCE_ROOT", ".")
STORM = os.environ.get("STORM_BIN", "storm")
CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
MODELS = os.path.join(ROOT, "models")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def run(args, stdin=None, env=None):
    return subprocess.run([STORM] + args, input=stdin, capture_output=True, env=env, timeout=120)


def corpus_files():
    return sorted(glob.glob(os.path.join(CORPUS, "**", "*.jsonl"), recursive=True))


def model_names():
    names, steps, ind2step = {}, {}, {}
    objs = []
    for f in glob.glob(os.path.join(MODELS, "*.json")):
        objs += json.load(open(f))["objects"]
    for o in objs:
        if o["type"] == "indicator":
            names[o["id"]] = o["name"]
        elif o["type"] == "attack-pattern":
            steps[o["id"]] = o["name"]
    for o in objs:
        if o["type"] == "relationship" and o["relationship_type"] == "indicates":
            ind2step[o["source_ref"]] = steps[o["target_ref"]]
    return names, ind2step


# The official TLP 2.0 extension-definition (FIRST/OASIS): every consumer
# knows it, and nobody ships it in bundles.
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


def references(v, out, key=None):
    """Every (property, id) an object refers to: *_ref, *_refs, extension keys."""
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "extensions" and isinstance(x, dict):
                out += [("extensions", e) for e in x if e.startswith("extension-definition--")]
            references(x, out, k)
    elif isinstance(v, list):
        for x in v:
            references(x, out, key)
    elif isinstance(v, str) and key and (key.endswith("_ref") or key.endswith("_refs")):
        out.append((key, v))


MS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z$")
ANY_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$")


def sightings_of(stdout):
    """(step, indicator, scope) -> highest count, from STIX JSON Lines.
    Also checks that every line stands alone: each reference resolves within
    its own bundle (the observed-data of an update are in the sighting's
    earlier lines: docs/run.md)."""
    names, ind2step = model_names()
    res = {}
    seen = set()
    unresolved = []
    for line in stdout.decode().splitlines():
        b = json.loads(line)
        check(b.get("type") == "bundle" and b.get("id", "").startswith("bundle--"), "each line is a bundle")
        ids = {o["id"] for o in b["objects"]}
        for o in b["objects"]:
            refs = []
            references(o, refs)
            update = o["type"] == "sighting" and o["id"] in seen
            unresolved += [(o["type"], k, r) for k, r in refs
                           if r not in ids and r != TLP2_EXTENSION and not (update and k == "observed_data_refs")]
            if o["type"] == "sighting":
                seen.add(o["id"])
        for o in b["objects"]:
            if o["type"] != "sighting":
                continue
            for k in ("id", "created", "modified", "first_seen", "last_seen", "count", "sighting_of_ref",
                      "where_sighted_refs", "spec_version"):
                check(k in o, "sighting has " + k)
            for r in o.get("observed_data_refs", []):
                check(r.startswith("observed-data--"), "observed_data_refs name observed-data")
            check(o["where_sighted_refs"][0] in ids, "the cluster identity travels with the sighting")
            # python-stix2 reads at most microseconds; created/modified keep milliseconds
            for k in ("created", "modified"):
                check(MS_TIMESTAMP.match(o[k]) is not None, "sighting %s %r has 3 to 6 digits" % (k, o[k]))
            for k in ("first_seen", "last_seen"):
                check(ANY_TIMESTAMP.match(o[k]) is not None, "sighting %s %r has at most 6 digits" % (k, o[k]))
            scope = o["description"].split(" in ", 1)[1].split(":", 1)[0]
            key = (ind2step[o["sighting_of_ref"]], names[o["sighting_of_ref"]], scope)
            res[key] = max(res.get(key, 0), o["count"])
    check(not unresolved, "every bundle resolves its references (%s)" % unresolved[:3])
    return res


# What the shipped models must find in the corpus, and nothing else: a new
# false positive or a lost detection both fail this test.
EXPECTED = {
    ("Container escape via nsenter", "nsenter into PID 1's namespaces", "pod default/privileged-pod"): 1,
    ("Container escape via nsenter", "nsenter into PID 1's namespaces", "pod default/xwing"): 1,
    ("Container escape via nsenter", "setns from a pod", "pod default/xwing"): 1,
    ("Container runtime socket used from a pod", "Runtime client connects", "pod default/kh-exploit-containerd-sock"): 4,
    ("Container runtime socket used from a pod", "Runtime socket on a command line", "pod default/kh-exploit-containerd-sock"): 4,
    # issue 13 (the KubeHound steps): the attach in falco-trace-files-k8s-audit is also CONTAINER_ATTACH
    ("Debug container attached to a pod", "Attach to a container through the API", "pod default/nginx-deployment-7998647bdf-phvq7"): 1,
    ("Exec into a pod", "Falco: exec or attach into a pod", "pod default/kubecon"): 1,
    ("Exec into a pod", "Falco: exec or attach into a pod", "pod hello-app/nginx-676b6c5bbc-4xc6t"): 1,
    ("Exec into a pod", "Falco: terminal shell in a container", "pod default/alpine"): 1,
    # Falco alerts whose process has no pid/exec id: the observation keeps
    # the acting process (and its x_alert_rule) since the stix2 change
    ("Exec into a pod", "Falco: terminal shell in a container", "pod default/alpine-deployment-77789455d6-m7flp"): 1,
    ("Exec into a pod", "Falco: terminal shell in a container", "pod default/kubecon"): 1,
    ("Exec into a pod", "Falco: terminal shell in a container", "pod falcoresponse/alpine"): 1,
    ("Exec into a pod", "Kubernetes API exec or attach into a pod", "pod default/nginx-deployment-7998647bdf-phvq7"): 2,
    ("Host file read from a pod", "Read through /proc of another process", "pod default/kh-exploit-host-path-read"): 1,
    ("Host file read from a pod", "Read through /proc of another process", "pod default/shared-process-namespace-pod"): 1,
    ("Host file read through a /var/log symlink", "ln -s into /var/log", "pod default/priv-mount-pod"): 1,
    ("Host file read through a /var/log symlink", "symlink created under /var/log", "pod default/priv-mount-pod"): 1,
    ("Host file written from a pod", "Write under a hostPath mount", "pod default/host-write-exploit-pod"): 2,
    # calibration EXPLOIT_HOST_WRITE: the shell that echoes into /host/etc/cron.d/breakout
    ("Host file written from a pod", "Host cron, systemd or ssh file written from a shell", "pod default/host-write-exploit-pod"): 2,
    ("Kernel module load", "Kernel reads a module file", "cluster"): 1,
    ("Kernel module load", "Kernel reads a module file", "node kind-control-plane"): 1,
    ("Kernel module load", "Module initialised or requested", "cluster"): 1,
    ("Kernel module load", "Module initialised or requested", "node kind-control-plane"): 1,
    ("Kernel module load", "Module initialised or requested", "pod demo-app/test-pod"): 1,
    ("Kernel module load", "insmod or modprobe started", "cluster"): 2,
    ("Kernel module load", "insmod or modprobe started", "node kind-control-plane"): 3,
    # calibration SHARE_PS_NAMESPACE: head /proc/7/root/etc/nginx/nginx.conf
    ("Neighbour container reached through a shared process namespace", "Another process's root named on a command line", "pod default/shared-process-namespace-pod"): 1,
    ("Neighbour container reached through a shared process namespace", "Another process's root, memory or environment opened", "pod default/shared-process-namespace-pod"): 1,
    ("Privileged mount from a container", "mount of proc, sysfs or cgroup", "pod default/kh-calibration-ce-2"): 1,
    ("Privileged mount from a container", "mount system call from a pod", "pod default/kh-calibration-ce-2"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-544b59f8b8-ffkxm"): 2,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-5cdcc99dbf-rgw6z"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-5dc5447c47-fp5m4"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-6c6f946f-9c727"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-754c877bcd-zh5qx"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-755c58cb7c-vrx4n"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-7d5b5dd9cf-t8ngb"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-84ffbbb976-5tnlg"): 1,
    ("Privileged or host-namespace pod created", "Pod with host namespaces, privilege or hostPath", "pod default/nginx-deployment-f7f486546-hzhsw"): 1,
    ("Process injection with ptrace", "Debugger started", "pod default/kh-calibration-ce-1"): 1,
    ("Process injection with ptrace", "Debugger started", "pod default/kh-calibration-ptrace"): 1,
    ("Process injection with ptrace", "ptrace system call", "pod default/priv-mount-pod"): 1,
    ("RBAC escalation", "Role binding created or changed", "cluster"): 1,
    ("RBAC escalation", "Role with wildcard verbs created", "cluster"): 1,
    # calibration IDENTITY_ASSUME: curl -H "Authorization: Bearer ..." .../api/v1/namespaces/kube-system/secrets
    ("Secrets listed", "Secrets listed from a pod", "pod default/kh-identity-assume"): 1,
    ("Stolen identity used against the API", "Bearer token or kubeconfig handed to a client in a pod", "pod default/kh-identity-assume"): 1,
    ("Service-account token theft", "Service-account token read", "pod default/kh-identity-assume"): 1,
    # threatintel-pattern-matcher-example: Tetragon's enumerate-service-account policy hit
    ("Service-account token theft", "Service-account token read", "pod cattle-system/rancher-55966c8d68-fh7jb"): 1,
    ("Service-account token theft", "Service-account token read by a shell tool", "pod default/kh-identity-assume"): 1,
    ("Service-account token theft", "Token read, then an API call with a bearer token", "pod default/kh-identity-assume"): 1,
}


def test_corpus_sightings():
    r = run(["run", "-q"] + corpus_files())
    check(r.returncode == 1, "exit 1: the corpus has malformed lines (%d)" % r.returncode)
    got = sightings_of(r.stdout)
    for k, v in EXPECTED.items():
        check(got.get(k) == v, "expected %s x%d, got %s" % (k, v, got.get(k)))
    for k in got:
        check(k in EXPECTED, "unexpected sighting %s" % (k,))
    steps = {k[0] for k in EXPECTED}
    # the first 12 steps, plus the 4 KubeHound steps the corpus holds real
    # events of (CONTAINER_ATTACH, SHARE_PS_NAMESPACE, TOKEN_LIST, IDENTITY_ASSUME)
    check(len(steps) == 16, "every step with real events in the corpus is sighted")


def test_text_format_and_stdin():
    f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    r = run(["run", "--format", "text", "-q", "-"], stdin=open(f, "rb").read())
    check(r.returncode == 0, "stdin run exits 0")
    lines = r.stdout.decode().splitlines()
    check(any(re.match(r"^2025-01-13T23:08:40\.327Z  pod default/kh-identity-assume  Service-account token theft  "
                       r"Token read, then an API call", l) for l in lines), "text line of the sequence sighting")
    check(all(re.match(r"^\d{4}-\d\d-\d\dT", l) for l in lines), "every text line starts with the time")


def test_db_idempotent():
    with tempfile.TemporaryDirectory() as d:
        db = store_db(d, "storm.db")
        files = [os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl"),
                 os.path.join(CORPUS, "k8s-audit", "falco-trace-files-k8s-audit.jsonl")]
        r1 = run(["run", "-q", "--db", db] + files)
        check(r1.returncode == 0, "first run into --db")
        con = connect_db(db)
        n1 = con.execute("select count(*) from objects").fetchone()[0]
        s1 = con.execute("select count(*) from objects where type = 'sighting'").fetchone()[0]
        i1 = con.execute("select count(*) from objects where type = 'indicator'").fetchone()[0]
        o1 = con.execute("select count(*) from objects where type = 'observed-data'").fetchone()[0]
        # 90: every indicator of the shipped library (26 before issue 13 added the KubeHound steps,
        # 82 before issue 14 added the entry-point steps)
        check(s1 > 0 and i1 == 90 and o1 > 0, "sightings, indicators and observations stored (%d %d %d)" % (s1, i1, o1))
        # the indicators collection carries the extension-definitions (with a
        # JSON Schema) of every x_* property its patterns name
        rows = con.execute("select o.json from objects o join collections c on c.key = o.collection "
                           "where c.alias = 'indicators'").fetchall()
        objs = [json.loads(r[0]) for r in rows]
        declared = {}
        for o in objs:
            if o["type"] == "extension-definition":
                schema = json.loads(o["schema"])
                for p in o["extension_properties"]:
                    declared[p] = schema["properties"].get(p)
        named = {m for o in objs if o["type"] == "indicator" for m in re.findall(r"[:.](x_[a-z0-9_]+)", o["pattern"])}
        check(named and all(declared.get(p) for p in named),
              "the indicators collection defines %s (has %s)" % (sorted(named), sorted(declared)))
        con.close()
        r2 = run(["run", "-q", "--db", db] + files)
        check(r2.returncode == 0, "second run into the same --db")
        check(r1.stdout == r2.stdout, "re-processing gives byte-identical output")
        con = connect_db(db)
        n2 = con.execute("select count(*) from objects").fetchone()[0]
        dup = con.execute("select count(*) from (select collection, id, version from objects "
                          "group by collection, id, version having count(*) > 1) as v").fetchone()[0]
        con.close()
        check(n1 == n2, "no duplicates after a re-run (%d then %d objects)" % (n1, n2))
        check(dup == 0, "no (id, version) stored twice")


def test_bad_lines_and_stats():
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
        good = open(src).read().splitlines()
        bad = os.path.join(d, "mixed.jsonl")
        with open(bad, "w") as f:
            f.write(good[0] + "\n")
            f.write('{"process_kprobe": {"process": \n')
            f.write('{"hello": "world"}\n')
            f.write(good[1] + "\n")
        rejects = os.path.join(d, "rejects.jsonl")
        stats = os.path.join(d, "stats.json")
        r = run(["run", "-q", "--rejects", rejects, "--stats-json", stats, bad])
        check(r.returncode == 1, "bad lines make exit status 1")
        err = r.stderr.decode()
        check(bad + ":2:31: invalid JSON" in err, "FILE:2:COLUMN: reason on stderr, as storm convert says it")
        check(bad + ":3: " in err and "known sensor" in err, "FILE:3: reason on stderr")
        check(open(rejects).read().count("\n") == 2, "both bad lines set aside")
        st = json.load(open(stats))
        for k in ("events_read", "events_rejected", "events_skipped", "baseline_dropped", "observations_matched",
                  "sightings", "states_evicted", "seconds"):
            check(k in st, "stats-json has " + k)
        check(st["events_read"] == 4 and st["events_rejected"] == 2, "counted: 4 read, 2 rejected")
        check(st["sightings"] >= 1, "the good lines were still matched")


def test_baseline_learning():
    f = os.path.join(CORPUS, "kubescape", "honeycluster-ssh-proxy.jsonl")
    with tempfile.TemporaryDirectory() as d:
        stats = os.path.join(d, "stats.json")
        r = run(["run", "-q", "--learn-for", "1h", "--anomalies", "--format", "text", "--stats-json", stats, f])
        check(r.returncode == 0, "--learn-for run exits 0")
        st = json.load(open(stats))
        check(st["baseline_learned"] == 172, "the first hour of event time is learned (%d)" % st["baseline_learned"])
        check(st["anomalies"] == st["events_read"] - st["baseline_learned"] - st["baseline_dropped"],
              "every later event is either explained or an anomaly")
        lines = r.stdout.decode().splitlines()
        check(len(lines) == st["anomalies"] and all("  anomaly  ssh/Pod/ssh-proxy/ssh-proxy  " in l for l in lines),
              "anomalies are written with their workload")
    r = run(["run", "--anomalies", f])
    check(r.returncode == 2, "--anomalies without a baseline is a usage error")


def test_models_commands():
    r = run(["models", "lint", os.path.join(CORPUS, "attack-models")])
    check(r.returncode == 1, "lint of the corpus models exits 1")
    out = r.stdout.decode()
    check(re.search(r"honeycluster-testpost-08-CE_VAR_LOG_TOKEN\.json:1:420: pattern does not compile", out) is not None,
          "the unparsable pattern is reported at its line:column")
    check("20 indicators" in out.splitlines()[-1], "summary counts the loaded indicators")
    r = run(["models", "lint", MODELS])
    check(r.returncode == 0, "the shipped models lint clean")
    r = run(["models", "tree", MODELS])
    check(r.returncode == 0 and b"1a. Exec into a pod" in r.stdout and b"indicator: setns from a pod" in r.stdout,
          "tree shows steps in related-to order with their indicators")
    r = run(["models"])
    check(r.returncode == 2, "usage error exits 2")


def curl(port, data, extra=()):
    r = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "--data-binary", "@-",
                        "-H", "Content-Type: application/json"] + list(extra) +
                       ["http://127.0.0.1:%d/events" % port], input=data, capture_output=True, timeout=30)
    body, _, code = r.stdout.decode().rpartition("\n")
    return int(code or 0), body


def test_listen():
    if subprocess.run(["which", "curl"], capture_output=True).returncode != 0:
        check(False, "curl is needed for the --listen test (scripts/deps.sh --test installs it)")
        return
    # one listen-address rule for storm run and storm serve (storm/listen.h)
    for bad in ("127.0.0.1:+80", "127.0.0.1: 80", "localhost:80", "::1:80"):
        r = subprocess.run([STORM, "run", "--listen", bad], capture_output=True, timeout=30)
        check(r.returncode == 2 and bad.encode() in r.stderr, "--listen %s is a usage error (%d %r)" % (bad, r.returncode, r.stderr))
    p = subprocess.Popen([STORM, "run", "--listen", "127.0.0.1:0", "--max-body", "100000", "--format", "text"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    port = None
    deadline = time.time() + 20
    buf = b""
    while time.time() < deadline and port is None:
        line = p.stderr.readline()
        buf += line
        m = re.search(rb"\(port (\d+)\)", line)
        if m:
            port = int(m.group(1))
        if not line and p.poll() is not None:
            break
    check(port is not None, "storm run --listen reports its port (%r)" % buf)
    if port is None:
        p.kill()
        return
    src = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    lines = open(src, "rb").read().splitlines()
    code, body = curl(port, lines[0] + b"\n" + lines[8] + b"\n")
    check(code == 202 and '"accepted":2' in body, "JSON Lines body accepted (%d %s)" % (code, body))
    code, body = curl(port, b"[" + lines[3] + b"]")
    check(code == 202, "JSON array body accepted (%d)" % code)
    audit = open(os.path.join(CORPUS, "k8s-audit", "falco-trace-files-k8s-audit.jsonl"), "rb").read().splitlines()
    eventlist = b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + b",".join(audit[8:10]) + b"]}"
    code, body = curl(port, eventlist)
    check(code == 202 and '"accepted":2' in body and '"records":1' in body,
          "audit webhook EventList accepted, its events counted (%d %s)" % (code, body))
    code, body = curl(port, b'{"process_kprobe": ')
    check(code == 400 and "not JSON" in body, "bad body: 400 with the reason (%d %s)" % (code, body))
    code, body = curl(port, b'{"hello": 1}')
    check(code == 400 and "known sensor" in body, "unknown record: 400 (%d %s)" % (code, body))
    code, body = curl(port, b"[" + b",".join([lines[0]] * 80) + b"]")
    check(code == 413, "oversized body: 413 (%d %s)" % (code, body))
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d/" % port],
                       capture_output=True, timeout=30)
    check(r.stdout == b"405", "GET: 405")
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    text = out.decode()
    check(p.returncode == 0, "stops cleanly on SIGTERM (%s)" % p.returncode)
    check("Privileged mount from a container" in text, "sighting from an HTTP body")
    check("Host file read through a /var/log symlink" in text, "sighting from the second line of the body")
    check("Exec into a pod" in text, "sighting from the audit EventList")


def test_without_taxii():
    """A build without TAXII and the HTTP intake (-Dtaxii=disabled) says so:
    --listen, serve, publish and pull are usage errors naming the option."""
    r = run(["run", "--listen", "127.0.0.1:0"])
    check(r.returncode == 2 and b"-Dtaxii=enabled" in r.stderr,
          "--listen without the intake: usage error naming -Dtaxii (%d %r)" % (r.returncode, r.stderr))
    for cmd in ("serve", "publish", "pull"):
        r = run([cmd, "--help"])
        check(r.returncode == 2 and b"-Dtaxii=enabled" in r.stderr,
              "storm %s without TAXII: usage error naming -Dtaxii (%d %r)" % (cmd, r.returncode, r.stderr))


def start_listen(args, cwd=None):
    """storm run --listen on a free port: (process, port) or (process, None).
    cwd: where a --db URL's spool (./storm-intake-spool) goes."""
    p = subprocess.Popen([STORM, "run", "--listen", "127.0.0.1:0"] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, cwd=cwd)
    port, deadline = None, time.time() + 20
    while port is None and time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        m = re.search(rb"\(port (\d+)\)", line)
        if m:
            port = int(m.group(1))
    return p, port


def test_listen_lines_count_alone():
    """Each line of a body counts on its own, as in a file: a bad line no
    longer rejects the body's good lines; every error is reported; the run's
    statistics count the rejects and --rejects gets them."""
    import http.client
    src = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    lines = open(src, "rb").read().splitlines()
    with tempfile.TemporaryDirectory() as d:
        rejects, stats = os.path.join(d, "rejects.jsonl"), os.path.join(d, "stats.json")
        p, port = start_listen(["--format", "text", "--rejects", rejects, "--stats-json", stats])
        check(port is not None, "--listen reports its port")
        if port is None:
            p.kill()
            return
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = lines[0] + b"\n" + b'{"process_kprobe": \n' + b'{"hello": 1}\n' + lines[8] + b"\n"
        c.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read().decode()
        check(r.status == 202, "a body with good and bad lines is accepted (%d %s)" % (r.status, text))
        resp = json.loads(text) if text.startswith("{") else {}
        check(resp.get("accepted") == 2 and resp.get("rejected") == 2, "2 events accepted, 2 lines rejected (%s)" % text)
        errs = resp.get("errors", [])
        check(len(errs) == 2 and "line 2" in errs[0] and "not JSON" in errs[0] and "line 3" in errs[1]
              and "known sensor" in errs[1], "every error reported with its line (%s)" % errs)
        c.close()
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        err = err.decode()
        check(p.returncode == 1, "rejected lines make exit status 1, as on files (%s)" % p.returncode)
        check("http#1:2:" in err and "http#1:3:" in err, "the rejects are reported as http#REQUEST:LINE (%s)" % err)
        st = json.load(open(stats))
        check(st["events_rejected"] == 2, "the statistics count the rejected lines (%s)" % st["events_rejected"])
        check(st["events_decoded"] == 2, "the good lines of the body are processed (%s)" % st["events_decoded"])
        check(open(rejects, "rb").read() == b'{"process_kprobe":\n{"hello": 1}\n',
              "--rejects gets the bad lines (%r)" % open(rejects, "rb").read())


def listen_and_post(args, n, cwd=None):
    """storm run --listen ARGS, n events posted one per body (each in its own
    pod), then SIGTERM at once: (acknowledged, returncode, stderr)."""
    import http.client
    src = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    base = json.loads(open(src).read().splitlines()[0])
    kind = [k for k in base if k.startswith("process_")][0]
    p, port = start_listen(args, cwd)
    check(port is not None, "--listen reports its port")
    if port is None:
        p.kill()
        return 0, None, ""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    acked = 0
    for i in range(n):
        ev = json.loads(json.dumps(base))
        ev[kind]["process"]["pod"]["name"] = "drain-pod-%d" % i
        c.request("POST", "/", body=json.dumps(ev).encode(), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        acked += r.status == 202
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=180)
    check(acked == n, "every body acknowledged (%d of %d)" % (acked, n))
    return acked, p.returncode, err.decode()


def test_listen_drain_on_sigterm():
    """Events acknowledged with 202 and still queued at SIGTERM are stored
    before exit: send N events, SIGTERM at once, count what the store holds.
    With no time to drain, what is left is reported, never lost silently."""
    n = 300
    with tempfile.TemporaryDirectory() as d:
        db, stats = store_db(d, "w.db"), os.path.join(d, "stats.json")
        acked, rc, err = listen_and_post(["--db", db, "--stats-json", stats], n, d)
        check(rc == 0, "exit 0 after storing everything (%s %s)" % (rc, err[-300:]))
        st = json.load(open(stats))
        check(st["events_read"] == acked, "every acknowledged event processed (%d of %d)" % (st["events_read"], acked))
        con = connect_db(db)
        pods = set()
        for (j,) in con.execute("SELECT json FROM objects WHERE type = 'sighting'"):
            pods.update(re.findall(r"drain-pod-(\d+)", j))
        con.close()
        check(len(pods) == acked, "a sighting stored for every acknowledged event (%d of %d)" % (len(pods), acked))
        # --drain-timeout 0: whatever is still queued is reported (and exit 1), so
        # processed + reported = acknowledged, however fast the detector was
        stats0 = os.path.join(d, "stats0.json")
        os.mkdir(os.path.join(d, "w0"))  # its own spool (a --db URL's is in the working directory)
        acked, rc, err = listen_and_post(["--db", store_db(d, "w0.db"), "--stats-json", stats0,
                                          "--drain-timeout", "0"], n, os.path.join(d, "w0"))
        m = re.search(r"(\d+) acknowledged bodies \(\d+ bytes\) were NOT processed", err)
        left = int(m.group(1)) if m else 0
        st = json.load(open(stats0))
        check(st["events_read"] + left == acked, "processed %d + reported unprocessed %d = acknowledged %d"
              % (st["events_read"], left, acked))
        check(rc == (1 if left else 0), "exit 1 exactly when acknowledged bodies were left (%s, %d left)" % (rc, left))


def test_listen_loopback_only():
    r = run(["run", "--listen", "localhost:1"])
    check(r.returncode == 2 and b"IPv4" in r.stderr, "--listen wants an address, not a name: usage error (%d)"
          % r.returncode)
    check(b"events read" not in r.stderr, "a usage error prints no statistics")


def sighting_rows(db):
    con = connect_db(db)
    rows = con.execute("select id, version from objects where type = 'sighting'").fetchall()
    total = con.execute("select count(*) from objects").fetchone()[0]
    con.close()
    return rows, total


def test_order_independent_db():
    """The same events in another order give the same sightings, and a re-run
    in any order adds nothing to the store. (The file with a record without a
    time is left out: such a record takes the time of the record before it.)"""
    files = [f for f in corpus_files() if f.split(os.sep)[-2] in ("tetragon", "k8s-audit", "falco", "kubescape", "hubble")
             and "threatintel-pattern-matcher-example" not in f]
    with tempfile.TemporaryDirectory() as d:
        fwd, rev = os.path.join(d, "all.jsonl"), os.path.join(d, "all.rev.jsonl")
        lines = []
        for f in files:
            lines += open(f, "rb").read().splitlines()
        open(fwd, "wb").write(b"\n".join(lines) + b"\n")
        open(rev, "wb").write(b"\n".join(reversed(lines)) + b"\n")
        a, b = store_db(d, "a.db"), store_db(d, "b.db")
        run(["run", "-q", "--db", a, fwd])
        run(["run", "-q", "--db", b, rev])
        ra, ta = sighting_rows(a)
        rb, _ = sighting_rows(b)
        ids_a, ids_b = {r[0] for r in ra}, {r[0] for r in rb}
        check(len(ids_a) > 30 and ids_a == ids_b, "same sighting ids in both orders (%d, %d, %d common)"
              % (len(ids_a), len(ids_b), len(ids_a & ids_b)))
        run(["run", "-q", "--db", a, rev])
        ra2, ta2 = sighting_rows(a)
        check(ta2 == ta and len(ra2) == len(ra), "the reversed re-run adds nothing (%d then %d objects)" % (ta, ta2))


def stored_sightings(db):
    """The last version of each stored sighting, by id."""
    con = connect_db(db)
    rows = con.execute("select id, json from objects where type = 'sighting' order by version").fetchall()
    con.close()
    return {i: json.loads(j) for i, j in rows}


def test_split_runs_count_every_event():
    """The events of one sighting read by two runs into one store (yesterday's
    log, then today's; or a consumer that took over a killed one's partition
    from its last checkpoint) count every event: the same counts as one run
    over all of them. A re-run over both halves changes nothing."""
    data = os.path.join(ROOT, "tests", "data", "corpus", "tetragon")
    for name in ("honeycluster-kubehound-calibration.jsonl", "tetragon-docs-examples.jsonl"):
        lines = open(os.path.join(data, name), "rb").read().splitlines()
        with tempfile.TemporaryDirectory() as d:
            whole, one, two = (os.path.join(d, n) for n in ("whole.jsonl", "odd.jsonl", "even.jsonl"))
            open(whole, "wb").write(b"\n".join(lines) + b"\n")
            open(one, "wb").write(b"\n".join(lines[0::2]) + b"\n")
            open(two, "wb").write(b"\n".join(lines[1::2]) + b"\n")
            a, b = store_db(d, "a.db"), store_db(d, "b.db")
            run(["run", "-q", "--db", a, "-o", os.devnull, whole])
            run(["run", "-q", "--db", b, "-o", os.devnull, one])
            run(["run", "-q", "--db", b, "-o", os.devnull, two])
            sa, sb = stored_sightings(a), stored_sightings(b)
            # one observation per event (a sequence split between the runs is not matched by either)
            single = [i for i in sa if sa[i].get("count") == len(sa[i].get("observed_data_refs", []))]
            multi = [i for i in single if sa[i]["count"] > 1]
            check(len(multi) >= 2, "%s: sightings of several events (%d)" % (name, len(multi)))
            wrong = [(i, sa[i].get("count"), sb.get(i, {}).get("count")) for i in single
                     if sb.get(i, {}).get("count") != sa[i].get("count")]
            check(not wrong, "%s: two runs over halves count as one over all (%s)" % (name, wrong[:3]))
            run(["run", "-q", "--db", b, "-o", os.devnull, one])
            run(["run", "-q", "--db", b, "-o", os.devnull, whole])
            sb2 = stored_sightings(b)
            check({i: sb2[i].get("count") for i in single} == {i: sb[i].get("count") for i in single},
                  "%s: re-running the same events counts nothing twice" % name)


def test_out_of_tree_build_finds_models():
    """A binary far from the source tree (a build directory anywhere) still
    finds the shipped models through the source root known at configure time."""
    import shutil
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "storm")
        shutil.copy(STORM, exe)
        env = dict(os.environ)
        env.pop("STORM_MODELS", None)
        f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
        r = subprocess.run([exe, "run", "-q", "--format", "text", f], capture_output=True, cwd=d, env=env, timeout=120)
        check(r.returncode == 0 and b"Service-account token theft" in r.stdout,
              "shipped models found from %s (%d %r)" % (d, r.returncode, r.stderr[:200]))


def test_counts_and_rejects():
    """Records (lines) and events (array elements, EventList items) are
    counted apart; a line with several bad elements is set aside once."""
    tet = open(os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl"), "rb").read().splitlines()
    audit = open(os.path.join(CORPUS, "k8s-audit", "falco-trace-files-k8s-audit.jsonl"), "rb").read().splitlines()
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "mixed.jsonl")
        eventlist = b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + b",".join(audit[8:13]) + b"]}"
        with open(f, "wb") as out:
            out.write(b"[" + tet[0] + b', {"hello": 1}, {"world": 2}]\n')
            out.write(eventlist + b"\n")
            out.write(b"not json\n")
        rejects, stats = os.path.join(d, "rejects.jsonl"), os.path.join(d, "stats.json")
        r = run(["run", "-q", "--rejects", rejects, "--stats-json", stats, f])
        st = json.load(open(stats))
        check(st["records_read"] == 3, "3 records (lines) read (%d)" % st["records_read"])
        check(st["events_read"] == 1 + 2 + 5 + 1, "events: 3 array elements, 5 EventList items, 1 bad line (%d)"
              % st["events_read"])
        check(st["events_rejected"] == 3, "2 bad elements and 1 bad line rejected (%d)" % st["events_rejected"])
        check(st["events_decoded"] == 6, "6 events decoded (%d)" % st["events_decoded"])
        check(open(rejects, "rb").read().count(b"\n") == 2, "each bad line set aside once")
        check(r.returncode == 1, "exit 1 with rejects")


def test_lineage_text_is_readable():
    f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    r = run(["run", "-q", "--format", "text", "--correlate", "lineage", f])
    lines = r.stdout.decode().splitlines()
    check(lines and all("process tree of pid " in l for l in lines if "  pod " in l),
          "lineage scope shown as a process tree (%s)" % lines[:1])
    check(not any(re.search(r"[A-Za-z0-9+/]{40,}={0,2}", l.split("  ")[1]) for l in lines),
          "no raw exec id in the place column")


def write_models(path, objs):
    json.dump({"type": "bundle", "id": "bundle--5d0c2c4e-4b9f-4a53-9a53-3f5b8c1a0e01", "objects": objs}, open(path, "w"))


def indicator(n, pattern, **extra):
    o = {"type": "indicator", "spec_version": "2.1", "id": "indicator--5d0c2c4e-4b9f-4a53-9a53-3f5b8c1a0f%02d" % n,
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "custom %d" % n,
         "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00.000Z"}
    o.update(extra)
    return o


def test_indicator_lifecycle():
    """Revoked indicators are not used; expired ones (valid_until before the
    event's own time) match nothing; lint says so."""
    f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")  # January 2025
    pat = "[process:x_hook_name = '__x64_sys_mount']"
    with tempfile.TemporaryDirectory() as d:
        m = os.path.join(d, "m.json")
        write_models(m, [indicator(1, pat, revoked=True), indicator(2, pat, valid_until="2024-06-01T00:00:00.000Z"),
                         indicator(3, pat, valid_until="2030-01-01T00:00:00.000Z"),
                         indicator(4, pat, valid_until="2023-01-01T00:00:00.000Z"),
                         indicator(5, pat, created="2024-02-01T00:00:00.000Z")])
        r = run(["run", "-q", "--format", "text", "--models", m, f])
        out = r.stdout.decode()
        check("custom 3" in out and "custom 5" in out, "valid indicators are sighted")
        check("custom 1" not in out, "a revoked indicator is not sighted")
        check("custom 2" not in out, "an indicator expired before the events is not sighted")
        r = run(["models", "lint", m])
        out = r.stdout.decode()
        check(r.returncode == 1 and "revoked" in out, "lint reports the revoked indicator")
        check("'valid_until' is not later than 'valid_from'" in out, "lint reports valid_until <= valid_from")
        check("'modified' is earlier than 'created'" in out, "lint reports modified < created")


def test_db_models():
    """Models in the store's indicators collection (storm pull --db) are used
    by storm run --db, unless --no-db-models."""
    f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    with tempfile.TemporaryDirectory() as d:
        m, db = os.path.join(d, "m.json"), store_db(d, "s.db")
        write_models(m, [indicator(7, "[process:x_hook_name = '__x64_sys_mount']")])
        empty = os.path.join(d, "empty.jsonl")
        open(empty, "w").close()
        run(["run", "-q", "--models", m, "--db", db, empty])  # stores the indicator in the collection
        r = run(["run", "-q", "--format", "text", "--db", db, f])
        check("custom 7" in r.stdout.decode(), "the indicator from the store is matched")
        r = run(["run", "-q", "--format", "text", "--db", db, "--no-db-models", f])
        check("custom 7" not in r.stdout.decode() and r.stdout, "--no-db-models leaves it out")


def test_index_edge_cases():
    """What the indicator index and the prefilter must not get wrong: an
    "id" path however it is spelled (ids are computed late), regexes spread
    over several Hyperscan databases (sightings in the order the indicators
    were loaded), and decomposed Unicode in events (patterns compare NFC)."""
    f = os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")
    first = open(f).readline()
    conv = run(["convert", "-"], stdin=first.encode())
    objs = json.loads(conv.stdout.decode().splitlines()[0])["objects"]
    proc = next(o for o in objs if o["type"] == "process" and "x_hook_name" in o)
    file_id = proc["image_ref"]
    with tempfile.TemporaryDirectory() as d:
        line = os.path.join(d, "one.jsonl")
        open(line, "w").write(first)
        m = os.path.join(d, "m.json")
        pats = ["[file: id = '%s']" % file_id, "[file:\nid = '%s']" % file_id,
                "[process:image_ref. id = '%s']" % file_id, "[process: id = '%s']" % proc["id"]]
        write_models(m, [indicator(i + 1, p) for i, p in enumerate(pats)])
        out = run(["run", "-q", "--format", "text", "--models", m, line]).stdout.decode()
        for i, p in enumerate(pats):
            check("custom %d " % (i + 1) in out, "an id path spelled %r is matched" % p)

        # 1,101 regexes on one path: two Hyperscan databases; the first and
        # the last indicator match the event
        cmd = proc["command_line"]
        inds = [indicator(0, "[process:command_line MATCHES '%s$']" % re.escape(cmd.split()[-1]).replace("'", "\\'"))]
        inds += [indicator(i % 100, "[process:command_line MATCHES '^/nothing/%d/']" % i, id="indicator--5d0c2c4e-4b9f-4a53-9a53-%012d" % i)
                 for i in range(1, 1100)]
        inds.append(indicator(99, "[process:command_line MATCHES '^%s']" % re.escape(cmd.split()[0]), id="indicator--5d0c2c4e-4b9f-4a53-9a53-%012d" % 1100))
        for i, o in enumerate(inds[1:-1]):
            o["name"] = "filler %d" % i
        write_models(m, inds)
        out = run(["run", "-q", "--format", "text", "--models", m, line]).stdout.decode()
        names = [l.split("  ")[3] for l in out.splitlines() if l.strip()]
        check(names == ["custom 0", "custom 99"], "sightings of one event in load order: %r" % names)
        # a regex loaded before an equality on the same path (the index finds
        # the equality first)
        write_models(m, [indicator(1, "[process:command_line MATCHES '^%s']" % re.escape(cmd.split()[0])),
                         indicator(2, "[process:command_line = '%s']" % cmd.replace("'", "\\'"))])
        out = run(["run", "-q", "--format", "text", "--models", m, line]).stdout.decode()
        names = [l.split("  ")[3] for l in out.splitlines() if l.strip()]
        check(names == ["custom 1", "custom 2"], "regex then equality, in load order: %r" % names)

        # a decomposed e-acute in the executable's name
        nfd = first.replace("/usr/bin/mount", "/usr/bin/cafe\\u0301", 1)
        open(line, "w").write(nfd)
        pats = ["[file:name LIKE 'caf\u00e9']", "[file:name MATCHES '^caf\u00e9$']",
                "[process:command_line LIKE '%caf\u00e9 %']"]
        write_models(m, [indicator(i + 1, p) for i, p in enumerate(pats)])
        out = run(["run", "-q", "--format", "text", "--models", m, line]).stdout.decode()
        for i, p in enumerate(pats):
            check("custom %d " % (i + 1) in out, "%s matches a decomposed name" % p)


def test_db_coalesced_versions():
    """Sighting versions are coalesced per store transaction: the store holds
    at most as many versions as the stream printed, and the last stored
    version of each sighting says what the last printed one says."""
    files = [f for f in corpus_files() if f.split(os.sep)[-2] in ("tetragon", "k8s-audit", "falco", "kubescape")]
    with tempfile.TemporaryDirectory() as d:
        db = store_db(d, "c.db")
        r = run(["run", "-q", "--db", db] + files)
        printed = {}
        n_printed = 0
        for line in r.stdout.decode().splitlines():
            for o in json.loads(line)["objects"]:
                if o["type"] == "sighting":
                    printed[o["id"]] = o
                    n_printed += 1
        con = connect_db(db)
        rows = con.execute("SELECT id, json FROM objects WHERE type = 'sighting' AND latest = 1").fetchall()
        n_stored = con.execute("SELECT count(*) FROM objects WHERE type = 'sighting'").fetchone()[0]
        con.close()
        stored = {i: json.loads(j) for i, j in rows}
        check(len(printed) > 30 and set(stored) == set(printed),
              "a stored sighting for every printed one (%d, %d)" % (len(stored), len(printed)))
        check(n_stored <= n_printed, "no more versions stored than printed (%d, %d)" % (n_stored, n_printed))
        same = [i for i in printed if all(stored.get(i, {}).get(k) == printed[i].get(k)
                                          for k in ("count", "first_seen", "last_seen", "observed_data_refs"))]
        check(len(same) == len(printed), "the last stored version is the last printed one (%d of %d)"
              % (len(same), len(printed)))


if __name__ == "__main__":
    test_corpus_sightings()
    test_text_format_and_stdin()
    test_db_idempotent()
    test_bad_lines_and_stats()
    test_baseline_learning()
    test_models_commands()
    if os.environ.get("STORM_HAVE_TAXII", "1") == "1":
        test_listen()
        test_listen_loopback_only()
        test_listen_lines_count_alone()
        test_listen_drain_on_sigterm()
    else:
        test_without_taxii()
    test_order_independent_db()
    test_db_coalesced_versions()
    test_split_runs_count_every_event()
    test_out_of_tree_build_finds_models()
    test_counts_and_rejects()
    test_lineage_text_is_readable()
    test_indicator_lifecycle()
    test_db_models()
    test_index_edge_cases()
    print("test_run%s: %d passed, %d failed" % (" (PostgreSQL)" if backend() == "PostgreSQL" else "", passed, failed))
    sys.exit(1 if failed else 0)
