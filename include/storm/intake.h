/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP intake for `storm run --listen`: log shippers and the Kubernetes
 * audit webhook POST sensor records (JSON Lines, a JSON array, or one object
 * such as an audit EventList). Each body is checked before it is accepted:
 * 413 past the size cap, 400 with the reason when it is not JSON or holds a
 * record of no known sensor, 503 when the queue is full; otherwise 202 and
 * the body is queued for the (single-threaded) detector. Binds to loopback
 * unless an address is given explicitly. */
#ifndef STORM_INTAKE_H
#define STORM_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_intake storm_intake;

typedef struct storm_intake_opts {
    const char *listen;       /* "127.0.0.1:8080", "[::1]:8080" or ":8080" (= 127.0.0.1) */
    size_t max_body;          /* bytes per request body (0 = 16 MiB) */
    size_t max_queued_bytes;  /* bodies waiting for the detector (0 = 256 MiB) */
    size_t max_records;       /* records per body (0 = 100000) */
} storm_intake_opts;

typedef struct storm_intake_stats {
    uint64_t requests, accepted, rejected_bad, rejected_too_large, rejected_busy, bytes;
} storm_intake_stats;

/* Check a --listen value without binding: STORM_ERR_VALUE with the reason
 * when it is not ADDRESS:PORT with a numeric address (a usage error). */
storm_rc storm_intake_check_listen(const char *listen, storm_err *err);
/* Start serving (a thread of libmicrohttpd). *out owned: storm_intake_stop. */
storm_rc storm_intake_start(const storm_intake_opts *opts, storm_intake **out, storm_err *err);
/* Wait at most timeout_ms for the next accepted body. STORM_OK: *body (owned,
 * free(), NUL-terminated) and *len set, *request its 1-based number.
 * STORM_ERR_NOTFOUND: nothing arrived in time. */
storm_rc storm_intake_next(storm_intake *in, char **body, size_t *len, uint64_t *request, int timeout_ms);
/* The port actually bound (useful with port 0). */
unsigned storm_intake_port(const storm_intake *in);
void storm_intake_get_stats(const storm_intake *in, storm_intake_stats *out);
/* Stop the server and free everything, including bodies not taken. */
void storm_intake_stop(storm_intake *in);

#ifdef __cplusplus
}
#endif
#endif
