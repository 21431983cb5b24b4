/* SPDX-License-Identifier: Apache-2.0 */
/* The web UI's server side (storm serve --ui): a small JSON API under
 * /api/ over the store, and the bundled front end (static files) under
 * /ui/. Transport-free: the TAXII server's listener authenticates the
 * request and hands it here with the user's rights and the store of its
 * worker thread, so that the UI has the same listener, users, TLS and
 * limits as TAXII without this module knowing about either.
 *
 * Every answer carries a strict Content-Security-Policy (no inline script
 * or style, nothing from elsewhere). State-changing requests (POST) need
 * the CSRF token of GET /api/me in an X-Storm-CSRF header, a JSON
 * Content-Type and, when the browser sends one, an Origin of this host. */
#ifndef STORM_WEBAPI_H
#define STORM_WEBAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/store.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_WEBAPI_BODY_MAX ((size_t)64 << 10) /* largest POST body (a pattern and options) */
#define STORM_WEBAPI_CSRF_HEADER "X-Storm-CSRF"

typedef struct storm_webapi_config {
    const char *static_dir;      /* the bundled front end (index.html, app.js ...); required */
    unsigned run_max_ms;         /* a playground run's time budget (0 = 5000) */
    size_t run_max_results;      /* matches it returns at most (0 = 200) */
    size_t run_max_observations; /* observations it reads at most (0 = 100000) */
    size_t list_max;             /* sightings/objects one answer lists at most (0 = 10000) */
} storm_webapi_config;

typedef struct storm_webapi storm_webapi;

/* Check the static directory (it must hold index.html) and make the CSRF
 * secret. *out owned: storm_webapi_free. */
storm_rc storm_webapi_new(const storm_webapi_config *cfg, storm_webapi **out, storm_err *err);
void storm_webapi_free(storm_webapi *w);
/* The static directory in use (borrowed). */
const char *storm_webapi_static_dir(const storm_webapi *w);

/* The built front end when no --ui-dir is given: $STORM_UI_DIR, the
 * installed <datadir>/storm/ui, the source tree's ui/dist known at
 * configure time. NULL when none holds index.html. */
const char *storm_webapi_default_dir(char *buf, size_t cap);

/* Is this path the UI's ("/", "/ui", "/ui/...", "/api/...")? */
bool storm_webapi_owns(const char *path);

/* Rights of the request's user on a collection (alias), answered by the
 * server that authenticated it. */
typedef bool (*storm_webapi_can_fn)(void *cls, const char *collection, bool write);

/* One request. Strings borrowed for the call. */
typedef struct storm_webapi_request {
    const char *method;
    const char *path;                                 /* percent-decoded, without the query */
    const char *(*param)(void *cls, const char *key); /* a query parameter, NULL when absent */
    void *param_cls;
    const char *body;
    size_t body_len;
    bool body_too_large;
    const char *content_type;
    const char *csrf; /* the X-Storm-CSRF header */
    const char *origin;
    const char *host;
    const char *user; /* "" when anonymous */
    storm_webapi_can_fn can;
    void *can_cls;
    storm_store *store; /* the worker thread's connection; NULL when the store could not be opened */
} storm_webapi_request;

typedef struct storm_webapi_response {
    unsigned status;
    storm_buf body;           /* owned */
    const char *content_type; /* static string */
    const char *location;     /* a redirect's target (static), NULL when none */
    bool cacheable;           /* static file: may be cached (else no-store) */
} storm_webapi_response;

/* Does a POST to this path pass the checks that need no body (CSRF token,
 * Origin, Content-Type, size)? False when rs holds the refusal. */
bool storm_webapi_precheck(storm_webapi *w, const storm_webapi_request *rq, storm_webapi_response *rs);
/* Answer the request: rs gets status, body and headers' values. */
void storm_webapi_handle(storm_webapi *w, const storm_webapi_request *rq, storm_webapi_response *rs);
void storm_webapi_response_init(storm_webapi_response *rs);
void storm_webapi_response_free(storm_webapi_response *rs);
/* The security headers every UI answer carries, as name/value pairs ending
 * with NULL (static). */
extern const char *const storm_webapi_security_headers[];

#ifdef __cplusplus
}
#endif
#endif
