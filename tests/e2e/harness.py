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
    if os.environ.get("STORM_TEST_PG_URL"):
        name += " (PostgreSQL)"
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


# ---- the store's back end --------------------------------------------------
# Tests that keep a store name it with store_db() and read it with
# connect_db(): a SQLite file by default; under tests/pg_run.sh (which sets
# STORM_TEST_PG_URL) a new PostgreSQL database each, so that the same tests
# run on both back ends.
PG_URL = os.environ.get("STORM_TEST_PG_URL") or None
_pg_count = [0]


def backend():
    return "PostgreSQL" if PG_URL else "SQLite"


def store_db(directory, name):
    """A new, empty store: directory/name, or a PostgreSQL database URL."""
    if not PG_URL:
        return os.path.join(directory, name)
    import re
    _pg_count[0] += 1
    db = "t%d_%d_%s" % (os.getpid(), _pg_count[0], re.sub(r"\W", "_", name))
    host = os.environ["STORM_TEST_PG_DIR"]
    subprocess.run([os.path.join(os.environ["PGBIN"], "createdb"), "-h", host, "-U", "storm", db], check=True)
    return "postgresql://storm@/%s?host=%s" % (db, host)


class _PgRows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class _PgConnection:
    """The little of sqlite3.Connection the tests use (execute, fetch,
    close), through psql: `?` parameters become quoted literals; numbers
    come back as int."""

    def __init__(self, url):
        self.url = url

    def execute(self, sql, params=()):
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("parameter count")
        text = parts[0]
        for p, rest in zip(params, parts[1:]):
            text += (str(p) if isinstance(p, int) else "'" + str(p).replace("'", "''") + "'") + rest
        r = subprocess.run([os.path.join(os.environ["PGBIN"], "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                            "-F", "\x1f", "-R", "\x1e", "-d", self.url, "-c", text],
                           capture_output=True, text=True, check=True)
        rows = []
        for rec in r.stdout.rstrip("\n").split("\x1e"):
            if rec == "" and not rows:
                continue
            rows.append(tuple(int(v) if v.lstrip("-").isdigit() else (None if v == "" else v)
                              for v in rec.split("\x1f")))
        return _PgRows([] if rows == [()] else rows)

    def commit(self):
        pass

    def close(self):
        pass


def connect_db(db):
    """sqlite3.connect(db), or the same for a PostgreSQL URL."""
    if db.startswith("postgresql://"):
        return _PgConnection(db)
    import sqlite3
    return sqlite3.connect(db)
