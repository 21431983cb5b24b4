#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The corpus replay must be able to fail: replay_broken (replay_main.c over
# broken_target.c) on a corpus with inputs that abort, crash and return 1
# counts each of them as failed, names it, runs the rest, and exits 1.
# Usage: test_replay.sh REPLAY_BROKEN_BINARY
set -u
REPLAY=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
check() { # what, command...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}

mkdir "$T/good" "$T/bad" "$T/empty"
printf 'ok' >"$T/good/ok1"
printf 'N' >"$T/good/reject"
printf 'ok' >"$T/bad/ok1"
printf 'ok too' >"$T/bad/ok2"
printf 'A' >"$T/bad/aborts"
printf 'S' >"$T/bad/segv"
printf 'R' >"$T/bad/returns1"

"$REPLAY" "$T/good" >"$T/out" 2>"$T/err"
check "a good corpus passes (exit 0)" test $? -eq 0
check "a good corpus counts its inputs" grep -qx 'replay: 2 passed, 0 failed' "$T/out"

"$REPLAY" "$T/bad" >"$T/out" 2>"$T/err"
check "a broken input fails the replay (exit 1)" test $? -eq 1
check "each broken input counts as failed, the others still run" grep -qx 'replay: 2 passed, 3 failed' "$T/out"
check "an abort is named" grep -q "aborts: FAILED, the target crashed (signal" "$T/err"
check "a crash is named" grep -q "segv: FAILED, the target crashed (signal" "$T/err"
check "a bad return value is named" grep -q "returns1: the target returned 1" "$T/err"

mkdir "$T/last"
printf 'S' >"$T/last/only"
"$REPLAY" "$T/last" >"$T/out" 2>"$T/err"
check "a crash on the last input fails and is named" grep -q "only: FAILED, the target crashed (signal" "$T/err"
check "a crash on the last input counts once" grep -qx 'replay: 0 passed, 1 failed' "$T/out"

"$REPLAY" "$T/empty" >"$T/out" 2>"$T/err"
check "an empty corpus fails (nothing was tested)" test $? -eq 1
"$REPLAY" "$T/missing" >"$T/out" 2>"$T/err"
check "a missing corpus fails" test $? -eq 1

echo "test_replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
