/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: one HTTP request, as text, through the TAXII router without
 * networking. Input:
 *
 *   METHOD PATH[?QUERY]\n
 *   Header: value\n        (Accept, Content-Type, Authorization, Host)
 *   \n
 *   body
 *
 * The store is an in-memory SQLite database with the default collections;
 * the users are "alice:alice" (rw on indicators) and "bob:bob" (read *). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <storm/codec.h>

#include "taxii_int.h"

#define FUZZ_STORE_RESET 2000 /* inputs between fresh stores (bounded memory) */

static taxii_ctx ctx;
static storm_store *store;
static taxii_page_cache *cache;
static storm_users *users;
static unsigned long runs;

static storm_store *fuzz_store(taxii_ctx *c, storm_err *err)
{
    (void)c;
    if (!store && storm_store_open(":memory:", STORM_STORE_READWRITE, &store, err))
        return NULL;
    return store;
}

static taxii_page_cache *fuzz_cache(taxii_ctx *c)
{
    (void)c;
    if (!cache)
        cache = taxii_page_cache_new();
    return cache;
}

static void setup(void)
{
    storm_taxii_config_default(&ctx.cfg);
    ctx.cfg.db_path = ":memory:";
    ctx.cfg.max_content_length = 65536;
    ctx.cfg.max_envelope_objects = 100;
    ctx.cfg.page_max = 50;
    ctx.cfg.page_default = 10;
    ctx.store_for_thread = fuzz_store;
    ctx.cache_for_thread = fuzz_cache;
    pthread_mutex_init(&ctx.auth_lock, NULL);
    memset(ctx.auth_secret, 7, sizeof ctx.auth_secret);
    users = storm_users_new();
    storm_users_set_iterations(users, STORM_USERS_ITERATIONS_MIN);
    storm_users_add(users, "alice", "alice", NULL);
    storm_users_add(users, "bob", "bob", NULL);
    storm_users_grant(users, "alice", STORM_USERS_READ, "indicators", NULL);
    storm_users_grant(users, "alice", STORM_USERS_WRITE, "indicators", NULL);
    storm_users_grant(users, "bob", STORM_USERS_READ, "*", NULL);
    ctx.users = users;
}

/* Percent-decode s[0..n) into a new NUL-terminated string (as the HTTP
 * library does before the router sees it). */
static char *decode(storm_arena *a, const char *s, size_t n)
{
    char *out = storm_arena_alloc(a, n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && codec_hex_digit(s[i + 1]) >= 0 && codec_hex_digit(s[i + 2]) >= 0) {
            out[o++] = (char)(codec_hex_digit(s[i + 1]) << 4 | codec_hex_digit(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx.store_for_thread)
        setup();
    if (++runs % FUZZ_STORE_RESET == 0) {
        storm_store_close(store);
        store = NULL;
        taxii_page_cache_free(cache);
        cache = NULL;
    }
    storm_arena *a = storm_arena_new(0, (size_t)4 << 20);
    if (!a)
        return 0;
    const char *text = (const char *)data;
    size_t pos = 0;
    /* request line */
    size_t eol = 0;
    while (eol < size && text[eol] != '\n')
        eol++;
    const char *sp = memchr(text, ' ', eol);
    taxii_request rq = {0};
    taxii_param params[TAXII_PARAMS_MAX];
    size_t np = 0;
    rq.method = sp ? decode(a, text, (size_t)(sp - text)) : "GET";
    const char *target = sp ? sp + 1 : text;
    size_t tlen = (size_t)(text + eol - target);
    const char *q = memchr(target, '?', tlen);
    rq.path = decode(a, target, q ? (size_t)(q - target) : tlen);
    if (q) {
        const char *p = q + 1, *end = target + tlen;
        while (p < end && np < TAXII_PARAMS_MAX) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *e = amp ? amp : end;
            const char *eq = memchr(p, '=', (size_t)(e - p));
            params[np].key = decode(a, p, (size_t)((eq ? eq : e) - p));
            params[np].value = eq ? decode(a, eq + 1, (size_t)(e - eq - 1)) : NULL;
            np++;
            p = e + 1;
        }
    }
    rq.params = params;
    rq.n_params = np;
    /* headers until an empty line */
    pos = eol < size ? eol + 1 : size;
    while (pos < size) {
        size_t e = pos;
        while (e < size && text[e] != '\n')
            e++;
        if (e == pos) {
            pos++;
            break;
        }
        const char *colon = memchr(text + pos, ':', e - pos);
        if (colon) {
            size_t kl = (size_t)(colon - (text + pos));
            const char *v = colon + 1;
            while (v < text + e && *v == ' ')
                v++;
            char *val = storm_arena_strndup(a, v, (size_t)(text + e - v));
            if (kl == 6 && strncasecmp(text + pos, "Accept", 6) == 0)
                rq.accept = val;
            else if (kl == 12 && strncasecmp(text + pos, "Content-Type", 12) == 0)
                rq.content_type = val;
            else if (kl == 13 && strncasecmp(text + pos, "Authorization", 13) == 0)
                rq.authorization = val;
            else if (kl == 4 && strncasecmp(text + pos, "Host", 4) == 0)
                rq.host = val;
        }
        pos = e + 1;
    }
    if (pos > size)
        pos = size;
    /* the body, copied so that reading past its end is caught */
    rq.body_len = size - pos;
    char *body = malloc(rq.body_len + 1);
    if (body && rq.method && rq.path) {
        memcpy(body, text + pos, rq.body_len);
        body[rq.body_len] = '\0';
        rq.body = body;
        rq.body_too_large = rq.body_len > ctx.cfg.max_content_length;
        taxii_response rs;
        taxii_response_init(&rs);
        bool go_on = strcmp(rq.method, "POST") != 0 || taxii_precheck(&ctx, &rq, &rs);
        if (go_on) {
            taxii_response_free(&rs);
            taxii_response_init(&rs);
            taxii_handle(&ctx, &rq, &rs);
        }
        /* every answer is JSON (or empty) with a real status */
        if (rs.status < 200 || rs.status > 599 || (rs.body.len && rs.body.data[0] != '{'))
            abort();
        taxii_response_free(&rs);
    }
    free(body);
    storm_arena_free(a);
    return 0;
}
