/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII 2.1 client: API root discovery, collections, envelope POSTs with
 * status polling, paged GETs. */
#include <storm/taxii_client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storm/json.h>

#include "client_http.h"

struct storm_taxii_client {
    storm_taxii_client_opts opts;
    char *user, *password, *ca_file;
    char *api_root; /* ends with '/' */
    size_t max_content_length;
    client_response resp;
    storm_arena *arena; /* per response */
};

#define DEFAULT_MAX_CONTENT (10u << 20)

static storm_rc fail_status(const storm_taxii_client *c, const char *what, const char *url, storm_err *err)
{
    char reason[400];
    client_error_text(&c->resp, reason, sizeof reason);
    storm_rc rc = c->resp.status == 401 || c->resp.status == 403 ? STORM_ERR_AUTH
                  : c->resp.status == 404                          ? STORM_ERR_NOTFOUND
                                                                   : STORM_ERR_IO;
    return storm_err_set(err, rc, 0, "%s: %s answered HTTP %ld%s%s%s", what, url, c->resp.status,
                         reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
}

/* GET url and parse the JSON body into c->arena (reset first). */
static storm_rc get_json(storm_taxii_client *c, const char *what, const char *url, storm_value **out,
                         storm_err *err)
{
    storm_arena_reset(c->arena);
    storm_rc rc = client_http(&c->opts, "GET", url, NULL, 0, &c->resp, err);
    if (rc)
        return rc;
    if (c->resp.status != 200)
        return fail_status(c, what, url, err);
    storm_err jerr;
    storm_err_clear(&jerr);
    if (storm_json_parse(c->arena, c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0, out, NULL,
                         &jerr) != STORM_OK)
        return storm_err_set(err, STORM_ERR_SYNTAX, 0, "%s: %s sent invalid JSON (line %u, column %u: %s)", what,
                             url, jerr.line, jerr.col, jerr.msg);
    return STORM_OK;
}

static char *with_slash(const char *url)
{
    size_t n = strlen(url);
    char *s = malloc(n + 2);
    if (!s)
        return NULL;
    memcpy(s, url, n + 1);
    if (n == 0 || s[n - 1] != '/') {
        s[n] = '/';
        s[n + 1] = '\0';
    }
    return s;
}

/* Resolve a possibly relative API root URL against the discovery URL. */
static char *resolve(const char *base, const char *ref)
{
    if (strstr(ref, "://"))
        return with_slash(ref);
    const char *scheme_end = strstr(base, "://");
    const char *host_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    size_t host_len = host_end ? (size_t)(host_end - base) : strlen(base);
    char *tmp = malloc(host_len + strlen(ref) + 3);
    if (!tmp)
        return NULL;
    if (ref[0] == '/')
        sprintf(tmp, "%.*s%s", (int)host_len, base, ref);
    else
        sprintf(tmp, "%s%s", base, ref); /* relative to the discovery URL, which ends with '/' */
    char *r = with_slash(tmp);
    free(tmp);
    return r;
}

void storm_taxii_client_free(storm_taxii_client *c)
{
    if (!c)
        return;
    free(c->user);
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c->ca_file);
    free(c->api_root);
    storm_buf_free(&c->resp.body);
    storm_arena_free(c->arena);
    free(c);
}

storm_rc storm_taxii_client_open(const char *url, const storm_taxii_client_opts *opts, storm_taxii_client **out,
                                 storm_err *err)
{
    *out = NULL;
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return storm_err_set(err, STORM_ERR_VALUE, 0, "'%s' is not an http:// or https:// URL", url ? url : "");
    storm_taxii_client *c = calloc(1, sizeof *c);
    if (!c)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (opts) {
        c->user = opts->user ? strdup(opts->user) : NULL;
        c->password = opts->password ? strdup(opts->password) : NULL;
        c->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
        c->opts = *opts;
    }
    c->opts.user = c->user;
    c->opts.password = c->password;
    c->opts.ca_file = c->ca_file;
    storm_buf_init(&c->resp.body, STORM_TAXII_CLIENT_MAX_RESPONSE);
    c->arena = storm_arena_new(0, 4 * (size_t)STORM_TAXII_CLIENT_MAX_RESPONSE);
    char *root = with_slash(url);
    if (!c->arena || !root) {
        free(root);
        storm_taxii_client_free(c);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    storm_value *info = NULL;
    storm_rc rc = get_json(c, "reading the TAXII server", root, &info, err);
    if (!rc && storm_v_get(info, "api_roots") && !storm_v_get(info, "versions")) {
        /* a discovery resource: use its default API root, else the first one */
        const char *def = storm_v_get_str(info, "default");
        const storm_value *roots = storm_v_get(info, "api_roots");
        if (!def && roots && roots->type == STORM_V_ARRAY && roots->u.a.len &&
            roots->u.a.items[0]->type == STORM_V_STRING)
            def = roots->u.a.items[0]->u.s.ptr;
        if (!def) {
            rc = storm_err_set(err, STORM_ERR_NOTFOUND, 0, "%s lists no API root", root);
        } else {
            char *api = resolve(root, def);
            free(root);
            root = api;
            rc = root ? get_json(c, "reading the API root", root, &info, err)
                      : storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        }
    }
    if (!rc && !storm_v_get(info, "versions"))
        rc = storm_err_set(err, STORM_ERR_VALUE, 0,
                           "%s is neither a TAXII 2.1 API root nor a discovery endpoint (no \"versions\")", root);
    if (rc) {
        free(root);
        storm_taxii_client_free(c);
        return rc;
    }
    c->api_root = root;
    const storm_value *mcl = storm_v_get(info, "max_content_length");
    c->max_content_length = mcl && mcl->type == STORM_V_INT && mcl->u.i > 0 ? (size_t)mcl->u.i : DEFAULT_MAX_CONTENT;
    *out = c;
    return STORM_OK;
}

const char *storm_taxii_client_api_root(const storm_taxii_client *c) { return c->api_root; }
size_t storm_taxii_client_max_content_length(const storm_taxii_client *c) { return c->max_content_length; }

storm_rc storm_taxii_client_collection(storm_taxii_client *c, const char *name, char id_out[64], bool *can_write,
                                       storm_err *err)
{
    char url[4096];
    snprintf(url, sizeof url, "%scollections/", c->api_root);
    storm_value *v = NULL;
    storm_rc rc = get_json(c, "listing collections", url, &v, err);
    if (rc)
        return rc;
    const storm_value *cols = storm_v_get(v, "collections");
    storm_buf known;
    storm_buf_init(&known, 2048);
    for (size_t i = 0; cols && cols->type == STORM_V_ARRAY && i < cols->u.a.len; i++) {
        const storm_value *col = cols->u.a.items[i];
        const char *id = storm_v_get_str(col, "id"), *alias = storm_v_get_str(col, "alias"),
                   *title = storm_v_get_str(col, "title");
        if (!id)
            continue;
        if (strcmp(name, id) == 0 || (alias && strcmp(name, alias) == 0) || (title && strcmp(name, title) == 0)) {
            snprintf(id_out, 64, "%s", id);
            if (can_write) {
                const storm_value *w = storm_v_get(col, "can_write");
                *can_write = w && w->type == STORM_V_BOOL && w->u.b;
            }
            storm_buf_free(&known);
            return STORM_OK;
        }
        storm_buf_printf(&known, "%s%s%s%s%s", known.len ? ", " : "", id, alias ? " (" : "", alias ? alias : "",
                         alias ? ")" : "");
    }
    rc = storm_err_set(err, STORM_ERR_NOTFOUND, 0, "no collection '%s' at %s; it has: %s", name, c->api_root,
                       known.len ? known.data : "none readable");
    storm_buf_free(&known);
    return rc;
}

/* ---- publish ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static size_t count_of(const storm_value *status, const char *key)
{
    const storm_value *v = storm_v_get(status, key);
    return v && v->type == STORM_V_INT && v->u.i > 0 ? (size_t)v->u.i : 0;
}

/* Read a status resource until it is complete; report the successes. */
static storm_rc follow_status(storm_taxii_client *c, const storm_value *status, storm_taxii_accepted_fn accepted,
                              void *ctx, storm_taxii_publish_result *res, storm_err *err)
{
    unsigned polls = c->opts.status_polls ? c->opts.status_polls : 60;
    const char *sid = storm_v_get_str(status, "id");
    char url[4096];
    for (unsigned i = 0; status && storm_v_is_str(storm_v_get(status, "status"), "pending") && sid && i < polls;
         i++) {
        sleep_ms(i < 5 ? 100 : 1000);
        snprintf(url, sizeof url, "%sstatus/%s/", c->api_root, sid);
        storm_value *next = NULL;
        storm_rc rc = get_json(c, "reading a status", url, &next, err);
        if (rc)
            return rc;
        status = next;
        sid = storm_v_get_str(status, "id");
    }
    if (!status)
        return STORM_OK;
    res->succeeded += count_of(status, "success_count");
    res->failed += count_of(status, "failure_count");
    res->pending += count_of(status, "pending_count");
    const storm_value *ok = storm_v_get(status, "successes");
    for (size_t i = 0; accepted && ok && ok->type == STORM_V_ARRAY && i < ok->u.a.len; i++) {
        const char *id = storm_v_get_str(ok->u.a.items[i], "id");
        const char *ver = storm_v_get_str(ok->u.a.items[i], "version");
        if (id)
            accepted(ctx, id, ver);
    }
    return STORM_OK;
}

static storm_rc post_envelope(storm_taxii_client *c, const char *url, storm_buf *env,
                              storm_taxii_accepted_fn accepted, void *ctx, storm_taxii_publish_result *res,
                              storm_err *err)
{
    storm_arena_reset(c->arena);
    storm_rc rc = client_http(&c->opts, "POST", url, env->data, env->len, &c->resp, err);
    if (rc)
        return rc;
    res->envelopes++;
    if (c->resp.status != 202 && c->resp.status != 200)
        return fail_status(c, "publishing", url, err);
    storm_value *status = NULL;
    if (storm_json_parse(c->arena, c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0, &status, NULL,
                         NULL) != STORM_OK)
        return storm_err_set(err, STORM_ERR_SYNTAX, 0, "publishing: %s sent an invalid status resource", url);
    return follow_status(c, status, accepted, ctx, res, err);
}

storm_rc storm_taxii_client_publish(storm_taxii_client *c, const char *collection_id, const storm_value *objects,
                                    storm_taxii_accepted_fn accepted, void *ctx, storm_taxii_publish_result *res,
                                    storm_err *err)
{
    static const char head[] = "{\"objects\":[", tail[] = "]}";
    storm_taxii_publish_result local = {0};
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!objects || objects->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_STATE, 0, "objects to publish must be a JSON array");
    char url[4096];
    snprintf(url, sizeof url, "%scollections/%s/objects/", c->api_root, collection_id);
    size_t cap = c->max_content_length;
    storm_buf env, one;
    storm_buf_init(&env, cap + 1);
    storm_buf_init(&one, cap + 1);
    storm_rc rc = STORM_OK;
    size_t in_env = 0;
    for (size_t i = 0; !rc && i <= objects->u.a.len; i++) {
        bool last = i == objects->u.a.len;
        if (!last) {
            storm_buf_reset(&one);
            if (storm_json_write(&one, objects->u.a.items[i], 0) != STORM_OK ||
                one.len + sizeof head + sizeof tail > cap) {
                res->failed++; /* cannot fit even alone */
                continue;
            }
        }
        /* flush when this object would not fit, or at the end */
        if (in_env && (last || env.len + 1 + one.len + sizeof tail > cap)) {
            storm_buf_append(&env, tail, sizeof tail - 1);
            rc = post_envelope(c, url, &env, accepted, ctx, res, err);
            storm_buf_reset(&env);
            in_env = 0;
        }
        if (last || rc)
            break;
        if (!in_env)
            storm_buf_append(&env, head, sizeof head - 1);
        else
            storm_buf_putc(&env, ',');
        storm_buf_append(&env, one.data, one.len);
        in_env++;
        res->sent++;
    }
    storm_buf_free(&env);
    storm_buf_free(&one);
    return rc;
}

/* ---- pull ---- */

static void url_escape_into(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s && n + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~' || ch == ':') {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        }
    }
    out[n] = '\0';
}

storm_rc storm_taxii_client_pull(storm_taxii_client *c, const char *collection_id, const storm_taxii_pull_opts *o,
                                 storm_taxii_object_fn fn, void *ctx, size_t *received, char last_added[40],
                                 storm_err *err)
{
    storm_taxii_pull_opts none = {0};
    if (!o)
        o = &none;
    size_t limit = o->page_limit ? o->page_limit : 100;
    char next[512] = "";
    size_t got = 0;
    for (size_t page = 0; page < 1000000; page++) {
        char url[8192], esc[1024];
        int n = snprintf(url, sizeof url, "%scollections/%s/objects/?limit=%zu", c->api_root, collection_id, limit);
        if (o->added_after && !next[0]) {
            url_escape_into(esc, sizeof esc, o->added_after);
            n += snprintf(url + n, sizeof url - (size_t)n, "&added_after=%s", esc);
        }
        if (o->match_type) {
            url_escape_into(esc, sizeof esc, o->match_type);
            n += snprintf(url + n, sizeof url - (size_t)n, "&match[type]=%s", esc);
        }
        if (next[0]) {
            url_escape_into(esc, sizeof esc, next);
            snprintf(url + n, sizeof url - (size_t)n, "&next=%s", esc);
        }
        storm_value *env = NULL;
        storm_rc rc = get_json(c, "pulling", url, &env, err);
        if (rc)
            return rc;
        if (c->resp.date_added_last[0])
            snprintf(last_added, 40, "%s", c->resp.date_added_last);
        const storm_value *objs = storm_v_get(env, "objects");
        for (size_t i = 0; objs && objs->type == STORM_V_ARRAY && i < objs->u.a.len; i++) {
            got++;
            if (fn && fn(ctx, objs->u.a.items[i]))
                goto done;
            if (o->max_objects && got >= o->max_objects)
                goto done;
        }
        const storm_value *more = storm_v_get(env, "more");
        const char *nx = storm_v_get_str(env, "next");
        if (!more || more->type != STORM_V_BOOL || !more->u.b)
            break;
        if (!nx || !nx[0] || strlen(nx) >= sizeof next || strcmp(nx, next) == 0) {
            /* no usable cursor: resume from the newest date_added instead */
            if (!c->resp.date_added_last[0])
                break;
            return storm_err_set(err, STORM_ERR_VALUE, 0,
                                 "pulling: %s said more objects follow but gave no usable 'next'", url);
        }
        snprintf(next, sizeof next, "%s", nx);
    }
done:
    if (received)
        *received = got;
    return STORM_OK;
}
