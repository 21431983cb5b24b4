#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attack sessions end to end: storm run --db over the corpus gives the
sessions a person drew by hand (tests/data/sessions/corpus-expected.json);
the synthetic attack across two pods and the API server is one session with
its steps in order; storm report in every format; rerunning adds nothing;
the STIX report is well formed (every reference resolves in the bundle)."""
import glob
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report, run, backend, connect_db, store_db  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(DATA, "corpus")


def corpus_inputs():
    files = []
    for sub in ("tetragon", "k8s-audit", "falco", "kubescape", "hubble"):
        files += sorted(glob.glob(os.path.join(CORPUS, sub, "*.jsonl")))
    return files


def sessions_json(db):
    r = run(["sessions", "--db", db, "--format", "json"])
    check(r.returncode == 0, f"storm sessions --format json exits 0 ({r.stderr.decode()[-300:]})")
    return [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]


def drawn(session):
    """A session as the expected file writes it."""
    places = set()
    for st in session["steps"]:
        if st.get("pod"):
            places.add(st["pod"])
        elif st.get("node"):
            places.add("node:" + st["node"])
    firsts = {}
    for st in session["steps"]:
        name = st.get("step_name")
        if name and (name not in firsts or st["first_seen"] < firsts[name]):
            firsts[name] = st["first_seen"]
    steps = [n for n, _ in sorted(firsts.items(), key=lambda kv: (kv[1], kv[0]))]
    return {"first_seen": session["first_seen"][:19] + "Z", "places": sorted(places), "steps": steps}


def ordered(expected_steps, got_steps, got_session):
    """Same steps; order compared where the first sightings differ in time."""
    if sorted(expected_steps) != sorted(got_steps):
        return False
    firsts = {}
    for st in got_session["steps"]:
        n = st.get("step_name")
        if n and (n not in firsts or st["first_seen"] < firsts[n]):
            firsts[n] = st["first_seen"]
    for i, a in enumerate(expected_steps):
        for b in expected_steps[i + 1:]:
            if firsts[a] > firsts[b]:
                return False
    return True


def test_corpus(tmp):
    db = store_db(tmp, "corpus.db")
    r = run(["run", "--db", db, "-o", os.devnull] + corpus_inputs())
    check(r.returncode in (0, 1), f"storm run over the corpus ({r.returncode})")
    check(b"34 attack sessions" in r.stderr, "storm run reports 34 attack sessions")
    expected = json.load(open(os.path.join(DATA, "sessions", "corpus-expected.json")))["sessions"]
    got = sessions_json(db)
    check(len(got) == len(expected), f"{len(got)} sessions, {len(expected)} drawn by hand")
    by_key = {}
    for s in got:
        d = drawn(s)
        by_key.setdefault((d["first_seen"], tuple(d["places"])), []).append((d, s))
    for e in expected:
        key = (e["first_seen"], tuple(sorted(e["places"])))
        match = by_key.get(key)
        check(match is not None and len(match) == 1, f"the session drawn at {key} is found once")
        if match:
            d, s = match[0]
            check(ordered(e["steps"], d["steps"], s), f"{key}: steps {d['steps']} == drawn {e['steps']}")
    # text lines: one per session, with its entry point and steps
    r = run(["sessions", "--db", db])
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and len(lines) == 34, "storm sessions: one line per session")
    check(any("entry: Service-account token theft in pod default/kh-identity-assume" in ln and
              "steps: Service-account token theft > " in ln for ln in lines), "the identity-assume line")
    r = run(["sessions", "--db", db, "--since", "2025-01-01T00:00:00Z"])
    check(len(r.stdout.decode().splitlines()) == 12, "--since keeps the 12 sessions of 2025 and later")
    # rerun: nothing added, the same sessions
    before = sorted(json.dumps(s, sort_keys=True) for s in got)
    rows = connect_db(db).execute("select count(*) from objects").fetchone()[0]
    r = run(["run", "--db", db, "-o", os.devnull] + corpus_inputs())
    after = sorted(json.dumps(s, sort_keys=True) for s in sessions_json(db))
    rows2 = connect_db(db).execute("select count(*) from objects").fetchone()[0]
    check(before == after, "a second run over the same events leaves the same sessions")
    check(rows == rows2, f"a second run adds no object ({rows} -> {rows2})")
    return db


def check_stix(text, what):
    b = json.loads(text)
    objs = b.get("objects", [])
    ids = {o["id"] for o in objs}
    reports = [o for o in objs if o["type"] == "report"]
    check(b.get("type") == "bundle" and reports, f"{what}: a bundle with reports")
    check(len(ids) == len(objs), f"{what}: no object twice")
    missing = [ref for rep in reports for ref in rep["object_refs"] if ref not in ids]
    check(not missing, f"{what}: every object_ref is in the bundle ({missing[:3]})")
    for rep in reports:
        check(rep["spec_version"] == "2.1" and rep["published"] and rep["report_types"] and
              rep["created"] <= rep["modified"], f"{what}: {rep['id']} has the report properties")
        types = {ref.split("--")[0] for ref in rep["object_refs"]}
        check({"sighting", "observed-data", "indicator", "attack-pattern", "identity"} <= types,
              f"{what}: {rep['id']} references sightings, observed-data, indicators, attack-patterns, identity")
    return reports


def test_synthetic(tmp):
    db = store_db(tmp, "synthetic.db")
    src = os.path.join(DATA, "sessions", "synthetic-attack.jsonl")
    r = run(["run", "--db", db, "-o", os.devnull, src])
    check(r.returncode == 0, f"storm run over the synthetic attack ({r.stderr.decode()[-300:]})")
    got = sessions_json(db)
    check(len(got) == 2, f"two sessions: the attack and the unrelated token read ({len(got)})")
    attack = [s for s in got if "shop/web-a" in s["pods"]]
    check(len(attack) == 1, "one session holds the attack")
    if not attack:
        return
    s = attack[0]
    check(s["pods"] == ["shop/escape-pod", "shop/web-a", "shop/worker-b"] and s["nodes"] == ["worker-1"],
          f"it touches both pods, the pod it created and the node ({s['pods']} {s['nodes']})")
    steps = drawn(s)["steps"]
    want = ["Service-account token theft", "Secrets listed", "Stolen identity used against the API",
            "Privileged or host-namespace pod created", "Exec into a pod", "Container escape via nsenter",
            "Container entered from the node"]
    check(ordered(want, steps, s), f"the steps in order: {steps}")
    links = {st["link"] for st in s["steps"]}
    check({"first", "lineage", "address", "creation", "pod"} <= links, f"linked by several rules: {sorted(links)}")
    other = [x for x in got if x is not s][0]
    check(other["pods"] == ["billing/api-0"], "the unrelated token read is its own session")
    # reports
    r = run(["report", "--db", db])
    text = r.stdout.decode()
    check(r.returncode == 0 and "attack path:" in text and "timeline:" in text, "text report")
    check("7. Container entered from the node (execution): modelled after Container escape via nsenter" in text,
          "the path: crictl from the node follows the escape")
    check("6. Container escape via nsenter (privilege-escalation): modelled after Privileged or host-namespace pod "
          "created" in text, "the path: the escape follows the privileged pod")
    r = run(["report", "--db", db, "--format", "markdown", "--session", s["id"]])
    md = r.stdout.decode()
    check(r.returncode == 0 and md.count("## Session ") == 1 and "| time | where |" in md, "markdown, one session")
    r = run(["report", "--db", db, "--format", "html"])
    page = r.stdout.decode()
    check(r.returncode == 0 and page.startswith("<!DOCTYPE html>") and "<svg" in page, "html with an svg path")
    check("http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page and
          "<script" not in page, "html fetches nothing")
    r = run(["report", "--db", db, "--format", "stix"])
    check(r.returncode == 0, "stix report")
    reports = check_stix(r.stdout.decode(), "synthetic")
    check(len(reports) == 2, "one report per session")
    r2 = run(["report", "--db", db, "--format", "stix"])
    check(r.stdout == r2.stdout, "the same store gives the same STIX bytes")
    if os.environ.get("STORM_HAVE_TAXII") != "0":  # storm publish shares the report redacted and marked
        path = os.path.join(tmp, "report.json")
        open(path, "wb").write(r.stdout)
        pub = run(["publish", "--dry-run", "--to-db", store_db(tmp, "pub.db"), "--collection", "shared",
                   "--redact-key", os.path.join(tmp, "redact.key"), "--tlp", "amber", path])
        out = pub.stdout.decode()
        check(pub.returncode == 0 and '"type":"report"' in out.replace(" ", ""), "storm publish takes the reports")
        check("web-a" not in out and "worker-b" not in out and "10.244.2.31" not in out,
              "published reports name no pod or address of the cluster")
        check("marking-definition--" in out, "published reports are marked")
    r = run(["report", "--db", db, "--session", "session--00000000-0000-5000-8000-000000000000"])
    check(r.returncode == 1 and b"no session" in r.stderr, "an unknown --session exits 1")
    # bounded: one session held at a time; the evicted ones are still stored
    capped = store_db(tmp, "capped.db")
    r = run(["run", "--db", capped, "--session-cap", "1", "-o", os.devnull, src])
    check(b"3 evicted" in r.stderr, "--session-cap 1 evicts and counts")
    check(len(sessions_json(capped)) == 4, "evicted sessions are stored (4 pieces of the attack once links are lost)")
    r = run(["run", "--db", capped, "--session-cap", "0", src])
    check(r.returncode == 2, "--session-cap 0 is a usage error")
    r = run(["report", "--db", db, "--format", "pdf"])
    check(r.returncode == 2, "an unknown format is a usage error")
    r = run(["sessions", "--db", db, "--since", "yesterday"])
    check(r.returncode == 2, "a bad --since is a usage error")


def test_anomalies(tmp):
    """With a baseline, an unexplained event of the session's pod joins it, even
    when it is the event whose sighting opens the session."""
    ex = os.path.join(ROOT, "examples")
    bl, db = store_db(tmp, "bl.db"), store_db(tmp, "anomalies.db")
    r = run(["baseline", "learn", "--db", bl] + sorted(glob.glob(os.path.join(ex, "recordings", "*.jsonl"))))
    check(r.returncode == 0, "baseline learn over the example recordings")
    r = run(["run", "--db", db, "--baseline", bl, "--anomalies", "-o", os.devnull, os.path.join(ex, "events.jsonl")])
    got = sessions_json(db)
    check(len(got) == 1, f"one session in the examples ({len(got)})")
    if got:
        anomalies = [st for st in got[0]["steps"] if st["anomaly"]]
        check(len(anomalies) == 1 and anomalies[0]["evidence"].startswith("anomaly: "),
              "the setns anomaly of xwing is inside its nsenter session")
        # the id is the one the session has without the baseline (anomalies never name a session)
        plain = store_db(tmp, "plain.db")
        run(["run", "--db", plain, "-o", os.devnull, os.path.join(ex, "events.jsonl")])
        check([s["id"] for s in sessions_json(plain)] == [got[0]["id"]], "the session keeps its id with anomalies")
    r = run(["report", "--db", db])
    check(b"baseline anomalies inside the session: 1" in r.stdout and b"(baseline anomaly)" in r.stdout,
          "the report shows the anomaly in the timeline and counts it")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_anomalies(tmp)
        db = test_corpus(tmp)
        r = run(["report", "--db", db, "--format", "stix"])
        check(r.returncode == 0, "stix report of the corpus")
        reports = check_stix(r.stdout.decode(), "corpus")
        check(len(reports) == 34, f"34 reports ({len(reports)})")
        test_synthetic(tmp)
    return report("test_sessions")


if __name__ == "__main__":
    sys.exit(main())
