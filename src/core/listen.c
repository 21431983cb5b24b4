/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/listen.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define HOST_MAX 64 /* longer than any numeric IPv6 address in brackets */

storm_rc storm_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len, storm_err *err)
{
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (!colon)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "listen address '%s' is not ADDR:PORT, [V6ADDR]:PORT or :PORT",
                             spec ? spec : "");
    size_t hl = (size_t)(colon - spec), pl = strlen(colon + 1);
    char host[HOST_MAX] = "127.0.0.1";
    if (hl >= sizeof host)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "listen address '%.80s...': the address is too long", spec);
    if (hl) {
        memcpy(host, spec, hl);
        host[hl] = '\0';
    }
    unsigned long port = 0;
    bool port_ok = pl >= 1 && pl <= 5;
    for (size_t i = 0; port_ok && i < pl; i++) {
        char c = colon[1 + i];
        port_ok = c >= '0' && c <= '9';
        port = port * 10 + (unsigned long)(c - '0');
    }
    if (!port_ok || port > 65535)
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "listen address '%s': the port must be 0..65535 (0 = any free one)", spec);
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t n = strlen(host);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        if (n < 3 || host[n - 1] != ']')
            return storm_err_set(err, STORM_ERR_VALUE, 0, "listen address '%s': '%s' lacks its closing ']'", spec,
                                 host);
        host[n - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return storm_err_set(err, STORM_ERR_VALUE, 0, "listen address '%s': '%s' is not a numeric IPv6 address",
                                 spec, host + 1);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return STORM_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "listen address '%s': '%s' is not a numeric IPv4 address (write IPv6 as [ADDR]:PORT)",
                             spec, host);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return STORM_OK;
}

bool storm_listen_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}
