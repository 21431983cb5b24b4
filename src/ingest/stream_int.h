/* SPDX-License-Identifier: Apache-2.0 */
/* What every log-engine stream (stream_kafka.c, stream_redis.c) shares with
 * stream.c: one table of functions behind storm_stream, and the list of
 * messages taken and not yet acknowledged (with the partition each came
 * from and the latest event time it depends on), which stream.c keeps.
 * Private to src/ingest. */
#ifndef STORM_STREAM_INT_H
#define STORM_STREAM_INT_H

#include <storm/stream.h>

#define STREAM_ID_MAX 48 /* a Redis entry id: two 64-bit numbers */

/* One per message held unacknowledged (up to a million of them while the
 * detector holds old state): kept small, 32 bytes. */
typedef struct stream_taken {
    uint32_t part;      /* the implementation's partition (shard) index */
    storm_time_ns time; /* latest event time (INT64_MAX until storm_stream_set_time) */
    union {
        int64_t offset; /* Kafka: the message's offset */
        struct {
            uint64_t ms, seq;
        } id; /* Redis: the entry's id, MS-SEQ (stream_taken_id writes it) */
    };
} stream_taken;

/* A Redis entry id as text, MS-SEQ, in buf (STREAM_ID_MAX bytes). */
const char *stream_taken_id(const stream_taken *t, char *buf);

typedef struct stream_ops {
    storm_rc (*next)(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err);
    /* acknowledge these n messages (in the order taken) */
    storm_rc (*ack)(storm_stream *s, const stream_taken *items, size_t n, storm_err *err);
    void (*lag)(storm_stream *s, storm_stream_stats *st); /* fills lag and partitions */
    void (*close)(storm_stream *s);
} stream_ops;

/* The part every stream starts with (each implementation embeds it first). */
struct storm_stream {
    const stream_ops *ops;
    storm_stream_stats stats;
    char describe[512];
    storm_stream_checkpoint_fn checkpoint; /* may be NULL */
    void *checkpoint_ctx;
    stream_taken *taken; /* in the order taken */
    size_t n_taken, cap_taken;
};

/* Record a message handed out (before it is returned by next): a Kafka
 * offset, or a Redis entry id (MS-SEQ; then offset is ignored). */
storm_rc stream_note_taken(storm_stream *s, uint32_t part, int64_t offset, const char *id, storm_err *err);
/* Forget what was taken of a partition given up (the new owner replays it). */
void stream_forget_part(storm_stream *s, uint32_t part);
/* Was anything of this partition taken and not acknowledged? */
bool stream_part_taken(const storm_stream *s, uint32_t part);
/* Free the list (close). */
void stream_free_taken(storm_stream *s);

#endif
