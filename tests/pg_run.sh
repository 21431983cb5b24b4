#!/usr/bin/env bash
# Runs a command beside a PostgreSQL server of its own: initdb in a
# temporary directory (as an unprivileged user: initdb refuses root), the
# server on a unix socket in that directory only (no TCP port), one
# database, then the command with STORM_TEST_PG_URL set to it; the server
# is stopped and the directory deleted whatever the command does.
# Exit 77 (a skip for meson) with the reason when PostgreSQL's binaries or
# an unprivileged user are missing.
#   tests/pg_run.sh CMD [ARGS...]
set -u
PGBIN=${PGBIN:-}
if [ -z "$PGBIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN=$d; done
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "SKIP: no PostgreSQL server binaries (install Debian's postgresql package)"; exit 77
fi
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  PGUSER_OS=${STORM_TEST_PG_OS_USER:-nobody}
  if ! id "$PGUSER_OS" >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
    echo "SKIP: running as root and no unprivileged user '$PGUSER_OS' (or no setpriv) to run PostgreSQL as"; exit 77
  fi
  uid=$(id -u "$PGUSER_OS"); gid=$(id -g "$PGUSER_OS")
  as_user() { setpriv --reuid="$uid" --regid="$gid" --clear-groups env HOME=/tmp "$@"; }
fi
dir=$(mktemp -d /tmp/storm-pg.XXXXXX) || exit 1
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown "$uid:$gid" "$dir"
cleanup() {
  as_user "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! as_user "$PGBIN/initdb" -D "$dir/data" -U storm -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log"; echo "FAIL: initdb"; exit 1
fi
# unix socket only, small and fast for tests (no fsync: the data is thrown away;
# STORM_TEST_PG_DURABLE=1 keeps PostgreSQL's defaults, for benchmarks)
opts="-k $dir -c listen_addresses= -c max_connections=60"
[ "${STORM_TEST_PG_DURABLE:-0}" = 1 ] || opts="$opts -c fsync=off -c full_page_writes=off -c shared_buffers=32MB"
if ! as_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null; then
  cat "$dir/server.log"; echo "FAIL: PostgreSQL did not start"; exit 1
fi
if ! "$PGBIN/createdb" -h "$dir" -U storm storm_test; then
  echo "FAIL: createdb"; exit 1
fi
export STORM_TEST_PG_URL="postgresql://storm@/storm_test?host=$dir"
export STORM_TEST_PG_DIR=$dir PGBIN
"$@"
