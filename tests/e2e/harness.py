# SPDX-License-Identifier: Apache-2.0
"""What the Python end-to-end tests share: where the source tree and the
storm binary are, counting checks, and the closing "N passed, M failed"
line the test runner adds up."""
import os
import subprocess
import sys

ROOT = os.environ.get("STORM_SOURCE_ROOT", ".")
STORM = os.environ.get("STORM_BIN", "storm")
counts = {"passed": 0, "failed": 0}


def check(cond, what):
    counts["passed" if cond else "failed"] += 1
    if not cond:
        print("FAIL:", what, file=sys.stderr)


def run(args, stdin=None, timeout=300):
    """storm ARGS..., output captured."""
    return subprocess.run([STORM] + args, input=stdin, capture_output=True, timeout=timeout)


def report(name):
    """Print the counts; the exit status for sys.exit."""
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0
