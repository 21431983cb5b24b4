#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `storm run` (on demand, not a test). Builds a release build in
# build-bench/ and generates two streams from the real corpus (gen_stream.py):
#   mixed   Tetragon, Kubescape, audit; pods, binaries, paths, times varied;
#   kprobe  kprobe-heavy Tetragon (exec, security_file_permission, fd_install,
#           security_mmap_file, tcp_connect, ...; ~2 KB events): a node's
#           normal noise with the corpus's attack steps in one event in 50;
#   kprobe-attack  the same with attack tools in a quarter of the subjects
#           (about a third of events match): the stress case for sightings,
#           not run by default.
# On each it measures the floors in the same run (bench_floor: getline, cJSON
# parse, cJSON parse + extraction of the fields a decoder reads), then runs
# storm run, pinned to one core, with the shipped models (models/) plus 0,
# 100, 1,000 and 10,000 generated indicators (gen_indicators.py: equality,
# IN, LIKE, MATCHES, sequences). For each it reports:
#   wall x   cJSON parse+extract CPU time / storm run wall time, start-up
#            (loading and compiling the models) included: what a user waits;
#   cpu x    the same over storm run's CPU time (user + system, start-up
#            included), which a shared machine distorts less;
#   proc x   over the CPU time of the processing alone (--stats-json);
# ratios above 1 mean storm run is faster than parsing with cJSON; and the
# start-up, peak RSS, sightings, observations built and matched. Each run
# starts with an empty regex cache (--cache-dir in the work dir: the start-up
# is the cold one); "warm s" is the start-up of a second run over no events
# that finds the compiled databases there (a restart with the same models).
# Usage: bench/bench_run.sh [EVENTS [STREAMS [COUNTS]]]
#   EVENTS   events per stream (default 200000)
#   STREAMS  "mixed kprobe" (default), any of them, or kprobe-attack
#   COUNTS   generated indicator counts (default "0 100 1000 10000")
# STORM_BENCH_BUILD (build dir), STORM_BENCH_DIR (work dir), STORM_BENCH_ARGS
# (extra storm run options), STORM_BENCH_STORM (another storm binary, e.g.
# the one before a change: its figures then sit beside the floor of the same
# run).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench_stream.sh
. bench/bench_stream.sh
events=${1:-200000}
streams=${2:-mixed kprobe}
counts=${3:-0 100 1000 10000}
build=${STORM_BENCH_BUILD:-build-bench}
work=${STORM_BENCH_DIR:-$build/bench-run}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" src/cli/storm bench/bench_floor >/dev/null
storm=${STORM_BENCH_STORM:-$build/src/cli/storm}
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
mkdir -p "$work"
echo "storm: $storm; load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; pinned: ${pin[*]:-no}"
for kind in $streams; do
  stream="$work/stream-$kind-$events.jsonl"
  bench_stream "$kind" "$events" "$stream"
  mb=$(stat -L -c %s "$stream") # the stream may be a link to a shared one
  floors=$("${pin[@]}" "$build/bench/bench_floor" "$stream")
  read -r _ n_lines t_lines _ _ < <(grep '^lines' <<<"$floors")
  read -r _ _ t_cjson _ _ < <(grep '^cjson ' <<<"$floors")
  read -r _ _ t_floor _ _ < <(grep '^cjson_extract' <<<"$floors")
  echo
  echo "stream $kind: $stream ($n_lines events, $((mb / 1000000)) MB, $((mb / n_lines)) B/event)"
  awk -v n="$n_lines" -v a="$t_lines" -v b="$t_cjson" -v c="$t_floor" 'BEGIN{
    printf "floors (CPU s): getline %.3f  cJSON parse %.3f  cJSON parse+extract %.3f (%.0f events/s)\n", a, b, c, n/c}'
  printf "%-24s %7s %7s %7s %8s %8s %7s %9s %9s %10s %8s\n" "storm run" "wall x" "cpu x" "proc x" "wall s" \
    "start s" "warm s" "RSS MB" "sightings" "built" "matched"
  for n in $counts; do
    models=(--models models/)
    if [ "$n" -gt 0 ]; then
      gen="$work/models-$n.json"
      [ -s "$gen" ] || python3 bench/gen_indicators.py "$n" > "$gen"
      models+=(--models "$gen")
    fi
    tag="$kind-$n"
    stats="$work/stats-$tag.json"
    cache=()
    if "$storm" run --help 2>&1 | grep -q -- --cache-dir; then
      rm -rf "$work/cache-$tag"
      cache=(--cache-dir "$work/cache-$tag")
    fi
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S %M" -o "$work/time-$tag" "${pin[@]}" "$storm" run -q "${models[@]}" "${cache[@]}" \
      ${STORM_BENCH_ARGS:-} --stats-json "$stats" "$stream" > "$work/out-$tag.jsonl" || [ $? -le 1 ]
    # shellcheck disable=SC2086
    "${pin[@]}" "$storm" run -q "${models[@]}" "${cache[@]}" ${STORM_BENCH_ARGS:-} --stats-json "$stats.warm" \
      /dev/null > /dev/null || [ $? -le 1 ]
    python3 - "$stats" "$work/time-$tag" "$t_floor" "shipped + $n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
warm = json.load(open(sys.argv[1] + ".warm"))["startup_seconds"]
wall, user, system, rss = open(sys.argv[2]).read().split()[-4:]
wall, cpu, floor = float(wall), float(user) + float(system), float(sys.argv[3])
print("%-24s %7.2f %7.2f %7.2f %8.2f %8.2f %7.2f %9.1f %9d %10d %8d" % (
    sys.argv[4], floor / wall, floor / cpu, floor / s["processing_cpu_seconds"], wall, s["startup_seconds"], warm,
    int(rss) / 1024.0, s["sightings"], s["observations_built"], s["observations_matched"]))
PY
  done
done
