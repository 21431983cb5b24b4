/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP intake of storm run (libmicrohttpd, its own polling thread).
 * Bodies are checked on the server thread (JSON, known sensor) so that the
 * sender gets a 4xx with the reason at once; accepted bodies go to a bounded
 * queue that the detector thread drains. */
#include <storm/intake.h>

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <storm/arena.h>
#include <storm/decode.h>
#include <storm/httpd.h>
#include <storm/json.h>
#include <storm/listen.h>

#define DEFAULT_MAX_BODY ((size_t)16 << 20)
#define DEFAULT_MAX_QUEUED ((size_t)256 << 20)
#define DEFAULT_MAX_RECORDS 100000
#define CONNECTION_LIMIT 64

typedef struct queued {
    struct queued *next;
    char *body;
    size_t len;
    uint64_t request;
} queued;

struct storm_intake {
    storm_httpd *http;
    storm_intake_opts opts;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    queued *head, *tail;
    size_t queued_bytes;
    storm_intake_stats stats;
    unsigned port;
};

typedef struct http_request {
    char *body;
    size_t len, alloc;
    bool too_large;
    bool answered;
} http_request;

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (code == 503)
        MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* JSON string body for an error message (quotes and backslashes escaped). */
static void json_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 7 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
}

/* The events a record holds, as storm run and storm convert count them: an
 * audit EventList its items, any other record one. */
static size_t events_in(const storm_value *rec)
{
    const storm_value *items = storm_v_get(rec, "items");
    if (storm_v_is_str(storm_v_get(rec, "kind"), "EventList") && items && items->type == STORM_V_ARRAY)
        return items->u.a.len;
    return 1;
}

static bool check_record(storm_arena *a, const storm_value *v, size_t n, char *why, size_t cap, size_t *events)
{
    const storm_value *rec = storm_decode_unwrap(a, v);
    if (rec->type != STORM_V_OBJECT) {
        snprintf(why, cap, "record %zu is not a JSON object", n);
        return false;
    }
    if (!storm_decoder_detect(rec)) {
        snprintf(why, cap, "record %zu is not a record of a known sensor (tetragon, k8s-audit, falco, kubescape, hubble)",
                 n);
        return false;
    }
    *events += events_in(rec);
    return true;
}

/* Is body acceptable? Counts its records and the events they hold. */
static bool check_body(const storm_intake *in, const char *body, size_t len, size_t *records, size_t *events,
                       char *why, size_t cap)
{
    storm_arena *a = storm_arena_new(0, len * 16 + ((size_t)1 << 20));
    if (!a) {
        snprintf(why, cap, "out of memory");
        return false;
    }
    storm_value *root = NULL;
    storm_err err;
    storm_err_clear(&err);
    bool ok = true;
    *records = 0;
    *events = 0;
    if (storm_json_parse(a, body, len, STORM_JSON_DEFAULT, &root, NULL, &err) == STORM_OK) {
        if (root->type == STORM_V_ARRAY) {
            for (size_t i = 0; ok && i < root->u.a.len; i++)
                ok = check_record(a, root->u.a.items[i], i + 1, why, cap, events);
            *records = root->u.a.len;
        } else {
            ok = check_record(a, root, 1, why, cap, events);
            *records = 1;
        }
    } else {
        /* JSON Lines: every non-blank line one record */
        size_t off = 0, n;
        uint64_t line = 0;
        const char *text;
        storm_err first = err;
        bool multi = memchr(body, '\n', len) != NULL;
        if (!multi) {
            storm_err_locate(&first, body, len);
            snprintf(why, cap, "body is not JSON: line %u, column %u: %s", first.line, first.col, first.msg);
            ok = false;
        }
        while (ok && storm_json_lines_next(body, len, &off, &line, &text, &n)) {
            storm_err le;
            storm_err_clear(&le);
            storm_value *v = NULL;
            if (storm_json_parse(a, text, n, STORM_JSON_DEFAULT, &v, NULL, &le) != STORM_OK) {
                storm_err_locate(&le, text, n);
                snprintf(why, cap, "line %llu, column %u: not JSON: %s", (unsigned long long)line, le.col, le.msg);
                ok = false;
            } else {
                ++*records;
                ok = check_record(a, v, *records, why, cap, events);
            }
        }
    }
    if (ok && *records == 0) {
        snprintf(why, cap, "the body holds no record");
        ok = false;
    }
    if (ok && *records > in->opts.max_records) {
        snprintf(why, cap, "the body holds %zu records; at most %zu are accepted per request", *records,
                 in->opts.max_records);
        ok = false;
    }
    storm_arena_free(a);
    return ok;
}

/* A Content-Type that says the body is compressed or binary (what other
 * shippers' protocols send): no JSON parser error could explain it. Other
 * types are read as JSON (curl's default form type included). */
static bool binary_content_type(const char *ct)
{
    static const char *const binary[] = {"application/gzip", "application/x-gzip", "application/zstd",
                                         "application/x-protobuf", "application/protobuf",
                                         "application/x-snappy-framed", "application/octet-stream"};
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++)
        if (strlen(binary[i]) == n && strncasecmp(ct, binary[i], n) == 0)
            return true;
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    storm_intake *in = cls;
    http_request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        pthread_mutex_lock(&in->lock);
        in->stats.requests++;
        pthread_mutex_unlock(&in->lock);
        if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
            r->answered = true;
            return respond(c, 405, "{\"error\":\"use POST with sensor records as the body\"}");
        }
        const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool bad_ce = ce && strcasecmp(ce, "identity") != 0;
        if (bad_ce || binary_content_type(ct)) {
            char esc[300];
            json_escape(bad_ce ? ce : ct, esc, sizeof esc);
            r->answered = true;
            pthread_mutex_lock(&in->lock);
            in->stats.rejected_bad++;
            pthread_mutex_unlock(&in->lock);
            return respond(c, 415, "{\"error\":\"%s '%.200s' is not supported: send the records uncompressed, as "
                           "JSON\"}", bad_ce ? "Content-Encoding" : "Content-Type", esc);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > in->opts.max_body) {
            r->too_large = true;
        }
        return MHD_YES;
    }
    if (r->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && r->len + *upload_size > in->opts.max_body)
            r->too_large = true;
        if (!r->too_large) {
            if (r->len + *upload_size + 1 > r->alloc) {
                size_t na = r->alloc ? r->alloc : 65536;
                while (na < r->len + *upload_size + 1)
                    na *= 2;
                char *nb = realloc(r->body, na);
                if (!nb)
                    return MHD_NO;
                r->body = nb;
                r->alloc = na;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->body[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    r->answered = true;
    if (r->too_large) {
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_too_large++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 413, "{\"error\":\"the body is larger than the limit of %zu bytes\"}", in->opts.max_body);
    }
    if (r->len >= 2 && (unsigned char)r->body[0] == 0x1f && (unsigned char)r->body[1] == 0x8b) {
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_bad++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 415, "{\"error\":\"the body is gzip-compressed: send the records uncompressed\"}");
    }
    char why[600], esc[1400];
    size_t records = 0, events = 0;
    if (!r->body || !check_body(in, r->body, r->len, &records, &events, why, sizeof why)) {
        if (!r->body)
            snprintf(why, sizeof why, "empty body");
        json_escape(why, esc, sizeof esc);
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_bad++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 400, "{\"error\":\"%s\"}", esc);
    }
    pthread_mutex_lock(&in->lock);
    if (in->queued_bytes + r->len > in->opts.max_queued_bytes) {
        in->stats.rejected_busy++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 503, "{\"error\":\"the detector is behind; retry later\"}");
    }
    queued *q = malloc(sizeof *q);
    if (!q) {
        pthread_mutex_unlock(&in->lock);
        return respond(c, 503, "{\"error\":\"out of memory\"}");
    }
    q->next = NULL;
    q->body = r->body;
    q->len = r->len;
    q->request = in->stats.requests;
    r->body = NULL; /* moved into the queue */
    if (in->tail)
        in->tail->next = q;
    else
        in->head = q;
    in->tail = q;
    in->queued_bytes += q->len;
    in->stats.accepted++;
    in->stats.bytes += q->len;
    pthread_cond_signal(&in->ready);
    pthread_mutex_unlock(&in->lock);
    return respond(c, 202, "{\"accepted\":%zu,\"records\":%zu}", events, records);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    http_request *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

storm_rc storm_intake_check_listen(const char *listen, storm_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    return storm_listen_parse(listen, &ss, &sl, err);
}

storm_rc storm_intake_start(const storm_intake_opts *opts, storm_intake **out, storm_err *err)
{
    *out = NULL;
    storm_intake *in = calloc(1, sizeof *in);
    if (!in)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    in->opts = *opts;
    if (!in->opts.max_body)
        in->opts.max_body = DEFAULT_MAX_BODY;
    if (!in->opts.max_queued_bytes)
        in->opts.max_queued_bytes = DEFAULT_MAX_QUEUED;
    if (!in->opts.max_records)
        in->opts.max_records = DEFAULT_MAX_RECORDS;
    const char *spec = opts->listen ? opts->listen : "127.0.0.1:8080";
    struct sockaddr_storage ss;
    socklen_t sl;
    storm_rc prc = storm_listen_parse(spec, &ss, &sl, err);
    if (prc != STORM_OK) {
        free(in);
        return prc;
    }
    bool v6 = ss.ss_family == AF_INET6;
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->ready, NULL);
    storm_httpd_config hc = {.listen = spec,
                             .addr = (struct sockaddr *)&ss,
                             .addr_len = sl,
                             .limits = {.max_connections = CONNECTION_LIMIT},
                             .flags = v6 ? MHD_USE_IPv6 : 0,
                             .handler = on_request,
                             .handler_cls = in,
                             .completed = on_completed,
                             .completed_cls = in};
    storm_rc hrc = storm_httpd_start(&hc, &in->http, err);
    if (hrc) {
        pthread_mutex_destroy(&in->lock);
        pthread_cond_destroy(&in->ready);
        free(in);
        return hrc;
    }
    in->port = storm_httpd_port(in->http);
    *out = in;
    return STORM_OK;
}

storm_rc storm_intake_next(storm_intake *in, char **body, size_t *len, uint64_t *request, int timeout_ms)
{
    pthread_mutex_lock(&in->lock);
    if (!in->head && timeout_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!in->head)
            if (pthread_cond_timedwait(&in->ready, &in->lock, &ts) != 0)
                break;
    }
    queued *q = in->head;
    if (!q) {
        pthread_mutex_unlock(&in->lock);
        return STORM_ERR_NOTFOUND;
    }
    in->head = q->next;
    if (!in->head)
        in->tail = NULL;
    in->queued_bytes -= q->len;
    pthread_mutex_unlock(&in->lock);
    *body = q->body;
    *len = q->len;
    *request = q->request;
    free(q);
    return STORM_OK;
}

unsigned storm_intake_port(const storm_intake *in) { return in->port; }

void storm_intake_get_stats(const storm_intake *in, storm_intake_stats *out)
{
    pthread_mutex_lock((pthread_mutex_t *)&in->lock);
    *out = in->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&in->lock);
}

void storm_intake_stop(storm_intake *in)
{
    if (!in)
        return;
    storm_httpd_stop(in->http);
    while (in->head) {
        queued *q = in->head;
        in->head = q->next;
        free(q->body);
        free(q);
    }
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->ready);
    free(in);
}
