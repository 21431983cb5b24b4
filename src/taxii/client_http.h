/* SPDX-License-Identifier: Apache-2.0 */
/* One TAXII HTTP exchange over libcurl (internal to the client). */
#ifndef STORM_TAXII_CLIENT_HTTP_H
#define STORM_TAXII_CLIENT_HTTP_H

#include <storm/buf.h>
#include <storm/err.h>
#include <storm/taxii_client.h>

typedef struct client_response {
    long status;    /* HTTP status code */
    storm_buf body; /* capped at STORM_TAXII_CLIENT_MAX_RESPONSE */
    char date_added_first[40];
    char date_added_last[40];
    char content_type[128];
} client_response;

/* GET (body NULL) or POST (body given) url with TAXII media types and Basic
 * auth from opts. resp->body must be initialised by the caller and freed by
 * it. STORM_ERR_IO when the server cannot be reached (message from curl). */
storm_rc client_http(const storm_taxii_client_opts *opts, const char *method, const char *url, const char *body,
                     size_t body_len, client_response *resp, storm_err *err);

/* A person-readable reason from a TAXII error body ("title: description"), or "". */
const char *client_error_text(const client_response *resp, char *buf, size_t cap);

#endif
