/* SPDX-License-Identifier: Apache-2.0 */
/* IPv4/IPv6 addresses and CIDR blocks for redaction (internal). */
#ifndef STORM_SHARE_CIDR_H
#define STORM_SHARE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct share_cidr {
    int family;            /* 4 or 6 */
    uint8_t addr[16];      /* network address, host bits zero */
    unsigned prefix;       /* 0..32 or 0..128 */
    char text[64];         /* canonical "a.b.c.d/n" */
} share_cidr;

/* Parse "a.b.c.d", "a.b.c.d/n", IPv6 forms; false when not an address. */
bool share_cidr_parse(const char *s, size_t len, share_cidr *out);
/* Is the address (or block) a inside block c? */
bool share_cidr_contains(const share_cidr *c, const share_cidr *a);

#endif
