#!/usr/bin/env bash
# Tests the image scripts/image_build.sh built: storm run over the corpus
# inside it (buildah run --isolation chroot, as the image's user) and the
# same binary outside it; both stores must hold the same sightings (ids,
# counts, first/last seen). Exit 1 when they differ.
#
#   scripts/image_test.sh [TAG]     (default storm:VERSION; same settings as image_build.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${STORM_IMAGE_WORK:-$root/build-image}
storage=${STORM_IMAGE_STORAGE:-$work/storage}
version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$root/meson.build" | head -1)
tag=${1:-${STORM_IMAGE:-storm:$version}}
export BUILDAH_ISOLATION=chroot
bah=(buildah --storage-driver vfs --root "$storage" --runroot "$work/runroot")
corpus=$root/tests/data/corpus
out=$work/test
rm -rf "$out"
mkdir -p "$out/in" "$out/outside"
chmod 777 "$out/in" # written by the image's user
mapfile -t files < <(cd "$corpus" && find . -name '*.jsonl' | sed 's|^\./||' | LC_ALL=C sort)
echo "corpus: ${#files[@]} files"

ctr=$("${bah[@]}" from "$tag")
trap '"${bah[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
run_in() { "${bah[@]}" run --isolation chroot -v "$corpus:/corpus:ro" -v "$out/in:/out" "$ctr" -- "$@"; }
echo "inside: $(run_in /usr/bin/storm --version), as $(run_in /usr/bin/id -u):$(run_in /usr/bin/id -g)"
run_in /usr/bin/storm run --db /out/storm.db -o /dev/null --stats-json /out/stats.json \
  "${files[@]/#//corpus/}" 2>"$out/in/stderr" || [ $? = 1 ] # 1: some records rejected (the corpus has bad ones)
grep '^storm run: [0-9]' "$out/in/stderr" | sed 's/^/inside:  /'
echo "inside:  the store is owned by $(stat -c %u:%g "$out/in/storm.db") (the image's user)"
(cd "$corpus" && "$work/context/stage/usr/bin/storm" run --db "$out/outside/storm.db" -o /dev/null \
  --stats-json "$out/outside/stats.json" "${files[@]/#/$corpus/}" 2>"$out/outside/stderr") || [ $? = 1 ]
grep '^storm run: [0-9]' "$out/outside/stderr" | sed 's/^/outside: /'

python3 - "$out/in/storm.db" "$out/outside/storm.db" "$out/in/stats.json" "$out/outside/stats.json" <<'EOF'
import json, sqlite3, sys

def sightings(db):
    con = sqlite3.connect(db)
    out = {}
    for (js,) in con.execute("SELECT json FROM objects WHERE latest = 1 AND type = 'sighting'"):
        o = json.loads(js)
        out[o["id"]] = (o.get("count"), o.get("first_seen"), o.get("last_seen"), o.get("sighting_of_ref"))
    return out

inside, outside = sightings(sys.argv[1]), sightings(sys.argv[2])
st_in, st_out = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
for k in ("records_read", "events_read", "events_rejected", "observations", "matches", "sightings"):
    print(f"image test: {k}: inside {st_in.get(k)}, outside {st_out.get(k)}")
lost = sorted(set(outside) - set(inside))
extra = sorted(set(inside) - set(outside))
differ = sorted(i for i in inside.keys() & outside.keys() if inside[i] != outside[i])
print(f"image test: inside the image {len(inside)} sightings, outside {len(outside)}; "
      f"missing inside {len(lost)}, extra inside {len(extra)}, differing {len(differ)}; "
      f"counts summed {sum(v[0] or 0 for v in inside.values())} vs {sum(v[0] or 0 for v in outside.values())}")
for i in (lost + extra + differ)[:5]:
    print("  ", i, inside.get(i), outside.get(i))
same_stats = all(st_in.get(k) == st_out.get(k) for k in ("records_read", "events_read", "matches", "sightings"))
ok = inside and not lost and not extra and not differ and same_stats
print("image test:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
