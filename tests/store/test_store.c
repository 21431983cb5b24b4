/* SPDX-License-Identifier: Apache-2.0 */
/* The store: migrations, idempotent puts, versions, page order and
 * cursors, filters, deletes, status resources, and that a page query is an
 * index range scan (EXPLAIN QUERY PLAN, SQLite), the baseline's tables and
 * rows, and two writers updating one object at once. On SQLite by default;
 * on PostgreSQL when STORM_TEST_PG_URL names a database (tests/pg_run.sh
 * starts one), with the same checks. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <storm/store.h>
#include <storm/store_baseline.h>
#include <storm/time.h>

#include "test.h"
#include "store_int.h"
#include "store_sqlite.h"

static char db_path[512];
static const char *pg_url; /* the PostgreSQL database under test, else NULL (SQLite) */

/* PostgreSQL: an empty database (every table of the previous test dropped). */
static storm_store *open_fresh_pg(void)
{
    snprintf(db_path, sizeof db_path, "%s", pg_url);
    storm_store *s = NULL;
    storm_err err = {0};
    if (storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) != STORM_OK ||
        store_exec(s, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err) != STORM_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        storm_store_close(s);
        return NULL;
    }
    storm_store_close(s);
    s = NULL;
    if (storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) != STORM_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    return s;
}

static storm_store *open_fresh(void)
{
    if (pg_url)
        return open_fresh_pg();
    snprintf(db_path, sizeof db_path, "/tmp/storm-test-store-%d.db", (int)getpid());
    unlink(db_path);
    char side[sizeof db_path + 8];
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    storm_store *s = NULL;
    storm_err err = {0};
    storm_rc rc = storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err);
    if (rc)
        fprintf(stderr, "open: %s\n", err.msg);
    return s;
}

static storm_rc put(storm_store *s, const char *coll, const char *json, bool *added)
{
    storm_err err = {0};
    storm_rc rc = storm_store_put_json(s, coll, json, strlen(json), added, &err);
    if (rc && rc != STORM_ERR_VALUE)
        fprintf(stderr, "put: %s\n", err.msg);
    return rc;
}

static char *indicator(char *buf, size_t cap, int n, const char *modified)
{
    snprintf(buf, cap,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-%012d\","
             "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"pattern\":\"[file:name = 'x%d']\","
             "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"}",
             n, modified, n);
    return buf;
}

typedef struct collect {
    char ids[64][80];
    int64_t added[64];
    int64_t versions[64];
    size_t n;
} collect;

static int collect_row(void *ctx, const storm_store_row *r)
{
    collect *c = ctx;
    if (c->n < 64) {
        snprintf(c->ids[c->n], sizeof c->ids[0], "%s", r->id);
        c->added[c->n] = r->date_added_us;
        c->versions[c->n] = r->version;
    }
    c->n++;
    return 0;
}

static void test_defaults_and_migration(void)
{
    storm_store *s = open_fresh();
    CHECK(s != NULL);
    if (!s)
        return;
    storm_store_collection cs[8];
    size_t n = 0;
    storm_err err = {0};
    CHECK(storm_store_collections(s, cs, 8, &n, &err) == STORM_OK);
    CHECK(n == 3);
    CHECK_STR(cs[0].alias, "indicators");
    CHECK_STR(cs[1].alias, "sightings");
    CHECK_STR(cs[2].alias, "observations");
    storm_store_collection c;
    CHECK(storm_store_collection_find(s, "sightings", &c, &err) == STORM_OK);
    CHECK_STR(c.id, "1d6ac09b-5f50-48c5-943d-badd11c15b77");
    CHECK(storm_store_collection_find(s, c.id, &c, &err) == STORM_OK);
    CHECK(storm_store_collection_find(s, "nope", &c, &err) == STORM_ERR_NOTFOUND);
    CHECK(s->be->schema_version(s) == STORE_SCHEMA_VERSION);
    CHECK_STR(storm_store_backend(s), pg_url ? "PostgreSQL" : "SQLite");
    if (!pg_url) {
        sqlite3_stmt *st;
        sqlite3_prepare_v2(store_sqlite_handle(s), "PRAGMA journal_mode", -1, &st, NULL);
        CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
        sqlite3_finalize(st);
    }
    storm_store_collection nc = {0};
    snprintf(nc.title, sizeof nc.title, "Extra");
    snprintf(nc.alias, sizeof nc.alias, "extra");
    CHECK(storm_store_collection_create(s, &nc, &err) == STORM_OK);
    CHECK(strlen(nc.id) == 36 && nc.id[14] == '4');
    storm_store_close(s);
    /* reopen: migration is not re-run, the extra collection is still there */
    CHECK(storm_store_open(db_path, STORM_STORE_READONLY, &s, &err) == STORM_OK);
    CHECK(storm_store_collections(s, cs, 8, &n, &err) == STORM_OK && n == 4);
    bool added = true;
    CHECK(put(s, "indicators", "{\"type\":\"x\",\"id\":\"x--1\"}", &added) == STORM_ERR_STATE);
    CHECK(!added);
    storm_store_close(s);
}

static void test_put_idempotent_and_versions(void)
{
    storm_store *s = open_fresh();
    if (!s)
        return;
    char b[1024];
    bool added = false;
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-01-01T00:00:00.000Z"), &added) == STORM_OK && added);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-01-01T00:00:00.000Z"), &added) == STORM_OK && !added);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-02-01T00:00:00.000Z"), &added) == STORM_OK && added);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-01-15T00:00:00.000Z"), &added) == STORM_OK && added);
    /* SCO without modified/created: one version per id */
    const char *sco =
        "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--11111111-1111-5111-8111-111111111111\",\"value\":\"10.0.0.1\"}";
    CHECK(put(s, "observations", sco, &added) == STORM_OK && added);
    CHECK(put(s, "observations", sco, &added) == STORM_OK && !added);
    /* errors carry a reason */
    storm_err err = {0};
    const char *bad = "{\"type\":\"indicator\",\"id\":\"malware--1\",\"modified\":\"2026-01-01T00:00:00Z\"}";
    CHECK(storm_store_put_json(s, "indicators", bad, strlen(bad), &added, &err) == STORM_ERR_VALUE);
    CHECK(strstr(err.msg, "'id'") != NULL);
    storm_err_clear(&err);
    const char *badts = "{\"type\":\"indicator\",\"id\":\"indicator--1\",\"modified\":\"yesterday\"}";
    CHECK(storm_store_put_json(s, "indicators", badts, strlen(badts), &added, &err) == STORM_ERR_VALUE);
    storm_err_clear(&err);
    CHECK(storm_store_put_json(s, "nope", sco, strlen(sco), &added, &err) == STORM_ERR_NOTFOUND);

    const char *id1 = "indicator--00000000-0000-4000-8000-000000000001";
    storm_store_query q = {.collection = "indicators", .limit = 100, .ids = &id1, .n_ids = 1};
    collect c = {0};
    bool more;
    err = (storm_err){0};
    /* default: last */
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK);
    CHECK(c.n == 1 && !more);
    char ts[40];
    storm_time_ns feb;
    CHECK(storm_time_parse("2026-02-01T00:00:00Z", 20, 1, &feb));
    CHECK(c.n == 1 && c.versions[0] == feb);
    (void)ts;
    c.n = 0;
    q.version_flags = STORM_STORE_VERSION_ALL;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 3);
    /* date_added order = insertion order */
    CHECK(c.added[0] < c.added[1] && c.added[1] < c.added[2]);
    c.n = 0;
    q.version_flags = STORM_STORE_VERSION_FIRST;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 1);
    storm_time_ns jan;
    storm_time_parse("2026-01-01T00:00:00Z", 20, 1, &jan);
    CHECK(c.versions[0] == jan);
    c.n = 0;
    q.version_flags = STORM_STORE_VERSION_FIRST | STORM_STORE_VERSION_LAST;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 2);
    c.n = 0;
    storm_time_ns mid;
    storm_time_parse("2026-01-15T00:00:00Z", 20, 1, &mid);
    q.version_flags = 0;
    q.versions = &mid;
    q.n_versions = 1;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 1);
    CHECK(c.versions[0] == mid);
    /* delete one version, then all */
    size_t del = 0;
    CHECK(storm_store_delete(s, &q, &del, &err) == STORM_OK && del == 1);
    /* deleting the latest makes the newest remaining one the latest */
    q.n_versions = 0;
    q.version_flags = STORM_STORE_VERSION_LAST;
    CHECK(storm_store_delete(s, &q, &del, &err) == STORM_OK && del == 1);
    c.n = 0;
    q.version_flags = 0;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 1);
    CHECK(c.versions[0] == jan);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-01-15T00:00:00.000Z"), &added) == STORM_OK && added);
    c.n = 0;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 1);
    CHECK(c.versions[0] == mid);
    q.n_versions = 0;
    q.version_flags = 0; /* delete: no selector = every version */
    CHECK(storm_store_delete(s, &q, &del, &err) == STORM_OK && del == 2);
    c.n = 0;
    q.version_flags = STORM_STORE_VERSION_ALL;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK && c.n == 0);
    storm_store_close(s);
}

static void test_pagination(void)
{
    storm_store *s = open_fresh();
    if (!s)
        return;
    char b[1024];
    storm_err err = {0};
    CHECK(storm_store_begin(s, &err) == STORM_OK);
    for (int i = 0; i < 250; i++)
        put(s, "indicators", indicator(b, sizeof b, i, "2026-01-01T00:00:00.000Z"), NULL);
    const char *note =
        "{\"type\":\"note\",\"spec_version\":\"2.1\",\"id\":\"note--00000000-0000-4000-8000-000000000001\","
        "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"content\":\"n\","
        "\"object_refs\":[\"indicator--00000000-0000-4000-8000-000000000001\"]}";
    put(s, "indicators", note, NULL);
    CHECK(storm_store_commit(s, &err) == STORM_OK);
    storm_store_query q = {.collection = "indicators", .limit = 64};
    int64_t key = 0, last_added = 0;
    size_t total = 0, pages = 0;
    bool more = true, ordered = true;
    while (more && pages < 100) {
        collect c = {0};
        q.after_key = key;
        CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, &key, &err) == STORM_OK);
        for (size_t i = 0; i < c.n && i < 64; i++) {
            ordered = ordered && c.added[i] > last_added;
            last_added = c.added[i];
        }
        total += c.n;
        pages++;
        CHECK(more == (key != 0));
    }
    CHECK(ordered);
    CHECK(total == 251);
    /* more and next may be NULL */
    collect c0 = {0};
    q.after_key = 0;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c0, NULL, NULL, &err) == STORM_OK && c0.n == 64);
    CHECK(pages == 4);
    /* type filter */
    const char *types[] = {"note"};
    collect c = {0};
    q = (storm_store_query){.collection = "indicators", .limit = 10, .types = types, .n_types = 1};
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK);
    CHECK(c.n == 1 && !more);
    /* added_after: everything after the 200th */
    q = (storm_store_query){.collection = "indicators", .limit = 1000};
    c.n = 0;
    int64_t k200 = 0;
    q.limit = 200;
    CHECK(storm_store_query_objects(s, &q, NULL, NULL, &more, &k200, &err) == STORM_OK && more);
    q.limit = 1000;
    q.added_after_us = k200;
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, &more, NULL, &err) == STORM_OK);
    CHECK(c.n == 51);
    /* limits are enforced */
    q.limit = 0;
    CHECK(storm_store_query_objects(s, &q, NULL, NULL, &more, NULL, &err) == STORM_ERR_LIMIT);
    storm_store_close(s);
}

/* The page query must be a range scan of objects_by_added, without a sort
 * step and without scanning the table: explain the exact SQL the store
 * builds for the common shapes of TAXII requests. */
static void explain(storm_store *s, const char *sql, char *plan, size_t cap)
{
    char full[8192];
    snprintf(full, sizeof full, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(store_sqlite_handle(s), full, -1, &st, NULL) == SQLITE_OK);
    plan[0] = '\0';
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        strncat(plan, (const char *)sqlite3_column_text(st, 3), cap - strlen(plan) - 2);
        strcat(plan, ";");
    }
    sqlite3_finalize(st);
}

static void test_query_plan(void)
{
    if (pg_url) /* SQLite's plans (PostgreSQL chooses by its statistics) */
        return;
    storm_store *s = open_fresh();
    if (!s)
        return;
    const char *types[] = {"indicator", "malware"};
    const char *specs[] = {"2.1"};
    const char *ids[] = {"indicator--1"};
    int64_t versions[] = {1, 2};
    storm_store_query shapes[] = {
        {.collection = "indicators", .limit = 100, .with_json = true},
        {.collection = "indicators", .limit = 100, .with_json = false, .version_flags = STORM_STORE_VERSION_ALL},
        {.collection = "indicators",
         .limit = 100,
         .types = types,
         .n_types = 2,
         .spec_versions = specs,
         .n_spec_versions = 1,
         .version_flags = STORM_STORE_VERSION_FIRST,
         .versions = versions,
         .n_versions = 2},
        {.collection = "indicators", .limit = 100, .ids = ids, .n_ids = 1, .with_json = true},
    };
    /* (shape 2 asks for first: the only per-row subquery left) */
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        storm_buf sql;
        CHECK(store_query_sql(&shapes[i], true, &sql) == STORM_OK);
        char plan[4096];
        explain(s, sql.data, plan, sizeof plan);
        storm_buf_free(&sql);
        CHECK(strstr(plan, "SCAN") == NULL);
        if (i < 3) {
            CHECK(strstr(plan, "TEMP B-TREE") == NULL);
            CHECK(strstr(plan, "SEARCH o USING INDEX objects_by_added (collection=? AND date_added>?)") != NULL);
        } else { /* an id list: the versions of those ids, sorted (objects_by_added would read them all) */
            CHECK(strstr(plan, "SEARCH o USING INDEX objects_by_id (collection=? AND id=?)") != NULL);
        }
        if (i == 2) /* match[version]=first: one probe of objects_by_id per row */
            CHECK(strstr(plan, "SEARCH i USING COVERING INDEX objects_by_id") != NULL);
        if (strstr(plan, "SCAN") || (i < 3 && strstr(plan, "TEMP")))
            fprintf(stderr, "plan %zu: %s\n", i, plan);
    }
    char plan[1024];
    explain(s, "SELECT max(date_added) FROM objects WHERE collection = 1", plan, sizeof plan);
    CHECK(strstr(plan, "SCAN") == NULL);
    storm_store_close(s);
}

static void test_status(void)
{
    storm_store *s = open_fresh();
    if (!s)
        return;
    storm_err err = {0};
    const char *j = "{\"id\":\"abc\",\"status\":\"complete\"}";
    CHECK(storm_store_status_put(s, "abc", j, strlen(j), &err) == STORM_OK);
    char *got = NULL;
    size_t len = 0;
    CHECK(storm_store_status_get(s, "abc", &got, &len, &err) == STORM_OK);
    CHECK_STR(got, j);
    free(got);
    CHECK(storm_store_status_get(s, "zzz", &got, &len, &err) == STORM_ERR_NOTFOUND);
    CHECK(got == NULL);
    storm_store_close(s);
    unlink(db_path);
}

/* A bad created must not hide behind a good modified, and modified may
 * not precede created (both were stored before: QA, issue 6). */
static void test_put_checks_both_timestamps(void)
{
    storm_store *s = open_fresh();
    CHECK(s != NULL);
    if (!s)
        return;
    bool added = false;
    CHECK(put(s, "indicators",
              "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-"
              "000000000001\","
              "\"created\":\"yesterday\",\"modified\":\"2026-01-01T00:00:00Z\"}",
              &added) == STORM_ERR_VALUE);
    CHECK(put(s, "indicators",
              "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-"
              "000000000001\","
              "\"created\":\"2026-02-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}",
              &added) == STORM_ERR_VALUE);
    CHECK(put(s, "indicators",
              "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-"
              "000000000001\","
              "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}",
              &added) == STORM_OK);
    CHECK(added);
    storm_store_close(s);
    unlink(db_path);
}

static bool table_exists(storm_store *s, const char *name)
{
    return s->be->has_table(s, name);
}

static int schema_version(storm_store *s)
{
    return s->be->schema_version(s);
}

/* Run SQL and set the schema version (to make a store of an older version). */
static bool downgrade(storm_store *s, const char *sql, int version)
{
    storm_err err = {0};
    bool ok = (!sql || store_exec(s, sql, &err) == STORM_OK) && s->be->set_schema_version(s, version, &err) == STORM_OK;
    if (!ok)
        fprintf(stderr, "downgrade: %s\n", err.msg);
    return ok;
}

typedef struct bl_rows {
    int profiles, features;
    char workload[64], origin[32], feature[64];
    uint64_t learned, hits;
    bool denied;
} bl_rows;

static storm_rc on_profile(void *ctx, const storm_store_profile *p, storm_err *err)
{
    (void)err;
    bl_rows *r = ctx;
    r->profiles++;
    snprintf(r->workload, sizeof r->workload, "%s", p->workload);
    snprintf(r->origin, sizeof r->origin, "%s", p->origin);
    r->learned = p->events_learned;
    return STORM_OK;
}

static storm_rc on_feature(void *ctx, const storm_store_feature *f, storm_err *err)
{
    (void)err;
    bl_rows *r = ctx;
    r->features++;
    snprintf(r->feature, sizeof r->feature, "%.*s", (int)f->len, f->text);
    r->hits = f->hits;
    r->denied = f->denied;
    return STORM_OK;
}

/* The store owns the baseline's tables: its migrations make them (they were
 * created by the baseline module when it first opened a store), a store of
 * schema version 1 that already has them keeps its rows, and the rows go in
 * and out through storm/store_baseline.h. */
static void test_baseline_tables(void)
{
    storm_store *s = open_fresh();
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(schema_version(s) == STORE_SCHEMA_VERSION && STORE_SCHEMA_VERSION >= 2);
    CHECK(table_exists(s, "baseline_profile") && table_exists(s, "baseline_feature") &&
          table_exists(s, "baseline_meta"));

    storm_err err = {0};
    storm_store_baseline_save *w = NULL;
    CHECK(storm_store_baseline_save_begin(s, &w, &err) == STORM_OK);
    storm_store_profile p = {.workload = "shop/Deployment/web/web", .origin = "learned", .events_learned = 7};
    int64_t row = 0;
    CHECK(w && storm_store_baseline_put_profile(w, &p, &row, &err) == STORM_OK && row > 0);
    storm_store_feature f1 = {.text = "exec /bin/sh", .len = 12, .hits = 3, .seq = 0};
    storm_store_feature f2 = {.text = "net connect 10.0.0.1:53", .len = 23, .denied = true, .hits = 1, .seq = 1};
    CHECK(storm_store_baseline_put_feature(w, row, &f1, &err) == STORM_OK);
    CHECK(storm_store_baseline_put_feature(w, row, &f2, &err) == STORM_OK);
    CHECK(storm_store_baseline_delete_feature(w, row, f1.text, f1.len, &err) == STORM_OK);
    CHECK(storm_store_baseline_save_end(w, true, &err) == STORM_OK);
    /* a save rolled back leaves nothing */
    CHECK(storm_store_baseline_save_begin(s, &w, &err) == STORM_OK);
    storm_store_profile q = {.workload = "shop/Deployment/db/db", .origin = "learned"};
    CHECK(w && storm_store_baseline_put_profile(w, &q, &row, &err) == STORM_OK);
    CHECK(storm_store_baseline_save_end(w, false, &err) == STORM_OK);
    bl_rows r = {0};
    CHECK(storm_store_baseline_load(s, on_profile, on_feature, &r, &err) == STORM_OK);
    CHECK(r.profiles == 1 && r.features == 1 && r.learned == 7 && r.hits == 1 && r.denied);
    CHECK_STR(r.workload, "shop/Deployment/web/web");
    CHECK_STR(r.feature, "net connect 10.0.0.1:53");

    /* a store of version 1 whose baseline made the tables itself keeps them */
    CHECK(downgrade(s, NULL, 1));
    storm_store_close(s);
    s = NULL;
    CHECK(storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) == STORM_OK);
    CHECK(s && schema_version(s) == STORE_SCHEMA_VERSION);
    memset(&r, 0, sizeof r);
    CHECK(s && storm_store_baseline_load(s, on_profile, on_feature, &r, &err) == STORM_OK);
    CHECK(r.profiles == 1 && r.features == 1);

    /* and a store of version 1 without them gets them; read-only, it opens
     * unchanged (the migration only adds tables) and holds no profiles */
    CHECK(s && downgrade(s, "DROP TABLE baseline_feature; DROP TABLE baseline_profile; DROP TABLE baseline_meta", 1));
    storm_store_close(s);
    s = NULL;
    CHECK(storm_store_open(db_path, STORM_STORE_READONLY, &s, &err) == STORM_OK);
    memset(&r, 0, sizeof r);
    CHECK(s && storm_store_baseline_load(s, on_profile, on_feature, &r, &err) == STORM_OK && r.profiles == 0);
    CHECK(s && schema_version(s) == 1 && !table_exists(s, "baseline_profile"));
    storm_store_close(s);
    s = NULL;
    CHECK(storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) == STORM_OK);
    CHECK(s && table_exists(s, "baseline_profile") && table_exists(s, "baseline_feature"));
    memset(&r, 0, sizeof r);
    CHECK(s && storm_store_baseline_load(s, on_profile, on_feature, &r, &err) == STORM_OK && r.profiles == 0);
    storm_store_close(s);
    unlink(db_path);
}

/* The publish log and pull positions are the store's (migration 3), also
 * in a store of schema 1 where storm publish had created publish_log
 * itself: its rows survive the migration. */
static void test_publish_log_and_pull_position(void)
{
    storm_store *s = open_fresh();
    CHECK(s != NULL);
    if (!s)
        return;
    /* back to schema 1 plus the table the old publish.c created */
    CHECK(downgrade(s,
                    "DROP TABLE publish_log; DROP TABLE pull_state;"
                    "CREATE TABLE publish_log (target TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL "
                    "DEFAULT '', published TEXT NOT NULL DEFAULT '', PRIMARY KEY (target, id, version));"
                    "INSERT INTO publish_log (target, id, version) VALUES ('t', 'a--1', 'v1');",
                    1));
    storm_store_close(s);
    storm_err err = {0};
    CHECK(storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) == STORM_OK);
    if (!s)
        return;
    storm_store_published items[3] = {{"a--1", "v1"}, {"a--1", "v2"}, {"b--2", ""}};
    bool known[3] = {false, true, true};
    CHECK(storm_store_published_check(s, "t", items, 3, known, &err) == STORM_OK);
    CHECK(known[0] && !known[1] && !known[2]);
    CHECK(storm_store_published_add(s, "t", items + 1, 2, &err) == STORM_OK);
    CHECK(storm_store_published_add(s, "t", items + 1, 2, &err) == STORM_OK); /* twice: no-op */
    CHECK(storm_store_published_check(s, "t", items, 3, known, &err) == STORM_OK);
    CHECK(known[0] && known[1] && known[2]);
    CHECK(storm_store_published_check(s, "other", items, 3, known, &err) == STORM_OK);
    CHECK(!known[0] && !known[1] && !known[2]);
    char pos[STORM_STORE_POSITION_MAX] = "x";
    CHECK(storm_store_pull_position_get(s, "src", pos, &err) == STORM_OK);
    CHECK_STR(pos, "");
    CHECK(storm_store_pull_position_set(s, "src", "2026-01-01T00:00:00.000001Z", &err) == STORM_OK);
    /* inside a transaction that is rolled back, the position goes with it */
    CHECK(storm_store_begin(s, &err) == STORM_OK);
    CHECK(storm_store_pull_position_set(s, "src", "2027-01-01T00:00:00.000000Z", &err) == STORM_OK);
    CHECK(storm_store_rollback(s) == STORM_OK);
    CHECK(storm_store_pull_position_get(s, "src", pos, &err) == STORM_OK);
    CHECK_STR(pos, "2026-01-01T00:00:00.000001Z");
    storm_store_close(s);
    unlink(db_path);
}

/* ---- two writers at once ----------------------------------------------
 * Each worker, on its own handle (as two storm run processes or a run and a
 * hub's TAXII POSTs), repeats: begin; read the sighting's last version;
 * store a new version with count + 1; commit. This is the shape of the
 * store sink's merge. When both could read the same version, one's
 * increment would be lost (or its insert would collide on the version): the
 * final count must be exactly the sum of the increments. */
#define WRITER_ROUNDS 150
#define SIGHTING_ID "sighting--00000000-0000-4000-8000-00000000c0de"

typedef struct last_version {
    int64_t version;
    long count;
} last_version;

static int take_last(void *ctx, const storm_store_row *r)
{
    last_version *lv = ctx;
    lv->version = r->version;
    const char *c = r->json ? strstr(r->json, "\"count\":") : NULL;
    lv->count = c ? strtol(c + 8, NULL, 10) : -1;
    return 0;
}

static storm_rc read_last(storm_store *s, last_version *lv, storm_err *err)
{
    const char *ids[] = {SIGHTING_ID};
    storm_store_query q = {.collection = "sightings", .ids = ids, .n_ids = 1, .limit = 10, .with_json = true};
    lv->version = 0;
    lv->count = 0;
    return storm_store_query_objects(s, &q, take_last, lv, NULL, NULL, err);
}

static char *sighting(char *buf, size_t cap, int64_t modified_ns, long count)
{
    char created[40], modified[40];
    storm_time_format_stix(1767225600000000000LL, STORM_TIME_STIX_MS, created); /* 2026-01-01 */
    storm_time_format_stix(modified_ns, STORM_TIME_STIX_MS, modified);
    snprintf(buf, cap,
             "{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"" SIGHTING_ID "\",\"created\":\"%s\","
             "\"modified\":\"%s\",\"count\":%ld,"
             "\"sighting_of_ref\":\"indicator--00000000-0000-4000-8000-000000000001\"}",
             created, modified, count);
    return buf;
}

typedef struct writer {
    int failures;
    char msg[1024];
} writer;

static void *write_increments(void *arg)
{
    writer *w = arg;
    storm_store *s = NULL;
    storm_err err = {0};
    if (storm_store_open(db_path, STORM_STORE_READWRITE, &s, &err) != STORM_OK) {
        snprintf(w->msg, sizeof w->msg, "open: %s", err.msg);
        w->failures = WRITER_ROUNDS;
        return NULL;
    }
    char buf[1024];
    for (int i = 0; i < WRITER_ROUNDS; i++) {
        last_version lv;
        bool added = false;
        bool ok = storm_store_begin(s, &err) == STORM_OK && read_last(s, &lv, &err) == STORM_OK;
        if (ok)
            sighting(buf, sizeof buf, lv.version + 1000000, lv.count + 1);
        ok = ok && storm_store_put_json(s, "sightings", buf, strlen(buf), &added, &err) == STORM_OK;
        if (!ok || !added || storm_store_commit(s, &err) != STORM_OK) {
            if (!w->failures++)
                snprintf(w->msg, sizeof w->msg, "round %d: %s", i, added ? err.msg : "version already stored");
            storm_store_rollback(s);
        }
    }
    storm_store_close(s);
    return NULL;
}

static void test_two_writers(void)
{
    storm_store *s = open_fresh();
    CHECK(s != NULL);
    if (!s)
        return;
    char buf[1024];
    bool added = false;
    storm_err err = {0};
    sighting(buf, sizeof buf, 1767225600000000000LL, 0);
    CHECK(storm_store_put_json(s, "sightings", buf, strlen(buf), &added, &err) == STORM_OK);
    if (!added)
        fprintf(stderr, "first version: %s\n%s\n", err.msg, buf);
    writer w[2] = {0};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, write_increments, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(w[i].failures == 0);
        if (w[i].failures)
            fprintf(stderr, "writer %d: %d failed rounds, first: %s\n", i, w[i].failures, w[i].msg);
    }
    last_version lv;
    CHECK(read_last(s, &lv, &err) == STORM_OK);
    CHECK(lv.count == 2 * WRITER_ROUNDS);
    printf("two writers: final count %ld of %d\n", lv.count, 2 * WRITER_ROUNDS);
    /* and every version is there, once */
    const char *ids[] = {SIGHTING_ID};
    storm_store_query q = {
        .collection = "sightings", .ids = ids, .n_ids = 1, .limit = 1000, .version_flags = STORM_STORE_VERSION_ALL};
    collect c = {0};
    CHECK(storm_store_query_objects(s, &q, collect_row, &c, NULL, NULL, &err) == STORM_OK);
    CHECK(c.n == 2 * WRITER_ROUNDS + 1);
    storm_store_close(s);
    if (!pg_url)
        unlink(db_path);
}

/* PostgreSQL: a server restart or a dropped connection between
 * transactions is survived (storm serve and storm run --follow live long):
 * the next statement, and the next transaction, run on a new connection. */
static void test_reconnect(void)
{
    if (!pg_url)
        return;
    storm_store *s = open_fresh(), *other = NULL;
    storm_err err = {0};
    CHECK(s && storm_store_open(db_path, STORM_STORE_READWRITE, &other, &err) == STORM_OK);
    if (!s || !other)
        goto out;
    char b[1024];
    bool added = false;
    CHECK(put(s, "indicators", indicator(b, sizeof b, 1, "2026-01-01T00:00:00.000Z"), &added) == STORM_OK && added);
    CHECK(store_exec(other,
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE pid <> pg_backend_pid() AND datname = current_database()",
                     &err) == STORM_OK);
    usleep(200000);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 2, "2026-01-01T00:00:00.000Z"), &added) == STORM_OK && added);
    CHECK(store_exec(other,
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE pid <> pg_backend_pid() AND datname = current_database()",
                     &err) == STORM_OK);
    usleep(200000);
    CHECK(storm_store_begin(s, &err) == STORM_OK);
    CHECK(put(s, "indicators", indicator(b, sizeof b, 3, "2026-01-01T00:00:00.000Z"), &added) == STORM_OK && added);
    CHECK(storm_store_commit(s, &err) == STORM_OK);
    storm_store_query q = {.collection = "indicators", .limit = 10};
    collect c = {0};
    CHECK(storm_store_query_objects(other, &q, collect_row, &c, NULL, NULL, &err) == STORM_OK && c.n == 3);
out:
    storm_store_close(s);
    storm_store_close(other);
}

int main(void)
{
    pg_url = getenv("STORM_TEST_PG_URL");
    if (pg_url && !*pg_url)
        pg_url = NULL;
    printf("back end: %s\n", pg_url ? "PostgreSQL" : "SQLite");
    RUN(test_defaults_and_migration);
    RUN(test_put_idempotent_and_versions);
    RUN(test_pagination);
    RUN(test_query_plan);
    RUN(test_status);
    RUN(test_put_checks_both_timestamps);
    RUN(test_publish_log_and_pull_position);
    RUN(test_baseline_tables);
    RUN(test_two_writers);
    RUN(test_reconnect);
    return test_report(pg_url ? "test_store (PostgreSQL)" : "test_store");
}
