/* SPDX-License-Identifier: Apache-2.0 */
/* UUIDs in text form (RFC 4122): the one parser and the one writer of
 * Storm. Used for STIX identifiers (storm_stix_id_valid), the UUIDv4/v5 ids
 * Storm writes, TAXII status and collection ids and redacted ids.
 *
 * The rule: 36 characters, 8-4-4-4-12 hex digits, either case (RFC 4122
 * section 3: hex is case-insensitive on input), with the RFC 4122 variant
 * (binary 10xx: the first digit of the fourth group is 8, 9, a or b), as
 * STIX 2.1 section 2.9 ("RFC 4122-compliant"), python-stix2 and the OASIS
 * STIX schemas require. The version digit is not checked (python-stix2 does
 * not either; RFC 9562 adds versions 6-8 in the same variant). Input is
 * length-counted: an embedded NUL, braces, a "urn:uuid:" prefix or any extra
 * byte make it no UUID. Output is lower case. */
#ifndef STORM_UUID_H
#define STORM_UUID_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_UUID_LEN 36 /* text length, without the NUL */

/* Is s[0..len) a UUID (the rule above)? When u is not NULL it receives the
 * 16 bytes (untouched on false). */
bool storm_uuid_parse(const char *s, size_t len, unsigned char u[16]);

/* Set the version (4 random or hash-derived, 5 name-based SHA-1) and the
 * RFC 4122 variant bits in u[0..16), then write its text (36 lower-case
 * characters + NUL) to out. */
void storm_uuid_format(unsigned char u[16], unsigned version, char out[STORM_UUID_LEN + 1]);

#ifdef __cplusplus
}
#endif

#endif
