/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/cidr.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* The prefix after '/': 1-3 digits, no leading zero but "0" itself. */
static bool parse_prefix(const char *d, size_t n, unsigned *out)
{
    if (n == 0 || n > 3 || (d[0] == '0' && n > 1))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9')
            return false;
        v = v * 10 + (unsigned)(d[i] - '0');
    }
    *out = v;
    return true;
}

bool storm_cidr_parse(const char *s, size_t len, storm_cidr *out)
{
    char buf[STORM_CIDR_TEXT_MAX];
    if (!s || len == 0 || len >= sizeof buf || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    bool has_prefix = slash != NULL;
    unsigned prefix = 0;
    if (slash) {
        *slash = '\0';
        if (!parse_prefix(slash + 1, len - (size_t)(slash + 1 - buf), &prefix))
            return false;
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        if (prefix > 32)
            return false;
        out->family = 4;
        out->prefix = (uint8_t)(has_prefix ? prefix : 32);
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        if (prefix > 128)
            return false;
        out->family = 6;
        out->prefix = (uint8_t)(has_prefix ? prefix : 128);
        return true;
    }
    return false;
}

bool storm_cidr_contains(const storm_cidr *outer, const storm_cidr *inner)
{
    if (outer->family != inner->family || outer->prefix > inner->prefix)
        return false;
    unsigned full = outer->prefix / 8u, rest = outer->prefix % 8u;
    if (memcmp(outer->addr, inner->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
        if ((outer->addr[full] & mask) != (inner->addr[full] & mask))
            return false;
    }
    return true;
}

void storm_cidr_format(const storm_cidr *c, char out[STORM_CIDR_TEXT_MAX])
{
    uint8_t net[16] = {0};
    unsigned bytes = c->family == 4 ? 4 : 16;
    memcpy(net, c->addr, bytes);
    for (unsigned bit = c->prefix; bit < bytes * 8; bit++)
        net[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    char addr[INET6_ADDRSTRLEN] = "";
    inet_ntop(c->family == 4 ? AF_INET : AF_INET6, net, addr, sizeof addr);
    snprintf(out, STORM_CIDR_TEXT_MAX, "%s/%u", addr, (unsigned)c->prefix);
}
