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
    const char *user;         /* Basic authentication; NULL = anonymous */
    const char *password;
    const char *ca_file;      /* extra CA bundle for https (NULL = system store) */
    long timeout_seconds;     /* per request; 0 = 60 */
    unsigned status_polls;    /* how often to poll a pending status; 0 = 60 (one per second) */
} storm_taxii_client_opts;

typedef struct storm_taxii_client storm_taxii_client;

/* url: an API root ("http://127.0.0.1:9000/storm/") or a discovery endpoint
 * ("http://host/taxii2/", whose default API root is then used). Fetches the
 * API root's information (max_content_length). *out is owned
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
    size_t envelopes;   /* POST requests sent */
    size_t sent;        /* objects sent */
    size_t succeeded;   /* per the status resources */
    size_t failed;
    size_t pending;     /* still pending after the last poll */
} storm_taxii_publish_result;

/* Called once per object the server accepted (so the caller can remember
 * what was published). */
typedef void (*storm_taxii_accepted_fn)(void *ctx, const char *id, const char *version);

/* POST objects[] (an array value) to the collection in envelopes that fit
 * the server's max_content_length, then poll each status until complete.
 * An object larger than max_content_length on its own is counted failed. */
storm_rc storm_taxii_client_publish(storm_taxii_client *c, const char *collection_id, const storm_value *objects,
                                    storm_taxii_accepted_fn accepted, void *ctx, storm_taxii_publish_result *res,
                                    storm_err *err);

typedef struct storm_taxii_pull_opts {
    const char *added_after;  /* resume point (a TAXII timestamp) or NULL */
    const char *match_type;   /* e.g. "indicator" or NULL for all */
    size_t page_limit;        /* `limit`; 0 = 100 */
    size_t max_objects;       /* stop after this many; 0 = no limit */
} storm_taxii_pull_opts;

/* Called for each object received; arena is reset between pages, so copy
 * what must outlive the call. Return non-zero to stop. */
typedef int (*storm_taxii_object_fn)(void *ctx, const storm_value *object);

/* GET the collection's objects, following `next` while `more` is true.
 * last_added receives the X-TAXII-Date-Added-Last of the last page (the next
 * resume point; unchanged when no object came), 40 bytes. */
storm_rc storm_taxii_client_pull(storm_taxii_client *c, const char *collection_id, const storm_taxii_pull_opts *o,
                                 storm_taxii_object_fn fn, void *ctx, size_t *received, char last_added[40],
                                 storm_err *err);

/* ---- what to publish, and what was published (publish.c) ---- */

struct storm_store;

/* Append to objects[] (an array value in arena a) every sighting in the
 * store, and every object they reference, transitively (observed-data, SCOs,
 * indicators, identities), each once, whatever collection holds it. */
storm_rc storm_publish_collect(struct storm_store *s, storm_arena *a, storm_value *objects, storm_err *err);

/* Drop from objects[] those already published to target (a "URL collection"
 * key), according to the store's publish log; *skipped counts them. */
storm_rc storm_publish_filter_new(struct storm_store *s, const char *target, storm_value *objects, size_t *skipped,
                                  storm_err *err);
/* Record that obj (its id, at its version: modified, else created) reached
 * target, the same version storm_publish_filter_new compares. */
storm_rc storm_publish_log(struct storm_store *s, const char *target, const storm_value *obj, storm_err *err);

/* Pull resume points, per source ("URL collection" key). value 40 bytes ("" when none). */
storm_rc storm_pull_state_get(struct storm_store *s, const char *source, char value[40], storm_err *err);
storm_rc storm_pull_state_set(struct storm_store *s, const char *source, const char *value, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
