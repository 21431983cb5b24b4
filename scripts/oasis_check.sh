#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Judge what `storm convert`, `storm run` and `storm publish` (--dry-run: the
# objects it would send of a run's store) write on the whole corpus with the
# OASIS reference tools: the STIX 2.1 validator (strict, --extdef-ok, the
# UUIDv4 SHOULD {103} disabled: Storm's SDO/SRO ids are UUIDv5 on purpose, see
# docs/mapping.md), python-stix2's parse (allow_custom=False) and its SCO ids;
# the objects' x_* properties are validated against the JSON Schema of the
# extension-definitions in their bundle (jsonschema, draft 2020-12).
# Not run by the tests: CI has no OASIS tools.
#
# Usage: scripts/oasis_check.sh [STORM_BINARY] [CORPUS_DIR...]
#   STORM_BINARY  default build/src/cli/storm
#   CORPUS_DIR    default tests/data/corpus (and /work/shared/corpus when present)
# Environment: TOOLS (default /work/shared/tools/oasis), OASIS_DIR (default
#   /opt/oasis), OUT (work directory, default a fresh mktemp -d, kept).
# Prints one "N passed, M failed" line per check, and exits 1 when one failed.
# Units: a bundle (convert, run: one per line), or a file (publish: its
# standalone objects as one bundle).
set -uo pipefail
cd "$(dirname "$0")/.."
STORM=$(realpath "${1:-build/src/cli/storm}")
shift || true
corpora=("$@")
if [ ${#corpora[@]} -eq 0 ]; then
  corpora=(tests/data/corpus)
  [ -d /work/shared/corpus ] && corpora+=(/work/shared/corpus)
fi
TOOLS=${TOOLS:-/work/shared/tools/oasis}
OASIS_DIR=${OASIS_DIR:-/opt/oasis}
OUT=${OUT:-$(mktemp -d /tmp/storm-oasis.XXXXXX)}
mkdir -p "$OUT/convert" "$OUT/run" "$OUT/publish" "$OUT/db"
PY=/usr/bin/python3

# Sensor inputs: every JSON Lines file of the sensor directories.
n=0
for c in "${corpora[@]}"; do
  tag=$(basename "$(dirname "$(realpath "$c")")")-$(basename "$c")
  for f in "$c"/tetragon/*.jsonl "$c"/k8s-audit/*.jsonl "$c"/falco/*.jsonl "$c"/kubescape/*.jsonl \
           "$c"/hubble/*.jsonl; do
    [ -f "$f" ] || continue
    name=$tag-$(basename "$(dirname "$f")")-$(basename "$f" .jsonl)
    "$STORM" convert "$f" >"$OUT/convert/$name.jsonl" 2>/dev/null
    "$STORM" run -q --format stix -o "$OUT/run/$name.jsonl" "$f" 2>/dev/null
    # what storm publish would send of that run's sightings (redacted, TLP-marked)
    rm -f "$OUT/db/$name.db"
    "$STORM" run -q --format text -o /dev/null --db "$OUT/db/$name.db" "$f" 2>/dev/null
    "$STORM" publish --db "$OUT/db/$name.db" --to http://127.0.0.1:9/taxii2/ --collection sightings \
      --dry-run >"$OUT/publish/$name.jsonl" 2>/dev/null
    n=$((n + 1))
  done
done
echo "inputs: $n files; output in $OUT"

status=0
judge() { # label, files...
  local label=$1; shift
  local files=()
  for f in "$@"; do [ -s "$f" ] && files+=("$f"); done
  if [ ${#files[@]} -eq 0 ]; then echo "$label: no output"; return; fi
  local v ids p
  v=$("$TOOLS/stix_validate.sh" --extdef-ok --disable 103 --as-bundle -q "${files[@]}" | tee "$OUT/$label.validator.txt" | tail -1)
  ids=$("$PY" "$TOOLS/stix_ids_check.py" -q "${files[@]}" | tee "$OUT/$label.ids.txt" | tail -1)
  p=$(PYTHONPATH="$OASIS_DIR/cti-python-stix2:$OASIS_DIR/cti-pattern-validator:$OASIS_DIR/pylib" \
      "$PY" - "${files[@]}" <<'PY' 2>&1 | tee "$OUT/$label.stix2.txt" | tail -1
import json, sys, warnings
import jsonschema
import stix2
warnings.simplefilter("ignore")
ok = bad = 0


validators = {}  # schema text -> validator (the same few recur in every bundle)


def schema_check(objects):
    """every extension-definition's schema is a JSON Schema its objects meet"""
    schemas = {}
    for o in objects:
        if o["type"] == "extension-definition" and o["schema"].startswith("{"):
            if o["schema"] not in validators:
                s = json.loads(o["schema"])
                jsonschema.Draft202012Validator.check_schema(s)
                validators[o["schema"]] = jsonschema.Draft202012Validator(s)
            schemas[o["id"]] = validators[o["schema"]]
    for o in objects:
        for ext in o.get("extensions", {}):
            if ext in schemas:
                schemas[ext].validate(o)


for path in sys.argv[1:]:
    loose = []  # standalone objects (storm publish --dry-run): one unit per file
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            stix2.parse(obj, allow_custom=False)
            if obj["type"] == "bundle":
                schema_check(obj["objects"])
                ok += 1
            else:
                loose.append(obj)
        except Exception as e:
            bad += 1
            print("FAIL %s:%d: %s: %s" % (path, no, type(e).__name__, str(e).splitlines()[0][:300]))
    if loose:
        try:
            schema_check(loose)
            ok += 1
        except Exception as e:
            bad += 1
            print("FAIL %s: %s: %s" % (path, type(e).__name__, str(e).splitlines()[0][:300]))
print("%d passed, %d failed" % (ok, bad))
PY
)
  echo "$label  OASIS validator (strict, --extdef-ok, {103} off): $v"
  echo "$label  python-stix2 parse (allow_custom=False), x_* properties meet their definition's JSON Schema: $p"
  echo "$label  SCO ids equal python-stix2's:                     $ids"
  for r in "$v" "$p" "$ids"; do
    case "$r" in *" 0 failed") ;; *) status=1 ;; esac
  done
}
judge convert "$OUT"/convert/*.jsonl
judge run "$OUT"/run/*.jsonl
judge publish "$OUT"/publish/*.jsonl
exit $status
