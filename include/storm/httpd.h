/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP listener both servers share (storm serve, storm run --listen):
 * libmicrohttpd on a socket bound here (so a busy port is reported as such),
 * with the limits that keep legitimate clients served while others are slow
 * or many: connections per client address, a deadline for the request head,
 * one for the rest of the request (body and answer), and one for a kept-alive
 * connection's wait. At the per-client or the total limit a new connection
 * takes the place of one that is not in a request (still sending its head,
 * or idle): the client's own oldest, or at the total limit the oldest of the
 * client holding the most; a connection past its deadline is closed. */
#ifndef STORM_HTTPD_H
#define STORM_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_httpd_limits {
    unsigned max_connections; /* open at once (0 = 64) */
    unsigned per_client;      /* open at once from one address (0 = max_connections / 4, at least 1) */
    unsigned head_timeout;    /* seconds from connecting (or the request line) to the complete head (0 = 10) */
    unsigned request_timeout; /* most seconds for the body (which gets 20 s plus 1 s per 500 bytes), and for
                               * the answer (0 = 120) */
    unsigned idle_timeout;    /* seconds without a byte, and a kept-alive connection's wait (0 = 30) */
} storm_httpd_limits;

typedef struct storm_httpd_config {
    const char *listen;          /* the address as the user wrote it, for messages */
    const struct sockaddr *addr; /* where to bind */
    socklen_t addr_len;
    storm_httpd_limits limits;
    unsigned flags;                       /* MHD_USE_* beyond the internal polling thread (TLS, IPv6, logging) */
    const struct MHD_OptionItem *options; /* more MHD options, MHD_OPTION_END last; may be NULL */
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed; /* may be NULL */
    void *completed_cls;
} storm_httpd_config;

typedef struct storm_httpd storm_httpd;

/* Bind, listen and start serving. STORM_ERR_IO with the system's reason
 * when the address cannot be bound (in use, not on this host, not allowed).
 * *out owned: storm_httpd_stop. */
storm_rc storm_httpd_start(const storm_httpd_config *cfg, storm_httpd **out, storm_err *err);
/* The port actually bound (useful with port 0). */
unsigned storm_httpd_port(const storm_httpd *h);
/* Did the request target on this connection hold an escaped NUL (%00)?
 * libmicrohttpd decodes it and the path or parameter ends there, so
 * handlers answer 400 rather than serve what the cut string names. */
bool storm_httpd_target_has_nul(struct MHD_Connection *c);
/* Stop serving, close every connection and free h (NULL is fine). */
void storm_httpd_stop(storm_httpd *h);

#ifdef __cplusplus
}
#endif
#endif
