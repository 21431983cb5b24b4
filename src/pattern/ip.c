/* SPDX-License-Identifier: Apache-2.0 */
/* IP addresses and CIDR blocks for ISSUBSET / ISSUPERSET. */
#include <arpa/inet.h>
#include <string.h>

#include "match_int.h"

bool ip_block_parse(const char *s, size_t len, ip_block *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3)
            return false;
        prefix = 0;
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return false;
            prefix = prefix * 10 + (*d - '0');
        }
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        if (prefix > 32)
            return false;
        out->prefix = prefix < 0 ? 32 : (unsigned)prefix;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        if (prefix > 128)
            return false;
        out->prefix = prefix < 0 ? 128 : (unsigned)prefix;
        return true;
    }
    return false;
}

bool ip_block_contains(const ip_block *outer, const ip_block *inner)
{
    if (outer->family != inner->family || outer->prefix > inner->prefix)
        return false;
    unsigned bits = outer->prefix, full = bits / 8, rest = bits % 8;
    if (memcmp(outer->addr, inner->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xFF << (8 - rest));
        if ((outer->addr[full] & mask) != (inner->addr[full] & mask))
            return false;
    }
    return true;
}
