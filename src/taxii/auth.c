/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP Basic authentication against the users file, rights, and the
 * failed-login limiter.
 *
 * A PBKDF2 check costs on purpose (hundreds of thousands of HMACs), so a
 * verified Authorization header is remembered (for TAXII_AUTH_CACHE_TTL
 * seconds) by its HMAC under a random per-process key: the cache holds no
 * password and a repeat request costs one HMAC. Failures are never cached.
 *
 * Failures are counted per client address (an IPv6 client by its /64, which
 * one host usually owns whole) in a fixed table: after auth_max_failures in
 * auth_window seconds the address gets 429 with Retry-After for a window,
 * without any PBKDF2 run, so guessing costs the server nothing and the
 * guesser a window per few tries. A locked-out address is refused even with
 * remembered good credentials: otherwise a 200 among the 429s would tell a
 * guesser which guess was right. */
#include "taxii_int.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <storm/hash.h>

#define AUTH_HEADER_MAX 4096

static int64_t now_s(const taxii_ctx *ctx)
{
    if (ctx->now_s)
        return ctx->now_s();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Under auth_lock. */
static bool cache_lookup_locked(taxii_ctx *ctx, const unsigned char digest[32], int64_t now,
                                char user[STORM_USERS_NAME_MAX + 1])
{
    taxii_auth_entry *e = &ctx->auth_cache[digest[0] % TAXII_AUTH_CACHE];
    if (e->used && e->expires > now && CRYPTO_memcmp(e->digest, digest, 32) == 0) {
        snprintf(user, STORM_USERS_NAME_MAX + 1, "%s", e->user);
        return true;
    }
    return false;
}

static void cache_store(taxii_ctx *ctx, const unsigned char digest[32], const char *user, int64_t now)
{
    pthread_mutex_lock(&ctx->auth_lock);
    taxii_auth_entry *e = &ctx->auth_cache[digest[0] % TAXII_AUTH_CACHE];
    memcpy(e->digest, digest, 32);
    snprintf(e->user, sizeof e->user, "%s", user);
    e->expires = now + TAXII_AUTH_CACHE_TTL;
    e->used = true;
    pthread_mutex_unlock(&ctx->auth_lock);
}

void taxii_auth_forget(taxii_ctx *ctx)
{
    pthread_mutex_lock(&ctx->auth_lock);
    memset(ctx->auth_cache, 0, sizeof ctx->auth_cache);
    pthread_mutex_unlock(&ctx->auth_lock);
}

/* ---- the limiter ---------------------------------------------------------- */

/* FNV-1a over the secret and the address bytes, never 0. Keyed so that a
 * client cannot pick addresses that collide on purpose. */
static uint64_t client_key(const taxii_ctx *ctx, const char *client)
{
    unsigned char addr[16];
    size_t n;
    if (inet_pton(AF_INET, client, addr) == 1)
        n = 4;
    else if (inet_pton(AF_INET6, client, addr) == 1)
        n = 8; /* the /64 */
    else {
        n = strnlen(client, TAXII_CLIENT_MAX);
        if (n > sizeof addr)
            n = sizeof addr;
        memcpy(addr, client, n);
    }
    uint64_t h = storm_fnv1a_add(storm_fnv1a(ctx->auth_secret, sizeof ctx->auth_secret), addr, n);
    h ^= h >> 29;
    return h ? h : 1;
}

/* Is a a better entry to reuse than b: free, else not locked out, else
 * the stalest (or the lock-out that ends first)? */
static bool better_victim(const taxii_limiter_entry *a, const taxii_limiter_entry *b, int64_t now)
{
    if (!a->key || !b->key)
        return !a->key && b->key;
    bool ab = a->blocked_until > now, bb = b->blocked_until > now;
    if (ab != bb)
        return !ab;
    return ab ? a->blocked_until < b->blocked_until : a->window_start < b->window_start;
}

/* The entry of key (found, or taken over when create); under auth_lock. */
static taxii_limiter_entry *limiter_slot(taxii_ctx *ctx, uint64_t key, int64_t now, bool create)
{
    taxii_limiter_entry *set = &ctx->limiter[(key % (TAXII_LIMITER_SLOTS / TAXII_LIMITER_WAYS)) * TAXII_LIMITER_WAYS];
    taxii_limiter_entry *victim = &set[0];
    for (size_t i = 0; i < TAXII_LIMITER_WAYS; i++) {
        if (set[i].key == key)
            return &set[i];
        if (better_victim(&set[i], victim, now))
            victim = &set[i];
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    victim->key = key;
    victim->window_start = now;
    return victim;
}

/* Count a failure; the max-th in a window starts a lock-out. */
static void limiter_fail(taxii_ctx *ctx, uint64_t key, int64_t now)
{
    unsigned window = ctx->cfg.auth_window ? ctx->cfg.auth_window : 60;
    unsigned max = ctx->cfg.auth_max_failures ? ctx->cfg.auth_max_failures : 10;
    pthread_mutex_lock(&ctx->auth_lock);
    taxii_limiter_entry *e = limiter_slot(ctx, key, now, true);
    if (now - e->window_start >= (int64_t)window) {
        e->window_start = now;
        e->failures = 0;
    }
    if (++e->failures >= max) {
        e->blocked_until = now + window;
        e->window_start = e->blocked_until; /* a fresh count after the lock-out */
        e->failures = 0;
    }
    pthread_mutex_unlock(&ctx->auth_lock);
}

/* ---- Basic ---------------------------------------------------------------- */

/* Decode "Basic b64(user:password)" and verify it. Always runs exactly one
 * PBKDF2 derivation when the header carries a user:password pair (unknown
 * users included: see storm_users_verify), so timing tells nothing. */
static bool verify_basic(taxii_ctx *ctx, const char *authorization, char user[STORM_USERS_NAME_MAX + 1])
{
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
    if (colon) {
        size_t nl = (size_t)(colon - (char *)decoded);
        *colon = '\0';
        const char *password = colon + 1;
        size_t pl = (size_t)n - nl - 1;
        /* A name that cannot exist still costs one derivation. */
        bool plausible = nl <= STORM_USERS_NAME_MAX && memchr(decoded, '\0', nl) == NULL;
        ok = storm_users_verify(ctx->users, plausible ? (const char *)decoded : "", password, pl) && plausible;
        if (ok) {
            memcpy(user, decoded, nl);
            user[nl] = '\0';
        }
    }
    OPENSSL_cleanse(decoded, sizeof decoded);
    return ok;
}

taxii_auth_result taxii_authenticate(taxii_ctx *ctx, const char *client, const char *authorization,
                                     char user[STORM_USERS_NAME_MAX + 1], unsigned *retry_after)
{
    user[0] = '\0';
    *retry_after = 0;
    if (!ctx->users)
        return TAXII_AUTH_OK; /* anonymous mode: credentials are ignored */
    if (!authorization)
        return TAXII_AUTH_FAILED; /* a client's first try; not counted */
    int64_t now = now_s(ctx);
    uint64_t key = client_key(ctx, client ? client : "");
    size_t hl = strlen(authorization);
    bool basic = hl <= AUTH_HEADER_MAX && hl >= 7 && strncasecmp(authorization, "Basic ", 6) == 0;
    unsigned char digest[32];
    unsigned int dl = 0;
    if (basic && !HMAC(EVP_sha256(), ctx->auth_secret, sizeof ctx->auth_secret, (const unsigned char *)authorization,
                       hl, digest, &dl))
        return TAXII_AUTH_FAILED;
    /* One lock for both the lock-out and the cache: the common case (a
     * remembered login) costs one HMAC and one uncontended lock. */
    pthread_mutex_lock(&ctx->auth_lock);
    taxii_limiter_entry *e = limiter_slot(ctx, key, now, false);
    if (e && e->blocked_until > now)
        *retry_after = (unsigned)(e->blocked_until - now);
    bool hit = !*retry_after && basic && cache_lookup_locked(ctx, digest, now, user);
    pthread_mutex_unlock(&ctx->auth_lock);
    if (*retry_after)
        return TAXII_AUTH_THROTTLED;
    if (hit)
        return TAXII_AUTH_OK;
    bool ok = basic && verify_basic(ctx, authorization, user);
    if (ok)
        cache_store(ctx, digest, user, now);
    if (ok)
        return TAXII_AUTH_OK;
    user[0] = '\0';
    limiter_fail(ctx, key, now);
    return TAXII_AUTH_FAILED;
}

bool taxii_can(const taxii_ctx *ctx, const char *user, storm_users_right right, const storm_store_collection *c)
{
    if (!ctx->users)
        return right == STORM_USERS_READ && c->can_read;
    return storm_users_can(ctx->users, user, right, c->id, c->alias);
}

bool taxii_exposed(const taxii_ctx *ctx, const storm_store_collection *c)
{
    if (ctx->n_exposed == 0)
        return true;
    for (size_t i = 0; i < ctx->n_exposed; i++)
        if (strcmp(ctx->exposed[i], c->id) == 0)
            return true;
    return false;
}
