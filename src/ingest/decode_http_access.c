/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP access log decoder: records with nginx's log_format names
 * (remote_addr, remote_user, time_local or time_iso8601, request, status,
 * body_bytes_sent, http_referer, http_user_agent; server_addr, server_port
 * when present), as nginx writes them with a JSON log_format and as
 * storm_decode_text_line lifts a common or combined log line (Apache's and
 * nginx's default formats). One STORM_EV_NETWORK event per record
 * (docs/mapping/http-access.md). */
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

static bool detect(const storm_value *root)
{
    return root && root->type == STORM_V_OBJECT && storm_v_get_str(root, "remote_addr") &&
           storm_v_get(root, "status") && (storm_v_get(root, "request") || storm_v_get(root, "request_uri"));
}

static storm_rc wrong_type(storm_err *err, const char *key, const storm_value *v, const char *want)
{
    return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(v), "%s: expected %s, got %s", key, want,
                         ingest_value_name(v));
}

/* A string field; "-" (the formats' "none") and "" are absent. */
static storm_rc str_field(const storm_value *root, const char *key, const char **out, storm_err *err)
{
    const storm_value *v = storm_v_get(root, key);
    *out = NULL;
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_STRING)
        return wrong_type(err, key, v, "a string");
    if (v->u.s.len && !(v->u.s.len == 1 && v->u.s.ptr[0] == '-'))
        *out = v->u.s.ptr;
    return STORM_OK;
}

/* An integer field, also as a decimal string (nginx's JSON escaping writes
 * every variable as a string); "-" is absent. */
static storm_rc int_field(const storm_value *root, const char *key, int64_t max, bool *has, int64_t *out,
                          storm_err *err)
{
    const storm_value *v = storm_v_get(root, key);
    *has = false;
    if (!v || v->type == STORM_V_NULL || storm_v_is_str(v, "-") || storm_v_is_str(v, ""))
        return STORM_OK;
    int64_t n;
    if (v->type == STORM_V_INT) {
        n = v->u.i;
    } else if (v->type == STORM_V_STRING) {
        char *end;
        n = strtoll(v->u.s.ptr, &end, 10);
        if (end == v->u.s.ptr || *end)
            return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(v), "%s: \"%.30s\" is not a decimal number", key,
                                 v->u.s.ptr);
    } else {
        return wrong_type(err, key, v, "an integer");
    }
    if (n < 0 || n > max)
        return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(v), "%s: %lld is out of range (0..%lld)", key,
                             (long long)n, (long long)max);
    *out = n;
    *has = true;
    return STORM_OK;
}

static bool token_char(char c)
{
    /* RFC 9110 tchar, enough to tell a method from binary noise */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

/* "GET /x?y HTTP/1.1" -> method, target, version (arena); a request line of
 * another shape (TLS bytes on a plain port, "-") leaves them unset. */
static void split_request(storm_arena *a, const char *r, storm_app_info *ap)
{
    const char *sp1 = strchr(r, ' ');
    if (!sp1 || sp1 == r)
        return;
    for (const char *c = r; c < sp1; c++)
        if (!token_char(*c))
            return;
    const char *target = sp1 + 1;
    const char *sp2 = strrchr(target, ' ');
    const char *version = NULL;
    size_t tlen = strlen(target);
    if (sp2 && strncmp(sp2 + 1, "HTTP/", 5) == 0) {
        version = sp2 + 1;
        tlen = (size_t)(sp2 - target);
    }
    if (!tlen)
        return;
    ap->http_method = storm_arena_strndup(a, r, (size_t)(sp1 - r));
    ap->http_target = storm_arena_strndup(a, target, tlen);
    ap->http_version = version;
}

static storm_rc read_time(const storm_value *root, storm_event *ev, storm_err *err)
{
    const char *t;
    storm_rc rc = str_field(root, "time_local", &t, err);
    if (rc != STORM_OK)
        return rc;
    if (t) {
        if (!ingest_clf_time_parse(t, strlen(t), &ev->time))
            return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(storm_v_get(root, "time_local")),
                                 "time_local: \"%.40s\" is not an access log time (10/Oct/2000:13:55:36 -0700)", t);
        ev->has_time = true;
        return STORM_OK;
    }
    static const char *const iso[] = {"time_iso8601", "time"};
    for (size_t i = 0; i < sizeof iso / sizeof iso[0]; i++) {
        if ((rc = str_field(root, iso[i], &t, err)) != STORM_OK)
            return rc;
        if (!t)
            continue;
        if (!storm_time_parse(t, strlen(t), STORM_TIME_LENIENT, &ev->time))
            return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(storm_v_get(root, iso[i])),
                                 "%s: \"%.40s\" is not an RFC 3339 timestamp", iso[i], t);
        ev->has_time = true;
        return STORM_OK;
    }
    return STORM_OK;
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    (void)skip_type;
    storm_event *ev = storm_event_list_add(a, out);
    if (!ev)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    ev->sensor = STORM_SENSOR_HTTP_ACCESS;
    ev->kind = STORM_EV_NETWORK;
    ev->type = "request";
    ev->raw = root;
    storm_app_info *ap = &ev->app;
    ap->present = true;
    ap->program = "httpd";
    storm_net_info *n = &ev->net;
    n->present = true;
    n->protocol = "tcp";
    n->direction = "ingress";
    const char *request = NULL, *uri = NULL;
    bool has_sport = false;
    int64_t sport = 0;
    storm_rc rc;
    if ((rc = read_time(root, ev, err)) != STORM_OK || (rc = str_field(root, "remote_addr", &n->src_ip, err)) ||
        (rc = str_field(root, "server_addr", &n->dst_ip, err)) ||
        (rc = int_field(root, "server_port", 65535, &has_sport, &sport, err)) ||
        (rc = int_field(root, "remote_port", 65535, &n->has_src_port, &n->src_port, err)) ||
        (rc = str_field(root, "remote_user", &ap->auth_user, err)) ||
        (rc = str_field(root, "request", &request, err)) || (rc = str_field(root, "request_uri", &uri, err)) ||
        (rc = str_field(root, "request_method", &ap->http_method, err)) ||
        (rc = str_field(root, "server_protocol", &ap->http_version, err)) ||
        (rc = int_field(root, "status", 999, &ap->has_http_status, &ap->http_status, err)) ||
        (rc = int_field(root, "body_bytes_sent", INT64_MAX, &ap->has_http_bytes, &ap->http_bytes, err)) ||
        (rc = str_field(root, "http_referer", &ap->http_referer, err)) ||
        (rc = str_field(root, "http_user_agent", &ap->http_user_agent, err))) {
        out->n--; /* a rejected record leaves no event behind */
        return rc;
    }
    n->has_dst_port = has_sport;
    n->dst_port = sport;
    if (request) {
        ap->message = request;
        split_request(a, request, ap);
    } else {
        ap->http_target = uri; /* nginx's $request_uri with $request_method */
    }
    return STORM_OK;
}

const storm_decoder storm_decoder_http_access = {"http-access", STORM_SENSOR_HTTP_ACCESS, detect, decode};
