#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: install the dependencies (Debian packages),
# build Storm into build/, then run the main job on real sensor events from
# tests/data/corpus with the shipped attack models (models/), into an embedded
# SQLite file, and show the sightings as text.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STORM_BUILD_DIR:-build}
scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=debugoptimized
fi
ninja -C "$build"
storm=$build/src/cli/storm

out=${STORM_DEMO_DIR:-$build/demo}
mkdir -p "$out"
db="$out/storm.db"
rm -f "$db" "$db-wal" "$db-shm"
corpus=tests/data/corpus
inputs=(
  "$corpus"/tetragon/honeycluster-kubehound-calibration.jsonl
  "$corpus"/tetragon/tetragon-book-security-observability.jsonl
  "$corpus"/tetragon/tetragon-docs-examples.jsonl
  "$corpus"/k8s-audit/falco-trace-files-k8s-audit.jsonl
  "$corpus"/k8s-audit/falco-trace-files-psp.jsonl
  "$corpus"/falco/falco-website-alerts.jsonl
  "$corpus"/kubescape/honeycluster-webapp-ping.jsonl
)

echo "== the attack model (storm models tree models/)"
"$storm" models tree models/
echo
echo "== storm run --models models/ --db $db --format text (real events from $corpus)"
status=0
"$storm" run --models models/ --db "$db" --identity demo-cluster --format text \
  --stats-json "$out/stats.json" "${inputs[@]}" || status=$?
echo
echo "== what the store holds ($db)"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$db" "select c.alias, o.type, count(*) from objects o join collections c on c.key = o.collection
                 group by 1, 2 order by 1, 2;"
fi
echo "statistics: $out/stats.json"
# exit 1 from storm run only means some input lines were malformed (reported above)
[ "$status" -le 1 ] || exit "$status"
if [ -f ui/dist/index.html ] && "$storm" serve --help 2>/dev/null | grep -q -- --ui; then
  echo
  echo "== the web UI: $storm serve --ui --db $db   (then open the URL it prints, e.g. http://127.0.0.1:9000/ui/)"
fi
