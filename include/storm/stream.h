/* SPDX-License-Identifier: Apache-2.0 */
/* Log-engine event sources for storm run: a Kafka consumer group
 * (librdkafka) and a Redis Streams consumer group (hiredis). Several Storm
 * processes in one group share the work: Kafka splits the topics'
 * partitions among them, Redis hands each entry to one consumer.
 *
 * Both keep the events of one key in one consumer, so that what
 * correlates (a node's, a pod's events) meets in one detector: Kafka by
 * partition (the producer keys by node), Redis by shard (several --stream
 * keys, the producer choosing the stream by node): each shard is read by
 * one consumer at a time, which holds a lease on it (a key with a time to
 * live, renewed while it runs); the consumers of a group share the shards
 * evenly, and a dead consumer's shards go to the others when its leases
 * lapse.
 *
 * Delivery is at least once: a message taken with storm_stream_next stays
 * unacknowledged (Kafka: its offset is not committed; Redis: it stays in
 * the group's pending list) until storm_stream_commit, which the caller
 * calls once the results are durable in the store, and which acknowledges
 * per partition only the messages before the first one whose events are
 * still held by the detector (storm_stream_set_time, `until`). A consumer
 * that dies leaves the rest to be delivered again: Kafka gives its
 * partitions to the others from the last committed offset, and the new
 * owner of a Redis shard claims its pending entries (XAUTOCLAIM); the new
 * owner replays them and rebuilds the same state. Storm's ids are
 * deterministic and the store merges each sighting with its stored version
 * (the larger count, the union of the evidence), so the store ends as if
 * one process had read everything.
 *
 * Not thread-safe: one stream per thread. */
#ifndef STORM_STREAM_H
#define STORM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_stream storm_stream;

/* One message: a sensor record, an array of records or JSON Lines. */
typedef struct storm_stream_msg {
    const char *data; /* borrowed until the next storm_stream_next or storm_stream_close */
    size_t len;
    storm_time_ns logged; /* when it was written to the log (Kafka's timestamp, the Redis id's time; 0: unknown) */
    const char *source;   /* where it came from, for messages: "kafka:TOPIC/PARTITION@OFFSET", "redis:STREAM@ID" */
} storm_stream_msg;

typedef struct storm_stream_stats {
    uint64_t messages;    /* taken */
    uint64_t bytes;       /* of the messages taken */
    uint64_t commits;     /* successful storm_stream_commit calls that acknowledged something */
    uint64_t redelivered; /* Redis: entries claimed from a shard's former owner (or ourselves before a restart) */
    uint64_t partitions;  /* Kafka partitions or Redis shards held now */
    int64_t lag;          /* messages in the log not yet taken by this consumer (-1: not known yet) */
    uint64_t uncommitted; /* taken and not yet acknowledged */
} storm_stream_stats;

typedef struct storm_kafka_opts {
    const char *brokers;       /* bootstrap servers: "host:port,host:port" */
    const char *const *topics; /* n_topics names */
    size_t n_topics;
    const char *group;         /* consumer group id */
    const char *const *config; /* more librdkafka settings, "key=value" each (security.protocol, ...) */
    size_t n_config;
    size_t max_buffered_bytes; /* what librdkafka may prefetch, per consumer (0: 64 MiB) */
} storm_kafka_opts;

typedef struct storm_redis_opts {
    const char *url;            /* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:PATH */
    const char *const *streams; /* the shards' stream keys (n_streams of them) */
    size_t n_streams;
    const char *group;    /* consumer group (created at the stream's start when missing) */
    const char *consumer; /* this consumer's name in the group (NULL: HOSTNAME-PID) */
    unsigned batch;       /* entries per XREADGROUP (0: 256) */
    unsigned lease_ms;    /* a shard's lease lapses this long after its owner stopped renewing it (0: 30000) */
} storm_redis_opts;

/* Is Storm built with Kafka (librdkafka) / Redis (hiredis) support? */
bool storm_stream_have_kafka(void);
bool storm_stream_have_redis(void);

/* Join the group and subscribe. *out owned (storm_stream_close).
 * STORM_ERR_VALUE for a bad setting, STORM_ERR_IO when the service cannot
 * be reached or refuses (err says which and why), STORM_ERR_UNSUPPORTED
 * when Storm was built without the library. */
storm_rc storm_stream_kafka_open(const storm_kafka_opts *opts, storm_stream **out, storm_err *err);
storm_rc storm_stream_redis_open(const storm_redis_opts *opts, storm_stream **out, storm_err *err);

/* The next message, waiting at most timeout_ms. STORM_OK: *msg set.
 * STORM_ERR_NOTFOUND: nothing arrived in time. STORM_ERR_IO: the service
 * failed in a way that will not pass (err says why). */
storm_rc storm_stream_next(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err);
/* The results of the message taken last depend on events up to time t
 * (storm_pipeline_fed_latest). */
void storm_stream_set_time(storm_stream *s, storm_time_ns t);
/* Acknowledge, per partition (shard), the messages taken before its first
 * one with a time at or after until (INT64_MAX: all). Call only once the
 * results of everything taken are durable. STORM_ERR_IO when the service
 * refused; the messages are then delivered again later, which is harmless. */
storm_rc storm_stream_commit(storm_stream *s, storm_time_ns until, storm_err *err);
void storm_stream_get_stats(storm_stream *s, storm_stream_stats *out);
/* Messages taken and not yet acknowledged (cheap: asks no service). */
size_t storm_stream_uncommitted(const storm_stream *s);
/* Called when this consumer is about to give up partitions (a Kafka
 * rebalance, a Redis shard handed to another consumer): make the results
 * durable and call storm_stream_commit; what stays unacknowledged of those
 * partitions is then forgotten here and replayed by the new owner. */
typedef void (*storm_stream_checkpoint_fn)(void *ctx, storm_stream *s);
void storm_stream_set_checkpoint(storm_stream *s, storm_stream_checkpoint_fn fn, void *ctx);
/* What it reads, for messages: "kafka BROKERS topics T group G". */
const char *storm_stream_describe(const storm_stream *s);
/* Leave the group (Kafka: its partitions go to the others at once) and free
 * s. Messages taken and not committed are delivered again. */
void storm_stream_close(storm_stream *s);

#ifdef __cplusplus
}
#endif
#endif
