/* SPDX-License-Identifier: Apache-2.0 */
/* Every SQL statement run against a Storm store uses an index that fits it.
 *
 * Rather than a hand-kept list of statements (which would miss the next
 * one added), the test traces every statement SQLite runs while the store,
 * the publish log / pull positions (src/store/publish_log.c) and the baseline
 * tables (src/baseline/persist.c) are exercised, then asks EXPLAIN QUERY
 * PLAN about each. A statement fails when its plan
 *   - scans a table although the statement has a WHERE clause (a statement
 *     without one, such as loading the baseline, asks for every row: a scan
 *     fits it), the small `collections` and `sqlite_master` aside, or
 *   - names one object (`id = ?`, `id IN (...)`) but walks objects_by_added,
 *     the per-collection time index: that reads the whole collection to find
 *     one id (storm run --db went quadratic this way, issue #11). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <storm/baseline.h>
#include <storm/json.h>
#include <storm/store.h>
#include <storm/taxii_client.h>

#include "store_sqlite.h"
#include "test.h"

#define SEEN_MAX 512

static char *seen[SEEN_MAX];
static size_t n_seen;

static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx, (void)x;
    if (type != SQLITE_TRACE_STMT)
        return 0;
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    if (!sql || strncmp(sql, "EXPLAIN", 7) == 0)
        return 0;
    for (size_t i = 0; i < n_seen; i++)
        if (strcmp(seen[i], sql) == 0)
            return 0;
    if (n_seen < SEEN_MAX)
        seen[n_seen++] = strdup(sql);
    return 0;
}

/* The plan's detail lines joined by ';' (empty for statements without one). */
static void explain(sqlite3 *db, const char *sql, char *plan, size_t cap)
{
    size_t n = strlen(sql) + 32;
    char *full = malloc(n);
    snprintf(full, n, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    plan[0] = '\0';
    if (sqlite3_prepare_v2(db, full, -1, &st, NULL) != SQLITE_OK) {
        snprintf(plan, cap, "(cannot explain: %s)", sqlite3_errmsg(db));
        free(full);
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        size_t used = strlen(plan);
        snprintf(plan + used, cap - used, "%s;", d ? d : "");
    }
    sqlite3_finalize(st);
    free(full);
}

/* "SCAN t" or "SCAN t USING ..." of a table other than the allowed small ones. */
static bool scans_big_table(const char *plan)
{
    for (const char *p = plan; (p = strstr(p, "SCAN ")) != NULL; p += 5) {
        if (p != plan && p[-1] != ';')
            continue;
        const char *name = p + 5;
        if (strncmp(name, "collections", 11) == 0 || strncmp(name, "sqlite_master", 13) == 0 ||
            strncmp(name, "CONSTANT ROW", 12) == 0)
            continue;
        return true;
    }
    return false;
}

static bool names_one_object(const char *sql)
{
    return strstr(sql, "FROM objects") && (strstr(sql, "id = ?") || strstr(sql, "id IN ("));
}

/* Every statement seen so far; returns how many have a bad plan (each
 * printed when `show`). */
static size_t bad_plans(sqlite3 *db, bool show)
{
    size_t bad = 0;
    for (size_t i = 0; i < n_seen; i++) {
        char plan[4096];
        explain(db, seen[i], plan, sizeof plan);
        if (strncmp(plan, "(cannot", 7) == 0 || (strstr(seen[i], "WHERE") && scans_big_table(plan)) ||
            (names_one_object(seen[i]) && strstr(plan, "objects_by_added"))) {
            bad++;
            if (show)
                fprintf(stderr, "bad plan\n  statement: %s\n  plan:      %s\n", seen[i], plan);
        }
    }
    return bad;
}

static storm_store *open_fresh(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/storm-test-plans-%d.db", (int)getpid());
    const char *sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    storm_store *s = NULL;
    storm_err err = {0};
    if (storm_store_open(path, STORM_STORE_READWRITE, &s, &err) != STORM_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    return s;
}

static void put(storm_store *s, const char *coll, const char *json)
{
    storm_err err = {0};
    storm_rc rc = storm_store_put_json(s, coll, json, strlen(json), NULL, &err);
    CHECK(rc == STORM_OK);
    if (rc)
        fprintf(stderr, "put: %s\n", err.msg);
}

static int count_row(void *ctx, const storm_store_row *r)
{
    (void)r;
    (*(size_t *)ctx)++;
    return 0;
}

static void query(storm_store *s, storm_store_query q)
{
    size_t rows = 0;
    bool more;
    int64_t next;
    storm_err err = {0};
    CHECK(storm_store_query_objects(s, &q, count_row, &rows, &more, &next, &err) == STORM_OK);
}

/* Every kind of statement the store, the publish log and the baseline run. */
static void workout(storm_store *s)
{
    char json[512];
    for (int i = 0; i < 50; i++) {
        snprintf(
            json, sizeof json,
            "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%08d-0000-4000-8000-000000000000\","
            "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:%02dZ\",\"pattern\":\"[a:b = 1]\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"}",
            i % 10, i / 10);
        put(s, "indicators", json);
        snprintf(json, sizeof json,
                 "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--%08d-0000-5000-8000-000000000000\","
                 "\"value\":\"10.0.0.%d\"}",
                 i, i);
        put(s, "observations", json);
    }
    const char *ids[] = {"indicator--00000003-0000-4000-8000-000000000000",
                         "indicator--00000004-0000-4000-8000-000000000000"};
    const char *types[] = {"indicator"};
    const char *specs[] = {"2.1"};
    int64_t versions[] = {1767225600000000000};
    query(s, (storm_store_query){.collection = "indicators", .limit = 10, .with_json = true});
    query(s, (storm_store_query){.collection = "indicators", .limit = 10, .version_flags = STORM_STORE_VERSION_ALL});
    query(s, (storm_store_query){.collection = "indicators",
                                 .limit = 10,
                                 .types = types,
                                 .n_types = 1,
                                 .spec_versions = specs,
                                 .n_spec_versions = 1,
                                 .version_flags = STORM_STORE_VERSION_FIRST | STORM_STORE_VERSION_LAST,
                                 .versions = versions,
                                 .n_versions = 1});
    for (unsigned f = 0; f <= STORM_STORE_VERSION_ALL; f++) {
        query(
            s,
            (storm_store_query){
                .collection = "indicators", .limit = 1, .ids = ids, .n_ids = 1, .version_flags = f, .with_json = true});
        query(s,
              (storm_store_query){.collection = "indicators", .limit = 5, .ids = ids, .n_ids = 2, .version_flags = f});
    }
    query(s,
          (storm_store_query){
              .collection = "indicators", .limit = 5, .ids = ids, .n_ids = 1, .versions = versions, .n_versions = 1});
    storm_err err = {0};
    size_t deleted = 0;
    storm_store_query dq = {.collection = "indicators", .ids = ids, .n_ids = 1, .versions = versions, .n_versions = 1};
    CHECK(storm_store_delete(s, &dq, &deleted, &err) == STORM_OK && deleted == 1);
    dq = (storm_store_query){.collection = "indicators", .ids = ids + 1, .n_ids = 1};
    CHECK(storm_store_delete(s, &dq, &deleted, &err) == STORM_OK && deleted == 5);
    CHECK(storm_store_status_put(s, "status-1", "{}", 2, &err) == STORM_OK);
    char *st = NULL;
    size_t st_len = 0;
    CHECK(storm_store_status_get(s, "status-1", &st, &st_len, &err) == STORM_OK);
    free(st);
    storm_store_collection c = {0};
    CHECK(storm_store_collection_find(s, "sightings", &c, &err) == STORM_OK);
    snprintf(c.title, sizeof c.title, "Shared");
    snprintf(c.alias, sizeof c.alias, "shared");
    c.id[0] = '\0';
    CHECK(storm_store_collection_create(s, &c, &err) == STORM_OK);
    storm_store_collection cols[8];
    size_t n_cols = 0;
    CHECK(storm_store_collections(s, cols, 8, &n_cols, &err) == STORM_OK);
    uint64_t dv;
    CHECK(storm_store_data_version(s, &dv, &err) == STORM_OK);

    /* the publish log and pull positions (src/store/publish_log.c): what was
     * published where, where a pull stopped */
    storm_store_published items[2] = {{"indicator--00000005-0000-4000-8000-000000000000", "2026-01-01T00:00:04Z"},
                                      {"indicator--00000006-0000-4000-8000-000000000000", ""}};
    bool known[2];
    CHECK(storm_store_published_check(s, "http://hub/storm/ 90fb65bf-31d7-481d-8fd6-4664d3d9f77a", items, 2, known,
                                      &err) == STORM_OK);
    CHECK(storm_store_published_add(s, "http://hub/storm/ 90fb65bf-31d7-481d-8fd6-4664d3d9f77a", items, 2, &err) ==
          STORM_OK);
    CHECK(storm_store_pull_position_set(s, "http://hub/storm/ 90fb65bf-31d7-481d-8fd6-4664d3d9f77a",
                                        "2026-01-01T00:00:00Z", &err) == STORM_OK);
    char pos[STORM_STORE_POSITION_MAX];
    CHECK(storm_store_pull_position_get(s, "http://hub/storm/ 90fb65bf-31d7-481d-8fd6-4664d3d9f77a", pos, &err) ==
          STORM_OK);

    /* src/baseline/persist.c: profiles and features, saved and loaded */
    storm_baseline *b = NULL;
    CHECK(storm_baseline_open(s, NULL, &b, &err) == STORM_OK);
    for (int i = 0; b && i < 20; i++) {
        char pod[32], bin[32];
        snprintf(pod, sizeof pod, "web-%d", i % 4);
        snprintf(bin, sizeof bin, "/usr/bin/tool%d", i);
        storm_event ev = {0};
        ev.sensor = STORM_SENSOR_TETRAGON;
        ev.kind = STORM_EV_PROCESS_EXEC;
        ev.k8s.namespace_ = "shop";
        ev.k8s.pod = pod;
        ev.k8s.container = "web";
        ev.process.present = true;
        ev.process.binary = bin;
        CHECK(storm_baseline_learn(b, &ev, NULL, &err) == STORM_OK);
    }
    if (b) {
        CHECK(storm_baseline_save(b, &err) == STORM_OK);
        CHECK(storm_baseline_forget(b, "shop/web-1", &err) != STORM_ERR_IO);
        CHECK(storm_baseline_save(b, &err) == STORM_OK);
        storm_baseline_close(b);
    }
    b = NULL;
    CHECK(storm_baseline_open(s, NULL, &b, &err) == STORM_OK);
    storm_baseline_close(b);
}

static void test_every_statement_uses_an_index(void)
{
    char path[256];
    storm_store *s = open_fresh(path, sizeof path);
    if (!s)
        return;
    sqlite3 *db = store_sqlite_handle(s);
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_trace, NULL);
    workout(s);
    sqlite3_trace_v2(db, 0, NULL, NULL);
    CHECK(bad_plans(db, true) == 0);
    /* the workout must really have reached the store, the log and the baseline */
    bool saw_put = false, saw_log = false, saw_baseline = false;
    for (size_t i = 0; i < n_seen; i++) {
        saw_put |= strstr(seen[i], "INSERT INTO objects") != NULL;
        saw_log |= strstr(seen[i], "publish_log") != NULL;
        saw_baseline |= strstr(seen[i], "baseline_feature") != NULL;
    }
    CHECK(saw_put && saw_log && saw_baseline);
    CHECK(n_seen >= 20);
    printf("checked the plans of %zu statements\n", n_seen);
    storm_store_close(s);
    unlink(path);
}

/* The checker itself: the id lookup as the store wrote it before issue #11
 * (SQLite then walks objects_by_added), and a plain scan, are both caught. */
static void test_checker_catches_bad_plans(void)
{
    char path[256];
    storm_store *s = open_fresh(path, sizeof path);
    if (!s)
        return;
    sqlite3 *db = store_sqlite_handle(s);
    for (size_t i = 0; i < n_seen; i++)
        free(seen[i]);
    n_seen = 0;
    seen[n_seen++] = strdup("SELECT o.id, o.json FROM objects o WHERE o.collection = ?1 AND o.date_added > ?2"
                            " AND o.id IN (?4) AND (o.latest = 1) ORDER BY o.date_added LIMIT ?3");
    seen[n_seen++] = strdup("SELECT json FROM status WHERE created > ?");
    CHECK(bad_plans(db, false) == 2);
    storm_store_close(s);
    unlink(path);
}

int main(void)
{
    RUN(test_every_statement_uses_an_index);
    RUN(test_checker_catches_bad_plans);
    for (size_t i = 0; i < n_seen; i++)
        free(seen[i]);
    return test_report("test_store_plans");
}
