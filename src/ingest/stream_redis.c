/* SPDX-License-Identifier: Apache-2.0 */
/* The Redis Streams stream: a consumer of a consumer group (hiredis).
 * Entries are read with XREADGROUP and acknowledged with XACK only at
 * storm_stream_commit, which the caller calls once their results are in
 * the store; until then they stay in the group's pending list. At start
 * the consumer first takes its own pending entries again (a restart under
 * the same name), and whenever it waits it claims (XAUTOCLAIM) entries that
 * other consumers left pending longer than claim_idle_ms: a consumer that
 * died loses nothing. The record is the entry's field "event", or its only
 * field. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "stream_int.h"

#define DEFAULT_BATCH 256
#define DEFAULT_CLAIM_IDLE_MS 30000
#define ACK_CHUNK 512
#define ID_MAX 48 /* "ms-seq": two 64-bit numbers */

typedef enum redis_phase {
    PHASE_OWN_PENDING = 0, /* our own entries delivered before and never acknowledged */
    PHASE_NEW,             /* new entries (and claims of others' stale ones) */
} redis_phase;

typedef struct redis_stream {
    storm_stream base;
    redisContext *c;
    storm_redis_opts opts;
    char *stream, *group, *consumer;
    redisReply *batch;    /* the reply the entries handed out come from */
    redisReply **entries; /* its entries: [id, [field, value, ...]] */
    size_t n_entries, next_entry;
    bool batch_claimed; /* the batch holds entries taken from others or from before */
    redis_phase phase;
    char pending_after[ID_MAX]; /* PHASE_OWN_PENDING: read after this id */
    char (*taken)[ID_MAX];      /* ids taken since the last acknowledgement */
    size_t n_taken, cap_taken;
    struct timespec last_claim;
    char source[ID_MAX + 300];
} redis_stream;

bool storm_stream_have_redis(void)
{
    return true;
}

static storm_rc reply_error(redisReply *r, redis_stream *rs, const char *what, storm_err *err)
{
    storm_rc rc;
    if (!r)
        rc = storm_err_set(err, STORM_ERR_IO, 0, "redis: %s: %s", what, rs->c->errstr[0] ? rs->c->errstr : "no reply");
    else
        rc = storm_err_set(err, STORM_ERR_IO, 0, "redis: %s: %.*s", what, (int)r->len, r->str ? r->str : "");
    if (r)
        freeReplyObject(r);
    return rc;
}

static void drop_batch(redis_stream *rs)
{
    if (rs->batch)
        freeReplyObject(rs->batch);
    rs->batch = NULL;
    rs->entries = NULL;
    rs->n_entries = rs->next_entry = 0;
}

/* XREADGROUP's reply: [[stream, [entry...]]] (nil when none). */
static void take_batch(redis_stream *rs, redisReply *r, bool claimed)
{
    drop_batch(rs);
    rs->batch = r;
    rs->batch_claimed = claimed;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 2 && r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
        rs->entries = r->element[0]->element[1]->element;
        rs->n_entries = r->element[0]->element[1]->elements;
    }
}

static bool taken_has(const redis_stream *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_taken; i++)
        if (strcmp(rs->taken[i], id) == 0)
            return true;
    return false;
}

static storm_rc note_taken(redis_stream *rs, const char *id, storm_err *err)
{
    if (rs->n_taken == rs->cap_taken) {
        size_t cap = rs->cap_taken ? rs->cap_taken * 2 : 1024;
        void *t = realloc(rs->taken, cap * sizeof *rs->taken);
        if (!t)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        rs->taken = t;
        rs->cap_taken = cap;
    }
    snprintf(rs->taken[rs->n_taken++], ID_MAX, "%s", id);
    return STORM_OK;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Claim every entry other consumers left pending for claim_idle_ms
 * (XAUTOCLAIM walks the pending list with a cursor); the claimed entries
 * become the batch. NOTFOUND when there were none. */
static storm_rc claim_stale(redis_stream *rs, storm_err *err)
{
    clock_gettime(CLOCK_MONOTONIC, &rs->last_claim);
    char cursor[ID_MAX] = "0-0";
    for (int rounds = 0; rounds < 64; rounds++) {
        redisReply *r = redisCommand(rs->c, "XAUTOCLAIM %s %s %s %u %s COUNT %u", rs->stream, rs->group, rs->consumer,
                                     rs->opts.claim_idle_ms, cursor, rs->opts.batch);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING)
            return reply_error(r, rs, "XAUTOCLAIM", err);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *entries = r->element[1];
        if (entries->type == REDIS_REPLY_ARRAY && entries->elements) {
            drop_batch(rs);
            rs->batch = r;
            rs->batch_claimed = true;
            rs->entries = entries->element;
            rs->n_entries = entries->elements;
            return STORM_OK;
        }
        freeReplyObject(r);
        if (strcmp(cursor, "0-0") == 0)
            break;
    }
    return STORM_ERR_NOTFOUND;
}

/* Fill the batch: our own old pending entries first, then (at most every
 * claim_idle_ms / 2) others' stale ones, then new entries. */
static storm_rc fetch(redis_stream *rs, int timeout_ms, storm_err *err)
{
    if (rs->phase == PHASE_OWN_PENDING) {
        redisReply *r = redisCommand(rs->c, "XREADGROUP GROUP %s %s COUNT %u STREAMS %s %s", rs->group, rs->consumer,
                                     rs->opts.batch, rs->stream, rs->pending_after);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "XREADGROUP (own pending entries)", err);
        take_batch(rs, r, true);
        if (rs->n_entries)
            return STORM_OK;
        rs->phase = PHASE_NEW;
    }
    if (ms_since(&rs->last_claim) >= rs->opts.claim_idle_ms / 2.0) {
        storm_rc rc = claim_stale(rs, err);
        if (rc != STORM_ERR_NOTFOUND)
            return rc;
    }
    redisReply *r = redisCommand(rs->c, "XREADGROUP GROUP %s %s COUNT %u BLOCK %d STREAMS %s >", rs->group,
                                 rs->consumer, rs->opts.batch, timeout_ms > 0 ? timeout_ms : 1, rs->stream);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return reply_error(r, rs, "XREADGROUP", err);
    take_batch(rs, r, false);
    return rs->n_entries ? STORM_OK : STORM_ERR_NOTFOUND;
}

/* The record of an entry's fields: "event", else the only field. */
static const redisReply *entry_record(const redisReply *fields)
{
    if (!fields || fields->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING && strcmp(fields->element[i]->str, "event") == 0)
            return fields->element[i + 1];
    return fields->elements == 2 ? fields->element[1] : NULL;
}

static storm_rc redis_next(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err)
{
    redis_stream *rs = (redis_stream *)s;
    for (;;) {
        while (rs->next_entry < rs->n_entries) {
            const redisReply *e = rs->entries[rs->next_entry++];
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            const char *id = e->element[0]->str;
            if (rs->batch_claimed && rs->phase == PHASE_NEW && taken_has(rs, id))
                continue; /* our own, still being made durable */
            if (rs->phase == PHASE_OWN_PENDING)
                snprintf(rs->pending_after, sizeof rs->pending_after, "%s", id);
            storm_rc rc = note_taken(rs, id, err);
            if (rc != STORM_OK)
                return rc;
            if (rs->batch_claimed)
                rs->base.stats.redelivered++;
            const redisReply *rec = entry_record(e->element[1]);
            snprintf(rs->source, sizeof rs->source, "redis:%s@%s", rs->stream, id);
            msg->source = rs->source;
            if (!rec || rec->type != REDIS_REPLY_STRING) {
                msg->data = ""; /* deleted from the stream, or no record field: a reject, acknowledged */
                msg->len = 0;
            } else {
                msg->data = rec->str;
                msg->len = rec->len;
            }
            return STORM_OK;
        }
        storm_rc rc = fetch(rs, timeout_ms, err);
        if (rc != STORM_OK)
            return rc;
    }
}

static storm_rc redis_commit(storm_stream *s, storm_err *err)
{
    redis_stream *rs = (redis_stream *)s;
    for (size_t at = 0; at < rs->n_taken; at += ACK_CHUNK) {
        size_t n = rs->n_taken - at < ACK_CHUNK ? rs->n_taken - at : ACK_CHUNK;
        const char *argv[ACK_CHUNK + 3];
        argv[0] = "XACK";
        argv[1] = rs->stream;
        argv[2] = rs->group;
        for (size_t i = 0; i < n; i++)
            argv[3 + i] = rs->taken[at + i];
        redisReply *r = redisCommandArgv(rs->c, (int)(n + 3), argv, NULL);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "XACK (the entries will be delivered again)", err);
        freeReplyObject(r);
    }
    rs->n_taken = 0;
    return STORM_OK;
}

/* The group's lag (entries not yet delivered to any consumer, Redis 7)
 * plus its pending entries (delivered, not acknowledged). */
static void redis_lag(storm_stream *s, storm_stream_stats *st)
{
    redis_stream *rs = (redis_stream *)s;
    redisReply *r = redisCommand(rs->c, "XINFO GROUPS %s", rs->stream);
    if (!r)
        return;
    for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
        const redisReply *grp = r->element[g];
        if (grp->type != REDIS_REPLY_ARRAY)
            continue;
        bool ours = false;
        long long lag = -1, pending = 0;
        for (size_t i = 0; i + 1 < grp->elements; i += 2) {
            const redisReply *k = grp->element[i], *v = grp->element[i + 1];
            if (k->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(k->str, "name") == 0 && v->type == REDIS_REPLY_STRING)
                ours = strcmp(v->str, rs->group) == 0;
            else if (strcmp(k->str, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
                lag = v->integer;
            else if (strcmp(k->str, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
                pending = v->integer;
        }
        if (ours) {
            st->lag = lag >= 0 ? lag + pending : -1;
            break;
        }
    }
    freeReplyObject(r);
}

static void redis_close(storm_stream *s)
{
    redis_stream *rs = (redis_stream *)s;
    drop_batch(rs);
    if (rs->c)
        redisFree(rs->c);
    free(rs->stream);
    free(rs->group);
    free(rs->consumer);
    free(rs->taken);
    free(rs);
}

static const stream_ops redis_ops = {redis_next, redis_commit, redis_lag, redis_close};

/* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:PATH: connect, log
 * in, select the database. */
static storm_rc connect_url(redis_stream *rs, const char *url, storm_err *err)
{
    struct timeval tv = {5, 0};
    char user[256] = "", pass[512] = "", host[256] = "";
    int port = 6379, db = 0;
    if (strncmp(url, "unix:", 5) == 0) {
        const char *path = url + 5;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
        rs->c = redisConnectUnixWithTimeout(path, tv);
    } else if (strncmp(url, "redis://", 8) == 0) {
        const char *p = url + 8, *at = strchr(p, '@');
        if (at) {
            const char *colon = memchr(p, ':', (size_t)(at - p));
            if (!colon || (size_t)(colon - p) >= sizeof user || (size_t)(at - colon - 1) >= sizeof pass)
                return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: expected [USER]:PASSWORD@ before the host",
                                     url);
            snprintf(user, sizeof user, "%.*s", (int)(colon - p), p);
            snprintf(pass, sizeof pass, "%.*s", (int)(at - colon - 1), colon + 1);
            p = at + 1;
        }
        size_t hl = strcspn(p, ":/");
        if (hl == 0 || hl >= sizeof host)
            return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: no host", url);
        snprintf(host, sizeof host, "%.*s", (int)hl, p);
        p += hl;
        char *end = NULL;
        if (*p == ':') {
            long v = strtol(p + 1, &end, 10);
            if (end == p + 1 || v < 1 || v > 65535)
                return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: bad port", url);
            port = (int)v;
            p = end;
        }
        if (*p == '/' && p[1]) {
            long v = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end || v < 0 || v > 1000000)
                return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: bad database number", url);
            db = (int)v;
        } else if (*p && strcmp(p, "/") != 0)
            return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: unexpected '%s'", url, p);
        rs->c = redisConnectWithTimeout(host, port, tv);
    } else
        return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: expected redis://HOST[:PORT][/DB] or unix:PATH",
                             url);
    if (!rs->c)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (rs->c->err)
        return storm_err_set(err, STORM_ERR_IO, 0, "redis %s: %s", url, rs->c->errstr);
    redisReply *r = NULL;
    if (pass[0]) {
        r = user[0] ? redisCommand(rs->c, "AUTH %s %s", user, pass) : redisCommand(rs->c, "AUTH %s", pass);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "AUTH", err);
        freeReplyObject(r);
    }
    if (db) {
        r = redisCommand(rs->c, "SELECT %d", db);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "SELECT", err);
        freeReplyObject(r);
    }
    return STORM_OK;
}

storm_rc storm_stream_redis_open(const storm_redis_opts *opts, storm_stream **out, storm_err *err)
{
    *out = NULL;
    if (!opts->url || !opts->stream || !*opts->stream || !opts->group || !*opts->group)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "redis needs a URL, a stream and a group");
    redis_stream *rs = calloc(1, sizeof *rs);
    if (!rs)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    rs->base.ops = &redis_ops;
    rs->base.stats.lag = -1;
    rs->opts = *opts;
    if (!rs->opts.batch)
        rs->opts.batch = DEFAULT_BATCH;
    if (!rs->opts.claim_idle_ms)
        rs->opts.claim_idle_ms = DEFAULT_CLAIM_IDLE_MS;
    char name[300];
    if (opts->consumer)
        snprintf(name, sizeof name, "%s", opts->consumer);
    else {
        char h[256] = "storm";
        gethostname(h, sizeof h - 1);
        snprintf(name, sizeof name, "%s-%ld", h, (long)getpid());
    }
    rs->stream = strdup(opts->stream);
    rs->group = strdup(opts->group);
    rs->consumer = strdup(name);
    snprintf(rs->pending_after, sizeof rs->pending_after, "0");
    clock_gettime(CLOCK_MONOTONIC, &rs->last_claim);
    rs->last_claim.tv_sec -= 1 + (time_t)(rs->opts.claim_idle_ms / 1000); /* claim at once at start */
    storm_rc rc = !rs->stream || !rs->group || !rs->consumer ? storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory")
                                                             : connect_url(rs, opts->url, err);
    if (rc == STORM_OK) {
        struct timeval tv = {60, 0}; /* longer than any BLOCK asked */
        redisSetTimeout(rs->c, tv);
        redisReply *r = redisCommand(rs->c, "XGROUP CREATE %s %s 0 MKSTREAM", rs->stream, rs->group);
        if (!r || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0))
            rc = reply_error(r, rs, "XGROUP CREATE", err);
        else
            freeReplyObject(r);
    }
    if (rc != STORM_OK) {
        redis_close(&rs->base);
        return rc;
    }
    snprintf(rs->base.describe, sizeof rs->base.describe, "redis stream %s group %s consumer %s", rs->stream, rs->group,
             rs->consumer);
    *out = &rs->base;
    return STORM_OK;
}
