/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/uuid.h>

#include <string.h>

#include <storm/codec.h>

static bool is_dash_at(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

bool storm_uuid_parse(const char *s, size_t len, unsigned char u[16])
{
    unsigned char b[16];
    if (!s || len != STORM_UUID_LEN)
        return false;
    for (size_t i = 0, n = 0; i < STORM_UUID_LEN; i++) {
        if (is_dash_at(i)) {
            if (s[i] != '-')
                return false;
            continue;
        }
        int h = codec_hex_digit((unsigned char)s[i]);
        if (h < 0)
            return false;
        b[n / 2] = (unsigned char)(n & 1 ? b[n / 2] | h : h << 4);
        n++;
    }
    if ((b[8] & 0xc0) != 0x80) /* the RFC 4122 variant */
        return false;
    if (u)
        memcpy(u, b, 16);
    return true;
}

void storm_uuid_format(unsigned char u[16], unsigned version, char out[STORM_UUID_LEN + 1])
{
    static const char hexdig[] = "0123456789abcdef";
    u[6] = (unsigned char)((u[6] & 0x0f) | (version & 0x0f) << 4);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hexdig[u[i] >> 4];
        out[o++] = hexdig[u[i] & 15];
    }
    out[o] = '\0';
}
