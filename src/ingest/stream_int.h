/* SPDX-License-Identifier: Apache-2.0 */
/* What every log-engine stream (stream_kafka.c, stream_redis.c) gives
 * stream.c: one table of functions behind storm_stream. Private to
 * src/ingest. */
#ifndef STORM_STREAM_INT_H
#define STORM_STREAM_INT_H

#include <storm/stream.h>

typedef struct stream_ops {
    storm_rc (*next)(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err);
    storm_rc (*commit)(storm_stream *s, storm_err *err);
    void (*lag)(storm_stream *s, storm_stream_stats *st); /* fills lag (and may refresh it) */
    void (*close)(storm_stream *s);
} stream_ops;

/* The part every stream starts with (each implementation embeds it first). */
struct storm_stream {
    const stream_ops *ops;
    storm_stream_stats stats;
    char describe[512];
    storm_stream_checkpoint_fn checkpoint; /* may be NULL */
    void *checkpoint_ctx;
};

#endif
