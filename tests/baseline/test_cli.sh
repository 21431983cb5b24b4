#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `storm baseline` end to end, on real corpus recordings: learn the benign
# part of the Tetragon book, then a restarted copy of it (new pod suffix,
# pids, container ids, times) is all explained while every attack step is
# not; show (representativeness, settling), allow/deny/forget by hand,
# export and import into a fresh store (same verdicts), Kubescape
# ApplicationProfile import, learning accumulated across runs, and the
# error paths (bad feature, bad lines, bad files, usage).
set -u
STORM=${STORM_BIN:?STORM_BIN must name the storm binary}
ROOT=${STORM_SOURCE_ROOT:?STORM_SOURCE_ROOT must name the source tree}
CORPUS=$ROOT/tests/data/corpus
BOOK=$CORPUS/tetragon/tetragon-book-security-observability.jsonl
T=$(mktemp -d "${TMPDIR:-/tmp}/storm-baseline-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
PASSED=0
FAILED=0

ok() {
    local what=$1
    shift
    if "$@"; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL line ${BASH_LINENO[0]}: $what" >&2
    fi
}
has() { grep -q -- "$2" "$1"; }
hasnt() { ! grep -q -- "$2" "$1"; }
differ() { ! cmp -s "$1" "$2"; }
count() { grep -c -- "$2" "$1"; }

# The book's attack steps (hand labels, as in test_baseline_corpus.c); the
# rest is the benign behaviour of its workloads.
ATTACK="5 7 8 9 12 13 14 15 16 19 21 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40"
awk -v a="$ATTACK" 'BEGIN { n = split(a, x, " "); for (i = 1; i <= n; i++) bad[x[i]] = 1 } !(NR in bad)' "$BOOK" \
    >"$T/benign.jsonl"
awk -v a="$ATTACK" 'BEGIN { n = split(a, x, " "); for (i = 1; i <= n; i++) bad[x[i]] = 1 } (NR in bad)' "$BOOK" \
    >"$T/attack.jsonl"
# the same benign behaviour after a restart: other pod suffixes, pids, container ids, exec ids and times
python3 - "$T/benign.jsonl" "$T/restarted.jsonl" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
out = []
for line in open(src):
    line = line.replace("elasticsearch-56f8fc6988-65smb", "elasticsearch-7d9c8b5f4d-x2k4q")
    line = re.sub(r'"(pid|ppid|tid)":(\d+)', lambda m: '"%s":%d' % (m.group(1), int(m.group(2)) + 7919), line)
    line = re.sub(r'\b([0-9a-f]{12,64})\b', lambda m: m.group(1)[::-1], line)
    line = re.sub(r'"(exec_id|parent_exec_id)":"([^"]*)"', lambda m: '"%s":"%s"' % (m.group(1), m.group(2)[::-1]), line)
    line = re.sub(r'20(2[0-5])-', '2026-', line)
    out.append(line)
open(dst, "w").write("".join(out))
PY
ok "restart rewrite changed the recording" differ "$T/benign.jsonl" "$T/restarted.jsonl"
ok "the restart renamed the pod" has "$T/restarted.jsonl" "elasticsearch-7d9c8b5f4d-x2k4q"
ok "the restart left no old pod name" hasnt "$T/restarted.jsonl" "elasticsearch-56f8fc6988-65smb"
NB=$(wc -l <"$T/benign.jsonl")
NA=$(wc -l <"$T/attack.jsonl")

# ---- help and usage errors ----
"$STORM" baseline --help >"$T/out" 2>&1
ok "--help exits 0" test $? -eq 0
ok "--help lists the actions" has "$T/out" "export --db FILE"
"$STORM" baseline >"$T/out" 2>&1
ok "no action is a usage error (2)" test $? -eq 2
ok "no action says which are known" has "$T/out" "which action"
"$STORM" baseline learn "$T/benign.jsonl" >"$T/out" 2>&1
ok "learn without --db is a usage error" test $? -eq 2
"$STORM" baseline frobnicate --db "$T/x.db" >"$T/out" 2>&1
ok "unknown action is a usage error" test $? -eq 2
"$STORM" baseline learn --db "$T/x.db" --max-features zero "$T/benign.jsonl" >"$T/out" 2>&1
ok "a bad cap is a usage error" test $? -eq 2

# ---- learn, show ----
"$STORM" baseline learn --db "$T/b.db" "$T/benign.jsonl" >"$T/out" 2>&1
ok "learn exits 0" test $? -eq 0
ok "learn reports what it learned" has "$T/out" "learned $NB events from $NB lines (0 skipped, 0 bad)"
ok "learn found 5 workloads" has "$T/out" ", 5 profiles;"
"$STORM" baseline show --db "$T/b.db" >"$T/show" 2>&1
ok "show exits 0" test $? -eq 0
ok "show lists the elasticsearch Deployment" has "$T/show" "^tenant-jobs/Deployment/elasticsearch/elasticsearch$"
ok "show lists the privileged pod" has "$T/show" "^default/Pod/privileged-pod/privileged-pod$"
ok "show lists a host process by binary" has "$T/show" "^host/usr/bin/containerd$"
ok "show says every profile is still learning" has "$T/show" "5 profiles, 0 settled, 5 still learning"
ok "show gives events, features and the last new feature" \
    has "$T/show" "learning: 6 events learned, 3 features (0 denied), last new feature at event 5"
"$STORM" baseline show --db "$T/b.db" --workload tenant-jobs/Deployment/elasticsearch/elasticsearch >"$T/out" 2>&1
ok "show --workload exits 0" test $? -eq 0
ok "show --workload lists the features" has "$T/out" "allow exec /usr/bin/curl www.google.com"
ok "show --workload lists the hits" has "$T/out" "allow net egress tcp 142.250.180.196 80  (2 hits)"
"$STORM" baseline show --db "$T/b.db" --workload nobody/Pod/x/y >"$T/out" 2>&1
ok "show of an unknown workload fails" test $? -eq 1
ok "show of an unknown workload says so" has "$T/out" "no profile for workload 'nobody/Pod/x/y'"

# ---- check: the restart is explained, the attack is not ----
"$STORM" baseline check --db "$T/b.db" "$T/restarted.jsonl" >"$T/out" 2>&1
ok "check exits 0" test $? -eq 0
ok "every restarted benign event is explained" \
    has "$T/out" "checked $NB events from $NB lines (0 skipped, 0 bad): $NB explained (removed), 0 unexplained"
"$STORM" baseline check --db "$T/b.db" --anomalies "$T/attack.jsonl" >"$T/anom" 2>"$T/err"
ok "check --anomalies exits 0" test $? -eq 0
ok "no attack event is explained" has "$T/err" "checked $NA events from $NA lines (0 skipped, 0 bad): 0 explained"
ok "the nsenter of the privileged pod is an anomaly" \
    has "$T/anom" "default/Pod/privileged-pod/privileged-pod: exec /usr/bin/nsenter -t <n> -m -u -n -i -p bash is not in the profile"
ok "the keystore read by elasticsearch is an anomaly" \
    has "$T/anom" "elasticsearch: exec /usr/bin/cat /usr/share/elasticsearch/config/elasticsearch.keystore is not in"
ok "the reverse shell is an anomaly" has "$T/anom" "exec /usr/bin/nc raiz3gjkgtfhkkc.not-reverse-shell.com <n>"
ok "anomalies name their recording line" has "$T/anom" "^anomaly $T/attack.jsonl:[0-9]*: "
ok "12 anomalies, the rest unprofiled" test "$(count "$T/anom" '^anomaly ')" -eq 12
"$STORM" baseline show --db "$T/b.db" --workload default/Pod/privileged-pod/privileged-pod >"$T/out" 2>&1
ok "check counters are kept in the store" has "$T/out" "checked: 3 explained, 4 unexplained"

# ---- hand edits ----
W=default/Pod/privileged-pod/privileged-pod
"$STORM" baseline allow --db "$T/b.db" --workload "$W" 'exec /usr/bin/nsenter *' >"$T/out" 2>&1
ok "allow exits 0" test $? -eq 0
sed -n 21p "$BOOK" >"$T/nsenter.jsonl"
"$STORM" baseline check --db "$T/b.db" "$T/nsenter.jsonl" >"$T/out" 2>&1
ok "an allowed wildcard explains the nsenter" has "$T/out" ": 1 explained (removed), 0 unexplained"
"$STORM" baseline deny --db "$T/b.db" --workload "$W" 'exec /usr/bin/nsenter *' >"$T/out" 2>&1
ok "deny exits 0" test $? -eq 0
"$STORM" baseline check --db "$T/b.db" --anomalies "$T/nsenter.jsonl" >"$T/anom" 2>"$T/err"
ok "a deny wins" has "$T/err" ": 0 explained (removed), 1 unexplained"
ok "check says the feature is denied" has "$T/anom" "is denied by the profile"
"$STORM" baseline deny --db "$T/b.db" --workload tenant-jobs/Deployment/elasticsearch/elasticsearch \
    'exec /usr/bin/curl www.google.com' >"$T/out" 2>&1
ok "deny of a learned feature exits 0" test $? -eq 0
"$STORM" baseline check --db "$T/b.db" "$T/restarted.jsonl" >"$T/out" 2>&1
ok "the denied curl is no longer explained (2 events)" has "$T/out" ": $((NB - 2)) explained (removed), 2 unexplained"
"$STORM" baseline learn --db "$T/b.db" "$T/benign.jsonl" >"$T/out" 2>&1
"$STORM" baseline check --db "$T/b.db" "$T/restarted.jsonl" >"$T/out" 2>&1
ok "learning does not bring a denied feature back" has "$T/out" ": $((NB - 2)) explained (removed), 2 unexplained"
"$STORM" baseline show --db "$T/b.db" --workload tenant-jobs/Deployment/elasticsearch/elasticsearch >"$T/out" 2>&1
ok "show marks the deny" has "$T/out" "deny  exec /usr/bin/curl www.google.com"
ok "learning accumulates across runs" has "$T/out" "learning: 12 events learned"
"$STORM" baseline allow --db "$T/b.db" --workload "$W" 'bogus entry' >"$T/out" 2>&1
ok "allow of an unknown kind fails" test $? -eq 1
ok "allow says what a feature must start with" has "$T/out" "must start with a kind"
"$STORM" baseline allow --db "$T/b.db" --workload "$W" 'net egress tcp 10.0.0.0/8' >"$T/out" 2>&1
ok "a net feature needs 4 fields" has "$T/out" "4 fields, got 3"
"$STORM" baseline allow --db "$T/b.db" 'exec /bin/true' >"$T/out" 2>&1
ok "allow without --workload is a usage error" test $? -eq 2

# ---- settling ----
for i in 1 2 3; do "$STORM" baseline learn --db "$T/s.db" --settle-events 10 "$T/benign.jsonl" >/dev/null 2>&1; done
"$STORM" baseline show --db "$T/s.db" --settle-events 10 --workload tenant-jobs/Deployment/elasticsearch/elasticsearch \
    >"$T/out" 2>&1
ok "a profile with 12 events since its last new feature (of 18) has settled" \
    has "$T/out" "settled: 18 events learned, 3 features (0 denied), last new feature at event 5"

# ---- export, import ----
"$STORM" baseline export --db "$T/b.db" "$T/export.json" >"$T/out" 2>&1
ok "export exits 0" test $? -eq 0
python3 - "$T/export.json" >"$T/out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "storm-baseline" and d["version"] == 1, "header"
p = {x["workload"]: x for x in d["profiles"]}
assert len(p) == 5, "5 profiles"
es = p["tenant-jobs/Deployment/elasticsearch/elasticsearch"]
assert es["events_learned"] == 12 and es["origin"] == "learned", "counters"
assert "exec /usr/bin/curl www.google.com" in es["denied"], "deny exported"
assert any(f["feature"] == "net egress tcp 142.250.180.196 80" for f in es["features"]), "features exported"
pp = p["default/Pod/privileged-pod/privileged-pod"]
assert "exec /usr/bin/nsenter *" in pp["denied"], "hand deny exported"
print("export ok")
PY
ok "export is the documented JSON" has "$T/out" "export ok"
"$STORM" baseline export --db "$T/b.db" --workload "$W" >"$T/one.json" 2>&1
ok "export --workload writes one profile" test "$(grep -o '"workload"' "$T/one.json" | wc -l)" -eq 1
"$STORM" baseline import --db "$T/c.db" "$T/export.json" >"$T/out" 2>&1
ok "import exits 0" test $? -eq 0
ok "import reports what it added" has "$T/out" "Storm baseline export, 5 profiles"
"$STORM" baseline check --db "$T/c.db" "$T/restarted.jsonl" >"$T/out" 2>&1
ok "the imported store gives the same verdicts" has "$T/out" ": $((NB - 2)) explained (removed), 2 unexplained"
"$STORM" baseline import --db "$T/c.db" "$T/export.json" >"$T/out" 2>&1
ok "importing again adds no feature" has "$T/out" "5 profiles, 0 new features, 0 entries rejected"
printf '{"type":"storm-baseline","version":1,"profiles":[{"workload":"a/b","features":["exec /x",5,"nonsense"]}]}' \
    >"$T/bad.json"
"$STORM" baseline import --db "$T/c.db" "$T/bad.json" >"$T/out" 2>&1
ok "bad entries make import fail" test $? -eq 1
ok "bad entries are counted" has "$T/out" "1 new features, 2 entries rejected"
ok "the first bad entry is named" has "$T/out" "first rejected entry: a/b:"
printf '{"type":"storm-baseline", "profiles": [' >"$T/trunc.json"
"$STORM" baseline import --db "$T/c.db" "$T/trunc.json" >"$T/out" 2>&1
ok "a truncated export fails" test $? -eq 1
ok "a truncated export is reported with its position" has "$T/out" "line 1, column"

# ---- Kubescape ApplicationProfile ----
"$STORM" baseline import --db "$T/k.db" "$CORPUS/baselines/honeycluster-webapp-applicationprofile-gke.yaml" >"$T/out" 2>&1
ok "Kubescape import exits 0" test $? -eq 0
ok "Kubescape import names the format" has "$T/out" "Kubescape ApplicationProfile, 1 profiles"
"$STORM" baseline show --db "$T/k.db" --workload default/Deployment/webapp/ping-app >"$T/out" 2>&1
ok "the Kubescape profile has its identity from the labels" test $? -eq 0
ok "the Kubescape profile holds the ping exec" has "$T/out" "allow exec /bin/ping -c <n> <n>.<n>.<n>.<n>"
ok "the Kubescape profile is marked as such" has "$T/out" "origin kubescape"
# an unrendered Helm template names no workload: refused, unless the identity is given
"$STORM" baseline import --db "$T/k.db" "$CORPUS/baselines/honeycluster-bob.yaml" >"$T/out" 2>&1
ok "a templated ApplicationProfile is refused" test $? -eq 1
ok "the refusal names the template" has "$T/out" "template ('\$values.name')"
"$STORM" baseline import --db "$T/k.db" --namespace default --workload bob "$CORPUS/baselines/honeycluster-bob.yaml" >"$T/out" 2>&1
ok "a templated ApplicationProfile imports with --namespace/--workload" test $? -eq 0
echo 'kind: Deployment' >"$T/notprofile.yaml"
"$STORM" baseline import --db "$T/k.db" "$T/notprofile.yaml" >"$T/out" 2>&1
ok "a YAML that is not a profile fails" test $? -eq 1
ok "and says why" has "$T/out" "not a Kubescape ApplicationProfile"

# ---- directory collapse ----
SSH=$CORPUS/kubescape/honeycluster-ssh-proxy.jsonl
"$STORM" baseline learn --db "$T/d.db" --collapse-threshold 3 "$SSH" >"$T/out" 2>&1
ok "learn --collapse-threshold exits 0" test $? -eq 0
"$STORM" baseline show --db "$T/d.db" --workload ssh/Pod/ssh-proxy/ssh-proxy >"$T/out" 2>&1
ok "more than 3 files of one directory become one wildcard entry" \
    has "$T/out" "allow file open /usr/lib/locale/C.utf8/⋯  (36 hits)"
ok "protected directories are never collapsed" hasnt "$T/out" "file open /etc/⋯"
ok "the collapsed files are gone" hasnt "$T/out" "allow file open /usr/lib/locale/C.utf8/LC_[A-Z_]*  ("
ok "a file one level deeper stays" has "$T/out" "allow file open /usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES"
"$STORM" baseline check --db "$T/d.db" "$SSH" >"$T/out" 2>&1
ok "a collapsed profile still explains what it learned" has "$T/out" "checked 191 events from 191 lines (0 skipped, 0 bad): 191 explained"
"$STORM" baseline learn --db "$T/e.db" --collapse-threshold off "$SSH" >"$T/out" 2>&1
"$STORM" baseline export --db "$T/e.db" >"$T/out" 2>&1
ok "--collapse-threshold off keeps every file" hasnt "$T/out" "⋯"
"$STORM" baseline learn --db "$T/e.db" --collapse-threshold -3 "$SSH" >"$T/out" 2>&1
ok "a bad --collapse-threshold is a usage error" test $? -eq 2

# ---- forget ----
"$STORM" baseline forget --db "$T/b.db" --workload "$W" >"$T/out" 2>&1
ok "forget exits 0" test $? -eq 0
"$STORM" baseline show --db "$T/b.db" >"$T/out" 2>&1
ok "a forgotten profile is gone" hasnt "$T/out" "^$W$"
ok "the others stay" has "$T/out" "4 profiles"
"$STORM" baseline forget --db "$T/b.db" --workload "$W" >"$T/out" 2>&1
ok "forgetting it again fails" test $? -eq 1

# ---- bad input lines are counted and reported, the good ones still learned ----
{ head -3 "$T/benign.jsonl"; echo '{"not": "a sensor record"}'; echo 'garbage {'; sed -n 4p "$T/benign.jsonl"; } \
    >"$T/mixed.jsonl"
"$STORM" baseline learn --db "$T/m.db" "$T/mixed.jsonl" >"$T/out" 2>"$T/err"
ok "bad lines make learn fail" test $? -eq 1
ok "bad lines are counted" has "$T/out" "learned 4 events from 6 lines (0 skipped, 2 bad)"
ok "a bad line is reported with its position" has "$T/err" "$T/mixed.jsonl:5:1: invalid JSON"
ok "an unknown record is reported with its line" has "$T/err" "$T/mixed.jsonl:4:"
# the reader of storm run and storm convert: a line holding an array of two
# records is two events (it was one bad line), invalid UTF-8 is a bad line
{ printf '['; sed -n 1p "$T/benign.jsonl" | tr -d '\n'; printf ','; sed -n 2p "$T/benign.jsonl" | tr -d '\n'
  printf ']\n'; printf '{"a":"\377"}\n'; } >"$T/array.jsonl"
"$STORM" baseline learn --db "$T/a.db" "$T/array.jsonl" >"$T/out" 2>"$T/err"
ok "an array line is learned as its records" has "$T/out" "learned 2 events from 2 lines (0 skipped, 1 bad)"
ok "invalid UTF-8 is a bad line with its position" has "$T/err" "$T/array.jsonl:2:7: invalid UTF-8"
"$STORM" baseline learn --db "$T/m.db" "$T/does-not-exist.jsonl" >"$T/out" 2>&1
ok "a missing input fails" test $? -eq 1
"$STORM" baseline show --db "$T/nothing-here.db" >"$T/out" 2>&1
ok "show of a missing store fails" test $? -ne 0
ok "show leaves no store behind" test ! -e "$T/nothing-here.db"

echo "test_baseline_cli: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
