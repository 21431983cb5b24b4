#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end: what the honeycluster's Vector pipeline ships, read by
`storm run`, and its attack models translated by `storm models import --from
ksc` (docs/mapping/vector-ksc.md). Data: tests/data/seed-pipeline/
(PROVENANCE.md there) and the corpus."""
import glob
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report, run  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
SEED = os.path.join(ROOT, "tests", "data", "seed-pipeline")


def stats(files, models=None):
    with tempfile.TemporaryDirectory() as d:
        sj = os.path.join(d, "stats.json")
        args = ["run", "-q", "--format", "text", "--stats-json", sj]
        for m in models or []:
            args += ["--models", m]
        r = run(args + files)
        check(r.returncode in (0, 1) and os.path.exists(sj), "storm run %s: exit %d %s" % (files, r.returncode, r.stderr[-300:]))
        try:
            return json.load(open(sj)), r.stdout.decode()
        except (OSError, ValueError):
            return {}, ""


def test_vector_payload_real_lines():
    s, _ = stats([os.path.join(SEED, "vector-tetragon-payload.jsonl")])
    check(s.get("events_decoded") == 13, "13 real Vector lines decoded: %s" % s.get("events_decoded"))
    check(s.get("events_rejected") == 0, "none rejected")
    check(s.get("sightings", 0) >= 1, "the nsenter calibration is sighted: %s" % s.get("sightings"))


def test_lifted_args_same_sightings():
    orig, orig_text = stats([os.path.join(CORPUS, "tetragon", "honeycluster-kubehound-calibration.jsonl")])
    lifted, lifted_text = stats([os.path.join(SEED, "vector-gke-tetragon-calibration.jsonl")])
    # 20 with the KubeHound steps of issue 13 (15 before): SHARE_PS_NAMESPACE x2,
    # TOKEN_LIST, IDENTITY_ASSUME and the host cron write get their own sightings
    check(orig.get("sightings") == 20, "calibration traces: 20 sightings (%s)" % orig.get("sightings"))
    check(lifted.get("sightings") == orig.get("sightings"),
          "kprobe0..4-lifted calibration: %s sightings, as the original %s" % (lifted.get("sightings"),
                                                                             orig.get("sightings")))
    check(lifted_text == orig_text, "the same sightings, word for word")


def test_falco_interesting_same_sightings():
    orig, orig_text = stats([os.path.join(CORPUS, "falco", "falco-website-alerts.jsonl")])
    shaped, shaped_text = stats([os.path.join(SEED, "vector-gke-falco-website-alerts.jsonl")])
    check(shaped.get("events_decoded") == 16, "16 reshaped Falco alerts decoded: %s" % shaped.get("events_decoded"))
    check(shaped.get("sightings") == orig.get("sightings") and orig.get("sightings", 0) > 0,
          "reshaped Falco: %s sightings, original %s" % (shaped.get("sightings"), orig.get("sightings")))


def test_init_lines_skipped():
    s, _ = stats([os.path.join(SEED, "vector-tetragon-init.jsonl"), os.path.join(SEED, "vector-kubescape-init.jsonl")])
    check(s.get("events_skipped") == 2 and s.get("events_rejected") == 0 and s.get("observations") == 0,
          "init placeholders skipped, not converted: %s" % s)
    r = run(["convert", os.path.join(SEED, "vector-kubescape-init.jsonl")])
    check(b"1 skipped (init: 1)" in r.stderr, "convert counts the placeholder as skipped: %r" % r.stderr[-200:])


def test_models_import():
    models = sorted(glob.glob(os.path.join(CORPUS, "attack-models", "*.json")))
    events = sorted(f for sensor in ("tetragon", "k8s-audit", "falco", "kubescape", "hubble")
                    for f in glob.glob(os.path.join(CORPUS, sensor, "*.jsonl")))
    with tempfile.TemporaryDirectory() as d:
        r = run(["models", "import", "--from", "ksc"] + models + ["-o", d])
        err = r.stderr.decode()
        # two comparisons have no counterpart (Tracee's value.name, file:extensions.symlink.path): exit 1, reported
        check(r.returncode == 1, "import exit 1 when something is not translated: %d" % r.returncode)
        check("32 indicators, 20 patterns translated, 2 comparisons not translated" in err, err[-300:])
        check("honeycluster-testpost-08-CE_VAR_LOG_TOKEN.json:1:411: indicator--kh-ce-var-log-token: "
              "pattern offset 8: fixed:" in err, "a fix with file:line:col, id and pattern offset")
        check("honeycluster-testpost-17-NAME.json:19:18: indicator--tracee: pattern offset 1: not translated:" in err,
              "an untranslated comparison with its position")
        check(len(os.listdir(d)) == len(models), "one output file per input in a directory")
        out = json.load(open(os.path.join(d, "honeycluster-testpost-01-CE_NSENTER.json")))
        ind = [o for o in out["objects"] if o["type"] == "indicator"][0]
        check("x_hook_args[1].value = 1073741824" in ind["pattern"] and "kprobe_arguments" in ind["x_ksc_pattern"],
              "translated pattern, original kept: %s" % ind)
        as_is, _ = stats(events, [os.path.join(CORPUS, "attack-models")])
        translated, text = stats(events, [d])
        check(translated.get("indicators", 0) > as_is.get("indicators", 0),
              "more indicators load once translated: %s > %s" % (translated.get("indicators"), as_is.get("indicators")))
        check(translated.get("sightings", 0) > 2 * as_is.get("sightings", 0),
              "translated models see more: %s sightings vs %s as they are" % (translated.get("sightings"),
                                                                             as_is.get("sightings")))
        for step in ("CE_VAR_LOG_TOKEN", "EXPLOIT_HOST_WRITE", "EXPLOIT_CONTAINERD_SOCK"):
            check(("  %s  " % step) in text, "sighted once translated: %s" % step)
        # one file to standard output keeps its shape; several to one file are one array of bundles
        r = run(["models", "import", "--from", "ksc", models[0]])
        check(r.returncode == 0 and json.loads(r.stdout).get("type") == "bundle", "one file: a bundle on stdout")
        one = os.path.join(d, "all.json")
        r = run(["models", "import", "--from", "ksc", "-o", one] + models)
        check(isinstance(json.load(open(one)), list), "several files into one: an array")
    r = run(["models", "import", "nothing.json"])
    check(r.returncode == 2, "--from is required: usage error")


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
    sys.exit(report("test_seed_pipeline_e2e"))
