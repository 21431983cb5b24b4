/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP Basic authentication against the users file, and rights.
 *
 * A PBKDF2 check costs on purpose (hundreds of thousands of HMACs), so a
 * verified Authorization header is remembered by its HMAC under a random
 * per-process key: the cache holds no password and a repeat request costs
 * one HMAC. Failures are never cached. */
#include "taxii_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define AUTH_HEADER_MAX 4096

static bool cache_lookup(taxii_ctx *ctx, const unsigned char digest[32], char user[STORM_USERS_NAME_MAX + 1])
{
    bool hit = false;
    pthread_mutex_lock(&ctx->auth_lock);
    taxii_auth_entry *e = &ctx->auth_cache[digest[0] % TAXII_AUTH_CACHE];
    if (e->used && CRYPTO_memcmp(e->digest, digest, 32) == 0) {
        snprintf(user, STORM_USERS_NAME_MAX + 1, "%s", e->user);
        hit = true;
    }
    pthread_mutex_unlock(&ctx->auth_lock);
    return hit;
}

static void cache_store(taxii_ctx *ctx, const unsigned char digest[32], const char *user)
{
    pthread_mutex_lock(&ctx->auth_lock);
    taxii_auth_entry *e = &ctx->auth_cache[digest[0] % TAXII_AUTH_CACHE];
    memcpy(e->digest, digest, 32);
    snprintf(e->user, sizeof e->user, "%s", user);
    e->used = true;
    pthread_mutex_unlock(&ctx->auth_lock);
}

bool taxii_authenticate(taxii_ctx *ctx, const char *authorization, char user[STORM_USERS_NAME_MAX + 1])
{
    user[0] = '\0';
    if (!ctx->users)
        return true; /* anonymous mode: credentials are ignored */
    if (!authorization)
        return false;
    size_t hl = strlen(authorization);
    if (hl > AUTH_HEADER_MAX || hl < 7 || strncasecmp(authorization, "Basic ", 6) != 0)
        return false;
    unsigned char digest[32];
    unsigned int dl = 0;
    if (!HMAC(EVP_sha256(), ctx->auth_secret, sizeof ctx->auth_secret, (const unsigned char *)authorization, hl,
              digest, &dl))
        return false;
    if (cache_lookup(ctx, digest, user))
        return true;
    const char *b64 = authorization + 6;
    while (*b64 == ' ')
        b64++;
    size_t bl = strlen(b64);
    while (bl && b64[bl - 1] == ' ')
        bl--;
    if (bl == 0 || bl % 4)
        return false;
    unsigned char decoded[AUTH_HEADER_MAX];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)bl);
    if (n < 0)
        return false;
    /* EVP_DecodeBlock counts the padding as zero bytes: drop them. */
    if (bl >= 1 && b64[bl - 1] == '=')
        n--;
    if (bl >= 2 && b64[bl - 2] == '=')
        n--;
    decoded[n] = '\0';
    char *colon = memchr(decoded, ':', (size_t)n);
    bool ok = false;
    if (colon && (size_t)(colon - (char *)decoded) <= STORM_USERS_NAME_MAX) {
        *colon = '\0';
        const char *name = (const char *)decoded;
        const char *password = colon + 1;
        size_t pl = (size_t)n - (size_t)(colon + 1 - (char *)decoded);
        if (memchr(name, '\0', (size_t)(colon - (char *)decoded)) == NULL &&
            storm_users_verify(ctx->users, name, password, pl)) {
            size_t nl = (size_t)(colon - (char *)decoded); /* <= STORM_USERS_NAME_MAX, checked above */
            memcpy(user, name, nl);
            user[nl] = '\0';
            cache_store(ctx, digest, user);
            ok = true;
        }
    }
    OPENSSL_cleanse(decoded, sizeof decoded);
    return ok;
}

bool taxii_can(const taxii_ctx *ctx, const char *user, storm_users_right right, const storm_store_collection *c)
{
    if (!ctx->users)
        return right == STORM_USERS_READ && c->can_read;
    return storm_users_can(ctx->users, user, right, c->id, c->alias);
}
