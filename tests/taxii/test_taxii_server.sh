#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The TAXII 2.1 server, for real: starts `storm serve` on free loopback ports
# and talks to it with curl. Every endpoint, filter and error path, the
# pagination of a 10,000-object collection, Basic authentication and rights,
# the anonymous read-only mode, and TLS.
set -u
STORM=${STORM_BIN:?STORM_BIN must name the storm binary}
CURL=${CURL:-curl}
command -v "$CURL" >/dev/null || { echo "test_taxii_server: curl is needed (apt-get install curl)"; echo "test_taxii_server: 0 passed, 1 failed"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/storm-taxii-test.XXXXXX")
PASSED=0
FAILED=0
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
# the stores: SQLite files, or PostgreSQL databases under tests/pg_run.sh
. "$(dirname "${BASH_SOURCE[0]}")/../store_db.sh"

ok() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then ok; else fail "$what"; fi
}
has() { [[ $1 == *"$2"* ]]; }

# start_server NAME ARGS... -> sets PORT; the log is $WORK/NAME.log
start_server() {
    local name=$1; shift
    "$STORM" serve --listen 127.0.0.1:0 "$@" 2>"$WORK/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*listening on https\{0,1\}:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$WORK/$name.log")
        [[ -n $PORT ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "server $name did not start:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

ACCEPT='Accept: application/taxii+json;version=2.1'
CTYPE='Content-Type: application/taxii+json;version=2.1'

# req METHOD URL [curl args...] -> CODE, BODY, HEAD (headers)
req() {
    local method=$1 url=$2; shift 2
    local how=(-X "$method")
    [[ $method == HEAD ]] && how=(--head) # curl -X HEAD would wait for the body
    CODE=$("$CURL" -s -S "${how[@]}" -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@" "$url")
    BODY=$(cat "$WORK/body")
    HEAD=$(tr -d '\r' <"$WORK/head")
}
get() { req GET "$BASE$1" -H "$ACCEPT" "${@:2}"; }
post() { req POST "$BASE$1" -H "$ACCEPT" -H "$CTYPE" --data-binary "@$2" "${@:3}"; }
is_error() { # the body is a TAXII error object with this http_status
    has "$BODY" "\"http_status\":\"$1\"" && has "$BODY" '"title":' && has "$HEAD" 'Content-Type: application/taxii+json;version=2.1'
}

indicator() { # indicator N MODIFIED [TYPE]
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"i%d","pattern":"[file:name = '"'"'x%d'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}' "$1" "$2" "$1" "$1"
}
envelope() { # envelope FILE OBJECT... (objects as arguments)
    local f=$1; shift
    { printf '{"objects":['; local first=1
      for o in "$@"; do [[ $first ]] || printf ','; first=; printf '%s' "$o"; done
      printf ']}'; } >"$f"
}

# ---- users -------------------------------------------------------------------
U="$WORK/users"
printf 'alice-password\n' | "$STORM" users --file "$U" --iterations 1000 add alice || fail "users add alice"
printf 'bob-password\n' | "$STORM" users --file "$U" --iterations 1000 add bob || fail "users add bob"
printf 'eve-password\n' | "$STORM" users --file "$U" --iterations 1000 add eve || fail "users add eve"
"$STORM" users --file "$U" grant alice rw indicators sightings || fail "grant alice"
"$STORM" users --file "$U" grant bob read '*' || fail "grant bob"
"$STORM" users --file "$U" grant eve read observations || fail "grant eve"
check "users list shows rights" has "$("$STORM" users --file "$U" list)" "alice  read=indicators,sightings  write=indicators,sightings"
check "users file is private (0600)" test "$(stat -c %a "$U")" = 600
check "users file holds no password" bash -c "! grep -q alice-password '$U'"
check "add twice fails" bash -c "printf 'x\n' | '$STORM' users --file '$U' add alice 2>/dev/null; test \$? -eq 1"
check "password never from argv" bash -c "'$STORM' users --file '$U' add zed secret 2>/dev/null; test \$? -eq 2"
check "empty password refused" bash -c "printf '\n' | '$STORM' users --file '$U' add zed 2>/dev/null; test \$? -eq 1"

# ---- command line ---------------------------------------------------------------
"$STORM" serve >/dev/null 2>&1
check "serve without --db is a usage error" test $? = 2
"$STORM" serve --db "$WORK/x.db" --listen nonsense 2>"$WORK/err"
check "bad --listen fails with a reason" bash -c "grep -q 'not ADDR:PORT' '$WORK/err'"
"$STORM" serve --db "$WORK/x.db" --listen 127.0.0.1:+80 2>"$WORK/err"
check "--listen port with a sign is refused (storm/listen.h)" bash -c "grep -q 'port must be 0..65535' '$WORK/err'"
# ":PORT" means the loopback, as in storm run --listen (storm/listen.h)
start_server colon --db "$(store_db "$WORK" colon.db)" --listen :0
ok
kill "$PID_colon"
"$STORM" serve --db "$WORK/x.db" --users "$WORK/missing" --listen 127.0.0.1:0 2>"$WORK/err"
check "missing users file fails at start" test $? = 1
printf 'alice:pbkdf2-sha256:1000:zz:00:x:\n' >"$WORK/badusers"
"$STORM" serve --db "$WORK/x.db" --users "$WORK/badusers" --listen 127.0.0.1:0 2>"$WORK/err"
check "malformed users file names the line" bash -c "grep -q 'line 1' '$WORK/err'"
"$STORM" serve --db "$WORK/x.db" --tls-cert "$WORK/missing" --listen 127.0.0.1:0 2>/dev/null
check "TLS needs cert and key" test $? = 1

# ---- server with users ---------------------------------------------------------
DB=$(store_db "$WORK" storm.db)
start_server main --db "$DB" --users "$U" --max-content-length 300000 --max-objects 500 --page-max 1000
BASE="http://127.0.0.1:$PORT"
A=(-u alice:alice-password)
B=(-u bob:bob-password)
E=(-u eve:eve-password)
IND=/storm/collections/indicators
IND_ID=90fb65bf-31d7-481d-8fd6-4664d3d9f77a

# discovery, API root, collections
get /taxii2/ "${B[@]}"
check "discovery 200" test "$CODE" = 200
check "discovery api_roots" has "$BODY" "\"api_roots\":[\"http://127.0.0.1:$PORT/storm/\"]"
check "discovery media type" has "$HEAD" 'Content-Type: application/taxii+json;version=2.1'
get /storm/ "${B[@]}"
check "api root 200" test "$CODE" = 200
check "api root versions" has "$BODY" '"versions":["application/taxii+json;version=2.1"]'
check "api root max_content_length" has "$BODY" '"max_content_length":300000'
get /storm "${B[@]}"
check "api root without trailing slash" test "$CODE" = 200
get /storm/collections/ "${B[@]}"
check "collections 200" test "$CODE" = 200
check "bob sees 3 collections" test "$(grep -o '"id":' <<<"$BODY" | wc -l)" = 3
check "bob can read, not write" has "$BODY" '"alias":"indicators","can_read":true,"can_write":false'
get /storm/collections/ "${A[@]}"
check "alice sees her 2 collections" test "$(grep -o '"id":' <<<"$BODY" | wc -l)" = 2
check "alice can write indicators" has "$BODY" '"alias":"indicators","can_read":true,"can_write":true'
get "/storm/collections/$IND_ID/" "${A[@]}"
check "collection by id" test "$CODE" = 200
check "collection resource" has "$BODY" "\"id\":\"$IND_ID\",\"title\":\"Indicators\""
check "collection media types" has "$BODY" '"media_types":["application/stix+json;version=2.1"]'
get "$IND/" "${A[@]}"
check "collection by alias" test "$CODE" = 200
get /storm/collections/observations/ "${A[@]}"
check "collection without rights is hidden (404)" is_error 404
get /storm/collections/no-such/ "${B[@]}"
check "unknown collection 404" is_error 404

# errors on every path
get /nowhere/ "${B[@]}"
check "unknown path 404 TAXII error" is_error 404
get /storm/collections/x/y/z/w/v/u/ "${B[@]}"
check "deep path 404" is_error 404
get //storm/ "${B[@]}"
check "empty segment 404" is_error 404
req PUT "$BASE/storm/" -H "$ACCEPT" "${B[@]}"
check "PUT 405" is_error 405
check "405 Allow header" has "$HEAD" 'Allow: GET'
req DELETE "$BASE$IND/objects/" -H "$ACCEPT" "${A[@]}"
check "DELETE objects/ 405" is_error 405
check "405 Allow GET, POST" has "$HEAD" 'Allow: GET, POST'
req POST "$BASE$IND/manifest/" -H "$ACCEPT" -H "$CTYPE" -d '{}' "${A[@]}"
check "POST manifest 405" is_error 405
req GET "$BASE/storm/" -H 'Accept: text/html' "${B[@]}"
check "Accept text/html 406" is_error 406
req GET "$BASE/storm/" -H 'Accept: application/taxii+json;version=2.0' "${B[@]}"
check "Accept version 2.0 406" is_error 406
req GET "$BASE/storm/" -H 'Accept: application/taxii+json' "${B[@]}"
check "Accept without version 200" test "$CODE" = 200
req GET "$BASE/storm/" -H 'Accept: text/html, application/taxii+json;version=2.1;q=0.9' "${B[@]}"
check "Accept list with taxii 200" test "$CODE" = 200
req GET "$BASE/storm/" -H 'Accept: application/taxii+json;q=0' "${B[@]}"
check "Accept q=0 406" is_error 406
# RFC 9110 media type syntax: quoted parameter values, whitespace around ';'
req GET "$BASE/storm/" -H 'Accept: application/taxii+json;version="2.1"' "${B[@]}"
check "Accept quoted version 200" test "$CODE" = 200
req GET "$BASE/storm/" -H 'Accept: application/taxii+json ; version="2.1" ;q=0.5' "${B[@]}"
check "Accept with whitespace around ; 200" test "$CODE" = 200
req GET "$BASE/storm/" -H 'Accept: application/taxii+json;version="2.0"' "${B[@]}"
check "Accept quoted version 2.0 406" is_error 406
req GET "$BASE/storm/" -H 'Accept: text/html;x="a,b", application/taxii+json;version="2.1"' "${B[@]}"
check "Accept with a comma in a quoted value 200" test "$CODE" = 200
req GET "$BASE/storm/" -H 'Accept: application/taxii+json;version="2.1' "${B[@]}"
check "Accept with an unterminated quote 406" is_error 406

# authentication
get /storm/
check "no credentials 401" is_error 401
check "401 WWW-Authenticate" has "$HEAD" 'WWW-Authenticate: Basic realm="storm"'
get /taxii2/ -u alice:wrong
check "wrong password 401" is_error 401
get /taxii2/ -u nobody:alice-password
check "unknown user 401" is_error 401
get /taxii2/ -H 'Authorization: Basic !!!!'
check "garbage Basic 401" is_error 401
get /taxii2/ -H 'Authorization: Bearer abc'
check "other scheme 401" is_error 401
get "$IND/objects/" "${E[@]}"
check "eve cannot see indicators (404)" is_error 404

# POST envelopes
envelope "$WORK/e1" "$(indicator 1 2026-01-01T00:00:00.000Z)" "$(indicator 2 2026-01-01T00:00:00.000Z)" \
    '{"type":"indicator","id":"not-an-id"}' \
    '{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--11111111-1111-5111-8111-111111111111","value":"10.0.0.1"}' \
    '{"type":"indicator","spec_version":"2.0","id":"indicator--22222222-2222-4222-8222-222222222222","modified":"2026-01-01T00:00:00Z"}'
post "$IND/objects/" "$WORK/e1" "${B[@]}"
check "bob POST 403" is_error 403
get "$IND/objects/" "${B[@]}"
check "refused POST stored nothing" test "$BODY" = '{"more":false}'
post "$IND/objects/" "$WORK/e1"
check "anonymous POST 401" is_error 401
post "$IND/objects/" "$WORK/e1" "${A[@]}"
check "POST 202" test "$CODE" = 202
check "status complete" has "$BODY" '"status":"complete","request_timestamp":"'
check "status counts" has "$BODY" '"total_count":5,"success_count":3,'
check "status failures" has "$BODY" '"failure_count":2,"failures":[{"id":"not-an-id"'
check "status 2.0 refused" has "$BODY" 'spec_version 2.0'
check "status pending" has "$BODY" '"pending_count":0}'
STATUS_ID=$(sed -n 's/^{"id":"\([0-9a-f-]*\)".*/\1/p' <<<"$BODY")
STATUS_BODY=$BODY
get "/storm/status/$STATUS_ID/" "${A[@]}"
check "status GET 200" test "$CODE" = 200
check "status GET same body" test "$BODY" = "$STATUS_BODY"
get /storm/status/00000000-0000-4000-8000-000000000000/ "${A[@]}"
check "unknown status 404" is_error 404
get "/storm/status/$STATUS_ID/" "${B[@]}"
check "another user's status 404" is_error 404
post "$IND/objects/" "$WORK/e1" "${A[@]}"
check "re-POST idempotent" has "$BODY" '"version":"2026-01-01T00:00:00.000Z","message":"already present"'

# POST errors
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H 'Content-Type: application/json' --data-binary "@$WORK/e1" "${A[@]}"
check "wrong Content-Type 415" is_error 415
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H 'Content-Type: application/taxii+json;version=2.0' --data-binary "@$WORK/e1" "${A[@]}"
check "Content-Type version 2.0 415" is_error 415
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H 'Content-Type: application/taxii+json ; version="2.1"' --data-binary "@$WORK/e1" "${A[@]}"
check "quoted Content-Type version 202" test "$CODE" = 202
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H 'Content-Type: application/taxii+json;version="2.0"' --data-binary "@$WORK/e1" "${A[@]}"
check "quoted Content-Type version 2.0 415" is_error 415
{ printf '{"objects":['; for _ in $(seq 1 600); do printf '['; done; for _ in $(seq 1 600); do printf ']'; done; printf ']}'; } >"$WORK/deep"
post "$IND/objects/" "$WORK/deep" "${A[@]}"
check "too deeply nested JSON 400 (not 413)" is_error 400
check "nesting named in the error" has "$BODY" 'nesting deeper than'
printf '{"objects":[{"type":' >"$WORK/bad"
post "$IND/objects/" "$WORK/bad" "${A[@]}"
check "malformed JSON 400" is_error 400
check "400 names the position" has "$BODY" 'line 1, column'
gzip -c "$WORK/e1" >"$WORK/e1.gz"
post "$IND/objects/" "$WORK/e1.gz" "${A[@]}" -H 'Content-Encoding: gzip'
check "gzip body 415 (not a JSON syntax error)" is_error 415
check "gzip body: the encoding is named" has "$BODY" "Content-Encoding 'gzip' is not supported"

# %00 in the target: libmicrohttpd cuts the decoded path there
get "/storm/%00/collections/" "${B[@]}"
check "%00 in a GET path 400 (not the API root)" is_error 400
post "$IND/objects%00/" "$WORK/e1" "${A[@]}"
check "%00 in a POST path 400 (not accepted)" is_error 400
get "$IND/objects/?match%5Bid%5D=indicator--x%00y" "${B[@]}"
check "%00 in a parameter 400" is_error 400
check "%00: the reason is given" has "$BODY" "NUL byte"

# a busy port is named as such (it was "Failed to bind to port 0" and "address in use or not available?")
"$STORM" serve --db "$WORK/x.db" --listen "127.0.0.1:$PORT" 2>"$WORK/err"
check "busy port: exit 1" test $? = 1
check "busy port: named" grep -q "cannot listen on 127.0.0.1:$PORT: the port is in use" "$WORK/err"
check "busy port: no 'port 0'" bash -c "! grep -q 'port 0' '$WORK/err'"
printf '[1,2]' >"$WORK/bad"
post "$IND/objects/" "$WORK/bad" "${A[@]}"
check "not an envelope 400" is_error 400
printf '{"objects":{}}' >"$WORK/bad"
post "$IND/objects/" "$WORK/bad" "${A[@]}"
check "objects not a list 400" is_error 400
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H "$CTYPE" "${A[@]}"
check "empty body 400" is_error 400
head -c 400000 /dev/zero | tr '\0' ' ' >"$WORK/big"
# Expect: 100-continue lets the server refuse before the body is sent; without
# it, a loaded machine can see curl still writing when the 413 closes the
# connection (EPIPE, no status read)
post "$IND/objects/" "$WORK/big" "${A[@]}" -H "Expect: 100-continue"
check "body over max_content_length 413" is_error 413
{ printf '{"objects":['; for i in $(seq 1 501); do [[ $i -gt 1 ]] && printf ','; printf '{"type":"x"}'; done; printf ']}'; } >"$WORK/many"
post "$IND/objects/" "$WORK/many" "${A[@]}"
check "too many objects 413" is_error 413
post "$IND/objects/" "$WORK/big" "${B[@]}" -H "Expect: 100-continue" # as above: no EPIPE under load
check "403 before the body is read" is_error 403
req POST "$BASE$IND/objects/" -H "$ACCEPT" -H "$CTYPE" -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/big" "${A[@]}"
check "chunked body over the cap 413" is_error 413
req HEAD "$BASE/storm/" -H "$ACCEPT" "${B[@]}"
check "HEAD 200 without a body" bash -c "[[ '$CODE' == 200 && '$BODY' != *'{'* ]]" # (curl --head writes the headers to -o)

# versions
envelope "$WORK/e2" "$(indicator 1 2026-02-01T00:00:00.000Z)" "$(indicator 1 2026-03-01T00:00:00.000Z)"
post "$IND/objects/" "$WORK/e2" "${A[@]}"
check "POST versions 202" test "$CODE" = 202
O1=indicator--00000000-0000-4000-8000-000000000001
get "$IND/objects/$O1/" "${B[@]}"
check "one object: last version by default" bash -c "[[ '$BODY' == *'\"modified\":\"2026-03-01T00:00:00.000Z\"'* && $(grep -o '"type":"indicator"' <<<"$BODY" | wc -l) == 1 ]]"
check "one object: date added headers" has "$HEAD" 'X-TAXII-Date-Added-First: '
get "$IND/objects/$O1/?match%5Bversion%5D=first" "${B[@]}"
check "match[version]=first" has "$BODY" '"modified":"2026-01-01T00:00:00.000Z"'
get "$IND/objects/$O1/?match%5Bversion%5D=all" "${B[@]}"
check "match[version]=all gives 3" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 3
get "$IND/objects/$O1/?match%5Bversion%5D=first,last" "${B[@]}"
check "match[version]=first,last gives 2" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 2
get "$IND/objects/$O1/?match%5Bversion%5D=2026-02-01T00:00:00.000Z" "${B[@]}"
check "match[version]=timestamp" bash -c "[[ '$BODY' == *'2026-02-01T00:00:00.000Z'* && $(grep -o '"type":"indicator"' <<<"$BODY" | wc -l) == 1 ]]"
get "$IND/objects/$O1/?match%5Bversion%5D=2020-01-01T00:00:00Z" "${B[@]}"
check "no such version 404" is_error 404
get "$IND/objects/$O1/?match%5Bversion%5D=yesterday" "${B[@]}"
check "bad match[version] 400" is_error 400
get "$IND/objects/$O1/?limit=1&match%5Bversion%5D=all" "${B[@]}"
check "one object paged" has "$BODY" '"more":true,"next":"'
get "$IND/objects/$O1/versions/" "${B[@]}"
check "versions" test "$BODY" = '{"versions":["2026-01-01T00:00:00.000Z","2026-02-01T00:00:00.000Z","2026-03-01T00:00:00.000Z"],"more":false}'
check "versions headers" has "$HEAD" 'X-TAXII-Date-Added-Last: '
get "$IND/objects/indicator--99999999-0000-4000-8000-000000000000/versions/" "${B[@]}"
check "versions of unknown object 404" is_error 404
get "$IND/objects/indicator--99999999-0000-4000-8000-000000000000/" "${B[@]}"
check "unknown object 404" is_error 404

# objects filters
get "$IND/objects/" "${B[@]}"
check "objects: last versions only" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 2
check "objects: SCO present" has "$BODY" '"type":"ipv4-addr"'
check "objects more false" has "$BODY" '],"more":false}'
get "$IND/objects/?match%5Btype%5D=ipv4-addr" "${B[@]}"
check "match[type]" bash -c "[[ '$BODY' == *'ipv4-addr'* && '$BODY' != *'\"type\":\"indicator\"'* ]]"
get "$IND/objects/?match%5Btype%5D=malware,ipv4-addr" "${B[@]}"
check "match[type] list" has "$BODY" '"type":"ipv4-addr"'
get "$IND/objects/?match%5Btype%5D=malware" "${B[@]}"
check "match[type] no match: empty envelope" test "$BODY" = '{"more":false}'
get "$IND/objects/?match%5Bid%5D=$O1,indicator--00000000-0000-4000-8000-000000000002&match%5Bversion%5D=all" "${B[@]}"
check "match[id] list, all versions" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 4
get "$IND/objects/?match%5Bspec_version%5D=2.0" "${B[@]}"
check "match[spec_version]=2.0 empty" test "$BODY" = '{"more":false}'
get "$IND/objects/?match%5Bspec_version%5D=2.0,2.1" "${B[@]}"
check "match[spec_version] list" test "$(grep -o '"spec_version":"2.1"' <<<"$BODY" | wc -l)" = 3
get "$IND/objects/?match%5Bid%5D=" "${B[@]}"
check "empty match[id] 400" is_error 400
get "$IND/objects/?match%5Bfoo%5D=bar&unknown=1" "${B[@]}"
check "unknown filters ignored" test "$CODE" = 200
get "$IND/objects/?limit=abc" "${B[@]}"
check "bad limit 400" is_error 400
get "$IND/objects/?limit=0" "${B[@]}"
check "zero limit 400" is_error 400
get "$IND/objects/?next=xyz" "${B[@]}"
check "bad next 400" is_error 400
get "$IND/objects/?added_after=notatime" "${B[@]}"
check "bad added_after 400" is_error 400
get "$IND/objects/?added_after=2000-01-01T00:00:00Z" "${B[@]}"
check "added_after in the past" test "$(grep -o '"id":"' <<<"$BODY" | wc -l)" = 3
get "$IND/objects/?added_after=2200-01-01T00:00:00Z" "${B[@]}"
check "added_after in the future" test "$BODY" = '{"more":false}'
get "$IND/manifest/?match%5Bversion%5D=all" "${B[@]}"
check "manifest" has "$BODY" "{\"id\":\"$O1\",\"date_added\":\""
check "manifest all versions" test "$(grep -o '"media_type":"application/stix+json;version=2.1"' <<<"$BODY" | wc -l)" = 5
check "manifest headers" has "$HEAD" 'X-TAXII-Date-Added-First: '
get "$IND/manifest/?match%5Btype%5D=ipv4-addr&limit=1" "${B[@]}"
check "manifest filtered" bash -c "[[ '$BODY' == *'ipv4-addr--'* && '$BODY' != *'indicator--'* ]]"
# added_after with a date_added from the manifest: exactly the later ones
get "$IND/manifest/?match%5Bversion%5D=all&limit=2" "${B[@]}"
SECOND=$(grep -o '"date_added":"[^"]*"' <<<"$BODY" | sed -n '2s/.*:"\(.*\)"/\1/p')
get "$IND/manifest/?match%5Bversion%5D=all&added_after=$SECOND" "${B[@]}"
check "added_after = a date_added is exclusive" test "$(grep -o '"date_added"' <<<"$BODY" | wc -l)" = 3

# DELETE
req DELETE "$BASE$IND/objects/$O1/" -H "$ACCEPT" "${B[@]}"
check "bob DELETE 403" is_error 403
req DELETE "$BASE$IND/objects/$O1/?match%5Bversion%5D=first" -H "$ACCEPT" "${A[@]}"
check "DELETE first version 200" test "$CODE" = 200
get "$IND/objects/$O1/versions/" "${B[@]}"
check "two versions left" test "$BODY" = '{"versions":["2026-02-01T00:00:00.000Z","2026-03-01T00:00:00.000Z"],"more":false}'
req DELETE "$BASE$IND/objects/$O1/" -H "$ACCEPT" "${A[@]}"
check "DELETE all versions 200" test "$CODE" = 200
get "$IND/objects/$O1/" "${B[@]}"
check "deleted object 404" is_error 404
req DELETE "$BASE$IND/objects/$O1/" -H "$ACCEPT" "${A[@]}"
check "DELETE again 404" is_error 404

# 10,000 objects in sightings: walk every page, no duplicates, no gaps
SIG=/storm/collections/sightings
for e in $(seq 0 99); do
    { printf '{"objects":['
      for i in $(seq 0 99); do
          n=$((e * 100 + i))
          [[ $i -gt 0 ]] && printf ','
          printf '{"type":"indicator","spec_version":"2.1","id":"indicator--10000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '"'"'10.0.%d.%d'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}' "$n" $((n / 256)) $((n % 256))
      done
      printf ']}'; } >"$WORK/page"
    post "$SIG/objects/" "$WORK/page" "${A[@]}"
    [[ $CODE == 202 ]] && has "$BODY" '"success_count":100,' || { fail "load envelope $e: $CODE"; break; }
done
walk() { # walk PATH LIMIT -> PAGES, IDS file
    local path=$1 limit=$2 next="" last_added=""
    PAGES=0
    : >"$WORK/ids"
    WALK_ORDERED=1
    while :; do
        get "$path?limit=$limit${next:+&next=$next}" "${B[@]}"
        [[ $CODE == 200 ]] || { fail "walk $path: $CODE $BODY"; return; }
        PAGES=$((PAGES + 1))
        grep -o '"id":"indicator--[^"]*"' <<<"$BODY" >>"$WORK/ids"
        local first=$(sed -n 's/^X-TAXII-Date-Added-First: //p' <<<"$HEAD")
        [[ -z $last_added || $first > $last_added ]] || WALK_ORDERED=0
        last_added=$(sed -n 's/^X-TAXII-Date-Added-Last: //p' <<<"$HEAD")
        next=$(sed -n 's/.*"more":true,"next":"\([0-9]*\)".*/\1/p' <<<"$BODY")
        [[ -n $next ]] || break
        [[ $PAGES -lt 1000 ]] || { fail "walk $path does not end"; return; }
    done
}
walk "$SIG/objects/" 1000
check "10k walk: 10 pages of 1000" test "$PAGES" = 10
check "10k walk: 10000 objects" test "$(wc -l <"$WORK/ids")" = 10000
check "10k walk: no duplicates" test "$(sort -u "$WORK/ids" | wc -l)" = 10000
check "10k walk: pages in date_added order" test "$WALK_ORDERED" = 1
walk "$SIG/manifest/" 100
check "10k manifest walk: 100 pages" test "$PAGES" = 100
check "10k manifest walk: no duplicates, no gaps" test "$(sort -u "$WORK/ids" | wc -l)" = 10000
get "$SIG/objects/?limit=5000" "${B[@]}"
check "limit clamped to page-max" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 1000
get "$SIG/objects/" "${B[@]}"
check "default page size 100" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = 100

# The page cache never serves a stale page: a write through this server (any
# worker thread) or through another process on the same store shows at once.
get "$IND/objects/?match%5Btype%5D=indicator" "${B[@]}"
BEFORE=$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)
get "$IND/objects/?match%5Btype%5D=indicator" "${B[@]}"
check "cached page is the same page" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = "$BEFORE"
envelope "$WORK/e3" "$(indicator 7 2026-01-01T00:00:00.000Z)"
post "$IND/objects/" "$WORK/e3" "${A[@]}"
for _ in 1 2 3 4; do # several requests: every worker thread's cache
    get "$IND/objects/?match%5Btype%5D=indicator" "${B[@]}"
    check "page after a POST has the new object" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = $((BEFORE + 1))
done
MAIN_PORT=$PORT
start_server other --db "$DB" --users "$U"
envelope "$WORK/e4" "$(indicator 8 2026-01-01T00:00:00.000Z)"
req POST "http://127.0.0.1:$PORT$IND/objects/" -H "$ACCEPT" -H "$CTYPE" --data-binary "@$WORK/e4" "${A[@]}"
check "POST through another process" test "$CODE" = 202
for _ in 1 2 3 4; do
    get "$IND/objects/?match%5Btype%5D=indicator" "${B[@]}"
    check "page after another process's POST" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = $((BEFORE + 2))
done
req DELETE "http://127.0.0.1:$PORT$IND/objects/indicator--00000000-0000-4000-8000-000000000008/" -H "$ACCEPT" "${A[@]}"
get "$IND/objects/?match%5Btype%5D=indicator" "${B[@]}"
check "page after another process's DELETE" test "$(grep -o '"type":"indicator"' <<<"$BODY" | wc -l)" = $((BEFORE + 1))
kill "$PID_other"
wait "$PID_other"
check "second server stops cleanly" test $? = 0

# Each POSTed object is checked on its own: a bad one fails alone, with why.
V=indicator--00000000-0000-4000-8000-0000000000
envelope "$WORK/e5" "$(indicator 30 2026-01-01T00:00:00.000Z)" \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"${V}31\",\"created\":\"yesterday\",\"modified\":\"2026-01-01T00:00:00Z\"}" \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"${V}32\",\"created\":\"2026-02-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}" \
    '{"type":"indicator","spec_version":"2.1","id":"indicator--1234","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z"}' \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"malware--00000000-0000-4000-8000-000000000033\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}" \
    "{\"type\":\"indicator\",\"id\":\"${V}34\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}" \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"${V}35\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"valid_from\":\"2026-01-01T00:00:00.5+01:00\"}"
post "$IND/objects/" "$WORK/e5" "${A[@]}"
check "POST with bad objects 202" test "$CODE" = 202
check "bad objects fail alone" has "$BODY" '"total_count":7,"success_count":1,'
check "bad objects: 6 failures" has "$BODY" '"failure_count":6,'
check "created 'yesterday' refused" has "$BODY" "\"id\":\"${V}31\",\"version\":\"2026-01-01T00:00:00Z\",\"message\":\"'created' is not a STIX timestamp"
check "modified before created refused" has "$BODY" "'modified' is before 'created'"
check "id without a UUID refused" has "$BODY" "is not 'indicator--' followed by a UUID"
check "id of another type refused" has "$BODY" 'does not start with its type'
check "SDO without spec_version refused" has "$BODY" 'no spec_version'
check "non-STIX valid_from refused" has "$BODY" "'valid_from' is not a STIX timestamp"
get "$IND/objects/${V}31/" "${B[@]}"
check "the bad object was not stored" is_error 404
get "$IND/objects/${V}30/" "${B[@]}"
check "the good one of the same envelope was" test "$CODE" = 200

kill "$PID_main"
wait "$PID_main"
rc=$?
check "server stops cleanly on SIGTERM" test $rc = 0
[[ $rc == 0 ]] || cat "$WORK/main.log" >&2

# ---- anonymous, read-only -----------------------------------------------------------
start_server anon --db "$DB"
BASE="http://127.0.0.1:$PORT"
get /storm/collections/
check "anonymous collections 200" test "$CODE" = 200
check "anonymous cannot write" has "$BODY" '"can_read":true,"can_write":false'
get "$SIG/objects/?limit=1"
check "anonymous read 200" has "$BODY" '"more":true'
post "$IND/objects/" "$WORK/e1"
check "anonymous write 403" is_error 403
post "$IND/objects/" "$WORK/e1" "${A[@]}"
check "writes refused even with credentials" is_error 403
req DELETE "$BASE$SIG/objects/indicator--10000000-0000-4000-8000-000000000001/" -H "$ACCEPT"
check "anonymous DELETE 403" is_error 403
grep -q '127.0.0.1' "$WORK/anon.log"
check "binds to loopback by default" test $? = 0

# ---- TLS --------------------------------------------------------------------------
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
        -subj /CN=127.0.0.1 >/dev/null 2>&1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key2.pem" -out "$WORK/cert2.pem" -days 2 \
        -subj /CN=127.0.0.1 >/dev/null 2>&1
    "$STORM" serve --db "$DB" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key2.pem" --listen 127.0.0.1:0 2>"$WORK/err"
    check "TLS key of another certificate: exit 1" test $? = 1
    check "TLS key of another certificate: named" grep -q "key2.pem does not match the certificate" "$WORK/err"
    check "TLS key of another certificate: not called a busy address" bash -c "! grep -q 'address in use' '$WORK/err'"
    "$STORM" serve --db "$DB" --tls-cert "$WORK/key.pem" --tls-key "$WORK/key.pem" --listen 127.0.0.1:0 2>"$WORK/err"
    check "TLS cert file without a certificate: named" grep -q "holds no PEM certificate" "$WORK/err"
    start_server tls --db "$DB" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
    req GET "https://127.0.0.1:$PORT/taxii2/" -H "$ACCEPT" --cacert "$WORK/cert.pem"
    check "TLS discovery 200" test "$CODE" = 200
    check "TLS api root URL is https" has "$BODY" "https://127.0.0.1:$PORT/storm/"
else
    echo "openssl not found: TLS not tested" >&2
fi

# ---- which collections are served, and where ---------------------------------------
start_server coll --db "$DB" --collections indicators
BASE="http://127.0.0.1:$PORT"
get /storm/collections/
check "--collections: one collection listed" test "$(grep -o '"id":' <<<"$BODY" | wc -l)" = 1
check "--collections: it is indicators" has "$BODY" '"alias":"indicators"'
get "$SIG/objects/"
check "--collections: sightings not served (404)" is_error 404
get "/storm/collections/1d6ac09b-5f50-48c5-943d-badd11c15b77/objects/"
check "--collections: not by UUID either" is_error 404
get "$IND/objects/?limit=1"
check "--collections: indicators served" test "$CODE" = 200
"$STORM" serve --db "$DB" --collections indicators,nosuch --listen 127.0.0.1:0 2>"$WORK/err"
check "--collections with an unknown name fails" test $? = 1
check "unknown collection named" grep -q "'nosuch', which is not a collection" "$WORK/err"
"$STORM" serve --db "$DB" --listen 0.0.0.0:0 2>"$WORK/err"
check "raw collections refused on a non-loopback address" test $? = 1
check "refusal says why" grep -q 'pod names, private addresses' "$WORK/err"
check "refusal says how (publish)" grep -q 'storm publish --db .* --to-db .* --collection shared' "$WORK/err"
check "refusal says how (serve)" grep -q -- '--collections shared,indicators' "$WORK/err"
check "refusal names the override" grep -q -- '--allow-unredacted' "$WORK/err"
"$STORM" serve --db "$DB" --collections indicators,sightings --listen 0.0.0.0:0 2>"$WORK/err"
check "sightings refused on a non-loopback address" bash -c "[[ \$? == 0 ]] && grep -q \"raw collection 'sightings'\" '$WORK/err'"
# start_any NAME ARGS... for non-loopback listeners -> PORT
start_any() {
    local name=$1; shift
    "$STORM" serve "$@" 2>"$WORK/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_$name=$pid"
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*listening on http:\/\/[^/]*:\([0-9]*\)\/.*/\1/p' "$WORK/$name.log")
        [[ -n $PORT ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
DB2=$(store_db "$WORK" shared.db)
"$STORM" publish --db "$DB2" --to-db "$DB2" --collection shared --redact-key "$WORK/redact.key" >/dev/null 2>"$WORK/publish.log"
check "storm publish --to-db creates the shared collection" test $? = 0
if start_any shared --db "$DB2" --listen 0.0.0.0:0 --collections shared,indicators; then
    ok
    BASE="http://127.0.0.1:$PORT"
    get /storm/collections/
    check "redacted collections served beyond loopback" bash -c "[[ '$BODY' == *'\"alias\":\"shared\"'* && '$BODY' != *'\"alias\":\"sightings\"'* ]]"
else
    fail "serving shared,indicators on 0.0.0.0 did not start: $(cat "$WORK/shared.log")"
fi
if start_any unredacted --db "$DB" --listen 0.0.0.0:0 --allow-unredacted; then ok; else fail "--allow-unredacted did not start"; fi

# ---- failed logins: 429 after --auth-failures, even for the right password ------------
start_server lim --db "$DB" --users "$U" --auth-failures 3 --auth-window 120
BASE="http://127.0.0.1:$PORT"
for i in 1 2 3; do
    get /taxii2/ -u "bob:wrong$i"
    check "failed login $i: 401" is_error 401
done
get /taxii2/ "${B[@]}"
check "locked out: 429" is_error 429
check "429 has Retry-After" grep -q '^Retry-After: 1[12][0-9]$' <<<"$HEAD"
check "429 says why" has "$BODY" 'too many failed logins'

# ---- users: grants on unknown collections -------------------------------------------------
"$STORM" users --file "$U" grant bob read nosuchcollection 2>"$WORK/err"
check "grant of an unknown name without --db: exit 0" test $? = 0
check "grant of an unknown name without --db: warning" grep -q "warning: 'nosuchcollection'" "$WORK/err"
"$STORM" users --file "$U" --db "$DB" grant bob read nosuchcollection2 2>"$WORK/err"
check "grant of an unknown collection with --db: exit 1" test $? = 1
check "grant of an unknown collection with --db: named" grep -q "no collection 'nosuchcollection2'" "$WORK/err"
check "failed grant wrote nothing" bash -c "! '$STORM' users --file '$U' list | grep -q nosuchcollection2"
# (stderr holds only the confirmation line: -q for none)
"$STORM" users --file "$U" --db "$DB2" grant bob read shared 2>"$WORK/err"
rc=$?
check "grant of an existing collection with --db" bash -c "[[ $rc == 0 ]] && ! grep -q warning '$WORK/err'"
"$STORM" users --file "$U" -q grant bob read indicators 90fb65bf-31d7-481d-8fd6-4664d3d9f77a 2>"$WORK/err"
check "grant of a default alias or a UUID: no warning" test ! -s "$WORK/err"

# ---- SIGHUP reloads the users file --------------------------------------------------------
U2="$WORK/users2"
cp "$U" "$U2"
start_server hup --db "$DB" --users "$U2"
BASE="http://127.0.0.1:$PORT"
get /storm/collections/ -u carol:carol-password
check "before SIGHUP: carol unknown" is_error 401
get /storm/collections/ "${A[@]}"
check "before SIGHUP: alice in" test "$CODE" = 200
printf 'carol-password\n' | "$STORM" users --file "$U2" --iterations 1000 add carol
"$STORM" users --file "$U2" grant carol read indicators
"$STORM" users --file "$U2" remove alice
kill -HUP "$PID_hup"
for _ in $(seq 1 50); do grep -q 'reloaded the users' "$WORK/hup.log" && break; sleep 0.1; done
check "SIGHUP logged" grep -q 'reloaded the users' "$WORK/hup.log"
get /storm/collections/ -u carol:carol-password
check "after SIGHUP: carol in" test "$CODE" = 200
check "after SIGHUP: carol's rights" test "$(grep -o '"id":' <<<"$BODY" | wc -l)" = 1
get /storm/collections/ "${A[@]}"
check "after SIGHUP: removed alice out (remembered login forgotten)" is_error 401
printf 'garbage\n' >"$U2"
kill -HUP "$PID_hup"
for _ in $(seq 1 50); do grep -q 'not reloaded' "$WORK/hup.log" && break; sleep 0.1; done
check "bad users file on SIGHUP: logged" grep -q 'users not reloaded.*line 1' "$WORK/hup.log"
get /storm/collections/ "${B[@]}"
check "bad users file on SIGHUP: previous users stay" test "$CODE" = 200
kill -0 "$PID_hup"
check "bad users file on SIGHUP: still serving" test $? = 0

# every server exits cleanly (and, under the sanitizers, without a report)
for name in anon tls coll shared unredacted lim hup; do
    pid_var=PID_$name
    [[ -n ${!pid_var:-} ]] || continue
    kill "${!pid_var}"
    wait "${!pid_var}"
    rc=$?
    check "server $name stops cleanly" test $rc = 0
    [[ $rc == 0 ]] || cat "$WORK/$name.log" >&2
done
PIDS=()

echo "test_taxii_server${STORM_TEST_PG_URL:+ (PostgreSQL)}: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
