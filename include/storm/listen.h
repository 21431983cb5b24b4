/* SPDX-License-Identifier: Apache-2.0 */
/* Listen addresses of Storm's servers (storm serve --listen, storm run
 * --listen): the one parser, so both accept the same text.
 *
 * The rule: "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (= 127.0.0.1:PORT, the
 * loopback: servers bind there unless told otherwise). ADDR is a numeric
 * IPv4 address, V6ADDR a numeric IPv6 address in brackets (as inet_pton
 * reads them: no host names, so what is bound is exactly what was asked, and
 * no zone ids). PORT is 1 to 5 decimal digits, 0..65535, no sign or space;
 * 0 asks the system for a free port. */
#ifndef STORM_LISTEN_H
#define STORM_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parse spec into *ss (AF_INET or AF_INET6, port set) and *len (its size).
 * STORM_ERR_VALUE with a message naming spec and what is wrong. */
storm_rc storm_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len, storm_err *err);

/* Is the parsed address a loopback one (127.0.0.0/8, ::1, ::ffff:127.x)? */
bool storm_listen_is_loopback(const struct sockaddr_storage *ss);

#ifdef __cplusplus
}
#endif

#endif
