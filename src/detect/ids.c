/* SPDX-License-Identifier: Apache-2.0 */
#include "detect/ids.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* STIX 2.1 SCO namespace (spec section 2.9). */
static const unsigned char stix_ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                          0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};
/* Storm's own namespace for the objects the detector creates
 * (6b1f3a52-9d0e-5c41-8a77-2e63c4901d5f): sixteen fixed bytes with the
 * version-5 and RFC 4122 variant bits, not derived from any name. Every
 * sighting, identity and fixed-up model id depends on them: never change. */
static const unsigned char storm_ns[16] = {0x6b, 0x1f, 0x3a, 0x52, 0x9d, 0x0e, 0x5c, 0x41,
                                           0x8a, 0x77, 0x2e, 0x63, 0xc4, 0x90, 0x1d, 0x5f};

void detect_uuid5_id(const char *type, const char *name, size_t len, bool sco, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx) {
        EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
        EVP_DigestUpdate(ctx, sco ? stix_ns : storm_ns, 16);
        EVP_DigestUpdate(ctx, name, len);
        EVP_DigestFinal_ex(ctx, md, &mdlen);
        EVP_MD_CTX_free(ctx);
    }
    if (mdlen < 16)
        memset(md, 0, 16);
    md[6] = (unsigned char)((md[6] & 0x0F) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    snprintf(out, cap,
             "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", type, md[0], md[1],
             md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12], md[13], md[14],
             md[15]);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool detect_id_is_valid(const char *s, size_t len)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '-' && s[i + 1] == '-') {
            sep = s + i;
            break;
        }
    if (!sep || sep == s)
        return false;
    for (const char *p = s; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    const char *u = sep + 2;
    size_t ulen = len - (size_t)(u - s);
    if (ulen != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !is_hex(u[i]))
            return false;
    }
    return true;
}
