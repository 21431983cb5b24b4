/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP intake of storm run, an event source beside the file, standard
 * input and --follow sources (libmicrohttpd, its own polling thread).
 * Bodies are checked on the server thread (JSON, known sensor), each
 * record on its own as in a file, so that the sender learns at once what
 * was rejected and why; bodies with at least one good record go to a
 * bounded queue that the detector thread drains (and counts and sets aside
 * their bad records, as storm run does for files). Everything the intake
 * holds counts against one memory cap: bodies being received, bodies
 * queued, the body the detector is processing and the check's parse. */
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
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/httpd.h>
#include <storm/json.h>
#include <storm/lazy_lib.h>
#include <storm/listen.h>

#include "intake_spool.h"
#include "storm_config.h"

/* The libmicrohttpd functions this file calls (its handlers, once the
 * listener runs), loaded by the first storm_intake_start. */
#define MHD_FUNCTIONS(X)                                                                                               \
    X(MHD_create_response_from_buffer)                                                                                 \
    X(MHD_add_response_header)                                                                                         \
    X(MHD_queue_response)                                                                                              \
    X(MHD_destroy_response)                                                                                            \
    X(MHD_lookup_connection_value)
typedef struct mhd_api {
    MHD_FUNCTIONS(STORM_LAZY_FIELD)
} mhd_api;
static mhd_api libmicrohttpd;
#define MHD_SYM(fn) STORM_LAZY_SYM(mhd_api, fn)
static const storm_lazy_sym mhd_syms[] = {MHD_FUNCTIONS(MHD_SYM)};
static storm_lazy_lib mhd_lib =
    STORM_LAZY_LIB(STORM_SONAME_MICROHTTPD, STORM_PACKAGE_MICROHTTPD, mhd_syms, &libmicrohttpd);

#define DEFAULT_MAX_BODY ((size_t)16 << 20)
#define DEFAULT_MAX_QUEUED ((size_t)256 << 20)
#define DEFAULT_MAX_RECORDS 100000
#define CONNECTION_LIMIT 64
#define ERRORS_SHOWN 20 /* rejected records listed in a response (all are counted) */
#define RESPONSE_CAP ((size_t)32 << 10)
#define CHECK_ARENA_MIN ((size_t)1 << 20)

typedef struct queued {
    struct queued *next;
    char *body;
    size_t len, alloc; /* alloc is counted in held until storm_intake_release */
    uint64_t request;
    char position[STORM_INTAKE_POSITION_MAX]; /* its end in the spool ("" without one) */
} queued;

struct storm_intake {
    storm_httpd *http;
    storm_intake_opts opts;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    queued *head, *tail;
    size_t queued_bodies, queued_bytes; /* in the queue (bytes allocated) */
    size_t held; /* all bytes held: uploads, queue, taken bodies, the check (<= max_queued_bytes) */
    storm_intake_stats stats;
    unsigned port;
    intake_spool spool; /* fd -1: none; written under lock, in queue order */
};

typedef struct http_request {
    char *body;
    size_t len, alloc; /* alloc is counted in held */
    bool too_large;
    bool busy; /* the memory cap was reached while receiving */
    bool answered;
} http_request;

/* Reserve n more bytes of the memory cap; false when it would pass it. */
static bool reserve(storm_intake *in, size_t n)
{
    pthread_mutex_lock(&in->lock);
    bool ok = in->held + n <= in->opts.max_queued_bytes;
    if (ok)
        in->held += n;
    pthread_mutex_unlock(&in->lock);
    return ok;
}

static void unreserve(storm_intake *in, size_t n)
{
    pthread_mutex_lock(&in->lock);
    in->held = n > in->held ? 0 : in->held - n;
    pthread_mutex_unlock(&in->lock);
}

static size_t budget_left(storm_intake *in)
{
    pthread_mutex_lock(&in->lock);
    size_t left = in->opts.max_queued_bytes > in->held ? in->opts.max_queued_bytes - in->held : 0;
    pthread_mutex_unlock(&in->lock);
    return left;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct MHD_Response *r = libmicrohttpd.MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    libmicrohttpd.MHD_add_response_header(r, "Content-Type", "application/json");
    if (code == 503)
        libmicrohttpd.MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = libmicrohttpd.MHD_queue_response(c, code, r);
    libmicrohttpd.MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned code, const char *text)
{
    struct MHD_Response *r =
        libmicrohttpd.MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    libmicrohttpd.MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = libmicrohttpd.MHD_queue_response(c, code, r);
    libmicrohttpd.MHD_destroy_response(r);
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

/* What the check found in a body: records good and bad, the events the good
 * ones hold, and the first reasons as a JSON array of strings. */
typedef struct body_check {
    size_t good, bad, events;
    bool nomem;      /* the check ran out of its share of the memory cap */
    char first[600]; /* the first reason */
    char *errors;    /* JSON array text of at most ERRORS_SHOWN reasons */
    size_t errors_len, errors_cap;
} body_check;

static void add_error(body_check *bc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(body_check *bc, const char *fmt, ...)
{
    char why[600], esc[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (bc->bad++ == 0)
        snprintf(bc->first, sizeof bc->first, "%s", why);
    if (bc->bad > ERRORS_SHOWN || !bc->errors)
        return;
    json_escape(why, esc, sizeof esc);
    size_t need = strlen(esc) + 4;
    if (bc->errors_len + need < bc->errors_cap)
        bc->errors_len += (size_t)snprintf(bc->errors + bc->errors_len, bc->errors_cap - bc->errors_len, "%s\"%s\"",
                                           bc->errors_len > 1 ? "," : "", esc);
}

/* One record (an array element, a line, the body): by the rules of every
 * reader (storm_decode_classify), so that what is acknowledged is what
 * storm run will read. */
static void check_record(storm_arena *a, const storm_value *v, const char *where, body_check *bc)
{
    const storm_value *rec = v;
    const storm_decoder *dec = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_decode_classify(a, v, NULL, &rec, &dec, &err) != STORM_OK) {
        add_error(bc, "%s: %s", where, err.msg);
        return;
    }
    bc->good++;
    bc->events += events_in(rec);
}

/* Check every record of a body: one JSON value (a record or an array of
 * records), else JSON Lines, each line on its own. The parse gets what is
 * left of the memory cap, at most 16 times the body. */
static void check_body(storm_intake *in, const char *body, size_t len, body_check *bc)
{
    size_t cap = len * 16 + CHECK_ARENA_MIN, left = budget_left(in);
    if (cap > left)
        cap = left;
    /* reserved for the check's duration: the parse counts against the cap */
    if (cap < CHECK_ARENA_MIN / 4 || !reserve(in, cap)) {
        bc->nomem = true;
        return;
    }
    storm_arena *a = storm_arena_new(0, cap);
    if (!a) {
        unreserve(in, cap);
        bc->nomem = true;
        return;
    }
    storm_value *root = NULL;
    storm_err err;
    storm_err_clear(&err);
    char where[64];
    storm_rc rc = storm_json_parse(a, body, len, STORM_JSON_DEFAULT, &root, NULL, &err);
    if (rc == STORM_OK) {
        if (root->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < root->u.a.len; i++) {
                snprintf(where, sizeof where, "record %zu", i + 1);
                check_record(a, root->u.a.items[i], where, bc);
            }
        } else {
            check_record(a, root, "record 1", bc);
        }
    } else if (rc == STORM_ERR_NOMEM) {
        bc->nomem = true;
    } else if (!memchr(body, '\n', len)) {
        storm_err_locate(&err, body, len);
        add_error(bc, "body is not JSON: line %u, column %u: %s", err.line, err.col, err.msg);
    } else {
        /* JSON Lines: every non-blank line one record, on its own */
        storm_arena_reset(a);
        size_t off = 0, n;
        uint64_t line = 0;
        const char *text;
        while (!bc->nomem && storm_json_lines_next(body, len, &off, &line, &text, &n)) {
            storm_err le;
            storm_err_clear(&le);
            storm_value *v = NULL;
            rc = storm_json_parse(a, text, n, STORM_JSON_DEFAULT, &v, NULL, &le);
            if (rc == STORM_ERR_NOMEM) {
                bc->nomem = true;
            } else if (rc != STORM_OK) {
                storm_err_locate(&le, text, n);
                add_error(bc, "line %llu, column %u: not JSON: %s", (unsigned long long)line, le.col, le.msg);
            } else {
                snprintf(where, sizeof where, "line %llu", (unsigned long long)line);
                check_record(a, v, where, bc);
            }
            storm_arena_reset(a); /* a line's tree is not needed after its check */
        }
    }
    storm_arena_free(a);
    unreserve(in, cap);
}

/* A Content-Type that says the body is compressed or binary (what other
 * shippers' protocols send): no JSON parser error could explain it. Other
 * types are read as JSON (curl's default form type included). */
static bool binary_content_type(const char *ct)
{
    static const char *const binary[] = {
        "application/gzip",     "application/x-gzip",          "application/zstd",        "application/x-protobuf",
        "application/protobuf", "application/x-snappy-framed", "application/octet-stream"};
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++)
        if (strlen(binary[i]) == n && strncasecmp(ct, binary[i], n) == 0)
            return true;
    return false;
}

/* The intake's own families beside the engine's: what it took and refused
 * (busy: 503, its memory cap reached: the senders must slow down) and the
 * memory it holds against its cap, so that backpressure shows before it
 * refuses. */
static const char REQUESTS_METRIC[] = "storm_intake_requests_total";
static const char HELD_METRIC[] = "storm_intake_held_bytes";
static const char CAP_METRIC[] = "storm_intake_held_limit_bytes";
static const char QUEUED_METRIC[] = "storm_intake_queued_bodies";

static storm_rc declare_intake_metrics(storm_metrics *m, storm_err *err)
{
    storm_rc rc = storm_metrics_declare(m, REQUESTS_METRIC, STORM_METRIC_COUNTER,
                                        "Bodies POSTed to the intake, by result (accepted; bad: 400 or 415; too_large: "
                                        "413; busy: 503, the memory cap reached)",
                                        "result", NULL, 0, err);
    if (rc == STORM_OK)
        rc = storm_metrics_declare(m, HELD_METRIC, STORM_METRIC_GAUGE,
                                   "Bytes the intake holds: bodies being received, queued and being processed", NULL,
                                   NULL, 0, err);
    if (rc == STORM_OK)
        rc = storm_metrics_declare(m, CAP_METRIC, STORM_METRIC_GAUGE,
                                   "The intake's memory cap: bodies are refused (503) when held would pass it", NULL,
                                   NULL, 0, err);
    if (rc == STORM_OK)
        rc = storm_metrics_declare(m, QUEUED_METRIC, STORM_METRIC_GAUGE, "Bodies accepted and waiting for the detector",
                                   NULL, NULL, 0, err);
    return rc;
}

/* A snapshot at each scrape (the counters are kept under the lock anyway). */
static void set_intake_metrics(storm_intake *in)
{
    pthread_mutex_lock(&in->lock);
    storm_intake_stats st = in->stats;
    size_t held = in->held, n_queued = in->queued_bodies;
    pthread_mutex_unlock(&in->lock);
    storm_metrics *m = in->opts.metrics;
    storm_metrics_set(m, REQUESTS_METRIC, "accepted", (double)st.accepted);
    storm_metrics_set(m, REQUESTS_METRIC, "bad", (double)st.rejected_bad);
    storm_metrics_set(m, REQUESTS_METRIC, "too_large", (double)st.rejected_too_large);
    storm_metrics_set(m, REQUESTS_METRIC, "busy", (double)st.rejected_busy);
    storm_metrics_set(m, HELD_METRIC, NULL, (double)held);
    storm_metrics_set(m, CAP_METRIC, NULL, (double)in->opts.max_queued_bytes);
    storm_metrics_set(m, QUEUED_METRIC, NULL, (double)n_queued);
}

/* GET /metrics, /healthz, /readyz: what operators and orchestrators ask. */
static enum MHD_Result respond_operate(storm_intake *in, struct MHD_Connection *c, const char *url)
{
    if (strcmp(url, "/healthz") == 0)
        return respond(c, 200, "{\"status\":\"ok\"}");
    if (strcmp(url, "/readyz") == 0) {
        pthread_mutex_lock(&in->lock);
        bool ready = in->held < in->opts.max_queued_bytes / 10 * 9;
        pthread_mutex_unlock(&in->lock);
        return ready ? respond(c, 200, "{\"status\":\"ready\"}") : respond(c, 503, "{\"status\":\"busy or stopping\"}");
    }
    if (strcmp(url, "/metrics") != 0)
        return respond(c, 405,
                       "{\"error\":\"use POST with sensor records as the body (GET: /metrics, /healthz, "
                       "/readyz)\"}");
    if (!in->opts.metrics)
        return respond(c, 404, "{\"error\":\"no metrics here\"}");
    set_intake_metrics(in);
    storm_buf b;
    storm_buf_init(&b, (size_t)4 << 20);
    if (storm_metrics_render(in->opts.metrics, &b) != STORM_OK) {
        storm_buf_free(&b);
        return respond(c, 500, "{\"error\":\"the metrics do not fit\"}");
    }
    struct MHD_Response *r =
        libmicrohttpd.MHD_create_response_from_buffer(b.len, b.data ? b.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    storm_buf_free(&b);
    if (!r)
        return MHD_NO;
    libmicrohttpd.MHD_add_response_header(r, "Content-Type", STORM_METRICS_CONTENT_TYPE);
    enum MHD_Result ret = libmicrohttpd.MHD_queue_response(c, 200, r);
    libmicrohttpd.MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
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
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
            r->answered = true;
            return respond_operate(in, c, url);
        }
        if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
            r->answered = true;
            return respond(c, 405, "{\"error\":\"use POST with sensor records as the body\"}");
        }
        const char *ce =
            libmicrohttpd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
        const char *ct = libmicrohttpd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool bad_ce = ce && strcasecmp(ce, "identity") != 0;
        if (bad_ce || binary_content_type(ct)) {
            char esc[300];
            json_escape(bad_ce ? ce : ct, esc, sizeof esc);
            r->answered = true;
            pthread_mutex_lock(&in->lock);
            in->stats.rejected_bad++;
            pthread_mutex_unlock(&in->lock);
            return respond(c, 415,
                           "{\"error\":\"%s '%.200s' is not supported: send the records uncompressed, as "
                           "JSON\"}",
                           bad_ce ? "Content-Encoding" : "Content-Type", esc);
        }
        const char *cl = libmicrohttpd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
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
        if (!r->too_large && !r->busy && r->len + *upload_size + 1 > r->alloc) {
            /* the Content-Length (when given and within the limit) at once,
             * else doubling; every byte reserved from the cap first */
            const char *cl =
                libmicrohttpd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            unsigned long long want = cl ? strtoull(cl, NULL, 10) : 0;
            size_t na = r->alloc ? r->alloc * 2 : 65536;
            if (want + 1 > r->len + *upload_size + 1 && want <= in->opts.max_body && !r->alloc)
                na = (size_t)want + 1;
            while (na < r->len + *upload_size + 1)
                na *= 2;
            if (na > in->opts.max_body + 1)
                na = in->opts.max_body + 1;
            char *nb = NULL;
            if (reserve(in, na - r->alloc)) {
                nb = realloc(r->body, na);
                if (!nb)
                    unreserve(in, na - r->alloc);
            }
            if (nb) {
                r->body = nb;
                r->alloc = na;
            } else { /* over the cap (or no memory): read the rest without keeping it, then 503 */
                free(r->body);
                unreserve(in, r->alloc);
                r->body = NULL;
                r->len = r->alloc = 0;
                r->busy = true;
            }
        }
        if (!r->too_large && !r->busy) {
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
    if (r->busy) {
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_busy++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 503,
                       "{\"error\":\"the detector is behind (the intake holds its memory cap of %zu bytes); "
                       "retry later\"}",
                       in->opts.max_queued_bytes);
    }
    if (!r->body) {
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_bad++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 400, "{\"error\":\"empty body\"}");
    }
    if (r->len >= 2 && (unsigned char)r->body[0] == 0x1f && (unsigned char)r->body[1] == 0x8b) {
        pthread_mutex_lock(&in->lock);
        in->stats.rejected_bad++;
        pthread_mutex_unlock(&in->lock);
        return respond(c, 415, "{\"error\":\"the body is gzip-compressed: send the records uncompressed\"}");
    }
    body_check bc;
    memset(&bc, 0, sizeof bc);
    bc.errors_cap = RESPONSE_CAP / 2;
    bc.errors = malloc(bc.errors_cap);
    if (bc.errors) {
        bc.errors[0] = '[';
        bc.errors[1] = '\0';
        bc.errors_len = 1;
    }
    check_body(in, r->body, r->len, &bc);
    char *resp = malloc(RESPONSE_CAP);
    if (!resp || !bc.errors) {
        free(resp);
        free(bc.errors);
        return MHD_NO;
    }
    snprintf(bc.errors + bc.errors_len, bc.errors_cap - bc.errors_len, "]");
    char first[1400];
    json_escape(bc.first, first, sizeof first);
    enum MHD_Result ret;
    unsigned code = 202;
    if (bc.nomem) {
        code = 503;
        snprintf(resp, RESPONSE_CAP,
                 "{\"error\":\"the detector is behind (the intake holds its memory cap of %zu "
                 "bytes); retry later\"}",
                 in->opts.max_queued_bytes);
    } else if (bc.good + bc.bad == 0) {
        code = 400;
        snprintf(resp, RESPONSE_CAP, "{\"error\":\"the body holds no record\"}");
    } else if (bc.good + bc.bad > in->opts.max_records) {
        code = 400;
        snprintf(resp, RESPONSE_CAP, "{\"error\":\"the body holds %zu records; at most %zu are accepted per request\"}",
                 bc.good + bc.bad, in->opts.max_records);
    } else if (bc.good == 0) {
        code = 400; /* nothing usable: the sender must fix it, nothing is queued */
        snprintf(resp, RESPONSE_CAP, "{\"error\":\"%s\",\"rejected\":%zu,\"errors\":%s}", first, bc.bad, bc.errors);
    }
    pthread_mutex_lock(&in->lock);
    if (code == 503)
        in->stats.rejected_busy++;
    else if (code == 400)
        in->stats.rejected_bad++;
    pthread_mutex_unlock(&in->lock);
    if (code != 202) {
        ret = respond_text(c, code, resp);
        free(resp);
        free(bc.errors);
        return ret;
    }
    queued *q = malloc(sizeof *q);
    if (!q) {
        free(resp);
        free(bc.errors);
        return respond(c, 503, "{\"error\":\"out of memory\"}");
    }
    /* keep only what the body needs: the cap counts what is really held */
    char *shrunk = r->len + 1 < r->alloc ? realloc(r->body, r->len + 1) : NULL;
    if (shrunk) {
        unreserve(in, r->alloc - (r->len + 1));
        r->body = shrunk;
        r->alloc = r->len + 1;
    }
    q->next = NULL;
    q->body = r->body;
    q->len = r->len;
    q->alloc = r->alloc;
    r->body = NULL; /* moved into the queue, still counted in held */
    r->len = r->alloc = 0;
    pthread_mutex_lock(&in->lock);
    q->position[0] = '\0';
    if (in->spool.fd >= 0) {
        /* on disk before the 202: an acknowledged body outlives the process */
        storm_err serr;
        storm_err_clear(&serr);
        if (intake_spool_append(&in->spool, q->body, q->len, &serr) != STORM_OK) {
            in->stats.rejected_busy++;
            pthread_mutex_unlock(&in->lock);
            unreserve(in, q->alloc);
            free(q->body);
            free(q);
            char msg[700];
            json_escape(serr.msg, msg, sizeof msg);
            ret = respond(c, 503, "{\"error\":\"%s; retry later\"}", msg);
            free(resp);
            free(bc.errors);
            return ret;
        }
        intake_spool_position(in->spool.gen, in->spool.end, q->position);
    }
    q->request = in->stats.requests;
    if (in->tail)
        in->tail->next = q;
    else
        in->head = q;
    in->tail = q;
    in->queued_bodies++;
    in->queued_bytes += q->alloc;
    in->stats.accepted++;
    in->stats.bytes += q->len;
    in->stats.records_rejected += bc.bad;
    pthread_cond_signal(&in->ready);
    pthread_mutex_unlock(&in->lock);
    if (bc.bad)
        snprintf(resp, RESPONSE_CAP, "{\"accepted\":%zu,\"records\":%zu,\"rejected\":%zu,\"errors\":%s}", bc.events,
                 bc.good, bc.bad, bc.errors);
    else
        snprintf(resp, RESPONSE_CAP, "{\"accepted\":%zu,\"records\":%zu,\"rejected\":0}", bc.events, bc.good);
    ret = respond_text(c, 202, resp);
    free(resp);
    free(bc.errors);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    http_request *r = *con_cls;
    if (r) {
        free(r->body);
        if (r->alloc)
            unreserve(cls, r->alloc);
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
    storm_rc lrc = storm_lazy_lib_load(&mhd_lib, "storm run --listen", err);
    if (lrc)
        return lrc;
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
    storm_rc mrc = opts->metrics ? declare_intake_metrics(opts->metrics, err) : STORM_OK;
    if (mrc != STORM_OK) {
        free(in);
        return mrc;
    }
    const char *spec = opts->listen ? opts->listen : "127.0.0.1:8080";
    struct sockaddr_storage ss;
    socklen_t sl;
    storm_rc prc = storm_listen_parse(spec, &ss, &sl, err);
    if (prc != STORM_OK) {
        free(in);
        return prc;
    }
    bool v6 = ss.ss_family == AF_INET6;
    in->spool.fd = -1;
    if (opts->spool && (prc = intake_spool_open(&in->spool, opts->spool, err)) != STORM_OK) {
        free(in);
        return prc;
    }
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
        intake_spool_close(&in->spool);
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
    char position[STORM_INTAKE_POSITION_MAX];
    return storm_intake_next_spooled(in, body, len, request, position, timeout_ms);
}

bool storm_intake_spool_rotate(storm_intake *in, const char *processed)
{
    bool done = false;
    pthread_mutex_lock(&in->lock);
    char now[STORM_INTAKE_POSITION_MAX];
    if (in->spool.fd >= 0 && !in->head) {
        intake_spool_position(in->spool.gen, in->spool.end, now);
        storm_err err;
        storm_err_clear(&err);
        done = strcmp(now, processed) == 0 && intake_spool_reset(&in->spool, &err) == STORM_OK;
    }
    pthread_mutex_unlock(&in->lock);
    return done;
}

storm_rc storm_intake_next_spooled(storm_intake *in, char **body, size_t *len, uint64_t *request,
                                   char position[STORM_INTAKE_POSITION_MAX], int timeout_ms)
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
    in->queued_bodies--;
    in->queued_bytes -= q->alloc;
    /* held until storm_intake_release(len): only a body whose shrinking
     * failed holds a little more than len + 1 */
    in->held -= q->alloc - (q->len + 1);
    pthread_mutex_unlock(&in->lock);
    *body = q->body;
    *len = q->len;
    *request = q->request;
    memcpy(position, q->position, STORM_INTAKE_POSITION_MAX);
    free(q);
    return STORM_OK;
}

void storm_intake_release(storm_intake *in, char *body, size_t len)
{
    if (!body)
        return;
    free(body);
    unreserve(in, len + 1);
}

void storm_intake_close(storm_intake *in)
{
    if (in && in->http) {
        /* returns when the server thread is gone: no request is being
         * answered any more, so the queue holds every body acknowledged */
        storm_httpd_stop(in->http);
        in->http = NULL;
    }
}

void storm_intake_pending(storm_intake *in, size_t *bodies, size_t *bytes)
{
    pthread_mutex_lock(&in->lock);
    *bodies = in->queued_bodies;
    *bytes = in->queued_bytes;
    pthread_mutex_unlock(&in->lock);
}

size_t storm_intake_held(storm_intake *in)
{
    pthread_mutex_lock(&in->lock);
    size_t held = in->held;
    pthread_mutex_unlock(&in->lock);
    return held;
}

unsigned storm_intake_port(const storm_intake *in)
{
    return in->port;
}

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
    storm_intake_close(in);
    while (in->head) {
        queued *q = in->head;
        in->head = q->next;
        free(q->body);
        free(q);
    }
    intake_spool_close(&in->spool);
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->ready);
    free(in);
}
