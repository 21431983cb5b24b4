/* SPDX-License-Identifier: Apache-2.0 */
/* Digit values of hex and base64 text, shared by the pattern lexer, the
 * matcher, the decoders and the JSON parser (core, header-only). */
#ifndef STORM_CODEC_H
#define STORM_CODEC_H

/* 0..15, or -1 when c is not a hex digit. */
static inline int codec_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 0..63 in the standard base64 alphabet (RFC 4648 section 4), or -1. */
static inline int codec_base64_digit(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

#endif
