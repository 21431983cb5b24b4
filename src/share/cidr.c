/* SPDX-License-Identifier: Apache-2.0 */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool share_cidr_parse(const char *s, size_t len, share_cidr *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        if (!slash[1] || slash[1] < '0' || slash[1] > '9')
            return false;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            return false;
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        if (prefix > 32)
            return false;
        out->prefix = prefix < 0 ? 32 : (unsigned)prefix;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        if (prefix > 128)
            return false;
        out->prefix = prefix < 0 ? 128 : (unsigned)prefix;
    } else {
        return false;
    }
    unsigned bytes = out->family == 4 ? 4 : 16;
    for (unsigned bit = out->prefix; bit < bytes * 8; bit++)
        out->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    char addr[INET6_ADDRSTRLEN];
    inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->addr, addr, sizeof addr);
    snprintf(out->text, sizeof out->text, "%s/%u", addr, out->prefix);
    return true;
}

bool share_cidr_contains(const share_cidr *c, const share_cidr *a)
{
    if (c->family != a->family || a->prefix < c->prefix)
        return false;
    for (unsigned bit = 0; bit < c->prefix; bit++) {
        uint8_t m = (uint8_t)(0x80u >> (bit % 8));
        if ((c->addr[bit / 8] & m) != (a->addr[bit / 8] & m))
            return false;
    }
    return true;
}
