/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd glue: binding, TLS, caps (connections, timeouts, body
 * size), one store connection per worker thread, and turning MHD's calls
 * into taxii_request/taxii_response for the router. */
#include "taxii_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <storm/httpd.h>
#include <storm/io.h>
#include <storm/lazy_lib.h>
#include <storm/listen.h>
#include <storm/metrics.h>
#include <storm/webapi.h>

#include "storm_config.h"

#define TLS_PEM_MAX ((size_t)1 << 20)

/* The libmicrohttpd functions this file calls, loaded by the first
 * storm_taxii_start. */
#define MHD_FUNCTIONS(X)                                                                                               \
    X(MHD_is_feature_supported)                                                                                        \
    X(MHD_create_response_from_buffer)                                                                                 \
    X(MHD_add_response_header)                                                                                         \
    X(MHD_queue_response)                                                                                              \
    X(MHD_destroy_response)                                                                                            \
    X(MHD_lookup_connection_value)                                                                                     \
    X(MHD_get_connection_values)                                                                                       \
    X(MHD_get_connection_info)
typedef struct mhd_api {
    MHD_FUNCTIONS(STORM_LAZY_FIELD)
} mhd_api;
static mhd_api libmicrohttpd;
#define MHD_SYM(fn) STORM_LAZY_SYM(mhd_api, fn)
static const storm_lazy_sym mhd_syms[] = {MHD_FUNCTIONS(MHD_SYM)};
static storm_lazy_lib mhd_lib =
    STORM_LAZY_LIB(STORM_SONAME_MICROHTTPD, STORM_PACKAGE_MICROHTTPD, mhd_syms, &libmicrohttpd);

struct storm_taxii_server {
    taxii_ctx ctx;
    storm_httpd *http;
    storm_users *users;
    char *users_path; /* owned copy, for storm_taxii_reload_users */
    /* Requests hold it for reading while they use ctx.users; a reload
     * swaps the users under it for writing. */
    pthread_rwlock_t users_lock;
    bool users_lock_made;
    pthread_key_t store_key;
    bool store_key_made;
    bool lock_made;
    char *tls_cert, *tls_key;                                 /* PEM text, owned */
    char *db_path, *api_root, *title, *description, *contact; /* owned copies */
    storm_metrics *metrics;                                   /* GET /metrics: requests by endpoint and status */
};

#define REQUESTS_METRIC "storm_taxii_requests_total"

/* The TAXII endpoint a path names, for the metrics (a few fixed words, so
 * that odd paths cannot grow the series). */
static const char *endpoint_of(const char *path)
{
    if (!path)
        return "other";
    if (strcmp(path, "/taxii2/") == 0 || strcmp(path, "/taxii2") == 0)
        return "discovery";
    const char *c = strstr(path, "/collections");
    if (strstr(path, "/status/"))
        return "status";
    if (!c) {
        size_t slashes = 0;
        for (const char *p = path; *p; p++)
            slashes += *p == '/';
        return slashes == 2 && path[strlen(path) - 1] == '/' ? "api_root" : "other";
    }
    if (strstr(c, "/versions"))
        return "versions";
    if (strstr(c, "/manifest"))
        return "manifest";
    const char *o = strstr(c, "/objects");
    if (o)
        return o[8] == '/' && o[9] ? "object" : "objects";
    size_t segs = 0; /* /collections/ID/ */
    for (const char *p = c + 1; *p; p++)
        segs += *p == '/' && p[1];
    return segs ? "collection" : "collections";
}

static void count_request(storm_taxii_server *s, const taxii_request *rq, unsigned status)
{
    if (!s->metrics)
        return;
    char v[64];
    snprintf(v, sizeof v, "%s" STORM_METRICS_SEP "%u", endpoint_of(rq->path), status);
    storm_metrics_add(s->metrics, REQUESTS_METRIC, v, 1);
}

/* GET /metrics, /healthz, /readyz (true: answered in *r). */
static bool answer_operate(storm_taxii_server *s, struct MHD_Connection *conn, const char *url, enum MHD_Result *r)
{
    const char *text = NULL, *type = "application/json";
    storm_buf b;
    storm_buf_init(&b, (size_t)4 << 20);
    unsigned status = 200;
    if (strcmp(url, "/healthz") == 0)
        text = "{\"status\":\"ok\"}";
    else if (strcmp(url, "/readyz") == 0)
        text = "{\"status\":\"ready\"}";
    else if (strcmp(url, "/metrics") == 0 && s->metrics) {
        if (storm_metrics_render(s->metrics, &b) == STORM_OK) {
            text = b.data ? b.data : "";
            type = STORM_METRICS_CONTENT_TYPE;
        } else {
            text = "{\"error\":\"the metrics do not fit\"}";
            status = 500;
        }
    } else {
        storm_buf_free(&b);
        return false;
    }
    struct MHD_Response *resp =
        libmicrohttpd.MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    storm_buf_free(&b);
    if (!resp) {
        *r = MHD_NO;
        return true;
    }
    libmicrohttpd.MHD_add_response_header(resp, "Content-Type", type);
    *r = libmicrohttpd.MHD_queue_response(conn, status, resp);
    libmicrohttpd.MHD_destroy_response(resp);
    return true;
}

/* What one HTTP request accumulates between MHD's calls. */
typedef struct conn_state {
    storm_buf body;
    bool too_large;
    bool answered; /* a response was queued before the body was read */
} conn_state;

/* The state of every request without a body (no allocation for GETs). */
static conn_state no_body;

void storm_taxii_config_default(storm_taxii_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:9000";
    c->title = "Storm TAXII 2.1 server";
    c->description = "Threat intelligence from a Kubernetes honeycluster";
    c->api_root = "storm";
    c->max_content_length = (size_t)10 << 20;
    c->max_envelope_objects = 10000;
    c->page_default = 100;
    c->page_max = 1000;
    c->max_connections = 256;
    c->connection_timeout = 30;
    c->threads = 0;
    c->auth_max_failures = 10;
    c->auth_window = 60;
}

/* What each worker thread keeps: its store connection and page cache. */
typedef struct worker_state {
    storm_store *store;
    taxii_page_cache *cache;
} worker_state;

static void close_worker(void *p)
{
    worker_state *w = p;
    storm_store_close(w->store);
    taxii_page_cache_free(w->cache);
    free(w);
}

static worker_state *worker(storm_taxii_server *s)
{
    worker_state *w = pthread_getspecific(s->store_key);
    if (!w && (w = calloc(1, sizeof *w)) != NULL)
        pthread_setspecific(s->store_key, w);
    return w;
}

static storm_store *store_for_thread(taxii_ctx *ctx, storm_err *err)
{
    worker_state *w = worker(ctx->store_arg);
    if (!w) {
        storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
        return NULL;
    }
    if (!w->store &&
        storm_store_open(((storm_taxii_server *)ctx->store_arg)->db_path, STORM_STORE_READWRITE, &w->store, err))
        return NULL;
    return w->store;
}

static taxii_page_cache *cache_for_thread(taxii_ctx *ctx)
{
    worker_state *w = worker(ctx->store_arg);
    if (w && !w->cache)
        w->cache = taxii_page_cache_new();
    return w ? w->cache : NULL;
}

typedef struct param_list {
    taxii_param items[TAXII_PARAMS_MAX];
    size_t n;
    bool overflow;
} param_list;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    param_list *l = cls;
    if (l->n >= TAXII_PARAMS_MAX) {
        l->overflow = true;
        return MHD_NO;
    }
    l->items[l->n].key = key;
    l->items[l->n].value = value;
    l->n++;
    return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, taxii_response *rs)
{
    struct MHD_Response *r;
    size_t len = 0;
    char *body = rs->body.len ? storm_buf_take(&rs->body, &len) : NULL;
    if (body)
        r = libmicrohttpd.MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    else
        r = libmicrohttpd.MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (body || rs->content_type)
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                              rs->content_type ? rs->content_type : STORM_TAXII_MEDIA_TYPE);
    if (rs->ui_headers) {
        for (size_t i = 0; storm_webapi_security_headers[i]; i += 2)
            libmicrohttpd.MHD_add_response_header(r, storm_webapi_security_headers[i],
                                                  storm_webapi_security_headers[i + 1]);
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                                              rs->cacheable ? "private, max-age=300" : "no-store");
    }
    if (rs->location)
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
    if (rs->added_first[0]) {
        libmicrohttpd.MHD_add_response_header(r, "X-TAXII-Date-Added-First", rs->added_first);
        libmicrohttpd.MHD_add_response_header(r, "X-TAXII-Date-Added-Last", rs->added_last);
    }
    if (rs->allow)
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
    if (rs->retry_after) {
        char ra[24];
        snprintf(ra, sizeof ra, "%u", rs->retry_after);
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (rs->www_authenticate)
        libmicrohttpd.MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                              "Basic realm=\"storm\", charset=\"UTF-8\"");
    enum MHD_Result ret = libmicrohttpd.MHD_queue_response(conn, rs->status, r);
    libmicrohttpd.MHD_destroy_response(r);
    return ret;
}

static void fill_request(struct MHD_Connection *conn, const char *url, const char *method, param_list *params,
                         char client[TAXII_CLIENT_MAX], taxii_request *rq)
{
    memset(rq, 0, sizeof *rq);
    client[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        libmicrohttpd.MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, client, TAXII_CLIENT_MAX);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, client, TAXII_CLIENT_MAX);
    }
    rq->client = client;
    params->n = 0;
    params->overflow = false;
    libmicrohttpd.MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, params);
    rq->method = method;
    rq->path = url;
    rq->params = params->items;
    rq->n_params = params->n;
    rq->host = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    rq->accept = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    rq->content_type = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    rq->authorization = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    rq->content_encoding =
        libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    rq->target_has_nul = storm_httpd_target_has_nul(conn);
    rq->csrf = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, STORM_WEBAPI_CSRF_HEADER);
    rq->origin = libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
}

static enum MHD_Result answer(storm_taxii_server *s, struct MHD_Connection *conn, taxii_request *rq,
                              const param_list *params, bool precheck_only, bool *go_on)
{
    taxii_response rs;
    taxii_response_init(&rs);
    pthread_rwlock_rdlock(&s->users_lock);
    if (params->overflow)
        taxii_error(&rs, 400, "Too many parameters", "at most %d query parameters are accepted", TAXII_PARAMS_MAX);
    else if (precheck_only) {
        if (taxii_precheck(&s->ctx, rq, &rs)) {
            pthread_rwlock_unlock(&s->users_lock);
            *go_on = true;
            taxii_response_free(&rs);
            return MHD_YES;
        }
    } else
        taxii_handle(&s->ctx, rq, &rs);
    pthread_rwlock_unlock(&s->users_lock);
    count_request(s, rq, rs.status);
    enum MHD_Result r = send_response(conn, &rs);
    taxii_response_free(&rs);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    storm_taxii_server *s = cls;
    conn_state *cs = *con_cls;
    param_list params;
    char client[TAXII_CLIENT_MAX];
    taxii_request rq;
    if (cs == &no_body) {
        enum MHD_Result done;
        if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && answer_operate(s, conn, url, &done))
            return done;
        fill_request(conn, url, method, &params, client, &rq);
        return answer(s, conn, &rq, &params, false, NULL);
    }
    if (!cs) {
        bool has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
        if (!has_body) {
            /* Answer on the next call: a response queued on the first call
             * makes libmicrohttpd close the connection (no keep-alive). */
            *con_cls = &no_body;
            return MHD_YES;
        }
        fill_request(conn, url, method, &params, client, &rq);
        cs = calloc(1, sizeof *cs);
        if (!cs)
            return MHD_NO;
        /* The UI's requests are small (a pattern and options). */
        size_t body_cap = taxii_ui_owns(&s->ctx, &rq) ? STORM_WEBAPI_BODY_MAX : s->ctx.cfg.max_content_length;
        storm_buf_init(&cs->body, body_cap);
        *con_cls = cs;
        const char *cl =
            libmicrohttpd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > body_cap)
            cs->too_large = true;
        rq.body_too_large = cs->too_large;
        /* Refuse before reading: a request without rights touches nothing. */
        bool go_on = false;
        enum MHD_Result r = answer(s, conn, &rq, &params, true, &go_on);
        if (!go_on)
            cs->answered = true;
        return r;
    }
    if (*upload_data_size) {
        if (!cs->answered && !cs->too_large && storm_buf_append(&cs->body, upload_data, *upload_data_size))
            cs->too_large = true; /* keep draining; the answer is a 413 */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (cs->answered)
        return MHD_YES;
    fill_request(conn, url, method, &params, client, &rq);
    rq.body = cs->body.data ? cs->body.data : "";
    rq.body_len = cs->body.len;
    rq.body_too_large = cs->too_large;
    cs->answered = true;
    return answer(s, conn, &rq, &params, false, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_state *cs = *con_cls;
    if (cs && cs != &no_body) {
        storm_buf_free(&cs->body);
        free(cs);
        *con_cls = NULL;
    }
}

#define MHD_LOG_PER_MINUTE 10

/* libmicrohttpd reports every connection a client (or the slow-client
 * limits) ended; under attack that would be thousands of lines a second,
 * and a full stderr pipe would stop the server. So: a few a minute, then a
 * count of the rest. */
static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static time_t window;
    static unsigned shown;
    static unsigned long dropped;
    time_t now = time(NULL);
    pthread_mutex_lock(&lock);
    if (now - window >= 60) {
        if (dropped)
            fprintf(stderr, "storm serve: (%lu more libmicrohttpd messages in the last minute not shown)\n", dropped);
        window = now;
        shown = 0;
        dropped = 0;
    }
    if (shown < MHD_LOG_PER_MINUTE) {
        shown++;
        fputs("storm serve: ", stderr);
        vfprintf(stderr, fmt, ap);
    } else
        dropped++;
    pthread_mutex_unlock(&lock);
}

bool storm_taxii_listen_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    storm_err err = {0};
    return listen && storm_listen_parse(listen, &ss, &sl, &err) == STORM_OK && storm_listen_is_loopback(&ss);
}

static bool is_raw_collection(const storm_store_collection *c)
{
    return strcmp(c->alias, STORM_COLLECTION_OBSERVATIONS) == 0 || strcmp(c->alias, STORM_COLLECTION_SIGHTINGS) == 0;
}

/* Resolve --collections into ctx->exposed, and refuse to put raw
 * collections (sightings and observations: pod names, private addresses,
 * command lines with their secrets, no TLP marking) on a non-loopback
 * address unless allowed. */
static storm_rc check_exposure(taxii_ctx *ctx, storm_store *st, storm_err *err)
{
    const char *list = ctx->cfg.collections;
    ctx->n_exposed = 0;
    storm_store_collection raw = {0};
    bool any_raw = false;
    if (list && *list) {
        const char *p = list;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char name[STORM_STORE_ALIAS_MAX];
            if (len == 0 || len >= sizeof name)
                return storm_err_set(err, STORM_ERR_VALUE, (size_t)(p - list),
                                     "taxii: --collections '%s' has an empty or too long name at byte %zu", list,
                                     (size_t)(p - list));
            memcpy(name, p, len);
            name[len] = '\0';
            storm_store_collection c;
            storm_err ferr = {0}; /* err keeps its first message: ours must win */
            storm_rc rc = storm_store_collection_find(st, name, &c, &ferr);
            if (rc == STORM_ERR_NOTFOUND)
                return storm_err_set(err, STORM_ERR_NOTFOUND, (size_t)(p - list),
                                     "taxii: --collections names '%s', which is not a collection of %s (redacted "
                                     "copies are created by storm publish --db RUN.db --to-db %s --collection %s)",
                                     name, ctx->cfg.db_path, ctx->cfg.db_path, name);
            if (rc)
                return storm_err_set(err, rc, 0, "taxii: %s", ferr.msg);
            bool dup = false;
            for (size_t i = 0; i < ctx->n_exposed; i++)
                dup = dup || strcmp(ctx->exposed[i], c.id) == 0;
            if (!dup) {
                if (ctx->n_exposed >= TAXII_EXPOSED_MAX)
                    return storm_err_set(err, STORM_ERR_LIMIT, 0, "taxii: --collections names more than %d collections",
                                         TAXII_EXPOSED_MAX);
                snprintf(ctx->exposed[ctx->n_exposed++], STORM_STORE_ID_MAX, "%s", c.id);
            }
            if (is_raw_collection(&c) && !any_raw) {
                raw = c;
                any_raw = true;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
    } else {
        /* Every collection, present and future: the default ones are raw. */
        any_raw = true;
        snprintf(raw.alias, sizeof raw.alias, "%s", STORM_COLLECTION_OBSERVATIONS);
    }
    if (!any_raw || ctx->cfg.allow_unredacted || storm_taxii_listen_is_loopback(ctx->cfg.listen))
        return STORM_OK;
    bool all = !(list && *list);
    return storm_err_set(err, STORM_ERR_STATE, 0,
                         /* the how before the why: a long --db (a postgresql:// URL, twice) must
                          * not push the advice past the end of the message */
                         "taxii: refusing to serve %s'%s' on %s (not loopback) without --allow-unredacted; "
                         "serve redacted copies instead: `storm publish --db %s --to-db %s --collection shared`, "
                         "then `--collections shared,indicators`. Sightings and observations hold pod names, "
                         "private addresses and command lines (tokens too), with no TLP marking",
                         all ? "every collection (no --collections), including the raw collection "
                             : "the raw collection ",
                         raw.alias, ctx->cfg.listen, ctx->cfg.db_path, ctx->cfg.db_path);
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0; /* an encrypted key is refused, never asked for on the terminal */
}

/* Does the key belong to the certificate? libmicrohttpd only says that it
 * could not start, which reads as a busy port; say which file is wrong. */
static storm_rc check_tls_pair(const char *cert_pem, const char *key_pem, const char *cert_path, const char *key_path,
                               storm_err *err)
{
    storm_rc rc = STORM_OK;
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, no_password, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_password, NULL) : NULL;
    if (!cb || !kb)
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
    else if (!cert)
        rc = storm_err_set(err, STORM_ERR_VALUE, 0, "taxii: --tls-cert %s holds no PEM certificate", cert_path);
    else if (!key)
        rc = storm_err_set(err, STORM_ERR_VALUE, 0,
                           "taxii: --tls-key %s holds no PEM private key (an encrypted key must be decrypted first)",
                           key_path);
    else if (X509_check_private_key(cert, key) != 1)
        rc = storm_err_set(err, STORM_ERR_VALUE, 0,
                           "taxii: the private key in --tls-key %s does not match the certificate in --tls-cert %s",
                           key_path, cert_path);
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static bool valid_segment(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return false;
    return strcmp(s, "taxii2") != 0;
}

storm_rc storm_taxii_start(const storm_taxii_config *cfg, storm_taxii_server **out, storm_err *err)
{
    *out = NULL;
    storm_taxii_config d;
    storm_taxii_config_default(&d);
    if (!cfg->db_path)
        return storm_err_set(err, STORM_ERR_STATE, 0, "taxii: no database path");
    storm_rc lrc = storm_lazy_lib_load(&mhd_lib, "storm serve", err);
    if (lrc)
        return lrc;
    storm_taxii_server *s = calloc(1, sizeof *s);
    if (!s)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
    if (!(s->metrics = storm_metrics_new()) ||
        storm_metrics_declare(s->metrics, REQUESTS_METRIC, STORM_METRIC_COUNTER, "TAXII requests answered",
                              "endpoint,status", NULL, 0, err) != STORM_OK) {
        storm_metrics_free(s->metrics);
        free(s);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
    }
    storm_rc rc = STORM_OK;
    taxii_ctx *ctx = &s->ctx;
    ctx->cfg = *cfg;
#define DEFAULT(f)                                                                                                     \
    if (!ctx->cfg.f)                                                                                                   \
    ctx->cfg.f = d.f
    DEFAULT(listen);
    DEFAULT(title);
    DEFAULT(description);
    DEFAULT(api_root);
    DEFAULT(max_content_length);
    DEFAULT(max_envelope_objects);
    DEFAULT(page_default);
    DEFAULT(page_max);
    DEFAULT(max_connections);
    DEFAULT(connection_timeout);
#undef DEFAULT
    if (ctx->cfg.page_max > STORM_STORE_QUERY_LIMIT_MAX)
        ctx->cfg.page_max = STORM_STORE_QUERY_LIMIT_MAX;
    if (ctx->cfg.page_default > ctx->cfg.page_max)
        ctx->cfg.page_default = ctx->cfg.page_max;
    if (!ctx->cfg.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ctx->cfg.threads = n > 0 && n < 64 ? (unsigned)n : 2;
    }
    if (!valid_segment(ctx->cfg.api_root)) {
        rc = storm_err_set(err, STORM_ERR_VALUE, 0, "taxii: API root name '%s' must be 1-64 of A-Z a-z 0-9 - _ .",
                           ctx->cfg.api_root);
        goto fail;
    }
    s->db_path = strdup(cfg->db_path);
    s->api_root = dup_or_empty(ctx->cfg.api_root);
    s->title = dup_or_empty(ctx->cfg.title);
    s->description = dup_or_empty(ctx->cfg.description);
    s->contact = dup_or_empty(ctx->cfg.contact);
    if (!s->db_path || !s->api_root || !s->title || !s->description || !s->contact) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
        goto fail;
    }
    ctx->cfg.db_path = s->db_path;
    ctx->cfg.api_root = s->api_root;
    ctx->cfg.title = s->title;
    ctx->cfg.description = s->description;
    ctx->cfg.contact = s->contact;
    ctx->cfg.users_path = NULL; /* only needed here */
    ctx->cfg.tls_key_path = NULL;
    ctx->store_for_thread = store_for_thread;
    ctx->store_arg = s;
    if (!cfg->no_page_cache)
        ctx->cache_for_thread = cache_for_thread;
    if (RAND_bytes(ctx->auth_secret, sizeof ctx->auth_secret) != 1) {
        rc = storm_err_set(err, STORM_ERR_IO, 0, "taxii: no random bytes");
        goto fail;
    }
    pthread_mutex_init(&ctx->auth_lock, NULL);
    s->lock_made = true;

    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if ((rc = storm_listen_parse(ctx->cfg.listen, &ss, &sl, err)))
        goto fail;
    bool v6 = ss.ss_family == AF_INET6;
    /* Create or migrate the store now, so that a bad path fails at start. */
    storm_store *probe = NULL;
    if ((rc = storm_store_open(s->db_path, STORM_STORE_READWRITE, &probe, err)))
        goto fail;
    rc = check_exposure(ctx, probe, err);
    storm_store_close(probe);
    if (rc)
        goto fail;
    if (pthread_key_create(&s->store_key, close_worker) != 0) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: no thread key");
        goto fail;
    }
    s->store_key_made = true;
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
#ifdef PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
    /* A reload must not wait for a quiet moment that a busy server never has. */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    int lr = pthread_rwlock_init(&s->users_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    if (lr != 0) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: no lock");
        goto fail;
    }
    s->users_lock_made = true;
    if (cfg->users_path) {
        if (!(s->users_path = strdup(cfg->users_path))) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "taxii: out of memory");
            goto fail;
        }
        if ((rc = storm_users_load(cfg->users_path, false, &s->users, err)))
            goto fail;
        ctx->users = s->users;
    }

    unsigned flags = MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    bool tls = cfg->tls_cert_path || cfg->tls_key_path;
    if (tls) {
        if (!cfg->tls_cert_path || !cfg->tls_key_path) {
            rc = storm_err_set(err, STORM_ERR_STATE, 0, "taxii: TLS needs both --tls-cert and --tls-key");
            goto fail;
        }
        if (libmicrohttpd.MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "taxii: this libmicrohttpd has no TLS support");
            goto fail;
        }
        size_t len;
        if ((rc = storm_read_file(cfg->tls_cert_path, TLS_PEM_MAX, &s->tls_cert, &len, err)) ||
            (rc = storm_read_file(cfg->tls_key_path, TLS_PEM_MAX, &s->tls_key, &len, err)) ||
            (rc = check_tls_pair(s->tls_cert, s->tls_key, cfg->tls_cert_path, cfg->tls_key_path, err)))
            goto fail;
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem opts[16];
    size_t no = 0;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_error, NULL}; /* first */
    if (ctx->cfg.threads > 1)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, ctx->cfg.threads, NULL};
    if (tls) {
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    }
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    storm_httpd_config hc = {.listen = ctx->cfg.listen,
                             .addr = (struct sockaddr *)&ss,
                             .addr_len = sl,
                             .limits = {.max_connections = ctx->cfg.max_connections,
                                        .per_client = ctx->cfg.max_client_connections,
                                        .head_timeout = ctx->cfg.head_timeout,
                                        .request_timeout = ctx->cfg.request_timeout,
                                        .idle_timeout = ctx->cfg.connection_timeout},
                             .flags = flags,
                             .options = opts,
                             .handler = on_request,
                             .handler_cls = s,
                             .completed = on_completed};
    if ((rc = storm_httpd_start(&hc, &s->http, err)))
        goto fail;
    *out = s;
    return STORM_OK;
fail:
    storm_taxii_stop(s);
    return rc;
}

storm_rc storm_taxii_reload_users(storm_taxii_server *s, storm_err *err)
{
    if (!s || !s->users_path)
        return storm_err_set(err, STORM_ERR_STATE, 0, "taxii: no users file to reload (started without --users)");
    storm_users *fresh = NULL;
    storm_rc rc = storm_users_load(s->users_path, false, &fresh, err);
    if (rc)
        return rc; /* the users in force stay */
    pthread_rwlock_wrlock(&s->users_lock);
    storm_users *old = s->users;
    s->users = fresh;
    s->ctx.users = fresh;
    /* Removed users and changed passwords must not live on in the cache. */
    taxii_auth_forget(&s->ctx);
    pthread_rwlock_unlock(&s->users_lock);
    storm_users_free(old);
    return STORM_OK;
}

uint16_t storm_taxii_port(const storm_taxii_server *s)
{
    return s ? (uint16_t)storm_httpd_port(s->http) : 0;
}

void storm_taxii_stop(storm_taxii_server *s)
{
    if (!s)
        return;
    storm_httpd_stop(s->http); /* joins the workers: their stores close */
    storm_metrics_free(s->metrics);
    if (s->store_key_made)
        pthread_key_delete(s->store_key);
    if (s->lock_made)
        pthread_mutex_destroy(&s->ctx.auth_lock);
    if (s->users_lock_made)
        pthread_rwlock_destroy(&s->users_lock);
    storm_users_free(s->users);
    free(s->users_path);
    free(s->tls_cert);
    if (s->tls_key) {
        memset(s->tls_key, 0, strlen(s->tls_key));
        free(s->tls_key);
    }
    free(s->db_path);
    free(s->api_root);
    free(s->title);
    free(s->description);
    free(s->contact);
    free(s);
}
