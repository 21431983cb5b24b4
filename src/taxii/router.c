/* SPDX-License-Identifier: Apache-2.0 */
/* The request router: path -> endpoint, then the checks every endpoint
 * shares, in the order a client can act on them: 404 (no such endpoint),
 * 405 (method), 406 (Accept), 429 (too many failed logins from this
 * address), 401 (credentials), 404 (no such collection, or one not served),
 * 403 (rights), 415 (Content-Type), 413 (body size). Nothing is read from or
 * written to the store before all of them pass. */
#include "taxii_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef enum route_kind {
    ROUTE_NONE = 0,
    ROUTE_DISCOVERY,
    ROUTE_API_ROOT,
    ROUTE_COLLECTIONS,
    ROUTE_COLLECTION,
    ROUTE_OBJECTS,
    ROUTE_OBJECT,
    ROUTE_VERSIONS,
    ROUTE_MANIFEST,
    ROUTE_STATUS,
} route_kind;

typedef struct route {
    route_kind kind;
    char segs[TAXII_PATH_SEGMENTS_MAX][256];
    size_t n;
    const char *collection, *object, *status;
} route;

static size_t split_path(const char *path, route *r)
{
    r->n = 0;
    if (!path || path[0] != '/')
        return 0;
    const char *p = path + 1;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || len >= sizeof r->segs[0] || r->n >= TAXII_PATH_SEGMENTS_MAX)
            return r->n = 0, 0; /* empty segment (//), too long or too deep */
        memcpy(r->segs[r->n], p, len);
        r->segs[r->n][len] = '\0';
        r->n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    return r->n;
}

static void match_route(const taxii_ctx *ctx, const char *path, route *r)
{
    r->kind = ROUTE_NONE;
    r->collection = r->object = r->status = NULL;
    size_t n = split_path(path, r);
    if (n == 1 && strcmp(r->segs[0], "taxii2") == 0) {
        r->kind = ROUTE_DISCOVERY;
        return;
    }
    if (n == 0 || strcmp(r->segs[0], ctx->cfg.api_root) != 0)
        return;
    if (n == 1) {
        r->kind = ROUTE_API_ROOT;
        return;
    }
    if (n == 3 && strcmp(r->segs[1], "status") == 0) {
        r->kind = ROUTE_STATUS;
        r->status = r->segs[2];
        return;
    }
    if (strcmp(r->segs[1], "collections") != 0)
        return;
    if (n == 2) {
        r->kind = ROUTE_COLLECTIONS;
        return;
    }
    r->collection = r->segs[2];
    if (n == 3)
        r->kind = ROUTE_COLLECTION;
    else if (n == 4 && strcmp(r->segs[3], "objects") == 0)
        r->kind = ROUTE_OBJECTS;
    else if (n == 4 && strcmp(r->segs[3], "manifest") == 0)
        r->kind = ROUTE_MANIFEST;
    else if (n >= 5 && n <= 6 && strcmp(r->segs[3], "objects") == 0) {
        r->object = r->segs[4];
        if (n == 5)
            r->kind = ROUTE_OBJECT;
        else if (strcmp(r->segs[5], "versions") == 0)
            r->kind = ROUTE_VERSIONS;
    }
}

static const char *allowed_methods(route_kind k)
{
    switch (k) {
    case ROUTE_OBJECTS: return "GET, POST";
    case ROUTE_OBJECT: return "GET, DELETE";
    default: return "GET";
    }
}

/* ---- media types (RFC 9110 §8.3.1, §12.5.1) ---------------------------------
 * media-type = type "/" subtype parameters
 * parameters = *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )
 * Names and types are case-insensitive; values are compared after the
 * quoted-string is unescaped, so version=2.1 and version="2.1" are the same. */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

typedef struct media_type {
    const char *type; /* type/subtype, not NUL-terminated */
    size_t type_len;
    bool version_bad; /* a version parameter other than 2.1 */
    bool q_zero;      /* q=0: "not acceptable" */
} media_type;

/* Parse s[0..len) into m; false on a syntax error. */
static bool media_parse(const char *s, size_t len, media_type *m)
{
    size_t i = 0;
    memset(m, 0, sizeof *m);
    while (i < len && is_ows(s[i]))
        i++;
    size_t ts = i;
    while (i < len && is_tchar(s[i]))
        i++;
    if (i == ts || i >= len || s[i] != '/')
        return false;
    i++;
    size_t ss = i;
    while (i < len && is_tchar(s[i]))
        i++;
    if (i == ss)
        return false;
    m->type = s + ts;
    m->type_len = i - ts;
    while (i < len) {
        while (i < len && is_ows(s[i]))
            i++;
        if (i == len)
            break;
        if (s[i] != ';')
            return false;
        i++;
        while (i < len && is_ows(s[i]))
            i++;
        if (i == len || s[i] == ';')
            continue; /* an empty parameter is allowed */
        size_t ns = i;
        while (i < len && is_tchar(s[i]))
            i++;
        size_t nl = i - ns;
        while (i < len && is_ows(s[i])) /* not in the grammar; harmless to allow */
            i++;
        if (nl == 0 || i >= len || s[i] != '=')
            return false;
        i++;
        while (i < len && is_ows(s[i]))
            i++;
        char val[32];
        size_t vl = 0;
        bool overflow = false;
        if (i < len && s[i] == '"') {
            bool closed = false;
            for (i++; i < len;) {
                char ch = s[i++];
                if (ch == '"') {
                    closed = true;
                    break;
                }
                if (ch == '\\') {
                    if (i >= len)
                        return false;
                    ch = s[i++];
                }
                if (vl < sizeof val - 1)
                    val[vl++] = ch;
                else
                    overflow = true;
            }
            if (!closed)
                return false;
        } else {
            for (; i < len && is_tchar(s[i]); i++) {
                if (vl < sizeof val - 1)
                    val[vl++] = s[i];
                else
                    overflow = true;
            }
            if (vl == 0)
                return false;
        }
        val[vl] = '\0';
        if (nl == 7 && strncasecmp(s + ns, "version", 7) == 0) {
            if (overflow || strcmp(val, "2.1") != 0)
                m->version_bad = true;
        } else if (nl == 1 && (s[ns] == 'q' || s[ns] == 'Q')) {
            bool zero = vl > 0 && !overflow;
            for (size_t k = 0; k < vl; k++)
                if (val[k] != '0' && val[k] != '.')
                    zero = false;
            m->q_zero = zero;
        }
    }
    return true;
}

static bool type_is(const media_type *m, const char *t)
{
    size_t tl = strlen(t);
    return m->type_len == tl && strncasecmp(m->type, t, tl) == 0;
}

/* Is this media range (type/subtype plus parameters) one we can produce? */
static bool acceptable_range(const char *s, size_t len)
{
    media_type m;
    if (!media_parse(s, len, &m) || m.q_zero)
        return false;
    if (type_is(&m, "*/*") || type_is(&m, "application/*"))
        return true;
    return type_is(&m, "application/taxii+json") && !m.version_bad;
}

/* Accept: a comma-separated list of ranges (commas inside quoted strings
 * do not separate). */
static bool acceptable(const char *accept)
{
    if (!accept || !*accept)
        return true; /* no preference stated */
    const char *p = accept, *start = accept;
    bool quoted = false;
    for (;; p++) {
        if (*p == '\\' && quoted && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        if (*p == '\0' || (*p == ',' && !quoted)) {
            size_t len = (size_t)(p - start);
            size_t k = 0;
            while (k < len && is_ows(start[k]))
                k++;
            if (k < len && acceptable_range(start, len))
                return true;
            if (!*p)
                return false;
            start = p + 1;
        }
    }
}

static bool taxii_content_type(const char *ct)
{
    media_type m;
    return ct && media_parse(ct, strlen(ct), &m) && type_is(&m, "application/taxii+json") && !m.version_bad;
}

/* The shared checks. On success c is ready for the endpoint. */
static bool check(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs, route *r, taxii_call *c,
                  char user[STORM_USERS_NAME_MAX + 1], bool need_body)
{
    if (rq->target_has_nul)
        return taxii_error(rs, 400, "Bad request target",
                           "the path or a query parameter holds %%00 (a NUL byte), which no TAXII name may contain");
    match_route(ctx, rq->path, r);
    if (r->kind == ROUTE_NONE)
        return taxii_error(rs, 404, "Not found", "no TAXII endpoint at this path");
    const char *m = rq->method ? rq->method : "";
    bool is_get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    bool is_post = strcmp(m, "POST") == 0 && r->kind == ROUTE_OBJECTS;
    bool is_delete = strcmp(m, "DELETE") == 0 && r->kind == ROUTE_OBJECT;
    if (!is_get && !is_post && !is_delete) {
        rs->allow = allowed_methods(r->kind);
        return taxii_error(rs, 405, "Method not allowed", "%s is not allowed here; use %s", m, rs->allow);
    }
    if (!acceptable(rq->accept))
        return taxii_error(rs, 406, "Not acceptable",
                           "this server answers " STORM_TAXII_MEDIA_TYPE "; the Accept header does not allow it");
    unsigned retry = 0;
    taxii_auth_result ar = taxii_authenticate(ctx, rq->client, rq->authorization, user, &retry);
    if (ar == TAXII_AUTH_THROTTLED) {
        rs->retry_after = retry;
        return taxii_error(rs, 429, "Too many failed logins",
                           "too many failed logins from this address; try again in %u seconds", retry);
    }
    if (ar != TAXII_AUTH_OK) {
        rs->www_authenticate = true;
        return taxii_error(rs, 401, "Unauthorized",
                           rq->authorization ? "the credentials are not valid"
                                             : "this server needs Basic authentication");
    }
    c->ctx = ctx;
    c->rq = rq;
    c->rs = rs;
    c->user = user;
    c->collection_id = r->collection;
    c->object_id = r->object;
    c->status_id = r->status;
    if (r->collection || r->kind == ROUTE_COLLECTIONS || r->kind == ROUTE_STATUS) {
        storm_err err = {0};
        c->store = ctx->store_for_thread(ctx, &err);
        if (!c->store)
            return taxii_error(rs, 503, "Store unavailable", "%s", err.msg);
    }
    if (r->collection) {
        storm_err err = {0};
        storm_rc rc = storm_store_collection_find(c->store, r->collection, &c->collection, &err);
        bool visible = rc == STORM_OK && taxii_exposed(ctx, &c->collection) &&
                       (taxii_can(ctx, user, STORM_USERS_READ, &c->collection) ||
                        taxii_can(ctx, user, STORM_USERS_WRITE, &c->collection));
        if (rc == STORM_ERR_NOTFOUND || (rc == STORM_OK && !taxii_exposed(ctx, &c->collection)) ||
            (rc == STORM_OK && !visible && ctx->users))
            return taxii_error(rs, 404, "Collection not found", "no collection '%s' for this user", r->collection);
        if (rc)
            return taxii_error(rs, 500, "Store error", "%s", err.msg);
        storm_users_right need = (is_post || is_delete) ? STORM_USERS_WRITE : STORM_USERS_READ;
        if (!taxii_can(ctx, user, need, &c->collection)) {
            if (!ctx->users)
                return taxii_error(rs, 403, "Forbidden",
                                   "this server runs without users (storm serve --users): it is read-only");
            return taxii_error(rs, 403, "Forbidden", "user '%s' may not %s collection '%s'", user,
                               need == STORM_USERS_WRITE ? "write to" : "read", c->collection.id);
        }
    }
    if (is_post) {
        if (!taxii_content_type(rq->content_type))
            return taxii_error(rs, 415, "Unsupported media type",
                               "POST bodies must be " STORM_TAXII_MEDIA_TYPE " envelopes");
        if (rq->content_encoding && strcasecmp(rq->content_encoding, "identity") != 0)
            return taxii_error(rs, 415, "Unsupported content encoding",
                               "Content-Encoding '%.40s' is not supported: send the envelope uncompressed",
                               rq->content_encoding);
        if (rq->body_too_large)
            return taxii_error(rs, 413, "Request too large", "the body is larger than max_content_length (%zu bytes)",
                               ctx->cfg.max_content_length);
        if (need_body && rq->body_len == 0)
            return taxii_error(rs, 400, "Empty body", "POST needs a TAXII envelope as its body");
    }
    return true;
}

bool taxii_precheck(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs)
{
    route r;
    taxii_call c = {0};
    char user[STORM_USERS_NAME_MAX + 1];
    if (taxii_ui_owns(ctx, rq))
        return taxii_ui_handle(ctx, rq, rs, true);
    return check(ctx, rq, rs, &r, &c, user, false);
}

void taxii_handle(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs)
{
    route r;
    taxii_call c = {0};
    char user[STORM_USERS_NAME_MAX + 1];
    if (taxii_ui_owns(ctx, rq)) {
        taxii_ui_handle(ctx, rq, rs, false);
        return;
    }
    if (!check(ctx, rq, rs, &r, &c, user, true))
        return;
    /* Per request: query values, the parsed POST body. Capped so one
     * request cannot take the process's memory. */
    size_t cap = ctx->cfg.max_content_length * 16 + ((size_t)16 << 20);
    c.arena = storm_arena_new(16384, cap);
    if (!c.arena) {
        taxii_error(rs, 500, "Out of memory", "cannot allocate the request's memory");
        return;
    }
    bool is_delete = strcmp(rq->method, "DELETE") == 0;
    bool is_post = strcmp(rq->method, "POST") == 0;
    bool pageable =
        !is_delete && !is_post &&
        (r.kind == ROUTE_OBJECTS || r.kind == ROUTE_OBJECT || r.kind == ROUTE_VERSIONS || r.kind == ROUTE_MANIFEST);
    taxii_page_cache *cache = pageable && ctx->cache_for_thread ? ctx->cache_for_thread(ctx) : NULL;
    storm_buf key;
    uint64_t version = 0;
    storm_buf_init(&key, 16384);
    if (cache) {
        /* The page depends on the path and the parameters, nothing else:
         * rights were checked above. */
        storm_err err = {0};
        storm_buf_puts(&key, rq->path);
        for (size_t i = 0; i < rq->n_params; i++)
            storm_buf_printf(&key, "%c%s=%s", '\0', rq->params[i].key, rq->params[i].value ? rq->params[i].value : "");
        if (!key.data || storm_store_data_version(c.store, &version, &err))
            cache = NULL;
        else if (taxii_page_cache_get(cache, key.data, key.len, version, rs)) {
            storm_buf_free(&key);
            storm_arena_free(c.arena);
            return;
        }
    }
    switch (r.kind) {
    case ROUTE_DISCOVERY: taxii_get_discovery(&c); break;
    case ROUTE_API_ROOT: taxii_get_api_root(&c); break;
    case ROUTE_COLLECTIONS: taxii_get_collections(&c); break;
    case ROUTE_COLLECTION: taxii_get_collection(&c); break;
    case ROUTE_OBJECTS: is_post ? taxii_post_objects(&c) : taxii_get_objects(&c); break;
    case ROUTE_OBJECT: is_delete ? taxii_delete_object(&c) : taxii_get_object(&c); break;
    case ROUTE_VERSIONS: taxii_get_versions(&c); break;
    case ROUTE_MANIFEST: taxii_get_manifest(&c); break;
    case ROUTE_STATUS: taxii_get_status(&c); break;
    case ROUTE_NONE: break;
    }
    if (cache)
        taxii_page_cache_put(cache, key.data, key.len, version, rs);
    storm_buf_free(&key);
    storm_arena_free(c.arena);
}
