/* SPDX-License-Identifier: Apache-2.0 */
/* storm_stream: the calls every log-engine stream shares, dispatched to
 * its implementation (stream_kafka.c, stream_redis.c). */
#include "stream_int.h"

storm_rc storm_stream_next(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err)
{
    storm_rc rc = s->ops->next(s, msg, timeout_ms, err);
    if (rc == STORM_OK) {
        s->stats.messages++;
        s->stats.bytes += msg->len;
        s->stats.uncommitted++;
    }
    return rc;
}

storm_rc storm_stream_commit(storm_stream *s, storm_err *err)
{
    if (!s->stats.uncommitted)
        return STORM_OK;
    storm_rc rc = s->ops->commit(s, err);
    if (rc == STORM_OK) {
        s->stats.commits++;
        s->stats.uncommitted = 0;
    }
    return rc;
}

void storm_stream_get_stats(storm_stream *s, storm_stream_stats *out)
{
    s->ops->lag(s, &s->stats);
    *out = s->stats;
}

const char *storm_stream_describe(const storm_stream *s)
{
    return s->describe;
}

void storm_stream_close(storm_stream *s)
{
    if (s)
        s->ops->close(s);
}

void storm_stream_set_checkpoint(storm_stream *s, storm_stream_checkpoint_fn fn, void *ctx)
{
    s->checkpoint = fn;
    s->checkpoint_ctx = ctx;
}
