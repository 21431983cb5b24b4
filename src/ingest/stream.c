/* SPDX-License-Identifier: Apache-2.0 */
/* storm_stream: the calls every log-engine stream shares, dispatched to
 * its implementation (stream_kafka.c, stream_redis.c), and the list of
 * messages taken and not acknowledged, from which storm_stream_commit picks
 * per partition the prefix whose events the detector no longer holds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_int.h"

storm_rc stream_note_taken(storm_stream *s, uint32_t part, int64_t offset, const char *id, storm_err *err)
{
    if (s->n_taken == s->cap_taken) {
        size_t cap = s->cap_taken ? s->cap_taken * 2 : 1024;
        stream_taken *t = realloc(s->taken, cap * sizeof *t);
        if (!t)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        s->taken = t;
        s->cap_taken = cap;
    }
    stream_taken *e = &s->taken[s->n_taken++];
    e->part = part;
    e->time = INT64_MAX;
    if (id) {
        unsigned long long ms = 0, seq = 0;
        sscanf(id, "%llu-%llu", &ms, &seq);
        e->id.ms = ms;
        e->id.seq = seq;
    } else
        e->offset = offset;
    s->stats.uncommitted = s->n_taken;
    return STORM_OK;
}

const char *stream_taken_id(const stream_taken *t, char *buf)
{
    snprintf(buf, STREAM_ID_MAX, "%llu-%llu", (unsigned long long)t->id.ms, (unsigned long long)t->id.seq);
    return buf;
}

void stream_forget_part(storm_stream *s, uint32_t part)
{
    size_t o = 0;
    for (size_t i = 0; i < s->n_taken; i++)
        if (s->taken[i].part != part)
            s->taken[o++] = s->taken[i];
    s->n_taken = o;
    s->stats.uncommitted = o;
}

bool stream_part_taken(const storm_stream *s, uint32_t part)
{
    for (size_t i = 0; i < s->n_taken; i++)
        if (s->taken[i].part == part)
            return true;
    return false;
}

void stream_free_taken(storm_stream *s)
{
    free(s->taken);
    s->taken = NULL;
    s->n_taken = s->cap_taken = 0;
}

storm_rc storm_stream_next(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err)
{
    storm_rc rc = s->ops->next(s, msg, timeout_ms, err);
    if (rc == STORM_OK) {
        s->stats.messages++;
        s->stats.bytes += msg->len;
    }
    return rc;
}

void storm_stream_set_time(storm_stream *s, storm_time_ns t)
{
    if (s->n_taken)
        s->taken[s->n_taken - 1].time = t;
}

/* Per partition: is the message before its first one still depended on
 * (blocked: then it and all after it in that partition stay)? */
static bool acknowledged(const stream_taken *e, storm_time_ns until, bool *blocked)
{
    if (!blocked[e->part] && (until == INT64_MAX || e->time < until))
        return true;
    blocked[e->part] = true;
    return false;
}

storm_rc storm_stream_commit(storm_stream *s, storm_time_ns until, storm_err *err)
{
    if (!s->n_taken)
        return STORM_OK;
    uint32_t max_part = 0;
    for (size_t i = 0; i < s->n_taken; i++)
        if (s->taken[i].part > max_part)
            max_part = s->taken[i].part;
    bool *blocked = calloc((size_t)max_part + 1, sizeof *blocked);
    size_t n_ack = 0;
    for (size_t i = 0; blocked && i < s->n_taken; i++)
        n_ack += acknowledged(&s->taken[i], until, blocked);
    /* what is acknowledged is copied out (the rest stays where it is) */
    stream_taken *ack = blocked && n_ack ? malloc(n_ack * sizeof *ack) : NULL;
    if (!blocked || (n_ack && !ack)) {
        free(blocked);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    memset(blocked, 0, ((size_t)max_part + 1) * sizeof *blocked);
    for (size_t i = 0, k = 0; k < n_ack && i < s->n_taken; i++)
        if (acknowledged(&s->taken[i], until, blocked))
            ack[k++] = s->taken[i];
    storm_rc rc = n_ack ? s->ops->ack(s, ack, n_ack, err) : STORM_OK;
    free(ack);
    if (rc == STORM_OK && n_ack) { /* else all stays taken: delivered again later, harmless */
        memset(blocked, 0, ((size_t)max_part + 1) * sizeof *blocked);
        size_t o = 0;
        for (size_t i = 0; i < s->n_taken; i++)
            if (!acknowledged(&s->taken[i], until, blocked))
                s->taken[o++] = s->taken[i];
        s->n_taken = o;
        s->stats.uncommitted = o;
        s->stats.commits++;
    }
    free(blocked);
    return rc;
}

void storm_stream_get_stats(storm_stream *s, storm_stream_stats *out)
{
    s->ops->lag(s, &s->stats);
    *out = s->stats;
}

size_t storm_stream_uncommitted(const storm_stream *s)
{
    return s->n_taken;
}

const char *storm_stream_describe(const storm_stream *s)
{
    return s->describe;
}

void storm_stream_set_checkpoint(storm_stream *s, storm_stream_checkpoint_fn fn, void *ctx)
{
    s->checkpoint = fn;
    s->checkpoint_ctx = ctx;
}

void storm_stream_close(storm_stream *s)
{
    if (s)
        s->ops->close(s);
}
