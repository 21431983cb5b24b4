#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory benchmark of `storm run` (on demand, not a test): whether its RSS
# stays flat over a long stream. Builds a release build in build-bench/,
# generates a 200,000-event kprobe-heavy stream once (bench_stream.sh
# kprobe-attack: the attack-heavy one, where a third of events match, so the
# sightings, sessions and temporal partial matches all fill up),
# and feeds storm run EVENTS events (default 25 million) through a pipe:
# stream_loop.py repeats the stream with the exec ids and times of each pass
# shifted, so no file of the whole run is written and every process is new.
# storm run has the shipped models (models/) and default options, and is
# pinned to one core and niced. Printed: the RSS (VmRSS of /proc/PID/status)
# at every million events, the peak RSS (the largest sample, taken every few
# seconds, and the kernel's high-water mark), CPU time and wall time.
# Usage: bench/bench_rss.sh [EVENTS [STEP]]
#   EVENTS   events to stream (default 25000000)
#   STEP     events between two RSS lines (default 1000000)
# STORM_BENCH_BUILD (build dir), STORM_BENCH_DIR (work dir), STORM_BENCH_STORM
# (another storm binary, e.g. the one before a change), STORM_BENCH_ARGS
# (extra storm run options).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench_stream.sh
. bench/bench_stream.sh
events=${1:-25000000}
step=${2:-1000000}
build=${STORM_BENCH_BUILD:-build-bench}
work=${STORM_BENCH_DIR:-$build/bench-run}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" src/cli/storm >/dev/null
storm=${STORM_BENCH_STORM:-$build/src/cli/storm}
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "$(($(nproc) - 1))"); fi
mkdir -p "$work"
base="$work/stream-kprobe-attack-200000.jsonl"
bench_stream kprobe-attack 200000 "$base"

fifo="$work/rss-stream.fifo"
rm -f "$fifo"
mkfifo "$fifo"
rm -rf "$work/cache-rss"
trap 'rm -f "$fifo"' EXIT
echo "storm: $storm; events: $events (looped $base); load: $(cut -d' ' -f1-3 /proc/loadavg); pinned: ${pin[*]:-no}"
# shellcheck disable=SC2086
/usr/bin/time -f "%e %U %S %M" -o "$work/time-rss" nice "${pin[@]}" "$storm" run -q --models models/ \
  --cache-dir "$work/cache-rss" --stats-json "$work/stats-rss.json" ${STORM_BENCH_ARGS:-} "$fifo" > /dev/null &
runner=$!
# the storm process itself (time and nice exec it, taskset too)
pid=""
for _ in $(seq 100); do
  pid=$(pgrep -P "$runner" -n || true)
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] && break
  sleep 0.1
done
python3 bench/stream_loop.py --rss-pid "${pid:-0}" --step "$step" "$base" "$events" > "$fifo"
wait "$runner"
read -r wall user sys maxkb < "$work/time-rss"
awk -v w="$wall" -v u="$user" -v s="$sys" -v m="$maxkb" -v n="$events" 'BEGIN{
  printf "peak RSS (kernel high-water mark) %.1f MB; wall %.0f s, CPU %.0f s (user %.0f + sys %.0f), %.0f events/CPU s\n",
    m / 1024, w, u + s, u, s, n / (u + s)}'
