/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the web API: the shared state (CSRF secret, running playground
 * runs), the endpoint signature, JSON answer helpers and the store walk
 * every endpoint uses. */
#ifndef STORM_WEBAPI_INT_H
#define STORM_WEBAPI_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/store.h>
#include <storm/value.h>
#include <storm/webapi.h>

#define WEBAPI_RESPONSE_MAX ((size_t)64 << 20) /* one JSON answer at most */
#define WEBAPI_STATIC_MAX ((size_t)16 << 20)   /* one static file at most */
#define WEBAPI_RUNS_MAX 32                     /* playground runs at once */
#define WEBAPI_RUN_ID_MAX 64                   /* a run id the browser chose */
#define WEBAPI_CSRF_HEX 64                     /* HMAC-SHA256 as hex */
#define WEBAPI_SESSION_SIGHTINGS_MAX 2000      /* sightings one session page shows */
#define WEBAPI_LOOKUP_IDS_MAX 64               /* ids per /api/objects request */
#define WEBAPI_SESSION_INDEX_MAX 500000        /* observations indexed in one pass to group sightings */

/* A playground run in progress, found by the id its request named, so that
 * POST /api/pattern/cancel can stop it. */
typedef struct webapi_run_slot {
    bool used;
    char id[WEBAPI_RUN_ID_MAX + 1];
    char user[72];
    atomic_bool cancel;
} webapi_run_slot;

#define WEBAPI_CACHE_SLOTS 16                   /* answers kept (answer_cache.c) */
#define WEBAPI_CACHE_BODY_MAX ((size_t)8 << 20) /* larger answers are not kept */

/* One kept answer of a GET: valid while the store connection that made it
 * reports the same data version (versions are per connection). */
typedef struct webapi_cached {
    bool used;
    const void *store;
    uint64_t data_version;
    char *key; /* user NUL path NUL query..., owned */
    size_t key_len;
    char *body; /* owned */
    size_t body_len;
    const char *content_type;
    unsigned long long last_use;
} webapi_cached;

struct storm_webapi {
    storm_webapi_config cfg;
    char *static_dir; /* owned */
    unsigned char csrf_secret[32];
    pthread_mutex_t runs_lock;
    webapi_run_slot runs[WEBAPI_RUNS_MAX];
    pthread_mutex_t cache_lock;
    webapi_cached cache[WEBAPI_CACHE_SLOTS];
    unsigned long long cache_clock;
};

/* One call into an endpoint. */
typedef struct webapi_call {
    storm_webapi *w;
    const storm_webapi_request *rq;
    storm_webapi_response *rs;
    storm_arena *arena; /* per request; freed after the answer */
} webapi_call;

/* ---- answers (webapi.c) ---------------------------------------------------- */
/* A JSON error {"error": {"status", "message"}}. Returns false. */
bool webapi_error(webapi_call *c, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The request body as a JSON object (in c->arena); NULL after answering 400
 * with the parse error's position. */
storm_value *webapi_body_object(webapi_call *c);
/* Start a JSON 200 answer (content type set, body empty). */
void webapi_json(webapi_call *c);
/* A query parameter, NULL when absent. */
const char *webapi_param(const webapi_call *c, const char *key);
/* A query parameter as a count in [1, max], def when absent or bad. */
size_t webapi_param_count(const webapi_call *c, const char *key, size_t def, size_t max);
/* Does the user read (or write) this collection? Answers 403 when not. */
bool webapi_need(webapi_call *c, const char *collection, bool write);
/* Append a JSON string literal. */
void webapi_str(storm_buf *b, const char *s);
/* The CSRF token of a user (hex, NUL-terminated). */
void webapi_csrf_token(const storm_webapi *w, const char *user, char out[WEBAPI_CSRF_HEX + 1]);

/* ---- answer_cache.c ------------------------------------------------------
 * GET answers kept per (store connection, user, path and query) until the
 * data changes: the list pages read every sighting, and a reload or a second
 * tab should not read them again. */
/* On a hit fill rs (200) and return true. key: key_len bytes. */
bool webapi_cache_get(storm_webapi *w, storm_store *st, const char *key, size_t key_len, storm_webapi_response *rs);
void webapi_cache_put(storm_webapi *w, storm_store *st, const char *key, size_t key_len,
                      const storm_webapi_response *rs);
void webapi_cache_free(storm_webapi *w);

/* ---- walking the store (walk.c) ----------------------------------------- */
/* Call fn with the latest version of every object of these types (NULL /
 * 0 = all) in the collection, oldest first, at most max (0 = no cap).
 * fn returns non-zero to stop. *truncated (may be NULL) tells whether max
 * stopped the walk. */
storm_rc webapi_walk(storm_store *st, const char *collection, const char *const *types, size_t n_types, size_t max,
                     storm_store_row_fn fn, void *ctx, bool *truncated, storm_err *err);
/* The latest versions of the objects with these ids in the collection. */
storm_rc webapi_lookup(storm_store *st, const char *collection, const char *const *ids, size_t n, storm_store_row_fn fn,
                       void *ctx, storm_err *err);

/* Call fn with every stored sighting (latest versions, oldest first, at
 * most max) parsed into a tree that lives until fn returns. */
typedef int (*webapi_sighting_fn)(void *ctx, const storm_value *sighting, const storm_store_row *row);
storm_rc webapi_each_sighting(storm_store *st, size_t max, webapi_sighting_fn fn, void *ctx, bool *truncated,
                              storm_err *err);

/* ---- endpoints ------------------------------------------------------------ */
void webapi_get_me(webapi_call *c);
void webapi_get_overview(webapi_call *c);
void webapi_get_models(webapi_call *c);
void webapi_get_sightings(webapi_call *c);
void webapi_get_objects(webapi_call *c);
void webapi_get_sessions(webapi_call *c);
void webapi_get_session(webapi_call *c);
/* The adapter (sightings grouped by pod) for a store without sessions. */
void webapi_get_sessions_by_pod(webapi_call *c);
void webapi_get_session_by_pod(webapi_call *c);
void webapi_get_pattern_check(webapi_call *c);
void webapi_post_pattern_run(webapi_call *c);
void webapi_post_pattern_cancel(webapi_call *c);
void webapi_get_baseline(webapi_call *c);
/* Per stored indicator: would the sensors Storm generates see it (api_coverage.c). */
void webapi_get_coverage(webapi_call *c);
/* The playground's "save pattern to model" (api_save_indicator.c). */
void webapi_post_save_indicator(webapi_call *c);
void webapi_get_sharing(webapi_call *c);
/* A static file of the front end (path under /ui/). */
void webapi_get_static(webapi_call *c, const char *rel);

#endif
