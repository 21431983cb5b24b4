/* SPDX-License-Identifier: Apache-2.0 */
/* storm_cidr_parse / _contains / _format (storm/cidr.h), the one address
 * and CIDR rule of the pattern matcher, redaction and baseline profiles:
 * prefix forms, embedded NULs, IPv6, case, families. */
#include <storm/cidr.h>

#include "test.h"

static bool parses(const char *s, size_t len)
{
    storm_cidr c;
    return storm_cidr_parse(s, len, &c);
}
#define OK(s) CHECK(parses((s), sizeof(s) - 1))
#define BAD(s) CHECK(!parses((s), sizeof(s) - 1))

static const char *fmt(const char *s)
{
    static char out[STORM_CIDR_TEXT_MAX];
    storm_cidr c;
    if (!storm_cidr_parse(s, strlen(s), &c))
        return "(not parsed)";
    storm_cidr_format(&c, out);
    return out;
}

static void prefixes(void)
{
    OK("10.0.0.0/8");
    OK("10.0.0.0/0");
    OK("10.0.0.1/32");
    OK("10.0.0.1");
    BAD("10.0.0.0/33");
    /* RFC 4632 writes the prefix as a plain decimal: no leading zeros */
    BAD("10.0.0.0/08");
    BAD("10.0.0.0/032");
    BAD("10.0.0.0/0032");
    BAD("10.0.0.0/00");
    /* nothing strtol would skip or take */
    BAD("10.0.0.0/+8");
    BAD("10.0.0.0/-0");
    BAD("10.0.0.0/ 8");
    BAD("10.0.0.0/8 ");
    BAD(" 10.0.0.0/8");
    BAD("10.0.0.0/");
    BAD("10.0.0.0/8/8");
    BAD("10.0.0.0/8a");
    BAD("10.0.0.0/1000");
    BAD("/8");
    BAD("");
    storm_cidr c;
    CHECK(storm_cidr_parse("10.1.2.3", 8, &c) && c.family == 4 && c.prefix == 32);
    CHECK(storm_cidr_parse("10.1.2.3/0", 10, &c) && c.prefix == 0);
}

static void addresses(void)
{
    BAD("010.0.0.1"); /* a leading zero (octal to inet_aton) */
    BAD("10.0.0");
    BAD("10.0.0.256");
    BAD("10.0.0.1.");
    BAD("localhost");
    BAD("[::1]");
    BAD("fe80::1%eth0"); /* zone ids are not addresses of a block */
    OK("::");
    OK("::/0");
    OK("::1");
    OK("fd00::/8");
    OK("FD00::/8"); /* either case */
    OK("2001:DB8::aBc/48");
    OK("::ffff:10.0.0.1");
    OK("2001:db8::/128");
    BAD("2001:db8::/129");
    BAD("2001:db8::/0128");
    BAD("2001:db8:::1");
    BAD("2001:db8::g");
}

static void embedded_nul(void)
{
    /* length-counted: a NUL anywhere makes it no address, whatever precedes it */
    BAD("10.0.0.1\0");
    BAD("10.0.0.1\0/8");
    BAD("10.0.0.0/8\0garbage");
    BAD("\0"
        "10.0.0.1");
    char big[200];
    memset(big, '1', sizeof big);
    CHECK(!parses(big, sizeof big));
}

static void containment(void)
{
    storm_cidr net, a;
    CHECK(storm_cidr_parse("10.0.0.0/8", 10, &net));
    CHECK(storm_cidr_parse("10.200.3.4", 10, &a) && storm_cidr_contains(&net, &a));
    CHECK(storm_cidr_parse("11.0.0.1", 8, &a) && !storm_cidr_contains(&net, &a));
    /* a block inside a block, not the other way round */
    CHECK(storm_cidr_parse("10.1.0.0/16", 11, &a) && storm_cidr_contains(&net, &a) && !storm_cidr_contains(&a, &net));
    /* host bits in the outer block do not matter */
    CHECK(storm_cidr_parse("10.9.9.9/8", 10, &net) && storm_cidr_contains(&net, &a));
    /* a prefix that is not a byte boundary */
    CHECK(storm_cidr_parse("172.16.0.0/12", 13, &net));
    CHECK(storm_cidr_parse("172.31.255.255", 14, &a) && storm_cidr_contains(&net, &a));
    CHECK(storm_cidr_parse("172.32.0.0", 10, &a) && !storm_cidr_contains(&net, &a));
    /* /0 holds every address of its family, and only of its family */
    CHECK(storm_cidr_parse("0.0.0.0/0", 9, &net) && storm_cidr_parse("255.1.2.3", 9, &a) &&
          storm_cidr_contains(&net, &a));
    CHECK(storm_cidr_parse("::1", 3, &a) && !storm_cidr_contains(&net, &a));
    /* families never mix, not even through IPv4-mapped addresses */
    CHECK(storm_cidr_parse("::ffff:0:0/96", 13, &net) && storm_cidr_parse("10.0.0.1", 8, &a) &&
          !storm_cidr_contains(&net, &a));
    CHECK(storm_cidr_parse("FE80::/10", 9, &net) && storm_cidr_parse("fe80::1234", 10, &a) &&
          storm_cidr_contains(&net, &a));
    CHECK(storm_cidr_parse("fec0::1", 7, &a) && !storm_cidr_contains(&net, &a));
}

static void format(void)
{
    CHECK_STR(fmt("10.1.2.3/8"), "10.0.0.0/8");
    CHECK_STR(fmt("10.1.2.3"), "10.1.2.3/32");
    CHECK_STR(fmt("172.31.9.9/12"), "172.16.0.0/12");
    CHECK_STR(fmt("FD00:0:0::1/8"), "fd00::/8");
    CHECK_STR(fmt("2001:db8::1"), "2001:db8::1/128");
    CHECK_STR(fmt("1.2.3.4/0"), "0.0.0.0/0");
}

int main(void)
{
    RUN(prefixes);
    RUN(addresses);
    RUN(embedded_nul);
    RUN(containment);
    RUN(format);
    return test_report("test_cidr");
}
