/* SPDX-License-Identifier: Apache-2.0 */
/* The pattern playground: GET /api/pattern/check?pattern=P (the engine's
 * own positioned error, or "never matches" warning), POST
 * /api/pattern/run {"pattern", "run", "max_results", "max_ms"} (match the
 * stored observations, bounded in time, observations read and matches
 * returned) and POST /api/pattern/cancel {"run"} (stop that run at its
 * next observation). */
#include "webapi_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#define RUN_BYTES_MAX ((size_t)256 << 20) /* the observations one run loads at most */

static void put_err(storm_buf *b, const char *name, const storm_err *e)
{
    storm_buf_printf(b, ",\"%s\":{\"message\":", name);
    webapi_str(b, e->msg);
    storm_buf_printf(b, ",\"offset\":%zu,\"length\":%zu,\"line\":%u,\"column\":%u}", e->offset, e->len ? e->len : 1,
                     e->line, e->col);
}

/* Compile and answer the error (400 for the run, 200 for a check) when it fails. */
static storm_pattern *compile(const char *text, size_t len, storm_err *err)
{
    storm_pattern *p = NULL;
    if (storm_pattern_compile(text, len, STORM_SPEC_21, &p, err) != STORM_OK) {
        if (!err->line)
            storm_err_locate(err, text, len);
        return NULL;
    }
    return p;
}

void webapi_get_pattern_check(webapi_call *c)
{
    const char *text = webapi_param(c, "pattern");
    if (!text) {
        webapi_error(c, 400, "pattern= is required");
        return;
    }
    storm_err err = {0};
    storm_pattern *p = compile(text, strlen(text), &err);
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_printf(b, "{\"ok\":%s", p ? "true" : "false");
    if (!p)
        put_err(b, "error", &err);
    else {
        storm_err warn = {0};
        if (storm_pattern_never_matches(p, &warn)) {
            if (!warn.line)
                storm_err_locate(&warn, text, strlen(text));
            put_err(b, "warning", &warn);
        }
    }
    storm_buf_putc(b, '}');
    storm_pattern_free(p);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Claim a slot for run id of user; NULL when all are busy or the id runs. */
static webapi_run_slot *run_begin(storm_webapi *w, const char *id, const char *user)
{
    webapi_run_slot *slot = NULL;
    pthread_mutex_lock(&w->runs_lock);
    for (size_t i = 0; i < WEBAPI_RUNS_MAX; i++) {
        if (w->runs[i].used && strcmp(w->runs[i].id, id) == 0) {
            slot = NULL;
            break;
        }
        if (!w->runs[i].used && !slot)
            slot = &w->runs[i];
    }
    if (slot) {
        slot->used = true;
        snprintf(slot->id, sizeof slot->id, "%s", id);
        snprintf(slot->user, sizeof slot->user, "%s", user);
        atomic_store(&slot->cancel, false);
    }
    pthread_mutex_unlock(&w->runs_lock);
    return slot;
}

static void run_end(storm_webapi *w, webapi_run_slot *slot)
{
    pthread_mutex_lock(&w->runs_lock);
    slot->used = false;
    pthread_mutex_unlock(&w->runs_lock);
}

typedef struct load_ctx {
    storm_value *array;
    storm_arena *arena;
    size_t observed, max_observed, bytes;
    int64_t deadline;
    atomic_bool *cancel;
    bool capped, timed_out, cancelled;
} load_ctx;

static int load_row(void *ctx, const storm_store_row *row)
{
    load_ctx *l = ctx;
    if (atomic_load(l->cancel)) {
        l->cancelled = true;
        return 1;
    }
    if ((l->observed & 255) == 0 && now_ms() > l->deadline) {
        l->timed_out = true;
        return 1;
    }
    bool is_obs = strcmp(row->type, "observed-data") == 0;
    if ((is_obs && l->observed >= l->max_observed) || l->bytes + row->json_len > RUN_BYTES_MAX) {
        l->capped = true;
        return 1;
    }
    storm_value *v = NULL;
    storm_err err = {0};
    if (storm_json_parse(l->arena, row->json, row->json_len, 0, &v, NULL, &err) || !v)
        return 0;
    l->bytes += row->json_len;
    l->observed += is_obs;
    return storm_v_push(l->arena, l->array, v) ? 1 : 0;
}

static bool body_string(const storm_value *body, const char *key, const char **out, size_t *len)
{
    const storm_value *v = storm_v_get(body, key);
    if (!v || v->type != STORM_V_STRING)
        return false;
    *out = v->u.s.ptr;
    *len = v->u.s.len;
    return true;
}

static size_t body_count(const storm_value *body, const char *key, size_t def, size_t max)
{
    const storm_value *v = storm_v_get(body, key);
    if (!v || v->type != STORM_V_INT || v->u.i <= 0)
        return def;
    return (uint64_t)v->u.i > max ? max : (size_t)v->u.i;
}

static bool valid_run_id(const char *s, size_t len)
{
    if (len == 0 || len > WEBAPI_RUN_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* One match: the observed-data and the SCOs it bound, as JSON. */
static void put_match(storm_buf *b, const storm_observation *o, bool first)
{
    storm_buf_puts(b, first ? "{\"observed_data\":" : ",{\"observed_data\":");
    if (o->sdo)
        storm_json_write(b, o->sdo, STORM_JSONW_COMPACT);
    else
        storm_buf_puts(b, "null");
    storm_buf_puts(b, ",\"objects\":[");
    for (size_t k = 0; k < o->n_objects; k++) {
        storm_buf_puts(b, k ? "," : "");
        storm_json_write(b, o->objects[k].value, STORM_JSONW_COMPACT);
    }
    storm_buf_puts(b, "]}");
}

void webapi_post_pattern_run(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_OBSERVATIONS, false))
        return;
    storm_value *body = webapi_body_object(c);
    if (!body)
        return;
    const char *text, *run_id;
    size_t text_len, run_len;
    if (!body_string(body, "pattern", &text, &text_len)) {
        webapi_error(c, 400, "\"pattern\" (a string) is required");
        return;
    }
    if (!body_string(body, "run", &run_id, &run_len) || !valid_run_id(run_id, run_len)) {
        webapi_error(c, 400, "\"run\" is required: an id of 1-%d letters, digits, - or _ (to cancel the run by)",
                     WEBAPI_RUN_ID_MAX);
        return;
    }
    size_t max_results = body_count(body, "max_results", c->w->cfg.run_max_results, c->w->cfg.run_max_results);
    size_t max_ms = body_count(body, "max_ms", c->w->cfg.run_max_ms, c->w->cfg.run_max_ms);
    storm_err err = {0};
    storm_pattern *p = compile(text, text_len, &err);
    if (!p) {
        webapi_error(c, 400, "pattern error at line %u, column %u: %s", err.line, err.col, err.msg);
        return;
    }
    webapi_run_slot *slot = run_begin(c->w, run_id, c->rq->user);
    if (!slot) {
        storm_pattern_free(p);
        webapi_error(c, 429, "run '%.64s' is already running, or %d runs are: wait or cancel one", run_id,
                     WEBAPI_RUNS_MAX);
        return;
    }
    int64_t start = now_ms();
    load_ctx l = {.arena = c->arena,
                  .max_observed = c->w->cfg.run_max_observations,
                  .deadline = start + (int64_t)max_ms,
                  .cancel = &slot->cancel};
    l.array = storm_v_array(c->arena);
    storm_observation *obs = NULL;
    size_t n_obs = 0;
    storm_rc rc = l.array
                      ? webapi_walk(c->rq->store, STORM_COLLECTION_OBSERVATIONS, NULL, 0, 0, load_row, &l, NULL, &err)
                      : STORM_ERR_NOMEM;
    if (!rc && !l.cancelled && !l.timed_out)
        rc = storm_observations_load(c->arena, l.array, STORM_SPEC_21, &obs, &n_obs, &err);
    if (rc) {
        run_end(c->w, slot);
        storm_pattern_free(p);
        webapi_error(c, 500, "loading the observations: %s", err.msg);
        return;
    }
    webapi_json(c);
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"matches\":[");
    size_t scanned = 0, matched = 0, errors = 0;
    bool truncated = false;
    for (size_t i = 0; i < n_obs && !l.cancelled && !l.timed_out; i++) {
        if (atomic_load(&slot->cancel)) {
            l.cancelled = true;
            break;
        }
        if ((i & 63) == 0 && now_ms() > l.deadline) {
            l.timed_out = true;
            break;
        }
        storm_match m = {0};
        storm_err merr = {0};
        scanned++;
        if (storm_pattern_match(p, &obs[i], 1, &m, &merr) != STORM_OK)
            errors++;
        else if (m.matched) {
            if (matched >= max_results) {
                truncated = true;
                storm_match_clear(&m);
                break;
            }
            put_match(b, &obs[i], matched++ == 0);
        }
        storm_match_clear(&m);
    }
    /* A pattern over several observations (FOLLOWEDBY, AND of [...]) never
     * holds on one alone: try it over all of them once. */
    storm_buf_puts(b, "],\"combined\":");
    if (!matched && n_obs && !l.cancelled && !l.timed_out) {
        storm_match m = {0};
        storm_err merr = {0};
        if (storm_pattern_match(p, obs, n_obs, &m, &merr) == STORM_OK && m.matched) {
            storm_buf_putc(b, '[');
            for (size_t k = 0; k < m.n_bound && k < max_results; k++)
                put_match(b, &obs[m.bound[k]], k == 0);
            storm_buf_putc(b, ']');
        } else
            storm_buf_puts(b, "null");
        storm_match_clear(&m);
    } else
        storm_buf_puts(b, "null");
    storm_buf_printf(b,
                     ",\"observations\":%zu,\"scanned\":%zu,\"matched\":%zu,\"errors\":%zu,\"truncated\":%s,"
                     "\"capped\":%s,\"timed_out\":%s,\"cancelled\":%s,\"elapsed_ms\":%lld,\"max_results\":%zu,"
                     "\"max_ms\":%zu}",
                     n_obs, scanned, matched, errors, truncated ? "true" : "false", l.capped ? "true" : "false",
                     l.timed_out ? "true" : "false", l.cancelled ? "true" : "false", (long long)(now_ms() - start),
                     max_results, max_ms);
    run_end(c->w, slot);
    storm_pattern_free(p);
}

void webapi_post_pattern_cancel(webapi_call *c)
{
    storm_value *body = webapi_body_object(c);
    if (!body)
        return;
    const char *run_id;
    size_t run_len;
    if (!body_string(body, "run", &run_id, &run_len) || !valid_run_id(run_id, run_len)) {
        webapi_error(c, 400, "\"run\" is required: the id the run was started with");
        return;
    }
    bool found = false;
    pthread_mutex_lock(&c->w->runs_lock);
    for (size_t i = 0; i < WEBAPI_RUNS_MAX; i++) {
        webapi_run_slot *s = &c->w->runs[i];
        if (s->used && strcmp(s->id, run_id) == 0 && strcmp(s->user, c->rq->user) == 0) {
            atomic_store(&s->cancel, true);
            found = true;
        }
    }
    pthread_mutex_unlock(&c->w->runs_lock);
    webapi_json(c);
    storm_buf_printf(&c->rs->body, "{\"cancelled\":%s}", found ? "true" : "false");
}
