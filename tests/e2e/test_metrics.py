# SPDX-License-Identifier: Apache-2.0
"""GET /metrics, /healthz and /readyz of storm run --listen and storm serve.

The metrics are read with a parser of the Prometheus text exposition format
(version 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/)
written here: comments, HELP (once per family, \\\\ and \\n escaped), TYPE
(once, before the family's samples), samples `name{label="value",...} value
[timestamp]` with \\\\, \\" and \\n escaped in label values, names and label
names by their grammar, no series twice, histograms with cumulative buckets
ending in le="+Inf" equal to _count, and a final line feed. The values must
then equal what storm run --stats-json says at exit."""
import glob
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_value(tok):
    if tok in ("+Inf", "Inf"):
        return math.inf
    if tok == "-Inf":
        return -math.inf
    if tok == "NaN":
        return math.nan
    try:
        return float(tok)
    except ValueError:
        raise ParseError(f"bad value {tok!r}")


def unescape(s, chars):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s):
                raise ParseError("a lone backslash")
            n = s[i + 1]
            if n == "n":
                out.append("\n")
            elif n in chars:
                out.append(n)
            else:
                raise ParseError(f"unknown escape \\{n}")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_labels(s, i, lineno):
    """Labels from s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL_NAME.match(s, i)
        if not m:
            raise ParseError(f"line {lineno}: bad label name")
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ParseError(f"line {lineno}: expected =\" after {name}")
        i += 2
        j, raw = i, []
        while j < len(s) and s[j] != '"':
            if s[j] == "\\":
                raw.append(s[j:j + 2])
                j += 2
            else:
                raw.append(s[j])
                j += 1
        if j >= len(s):
            raise ParseError(f"line {lineno}: unterminated label value")
        if name in labels:
            raise ParseError(f"line {lineno}: label {name} twice")
        labels[name] = unescape("".join(raw), '\\"')
        i = j + 1
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] != "}":
            raise ParseError(f"line {lineno}: expected , or }} after a label")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) in ("histogram", "summary"):
            return name[:-len(suffix)]
    return name


def parse(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}."""
    if text and not text.endswith("\n"):
        raise ParseError("the last line does not end with a line feed")
    fams, types, seen = {}, {}, set()
    for lineno, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        line = line.strip(" \t")
        if not line:
            continue
        if line.startswith("#"):
            toks = line[1:].lstrip(" \t").split(None, 2)
            if len(toks) >= 2 and toks[0] in ("HELP", "TYPE"):
                name = toks[1]
                if not METRIC_NAME.fullmatch(name):
                    raise ParseError(f"line {lineno}: bad metric name {name!r}")
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if toks[0] == "HELP":
                    if f["help"] is not None:
                        raise ParseError(f"line {lineno}: second HELP for {name}")
                    f["help"] = unescape(toks[2] if len(toks) > 2 else "", "\\")
                else:
                    if f["type"] is not None or f["samples"]:
                        raise ParseError(f"line {lineno}: TYPE for {name} twice or after its samples")
                    if len(toks) != 3 or toks[2] not in TYPES:
                        raise ParseError(f"line {lineno}: bad TYPE line")
                    f["type"] = types[name] = toks[2]
            continue
        m = METRIC_NAME.match(line)
        if not m:
            raise ParseError(f"line {lineno}: bad sample name")
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, lineno)
        rest = line[i:].split()
        if len(rest) not in (1, 2) or (line[i:i + 1] not in (" ", "\t")):
            raise ParseError(f"line {lineno}: expected a value (and a timestamp)")
        value = parse_value(rest[0])
        if len(rest) == 2 and not re.fullmatch(r"-?[0-9]+", rest[1]):
            raise ParseError(f"line {lineno}: bad timestamp")
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ParseError(f"line {lineno}: series {name}{labels} twice")
        seen.add(key)
        fam = family_of(name, types)
        f = fams.setdefault(fam, {"type": None, "help": None, "samples": []})
        f["samples"].append((name, labels, value))
    for fam, f in fams.items():
        if f["type"] == "histogram":
            check_histogram(fam, f["samples"])
    return fams


def check_histogram(fam, samples):
    groups = {}
    for name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            if "le" not in labels:
                raise ParseError(f"{fam}: a bucket without le")
            g["buckets"].append((parse_value(labels["le"]), value))
        elif name == fam + "_sum":
            g["sum"] = value
        elif name == fam + "_count":
            g["count"] = value
        else:
            raise ParseError(f"{fam}: sample {name} in a histogram")
    for rest, g in groups.items():
        b = sorted(g["buckets"])
        if not b or b[-1][0] != math.inf:
            raise ParseError(f"{fam}{rest}: no +Inf bucket")
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ParseError(f"{fam}{rest}: buckets not cumulative")
        if g["count"] is None or g["sum"] is None or g["count"] != b[-1][1]:
            raise ParseError(f"{fam}{rest}: _count and the +Inf bucket differ or _sum is missing")


def value(fams, fam, **labels):
    """The sum of the family's samples whose labels include labels."""
    f = fams.get(fam)
    if not f:
        return None
    return sum(v for n, lab, v in f["samples"] if n == fam and all(lab.get(k) == x for k, x in labels.items()))


def get(port, path, data=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def port_from(path, proc, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        for line in open(path):
            m = re.search(r"\(port (\d+)\)|://[^ ]*:(\d+)/taxii2/", line)
            if m:
                return int(m.group(1) or m.group(2))
        time.sleep(0.05)
    return None


def test_parser():
    good = ('# HELP a_total A \\\\ thing\\nmore\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 3\n'
            '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n')
    f = parse(good)
    check(value(f, "a_total", x='q"\\\n') == 3 and f["a_total"]["help"] == "A \\ thing\nmore",
          "the parser reads escapes in HELP and label values")
    for bad in ["a 1", "a{x=1} 1\n", "a 1\na 2\n", "1a 1\n", "a{x=\"1\"}\n", '# TYPE a counter\n# TYPE a counter\n',
                '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
                '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', 'a{x="\\q"} 1\n']:
        try:
            parse(bad)
            check(False, f"the parser rejects {bad!r}")
        except ParseError:
            check(True, "the parser rejects bad text")


def test_run(tmp):
    files = sorted(glob.glob(os.path.join(CORPUS, "**", "*.jsonl"), recursive=True))
    err_path, stats = os.path.join(tmp, "run.err"), os.path.join(tmp, "run.json")
    with open(err_path, "w") as err:
        p = subprocess.Popen([STORM, "run", "--db", os.path.join(tmp, "run.db"), "-o", os.devnull,
                              "--listen", "127.0.0.1:0", "--stats-json", stats] + files,
                             stdout=subprocess.DEVNULL, stderr=err)
    port = port_from(err_path, p)
    check(port is not None, "storm run --listen says its port")
    if port is None:
        p.kill()
        return
    status, ctype, _ = get(port, "/healthz")
    check(status == 200, f"/healthz: 200 ({status})")
    status, _, _ = get(port, "/readyz")
    check(status == 200, f"/readyz: 200 ({status})")
    status, _, _ = get(port, "/nothing-here")
    check(status == 405, f"GET of another path: 405, use POST ({status})")
    # one more body over HTTP: 3 Tetragon events
    body = open(os.path.join(ROOT, "examples", "events.jsonl"), "rb").read().splitlines()[:3]
    status, _, _ = get(port, "/", b"\n".join(body) + b"\n")
    check(status == 202, f"a POSTed body is taken ({status})")
    fams = {}
    for _ in range(100):  # the body is processed, then the metrics updated
        status, ctype, text = get(port, "/metrics")
        try:
            fams = parse(text)
        except ParseError as e:
            check(False, f"/metrics parses as the text format: {e}")
            break
        if value(fams, "storm_records_read_total") and value(fams, "storm_records_read_total") >= 596:
            break
        time.sleep(0.1)
    check(status == 200 and ctype.startswith("text/plain") and "version=0.0.4" in ctype,
          f"/metrics: 200, text/plain; version=0.0.4 ({status}, {ctype})")
    for fam, typ in [("storm_events_read_total", "counter"), ("storm_store_commit_seconds", "histogram"),
                     ("storm_states_held", "gauge"), ("storm_consumer_lag", "gauge"),
                     ("storm_consumer_partitions", "gauge"), ("storm_sessions", "gauge"),
                     ("storm_sessions_opened_total", "counter"), ("storm_sessions_merged_total", "counter"),
                     ("storm_sessions_evicted_total", "counter"), ("storm_intake_requests_total", "counter"),
                     ("storm_intake_held_bytes", "gauge"), ("storm_intake_held_limit_bytes", "gauge"),
                     ("storm_intake_queued_bodies", "gauge")]:
        got = fams.get(fam, {}).get("type")
        check(got == typ, f"{fam}: type {typ} ({got})")
    # the intake's own families: the one body taken, its memory against its cap
    check(value(fams, "storm_intake_requests_total", result="accepted") == 1 and
          value(fams, "storm_intake_requests_total", result="busy") == 0,
          f"intake: 1 body accepted, none refused busy ({value(fams, 'storm_intake_requests_total', result='accepted')})")
    held, cap = value(fams, "storm_intake_held_bytes"), value(fams, "storm_intake_held_limit_bytes")
    check(held is not None and cap and 0 <= held < cap, f"intake: memory held {held} below its cap {cap}")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    st = json.load(open(stats))
    # attack sessions: held ones open or closed (quiet), as many opened as the run says at exit
    m = re.search(r"(\d+) attack sessions \((\d+) opened, (\d+) merged, (\d+) evicted\)", open(err_path).read())
    check(m is not None, "storm run says its attack sessions at exit")
    if m:
        held_s, opened, merged, evicted = (int(x) for x in m.groups())
        s_open, s_closed = value(fams, "storm_sessions", state="open"), value(fams, "storm_sessions", state="closed")
        check(opened > 5 and value(fams, "storm_sessions_opened_total") == opened and
              value(fams, "storm_sessions_merged_total") == merged and
              value(fams, "storm_sessions_evicted_total") == evicted,
              f"sessions opened/merged/evicted as at exit ({value(fams, 'storm_sessions_opened_total')} vs {opened})")
        check(s_open is not None and s_closed is not None and s_open + s_closed == held_s,
              f"sessions held: open {s_open} + closed {s_closed} = {held_s}")
        check(s_closed > 0, f"the corpus spans more than the quiet period: some sessions closed ({s_closed})")
    for fam, key in [("storm_events_read_total", "events_read"), ("storm_events_rejected_total", "events_rejected"),
                     ("storm_matches_total", "matches"), ("storm_sightings_total", "sightings"),
                     ("storm_records_read_total", "records_read"), ("storm_states_evicted_total", "states_evicted")]:
        check(value(fams, fam) == st[key], f"{fam} = stats {key} ({value(fams, fam)} vs {st[key]})")
    tet = value(fams, "storm_events_read_total", sensor="tetragon")
    check(tet and tet > 50 and value(fams, "storm_events_read_total", sensor="unknown") is not None,
          f"events read per sensor (tetragon {tet})")
    check(value(fams, "storm_store_commit_seconds_count") is None and
          [v for n, _, v in fams["storm_store_commit_seconds"]["samples"] if n.endswith("_count")][0] >= 1,
          "store commits counted in the latency histogram")
    print(f"run: {len(fams)} families; events {value(fams, 'storm_events_read_total')}, "
          f"sightings {value(fams, 'storm_sightings_total')}")


def test_serve(tmp):
    db = os.path.join(tmp, "run.db")
    err_path = os.path.join(tmp, "serve.err")
    with open(err_path, "w") as err:
        p = subprocess.Popen([STORM, "serve", "--db", db, "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                             stderr=err)
    try:
        port = port_from(err_path, p)
        check(port is not None, "storm serve says its port")
        if port is None:
            return
        s1, _, _ = get(port, "/taxii2/")
        s2, _, _ = get(port, "/storm/collections/nonexistent/objects/")
        s3, _, _ = get(port, "/healthz")
        status, ctype, text = get(port, "/metrics")
        check(status == 200 and "version=0.0.4" in ctype, f"serve /metrics: 200 ({status})")
        try:
            fams = parse(text)
        except ParseError as e:
            check(False, f"serve /metrics parses: {e}")
            return
        check(value(fams, "storm_taxii_requests_total", endpoint="discovery", status=str(s1)) == 1,
              "serve counts the discovery request by endpoint and status")
        check(value(fams, "storm_taxii_requests_total", endpoint="objects", status=str(s2)) == 1,
              f"serve counts the objects request ({s2})")
        check(s3 == 200, "serve /healthz: 200")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)


def main():
    test_parser()
    if os.environ.get("STORM_HAVE_TAXII", "1") == "1":
        with tempfile.TemporaryDirectory(prefix="storm-metrics-") as tmp:
            test_run(tmp)
            test_serve(tmp)
    else:
        print("test_metrics: storm run --listen and storm serve are not built (-Dtaxii=disabled)")
    return report("test_metrics")


if __name__ == "__main__":
    sys.exit(main())
