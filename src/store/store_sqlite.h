/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite handle of a store on the SQLite back end, for the store's own
 * tests (schema checks, EXPLAIN QUERY PLAN): no other module sees SQLite. */
#ifndef STORM_STORE_SQLITE_H
#define STORM_STORE_SQLITE_H

#include <sqlite3.h>
#include <storm/store.h>

/* Borrowed; NULL when s is not on SQLite. */
sqlite3 *store_sqlite_handle(storm_store *s);

#endif
