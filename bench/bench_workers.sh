#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `storm run --workers N` against one worker (on demand, not a
# test; issue 16: --workers 2 at least 1.8x one worker on 2 cores). Uses the
# release build and the streams of bench_run.sh (gen_stream.py: mixed, and
# kprobe-heavy), the shipped models (models/) plus COUNT generated
# indicators, default options, output to /dev/null, pinned to the first
# CORES cores. For each stream and worker count it reports:
#   wall s     wall time, start-up (models, detectors: one per worker and one
#              for the sink) included: what a user waits;
#   events/s   events over that wall time;
#   x wall     one worker's wall time over this one's (the speed-up);
#   cpu s      user + system CPU time of the whole run (every thread);
#   proc s     wall time of the processing alone (--stats-json);
#   x proc     the same ratio over the processing alone;
#   threads' CPU s (N > 1): the CPU time of each of the N threads (the
#              first is the calling thread's, which reads; start-up
#              included): the CPU time over the cores bounds the speed-up;
# and the load average before each run (the machine may be shared: figures
# taken under load understate the speed-up; compare runs of low load). The
# first run of each stream warms the regex cache (--cache-dir in the work
# dir), so every measured run starts from the same warm cache.
# Usage: bench/bench_workers.sh [EVENTS [STREAMS [WORKERS [COUNT [CORES]]]]]
#   EVENTS   events per stream (default 200000)
#   STREAMS  "mixed kprobe" (default), any of them, or kprobe-attack
#   WORKERS  worker counts (default "1 2"; the first is the reference)
#   COUNT    generated indicators beside the shipped models (default 1000)
#   CORES    cores to pin to (default 2)
# STORM_BENCH_BUILD (build dir), STORM_BENCH_DIR (work dir), STORM_BENCH_REPEAT
# (runs per figure, the fastest kept; default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench_stream.sh
. bench/bench_stream.sh
events=${1:-200000}
streams=${2:-mixed kprobe}
workers=${3:-1 2}
count=${4:-1000}
cores=${5:-2}
repeat=${STORM_BENCH_REPEAT:-1}
build=${STORM_BENCH_BUILD:-build-bench}
work=${STORM_BENCH_DIR:-$build/bench-run}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" src/cli/storm >/dev/null
storm=$build/src/cli/storm
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "0-$((cores - 1))"); fi
mkdir -p "$work"
models=(--models models/)
if [ "$count" -gt 0 ]; then
  gen="$work/models-$count.json"
  [ -s "$gen" ] || python3 bench/gen_indicators.py "$count" > "$gen"
  models+=(--models "$gen")
fi
echo "storm: $storm; $(nproc) cores, pinned: ${pin[*]:-no}; models/ + $count generated indicators"
for kind in $streams; do
  stream="$work/stream-$kind-$events.jsonl"
  bench_stream "$kind" "$events" "$stream"
  cache="$work/cache-workers"
  "$storm" run -q "${models[@]}" --cache-dir "$cache" -o /dev/null /dev/null || true # warm the cache
  echo
  echo "stream $kind: $stream ($events events, $(($(stat -L -c %s "$stream") / 1000000)) MB)"
  printf "%-10s %8s %10s %7s %8s %8s %7s %6s %11s %9s\n" workers "wall s" "events/s" "x wall" "cpu s" "proc s" \
    "x proc" "load" sightings "RSS MB"
  ref_wall="" ref_proc=""
  for n in $workers; do
    best=""
    for _ in $(seq "$repeat"); do
      load=$(cut -d' ' -f1 /proc/loadavg)
      stats="$work/stats-workers-$kind-$n.json"
      /usr/bin/time -f "%e %U %S %M" -o "$work/time-workers" "${pin[@]}" "$storm" run -q "${models[@]}" \
        --cache-dir "$cache" --workers "$n" --stats-json "$stats" -o /dev/null "$stream" || true
      read -r wall user sys rss < "$work/time-workers"
      proc=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sh=d.get('shard_cpu_seconds', []); \
print(d['processing_seconds'], d['events_read'], d['sightings'], d.get('reader_cpu_seconds', 0), \
d.get('sink_cpu_seconds', 0), '/'.join('%.2f' % x for x in sh) or '-')" "$stats")
      read -r psecs nev nsig rcpu scpu shcpu <<<"$proc"
      if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then
        best="$wall $user $sys $rss $psecs $nev $nsig $load $rcpu $scpu $shcpu"
      fi
    done
    read -r wall user sys rss psecs nev nsig load rcpu scpu shcpu <<<"$best"
    [ -n "$ref_wall" ] || { ref_wall=$wall; ref_proc=$psecs; }
    awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v p="$psecs" -v e="$nev" -v g="$nsig" \
      -v l="$load" -v rw="$ref_wall" -v rp="$ref_proc" 'BEGIN{
      printf "%-10s %8.2f %10.0f %7.2f %8.2f %8.2f %7.2f %6s %11s %9.0f\n", n, w, e / w, rw / w, u + s, p, rp / p, l,
        g, r / 1024}'
    if [ "$shcpu" != "-" ]; then
      echo "           threads' CPU s: $shcpu (the first reads; start-up included)"
    fi
  done
done
