/* SPDX-License-Identifier: Apache-2.0 */
/* Log-engine event sources for storm run: a Kafka consumer group
 * (librdkafka) and a Redis Streams consumer group (hiredis). Several Storm
 * processes in one group share the work: Kafka splits the topics'
 * partitions among them, Redis hands each entry to one consumer.
 *
 * Delivery is at least once: a message taken with storm_stream_next stays
 * unacknowledged (Kafka: its offset is not committed; Redis: it stays in
 * the group's pending list) until storm_stream_commit, which the caller
 * calls only once the results of everything taken are durable in the
 * store. A consumer that dies before committing leaves its messages to be
 * delivered again: Kafka gives its partitions to the group's other members
 * from the last committed offset, and the other Redis consumers claim its
 * pending entries (XAUTOCLAIM) once they have been idle for claim_idle_ms.
 * Storm's ids are deterministic and the store merges each sighting with its
 * stored version, so processing a message twice changes nothing.
 *
 * Not thread-safe: one stream per thread. */
#ifndef STORM_STREAM_H
#define STORM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_stream storm_stream;

/* One message: a sensor record, an array of records or JSON Lines. */
typedef struct storm_stream_msg {
    const char *data; /* borrowed until the next storm_stream_next or storm_stream_close */
    size_t len;
    const char *source; /* where it came from, for messages: "kafka:TOPIC/PARTITION@OFFSET", "redis:STREAM@ID" */
} storm_stream_msg;

typedef struct storm_stream_stats {
    uint64_t messages;    /* taken */
    uint64_t bytes;       /* of the messages taken */
    uint64_t commits;     /* successful storm_stream_commit calls that acknowledged something */
    uint64_t redelivered; /* Redis: entries claimed from other consumers or re-read from our own pending list */
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
    const char *url;        /* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:PATH */
    const char *stream;     /* stream key */
    const char *group;      /* consumer group (created at the stream's start when missing) */
    const char *consumer;   /* this consumer's name in the group (NULL: HOSTNAME-PID) */
    unsigned batch;         /* entries per XREADGROUP (0: 256) */
    unsigned claim_idle_ms; /* entries pending this long at another consumer are claimed (0: 30000) */
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
/* Acknowledge every message taken so far (call only once their results are
 * durable). STORM_ERR_IO when the service refused; the messages are then
 * delivered again later, which is harmless. */
storm_rc storm_stream_commit(storm_stream *s, storm_err *err);
void storm_stream_get_stats(storm_stream *s, storm_stream_stats *out);
/* Called when this consumer is about to lose messages it has taken (Kafka:
 * a rebalance takes its partitions away): make the results of everything
 * taken durable and return true, and the stream commits them before
 * letting go; false: they are delivered again to the new owner. */
typedef bool (*storm_stream_checkpoint_fn)(void *ctx);
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
