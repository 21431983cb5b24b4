/* SPDX-License-Identifier: Apache-2.0 */
/* The TAXII 2.1 server (storm serve): discovery, one API root, the store's
 * collections with objects, manifests, versions and status resources, over
 * libmicrohttpd. Reads and writes the same SQLite file as storm run. */
#ifndef STORM_TAXII_H
#define STORM_TAXII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_TAXII_MEDIA_TYPE "application/taxii+json;version=2.1"
#define STORM_STIX_MEDIA_TYPE "application/stix+json;version=2.1"

typedef struct storm_taxii_config {
    const char *db_path;       /* the store (required) */
    const char *listen;        /* "ADDR:PORT" or "[v6]:PORT"; default 127.0.0.1:9000; port 0 = any */
    const char *users_path;    /* NULL: anonymous read-only; else Basic auth with per-collection rights */
    const char *tls_cert_path; /* PEM; with tls_key_path enables HTTPS */
    const char *tls_key_path;
    const char *title; /* discovery and API root title */
    const char *description;
    const char *contact;
    const char *api_root;            /* the API root's path segment, default "storm" */
    size_t max_content_length;       /* request body cap (413 past it), default 10 MiB */
    size_t max_envelope_objects;     /* objects per POSTed envelope, default 10000 */
    size_t page_default;             /* `limit` when absent, default 100 */
    size_t page_max;                 /* larger limits are clamped to this, default 1000 */
    unsigned max_connections;        /* concurrent connections, default 256 */
    unsigned max_client_connections; /* of them from one client address, default max_connections / 4 */
    unsigned connection_timeout;     /* seconds of idleness before a connection is closed, default 30 */
    unsigned head_timeout;           /* seconds from connecting to a complete request head, default 10 */
    unsigned request_timeout;        /* seconds for a request's body, and for its answer, default 120 */
    unsigned threads;                /* worker threads, default the number of CPUs */
    bool no_page_cache;              /* do not keep rendered pages (each GET queries the store) */
    /* Added for the exposure checks (issue 6, QA): */
    const char *collections;    /* comma-separated aliases/UUIDs to expose; NULL or "" = every collection */
    bool allow_unredacted;      /* allow raw collections (observations, sightings) on a non-loopback address */
    unsigned auth_max_failures; /* failed logins per client address per window before 429; default 10 */
    unsigned auth_window;       /* seconds of that window (and of the lock-out), default 60 */
    /* Added for the web UI (issue 17): */
    struct storm_webapi *ui; /* serve the UI and /api/ beside TAXII (borrowed; NULL = no UI) */
} storm_taxii_config;

/* Fill c with the defaults above (db_path NULL). */
void storm_taxii_config_default(storm_taxii_config *c);

typedef struct storm_taxii_server storm_taxii_server;

/* Open the store (creating/migrating it), load the users, bind and start
 * serving on background threads. *out is owned (storm_taxii_stop). */
storm_rc storm_taxii_start(const storm_taxii_config *c, storm_taxii_server **out, storm_err *err);
/* Read the users file again (storm serve does it on SIGHUP). On an error
 * the users in force are kept. Requests in flight finish with the old set;
 * remembered logins are forgotten. STORM_ERR_STATE without --users. */
storm_rc storm_taxii_reload_users(storm_taxii_server *s, storm_err *err);
/* Is this "ADDR:PORT" a loopback address (127.0.0.0/8, ::1)? false when malformed. */
bool storm_taxii_listen_is_loopback(const char *listen);
/* The bound port (useful with port 0). */
uint16_t storm_taxii_port(const storm_taxii_server *s);
/* Stop accepting, finish in-flight requests, free everything. NULL-safe. */
void storm_taxii_stop(storm_taxii_server *s);

#ifdef __cplusplus
}
#endif
#endif
