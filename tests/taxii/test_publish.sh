#!/usr/bin/env bash
# End-to-end: a real `storm serve` on loopback, `storm publish` pushing
# redacted, marked objects in several envelopes, re-publishing sending
# nothing new, `storm pull` fetching indicators and resuming, and a wrong
# password refused. Checked with curl against the server.
set -u
STORM=${STORM_BIN:?}
T=$(mktemp -d /tmp/storm-publish-XXXXXX)
pass=0 fail=0
ok() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL line ${BASH_LINENO[0]}: $*" >&2; fi; }
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
# the stores: SQLite files, or PostgreSQL databases under tests/pg_run.sh
. "$(dirname "${BASH_SOURCE[0]}")/../store_db.sh"
HUB=$(store_db "$T" hub.db) SRC=$(store_db "$T" src.db) SHARE=$(store_db "$T" share.db) PULL=$(store_db "$T" pull.db)
cd "$T" || exit 1 # storm publish's default redaction key of a database URL is ./storm-redact.key

# 60 indicators and one sighting with its evidence (private addresses, pod names)
python3 - "$T" <<'PY'
import json, sys, uuid
t = sys.argv[1]
ns = uuid.UUID("6a0e0b5e-1c0d-4b8b-9b43-0b7e7b0b7a11")
def uid(kind, n): return f"{kind}--{uuid.uuid5(ns, f'{kind}{n}')}"
ts = "2025-01-10T10:00:00.000Z"
ind = [{"type": "indicator", "spec_version": "2.1", "id": uid("indicator", i), "created": ts, "modified": ts,
        "name": f"test indicator {i}", "pattern": f"[process:name = 'tool{i}']", "pattern_type": "stix",
        "valid_from": ts, "description": "x" * 300} for i in range(60)]
json.dump({"type": "bundle", "id": uid("bundle", 1), "objects": ind}, open(f"{t}/indicators.json", "w"))
ip = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
proc = "process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b"
od = {"type": "observed-data", "spec_version": "2.1", "id": uid("observed-data", 1), "created": ts, "modified": ts,
      "first_observed": ts, "last_observed": ts, "number_observed": 1, "object_refs": [proc, ip]}
objs = [od,
        {"type": "process", "spec_version": "2.1", "id": proc, "command_line": "curl http://10.96.0.1/ -H 'Authorization: Bearer abcdefghijklmnopq'",
         "x_k8s_pod": "payments-api-7d9f8b6c5-x2k4q", "x_k8s_namespace": "payments",
         "extensions": {"extension-definition--792bd6e5-c4b4-40ca-ad6b-d2bd57312470": {"extension_type": "toplevel-property-extension"}}},
        {"type": "ipv4-addr", "spec_version": "2.1", "id": ip, "value": "10.244.1.17"},
        {"type": "sighting", "spec_version": "2.1", "id": uid("sighting", 1), "created": ts, "modified": ts,
         "sighting_of_ref": ind[0]["id"], "observed_data_refs": [od["id"]], "count": 1}]
json.dump({"type": "bundle", "id": uid("bundle", 2), "objects": objs}, open(f"{t}/sighting.json", "w"))
PY

printf 'correct horse\n' | "$STORM" users --file "$T/users" add alice >/dev/null
"$STORM" users --file "$T/users" grant alice rw '*' >/dev/null
printf 'battery staple\n' | "$STORM" users --file "$T/users" add reader >/dev/null
"$STORM" users --file "$T/users" grant reader read '*' >/dev/null

for try in 1 2 3 4 5; do
  PORT=$((20000 + (RANDOM % 20000)))
  "$STORM" serve --db "$HUB" --users "$T/users" --listen "127.0.0.1:$PORT" --max-content-length 16384 \
    2>"$T/serve.log" &
  SERVER=$!
  for i in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/taxii2/" -H 'Accept: application/taxii+json;version=2.1' && break
    sleep 0.1
  done
  kill -0 "$SERVER" 2>/dev/null && break
done
URL="http://127.0.0.1:$PORT/storm/"
export STORM_TAXII_PASSWORD='correct horse'

# publish indicators: the 16 KiB cap forces several envelopes
out=$("$STORM" publish --to "$URL" --collection indicators --user alice --db "$SRC" --no-redact \
  "$T/indicators.json" 2>"$T/err")
rc=$?
ok [ $rc -eq 0 ]
ok grep -q "published 62 objects" <<<"$out"  # 60 indicators + identity + TLP marking
envelopes=$(sed -n 's/.* in \([0-9]*\) envelopes.*/\1/p' <<<"$out")
ok [ "${envelopes:-0}" -ge 3 ]
ok grep -q "62 succeeded, 0 failed" <<<"$out"

# re-publishing sends nothing new
out=$("$STORM" publish --to "$URL" --collection indicators --user alice --db "$SRC" --no-redact \
  "$T/indicators.json" 2>/dev/null)
ok grep -q "published 0 objects in 0 envelopes" <<<"$out"
ok grep -q "62 already published" <<<"$out"

# the sighting, redacted by default, marked TLP:AMBER
out=$("$STORM" publish --to "$URL" --collection sightings --user alice --db "$SRC" --tlp amber \
  "$T/sighting.json" 2>"$T/err")
ok [ $? -eq 0 ]
ok grep -q "redacted" "$T/err"
case "$SRC" in
  postgresql://*) ok [ -s "$T/storm-redact.key" ] ;;
  *) ok [ -s "$T/src.db.redact.key" ] ;;
esac
body=$(curl -s -u 'reader:battery staple' -H 'Accept: application/taxii+json;version=2.1' \
  "${URL}collections/$(curl -s -u 'reader:battery staple' -H 'Accept: application/taxii+json;version=2.1' "${URL}collections/" |
    python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin)["collections"] if c.get("alias")=="sightings"][0])')/objects/?limit=100")
for leak in 10.244.1.17 10.96.0.1 abcdefghijklmnopq payments-api-7d9f8b6c5-x2k4q '"payments"' ff26c055-6336-5bc5-b98d-13d6226742dd; do
  ok [ "$(grep -c -- "$leak" <<<"$body")" -eq 0 ]
done
ok grep -q '10.0.0.0/8' <<<"$body"
ok grep -q 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421' <<<"$body"
ok grep -q '"sighting"' <<<"$body"
# self-contained: the extension-definition the process uses, and Storm's identity, went too
ok grep -q '"id":"extension-definition--792bd6e5-c4b4-40ca-ad6b-d2bd57312470"' <<<"$body"
ok grep -q '"id":"identity--016f8401-f37e-4a6b-851d-8e204aaa8f91"' <<<"$body"
# re-publishing the sighting (SCOs included) sends nothing new
out=$("$STORM" publish --to "$URL" --collection sightings --user alice --db "$SRC" --tlp amber \
  "$T/sighting.json" 2>/dev/null)
ok grep -q "published 0 objects in 0 envelopes" <<<"$out"

# --to-db: the same preparation into a local collection, for storm serve --collections
out=$("$STORM" publish --to-db "$SHARE" --collection shared --db "$SRC" "$T/sighting.json" 2>/dev/null)
ok [ $? -eq 0 ]
ok grep -q "in collection shared" <<<"$out"
n=$(store_sql "$SHARE" "select count(*) from objects o join collections c on o.collection = c.key where c.alias = 'shared'" 2>/dev/null || echo 0)
ok [ "${n:-0}" -ge 6 ]
ok [ "$(store_sql "$SHARE" "select count(*) from objects where json like '%10.244.1.17%'")" -eq 0 ]

# pull the indicators into another store, then again: nothing new
out=$(env -u STORM_TAXII_PASSWORD "$STORM" pull --from "${URL%storm/}taxii2/" --collection indicators --user reader --db "$PULL" \
  --out "$T/pulled.json" --limit 7 <<<'battery staple')
ok [ $? -eq 0 ]
ok grep -q "pulled 60 objects" <<<"$out"
ok grep -q "60 new" <<<"$out"
ok [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$T/pulled.json")" -eq 60 ]
out=$(env -u STORM_TAXII_PASSWORD "$STORM" pull --from "$URL" --collection indicators --user reader --db "$PULL" <<<'battery staple')
ok grep -q "pulled 0 objects" <<<"$out"

# a wrong password is refused and nothing is sent
out=$(STORM_TAXII_PASSWORD=wrong "$STORM" publish --to "$URL" --collection indicators --user alice \
  --no-redact "$T/indicators.json" 2>&1)
ok [ $? -eq 1 ]
ok grep -q "401" <<<"$out"
# a reader may not write
out=$(STORM_TAXII_PASSWORD='battery staple' "$STORM" publish --to "$URL" --collection indicators --user reader \
  --no-redact "$T/sighting.json" 2>&1)
ok [ $? -eq 1 ]
# usage errors
"$STORM" publish --to "$URL" >/dev/null 2>&1; ok [ $? -eq 2 ]
"$STORM" pull --from "$URL" --collection x >/dev/null 2>&1; ok [ $? -eq 2 ]
"$STORM" publish --to "$URL" --collection indicators --tlp purple "$T/indicators.json" >/dev/null 2>&1; ok [ $? -eq 2 ]

echo "test_publish${STORM_TEST_PG_URL:+ (PostgreSQL)}: $pass passed, $fail failed"
[ $fail -eq 0 ]
