# SPDX-License-Identifier: Apache-2.0
"""storm hunt: a store filled by storm run --keep-observations with a model
set lacking some indicators, then hunted with the full set, holds the same
sightings (ids, original first_seen/last_seen, counts) as storm run with the
full set would have written; a rerun adds nothing."""
import json
import os
import shutil
import sys
import tempfile

from harness import ROOT, check, report, run, backend, connect_db, store_db

EVENTS = os.path.join(ROOT, "tests/data/sessions/synthetic-attack.jsonl")
MODELS = os.path.join(ROOT, "models")
LEFT_OUT = ["sa-token-theft.json", "privileged-pod-create.json"]


def sightings(db):
    con = connect_db(db)
    # the JSON is read here rather than with SQLite's json_extract: the same query on both back ends
    objs = [json.loads(r[0]) for r in con.execute("select json from objects where type='sighting' and latest=1")]
    con.close()
    return sorted((o["id"], o["first_seen"], o["last_seen"], o["count"]) for o in objs)


def n_objects(db):
    con = connect_db(db)
    n = con.execute("select count(*) from objects").fetchone()[0]
    con.close()
    return n


def main():
    tmp = tempfile.mkdtemp(prefix="storm-hunt-")
    try:
        partial = os.path.join(tmp, "partial")
        shutil.copytree(MODELS, partial)
        for f in LEFT_OUT:
            os.remove(os.path.join(partial, f))
        full_db, part_db = store_db(tmp, "full.db"), store_db(tmp, "part.db")
        r = run(["run", "-q", "--db", full_db, "--models", MODELS, "-o", os.devnull, EVENTS])
        check(r.returncode == 0, f"storm run (full models): {r.stderr.decode()}")
        r = run(["run", "-q", "--db", part_db, "--keep-observations", "--no-db-models", "--models", partial,
                 "-o", os.devnull, EVENTS])
        check(r.returncode == 0, f"storm run (partial models): {r.stderr.decode()}")
        full, before = sightings(full_db), sightings(part_db)
        check(len(before) < len(full), f"the partial models miss sightings ({len(before)} vs {len(full)})")

        r = run(["hunt", "--db", part_db, "--models", MODELS, "--format", "text"])
        check(r.returncode == 0, f"storm hunt: {r.stderr.decode()}")
        out = r.stdout.decode()
        check("Service-account token theft" in out and "2026-03-02T10:00:05" in out,
              "the token theft is found at the event's own time")
        check("observations/s" in r.stderr.decode(), "the speed is reported")
        after = sightings(part_db)
        # every sighting the full run wrote, with the same id, times and count; the
        # store keeps one version of an SCO shared by events (a parent process),
        # so a hunt may also match what the event's own copy lacked (docs/cli/hunt.md)
        check(set(full) <= set(after), f"hunted store holds the full run's sightings:\n{after}\nvs\n{full}")
        check(len(set(after) - set(full)) <= 1, f"extra sightings: {set(after) - set(full)}")
        new = set(after) - set(before)
        check(new and all(fs.startswith("2026-03-02T10:0") for _, fs, _, _ in new),
              f"new sightings carry the original times: {new}")

        n = n_objects(part_db)
        r = run(["hunt", "-q", "--db", part_db, "--models", MODELS, "-o", os.devnull])
        check(r.returncode == 0 and n_objects(part_db) == n, "a rerun adds nothing")

        # --since later than every event: nothing hunted, nothing added
        fresh = store_db(tmp, "fresh.db")
        run(["run", "-q", "--db", fresh, "--keep-observations", "--no-db-models", "--models", partial,
             "-o", os.devnull, EVENTS])
        r = run(["hunt", "--db", fresh, "--no-db-models", "--models", MODELS, "--since", "2026-03-03T00:00:00Z",
                 "-o", os.devnull])
        check(r.returncode == 0 and sightings(fresh) == before, "--since skips older observations")
        check(b"0 hunted" in r.stderr, f"--since counted: {r.stderr.decode()}")

        # without --keep-observations only the evidence of earlier sightings is there
        ev_db = store_db(tmp, "evidence.db")
        run(["run", "-q", "--db", ev_db, "--no-db-models", "--models", partial, "-o", os.devnull, EVENTS])
        r = run(["hunt", "-q", "--db", ev_db, "--models", MODELS, "-o", os.devnull])
        check(r.returncode == 0, "hunting an evidence-only store works")

        # usage errors
        check(run(["hunt", "--models", MODELS]).returncode == 2, "--db is required")
        check(run(["hunt", "--db", part_db, "--bogus"]).returncode == 2, "unknown option exits 2")
        check(run(["hunt", "--db", part_db, "--since", "yesterday"]).returncode == 2, "bad --since exits 2")
        check(run(["run", "--keep-observations", EVENTS]).returncode == 2, "--keep-observations needs --db")
        # a mistyped store is an error, and no empty store is left at that path
        nope = os.path.join(tmp, "nope.db")
        r = run(["hunt", "--db", nope, "--models", MODELS])
        check(r.returncode == 1 and b"cannot open" in r.stderr, f"hunt on a missing store: {r.stderr!r}")
        check(not os.path.exists(nope), "hunt creates no store")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report("test_hunt")


if __name__ == "__main__":
    sys.exit(main())
