/* SPDX-License-Identifier: Apache-2.0 */
/* The TAXII server's users: names, salted password hashes (PBKDF2-HMAC-
 * SHA256, per-user random salt and iteration count) and read/write rights
 * per collection. Kept in a text file (format in docs/taxii.md), edited by
 * `storm users`, read by `storm serve --users FILE`. */
#ifndef STORM_USERS_H
#define STORM_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/buf.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_users storm_users;

typedef enum storm_users_right {
    STORM_USERS_READ = 1,
    STORM_USERS_WRITE = 2,
} storm_users_right;

#define STORM_USERS_NAME_MAX 64       /* bytes of a user name */
#define STORM_USERS_PASSWORD_MAX 1024 /* bytes of a password */
#define STORM_USERS_MAX 10000         /* users per file */
#define STORM_USERS_GRANTS_MAX 64     /* collections per right per user */
#define STORM_USERS_ITERATIONS_DEFAULT 200000
#define STORM_USERS_ITERATIONS_MIN 1000

/* An empty set; owned (storm_users_free). NULL on OOM. */
storm_users *storm_users_new(void);
/* Load a users file. A missing file is an error unless missing_ok (then an
 * empty set). *out is owned. Errors name the line. */
storm_rc storm_users_load(const char *path, bool missing_ok, storm_users **out, storm_err *err);
/* Write the file atomically (temporary file + rename), mode 0600. */
storm_rc storm_users_save(const storm_users *u, const char *path, storm_err *err);
void storm_users_free(storm_users *u);

/* Hash cost for users added or changed from now on (default
 * STORM_USERS_ITERATIONS_DEFAULT; at least STORM_USERS_ITERATIONS_MIN). */
void storm_users_set_iterations(storm_users *u, unsigned iterations);

/* Add a user (no rights yet); STORM_ERR_STATE when the name exists,
 * STORM_ERR_VALUE for a bad name or empty password. */
storm_rc storm_users_add(storm_users *u, const char *name, const char *password, storm_err *err);
storm_rc storm_users_set_password(storm_users *u, const char *name, const char *password, storm_err *err);
storm_rc storm_users_remove(storm_users *u, const char *name, storm_err *err);
/* Grant or revoke a right on a collection (alias, UUID or "*" for all). */
storm_rc storm_users_grant(storm_users *u, const char *name, storm_users_right right, const char *collection,
                           storm_err *err);
storm_rc storm_users_revoke(storm_users *u, const char *name, storm_users_right right, const char *collection,
                            storm_err *err);

size_t storm_users_count(const storm_users *u);
/* Name of user i (borrowed), or NULL past the end. */
const char *storm_users_name(const storm_users *u, size_t i);
bool storm_users_exists(const storm_users *u, const char *name);
/* Append "name  read=a,b  write=c" for user i (for `storm users list`). */
storm_rc storm_users_describe(const storm_users *u, size_t i, storm_buf *out);

/* Check a password (constant-time comparison of the derived key). Costs one
 * PBKDF2 derivation, also for an unknown name (a dummy one as costly as the
 * dearest user's): callers that verify often should cache successes. */
bool storm_users_verify(const storm_users *u, const char *name, const char *password, size_t password_len);
/* PBKDF2 derivations storm_users_verify has run in this process (an
 * unknown user costs one too, so that timing does not reveal names). For
 * tests and statistics. */
unsigned long storm_users_derivations(void);
/* Does the user hold the right on the collection with this id and alias? */
bool storm_users_can(const storm_users *u, const char *name, storm_users_right right, const char *collection_id,
                     const char *collection_alias);

#ifdef __cplusplus
}
#endif
#endif
