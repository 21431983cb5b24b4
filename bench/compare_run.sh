#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Same output from two storm binaries (e.g. before and after a change to
# matching): runs `storm run -q` of each on every sensor file of the corpus
# (tests/data/corpus/{tetragon,k8s-audit,falco,kubescape,hubble}) and on the
# extra files given, with the shipped models, then with the shipped models
# plus generated indicators (bench/gen_indicators.py), under each
# --correlate, and compares the output byte for byte. Prints one line per
# run and ends with "N same, M different" (exit 1 when any differ).
# Usage: bench/compare_run.sh OLD_STORM NEW_STORM [FILE...]
#   COMPARE_INDICATORS  generated indicators (default 1000)
#   COMPARE_CORRELATE   --correlate values (default "pod global node lineage")
#   COMPARE_OLD_ARGS, COMPARE_NEW_ARGS  more options for one side only
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=${COMPARE_INDICATORS:-1000}
python3 bench/gen_indicators.py "$n" > "$work/gen.json"
files=(tests/data/corpus/{tetragon,k8s-audit,falco,kubescape,hubble}/*.json*)
files+=("$@")
same=0 diff=0
for f in "${files[@]}"; do
  for corr in ${COMPARE_CORRELATE:-pod global node lineage}; do
    for extra in "" "--models $work/gen.json"; do
      # shellcheck disable=SC2086
      "$old" run -q ${COMPARE_OLD_ARGS:-} --correlate "$corr" --models models/ $extra "$f" > "$work/old" 2>/dev/null || true
      # shellcheck disable=SC2086
      "$new" run -q ${COMPARE_NEW_ARGS:-} --correlate "$corr" --models models/ $extra "$f" > "$work/new" 2>/dev/null || true
      lines=$(wc -l < "$work/old")
      if cmp -s "$work/old" "$work/new"; then
        same=$((same + 1))
        echo "same      $f --correlate $corr ${extra:+(+$n generated)} ($lines lines)"
      else
        diff=$((diff + 1))
        echo "DIFFERENT $f --correlate $corr ${extra:+(+$n generated)} ($lines vs $(wc -l < "$work/new") lines)"
      fi
    done
  done
done
echo "$same same, $diff different"
[ "$diff" -eq 0 ]
