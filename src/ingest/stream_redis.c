/* SPDX-License-Identifier: Apache-2.0 */
/* The Redis Streams stream: a consumer of a consumer group (hiredis) over
 * one or more streams, the shards. A Redis group hands each entry to any of
 * its consumers, which would split a pod's events between detectors; so
 * each shard is read by one consumer at a time, the holder of its lease
 * (the key storm:lease:GROUP:STREAM, holding the consumer's name, with a
 * time to live it renews). The live consumers (a sorted set
 * storm:members:GROUP, scored by when each one's membership lapses) share
 * the shards evenly: each takes free shards up to its share and hands back
 * those beyond it. A consumer taking a shard first claims (XAUTOCLAIM) the
 * entries its former owner left pending, in stream order, then reads new
 * ones (XREADGROUP); entries are acknowledged (XACK) at storm_stream_commit
 * only, once their results are in the store. The record is the entry's
 * field "event", or its only field. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <storm/lazy_lib.h>

#include "storm_config.h"
#include "stream_int.h"

/* The hiredis functions this file calls, loaded by the first
 * storm_stream_redis_open. */
#define HIREDIS_FUNCTIONS(X)                                                                                           \
    X(redisConnectWithTimeout)                                                                                         \
    X(redisConnectUnixWithTimeout)                                                                                     \
    X(redisSetTimeout)                                                                                                 \
    X(redisCommand)                                                                                                    \
    X(redisCommandArgv)                                                                                                \
    X(freeReplyObject)                                                                                                 \
    X(redisFree)
typedef struct hiredis_api {
    HIREDIS_FUNCTIONS(STORM_LAZY_FIELD)
} hiredis_api;
static hiredis_api libhiredis;
#define HIREDIS_SYM(fn) STORM_LAZY_SYM(hiredis_api, fn)
static const storm_lazy_sym hiredis_syms[] = {HIREDIS_FUNCTIONS(HIREDIS_SYM)};
static storm_lazy_lib hiredis_lib =
    STORM_LAZY_LIB(STORM_SONAME_HIREDIS, STORM_PACKAGE_HIREDIS, hiredis_syms, &libhiredis);

#define DEFAULT_BATCH 256
#define DEFAULT_LEASE_MS 30000
#define ACK_CHUNK 512
#define MAX_SHARDS 1024

/* compare-and-renew, compare-and-delete, and take-if-free-or-ours */
static const char renew_lua[] =
    "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('pexpire',KEYS[1],ARGV[2]) end return 0";
static const char release_lua[] =
    "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) end return 0";
static const char acquire_lua[] = "local v=redis.call('get',KEYS[1]) if v==false or v==ARGV[1] then "
                                  "redis.call('set',KEYS[1],ARGV[1],'PX',ARGV[2]) return 1 end return 0";

typedef struct redis_shard {
    char *stream;
    char *lease_key;
    bool owned;
    bool claiming;              /* just taken: its former owner's pending entries come first */
    uint64_t seen_ms, seen_seq; /* the highest id handed out (0-0: none) */
    char cursor[STREAM_ID_MAX];
} redis_shard;

typedef struct redis_stream {
    storm_stream base;
    redisContext *c;
    storm_redis_opts opts;
    char *group, *consumer, *members_key;
    redis_shard *shards;
    size_t n_shards, n_owned;
    redisReply *batch; /* the reply the entries handed out come from */
    const redisReply **entries;
    uint32_t *entry_shard;
    size_t n_entries, next_entry, cap_entries;
    bool batch_claimed;
    struct timespec last_maint;
    bool maintained;
    char source[STREAM_ID_MAX + 300];
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
        libhiredis.freeReplyObject(r);
    return rc;
}

static void drop_batch(redis_stream *rs)
{
    if (rs->batch)
        libhiredis.freeReplyObject(rs->batch);
    rs->batch = NULL;
    rs->n_entries = rs->next_entry = 0;
}

static storm_rc push_entry(redis_stream *rs, const redisReply *e, uint32_t shard, storm_err *err)
{
    if (rs->n_entries == rs->cap_entries) {
        size_t cap = rs->cap_entries ? rs->cap_entries * 2 : 512;
        const redisReply **en = realloc(rs->entries, cap * sizeof *en);
        if (en)
            rs->entries = en;
        uint32_t *sh = en ? realloc(rs->entry_shard, cap * sizeof *sh) : NULL;
        if (!en || !sh)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        rs->entry_shard = sh;
        rs->cap_entries = cap;
    }
    rs->entries[rs->n_entries] = e;
    rs->entry_shard[rs->n_entries++] = shard;
    return STORM_OK;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static long long now_ms_wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long eval_int(redis_stream *rs, const char *script, const char *key, const char *arg2, storm_err *err,
                          storm_rc *rc)
{
    redisReply *r = libhiredis.redisCommand(rs->c, "EVAL %s 1 %s %s %s", script, key, rs->consumer, arg2);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        *rc = reply_error(r, rs, "EVAL (shard lease)", err);
        return 0;
    }
    long long v = r->integer;
    libhiredis.freeReplyObject(r);
    return v;
}

/* Give a shard back: first the checkpoint (what is durable is
 * acknowledged), then what is left of it is forgotten here (its next owner
 * claims and replays it), then the lease goes. */
static storm_rc release_shard(redis_stream *rs, size_t i, storm_err *err)
{
    redis_shard *sh = &rs->shards[i];
    if (stream_part_taken(&rs->base, (uint32_t)i) && rs->base.checkpoint)
        rs->base.checkpoint(rs->base.checkpoint_ctx, &rs->base);
    stream_forget_part(&rs->base, (uint32_t)i);
    drop_batch(rs); /* entries of it not handed out stay pending here: claimed by the next owner */
    sh->owned = false;
    rs->n_owned--;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%u", rs->opts.lease_ms);
    storm_rc rc = STORM_OK;
    eval_int(rs, release_lua, sh->lease_key, ttl, err, &rc);
    return rc;
}

/* Every lease_ms / 3: say we are alive, renew our leases (a lease lost is a
 * shard given up at once), hand back shards beyond our share, take free
 * ones up to it. */
static storm_rc maintain(redis_stream *rs, storm_err *err)
{
    if (rs->maintained && ms_since(&rs->last_maint) < rs->opts.lease_ms / 3.0)
        return STORM_OK;
    rs->maintained = true;
    clock_gettime(CLOCK_MONOTONIC, &rs->last_maint);
    long long now = now_ms_wall();
    redisReply *r =
        libhiredis.redisCommand(rs->c, "ZADD %s %lld %s", rs->members_key, now + rs->opts.lease_ms, rs->consumer);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return reply_error(r, rs, "ZADD (group membership)", err);
    libhiredis.freeReplyObject(r);
    r = libhiredis.redisCommand(rs->c, "ZREMRANGEBYSCORE %s -inf %lld", rs->members_key, now);
    if (r)
        libhiredis.freeReplyObject(r);
    r = libhiredis.redisCommand(rs->c, "ZCARD %s", rs->members_key);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return reply_error(r, rs, "ZCARD (group membership)", err);
    size_t live = r->integer > 0 ? (size_t)r->integer : 1;
    libhiredis.freeReplyObject(r);
    size_t share = (rs->n_shards + live - 1) / live;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%u", rs->opts.lease_ms);
    storm_rc rc = STORM_OK;
    for (size_t i = 0; i < rs->n_shards && rc == STORM_OK; i++) {
        redis_shard *sh = &rs->shards[i];
        if (sh->owned && !eval_int(rs, renew_lua, sh->lease_key, ttl, err, &rc) && rc == STORM_OK) {
            fprintf(stderr, "storm: redis: the lease of %s lapsed; another consumer reads it now\n", sh->stream);
            stream_forget_part(&rs->base, (uint32_t)i);
            drop_batch(rs);
            sh->owned = false;
            rs->n_owned--;
        }
    }
    for (size_t i = rs->n_shards; i-- > 0 && rc == STORM_OK && rs->n_owned > share;)
        if (rs->shards[i].owned)
            rc = release_shard(rs, i, err);
    /* start from a place of our own, so that consumers starting together spread */
    size_t start = 0;
    for (const char *p = rs->consumer; *p; p++)
        start = start * 31 + (unsigned char)*p;
    for (size_t k = 0; k < rs->n_shards && rc == STORM_OK && rs->n_owned < share; k++) {
        redis_shard *sh = &rs->shards[(start + k) % rs->n_shards];
        if (sh->owned || !eval_int(rs, acquire_lua, sh->lease_key, ttl, err, &rc) || rc != STORM_OK)
            continue;
        sh->owned = true;
        sh->claiming = true;
        snprintf(sh->cursor, sizeof sh->cursor, "0-0");
        rs->n_owned++;
    }
    return rc;
}

/* XAUTOCLAIM's reply: [cursor, [entry...], (deleted ids)]. */
static storm_rc claim_batch(redis_stream *rs, size_t i, storm_err *err)
{
    redis_shard *sh = &rs->shards[i];
    redisReply *r = libhiredis.redisCommand(rs->c, "XAUTOCLAIM %s %s %s 0 %s COUNT %u", sh->stream, rs->group,
                                            rs->consumer, sh->cursor, rs->opts.batch);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING)
        return reply_error(r, rs, "XAUTOCLAIM", err);
    snprintf(sh->cursor, sizeof sh->cursor, "%s", r->element[0]->str);
    if (strcmp(sh->cursor, "0-0") == 0)
        sh->claiming = false;
    drop_batch(rs);
    rs->batch = r;
    rs->batch_claimed = true;
    const redisReply *entries = r->element[1];
    for (size_t k = 0; entries->type == REDIS_REPLY_ARRAY && k < entries->elements; k++) {
        storm_rc rc = push_entry(rs, entries->element[k], (uint32_t)i, err);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}

static long shard_of(const redis_stream *rs, const char *stream)
{
    for (size_t i = 0; i < rs->n_shards; i++)
        if (strcmp(rs->shards[i].stream, stream) == 0)
            return (long)i;
    return -1;
}

/* Fill the batch: a newly taken shard's pending entries first, then new
 * entries of every shard held. */
static storm_rc fetch(redis_stream *rs, int timeout_ms, storm_err *err)
{
    storm_rc rc = maintain(rs, err);
    if (rc != STORM_OK)
        return rc;
    for (size_t i = 0; i < rs->n_shards; i++)
        if (rs->shards[i].owned && rs->shards[i].claiming) {
            rc = claim_batch(rs, i, err);
            if (rc != STORM_OK || rs->n_entries)
                return rc;
        }
    int block = timeout_ms > 0 ? timeout_ms : 1;
    if (block > (int)(rs->opts.lease_ms / 3))
        block = (int)(rs->opts.lease_ms / 3) > 0 ? (int)(rs->opts.lease_ms / 3) : 1;
    if (!rs->n_owned) {
        struct timespec ts = {block / 1000, (long)(block % 1000) * 1000000};
        nanosleep(&ts, NULL);
        return STORM_ERR_NOTFOUND;
    }
    const char **argv = calloc(9 + 2 * rs->n_owned, sizeof *argv);
    if (!argv)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    char count[16], blockms[16];
    snprintf(count, sizeof count, "%u", rs->opts.batch);
    snprintf(blockms, sizeof blockms, "%d", block);
    int n = 0;
    argv[n++] = "XREADGROUP";
    argv[n++] = "GROUP";
    argv[n++] = rs->group;
    argv[n++] = rs->consumer;
    argv[n++] = "COUNT";
    argv[n++] = count;
    argv[n++] = "BLOCK";
    argv[n++] = blockms;
    argv[n++] = "STREAMS";
    for (size_t i = 0; i < rs->n_shards; i++)
        if (rs->shards[i].owned)
            argv[n++] = rs->shards[i].stream;
    for (size_t i = 0; i < rs->n_owned; i++)
        argv[n++] = ">";
    redisReply *r = libhiredis.redisCommandArgv(rs->c, n, argv, NULL);
    free(argv);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return reply_error(r, rs, "XREADGROUP", err);
    drop_batch(rs);
    rs->batch = r;
    rs->batch_claimed = false;
    /* [[stream, [entry...]]...] (nil when nothing came) */
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
        const redisReply *se = r->element[k];
        if (se->type != REDIS_REPLY_ARRAY || se->elements != 2 || se->element[0]->type != REDIS_REPLY_STRING ||
            se->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        long i = shard_of(rs, se->element[0]->str);
        for (size_t e = 0; i >= 0 && e < se->element[1]->elements; e++)
            if ((rc = push_entry(rs, se->element[1]->element[e], (uint32_t)i, err)) != STORM_OK)
                return rc;
    }
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
    for (int round = 0;; round++) {
        while (rs->next_entry < rs->n_entries) {
            size_t k = rs->next_entry++;
            const redisReply *e = rs->entries[k];
            uint32_t shard = rs->entry_shard[k];
            if (!rs->shards[shard].owned || e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
                e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            const char *id = e->element[0]->str;
            storm_rc rc = stream_note_taken(s, shard, 0, id, err);
            if (rc != STORM_OK)
                return rc;
            unsigned long long ms = 0, seq = 0;
            sscanf(id, "%llu-%llu", &ms, &seq);
            redis_shard *sh = &rs->shards[shard];
            if (ms < sh->seen_ms || (ms == sh->seen_ms && seq <= sh->seen_seq && (ms || seq))) {
                /* a shard given up and taken back: the detector still holds
                 * what it made of this entry, which must not count twice */
                storm_stream_set_time(s, INT64_MIN);
                continue;
            }
            sh->seen_ms = ms;
            sh->seen_seq = seq;
            msg->logged = (storm_time_ns)ms * 1000000;
            if (rs->batch_claimed)
                rs->base.stats.redelivered++;
            const redisReply *rec = entry_record(e->element[1]);
            snprintf(rs->source, sizeof rs->source, "redis:%s@%s", rs->shards[shard].stream, id);
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
        if (round > 0 && !rs->batch_claimed)
            return STORM_ERR_NOTFOUND; /* waited once */
        storm_rc rc = fetch(rs, timeout_ms, err);
        if (rc != STORM_OK)
            return rc;
    }
}

/* XACK per shard, in chunks. */
static storm_rc redis_ack(storm_stream *s, const stream_taken *items, size_t n, storm_err *err)
{
    redis_stream *rs = (redis_stream *)s;
    const char *argv[ACK_CHUNK + 3];
    char(*ids)[STREAM_ID_MAX] = malloc(ACK_CHUNK * sizeof *ids);
    if (!ids)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    for (size_t shard = 0; shard < rs->n_shards; shard++) {
        size_t k = 0;
        for (size_t i = 0; i <= n; i++) {
            bool flush = i == n || k == ACK_CHUNK;
            if (flush && k) {
                argv[0] = "XACK";
                argv[1] = rs->shards[shard].stream;
                argv[2] = rs->group;
                redisReply *r = libhiredis.redisCommandArgv(rs->c, (int)(k + 3), argv, NULL);
                if (!r || r->type == REDIS_REPLY_ERROR) {
                    free(ids);
                    return reply_error(r, rs, "XACK (the entries will be delivered again)", err);
                }
                libhiredis.freeReplyObject(r);
                k = 0;
            }
            if (i < n && items[i].part == shard) {
                argv[3 + k] = stream_taken_id(&items[i], ids[k]);
                k++;
            }
        }
    }
    free(ids);
    return STORM_OK;
}

/* Per shard held: the group's lag (entries not yet delivered, Redis 7)
 * plus its pending entries (delivered, not acknowledged) less those this
 * consumer has taken: what it has still to read, its former owner's
 * pending entries (not claimed yet) included. */
static void redis_lag(storm_stream *s, storm_stream_stats *st)
{
    redis_stream *rs = (redis_stream *)s;
    long long total = 0;
    bool known = rs->n_owned > 0;
    st->partitions = rs->n_owned;
    size_t *taken = calloc(rs->n_shards, sizeof *taken);
    if (!taken) {
        st->lag = -1;
        return;
    }
    for (size_t k = 0; k < s->n_taken; k++)
        if (s->taken[k].part < rs->n_shards)
            taken[s->taken[k].part]++;
    for (size_t i = 0; i < rs->n_shards; i++) {
        if (!rs->shards[i].owned)
            continue;
        redisReply *r = libhiredis.redisCommand(rs->c, "XINFO GROUPS %s", rs->shards[i].stream);
        bool found = false;
        for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
            const redisReply *grp = r->element[g];
            bool ours = false;
            long long lag = -1, pending = 0;
            for (size_t k = 0; grp->type == REDIS_REPLY_ARRAY && k + 1 < grp->elements; k += 2) {
                const redisReply *key = grp->element[k], *v = grp->element[k + 1];
                if (key->type != REDIS_REPLY_STRING)
                    continue;
                if (strcmp(key->str, "name") == 0 && v->type == REDIS_REPLY_STRING)
                    ours = strcmp(v->str, rs->group) == 0;
                else if (strcmp(key->str, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
                    lag = v->integer;
                else if (strcmp(key->str, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
                    pending = v->integer;
            }
            if (ours && lag >= 0) {
                total += lag + pending - (pending > (long long)taken[i] ? (long long)taken[i] : pending);
                found = true;
            }
        }
        if (r)
            libhiredis.freeReplyObject(r);
        known = known && found;
    }
    free(taken);
    st->lag = known ? total : -1;
}

static void redis_close(storm_stream *s)
{
    redis_stream *rs = (redis_stream *)s;
    drop_batch(rs);
    if (rs->c && !rs->c->err) { /* hand the shards over now rather than when the leases lapse */
        storm_err err;
        storm_err_clear(&err);
        for (size_t i = 0; i < rs->n_shards; i++)
            if (rs->shards[i].owned)
                release_shard(rs, i, &err);
        redisReply *r = libhiredis.redisCommand(rs->c, "ZREM %s %s", rs->members_key, rs->consumer);
        if (r)
            libhiredis.freeReplyObject(r);
    }
    if (rs->c)
        libhiredis.redisFree(rs->c);
    for (size_t i = 0; i < rs->n_shards; i++) {
        free(rs->shards[i].stream);
        free(rs->shards[i].lease_key);
    }
    free(rs->shards);
    free(rs->entries);
    free(rs->entry_shard);
    free(rs->group);
    free(rs->consumer);
    free(rs->members_key);
    stream_free_taken(&rs->base);
    free(rs);
}

static const stream_ops redis_ops = {redis_next, redis_ack, redis_lag, redis_close};

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
        rs->c = libhiredis.redisConnectUnixWithTimeout(path, tv);
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
        rs->c = libhiredis.redisConnectWithTimeout(host, port, tv);
    } else
        return storm_err_set(err, STORM_ERR_VALUE, 0, "--redis %s: expected redis://HOST[:PORT][/DB] or unix:PATH",
                             url);
    if (!rs->c)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (rs->c->err)
        return storm_err_set(err, STORM_ERR_IO, 0, "redis %s: %s", url, rs->c->errstr);
    redisReply *r = NULL;
    if (pass[0]) {
        r = user[0] ? libhiredis.redisCommand(rs->c, "AUTH %s %s", user, pass)
                    : libhiredis.redisCommand(rs->c, "AUTH %s", pass);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "AUTH", err);
        libhiredis.freeReplyObject(r);
    }
    if (db) {
        r = libhiredis.redisCommand(rs->c, "SELECT %d", db);
        if (!r || r->type == REDIS_REPLY_ERROR)
            return reply_error(r, rs, "SELECT", err);
        libhiredis.freeReplyObject(r);
    }
    return STORM_OK;
}

static char *key_of(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + (c ? strlen(c) + 1 : 0) + 2;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s%s%s", a, b, c ? ":" : "", c ? c : "");
    return k;
}

storm_rc storm_stream_redis_open(const storm_redis_opts *opts, storm_stream **out, storm_err *err)
{
    *out = NULL;
    if (!opts->url || !opts->n_streams || !opts->group || !*opts->group)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "redis needs a URL, at least one stream and a group");
    if (opts->n_streams > MAX_SHARDS)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "redis: at most %d streams", MAX_SHARDS);
    storm_rc rc = storm_lazy_lib_load(&hiredis_lib, "storm run --redis", err);
    if (rc)
        return rc;
    redis_stream *rs = calloc(1, sizeof *rs);
    if (!rs)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    rs->base.ops = &redis_ops;
    rs->base.stats.lag = -1;
    rs->opts = *opts;
    if (!rs->opts.batch)
        rs->opts.batch = DEFAULT_BATCH;
    if (!rs->opts.lease_ms)
        rs->opts.lease_ms = DEFAULT_LEASE_MS;
    char name[300];
    if (opts->consumer)
        snprintf(name, sizeof name, "%s", opts->consumer);
    else {
        char h[256] = "storm";
        gethostname(h, sizeof h - 1);
        snprintf(name, sizeof name, "%s-%ld", h, (long)getpid());
    }
    rs->group = strdup(opts->group);
    rs->consumer = strdup(name);
    rs->members_key = key_of("storm:members:", opts->group, NULL);
    rs->shards = calloc(opts->n_streams, sizeof *rs->shards);
    if (!rs->group || !rs->consumer || !rs->members_key || !rs->shards)
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; rc == STORM_OK && i < opts->n_streams; i++, rs->n_shards++) {
        rs->shards[i].stream = strdup(opts->streams[i]);
        rs->shards[i].lease_key = key_of("storm:lease:", opts->group, opts->streams[i]);
        if (!rs->shards[i].stream || !rs->shards[i].lease_key)
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    if (rc == STORM_OK)
        rc = connect_url(rs, opts->url, err);
    if (rc == STORM_OK) {
        struct timeval tv = {60, 0}; /* longer than any BLOCK asked */
        libhiredis.redisSetTimeout(rs->c, tv);
    }
    for (size_t i = 0; rc == STORM_OK && i < rs->n_shards; i++) {
        redisReply *r =
            libhiredis.redisCommand(rs->c, "XGROUP CREATE %s %s 0 MKSTREAM", rs->shards[i].stream, rs->group);
        if (!r || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0))
            rc = reply_error(r, rs, "XGROUP CREATE", err);
        else
            libhiredis.freeReplyObject(r);
    }
    if (rc != STORM_OK) {
        redis_close(&rs->base);
        return rc;
    }
    int n = snprintf(rs->base.describe, sizeof rs->base.describe, "redis group %s consumer %s streams", rs->group,
                     rs->consumer);
    for (size_t i = 0; i < rs->n_shards && n > 0 && (size_t)n < sizeof rs->base.describe; i++)
        n += snprintf(rs->base.describe + n, sizeof rs->base.describe - (size_t)n, " %s", rs->shards[i].stream);
    *out = &rs->base;
    return STORM_OK;
}
