/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII 2.1 client: API root discovery, collections, envelope POSTs with
 * status polling, paged GETs. */
#include <storm/taxii_client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storm/json.h>

#include <storm/time.h>

#include "client_http.h"
#include "id_set.h"
#include "taxii_int.h"

struct storm_taxii_client {
    storm_taxii_client_opts opts;
    char *user, *password, *ca_file;
    char *api_root; /* ends with '/' */
    size_t max_content_length;
    size_t envelope_objects; /* shrinks after a 413 */
    client_response resp;
    storm_arena *arena; /* per response */
};

#define DEFAULT_MAX_CONTENT (10u << 20)

static storm_rc fail_status(const storm_taxii_client *c, const char *what, const char *url, storm_err *err)
{
    char reason[400];
    client_error_text(&c->resp, reason, sizeof reason);
    storm_rc rc = c->resp.status == 401 || c->resp.status == 403 ? STORM_ERR_AUTH
                  : c->resp.status == 404                        ? STORM_ERR_NOTFOUND
                                                                 : STORM_ERR_IO;
    return storm_err_set(err, rc, 0, "%s: %s answered HTTP %ld%s%s%s", what, url, c->resp.status, reason[0] ? " (" : "",
                         reason, reason[0] ? ")" : "");
}

/* GET url and parse the JSON body into c->arena (reset first). */
static storm_rc get_json(storm_taxii_client *c, const char *what, const char *url, storm_value **out, storm_err *err)
{
    storm_arena_reset(c->arena);
    storm_rc rc = client_http(&c->opts, "GET", url, NULL, 0, &c->resp, err);
    if (rc)
        return rc;
    if (c->resp.status != 200)
        return fail_status(c, what, url, err);
    storm_err jerr;
    storm_err_clear(&jerr);
    if (storm_json_parse(c->arena, c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0, out, NULL, &jerr) !=
        STORM_OK)
        return storm_err_set(err, STORM_ERR_SYNTAX, 0, "%s: %s sent invalid JSON (line %u, column %u: %s)", what, url,
                             jerr.line, jerr.col, jerr.msg);
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
    c->envelope_objects = c->opts.envelope_objects ? c->opts.envelope_objects : STORM_TAXII_ENVELOPE_OBJECTS;
    *out = c;
    return STORM_OK;
}

const char *storm_taxii_client_api_root(const storm_taxii_client *c)
{
    return c->api_root;
}
size_t storm_taxii_client_max_content_length(const storm_taxii_client *c)
{
    return c->max_content_length;
}

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

typedef struct publish_job {
    storm_taxii_client *c;
    const char *url;
    const storm_value *objects;
    const storm_taxii_publish_hooks *hooks;
    storm_taxii_publish_result *res;
    storm_buf env, one;
} publish_job;

/* Read a status resource until it is complete; report the successes as
 * positions of objects[first..first+count). */
static storm_rc follow_status(publish_job *j, const storm_value *status, size_t first, size_t count, storm_err *err)
{
    storm_taxii_client *c = j->c;
    unsigned polls = c->opts.status_polls ? c->opts.status_polls : 60;
    const char *sid = storm_v_get_str(status, "id");
    char url[4096];
    for (unsigned i = 0; status && storm_v_is_str(storm_v_get(status, "status"), "pending") && sid && i < polls; i++) {
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
    j->res->succeeded += count_of(status, "success_count");
    j->res->failed += count_of(status, "failure_count");
    j->res->pending += count_of(status, "pending_count");
    const storm_value *ok = storm_v_get(status, "successes");
    if (!j->hooks || !j->hooks->accepted || !ok || ok->type != STORM_V_ARRAY || !ok->u.a.len)
        return STORM_OK;
    /* ids to positions through a hash set: linear in the envelope. Objects
     * that redaction made one (two private addresses masked to one network)
     * share an id: a success for it counts for each of them. */
    taxii_id_set where;
    taxii_id_set_init(&where);
    size_t *index = malloc(count * sizeof *index), n = 0;
    size_t *same = malloc(count * sizeof *same); /* next position with the same id, count = none */
    bool *taken = calloc(count, sizeof *taken);
    storm_rc rc = index && same && taken ? STORM_OK : storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; !rc && i < count; i++) {
        const char *id = storm_v_get_str(j->objects->u.a.items[first + i], "id");
        size_t head;
        same[i] = count;
        if (!id)
            continue;
        int r = taxii_id_set_add(&where, id, i);
        if (r < 0) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        } else if (r == 0 && taxii_id_set_get(&where, id, &head)) {
            same[i] = same[head];
            same[head] = i;
        }
    }
    for (size_t i = 0; !rc && i < ok->u.a.len; i++) {
        const char *id = storm_v_get_str(ok->u.a.items[i], "id");
        size_t at;
        if (!id || !taxii_id_set_get(&where, id, &at))
            continue;
        for (; at < count; at = same[at])
            if (!taken[at]) {
                taken[at] = true;
                index[n++] = first + at;
            }
    }
    if (!rc && n)
        j->hooks->accepted(j->hooks->ctx, index, n);
    taxii_id_set_free(&where);
    free(index);
    free(same);
    free(taken);
    return rc;
}

static const char env_head[] = "{\"objects\":[", env_tail[] = "]}";

/* POST objects[first..first+n) as one envelope. *too_large on a 413. */
static storm_rc post_one(publish_job *j, size_t first, size_t n, bool *too_large, storm_err *err)
{
    storm_taxii_client *c = j->c;
    *too_large = false;
    storm_buf_reset(&j->env);
    storm_buf_append(&j->env, env_head, sizeof env_head - 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            storm_buf_putc(&j->env, ',');
        if (storm_json_write(&j->env, j->objects->u.a.items[first + i], 0) != STORM_OK)
            return storm_err_set(err, STORM_ERR_LIMIT, 0, "publishing: an envelope does not fit in memory");
    }
    if (storm_buf_append(&j->env, env_tail, sizeof env_tail - 1) != STORM_OK)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "publishing: an envelope does not fit in memory");
    storm_arena_reset(c->arena);
    storm_rc rc = client_http(&c->opts, "POST", j->url, j->env.data, j->env.len, &c->resp, err);
    if (rc)
        return rc;
    j->res->envelopes++;
    if (c->resp.status == 413) {
        *too_large = true;
        return STORM_OK;
    }
    if (c->resp.status != 202 && c->resp.status != 200)
        return fail_status(c, "publishing", j->url, err);
    storm_value *status = NULL;
    if (storm_json_parse(c->arena, c->resp.body.data ? c->resp.body.data : "", c->resp.body.len, 0, &status, NULL,
                         NULL) != STORM_OK)
        return storm_err_set(err, STORM_ERR_SYNTAX, 0, "publishing: %s sent an invalid status resource", j->url);
    j->res->sent += n;
    rc = follow_status(j, status, first, n, err);
    if (!rc && j->hooks && j->hooks->progress)
        j->hooks->progress(j->hooks->ctx, j->res->sent, j->objects->u.a.len);
    return rc;
}

/* POST objects[first..first+count) in envelopes of at most
 * c->envelope_objects. A 413 halves that limit for this envelope and every
 * later one (the server's limit is not advertised); an object refused even
 * alone is counted failed. */
static storm_rc post_range(publish_job *j, size_t first, size_t count, storm_err *err)
{
    storm_taxii_client *c = j->c;
    while (count) {
        size_t n = count < c->envelope_objects ? count : c->envelope_objects;
        bool too_large = false;
        storm_rc rc = post_one(j, first, n, &too_large, err);
        if (rc)
            return rc;
        if (too_large && n > 1) {
            c->envelope_objects = n / 2;
            j->res->splits++;
            continue;
        }
        if (too_large)
            j->res->failed++;
        first += n;
        count -= n;
    }
    return STORM_OK;
}

storm_rc storm_taxii_client_publish(storm_taxii_client *c, const char *collection_id, const storm_value *objects,
                                    const storm_taxii_publish_hooks *hooks, storm_taxii_publish_result *res,
                                    storm_err *err)
{
    storm_taxii_publish_result local = {0};
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!objects || objects->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_STATE, 0, "objects to publish must be a JSON array");
    char url[4096];
    snprintf(url, sizeof url, "%scollections/%s/objects/", c->api_root, collection_id);
    size_t cap = c->max_content_length;
    publish_job j = {c, url, objects, hooks, res, {0}, {0}};
    storm_buf_init(&j.env, cap + 1);
    storm_buf_init(&j.one, cap + 1);
    storm_rc rc = STORM_OK;
    size_t first = 0, count = 0, bytes = sizeof env_head - 1 + sizeof env_tail - 1;
    for (size_t i = 0; !rc && i <= objects->u.a.len; i++) {
        bool last = i == objects->u.a.len;
        size_t len = 0;
        if (!last) {
            storm_buf_reset(&j.one);
            if (storm_json_write(&j.one, objects->u.a.items[i], 0) != STORM_OK ||
                j.one.len + sizeof env_head + sizeof env_tail > cap) {
                /* cannot fit even alone: counted, and the envelope so far goes
                 * first so that positions stay contiguous */
                if (count)
                    rc = post_range(&j, first, count, err);
                res->failed++;
                first = i + 1;
                count = 0;
                bytes = sizeof env_head - 1 + sizeof env_tail - 1;
                continue;
            }
            len = j.one.len + 1;
        }
        /* flush when this object would not fit (bytes or objects), or at the end */
        if (count && (last || bytes + len > cap || count >= c->envelope_objects)) {
            rc = post_range(&j, first, count, err);
            first = i;
            count = 0;
            bytes = sizeof env_head - 1 + sizeof env_tail - 1;
        }
        if (last || rc)
            break;
        count++;
        bytes += len;
    }
    storm_buf_free(&j.env);
    storm_buf_free(&j.one);
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

/* Where a later pull can start without losing anything after a page whose
 * newest date_added is last: objects added at that very time may continue
 * on the next page (medallion gives every object of one POST the same
 * date_added), so while more follow, one microsecond before it (they are
 * fetched again and stored once); at the end, last itself. */
static bool resume_after(const char *last, bool more, char out[40], storm_time_ns *t)
{
    if (!last[0] || !storm_time_parse(last, strlen(last), STORM_TIME_LENIENT, t))
        return false;
    if (more)
        *t -= 1000;
    storm_time_format(*t, 6, out);
    return true;
}

storm_rc storm_taxii_client_pull(storm_taxii_client *c, const char *collection_id, const storm_taxii_pull_opts *o,
                                 const storm_taxii_pull_hooks *h, storm_taxii_pull_result *res, storm_err *err)
{
    storm_taxii_pull_opts none = {0};
    storm_taxii_pull_hooks no_hooks = {0};
    storm_taxii_pull_result local;
    if (!o)
        o = &none;
    if (!h)
        h = &no_hooks;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    size_t limit = o->page_limit ? o->page_limit : 100;
    char next[512] = "", after[40] = "", prev_sig[600] = "";
    if (o->added_after)
        snprintf(after, sizeof after, "%s", o->added_after);
    storm_time_ns after_t = INT64_MIN, resume_t = INT64_MIN;
    if (after[0] && !storm_time_parse(after, strlen(after), STORM_TIME_LENIENT, &after_t))
        return storm_err_set(err, STORM_ERR_VALUE, 0, "pulling: '%s' is not a timestamp to resume after", after);
    bool refused_next = false;
    for (size_t page = 1; page <= 1000000; page++) {
        char url[8192], esc[1024];
        /* the same filters on every request of a query: medallion refuses a
         * `next` whose query changed. match[spec_version] names the only
         * version Storm reads; without it medallion compares every object
         * with every other to find each id's latest spec version, which makes
         * the first page of a 10,000-object collection take half an hour */
        int n = snprintf(url, sizeof url, "%scollections/%s/objects/?limit=%zu&match[spec_version]=2.1", c->api_root,
                         collection_id, limit);
        if (after[0]) {
            url_escape_into(esc, sizeof esc, after);
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
        if (next[0] && (rc == STORM_ERR_NOTFOUND || (rc == STORM_ERR_IO && c->resp.status == 400))) {
            /* a `next` the server no longer knows (medallion forgets a query
             * 30 s after it began, whatever was read since): start a new
             * query where the last page ended, if that moves forward */
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            if (res->resume[0] && resume_t <= after_t) {
                storm_err_clear(err);
                return storm_err_set(err, STORM_ERR_VALUE, 0,
                                     "pulling: the server refused its own 'next' (%.300s), and paging by "
                                     "added_after does not move past %s (more objects were added at that time "
                                     "than the pages read before the refusal held; try a larger --limit); kept "
                                     "the %zu objects of %zu pages",
                                     why, res->resume, res->received, res->pages);
            }
            if (res->resume[0] && !refused_next) {
                storm_err_clear(err); /* handled: the pull goes on */
                refused_next = true;
                snprintf(after, sizeof after, "%s", res->resume);
                after_t = resume_t;
                next[0] = '\0';
                res->fallbacks++;
                page--;
                continue;
            }
        }
        if (rc)
            return rc;
        refused_next = false;
        const storm_value *objs = storm_v_get(env, "objects");
        size_t n_objs = objs && objs->type == STORM_V_ARRAY ? objs->u.a.len : 0;
        for (size_t i = 0; i < n_objs; i++) {
            const storm_value *obj = objs->u.a.items[i];
            char why[512];
            res->received++;
            if (!taxii_stix_check(obj, why, sizeof why)) {
                res->rejected++;
                if (h->rejected) {
                    const char *id = storm_v_get_str(obj, "id");
                    h->rejected(h->ctx, page, i + 1, id, why);
                }
            } else if (h->object && h->object(h->ctx, obj)) {
                goto stop;
            }
            if (o->max_objects && res->received >= o->max_objects)
                goto stop;
        }
        const storm_value *more_v = storm_v_get(env, "more");
        bool more = more_v && more_v->type == STORM_V_BOOL && more_v->u.b;
        storm_time_ns t;
        char pos[40];
        if (resume_after(c->resp.date_added_last, more, pos, &t) && t >= resume_t) {
            snprintf(res->resume, sizeof res->resume, "%s", pos);
            resume_t = t;
        }
        res->pages++;
        if (h->page_done && h->page_done(h->ctx, res->resume))
            return STORM_ERR_STATE;
        if (!more)
            break;
        /* a page identical to the one before (same first and last object and
         * time) means a repeated `next` that brings nothing new */
        char sig[600];
        const char *fid = n_objs ? storm_v_get_str(objs->u.a.items[0], "id") : NULL;
        const char *lid = n_objs ? storm_v_get_str(objs->u.a.items[n_objs - 1], "id") : NULL;
        snprintf(sig, sizeof sig, "%.200s %.200s %.40s", fid ? fid : "", lid ? lid : "", c->resp.date_added_last);
        const char *nx = storm_v_get_str(env, "next");
        bool progress = n_objs > 0 && strcmp(sig, prev_sig) != 0;
        snprintf(prev_sig, sizeof prev_sig, "%s", sig);
        if (nx && nx[0] && strlen(nx) < sizeof next && progress) {
            snprintf(next, sizeof next, "%s", nx); /* the same token again is fine */
            continue;
        }
        /* no usable `next`: page on with added_after, if that moves forward */
        if (!res->resume[0])
            return storm_err_set(err, STORM_ERR_VALUE, 0,
                                 "pulling: %s said more objects follow but gave neither a usable 'next' nor "
                                 "X-TAXII-Date-Added-Last; kept the %zu objects of %zu pages",
                                 url, res->received, res->pages);
        if (resume_t <= after_t)
            return storm_err_set(err, STORM_ERR_VALUE, 0,
                                 "pulling: %s gave no usable 'next', and paging by added_after does not move past "
                                 "%s (more than %zu objects were added at that time; try a larger --limit); kept "
                                 "the %zu objects of %zu pages",
                                 url, res->resume, limit, res->received, res->pages);
        snprintf(after, sizeof after, "%s", res->resume);
        after_t = resume_t;
        next[0] = '\0';
        prev_sig[0] = '\0';
        res->fallbacks++;
    }
stop:
    return STORM_OK;
}
