/* SPDX-License-Identifier: Apache-2.0 */
/* The TAXII server's authentication without networking: an unknown user
 * costs the same PBKDF2 derivation as a known one (counted, not timed), the
 * failed-login limiter (per address, IPv6 by /64, fixed table, lock-out
 * and its end, no derivation while locked out), the cache of verified
 * logins (hit, TTL, forgetting), and the checks on POSTed STIX objects. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <storm/json.h>

#include "test.h"
#include "taxii_int.h"

static taxii_ctx ctx;
static int64_t clock_s = 1000;

static int64_t fake_now(void)
{
    return clock_s;
}

/* "Basic base64(user:password)" into buf. */
static const char *basic(char *buf, const char *user, const char *password)
{
    char plain[256];
    int n = snprintf(plain, sizeof plain, "%s:%s", user, password);
    memcpy(buf, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)buf + 6, (const unsigned char *)plain, n);
    return buf;
}

static taxii_auth_result login(const char *client, const char *user, const char *password, unsigned *retry)
{
    char hdr[512], name[STORM_USERS_NAME_MAX + 1];
    unsigned r = 0;
    taxii_auth_result ar = taxii_authenticate(&ctx, client, basic(hdr, user, password), name, &r);
    if (retry)
        *retry = r;
    return ar;
}

static void setup(storm_users *u)
{
    memset(&ctx, 0, sizeof ctx);
    storm_taxii_config_default(&ctx.cfg);
    ctx.cfg.auth_max_failures = 3;
    ctx.cfg.auth_window = 60;
    ctx.now_s = fake_now;
    ctx.users = u;
    pthread_mutex_init(&ctx.auth_lock, NULL);
    memset(ctx.auth_secret, 9, sizeof ctx.auth_secret);
}

static void test_unknown_user_costs_a_derivation(void)
{
    storm_users *u = storm_users_new();
    storm_users_set_iterations(u, STORM_USERS_ITERATIONS_MIN);
    CHECK(storm_users_add(u, "alice", "alice-pw", NULL) == STORM_OK);
    unsigned long d0 = storm_users_derivations();
    CHECK(!storm_users_verify(u, "nobody", "x", 1));
    CHECK(storm_users_derivations() == d0 + 1);
    CHECK(!storm_users_verify(u, "alice", "wrong", 5));
    CHECK(storm_users_derivations() == d0 + 2);
    CHECK(storm_users_verify(u, "alice", "alice-pw", 8));
    CHECK(storm_users_derivations() == d0 + 3);
    /* through the server: a name too long to exist costs one as well */
    setup(u);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    d0 = storm_users_derivations();
    CHECK(login("192.0.2.1", longname, "x", NULL) == TAXII_AUTH_FAILED);
    CHECK(storm_users_derivations() == d0 + 1);
    pthread_mutex_destroy(&ctx.auth_lock);
    storm_users_free(u);
}

static void test_limiter(void)
{
    storm_users *u = storm_users_new();
    storm_users_set_iterations(u, STORM_USERS_ITERATIONS_MIN);
    storm_users_add(u, "alice", "alice-pw", NULL);
    setup(u);
    unsigned retry = 0;
    CHECK(login("192.0.2.7", "alice", "bad1", &retry) == TAXII_AUTH_FAILED);
    CHECK(login("192.0.2.7", "alice", "bad2", &retry) == TAXII_AUTH_FAILED);
    CHECK(login("192.0.2.7", "nobody", "bad3", &retry) == TAXII_AUTH_FAILED); /* the 3rd starts the lock-out */
    unsigned long d0 = storm_users_derivations();
    CHECK(login("192.0.2.7", "alice", "bad4", &retry) == TAXII_AUTH_THROTTLED);
    CHECK(retry == 60);
    /* locked out even with the right password (else a 200 among 429s
     * would reveal the right guess), and without any derivation */
    CHECK(login("192.0.2.7", "alice", "alice-pw", &retry) == TAXII_AUTH_THROTTLED);
    CHECK(storm_users_derivations() == d0);
    /* another address is not affected */
    CHECK(login("192.0.2.8", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    /* requests without credentials are not failures */
    char name[STORM_USERS_NAME_MAX + 1];
    int anonymous_failed = 0;
    for (int i = 0; i < 10; i++)
        anonymous_failed += taxii_authenticate(&ctx, "192.0.2.9", NULL, name, &retry) == TAXII_AUTH_FAILED;
    CHECK(anonymous_failed == 10);
    CHECK(login("192.0.2.9", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    /* the lock-out ends after the window */
    clock_s += 30;
    CHECK(login("192.0.2.7", "alice", "alice-pw", &retry) == TAXII_AUTH_THROTTLED);
    CHECK(retry == 30);
    clock_s += 31;
    CHECK(login("192.0.2.7", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    /* failures spread wider than the window never lock out */
    for (int i = 0; i < 5; i++) {
        CHECK(login("192.0.2.10", "alice", "bad", NULL) == TAXII_AUTH_FAILED);
        clock_s += 40;
    }
    /* IPv6: one /64 is one client */
    CHECK(login("2001:db8::1", "alice", "bad", NULL) == TAXII_AUTH_FAILED);
    CHECK(login("2001:db8::2", "alice", "bad", NULL) == TAXII_AUTH_FAILED);
    CHECK(login("2001:db8::3", "alice", "bad", NULL) == TAXII_AUTH_FAILED);
    CHECK(login("2001:db8::4", "alice", "alice-pw", NULL) == TAXII_AUTH_THROTTLED);
    CHECK(login("2001:db8:0:1::4", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    /* the table is fixed: many addresses churn through it, the locked-out
     * one stays locked out (unlocked entries are reused first) */
    storm_users_set_iterations(u, STORM_USERS_ITERATIONS_MIN);
    int churn_failed = 0;
    for (int i = 0; i < 3 * TAXII_LIMITER_SLOTS; i++) {
        char ip[64], hdr[64], nm[STORM_USERS_NAME_MAX + 1];
        unsigned r;
        snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        /* a malformed header fails without a derivation: quick */
        churn_failed += taxii_authenticate(&ctx, ip, strcpy(hdr, "Basic !!!!"), nm, &r) == TAXII_AUTH_FAILED;
    }
    CHECK(churn_failed == 3 * TAXII_LIMITER_SLOTS);
    CHECK(login("2001:db8::5", "alice", "alice-pw", NULL) == TAXII_AUTH_THROTTLED);
    pthread_mutex_destroy(&ctx.auth_lock);
    storm_users_free(u);
}

static void test_cache(void)
{
    storm_users *u = storm_users_new();
    storm_users_set_iterations(u, STORM_USERS_ITERATIONS_MIN);
    storm_users_add(u, "alice", "alice-pw", NULL);
    setup(u);
    unsigned long d0 = storm_users_derivations();
    CHECK(login("192.0.2.1", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    CHECK(login("192.0.2.1", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    CHECK(storm_users_derivations() == d0 + 1); /* the second was remembered */
    clock_s += TAXII_AUTH_CACHE_TTL + 1;
    CHECK(login("192.0.2.1", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    CHECK(storm_users_derivations() == d0 + 2); /* expired */
    taxii_auth_forget(&ctx);
    CHECK(login("192.0.2.1", "alice", "alice-pw", NULL) == TAXII_AUTH_OK);
    CHECK(storm_users_derivations() == d0 + 3); /* forgotten (users reloaded) */
    pthread_mutex_destroy(&ctx.auth_lock);
    storm_users_free(u);
}

static bool stix_ok(const char *json, const char *want_reason)
{
    storm_arena *a = storm_arena_new(0, 1 << 20);
    storm_value *v = NULL;
    storm_err err = {0};
    char why[256] = "";
    bool ok = storm_json_parse(a, json, strlen(json), STORM_JSON_DEFAULT, &v, NULL, &err) == STORM_OK &&
              taxii_stix_check(v, why, sizeof why);
    if (!ok && want_reason && !strstr(why, want_reason)) {
        fprintf(stderr, "reason '%s' lacks '%s'\n", why, want_reason);
        ok = true; /* counted as the wrong answer */
    }
    storm_arena_free(a);
    return ok;
}

#define SDO(extra)                                                                                                     \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\","     \
    "\"pattern_type\":\"stix\",\"pattern\":\"[file:name = 'x']\"," extra "}"

static void test_stix_check(void)
{
    /* an indicator's STIX pattern must parse; other pattern languages pass through */
#define IND(pt, pat)                                                                                                   \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\","     \
    "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"pattern_type\":\"" pt "\","          \
    "\"pattern\":\"" pat "\"}"
    CHECK(!stix_ok(IND("stix", "[file:name = \\\"x\\\"]"), "not a valid STIX pattern: line 1, column"));
    CHECK(stix_ok(IND("sigma", "title: x"), NULL));
    CHECK(!stix_ok("{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-"
                   "4a1f0f6a7a10\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\"}",
                   "without a 'pattern'"));
    CHECK(stix_ok(SDO("\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00.000Z\""), NULL));
    CHECK(!stix_ok(SDO("\"created\":\"yesterday\",\"modified\":\"2026-01-01T00:00:00Z\""),
                   "'created' is not a STIX timestamp"));
    CHECK(
        !stix_ok(SDO("\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00+02:00\""), "'modified'"));
    CHECK(!stix_ok(SDO("\"created\":\"2026-02-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\""),
                   "'modified' is before 'created'"));
    CHECK(!stix_ok(SDO("\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"valid_from\":"
                       "\"2026-01-02T00:00:00Z\",\"valid_until\":\"2026-01-01T00:00:00Z\""),
                   "'valid_until' is not after"));
    CHECK(!stix_ok(SDO("\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"valid_from\":42"),
                   "'valid_from'"));
    CHECK(!stix_ok(SDO("\"created\":\"2026-13-01T00:00:00Z\""), "'created'"));
    CHECK(!stix_ok(SDO("\"modified\":\"2026-01-01T00:00:00Z\""), "without 'created'"));
    CHECK(!stix_ok("{\"type\":\"indicator\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\",\"created\":"
                   "\"2026-01-01T00:00:00Z\"}",
                   "no spec_version"));
    CHECK(!stix_ok(
        "{\"type\":\"indicator\",\"spec_version\":\"2.0\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\"}",
        "spec_version 2.0"));
    CHECK(!stix_ok(
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"malware--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\"}",
        "does not start with its type"));
    CHECK(
        !stix_ok("{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1234\"}", "followed by a UUID"));
    CHECK(!stix_ok("{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-"
                   "4a1f0f6a7a10\\u0000x\"}",
                   "followed by a UUID"));
    /* the one UUID rule (storm/uuid.h): RFC 4122 variant required, either case */
    CHECK(!stix_ok(
        "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--abcd1111-2222-3333-4444-555566667777\",\"value\":\"10.0.0.1\"}",
        "(RFC 4122 variant)"));
    CHECK(stix_ok(
        "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--0D2B6F3C-3C0E-4F7A-9A43-4A1F0F6A7A10\",\"value\":\"10.0.0.1\"}",
        NULL));
    CHECK(!stix_ok("{\"type\":\"Bad_Type\",\"id\":\"Bad_Type--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\"}",
                   "not a STIX type name"));
    CHECK(!stix_ok("{\"id\":\"indicator--0d2b6f3c-3c0e-4f7a-9a43-4a1f0f6a7a10\"}", "no 'type'"));
    CHECK(!stix_ok("[1]", "not a JSON object"));
    /* an SCO: no spec_version, no created/modified needed */
    CHECK(stix_ok(
        "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--11111111-1111-5111-8111-111111111111\",\"value\":\"10.0.0.1\"}",
        NULL));
    CHECK(!stix_ok("{\"type\":\"file\",\"id\":\"file--11111111-1111-5111-8111-111111111111\",\"mtime\":\"now\"}",
                   "'mtime'"));
    CHECK(!stix_ok("{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--11111111-1111-4111-8111-"
                   "111111111111\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"first_"
                   "seen\":\"2026-01-02T00:00:00Z\",\"last_seen\":\"2026-01-01T00:00:00Z\"}",
                   "'last_seen' is before 'first_seen'"));
}

int main(void)
{
    RUN(test_unknown_user_costs_a_derivation);
    RUN(test_limiter);
    RUN(test_cache);
    RUN(test_stix_check);
    return test_report("test_taxii_auth");
}
