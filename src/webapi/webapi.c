/* SPDX-License-Identifier: Apache-2.0 */
/* The web API's front door: routing, the CSRF and Origin checks of
 * state-changing requests, JSON answers, and the small endpoints (who am
 * I, what the store holds). */
#include "webapi_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <storm/json.h>
#include <storm/store_summary.h>

/* script-src/style-src 'self': no inline script, no style element or
 * attribute in markup (styles set from script through the CSSOM, as the
 * graph and chart libraries do, are allowed by CSP). */
const char *const storm_webapi_security_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    "Cross-Origin-Opener-Policy",
    "same-origin",
    "Cross-Origin-Resource-Policy",
    "same-origin",
    NULL,
};

storm_rc storm_webapi_new(const storm_webapi_config *cfg, storm_webapi **out, storm_err *err)
{
    *out = NULL;
    if (!cfg->static_dir)
        return storm_err_set(err, STORM_ERR_STATE, 0, "webapi: no directory of the UI's files");
    char index[4096];
    struct stat sb;
    snprintf(index, sizeof index, "%s/index.html", cfg->static_dir);
    if (stat(index, &sb) != 0 || !S_ISREG(sb.st_mode))
        return storm_err_set(err, STORM_ERR_NOTFOUND, 0,
                             "webapi: %s holds no index.html: build the UI with scripts/deps.sh (npm ci) and "
                             "`npm --prefix ui run build`, or name the built files with --ui-dir DIR",
                             cfg->static_dir);
    storm_webapi *w = calloc(1, sizeof *w);
    if (!w || !(w->static_dir = strdup(cfg->static_dir))) {
        free(w);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "webapi: out of memory");
    }
    w->cfg = *cfg;
    w->cfg.static_dir = w->static_dir;
    if (!w->cfg.run_max_ms)
        w->cfg.run_max_ms = 5000;
    if (!w->cfg.run_max_results)
        w->cfg.run_max_results = 200;
    if (!w->cfg.run_max_observations)
        w->cfg.run_max_observations = 100000;
    if (!w->cfg.list_max)
        w->cfg.list_max = 10000;
    if (RAND_bytes(w->csrf_secret, sizeof w->csrf_secret) != 1) {
        storm_webapi_free(w);
        return storm_err_set(err, STORM_ERR_IO, 0, "webapi: no random bytes for the CSRF secret");
    }
    pthread_mutex_init(&w->runs_lock, NULL);
    pthread_mutex_init(&w->cache_lock, NULL);
    *out = w;
    return STORM_OK;
}

void storm_webapi_free(storm_webapi *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->runs_lock);
    webapi_cache_free(w);
    pthread_mutex_destroy(&w->cache_lock);
    free(w->static_dir);
    free(w);
}

const char *storm_webapi_static_dir(const storm_webapi *w)
{
    return w->static_dir;
}

bool storm_webapi_owns(const char *path)
{
    return path && (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0 || strncmp(path, "/ui/", 4) == 0 ||
                    strcmp(path, "/api") == 0 || strncmp(path, "/api/", 5) == 0);
}

void storm_webapi_response_init(storm_webapi_response *rs)
{
    memset(rs, 0, sizeof *rs);
    storm_buf_init(&rs->body, WEBAPI_RESPONSE_MAX);
}

void storm_webapi_response_free(storm_webapi_response *rs)
{
    storm_buf_free(&rs->body);
}

void webapi_str(storm_buf *b, const char *s)
{
    s = s ? s : "";
    storm_json_write_string(b, s, strlen(s));
}

bool webapi_error(webapi_call *c, unsigned status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    storm_webapi_response *rs = c->rs;
    storm_buf_reset(&rs->body);
    rs->status = status;
    rs->content_type = "application/json";
    storm_buf_printf(&rs->body, "{\"error\":{\"status\":%u,\"message\":", status);
    webapi_str(&rs->body, msg);
    storm_buf_puts(&rs->body, "}}");
    return false;
}

storm_value *webapi_body_object(webapi_call *c)
{
    storm_value *body = NULL;
    storm_err err = {0};
    if (storm_json_parse(c->arena, c->rq->body ? c->rq->body : "", c->rq->body_len, 0, &body, NULL, &err) || !body ||
        body->type != STORM_V_OBJECT) {
        webapi_error(c, 400, "the body must be a JSON object (%s at byte %zu)", err.msg[0] ? err.msg : "not an object",
                     err.offset);
        return NULL;
    }
    return body;
}

void webapi_json(webapi_call *c)
{
    c->rs->status = 200;
    c->rs->content_type = "application/json";
    storm_buf_reset(&c->rs->body);
}

const char *webapi_param(const webapi_call *c, const char *key)
{
    return c->rq->param ? c->rq->param(c->rq->param_cls, key) : NULL;
}

size_t webapi_param_count(const webapi_call *c, const char *key, size_t def, size_t max)
{
    const char *v = webapi_param(c, key);
    if (!v || !*v)
        return def;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n == 0)
        return def;
    return n > max ? max : (size_t)n;
}

bool webapi_need(webapi_call *c, const char *collection, bool write)
{
    if (c->rq->can && c->rq->can(c->rq->can_cls, collection, write))
        return true;
    if (write && !*c->rq->user)
        return webapi_error(c, 403, "this server runs without users (storm serve --users): the UI is read-only");
    return webapi_error(c, 403, "user '%s' may not %s the collection '%s'", *c->rq->user ? c->rq->user : "(anonymous)",
                        write ? "write to" : "read", collection);
}

void webapi_csrf_token(const storm_webapi *w, const char *user, char out[WEBAPI_CSRF_HEX + 1])
{
    unsigned char mac[32];
    unsigned int len = sizeof mac;
    const char *u = user ? user : "";
    HMAC(EVP_sha256(), w->csrf_secret, sizeof w->csrf_secret, (const unsigned char *)u, strlen(u), mac, &len);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* Is the Origin this server ("http://HOST" or "https://HOST")? A browser
 * sends one with every cross-site POST; its absence means same-origin or
 * not a browser, and the CSRF token decides. */
static bool same_origin(const char *origin, const char *host)
{
    if (!origin || !*origin)
        return true;
    if (!host)
        return false;
    const char *rest = strncmp(origin, "http://", 7) == 0    ? origin + 7
                       : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                             : NULL;
    return rest && strcasecmp(rest, host) == 0;
}

static bool json_content_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

bool storm_webapi_precheck(storm_webapi *w, const storm_webapi_request *rq, storm_webapi_response *rs)
{
    webapi_call c = {.w = w, .rq = rq, .rs = rs};
    if (strcmp(rq->method, "POST") != 0)
        return true;
    if (strncmp(rq->path, "/api/", 5) != 0)
        return webapi_error(&c, 405, "POST is only for /api/ endpoints");
    if (!same_origin(rq->origin, rq->host))
        return webapi_error(&c, 403, "cross-origin request refused: Origin '%.100s' is not this server", rq->origin);
    char want[WEBAPI_CSRF_HEX + 1];
    webapi_csrf_token(w, rq->user, want);
    if (!rq->csrf || strlen(rq->csrf) != WEBAPI_CSRF_HEX || CRYPTO_memcmp(rq->csrf, want, WEBAPI_CSRF_HEX) != 0)
        return webapi_error(&c, 403,
                            "missing or wrong " STORM_WEBAPI_CSRF_HEADER
                            " header: state-changing requests need the token of GET /api/me");
    if (!json_content_type(rq->content_type))
        return webapi_error(&c, 415, "POST bodies must be application/json");
    if (rq->body_too_large)
        return webapi_error(&c, 413, "the body is larger than %zu bytes", (size_t)STORM_WEBAPI_BODY_MAX);
    return true;
}

void webapi_get_me(webapi_call *c)
{
    char token[WEBAPI_CSRF_HEX + 1];
    webapi_csrf_token(c->w, c->rq->user, token);
    static const char *const colls[] = {STORM_COLLECTION_INDICATORS, STORM_COLLECTION_SIGHTINGS,
                                        STORM_COLLECTION_OBSERVATIONS};
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"user\":");
    webapi_str(b, c->rq->user);
    storm_buf_printf(b, ",\"csrf\":\"%s\",\"rights\":{", token);
    for (size_t i = 0; i < sizeof colls / sizeof *colls; i++) {
        bool r = c->rq->can && c->rq->can(c->rq->can_cls, colls[i], false);
        bool wr = c->rq->can && c->rq->can(c->rq->can_cls, colls[i], true);
        storm_buf_printf(b, "%s\"%s\":{\"read\":%s,\"write\":%s}", i ? "," : "", colls[i], r ? "true" : "false",
                         wr ? "true" : "false");
    }
    storm_buf_printf(b, "},\"limits\":{\"run_max_ms\":%u,\"run_max_results\":%zu,\"run_max_observations\":%zu}}",
                     c->w->cfg.run_max_ms, c->w->cfg.run_max_results, c->w->cfg.run_max_observations);
}

typedef struct count_ctx {
    storm_buf *b;
    bool first;
} count_ctx;

static int put_count(void *ctx, const char *type, int64_t n)
{
    count_ctx *cc = ctx;
    storm_buf_puts(cc->b, cc->first ? "" : ",");
    cc->first = false;
    webapi_str(cc->b, type);
    storm_buf_printf(cc->b, ":%lld", (long long)n);
    return 0;
}

void webapi_get_overview(webapi_call *c)
{
    storm_store_collection colls[64];
    size_t n = 0;
    storm_err err = {0};
    if (storm_store_collections(c->rq->store, colls, 64, &n, &err)) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    if (n > 64)
        n = 64;
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"collections\":[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const char *name = colls[i].alias[0] ? colls[i].alias : colls[i].id;
        if (!c->rq->can || !c->rq->can(c->rq->can_cls, name, false))
            continue;
        storm_buf_puts(b, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        webapi_str(b, colls[i].id);
        storm_buf_puts(b, ",\"alias\":");
        webapi_str(b, colls[i].alias);
        storm_buf_puts(b, ",\"title\":");
        webapi_str(b, colls[i].title);
        storm_buf_puts(b, ",\"description\":");
        webapi_str(b, colls[i].description);
        storm_buf_puts(b, ",\"types\":{");
        count_ctx cc = {b, true};
        storm_err cerr = {0};
        storm_store_type_counts(c->rq->store, colls[i].id, put_count, &cc, &cerr);
        storm_buf_puts(b, "}}");
    }
    storm_buf_puts(b, "]}");
}

typedef void (*endpoint_fn)(webapi_call *c);

typedef struct endpoint {
    const char *method;
    const char *path;
    endpoint_fn fn;
    bool keep; /* answers may be kept until the data changes (answer_cache.c) */
} endpoint;

/* The cache key of a GET: the user, the path and the parameters the
 * endpoints read. */
static void cache_key(const storm_webapi_request *rq, storm_buf *key)
{
    static const char *const params[] = {"limit", "after", "ids", "key"};
    storm_buf_puts(key, rq->user);
    storm_buf_putc(key, '\0');
    storm_buf_puts(key, rq->path);
    for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
        const char *v = rq->param ? rq->param(rq->param_cls, params[i]) : NULL;
        storm_buf_printf(key, "%c%s=%s", '\0', params[i], v ? v : "");
    }
}

static const endpoint endpoints[] = {
    {"GET", "/api/me", webapi_get_me},
    {"GET", "/api/overview", webapi_get_overview, true},
    {"GET", "/api/models", webapi_get_models, true},
    {"GET", "/api/sightings", webapi_get_sightings, true},
    {"GET", "/api/objects", webapi_get_objects, true},
    {"GET", "/api/sessions", webapi_get_sessions, true},
    {"GET", "/api/session", webapi_get_session, true},
    {"GET", "/api/pattern/check", webapi_get_pattern_check},
    {"POST", "/api/pattern/run", webapi_post_pattern_run},
    {"POST", "/api/pattern/cancel", webapi_post_pattern_cancel},
    {"GET", "/api/baseline", webapi_get_baseline, true},
    {"GET", "/api/coverage", webapi_get_coverage, true},
    {"POST", "/api/models/indicator", webapi_post_save_indicator},
    {"GET", "/api/sharing", webapi_get_sharing, true},
};

void storm_webapi_handle(storm_webapi *w, const storm_webapi_request *rq, storm_webapi_response *rs)
{
    webapi_call c = {.w = w, .rq = rq, .rs = rs};
    const char *path = rq->path;
    bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0) {
        if (!get) {
            webapi_error(&c, 405, "%s is not allowed here; use GET", rq->method);
            return;
        }
        rs->status = 302;
        rs->location = "/ui/";
        rs->content_type = "text/plain";
        storm_buf_puts(&rs->body, "the UI is at /ui/\n");
        return;
    }
    if (strncmp(path, "/ui/", 4) == 0) {
        if (!get)
            webapi_error(&c, 405, "%s is not allowed here; use GET", rq->method);
        else
            webapi_get_static(&c, path + 4);
        return;
    }
    const endpoint *e = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        if (strcmp(endpoints[i].path, path) != 0)
            continue;
        path_known = true;
        if (strcmp(endpoints[i].method, rq->method) == 0 || (get && strcmp(endpoints[i].method, "GET") == 0))
            e = &endpoints[i];
    }
    if (!path_known) {
        webapi_error(&c, 404, "no API endpoint at %.200s", path);
        return;
    }
    if (!e) {
        webapi_error(&c, 405, "%s is not allowed at %.200s", rq->method, path);
        return;
    }
    if (strcmp(e->method, "POST") == 0 && !storm_webapi_precheck(w, rq, rs))
        return;
    if (!rq->store) {
        webapi_error(&c, 503, "the store is unavailable");
        return;
    }
    storm_buf key;
    storm_buf_init(&key, 16384);
    if (e->keep) {
        cache_key(rq, &key);
        if (key.data && webapi_cache_get(w, rq->store, key.data, key.len, rs)) {
            storm_buf_free(&key);
            return;
        }
    }
    c.arena = storm_arena_new(65536, (size_t)512 << 20);
    if (!c.arena) {
        storm_buf_free(&key);
        webapi_error(&c, 500, "out of memory");
        return;
    }
    e->fn(&c);
    storm_arena_free(c.arena);
    if (e->keep && key.data)
        webapi_cache_put(w, rq->store, key.data, key.len, rs);
    storm_buf_free(&key);
    if (c.rs->body.len >= WEBAPI_RESPONSE_MAX - 1)
        webapi_error(&c, 507, "the answer grew past %zu bytes: ask for a smaller page", WEBAPI_RESPONSE_MAX);
}
