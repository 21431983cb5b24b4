/* SPDX-License-Identifier: Apache-2.0 */
/* The PostgreSQL back end of the store (db.h), on libpq. A store is one
 * database named by a postgresql:// URL; many processes write to it at
 * once (storm run workers, clusters publishing to one hub).
 *
 * Writers take one advisory lock before BEGIN and release it after COMMIT,
 * the same rule as SQLite's write lock: a sighting merged with its stored version reads
 * the last committed one (READ COMMITTED: every statement sees the commits
 * before it), so two writers cannot both build on one version and lose the
 * other's count, and date_added is given out in commit order, so a TAXII
 * reader's page cursor never passes a row that commits later. Readers take
 * no lock (MVCC). The lock is the session's, taken before the transaction
 * starts, so the transaction sees every commit made before it got the lock,
 * the catalog's too: a transaction-level lock taken after BEGIN left a
 * second migrating process with a stale "no such table" cache (it then ran
 * migration 1 again: "relation collections already exists").
 *
 * Statements come with SQLite-style placeholders (?N or ?): they become $N.
 * Results come as text and are fully fetched per run (a page is at most
 * STORM_STORE_QUERY_LIMIT_MAX rows). */
#include "store_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/lazy_lib.h>

#include "schema.h"
#include "storm_config.h"

/* The libpq functions this file calls, loaded by the first pg_open. */
#define PQ_FUNCTIONS(X)                                                                                                \
    X(PQconnectdb)                                                                                                     \
    X(PQstatus)                                                                                                        \
    X(PQreset)                                                                                                         \
    X(PQfinish)                                                                                                        \
    X(PQdb)                                                                                                            \
    X(PQerrorMessage)                                                                                                  \
    X(PQsetNoticeProcessor)                                                                                            \
    X(PQtransactionStatus)                                                                                             \
    X(PQexec)                                                                                                          \
    X(PQexecParams)                                                                                                    \
    X(PQprepare)                                                                                                       \
    X(PQexecPrepared)                                                                                                  \
    X(PQresultStatus)                                                                                                  \
    X(PQresultErrorMessage)                                                                                            \
    X(PQcmdStatus)                                                                                                     \
    X(PQcmdTuples)                                                                                                     \
    X(PQntuples)                                                                                                       \
    X(PQnfields)                                                                                                       \
    X(PQgetvalue)                                                                                                      \
    X(PQgetlength)                                                                                                     \
    X(PQgetisnull)                                                                                                     \
    X(PQclear)
typedef struct pq_api {
    PQ_FUNCTIONS(STORM_LAZY_FIELD)
} pq_api;
static pq_api libpq;
#define PQ_SYM(fn) STORM_LAZY_SYM(pq_api, fn)
static const storm_lazy_sym pq_syms[] = {PQ_FUNCTIONS(PQ_SYM)};
static storm_lazy_lib pq_lib = STORM_LAZY_LIB(STORM_SONAME_PQ, STORM_PACKAGE_PQ, pq_syms, &libpq);

/* The advisory lock key of a store's writers ("Storm" in ASCII). */
#define PG_WRITE_LOCK_KEY "358094238061"
#define PG_ANALYZE_FIRST 1000 /* rows a writer changes before it first refreshes the statistics */
#define PG_PARAMS_MAX 1024    /* placeholders in one statement (queries bind at most 4 lists of 64) */

typedef struct pg_conn {
    PGconn *pg;
    char last_error[512];    /* the last statement's error (PQerrorMessage is the connection's) */
    unsigned long long next; /* statement names */
    uint64_t own_changes;    /* rows this connection changed (data_version) */
    bool locked;             /* holds the store's write lock */
    bool in_tx;              /* between begin and end */
    uint64_t next_analyze;   /* own_changes at which to refresh the planner's statistics */
    bool readonly;
    unsigned long long generation; /* connections made (a reconnect forgets the prepared statements) */
} pg_conn;

typedef struct pg_stmt {
    store_stmt base;
    pg_conn *c;
    char *sql; /* with $N placeholders */
    char name[32];
    bool keep, prepared;
    unsigned long long prepared_in; /* the connection generation it was prepared in */
    int n_params;
    const char **values;
    int *lengths, *formats;
    char (*numbers)[24]; /* the text of integer parameters */
    PGresult *res;
    int row, rows; /* current row (row - 1 after a step) and how many */
    int64_t changes;
} pg_stmt;

static pg_conn *conn_of(storm_store *s)
{
    return s->conn;
}

static void keep_error(pg_conn *c, const char *msg)
{
    snprintf(c->last_error, sizeof c->last_error, "%s", msg && *msg ? msg : libpq.PQerrorMessage(c->pg));
    size_t n = strlen(c->last_error); /* libpq ends messages with a newline */
    while (n && (c->last_error[n - 1] == '\n' || c->last_error[n - 1] == ' '))
        c->last_error[--n] = '\0';
}

static storm_rc pg_error(storm_store *s, storm_err *err, const char *what)
{
    pg_conn *c = conn_of(s);
    return storm_err_set(err, STORM_ERR_IO, 0, "store: %s: %s (PostgreSQL)", what,
                         c->last_error[0] ? c->last_error : "failed");
}

/* Run SQL without parameters; true when it succeeded. */
static bool run(pg_conn *c, const char *sql)
{
    PGresult *r = libpq.PQexec(c->pg, sql);
    ExecStatusType st = libpq.PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        keep_error(c, libpq.PQresultErrorMessage(r));
    libpq.PQclear(r);
    return ok;
}

static storm_rc pg_exec(storm_store *s, const char *sql, storm_err *err)
{
    if (!run(conn_of(s), sql))
        return storm_err_set(err, STORM_ERR_IO, 0, "store: %.200s: %s (PostgreSQL)", sql, conn_of(s)->last_error);
    return STORM_OK;
}

static void ignore_notice(void *arg, const char *msg)
{
    (void)arg, (void)msg; /* "table ... does not exist, skipping" and the like */
}

/* UTC timestamps and UTF-8 text whatever the server's defaults; a
 * read-only handle is read-only on the server too. */
static bool session_setup(pg_conn *c)
{
    c->generation++;
    libpq.PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
    return run(c, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning") &&
           (!c->readonly || run(c, "SET default_transaction_read_only = on"));
}

/* A long-lived handle (storm serve, storm run --follow) outlives a server
 * restart or a dropped connection: between transactions, connect again. A
 * transaction in flight fails (its work is not known to be committed). */
static void reconnect_if_lost(pg_conn *c)
{
    if (libpq.PQstatus(c->pg) == CONNECTION_OK || c->in_tx)
        return;
    c->locked = false; /* the server let go of it with the connection */
    libpq.PQreset(c->pg);
    if (libpq.PQstatus(c->pg) == CONNECTION_OK)
        session_setup(c);
}

static storm_rc pg_open(storm_store *s, const char *url, int flags, storm_err *err)
{
    (void)flags;
    storm_rc rc = storm_lazy_lib_load(&pq_lib, "store (postgresql://)", err);
    if (rc)
        return rc;
    pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    s->conn = c;
    c->pg = libpq.PQconnectdb(url);
    if (!c->pg || libpq.PQstatus(c->pg) != CONNECTION_OK) {
        keep_error(c, NULL);
        return storm_err_set(err, STORM_ERR_IO, 0,
                             "store: cannot connect to PostgreSQL (%s): %s; is the server running and the URL "
                             "right (postgresql://USER@HOST/DATABASE)?",
                             c->pg ? libpq.PQdb(c->pg) : "?", c->last_error);
    }
    c->readonly = s->readonly;
    c->next_analyze = PG_ANALYZE_FIRST;
    return session_setup(c) ? STORM_OK : pg_error(s, err, "session setup");
}

static void pg_close(storm_store *s)
{
    pg_conn *c = conn_of(s);
    libpq.PQfinish(c->pg);
    free(c);
    s->conn = NULL;
}

/* ?N -> $N, ? -> $k (the next number), outside quoted text; *n_params is
 * the largest number used. Owned by the caller (free). */
static char *placeholders(const char *sql, int *n_params)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 5 + 1); /* "?" may become "$1024" */
    if (!out)
        return NULL;
    char *o = out;
    int next = 1, max = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            *o++ = *p;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
            continue;
        }
        if (*p != '?') {
            *o++ = *p;
            continue;
        }
        int n;
        if (p[1] >= '0' && p[1] <= '9') {
            n = 0;
            while (p[1] >= '0' && p[1] <= '9')
                n = n * 10 + (*++p - '0');
        } else {
            n = next;
        }
        next = n + 1;
        if (n > max)
            max = n;
        o += sprintf(o, "$%d", n);
    }
    *o = '\0';
    *n_params = max;
    return out;
}

static storm_rc pg_prepare(storm_store *s, const char *sql, bool keep, store_stmt **out, storm_err *err)
{
    *out = NULL;
    pg_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    st->base.be = &store_backend_pg;
    st->c = conn_of(s);
    st->keep = keep;
    st->sql = placeholders(sql, &st->n_params);
    if (st->sql && st->n_params > PG_PARAMS_MAX) {
        free(st->sql);
        free(st);
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "store: more than %d parameters in one statement", PG_PARAMS_MAX);
    }
    size_t n = st->n_params ? (size_t)st->n_params : 1;
    st->values = calloc(n, sizeof *st->values);
    st->lengths = calloc(n, sizeof *st->lengths);
    st->formats = calloc(n, sizeof *st->formats);
    st->numbers = calloc(n, sizeof *st->numbers);
    if (!st->sql || !st->values || !st->lengths || !st->formats || !st->numbers) {
        st->base.be->finalize(&st->base);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory");
    }
    snprintf(st->name, sizeof st->name, "storm_%llu", ++st->c->next);
    *out = &st->base;
    return STORM_OK;
}

static pg_stmt *pgst(store_stmt *st)
{
    return (pg_stmt *)st;
}

static void pg_bind_int64(store_stmt *s, int i, int64_t v)
{
    pg_stmt *st = pgst(s);
    if (i < 1 || i > st->n_params)
        return;
    snprintf(st->numbers[i - 1], sizeof st->numbers[0], "%lld", (long long)v);
    st->values[i - 1] = st->numbers[i - 1];
    st->formats[i - 1] = 0;
}

static void pg_bind_text(store_stmt *s, int i, const char *t, size_t len)
{
    pg_stmt *st = pgst(s);
    if (i < 1 || i > st->n_params)
        return;
    /* binary format: text with a length (need not end in NUL); text's
     * binary form is its bytes */
    st->values[i - 1] = t;
    st->lengths[i - 1] = (int)len;
    st->formats[i - 1] = 1;
}

/* Prepare (once per connection) and run st: its result, or NULL with the
 * error kept. */
static PGresult *run_stmt(pg_stmt *st)
{
    reconnect_if_lost(st->c);
    if (st->prepared && st->prepared_in != st->c->generation)
        st->prepared = false; /* made on a connection since lost */
    PGresult *r;
    if (st->keep && !st->prepared) {
        r = libpq.PQprepare(st->c->pg, st->name, st->sql, st->n_params, NULL);
        if (libpq.PQresultStatus(r) != PGRES_COMMAND_OK) {
            keep_error(st->c, libpq.PQresultErrorMessage(r));
            libpq.PQclear(r);
            return NULL;
        }
        libpq.PQclear(r);
        st->prepared = true;
        st->prepared_in = st->c->generation;
    }
    if (st->prepared)
        r = libpq.PQexecPrepared(st->c->pg, st->name, st->n_params, st->values, st->lengths, st->formats, 0);
    else
        r = libpq.PQexecParams(st->c->pg, st->sql, st->n_params, NULL, st->values, st->lengths, st->formats, 0);
    ExecStatusType es = libpq.PQresultStatus(r);
    if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
        keep_error(st->c, libpq.PQresultErrorMessage(r));
        libpq.PQclear(r);
        return NULL;
    }
    return r;
}

static int pg_step(store_stmt *s)
{
    pg_stmt *st = pgst(s);
    if (!st->res) {
        PGresult *r = run_stmt(st);
        /* outside a transaction a lost connection is found here: once more
         * on a new one (inside, the transaction's work is lost: it fails) */
        if (!r && !st->c->in_tx && libpq.PQstatus(st->c->pg) != CONNECTION_OK)
            r = run_stmt(st);
        if (!r)
            return STORE_STEP_FAILED;
        ExecStatusType es = libpq.PQresultStatus(r);
        st->res = r;
        st->row = 0;
        st->rows = es == PGRES_TUPLES_OK ? libpq.PQntuples(r) : 0;
        const char *n = libpq.PQcmdTuples(r);
        st->changes = es == PGRES_COMMAND_OK && n && *n ? strtoll(n, NULL, 10) : 0;
        st->c->own_changes += (uint64_t)st->changes;
    }
    if (st->row >= st->rows)
        return STORE_STEP_DONE;
    st->row++;
    return STORE_STEP_ROW;
}

static bool pg_column_null(store_stmt *s, int i)
{
    pg_stmt *st = pgst(s);
    return !st->res || st->row < 1 || i >= libpq.PQnfields(st->res) || libpq.PQgetisnull(st->res, st->row - 1, i);
}

static const char *pg_column_text(store_stmt *s, int i)
{
    return pg_column_null(s, i) ? NULL : libpq.PQgetvalue(pgst(s)->res, pgst(s)->row - 1, i);
}

static int64_t pg_column_int64(store_stmt *s, int i)
{
    const char *t = pg_column_text(s, i);
    return t ? strtoll(t, NULL, 10) : 0;
}

static size_t pg_column_bytes(store_stmt *s, int i)
{
    return pg_column_null(s, i) ? 0 : (size_t)libpq.PQgetlength(pgst(s)->res, pgst(s)->row - 1, i);
}

static int64_t pg_changes(store_stmt *s)
{
    return pgst(s)->changes;
}

static void pg_reset(store_stmt *s)
{
    pg_stmt *st = pgst(s);
    libpq.PQclear(st->res);
    st->res = NULL;
    st->row = st->rows = 0;
}

static void pg_finalize(store_stmt *s)
{
    pg_stmt *st = pgst(s);
    pg_reset(s);
    if (st->prepared && st->prepared_in == st->c->generation && libpq.PQtransactionStatus(st->c->pg) == PQTRANS_IDLE) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        run(st->c, sql); /* else the server forgets it with the connection */
    }
    free(st->sql);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->numbers);
    free(st);
}

static bool pg_in_transaction(storm_store *s)
{
    return libpq.PQtransactionStatus(conn_of(s)->pg) != PQTRANS_IDLE;
}

static void unlock(pg_conn *c)
{
    if (c->locked && run(c, "SELECT pg_advisory_unlock(" PG_WRITE_LOCK_KEY ")"))
        c->locked = false;
}

static storm_rc pg_begin(storm_store *s, storm_err *err)
{
    pg_conn *c = conn_of(s);
    reconnect_if_lost(c);
    storm_rc rc;
    if (s->readonly) {
        if (!(rc = pg_exec(s, "BEGIN", err)))
            c->in_tx = true;
        return rc;
    }
    rc = pg_exec(s, "SELECT pg_advisory_lock(" PG_WRITE_LOCK_KEY ")", err);
    if (rc && libpq.PQstatus(c->pg) != CONNECTION_OK) { /* lost since the last use: once more on a new one */
        reconnect_if_lost(c);
        rc = pg_exec(s, "SELECT pg_advisory_lock(" PG_WRITE_LOCK_KEY ")", err);
    }
    if (rc)
        return rc;
    c->locked = true;
    if ((rc = pg_exec(s, "BEGIN", err)))
        unlock(c);
    else
        c->in_tx = true;
    return rc;
}

static storm_rc pg_end(storm_store *s, bool commit, storm_err *err)
{
    pg_conn *c = conn_of(s);
    storm_rc rc = STORM_OK;
    PGresult *r = libpq.PQexec(c->pg, commit ? "COMMIT" : "ROLLBACK");
    if (libpq.PQresultStatus(r) != PGRES_COMMAND_OK) {
        keep_error(c, libpq.PQresultErrorMessage(r));
        rc = storm_err_set(err, STORM_ERR_IO, 0, "store: %s: %s (PostgreSQL)", commit ? "commit" : "rollback",
                           c->last_error);
    } else if (commit && strcmp(libpq.PQcmdStatus(r), "ROLLBACK") == 0) {
        /* COMMIT of a transaction a failed statement aborted: rolled back */
        rc = storm_err_set(err, STORM_ERR_IO, 0,
                           "store: commit: the transaction was rolled back after an earlier error: %s (PostgreSQL)",
                           c->last_error[0] ? c->last_error : "?");
    }
    libpq.PQclear(r);
    /* a failed COMMIT ends the transaction too (rolled back) */
    if (libpq.PQtransactionStatus(c->pg) != PQTRANS_IDLE && libpq.PQstatus(c->pg) == CONNECTION_OK)
        run(c, "ROLLBACK");
    unlock(c);
    if (libpq.PQstatus(c->pg) != CONNECTION_OK)
        c->locked = false; /* gone with the connection */
    c->in_tx = false;
    /* The planner needs statistics to see that a page (LIMIT 100 in
     * date_added order) is an index range: on a table grown since the last
     * ANALYZE it sorted the whole collection instead (85 ms rather than
     * 0.1 ms a page at 10,000 objects). Autovacuum comes when it comes; a
     * writer refreshes them itself after 1,000, 2,000, 4,000, ... rows of
     * its own: a few sampled reads, a handful of times per process. */
    if (!rc && commit && c->own_changes >= c->next_analyze) {
        run(c, "ANALYZE objects");
        c->next_analyze = c->own_changes * 2;
    }
    return rc;
}

/* One text value of a one-row query with at most one text parameter;
 * NULL when the value is NULL, there is no row, or on error (*ok false).
 * Owned by the caller (free). */
static char *query_text(pg_conn *c, const char *sql, const char *param, bool *ok)
{
    PGresult *r = libpq.PQexecParams(c->pg, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
    char *v = NULL;
    *ok = libpq.PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!*ok)
        keep_error(c, libpq.PQresultErrorMessage(r));
    else if (libpq.PQntuples(r) > 0 && !libpq.PQgetisnull(r, 0, 0))
        v = strdup(libpq.PQgetvalue(r, 0, 0));
    libpq.PQclear(r);
    return v;
}

static bool pg_has_table(storm_store *s, const char *name)
{
    bool ok;
    char *v = query_text(conn_of(s), "SELECT to_regclass($1)::text", name, &ok);
    free(v);
    return v != NULL;
}

/* The schema version lives in a table of its own (PostgreSQL has no
 * user_version); a database without it is version 0. */
static int pg_schema_version(storm_store *s)
{
    bool ok;
    char *v = query_text(conn_of(s), "SELECT to_regclass('storm_schema')::text", NULL, &ok);
    if (!ok)
        return -1;
    if (!v)
        return 0;
    free(v);
    v = query_text(conn_of(s), "SELECT max(version)::text FROM storm_schema", NULL, &ok);
    int n = v ? atoi(v) : 0;
    free(v);
    return ok ? n : -1;
}

static storm_rc pg_set_schema_version(storm_store *s, int v, storm_err *err)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS storm_schema(version INTEGER NOT NULL);"
             "DELETE FROM storm_schema; INSERT INTO storm_schema(version) VALUES (%d)",
             v);
    return pg_exec(s, sql, err);
}

/* The transaction snapshot (xmin:xmax:in-progress list) says which commits
 * a query sees: equal snapshots see equal data. Hashed with this
 * connection's own (maybe uncommitted) changes. */
static storm_rc pg_data_version(storm_store *s, uint64_t *out, storm_err *err)
{
    pg_conn *c = conn_of(s);
    bool ok;
    char *v = query_text(c, "SELECT pg_current_snapshot()::text", NULL, &ok);
    if (!v)
        return pg_error(s, err, "data_version");
    uint64_t h = 1469598103934665603ull;
    for (const char *p = v; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    free(v);
    *out = h ^ (c->own_changes * 0x9e3779b97f4a7c15ull);
    return STORM_OK;
}

const store_backend store_backend_pg = {
    .name = "PostgreSQL",
    .sqlite_dialect = false,
    .writable_ctes = true,
    .migrations = store_pg_migrations,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .step = pg_step,
    .column_null = pg_column_null,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .column_bytes = pg_column_bytes,
    .changes = pg_changes,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .in_transaction = pg_in_transaction,
    .begin = pg_begin,
    .end = pg_end,
    .error = pg_error,
    .has_table = pg_has_table,
    .schema_version = pg_schema_version,
    .set_schema_version = pg_set_schema_version,
    .data_version = pg_data_version,
};
