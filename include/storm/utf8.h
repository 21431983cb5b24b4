/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 helpers (core), used by the JSON parser, the line reader, the
 * decoders and the pattern engine. */
#ifndef STORM_UTF8_H
#define STORM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (overlongs, surrogates and code points past U+10FFFF are invalid). */
size_t storm_utf8_valid_prefix(const unsigned char *s, size_t len);
/* True when all of s[0..len) is valid UTF-8. */
bool storm_utf8_valid(const char *s, size_t len);
/* Encode cp (<= 0x10FFFF) at out; returns 1..4. */
size_t storm_utf8_encode(uint32_t cp, char *out);
/* Decode one code point at s; returns its length (0 when invalid). */
size_t storm_utf8_decode(const char *s, size_t len, uint32_t *cp);

#endif
