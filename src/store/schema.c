/* SPDX-License-Identifier: Apache-2.0 */
/* Schema and migrations, versioned by the back end's schema version (SQLite:
 * PRAGMA user_version). Each migration runs in one transaction with the
 * version bump, so a crash leaves either the old or the new schema. Never
 * edit a shipped migration: add one (here in SQLite's types, and the same in
 * schema_pg.c). */
#include "schema.h"

/* Migration 1: collections, objects (versioned by `modified`), status.
 *
 * objects.version is the object's version in ns since the epoch: its
 * `modified`, else `created`, else its first date_added (SCOs). date_added is
 * in µs and strictly increasing per collection, so (collection, date_added)
 * is unique and a TAXII page is one range scan of objects_by_added starting
 * after the cursor; objects_by_id serves one-object, versions and
 * first/last lookups. objects.latest is 1 on the newest version of each id
 * (kept by put and delete), so that match[version]=last, the default of
 * every page, is a column test rather than a lookup per row. */
static const char migration_1[] = "CREATE TABLE collections("
                                  " key INTEGER PRIMARY KEY,"
                                  " id TEXT NOT NULL UNIQUE,"
                                  " alias TEXT UNIQUE,"
                                  " title TEXT NOT NULL,"
                                  " description TEXT NOT NULL DEFAULT '',"
                                  " media_types TEXT NOT NULL DEFAULT 'application/stix+json;version=2.1',"
                                  " can_read INTEGER NOT NULL DEFAULT 1,"
                                  " can_write INTEGER NOT NULL DEFAULT 0);"
                                  "CREATE TABLE objects("
                                  " key INTEGER PRIMARY KEY,"
                                  " collection INTEGER NOT NULL REFERENCES collections(key) ON DELETE CASCADE,"
                                  " id TEXT NOT NULL,"
                                  " type TEXT NOT NULL,"
                                  " spec_version TEXT NOT NULL,"
                                  " version INTEGER NOT NULL,"
                                  " date_added INTEGER NOT NULL,"
                                  " latest INTEGER NOT NULL DEFAULT 0,"
                                  " json TEXT NOT NULL);"
                                  "CREATE UNIQUE INDEX objects_by_added ON objects(collection, date_added);"
                                  "CREATE UNIQUE INDEX objects_by_id ON objects(collection, id, version);"
                                  "CREATE TABLE status("
                                  " key INTEGER PRIMARY KEY,"
                                  " id TEXT NOT NULL UNIQUE,"
                                  " created INTEGER NOT NULL,"
                                  " json TEXT NOT NULL);"
                                  /* The embedded default: one collection per kind of finding. The UUIDs
                                   * are fixed so that every Storm serves them under the same ids. */
                                  "INSERT INTO collections(id, alias, title, description) VALUES"
                                  " ('90fb65bf-31d7-481d-8fd6-4664d3d9f77a', 'indicators', 'Indicators',"
                                  "  'STIX indicators (with STIX patterns) known to this Storm'),"
                                  " ('1d6ac09b-5f50-48c5-943d-badd11c15b77', 'sightings', 'Sightings',"
                                  "  'Sightings of indicators in this honeycluster'),"
                                  " ('4174af99-2eb5-45d9-8847-198e39513d53', 'observations', 'Observations',"
                                  "  'Observed data and cyber-observable objects behind the sightings');";

/* Migration 2: the baseline's profiles (storm/store_baseline.h), one row per
 * workload, and their features, in learning order (seq). Until this
 * migration the baseline created these tables itself, with this very SQL: IF
 * NOT EXISTS keeps stores that already have them (and their rows) as they
 * are. baseline_meta records the layout of the baseline rows. */
static const char migration_2[] = "CREATE TABLE IF NOT EXISTS baseline_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                  "CREATE TABLE IF NOT EXISTS baseline_profile("
                                  "  id INTEGER PRIMARY KEY,"
                                  "  workload TEXT NOT NULL UNIQUE,"
                                  "  origin TEXT NOT NULL,"
                                  "  events_learned INTEGER NOT NULL DEFAULT 0,"
                                  "  events_at_last_new INTEGER NOT NULL DEFAULT 0,"
                                  "  first_seen INTEGER NOT NULL DEFAULT 0,"
                                  "  last_seen INTEGER NOT NULL DEFAULT 0,"
                                  "  last_new_feature INTEGER NOT NULL DEFAULT 0,"
                                  "  overflow INTEGER NOT NULL DEFAULT 0,"
                                  "  explained INTEGER NOT NULL DEFAULT 0,"
                                  "  unexplained INTEGER NOT NULL DEFAULT 0);"
                                  "CREATE TABLE IF NOT EXISTS baseline_feature("
                                  "  profile_id INTEGER NOT NULL REFERENCES baseline_profile(id) ON DELETE CASCADE,"
                                  "  feature TEXT NOT NULL,"
                                  "  denied INTEGER NOT NULL DEFAULT 0,"
                                  "  hits INTEGER NOT NULL DEFAULT 0,"
                                  "  first_seen INTEGER NOT NULL DEFAULT 0,"
                                  "  seq INTEGER NOT NULL DEFAULT 0,"
                                  "  PRIMARY KEY(profile_id, feature));"
                                  "INSERT OR IGNORE INTO baseline_meta(key, value) VALUES('schema_version', '1');";

/* Migration 3: what storm publish sent (per target: TAXII API root and
 * collection id) and where storm pull stopped (per source). Until now
 * publish.c created these itself; IF NOT EXISTS keeps the rows of stores
 * where it did. */
static const char migration_3[] = "CREATE TABLE IF NOT EXISTS publish_log("
                                  " target TEXT NOT NULL,"
                                  " id TEXT NOT NULL,"
                                  " version TEXT NOT NULL DEFAULT '',"
                                  " published TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
                                  " PRIMARY KEY (target, id, version)) WITHOUT ROWID;"
                                  "CREATE TABLE IF NOT EXISTS pull_state("
                                  " source TEXT PRIMARY KEY,"
                                  " added_last TEXT NOT NULL);";

/* Migration 4: attack sessions (storm/store_session.h), one row per
 * session with its JSON form; by_last serves --since. */
static const char migration_4[] = "CREATE TABLE IF NOT EXISTS sessions("
                                  " id TEXT PRIMARY KEY,"
                                  " first_seen INTEGER NOT NULL,"
                                  " last_seen INTEGER NOT NULL,"
                                  " json TEXT NOT NULL);"
                                  "CREATE INDEX IF NOT EXISTS sessions_by_last ON sessions(last_seen);";

const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION] = {migration_1, migration_2, migration_3, migration_4};
/* A migration that only adds tables: a read-only handle may open a store
 * that lacks it, and readers of those tables see none (a store written by an
 * older storm can still be inspected without being changed). */
static const bool additive[STORE_SCHEMA_VERSION] = {false, true, true, true};

storm_rc store_migrate(storm_store *s, storm_err *err)
{
    int v = s->be->schema_version(s);
    if (v < 0)
        return store_db_err(s, err, "read schema version");
    if (v > STORE_SCHEMA_VERSION)
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                             "store: schema version %d is newer than this storm (%d); upgrade storm", v,
                             STORE_SCHEMA_VERSION);
    if (v == STORE_SCHEMA_VERSION)
        return STORM_OK;
    bool only_additive = v >= 1;
    for (int k = v; k < STORE_SCHEMA_VERSION && only_additive; k++)
        only_additive = additive[k];
    if (s->readonly && only_additive)
        return STORM_OK;
    if (s->readonly)
        return storm_err_set(err, STORM_ERR_STATE, 0,
                             "store: schema version %d needs migrating to %d; open it once read-write", v,
                             STORE_SCHEMA_VERSION);
    storm_rc rc = storm_store_begin(s, err);
    if (rc)
        return rc;
    /* Re-read under the write lock: another process may have migrated. */
    for (v = s->be->schema_version(s); v >= 0 && v < STORE_SCHEMA_VERSION; v++) {
        storm_err e2;
        storm_err_clear(&e2);
        if ((rc = store_exec(s, s->be->migrations[v], &e2)) || (rc = s->be->set_schema_version(s, v + 1, &e2))) {
            rc = storm_err_set(err, rc, 0, "store: schema migration %d: %s", v + 1, e2.msg);
            storm_store_rollback(s);
            return rc;
        }
    }
    if (v < 0) {
        rc = store_db_err(s, err, "read schema version");
        storm_store_rollback(s);
        return rc;
    }
    return storm_store_commit(s, err);
}
