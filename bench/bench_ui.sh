#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On-demand benchmark of the web UI (not a test): builds a store with about
# 10,000 sightings from bench/gen_stream.py (EVENTS synthetic events from the
# real corpus, default 120000) with storm run --db and the shipped models,
# then measures page loads and graph drawing in headless chromium
# (bench/bench_ui.mjs: figures beside a floor measured in the same run).
#
#   bench/bench_ui.sh [STORM_BIN]        (default build/src/cli/storm)
#   EVENTS=120000 ROUNDS=3 bench/bench_ui.sh
#   BIG_DB=/tmp/big.db bench/bench_ui.sh  (measure a store built before)
#
# Needs scripts/ui_build.sh (ui/dist, playwright-core) and /usr/bin/chromium
# (scripts/deps.sh --test).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STORM=${1:-${STORM_BIN:-$ROOT/build/src/cli/storm}}
EVENTS=${EVENTS:-120000}
[[ -x $STORM ]] || { echo "bench_ui: no storm binary at $STORM (build first, or pass its path)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/storm-bench-ui.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
if [[ -n ${BIG_DB:-} ]]; then
  # a store built before (BIG_DB=FILE): measure it again without the run
  DB=$BIG_DB
else
  DB=$WORK/big.db
  python3 "$ROOT/bench/gen_stream.py" "$EVENTS" > "$WORK/stream.jsonl"
  start=$(date +%s.%N)
  "$STORM" run --db "$DB" --format text "$WORK/stream.jsonl" 2>"$WORK/run.log" >/dev/null || [ $? -le 1 ]
  echo "storm run: $(tail -1 "$WORK/run.log") ($(python3 -c "print(round($(date +%s.%N) - $start, 1))") s wall)"
fi
node "$ROOT/bench/bench_ui.mjs" "$STORM" "$DB"
