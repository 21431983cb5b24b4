#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `storm run` (on demand, not a test). Builds a release build in
# build-bench/, generates a realistic stream from the real corpus
# (gen_stream.py: Tetragon, Kubescape, audit; pods, binaries, paths, times
# varied), measures the line-reading floor (getline) and the JSON-library
# floor (cJSON) on it, then runs storm run with 1, 100, 1,000 and 10,000
# indicators (gen_indicators.py: equality, IN, LIKE, MATCHES, sequences) and
# reports events/s per core (storm run is single-threaded; CPU time of the
# processing, after the models are loaded, so that a shared machine does not
# distort it; the one-time startup is reported apart), MB/s and peak RSS.
# Usage: bench/bench_run.sh [EVENTS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
build=${STORM_BENCH_BUILD:-build-bench}
work=${STORM_BENCH_DIR:-$build/bench-run}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" src/cli/storm bench/bench_floor >/dev/null
mkdir -p "$work"
stream="$work/stream-$events.jsonl"
if [ ! -s "$stream" ]; then
  echo "generating $events events ..."
  python3 bench/gen_stream.py "$events" > "$stream"
fi
mb=$(stat -c %s "$stream")
echo "stream: $stream ($events events, $((mb / 1000000)) MB)"
floors=$("$build/bench/bench_floor" "$stream")
read -r _ n_lines t_lines _ _ < <(grep '^lines' <<<"$floors")
read -r _ n_cjson t_cjson _ _ < <(grep '^cjson' <<<"$floors")
printf "%-22s %12s %10s %10s\n" "what" "events/s/core" "MB/s" "peak RSS"
awk -v n="$n_lines" -v t="$t_lines" -v b="$mb" 'BEGIN{printf "%-22s %12.0f %10.1f %10s\n", "floor: getline", n/t, b/t/1e6, "-"}'
awk -v n="$n_cjson" -v t="$t_cjson" -v b="$mb" 'BEGIN{printf "%-22s %12.0f %10.1f %10s\n", "floor: cJSON parse", n/t, b/t/1e6, "-"}'
for n in 1 100 1000 10000; do
  models="$work/models-$n.json"
  [ -s "$models" ] || python3 bench/gen_indicators.py "$n" > "$models"
  stats="$work/stats-$n.json"
  /usr/bin/time -f "%M" -o "$work/rss-$n" "$build/src/cli/storm" run -q --models "$models" \
    --stats-json "$stats" "$stream" > "$work/out-$n.jsonl" || [ $? -le 1 ]
  rss_kb=$(tail -1 "$work/rss-$n")
  python3 - "$stats" "$mb" "$rss_kb" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
mb, rss, n = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secs = s["processing_cpu_seconds"]
print("%-22s %12.0f %10.1f %8.1f MB   (startup %.2f s; %d sightings, %d observations matched, %d leaves, "
      "%d regex in Hyperscan, %d evicted; wall %.1f s)" % (
    "storm run, %s ind." % n, s["events_read"] / secs, mb / secs / 1e6, rss / 1024.0, s["startup_seconds"],
    s["sightings"], s["observations_matched"], s["leaves"], s["regex_prefiltered"], s["states_evicted"],
    s["seconds"]))
PY
done
