#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On-demand benchmark of the TAXII 2.1 server (not a test):
#   requests/s for paged GETs (limit=100) over a collection of 10,000 objects,
#   and for POSTs of 100-object envelopes (new objects every time),
# beside nginx serving one such page as a static file on loopback in the same
# run (the practical ceiling of HTTP on this machine). Target: paged GETs at
# half that ceiling or better.
#
#   bench/bench_taxii.sh [STORM_BIN]      (default build/src/cli/storm)
#   DURATION=5 ROUNDS=3 CONNECTIONS=32 THREADS=2 bench/bench_taxii.sh
#
# The machine may be shared: each GET figure is the best of ROUNDS runs,
# interleaved with nginx's, so that both sides see the same quiet moments.
#
# Installs wrk and nginx with apt-get when they are missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STORM=${1:-${STORM_BIN:-$ROOT/build/src/cli/storm}}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
OBJECTS=10000

[[ -x $STORM ]] || { echo "bench_taxii: no storm binary at $STORM (build first, or pass its path)" >&2; exit 2; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
    echo "bench_taxii: installing ${need[*]}" >&2
    SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d /tmp/storm-bench-taxii.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
              echo $((20000 + RANDOM % 20000)); }
start_storm() { # start_storm LOGNAME ARGS... -> PORT, SPID
    local log=$WORK/$1.log; shift
    "$STORM" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
    SPID=$!
    PIDS+=($SPID)
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$log")
        [[ -n $PORT ]] && return 0
        sleep 0.1
    done
    cat "$log" >&2
    exit 1
}

ACCEPT='Accept: application/taxii+json;version=2.1'
CTYPE='Content-Type: application/taxii+json;version=2.1'
printf 'bench-pw\n' | "$STORM" users --file "$WORK/users" --iterations 1000 add bench
"$STORM" users --file "$WORK/users" grant bench rw '*'
AUTH="Authorization: Basic $(printf 'bench:bench-pw' | base64)"
DB=$WORK/storm.db

start_storm writer --db "$DB" --users "$WORK/users"
W=$PORT
W_PID=$SPID
echo "loading $OBJECTS objects (100-object envelopes)..." >&2
for e in $(seq 0 $((OBJECTS / 100 - 1))); do
    { printf '{"objects":['
      for i in $(seq 0 99); do
          n=$((e * 100 + i)); [[ $i -gt 0 ]] && printf ','
          printf '{"type":"indicator","spec_version":"2.1","id":"indicator--b0000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bench indicator %d","description":"an indicator of the benchmark collection","pattern":"[ipv4-addr:value = '"'"'10.%d.%d.%d'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["benchmark"]}' \
              "$n" "$n" $((n / 65536)) $((n / 256 % 256)) $((n % 256))
      done
      printf ']}'; } >"$WORK/envelope"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "$ACCEPT" -H "$CTYPE" -H "$AUTH" --data-binary "@$WORK/envelope" \
        "http://127.0.0.1:$W/storm/collections/indicators/objects/")
    [[ $code == 202 ]] || { echo "load failed: HTTP $code" >&2; exit 1; }
done

# Every page's path (following next), so that the GET benchmark reads all of them.
URL="http://127.0.0.1:$W/storm/collections/indicators/objects/"
next=; pages=()
while :; do
    curl -s -H "$ACCEPT" -H "$AUTH" -D "$WORK/h" -o "$WORK/page" "$URL?limit=100${next:+&next=$next}"
    pages+=("/storm/collections/indicators/objects/?limit=100${next:+&next=$next}")
    [[ ${#pages[@]} == 1 ]] && cp "$WORK/page" "$WORK/page1.json"
    next=$(sed -n 's/.*"more":true,"next":"\([0-9]*\)".*/\1/p' "$WORK/page")
    [[ -n $next ]] || break
done
echo "${#pages[@]} pages of 100; page size $(stat -c %s "$WORK/page1.json") bytes" >&2
{ echo 'local paths = {'; for p in "${pages[@]}"; do echo "  \"$p\","; done; echo '}'
  cat <<'LUA'
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
} >"$WORK/pages.lua"
cat >"$WORK/post.lua" <<'LUA'
-- each request: a new 100-object envelope (ids unique per thread and request)
local counter = 0
local tid = 0
local nthreads = 0
setup = function(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end
request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, 100 do
    parts[i] = string.format('{"type":"indicator","spec_version":"2.1","id":"indicator--c%07d-%04d-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"posted","pattern":"[ipv4-addr:value = \'10.0.0.%d\']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}', tid, counter % 10000, counter * 100 + i, i)
  end
  return wrk.format("POST", nil, nil, '{"objects":[' .. table.concat(parts, ",") .. ']}')
end
LUA

# nginx: the same page body as a static file, same worker count as storm's threads
NPORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/www"
cp "$WORK/page1.json" "$WORK/www/page.json"
chmod -R a+rX "$WORK/www"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes $THREADS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NPORT;
    location / { root $WORK/www; default_type "application/taxii+json;version=2.1"; }
  }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
PIDS+=($NGINX_PID)
sleep 0.5
NGINX_PIDS="$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" | tr '\n' ' ')"

rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }
cpu_ticks() { # user+system clock ticks of the given processes
    local t=0 p f
    for p in "$@"; do
        f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo "$t"
}
# run_wrk NAME PIDS ARGS... -> prints requests/s; records the server-side CPU
# microseconds per request in $WORK/NAME.cpu (robust on a busy machine,
# where requests/s move with everyone else's load)
run_wrk() {
    local name=$1 pids=$2; shift 2
    local c0; c0=$(cpu_ticks $pids)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$@" >"$WORK/$name.wrk" 2>&1
    local c1; c1=$(cpu_ticks $pids)
    local r; r=$(rps <"$WORK/$name.wrk")
    local n; n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/$name.wrk")
    awk -v c=$((c1 - c0)) -v n="${n:-0}" -v t="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.1f\n", c / t * 1e6 / n; else print 0 }' >"$WORK/$name.cpu"
    local errs; errs=$(grep -E 'Non-2xx|Socket errors' "$WORK/$name.wrk" || true)
    [[ -z $errs ]] || echo "  $name: $errs" >&2
    echo "${r:-0}"
}

start_storm reader --db "$DB"
R=$PORT
R_PID=$SPID
start_storm nocache --db "$DB" --no-page-cache
NC=$PORT
NC_PID=$SPID
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per run, best of $ROUNDS interleaved rounds; storm threads: one per CPU ($(nproc))" >&2
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > 0 && (b + 0 == 0 || a + 0 < b + 0)) ? a : b }'; }
NGINX_RPS=0 GET_RPS=0 GET_AUTH_RPS=0 GET_NOCACHE_RPS=0
NGINX_CPU=0 GET_CPU=0 GET_AUTH_CPU=0 GET_NOCACHE_CPU=0
for round in $(seq 1 "$ROUNDS"); do
    n=$(run_wrk nginx "$NGINX_PIDS" -H "$ACCEPT" "http://127.0.0.1:$NPORT/page.json")
    g=$(run_wrk get "$R_PID" -H "$ACCEPT" -s "$WORK/pages.lua" "http://127.0.0.1:$R")
    a=$(run_wrk get_auth "$W_PID" -H "$ACCEPT" -H "$AUTH" -s "$WORK/pages.lua" "http://127.0.0.1:$W")
    u=$(run_wrk get_nocache "$NC_PID" -H "$ACCEPT" -s "$WORK/pages.lua" "http://127.0.0.1:$NC")
    echo "  round $round: req/s (server CPU us/req): nginx $n ($(cat "$WORK/nginx.cpu")), storm GET $g ($(cat "$WORK/get.cpu")), with auth $a ($(cat "$WORK/get_auth.cpu")), without page cache $u ($(cat "$WORK/get_nocache.cpu"))" >&2
    NGINX_RPS=$(best "$NGINX_RPS" "$n"); GET_RPS=$(best "$GET_RPS" "$g")
    GET_AUTH_RPS=$(best "$GET_AUTH_RPS" "$a"); GET_NOCACHE_RPS=$(best "$GET_NOCACHE_RPS" "$u")
    NGINX_CPU=$(least "$(cat "$WORK/nginx.cpu")" "$NGINX_CPU"); GET_CPU=$(least "$(cat "$WORK/get.cpu")" "$GET_CPU")
    GET_AUTH_CPU=$(least "$(cat "$WORK/get_auth.cpu")" "$GET_AUTH_CPU")
    GET_NOCACHE_CPU=$(least "$(cat "$WORK/get_nocache.cpu")" "$GET_NOCACHE_CPU")
done
POST_RPS=$(DURATION=$((DURATION * 2)) run_wrk post "$W_PID" -H "$ACCEPT" -H "$CTYPE" -H "$AUTH" -s "$WORK/post.lua" \
    "http://127.0.0.1:$W/storm/collections/sightings/objects/")
POST_CPU=$(cat "$WORK/post.cpu")
POSTED=$(curl -s -H "$ACCEPT" -H "$AUTH" "http://127.0.0.1:$W/storm/collections/sightings/manifest/?limit=1" | grep -c '"id"' || true)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
cat <<REPORT
TAXII 2.1 server benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), storm: $STORM)
collection: $OBJECTS indicators, ${#pages[@]} pages of limit=100 ($(stat -c %s "$WORK/page1.json") bytes each)
                                      req/s (best)          server CPU per request (least)
  nginx static page (ceiling)         $NGINX_RPS                 $NGINX_CPU us
  storm paged GET, anonymous          $GET_RPS  ratio $(ratio "$GET_RPS" "$NGINX_RPS")    $GET_CPU us  (nginx/storm $(ratio "$NGINX_CPU" "$GET_CPU"))
  storm paged GET, Basic auth         $GET_AUTH_RPS  ratio $(ratio "$GET_AUTH_RPS" "$NGINX_RPS")    $GET_AUTH_CPU us  (nginx/storm $(ratio "$NGINX_CPU" "$GET_AUTH_CPU"))
  storm paged GET, no page cache      $GET_NOCACHE_RPS  ratio $(ratio "$GET_NOCACHE_RPS" "$NGINX_RPS")    $GET_NOCACHE_CPU us  (nginx/storm $(ratio "$NGINX_CPU" "$GET_NOCACHE_CPU"))
  storm POST 100-object envelope      $POST_RPS ($(awk -v r="$POST_RPS" 'BEGIN{printf "%.0f", r*100}') objects/s)   $POST_CPU us
target: paged GET >= 0.50 of nginx: requests/s $(awk -v a="$GET_RPS" -v b="$NGINX_RPS" 'BEGIN { print (b > 0 && a / b >= 0.5) ? "met" : "NOT met" }'), CPU per request $(awk -v a="$NGINX_CPU" -v b="$GET_CPU" 'BEGIN { print (b > 0 && a / b >= 0.5) ? "met" : "NOT met" }')
(requests/s depend on everything else running on the machine: with a high load average, trust the CPU column)
REPORT
[[ $POSTED -ge 1 ]] || echo "warning: the POST run stored nothing" >&2
