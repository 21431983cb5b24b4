/* SPDX-License-Identifier: Apache-2.0 */
/* Compiled Hyperscan databases of the indicator index kept on disk, so that
 * a restart with the same indicators does not compile them again (at 10,000
 * indicators compiling is most of the start-up). A file is named by a
 * digest of everything the compilation depends on (the expressions, their
 * flags and ids, the Hyperscan version and platform), and carries that key,
 * a checksum of the database bytes and which expressions Hyperscan
 * rejected. A file that is missing, cut short, corrupt or of another key is
 * ignored (the caller compiles and stores again): the cache can only save
 * time, never change what is matched. */
#ifndef STORM_DETECT_REGEX_CACHE_H
#define STORM_DETECT_REGEX_CACHE_H

#include "storm_config.h"

#if STORM_HAVE_HYPERSCAN
#include <stdbool.h>
#include <stddef.h>
#include <hs/hs.h>

/* What one database is compiled from: exprs[i] with flags[i], database id
 * first_id + i, i < n (every expression, before any is rejected). */
typedef struct regex_cache_key {
    const char *const *exprs;
    const unsigned *flags;
    unsigned n;
    unsigned first_id;
} regex_cache_key;

/* The database stored in dir for key, or NULL (none, or not valid). On
 * success rejected[0..n) says which expressions it was compiled without.
 * The database is owned by the caller (hs_free_database). */
hs_database_t *regex_cache_load(const char *dir, const regex_cache_key *key, bool *rejected);

/* Store db, compiled from key without the expressions rejected[i], in dir
 * (created when missing; written to a temporary file and renamed, so that a
 * concurrent reader never sees half a file). Failures are silent: no cache. */
void regex_cache_store(const char *dir, const regex_cache_key *key, const bool *rejected, const hs_database_t *db);

#endif
#endif
