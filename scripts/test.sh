#!/usr/bin/env bash
# Installs what the tests need, builds Storm three times (optimised; with
# AddressSanitizer + UndefinedBehaviorSanitizer; the minimal configuration
# -Dtaxii=disabled -Dhyperscan=disabled -Dkafka=disabled -Dredis=disabled
# -Dpostgresql=disabled) and
# runs every test in each.
# Ends with one line "N passed, M failed" over all checks of all test programs.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test || exit 1

status=0
run_suite() { # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier 3 || status=1
}
run_suite build --buildtype=debugoptimized || status=1
run_suite build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false || status=1
# The minimal configuration (no TAXII/HTTP intake, no Hyperscan), unoptimised
# to build quickly: every documented option must build and pass its tests.
run_suite build-min --buildtype=plain -Dtaxii=disabled -Dhyperscan=disabled -Dkafka=disabled -Dredis=disabled \
  -Dpostgresql=disabled || status=1

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json build-min/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {path}")
        continue
    for line in lines:
        t = json.loads(line)
        counts = re.findall(r": (\d+) passed, (\d+) failed", t.get("stdout", ""))
        p = sum(int(a) for a, _ in counts)
        f = sum(int(b) for _, b in counts)
        if t["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
            f = 1  # crashed or failed before reporting its counts
        if not counts and t["result"] == "OK":
            p = 1
        passed += p
        failed += f
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || status=1
exit $status
