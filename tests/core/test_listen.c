/* SPDX-License-Identifier: Apache-2.0 */
/* storm_listen_parse (storm/listen.h), the one listen-address rule of
 * storm serve and storm run --listen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <storm/listen.h>

#include "test.h"

static struct sockaddr_storage ss;

static bool parse(const char *spec)
{
    socklen_t len = 0;
    storm_err err;
    storm_err_clear(&err);
    bool ok = storm_listen_parse(spec, &ss, &len, &err) == STORM_OK;
    if (!ok && (err.rc != STORM_ERR_VALUE || !strstr(err.msg, spec)))
        fprintf(stderr, "error for '%s' does not name it: %s\n", spec, err.msg);
    return ok && len == (ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}

static unsigned port(void)
{
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

static void accepted(void)
{
    CHECK(parse("127.0.0.1:9000") && ss.ss_family == AF_INET && port() == 9000 && storm_listen_is_loopback(&ss));
    CHECK(parse("0.0.0.0:0") && port() == 0 && !storm_listen_is_loopback(&ss));
    CHECK(parse("127.9.9.9:65535") && port() == 65535 && storm_listen_is_loopback(&ss));
    /* ":PORT" is the loopback, for both servers */
    CHECK(parse(":8080") && ss.ss_family == AF_INET && port() == 8080 && storm_listen_is_loopback(&ss));
    CHECK(parse("[::1]:443") && ss.ss_family == AF_INET6 && port() == 443 && storm_listen_is_loopback(&ss));
    CHECK(parse("[::]:1") && !storm_listen_is_loopback(&ss));
    CHECK(parse("[FE80::1]:80") && !storm_listen_is_loopback(&ss)); /* either case */
    CHECK(parse("[::ffff:127.0.0.1]:80") && storm_listen_is_loopback(&ss));
    CHECK(parse("10.0.0.1:00080") && port() == 80); /* five digits at most, zeros included */
}

static void refused(void)
{
    CHECK(!parse("nonsense"));
    CHECK(!parse("127.0.0.1"));
    CHECK(!parse("127.0.0.1:"));
    CHECK(!parse("127.0.0.1:65536"));
    CHECK(!parse("127.0.0.1:123456"));
    /* what strtoul would take: a sign, spaces, trailing text */
    CHECK(!parse("127.0.0.1:+80"));
    CHECK(!parse("127.0.0.1:-0"));
    CHECK(!parse("127.0.0.1: 80"));
    CHECK(!parse("127.0.0.1:80 "));
    CHECK(!parse("127.0.0.1:80x"));
    /* numeric addresses only */
    CHECK(!parse("localhost:8080"));
    CHECK(!parse("::1:8080")); /* IPv6 needs brackets */
    CHECK(!parse("[::1:8080"));
    CHECK(!parse("[]:8080"));
    CHECK(!parse("[127.0.0.1]:8080"));
    CHECK(!parse("[fe80::1%lo]:8080"));
    char longhost[200];
    memset(longhost, '1', sizeof longhost);
    memcpy(longhost + sizeof longhost - 4, ":80", 4);
    socklen_t len;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_listen_parse(longhost, &ss, &len, &err) == STORM_ERR_VALUE && strstr(err.msg, "too long"));
}

int main(void)
{
    RUN(accepted);
    RUN(refused);
    return test_report("test_listen");
}
