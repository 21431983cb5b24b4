/* SPDX-License-Identifier: Apache-2.0 */
/* IPv4/IPv6 addresses and CIDR blocks: the one parser of Storm, used by the
 * pattern matcher (ISSUBSET / ISSUPERSET), redaction (the blocks to mask)
 * and baseline profiles (network peers given as blocks).
 *
 * The rule (STIX 2.1: ipv4-addr/ipv6-addr values and the ISSUBSET operands
 * are "an address or a block in CIDR notation", RFC 4632 section 3.1 and
 * RFC 4291 section 2.3):
 * - ADDRESS or ADDRESS/PREFIX, nothing else: no spaces, no brackets, no
 *   zone ("%eth0"), no NUL anywhere in s[0..len) (length-counted), fewer
 *   than STORM_CIDR_TEXT_MAX bytes;
 * - ADDRESS is numeric: IPv4 dotted quad of four decimal parts 0-255
 *   without leading zeros, or IPv6 text (RFC 4291 section 2.2, "::", either
 *   case, an IPv4 tail), exactly as inet_pton reads them;
 * - PREFIX is a decimal number written as RFC 4632 writes it: digits only,
 *   no sign, no leading zero ("/0" yes, "/08", "/032" and "/0032" no), at
 *   most 32 for IPv4 and 128 for IPv6; without one the block is the single
 *   address (/32, /128);
 * - host bits may be set ("10.1.2.3/8" is the block 10.0.0.0/8);
 * - families never mix: 10.0.0.1 is not inside ::ffff:0:0/96. */
#ifndef STORM_CIDR_H
#define STORM_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest text accepted, and room for what storm_cidr_format writes:
 * an IPv6 address (45) + "/128" + NUL. */
#define STORM_CIDR_TEXT_MAX 64

typedef struct storm_cidr {
    uint8_t family;   /* 4 or 6 */
    uint8_t prefix;   /* 0..32 or 0..128 */
    uint8_t addr[16]; /* as written (host bits kept); IPv4 in the first 4 bytes */
} storm_cidr;

/* Parse s[0..len) by the rule above into *out; false (and *out unspecified)
 * when it is not an address or block. */
bool storm_cidr_parse(const char *s, size_t len, storm_cidr *out);

/* Is every address of inner inside outer? (Same family, outer's prefix not
 * longer, and the first outer->prefix bits equal.) */
bool storm_cidr_contains(const storm_cidr *outer, const storm_cidr *inner);

/* Write the block's network in canonical form, host bits cleared:
 * "10.0.0.0/8", "fd00::/8". */
void storm_cidr_format(const storm_cidr *c, char out[STORM_CIDR_TEXT_MAX]);

#ifdef __cplusplus
}
#endif

#endif
