# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by bench_run.sh and bench_workers.sh: the stream files they share.
# bench_stream KIND EVENTS FILE: FILE holds EVENTS events of the bench stream
# KIND (mixed; kprobe: gen_stream.py --kprobe; kprobe-attack: gen_stream.py
# --kprobe-attack, the attack-heavy variant), generated when missing, empty
# or older than gen_stream.py (deterministic, so a stream made by either
# script serves both; a changed generator makes it again).
bench_stream() {
  local kind=$1 events=$2 file=$3 flag=()
  [ -s "$file" ] && [ "$file" -nt bench/gen_stream.py ] && return 0
  case $kind in
    kprobe | kprobe-attack) flag=("--$kind") ;;
  esac
  python3 bench/gen_stream.py "${flag[@]}" "$events" > "$file"
}
