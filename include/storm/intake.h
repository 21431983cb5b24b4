/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP intake for `storm run --listen`, an event source beside files,
 * standard input and --follow: log shippers and the Kubernetes audit webhook
 * POST sensor records (JSON Lines, a JSON array, or one object such as an
 * audit EventList). Each record of a body is checked on its own, as a line
 * of a file is: 413 past the size cap; 400 with the reasons when no record
 * is usable; 503 when the memory cap is reached; otherwise 202 with the
 * events accepted and each rejected record's reason, and the body is queued
 * for the (single-threaded) detector, which counts and sets aside its bad
 * records. max_queued_bytes caps everything the intake holds: bodies being
 * received, queued, taken and not yet released, and the check's parse.
 * Binds to loopback unless an address is given explicitly. */
#ifndef STORM_INTAKE_H
#define STORM_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/metrics.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_intake storm_intake;

typedef struct storm_intake_opts {
    const char *listen;      /* "127.0.0.1:8080", "[::1]:8080" or ":8080" (= 127.0.0.1) */
    size_t max_body;         /* bytes per request body (0 = 16 MiB) */
    size_t max_queued_bytes; /* memory held in all, see above (0 = 256 MiB) */
    size_t max_records;      /* records per body (0 = 100000) */
    const char *spool;       /* append every body to this file before answering 202 (NULL: none); see
                                storm_intake_spool_replay */
    /* GET /metrics renders it (Prometheus text; NULL: 404); borrowed, must
     * outlive the intake. GET /healthz answers 200 while the process
     * serves; GET /readyz 200 while the intake takes bodies, 503 while
     * its memory is nine tenths full (send elsewhere). */
    storm_metrics *metrics;
} storm_intake_opts;

typedef struct storm_intake_stats {
    uint64_t requests, accepted, rejected_bad, rejected_too_large, rejected_busy, bytes;
    uint64_t records_rejected; /* bad records of accepted bodies */
} storm_intake_stats;

/* Check a --listen value without binding: STORM_ERR_VALUE with the reason
 * when it is not ADDRESS:PORT with a numeric address (a usage error). */
storm_rc storm_intake_check_listen(const char *listen, storm_err *err);
/* Start serving (a thread of libmicrohttpd). *out owned: storm_intake_stop. */
storm_rc storm_intake_start(const storm_intake_opts *opts, storm_intake **out, storm_err *err);
/* Wait at most timeout_ms for the next accepted body. STORM_OK: *body (owned:
 * give it back with storm_intake_release; NUL-terminated) and *len set,
 * *request its 1-based number. STORM_ERR_NOTFOUND: nothing arrived in time. */
storm_rc storm_intake_next(storm_intake *in, char **body, size_t *len, uint64_t *request, int timeout_ms);
/* A spool position: "GEN:OFFSET", the end of a body in the spool. */
#define STORM_INTAKE_POSITION_MAX 48
/* storm_intake_next that also gives the body's end in the spool (position,
 * "" without a spool): record it with the body's results (it is what
 * storm_intake_spool_replay resumes from). */
storm_rc storm_intake_next_spooled(storm_intake *in, char **body, size_t *len, uint64_t *request,
                                   char position[STORM_INTAKE_POSITION_MAX], int timeout_ms);
/* With a spool: when nothing was appended after processed (the position of
 * the last body whose results are committed) and nothing is queued, empty
 * the spool (a new generation). True when it did. */
bool storm_intake_spool_rotate(storm_intake *in, const char *processed);
/* The bodies a spool holds after position (the last committed one; "" =
 * none), in order, each given to fn with its own end position. Call it
 * before storm_intake_start with the same spool, commit their results, then
 * start: the intake empties the spool. A torn last body (the process was
 * killed while writing it, so it was never acknowledged) is ignored.
 * *replayed counts the bodies. STORM_ERR_STATE when another process holds
 * the spool. Also in builds without the intake. */
typedef void (*storm_intake_spool_fn)(void *ctx, const char *body, size_t len, const char *position);
storm_rc storm_intake_spool_replay(const char *path, const char *position, size_t max_body, storm_intake_spool_fn fn,
                                   void *ctx, uint64_t *replayed, storm_err *err);
/* Free a body storm_intake_next gave, and give its bytes back to the cap. */
void storm_intake_release(storm_intake *in, char *body, size_t len);
/* Stop accepting: the server is gone when this returns (requests being
 * received get no answer), and the queue holds every body acknowledged
 * with 202, still to be taken with storm_intake_next. */
void storm_intake_close(storm_intake *in);
/* Bodies and bytes still queued. */
void storm_intake_pending(storm_intake *in, size_t *bodies, size_t *bytes);
/* Bytes held now (for tests of the cap). */
size_t storm_intake_held(storm_intake *in);
/* The port actually bound (useful with port 0). */
unsigned storm_intake_port(const storm_intake *in);
void storm_intake_get_stats(const storm_intake *in, storm_intake_stats *out);
/* Stop the server and free everything, including bodies not taken (call
 * storm_intake_close and drain the queue first not to lose them). */
void storm_intake_stop(storm_intake *in);

#ifdef __cplusplus
}
#endif
#endif
