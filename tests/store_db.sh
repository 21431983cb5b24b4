# Sourced by shell tests that keep stores: the same test on either back end.
#   store_db DIR NAME   a new store: DIR/NAME (SQLite), or under tests/pg_run.sh
#                       (STORM_TEST_PG_URL set) a new PostgreSQL database's URL
#   store_sql DB SQL    one query's rows, '|' between columns (sqlite3 or psql)
store_db() {
  if [ -z "${STORM_TEST_PG_URL:-}" ]; then echo "$1/$2"; return; fi
  local name="t$$_${RANDOM}_${2//[^a-zA-Z0-9]/_}"
  "$PGBIN/createdb" -h "$STORM_TEST_PG_DIR" -U storm "$name" || return 1
  echo "postgresql://storm@/$name?host=$STORM_TEST_PG_DIR"
}
store_sql() {
  case "$1" in
    postgresql://*) "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2" ;;
    *) sqlite3 "$1" "$2" ;;
  esac
}
