/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the TAXII server: the transport-free request router (fed by the
 * libmicrohttpd glue in server.c, and directly by the fuzz target), the
 * endpoints, request parameters and authentication. */
#ifndef STORM_TAXII_INT_H
#define STORM_TAXII_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/store.h>
#include <storm/taxii.h>
#include <storm/users.h>

#define TAXII_PARAMS_MAX 64 /* query parameters per request */
#define TAXII_PATH_SEGMENTS_MAX 8
#define TAXII_RESPONSE_MAX ((size_t)64 << 20)         /* a page stops early rather than grow past this */
#define TAXII_AUTH_CACHE 256                          /* verified credentials remembered (by keyed digest) */
#define TAXII_PAGE_CACHE_SLOTS 256                    /* rendered pages kept per worker thread */
#define TAXII_PAGE_CACHE_BODY_MAX ((size_t)256 << 10) /* larger pages are not cached */
#define TAXII_PAGE_CACHE_BYTES ((size_t)16 << 20)     /* all cached pages of one thread */
#define TAXII_AUTH_CACHE_TTL 300                      /* seconds a verified login is remembered */
#define TAXII_LIMITER_SLOTS 4096                      /* client addresses tracked for failed logins (fixed table) */
#define TAXII_LIMITER_WAYS 8                          /* slots probed per address; the stalest one is reused */
#define TAXII_EXPOSED_MAX 64                          /* collections named by --collections */
#define TAXII_CLIENT_MAX 64                           /* a client address as text */

typedef struct taxii_page_cache taxii_page_cache;

typedef struct taxii_param {
    const char *key;
    const char *value;
} taxii_param;

/* One request, already split by the transport. Strings are borrowed. */
typedef struct taxii_request {
    const char *method;
    const char *path;          /* percent-decoded, without the query */
    const taxii_param *params; /* decoded query parameters, in order */
    size_t n_params;
    const char *host;   /* Host header (for absolute URLs), may be NULL */
    const char *accept; /* NULL when absent */
    const char *content_type;
    const char *authorization;
    const char *client; /* the peer's address as text (failed-login limiter); NULL when unknown */
    const char *body;
    size_t body_len;
    bool body_too_large;          /* the transport stopped reading past max_content_length */
    const char *content_encoding; /* NULL when absent */
    const char *csrf;             /* X-Storm-CSRF (web UI), NULL when absent */
    const char *origin;           /* Origin, NULL when absent */
    bool target_has_nul;          /* the raw target held %00: path or parameter would be cut there */
} taxii_request;

typedef struct taxii_response {
    unsigned status;
    storm_buf body;       /* JSON text; owned */
    char added_first[40]; /* X-TAXII-Date-Added-First, "" when none */
    char added_last[40];
    const char *allow;     /* Allow header of a 405 (static) */
    bool www_authenticate; /* add WWW-Authenticate: Basic */
    unsigned retry_after;  /* Retry-After seconds (429), 0 = none */
    /* The web UI's answers (ui_route.c): */
    const char *content_type; /* NULL = the TAXII media type */
    const char *location;     /* Location of a redirect (static), NULL when none */
    bool ui_headers;          /* add storm_webapi_security_headers and Cache-Control */
    bool cacheable;           /* with ui_headers: a static file that may be cached */
} taxii_response;

typedef struct taxii_auth_entry {
    unsigned char digest[32];
    char user[STORM_USERS_NAME_MAX + 1];
    int64_t expires; /* monotonic seconds */
    bool used;
} taxii_auth_entry;

/* Failed logins of one client address (IPv4 address, IPv6 /64). */
typedef struct taxii_limiter_entry {
    uint64_t key;          /* keyed hash of the address; 0 = free */
    int64_t window_start;  /* monotonic seconds */
    int64_t blocked_until; /* monotonic seconds; 0 = not blocked */
    unsigned failures;     /* in the current window */
} taxii_limiter_entry;

/* Shared, read-only after start except the auth cache (under its lock). */
typedef struct taxii_ctx {
    storm_taxii_config cfg;
    const storm_users *users; /* NULL: anonymous read-only mode */
    /* The store of the calling thread (each worker has its own connection). */
    storm_store *(*store_for_thread)(struct taxii_ctx *ctx, storm_err *err);
    void *store_arg;
    /* The page cache of the calling thread; NULL (or a NULL function) = none. */
    taxii_page_cache *(*cache_for_thread)(struct taxii_ctx *ctx);
    pthread_mutex_t auth_lock; /* the auth cache and the limiter */
    unsigned char auth_secret[32];
    taxii_auth_entry auth_cache[TAXII_AUTH_CACHE];
    taxii_limiter_entry limiter[TAXII_LIMITER_SLOTS];
    /* Monotonic seconds (a test may replace it); NULL = CLOCK_MONOTONIC. */
    int64_t (*now_s)(void);
    /* Collections exposed by --collections (UUIDs); none listed = all. */
    char exposed[TAXII_EXPOSED_MAX][STORM_STORE_ID_MAX];
    size_t n_exposed;
} taxii_ctx;

void taxii_response_init(taxii_response *rs);
void taxii_response_free(taxii_response *rs);

/* Answer one request: rs gets the status, JSON body and headers. */
void taxii_handle(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs);
/* The checks that need no body (route, method, media types, rights): run
 * before reading an upload so that a refused POST is not read at all.
 * Returns true to go on; false when rs holds the final answer. */
bool taxii_precheck(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs);

/* ---- ui_route.c: the web UI beside TAXII (storm/webapi.h) ----------------
 * Does ctx serve the UI and is this its path? Then authenticate as TAXII
 * does and answer (precheck: only the checks that need no body; returns
 * true to go on reading it). */
bool taxii_ui_owns(const taxii_ctx *ctx, const taxii_request *rq);
bool taxii_ui_handle(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs, bool precheck);

/* ---- response.c --------------------------------------------------------- */
/* A TAXII error object as the body. Returns false (for `return taxii_error(...)`). */
bool taxii_error(taxii_response *rs, unsigned status, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" from µs. buf: 40 bytes. */
void taxii_format_us(int64_t us, char *buf);
/* STIX timestamp from ns with at least millisecond digits. buf: 40 bytes. */
void taxii_format_ns(int64_t ns, char *buf);
/* Wall clock, ns since the epoch. */
int64_t taxii_now_ns(void);
/* A random UUIDv4 (status ids). buf: 37 bytes. */
void taxii_uuid4(char *buf);

/* ---- page_cache.c ------------------------------------------------------ */
taxii_page_cache *taxii_page_cache_new(void); /* owned; NULL on OOM */
void taxii_page_cache_free(taxii_page_cache *c);
/* On a hit (same key, same data version) fill rs and return true. */
bool taxii_page_cache_get(taxii_page_cache *c, const char *key, size_t key_len, uint64_t data_version,
                          taxii_response *rs);
/* Remember a 200 response (copied) for key at this data version. */
void taxii_page_cache_put(taxii_page_cache *c, const char *key, size_t key_len, uint64_t data_version,
                          const taxii_response *rs);

/* ---- auth.c ------------------------------------------------------------- */
typedef enum taxii_auth_result {
    TAXII_AUTH_OK = 0,
    TAXII_AUTH_FAILED,    /* missing or wrong credentials: 401 */
    TAXII_AUTH_THROTTLED, /* too many failures from this address: 429, nothing verified */
} taxii_auth_result;
/* Check the Authorization header against the users. *user gets the name
 * (empty when anonymous). client (may be NULL) keys the failed-login
 * limiter; *retry_after gets the seconds of a lock-out. */
taxii_auth_result taxii_authenticate(taxii_ctx *ctx, const char *client, const char *authorization,
                                     char user[STORM_USERS_NAME_MAX + 1], unsigned *retry_after);
/* Forget every remembered login (after the users changed). */
void taxii_auth_forget(taxii_ctx *ctx);
/* Is the collection exposed by --collections? */
bool taxii_exposed(const taxii_ctx *ctx, const storm_store_collection *c);
/* Rights of the user on a collection: anonymous mode gives the collection's
 * defaults for reading and never writing. */
bool taxii_can(const taxii_ctx *ctx, const char *user, storm_users_right right, const storm_store_collection *c);

/* ---- stix_check.c ------------------------------------------------------- */
/* Is obj an acceptable STIX 2.1 object for a POST? On false, why[cap]
 * holds the reason (for the status resource). */
bool taxii_stix_check(const storm_value *obj, char *why, size_t cap);

/* ---- params.c ----------------------------------------------------------- */
enum {
    TAXII_FILTER_ADDED_AFTER = 1 << 0,
    TAXII_FILTER_ID = 1 << 1,
    TAXII_FILTER_TYPE = 1 << 2,
    TAXII_FILTER_VERSION = 1 << 3,
    TAXII_FILTER_SPEC_VERSION = 1 << 4,
    TAXII_FILTER_PAGE = 1 << 5, /* limit and next */
};
/* Fill q from the query parameters the endpoint supports (allowed: the
 * TAXII_FILTER_* set); others are ignored as the specification asks. Values
 * are copied into the arena. Returns false with a 400 in rs on a bad value. */
bool taxii_params_query(const taxii_ctx *ctx, const taxii_request *rq, unsigned allowed, storm_arena *a,
                        storm_store_query *q, taxii_response *rs);

/* ---- endpoints ---------------------------------------------------------- */
typedef struct taxii_call {
    taxii_ctx *ctx;
    const taxii_request *rq;
    taxii_response *rs;
    storm_arena *arena;
    storm_store *store;
    const char *user;          /* "" when anonymous */
    const char *collection_id; /* path segments (borrowed) */
    const char *object_id;
    const char *status_id;
    storm_store_collection collection; /* resolved when the route names one */
} taxii_call;

void taxii_get_discovery(taxii_call *c);
void taxii_get_api_root(taxii_call *c);
void taxii_get_collections(taxii_call *c);
void taxii_get_collection(taxii_call *c);
void taxii_get_status(taxii_call *c);
void taxii_get_objects(taxii_call *c);
void taxii_post_objects(taxii_call *c);
void taxii_get_object(taxii_call *c);
void taxii_delete_object(taxii_call *c);
void taxii_get_versions(taxii_call *c);
void taxii_get_manifest(taxii_call *c);

#endif
