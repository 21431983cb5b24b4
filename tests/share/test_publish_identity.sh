#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One cluster, one identity: after `storm run --db`, `storm publish
# --dry-run` (with and without redaction, with --identity) emits sightings
# whose created_by_ref and where_sighted_refs name the same identity, and
# exactly one identity object of the cluster's name. (They used to be two
# identities both named "storm": the detector and storm publish derived the
# id two ways.)
set -u
STORM=${STORM_BIN:?}
ROOT=${STORM_SOURCE_ROOT:?}
T=$(mktemp -d /tmp/storm-publish-identity-XXXXXX)
pass=0 fail=0
ok() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL line ${BASH_LINENO[0]}: $*" >&2; fi; }
trap 'rm -rf "$T"' EXIT

IN="$ROOT/tests/data/corpus/tetragon/honeycluster-kubehound-calibration.jsonl"

# check.py FILE NAME: every sighting's created_by_ref is its one where_sighted_ref,
# which is the one identity named NAME in FILE
cat >"$T/check.py" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
name = sys.argv[2]
ids = [o["id"] for o in objs if o.get("type") == "identity" and o.get("name") == name]
sightings = [o for o in objs if o.get("type") == "sighting"]
problems = []
if len(ids) != 1:
    problems.append("%d identities named %r: %s" % (len(ids), name, ids))
if not sightings:
    problems.append("no sighting")
for s in sightings:
    where = s.get("where_sighted_refs", [])
    if where != [s.get("created_by_ref")] or (ids and where != ids[:1]):
        problems.append("%s: created_by_ref %s, where_sighted_refs %s" % (s["id"], s.get("created_by_ref"), where))
        break
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

"$STORM" run -q --db "$T/a.db" "$IN" >/dev/null 2>"$T/err"
ok test -s "$T/a.db"
"$STORM" publish --db "$T/a.db" --dry-run --no-redact >"$T/plain.jsonl" 2>"$T/err"
ok test $? -eq 0
ok python3 "$T/check.py" "$T/plain.jsonl" storm
"$STORM" publish --db "$T/a.db" --dry-run --redact-key "$T/key" >"$T/red.jsonl" 2>"$T/err"
ok test $? -eq 0
ok python3 "$T/check.py" "$T/red.jsonl" storm

# a named cluster: the same name in run and publish gives the same identity
"$STORM" run -q --identity honey-1 --db "$T/b.db" "$IN" >/dev/null 2>"$T/err"
"$STORM" publish --db "$T/b.db" --dry-run --no-redact --identity honey-1 >"$T/named.jsonl" 2>"$T/err"
ok python3 "$T/check.py" "$T/named.jsonl" honey-1

echo "test_publish_identity: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
