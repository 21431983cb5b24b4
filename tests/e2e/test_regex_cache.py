#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""storm run --cache-dir: the compiled regex databases are stored on the
first run and loaded on the next (regex_cached in --stats-json), the output
is the same whether they were compiled, loaded, or the cache file was cut
short, corrupted or swapped for another set's (then it is compiled and
written again), and --no-cache keeps nothing."""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report, run  # noqa: E402

EVENTS = os.path.join(ROOT, "tests", "data", "corpus", "tetragon", "honeycluster-kubehound-calibration.jsonl")
MODELS = os.path.join(ROOT, "models")


def storm_run(tmp, cache, extra=()):
    stats = os.path.join(tmp, "stats.json")
    args = ["run", "-q", "--models", MODELS, "--stats-json", stats]
    args += ["--cache-dir", cache] if cache else ["--no-cache"]
    r = run(args + list(extra) + [EVENTS])
    check(r.returncode in (0, 1), "storm run exits 0 or 1, got %d: %s" % (r.returncode, r.stderr[-300:]))
    return r.stdout, json.load(open(stats))


with tempfile.TemporaryDirectory() as tmp:
    cache = os.path.join(tmp, "cache", "storm")
    out0, s0 = storm_run(tmp, None)
    check(s0["regex_cached"] == 0, "--no-cache loads nothing")
    check(s0["regex_prefiltered"] > 0, "the shipped models have regexes in Hyperscan (else nothing to cache)")
    check(len(out0) > 0, "the corpus file is sighted")

    out1, s1 = storm_run(tmp, cache)
    files = sorted(glob.glob(os.path.join(cache, "hs-*.db")))
    check(s1["regex_cached"] == 0, "first run: compiled, not loaded")
    check(len(files) > 0, "first run stores databases in the cache directory")
    check(out1 == out0, "same output with a cache being filled")

    out2, s2 = storm_run(tmp, cache)
    check(s2["regex_cached"] == len(files), "second run loads every stored database (%d of %d)" %
          (s2["regex_cached"], len(files)))
    check(out2 == out0, "same output from loaded databases")

    # damage each way: cut short, bytes flipped, another database's bytes
    big = max(files, key=os.path.getsize)
    good = open(big, "rb").read()
    for what, data in (("cut short", good[: len(good) // 2]),
                       ("corrupted", good[:100] + bytes(b ^ 0x5A for b in good[100:200]) + good[200:]),
                       ("empty", b""),
                       ("another set's", open(min(files, key=os.path.getsize), "rb").read()
                        if len(files) > 1 else b"STORMHS1garbage")):
        with open(big, "wb") as f:
            f.write(data)
        out3, s3 = storm_run(tmp, cache)
        check(s3["regex_cached"] == len(files) - 1, "%s cache file: ignored, the others loaded (%d)" %
              (what, s3["regex_cached"]))
        check(out3 == out0, "%s cache file: same output" % what)
        check(open(big, "rb").read() == good, "%s cache file: compiled and written again" % what)

    # a cache directory that cannot be written: no cache, same output
    blocked = os.path.join(tmp, "file-not-dir")
    open(blocked, "w").close()
    out4, s4 = storm_run(tmp, os.path.join(blocked, "sub"))
    check(out4 == out0 and s4["regex_cached"] == 0, "unwritable cache directory: compiled, same output")

    # indicators without any regex: no database to build or load, and a run
    no_regex = os.path.join(tmp, "no-regex.json")
    with open(no_regex, "w") as f:
        json.dump({"type": "indicator", "spec_version": "2.1", "id": "indicator--11111111-1111-4111-8111-111111111111",
                   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                   "pattern": "[process:name = 'kubectl']", "pattern_type": "stix",
                   "valid_from": "2026-01-01T00:00:00.000Z"}, f)
    r = run(["run", "-q", "--models", no_regex, "--cache-dir", os.path.join(tmp, "none"), EVENTS])
    check(r.returncode in (0, 1) and b"out of memory" not in r.stderr,
          "indicators without a regex run: %d %s" % (r.returncode, r.stderr[-200:]))
    check(not glob.glob(os.path.join(tmp, "none", "hs-*.db")), "indicators without a regex: no database stored")

    # the databases are compiled on as many threads as there are CPUs: what
    # one CPU builds (one thread) is what several build, byte for byte
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1:
        one_cpu = os.path.join(tmp, "one-cpu")
        stats = os.path.join(tmp, "stats1.json")
        cpu = min(os.sched_getaffinity(0))
        r = subprocess.run([STORM, "run", "-q", "--models", MODELS, "--stats-json", stats, "--cache-dir", one_cpu,
                            EVENTS], capture_output=True, timeout=300,
                           preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
        check(r.returncode in (0, 1) and r.stdout == out0, "compiled on one CPU: same output")
        ones = sorted(glob.glob(os.path.join(one_cpu, "hs-*.db")))
        check([os.path.basename(f) for f in ones] == [os.path.basename(f) for f in files] and
              all(open(a, "rb").read() == open(b, "rb").read() for a, b in zip(ones, files)),
              "compiled on one CPU: the same %d database files as on %d CPUs" %
              (len(files), len(os.sched_getaffinity(0))))

sys.exit(report("test_regex_cache"))
