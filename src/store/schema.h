/* SPDX-License-Identifier: Apache-2.0 */
/* The schema scripts of each back end (schema.c: SQLite, schema_pg.c:
 * PostgreSQL): migration k brings a store from version k to k+1, the same
 * tables and meaning on both. */
#ifndef STORM_STORE_SCHEMA_H
#define STORM_STORE_SCHEMA_H

#include "store_int.h"

extern const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION];
extern const char *const store_pg_migrations[STORE_SCHEMA_VERSION];

#endif
