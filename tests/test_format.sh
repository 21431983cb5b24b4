#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every C file git tracks is formatted as the tree's .clang-format says
# (clang-format --dry-run --Werror): one style, checked in every test run.
set -uo pipefail
cd "${STORM_SOURCE_ROOT:?}" || exit 1
passed=0 failed=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null) || files=$(find src include tests bench -name '*.[ch]')
for f in $files; do
    if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $f is not formatted (run: clang-format -i $f)"
    fi
done
echo "test_format: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
