/* SPDX-License-Identifier: Apache-2.0 */
/* The TAXII 2.1 client: push STIX objects to a collection (storm publish) and
 * fetch objects from one (storm pull), over libcurl. */
#ifndef STORM_TAXII_CLIENT_H
#define STORM_TAXII_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_TAXII_CLIENT_MAX_RESPONSE (64u << 20) /* bytes of one response body */

typedef struct storm_taxii_client_opts {
    const char *user; /* Basic authentication; NULL = anonymous */
    const char *password;
    const char *ca_file;     /* extra CA bundle for https (NULL = system store) */
    long timeout_seconds;    /* per request; 0 = 120 */
    unsigned status_polls;   /* how often to poll a pending status; 0 = 60 (one per second) */
    size_t envelope_objects; /* most objects per POSTed envelope; 0 = STORM_TAXII_ENVELOPE_OBJECTS */
} storm_taxii_client_opts;

/* TAXII has no way to advertise how many objects an envelope may hold
 * (storm serve takes 10,000 by default): stay well below, and split
 * further when a server answers 413. */
#define STORM_TAXII_ENVELOPE_OBJECTS 1000

typedef struct storm_taxii_client storm_taxii_client;

/* url: an API root ("http://127.0.0.1:9000/storm/") or a discovery endpoint
 * ("http://host/taxii2/", whose default API root is then used). Fetches the
 * API root's information (max_content_length), so that a wrong URL or
 * password fails here, before any other work. *out is owned
 * (storm_taxii_client_free). Errors say which request failed and why. */
storm_rc storm_taxii_client_open(const char *url, const storm_taxii_client_opts *opts, storm_taxii_client **out,
                                 storm_err *err);
void storm_taxii_client_free(storm_taxii_client *c);
/* The API root URL in use (borrowed) and its max_content_length. */
const char *storm_taxii_client_api_root(const storm_taxii_client *c);
size_t storm_taxii_client_max_content_length(const storm_taxii_client *c);

/* Resolve a collection given by id, alias or title to its id (copied into
 * id_out, 64 bytes). STORM_ERR_NOTFOUND lists what the server has. */
storm_rc storm_taxii_client_collection(storm_taxii_client *c, const char *name, char id_out[64], bool *can_write,
                                       storm_err *err);

typedef struct storm_taxii_publish_result {
    size_t envelopes; /* POST requests sent (413 answers included) */
    size_t sent;      /* objects sent */
    size_t succeeded; /* per the status resources */
    size_t failed;
    size_t pending; /* still pending after the last poll */
    size_t splits;  /* envelopes split after a 413 */
} storm_taxii_publish_result;

typedef struct storm_taxii_publish_hooks {
    /* After each envelope: the positions in objects[] of those the server
     * accepted (so that the caller can remember what was published). */
    void (*accepted)(void *ctx, const size_t *index, size_t n);
    /* After each envelope: objects sent so far, of total. */
    void (*progress)(void *ctx, size_t sent, size_t total);
    void *ctx;
} storm_taxii_publish_hooks;

/* POST objects[] (an array value) to the collection in envelopes that fit
 * the server's max_content_length and the envelope object limit, then poll
 * each status until complete. An envelope answered 413 is split in halves
 * (and later envelopes are made as small); an object that is refused even
 * alone, or larger than max_content_length, is counted failed. */
storm_rc storm_taxii_client_publish(storm_taxii_client *c, const char *collection_id, const storm_value *objects,
                                    const storm_taxii_publish_hooks *hooks, storm_taxii_publish_result *res,
                                    storm_err *err);

typedef struct storm_taxii_pull_opts {
    const char *added_after; /* resume point (a TAXII timestamp) or NULL */
    const char *match_type;  /* e.g. "indicator" or NULL for all */
    size_t page_limit;       /* `limit`; 0 = 100 */
    size_t max_objects;      /* stop after this many; 0 = no limit */
} storm_taxii_pull_opts;

typedef struct storm_taxii_pull_hooks {
    /* Each object that passed the checks storm serve applies to POSTed
     * objects; the page's arena is reset afterwards, so copy what must
     * outlive the call. Return non-zero to stop. */
    int (*object)(void *ctx, const storm_value *object);
    /* Each object refused by those checks: page (from 1), its place on the
     * page (from 1), its id (NULL when it has none) and why. */
    void (*rejected)(void *ctx, size_t page, size_t index, const char *id, const char *why);
    /* After each page: resume is where a later pull can start without
     * losing anything (an added_after value), "" when the server gave no
     * X-TAXII-Date-Added-Last. Commit the page and its position here;
     * return non-zero to stop with an error (err untouched). */
    int (*page_done)(void *ctx, const char *resume);
    void *ctx;
} storm_taxii_pull_hooks;

typedef struct storm_taxii_pull_result {
    size_t received;  /* objects received (refused ones included) */
    size_t rejected;  /* refused by the checks */
    size_t pages;     /* pages fully handled */
    size_t fallbacks; /* times paging went on with added_after instead of `next` */
    char resume[40];  /* the last page's resume position ("" when none) */
} storm_taxii_pull_result;

/* GET the collection's objects page by page. Follows `next` while `more` is
 * true, also when the server repeats one token for every page of a query
 * (medallion does); when the token is missing, refused (400/404) or brings
 * nothing new, goes on with added_after = the last page's
 * X-TAXII-Date-Added-Last (TAXII 2.1, 3.4). Every request of one query
 * repeats its filters. On an error, the pages before it were handed to
 * page_done: what was fetched is kept. */
storm_rc storm_taxii_client_pull(storm_taxii_client *c, const char *collection_id, const storm_taxii_pull_opts *o,
                                 const storm_taxii_pull_hooks *hooks, storm_taxii_pull_result *res, storm_err *err);

/* ---- what to publish (publish.c) ---- */

struct storm_store;

/* Append to objects[] (an array value in arena a) every sighting in the
 * store, and every object they reference, transitively (observed-data, SCOs,
 * indicators, identities), each once, whatever collection holds it. */
storm_rc storm_publish_collect(struct storm_store *s, storm_arena *a, storm_value *objects, storm_err *err);

/* The version storm publish remembers an object by: modified, else created,
 * else "". Borrowed from o. */
const char *storm_publish_version_of(const storm_value *o);

/* Keep in objects[] the new ones (is_new[i], same order) followed by the
 * context: the objects they reference, transitively, that are not new
 * (redaction needs them to rewrite ids and names consistently; they are
 * not sent again). Drops the rest. */
storm_rc storm_publish_select(storm_arena *a, storm_value *objects, const bool *is_new, size_t *n_new,
                              size_t *n_context, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
