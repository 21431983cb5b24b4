# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by bench_run.sh and bench_workers.sh: the stream files they share.
# bench_stream KIND EVENTS FILE: FILE holds EVENTS events of the bench stream
# KIND (mixed, or kprobe: gen_stream.py --kprobe), generated when missing or
# empty (deterministic, so a stream made by either script serves both).
bench_stream() {
  local kind=$1 events=$2 file=$3 flag=()
  [ -s "$file" ] && return 0
  [ "$kind" = kprobe ] && flag=(--kprobe)
  python3 bench/gen_stream.py "${flag[@]}" "$events" > "$file"
}
