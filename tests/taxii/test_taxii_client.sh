#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# storm pull and storm publish against a responder that pages like medallion
# (medallion_like.py: one `next` token repeated for every page of a query,
# X-TAXII-Date-Added-* headers, one date_added per POST, its page cap) and
# against storm serve: paging to the end, the added_after fallback, resuming
# after the server dies mid-pull, validation of pulled objects, envelopes
# split at an object limit and on 413, the publish log keyed by collection id.
set -u
STORM=${STORM_BIN:?STORM_BIN must name the storm binary}
HERE=$(cd "$(dirname "$0")" && pwd)
RESPONDER="$HERE/medallion_like.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/storm-taxii-client.XXXXXX")
pass=0 fail=0
PIDS=()
ok() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL line ${BASH_LINENO[0]}: $*" >&2; fi; }
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
export STORM_TAXII_PASSWORD=storm-test
COLL=fab9986f-8c11-4079-8e6c-e37ab08cdf22

# responder NAME ARGS... -> URL (discovery), PID_NAME; its request log is $T/NAME.log
responder() {
    local name=$1; shift
    : >"$T/$name.log"
    python3 "$RESPONDER" --log "$T/$name.log" "$@" >"$T/$name.port" 2>"$T/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 600); do  # a loaded machine can take seconds to start python
        [ -s "$T/$name.port" ] && break
        sleep 0.05
    done
    URL="http://127.0.0.1:$(cat "$T/$name.port")/taxii2/"
}
count() { sqlite3 "$1" "select count(distinct id) from objects" 2>/dev/null || echo 0; }

# seed FILE N GROUP [BAD]: N indicators, GROUP of them per date_added (as one
# POST to medallion gives), in JSON Lines "date_added<TAB>object"; BAD adds
# three objects storm serve would refuse, one every 40 indicators.
seed() {
    python3 - "$@" <<'PY'
import json, sys, uuid
path, n, group = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bad = len(sys.argv) > 4
ns = uuid.UUID("3f1e5a52-6c1c-4d27-9f59-0c3f1b6c2d10")
ts = "2025-03-01T00:00:00.000Z"
def ind(i, **kw):
    o = {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid5(ns, str(i)),
         "created": ts, "modified": ts, "name": "i%d" % i, "pattern": "[file:name = 'f%d']" % i,
         "pattern_type": "stix", "valid_from": ts}
    o.update(kw)
    return o
objs = [ind(i) for i in range(n)]
if bad:
    objs.insert(40, ind(9001, id="indicator--bad"))
    no_created = ind(9002)
    del no_created["created"]
    objs.insert(80, no_created)
    objs.insert(120, ind(9003, pattern="[[[ nope"))
with open(path, "w") as f:
    for k, o in enumerate(objs):
        f.write("2026-02-01T10:%02d:%02d.%06dZ\t%s\n" % (k // group // 60 % 60, k // group % 60, 123456, json.dumps(o)))
PY
}

# ---- paging: one `next` token for every page (medallion) -----------------
seed "$T/s250.jsonl" 250 100
responder m1 --seed "$T/s250.jsonl" --max-page-size 7
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p1.db" --limit 100 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "pulled 250 objects" <<<"$out"
ok grep -q "250 new" <<<"$out"
ok [ "$(count "$T/p1.db")" -eq 250 ]
ok [ "$(grep -c 'next=' "$T/m1.log")" -eq 35 ]                # 36 pages of at most 7
ok [ "$(grep 'next=' "$T/m1.log" | sed 's/.*next=//; s/ .*//' | sort -u | wc -l)" -eq 1 ]
ok [ "$(grep -c 'added_after' "$T/m1.log")" -eq 0 ]           # no fallback was needed
# the filters of the query go with every `next` (medallion refuses a change)
ok [ "$(grep 'next=' "$T/m1.log" | grep -c 'match\[type\]=indicator')" -eq 35 ]
# again: starts after the last date_added, nothing new
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p1.db" 2>>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "pulled 0 objects" <<<"$out"
ok grep -q "added_after=2026-02-01T10:00:02.123456Z" <<<"$(tail -1 "$T/m1.log")"

# ---- the server dies mid-pull: pages before are kept, the next pull resumes --
responder m2 --seed "$T/s250.jsonl" --max-page-size 7 --die-after-pages 5
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p2.db" 2>"$T/err")
ok [ $? -eq 1 ]
ok [ "$(count "$T/p2.db")" -eq 35 ]
ok grep -q "kept 35 new objects from 5 pages" "$T/err"
ok [ -n "$(sqlite3 "$T/p2.db" 'select added_last from pull_state')" ]
# the same server again (same URL: positions are kept per API root and collection)
responder m3 --seed "$T/s250.jsonl" --max-page-size 7 --port "$(cat "$T/m2.port")"
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p2.db" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "resumed after 2026-02-01T10:00:00.123455Z" <<<"$out"  # one µs before the group the pull was in
ok [ "$(count "$T/p2.db")" -eq 250 ]
ok grep -q "215 new" <<<"$out"

# ---- no `next` at all: added_after + X-TAXII-Date-Added-Last ---------------
seed "$T/s60.jsonl" 60 1
responder m4 --seed "$T/s60.jsonl" --max-page-size 7 --no-next
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p4.db" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "paged by added_after" <<<"$out"
ok [ "$(count "$T/p4.db")" -eq 60 ]
# ... which cannot get past more objects with one date_added than a page holds:
# a clear error, and what was fetched is kept
responder m5 --seed "$T/s250.jsonl" --max-page-size 7 --no-next
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p5.db" 2>"$T/err")
ok [ $? -eq 1 ]
ok grep -q "does not move past" "$T/err"
ok [ "$(count "$T/p5.db")" -eq 7 ]
# a `next` the server forgot (400): the pull goes on by added_after
responder m6 --seed "$T/s60.jsonl" --max-page-size 7 --expire-next-after 3
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p6.db" 2>"$T/err")
ok [ $? -eq 0 ]
ok [ "$(count "$T/p6.db")" -eq 60 ]
ok grep -q "paged by added_after" <<<"$out"
# ... but when the token is refused in the middle of more objects with one
# date_added than were read before, added_after cannot get past them: a
# clear error instead of the same query again and again (medallion forgets
# a query 30 s after it began; every object of a POST has one date_added)
responder m6b --seed "$T/s250.jsonl" --max-page-size 7 --expire-next-after 3
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p6b.db" 2>"$T/err")
ok [ $? -eq 1 ]
ok grep -q "refused its own 'next'" "$T/err"
ok [ "$(count "$T/p6b.db")" -eq 28 ]
ok [ "$(grep -c '^GET' "$T/m6b.log")" -eq 10 ]  # 4 pages, a 400, 4 pages again, a 400

# ---- pulled objects are checked as storm serve checks POSTed ones ----------
seed "$T/bad.jsonl" 150 1 bad
responder m7 --seed "$T/bad.jsonl" --max-page-size 50
out=$("$STORM" pull --from "$URL" --collection "$COLL" --user storm --db "$T/p7.db" 2>"$T/err")
ok [ $? -eq 1 ]
ok grep -q "pulled 153 objects" <<<"$out"
ok grep -q "150 new, 3 refused" <<<"$out"
ok [ "$(count "$T/p7.db")" -eq 150 ]
ok grep -q "page 1, object 41 (indicator--bad): refused: id 'indicator--bad' is not" "$T/err"
ok grep -q "page 2, object 31 (.*): refused: 'modified' without 'created'" "$T/err"
ok grep -q "page 3, object 21 (.*): refused: 'pattern' is not a valid STIX pattern" "$T/err"
ok [ "$(sqlite3 "$T/p7.db" "select count(*) from objects where id = 'indicator--bad' or json like '%[[[ nope%'")" -eq 0 ]

# ---- publish: object limit, 413 splits, the log keyed by collection id -----
python3 - "$T/pub.json" <<'PY'
import json, sys, uuid
ns = uuid.UUID("0d7e1f4a-8a55-4f0b-9a33-2b8c0c6e9d21")
ts = "2025-03-01T00:00:00.000Z"
objs = [{"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid5(ns, str(i)),
         "created": ts, "modified": ts, "name": "p%d" % i, "pattern": "[file:name = 'p%d']" % i,
         "pattern_type": "stix", "valid_from": ts} for i in range(120)]
json.dump({"type": "bundle", "id": "bundle--%s" % uuid.uuid5(ns, "b"), "objects": objs}, open(sys.argv[1], "w"))
PY
responder m8 --max-envelope-objects 25
out=$("$STORM" publish --to "$URL" --collection read-write --user storm --db "$T/src.db" --no-redact \
  "$T/pub.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "published 122 objects" <<<"$out"      # 120 + identity + TLP marking
ok grep -q "122 succeeded, 0 failed" <<<"$out"
# 413 for 122, 61 and 30 objects (the limit halves each time), then envelopes of 15
ok [ "$(grep '^POST' "$T/m8.log" | sed 's/.*objects=//' | awk '$1 > 25' | wc -l)" -eq 3 ]
ok [ "$(grep '^POST' "$T/m8.log" | sed 's/.*objects=//' | awk '$1 <= 25 {n += $1} END {print n}')" -eq 122 ]
# the same collection by its id: nothing is sent again
out=$("$STORM" publish --to "$URL" --collection "$COLL" --user storm --db "$T/src.db" --no-redact \
  "$T/pub.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "published 0 objects in 0 envelopes" <<<"$out"
ok grep -q "122 already published" <<<"$out"
# --resend: everything goes again (a hub that lost its store)
out=$("$STORM" publish --resend --to "$URL" --collection "$COLL" --user storm --db "$T/src.db" --no-redact \
  "$T/pub.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "published 122 objects" <<<"$out"
ok grep -q "0 already published" <<<"$out"
# a wrong password fails at once, before the input is read (it does not exist)
out=$(STORM_TAXII_PASSWORD=wrong "$STORM" publish --to "$URL" --collection "$COLL" --user storm \
  "$T/no-such-file.json" 2>&1)
ok [ $? -eq 1 ]
ok grep -q "401" <<<"$out"
ok [ "$(grep -c 'no-such-file' <<<"$out")" -eq 0 ]
# a wrong URL too
out=$("$STORM" publish --to "http://127.0.0.1:1/taxii2/" --collection x --user storm "$T/no-such-file.json" 2>&1)
ok [ $? -eq 1 ]
ok [ "$(grep -c 'no-such-file' <<<"$out")" -eq 0 ]
# --envelope-objects is honoured
responder m9
"$STORM" publish --to "$URL" --collection "$COLL" --user storm --no-redact --envelope-objects 50 "$T/pub.json" >/dev/null 2>&1
ok [ "$(grep -c '^POST' "$T/m9.log")" -eq 3 ]

# ---- storm serve: its 10,000-object default limit, here --max-objects 40 ----
printf 'alice-password-1\n' | "$STORM" users --file "$T/users" --iterations 1000 add alice >/dev/null
"$STORM" users --file "$T/users" grant alice rw '*' >/dev/null
"$STORM" serve --db "$T/hub.db" --users "$T/users" --listen 127.0.0.1:0 --max-objects 40 2>"$T/serve.log" &
PIDS+=($!)
for _ in $(seq 600); do
    SPORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$T/serve.log")
    [ -n "$SPORT" ] && break
    sleep 0.05
done
SURL="http://127.0.0.1:$SPORT/taxii2/"
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection indicators --user alice \
  --db "$T/src2.db" --no-redact "$T/pub.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "122 succeeded, 0 failed" <<<"$out"
# by the collection's UUID: already published
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection 90fb65bf-31d7-481d-8fd6-4664d3d9f77a \
  --user alice --db "$T/src2.db" --no-redact "$T/pub.json" 2>"$T/err")
ok grep -q "published 0 objects in 0 envelopes" <<<"$out"
# pull it back, 7 a page, killed nowhere: everything, then nothing new
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" pull --from "$SURL" --collection indicators --user alice \
  --db "$T/p8.db" --limit 7 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "pulled 120 objects" <<<"$out"
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" pull --from "$SURL" --collection indicators --user alice \
  --db "$T/p8.db" --limit 7 2>"$T/err")
ok grep -q "pulled 0 objects" <<<"$out"
# re-publishing after a new sighting: only the new sighting goes, redacted as
# the first time (it names the same evidence, whose ids and names redaction
# rewrote then): the context it needs is redacted with it, not sent again
python3 - "$T" <<'PY2'
import json, sys, uuid
t = sys.argv[1]
ns = uuid.UUID("5b1c9a77-0f4e-4c1e-8c0e-7d6a2b3c4d5e")
def uid(kind, n): return "%s--%s" % (kind, uuid.uuid5(ns, kind + str(n)))
ts = "2025-01-10T10:00:00.000Z"
ind = {"type": "indicator", "spec_version": "2.1", "id": uid("indicator", 1), "created": ts, "modified": ts,
       "name": "tool", "pattern": "[process:name = 'tool']", "pattern_type": "stix", "valid_from": ts}
ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "10.244.1.17"}
proc = {"type": "process", "spec_version": "2.1", "id": "process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b",
        "command_line": "tool --target 10.244.1.17", "x_k8s_pod": "payments-api-7d9f8b6c5-x2k4q"}
od = {"type": "observed-data", "spec_version": "2.1", "id": uid("observed-data", 1), "created": ts, "modified": ts,
      "first_observed": ts, "last_observed": ts, "number_observed": 1, "object_refs": [proc["id"], ip["id"]]}
def sighting(n):
    return {"type": "sighting", "spec_version": "2.1", "id": uid("sighting", n), "created": ts, "modified": ts,
            "sighting_of_ref": ind["id"], "observed_data_refs": [od["id"]], "count": n,
            "description": "tool in pod payments-api-7d9f8b6c5-x2k4q (%d)" % n}
base = [ind, ip, proc, od, sighting(1)]
json.dump({"type": "bundle", "id": uid("bundle", 1), "objects": base}, open(t + "/s1.json", "w"))
json.dump({"type": "bundle", "id": uid("bundle", 2), "objects": base + [sighting(2)]}, open(t + "/s2.json", "w"))
PY2
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection sightings --user alice \
  --db "$T/src3.db" "$T/s1.json" 2>"$T/err")
ok [ $? -eq 0 ]
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection sightings --user alice \
  --db "$T/src3.db" "$T/s2.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "published 1 objects in 1 envelopes" <<<"$out"
sightings=$(curl -s -u alice:alice-password-1 -H 'Accept: application/taxii+json;version=2.1' \
  "${SURL%taxii2/}storm/collections/sightings/objects/?match%5Btype%5D=sighting")
ok python3 -c '
import json, sys
s = {o["count"]: o for o in json.loads(sys.argv[1])["objects"]}
sys.exit(0 if len(s) == 2 and s[1]["observed_data_refs"] == s[2]["observed_data_refs"] else 1)' "$sightings"
everything=$(curl -s -u alice:alice-password-1 -H 'Accept: application/taxii+json;version=2.1' \
  "${SURL%taxii2/}storm/collections/sightings/objects/?limit=1000")
for leak in payments-api-7d9f8b6c5-x2k4q 10.244.1.17 ff26c055-6336-5bc5-b98d-13d6226742dd; do
    ok [ "$(grep -c -- "$leak" <<<"$everything")" -eq 0 ]
done

# two private addresses that redaction makes one (10.0.0.0/8): one success
# for that id counts for both, so a re-publish sends nothing
python3 - "$T/dup.json" <<'PY2'
import json, sys
ts = "2025-01-10T10:00:00.000Z"
a = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--1d1fd1b4-61a2-5d2f-9a63-2b5a6c1e4c01", "value": "10.1.2.3"}
b = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--4c6a9e2e-8b1f-5c3d-9e7a-0f1b2c3d4e02", "value": "10.9.9.9"}
od = {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--6c0b7f0e-9d3a-4f6b-8a2e-1b2c3d4e5f60",
      "created": ts, "modified": ts, "first_observed": ts, "last_observed": ts, "number_observed": 1,
      "object_refs": [a["id"], b["id"]]}
json.dump({"type": "bundle", "id": "bundle--6c0b7f0e-9d3a-4f6b-8a2e-1b2c3d4e5f61", "objects": [a, b, od]}, open(sys.argv[1], "w"))
PY2
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection sightings --user alice \
  --db "$T/src4.db" "$T/dup.json" 2>"$T/err")
ok [ $? -eq 0 ]
out=$(STORM_TAXII_PASSWORD=alice-password-1 "$STORM" publish --to "$SURL" --collection sightings --user alice \
  --db "$T/src4.db" "$T/dup.json" 2>"$T/err")
ok grep -q "published 0 objects in 0 envelopes" <<<"$out"

# discovery and the listing hand out UUIDs and URLs without aliases (taxii2client
# checks that a collection's URL holds its id)
listing=$(curl -s -u alice:alice-password-1 -H 'Accept: application/taxii+json;version=2.1' "${SURL%taxii2/}storm/collections/")
ok python3 -c '
import json, re, sys
cs = json.loads(sys.argv[1])["collections"]
sys.exit(0 if cs and all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", c["id"]) for c in cs) else 1)' "$listing"
ok [ "$(curl -s -u alice:alice-password-1 -H 'Accept: application/taxii+json;version=2.1' "$SURL" | grep -c 'indicators')" -eq 0 ]
# the store created the publish log and pull positions (migration 2)
ok [ "$(sqlite3 "$T/p8.db" 'pragma user_version')" -ge 2 ]
ok [ "$(sqlite3 "$T/p8.db" "select count(*) from sqlite_master where name in ('publish_log', 'pull_state')")" -eq 2 ]

echo "test_taxii_client: $pass passed, $fail failed"
[ $fail -eq 0 ]
