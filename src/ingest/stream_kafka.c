/* SPDX-License-Identifier: Apache-2.0 */
/* The Kafka stream: a member of a consumer group (librdkafka's high-level
 * consumer, cooperative-sticky assignment). Offsets are never committed
 * automatically: storm_stream_commit (stream.c) picks per partition the
 * messages whose results are durable and no longer held by the detector,
 * and this commits the offset after the last of them. When a rebalance
 * takes partitions away, the checkpoint callback makes the results durable
 * and commits first; what is left is forgotten here and replayed by the new
 * owner, as after a consumer's death (harmless: ids are deterministic and
 * the store merges). A partition taken back skips what was handed out
 * before: the detector still holds it. */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/lazy_lib.h>

#include "storm_config.h"
#include "stream_int.h"

/* The librdkafka functions this file calls, loaded by the first
 * storm_stream_kafka_open. */
#define RDKAFKA_FUNCTIONS(X)                                                                                           \
    X(rd_kafka_conf_new)                                                                                               \
    X(rd_kafka_conf_set)                                                                                               \
    X(rd_kafka_conf_destroy)                                                                                           \
    X(rd_kafka_conf_set_log_cb)                                                                                        \
    X(rd_kafka_conf_set_error_cb)                                                                                      \
    X(rd_kafka_conf_set_rebalance_cb)                                                                                  \
    X(rd_kafka_conf_set_opaque)                                                                                        \
    X(rd_kafka_new)                                                                                                    \
    X(rd_kafka_destroy)                                                                                                \
    X(rd_kafka_poll_set_consumer)                                                                                      \
    X(rd_kafka_subscribe)                                                                                              \
    X(rd_kafka_consumer_poll)                                                                                          \
    X(rd_kafka_consumer_close)                                                                                         \
    X(rd_kafka_commit)                                                                                                 \
    X(rd_kafka_assign)                                                                                                 \
    X(rd_kafka_assignment)                                                                                             \
    X(rd_kafka_incremental_assign)                                                                                     \
    X(rd_kafka_incremental_unassign)                                                                                   \
    X(rd_kafka_rebalance_protocol)                                                                                     \
    X(rd_kafka_position)                                                                                               \
    X(rd_kafka_get_watermark_offsets)                                                                                  \
    X(rd_kafka_fatal_error)                                                                                            \
    X(rd_kafka_err2str)                                                                                                \
    X(rd_kafka_error_destroy)                                                                                          \
    X(rd_kafka_message_destroy)                                                                                        \
    X(rd_kafka_message_errstr)                                                                                         \
    X(rd_kafka_message_timestamp)                                                                                      \
    X(rd_kafka_topic_name)                                                                                             \
    X(rd_kafka_topic_partition_list_new)                                                                               \
    X(rd_kafka_topic_partition_list_add)                                                                               \
    X(rd_kafka_topic_partition_list_find)                                                                              \
    X(rd_kafka_topic_partition_list_destroy)
typedef struct rdkafka_api {
    RDKAFKA_FUNCTIONS(STORM_LAZY_FIELD)
} rdkafka_api;
static rdkafka_api librdkafka;
#define RDKAFKA_SYM(fn) STORM_LAZY_SYM(rdkafka_api, fn)
static const storm_lazy_sym rdkafka_syms[] = {RDKAFKA_FUNCTIONS(RDKAFKA_SYM)};
static storm_lazy_lib rdkafka_lib =
    STORM_LAZY_LIB(STORM_SONAME_RDKAFKA, STORM_PACKAGE_RDKAFKA, rdkafka_syms, &librdkafka);

#define DEFAULT_MAX_BUFFERED ((size_t)64 << 20)
#define WARNINGS_SHOWN 20

/* A partition seen, by index (the index is the part of stream_taken). */
typedef struct kafka_part {
    char *topic;
    int32_t partition;
    int64_t seen; /* the highest offset handed out (-1: none) */
    int64_t eof;  /* where its end was reached since it was assigned (-1: not yet): the lag's position when
                     nothing was taken of it (librdkafka knows none then) */
} kafka_part;

typedef struct kafka_stream {
    storm_stream base;
    rd_kafka_t *rk;
    rd_kafka_message_t *cur; /* the message handed out last: freed by the next call */
    kafka_part *parts;
    size_t n_parts;
    char source[300];
    char brokers[256];
    unsigned warnings;
    bool down_said; /* "no broker answers" said since the last message taken */
} kafka_stream;

bool storm_stream_have_kafka(void)
{
    return true;
}

/* The index of a partition (added when new); -1 on OOM. */
static int64_t part_index(kafka_stream *k, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < k->n_parts; i++)
        if (k->parts[i].partition == partition && strcmp(k->parts[i].topic, topic) == 0)
            return (int64_t)i;
    kafka_part *p = realloc(k->parts, (k->n_parts + 1) * sizeof *p);
    if (!p)
        return -1;
    k->parts = p;
    if (!(p[k->n_parts].topic = strdup(topic)))
        return -1;
    p[k->n_parts].partition = partition;
    p[k->n_parts].seen = -1;
    p[k->n_parts].eof = -1;
    return (int64_t)k->n_parts++;
}

/* Commit, per partition, the offset after the last of these messages. */
static storm_rc kafka_ack(storm_stream *s, const stream_taken *items, size_t n, storm_err *err)
{
    kafka_stream *k = (kafka_stream *)s;
    rd_kafka_topic_partition_list_t *offsets = librdkafka.rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < n; i++) {
        const kafka_part *kp = &k->parts[items[i].part];
        rd_kafka_topic_partition_t *tp =
            librdkafka.rd_kafka_topic_partition_list_find(offsets, kp->topic, kp->partition);
        if (!tp)
            tp = librdkafka.rd_kafka_topic_partition_list_add(offsets, kp->topic, kp->partition);
        if (items[i].offset + 1 > tp->offset)
            tp->offset = items[i].offset + 1;
    }
    rd_kafka_resp_err_t e = librdkafka.rd_kafka_commit(k->rk, offsets, 0);
    librdkafka.rd_kafka_topic_partition_list_destroy(offsets);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        return storm_err_set(err, STORM_ERR_IO, 0,
                             "kafka: committing offsets: %s (the messages will be delivered "
                             "again)",
                             librdkafka.rd_kafka_err2str(e));
    return STORM_OK;
}

/* Partitions come and go: before giving any up, the results of what was
 * taken are made durable and committed (else they are forgotten here and
 * the new owner processes them again). */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_stream *k = opaque;
    bool cooperative = strcmp(librdkafka.rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            int64_t idx = part_index(k, parts->elems[i].topic, parts->elems[i].partition);
            if (idx >= 0)
                k->parts[idx].eof = -1;
        }
        if (cooperative)
            librdkafka.rd_kafka_error_destroy(librdkafka.rd_kafka_incremental_assign(rk, parts));
        else
            librdkafka.rd_kafka_assign(rk, parts);
        return;
    }
    if (k->base.n_taken && k->base.checkpoint)
        k->base.checkpoint(k->base.checkpoint_ctx, &k->base);
    for (int i = 0; i < parts->cnt; i++) { /* the new owner replays what is left from the last commit */
        int64_t idx = part_index(k, parts->elems[i].topic, parts->elems[i].partition);
        if (idx >= 0)
            stream_forget_part(&k->base, (uint32_t)idx);
    }
    if (cooperative)
        librdkafka.rd_kafka_error_destroy(librdkafka.rd_kafka_incremental_unassign(rk, parts));
    else
        librdkafka.rd_kafka_assign(rk, NULL);
}

static storm_rc kafka_next(storm_stream *s, storm_stream_msg *msg, int timeout_ms, storm_err *err)
{
    kafka_stream *k = (kafka_stream *)s;
    if (k->cur) {
        librdkafka.rd_kafka_message_destroy(k->cur);
        k->cur = NULL;
    }
    rd_kafka_message_t *m;
again:
    m = librdkafka.rd_kafka_consumer_poll(k->rk, timeout_ms);
    if (!m)
        return STORM_ERR_NOTFOUND;
    if (m->err) {
        char fatal[256];
        bool is_fatal = librdkafka.rd_kafka_fatal_error(k->rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR;
        if (is_fatal) {
            librdkafka.rd_kafka_message_destroy(m);
            return storm_err_set(err, STORM_ERR_IO, 0, "kafka: %s", fatal);
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->rkt) {
            int64_t idx = part_index(k, librdkafka.rd_kafka_topic_name(m->rkt), m->partition);
            if (idx >= 0)
                k->parts[idx].eof = m->offset;
        } else if (k->warnings++ < WARNINGS_SHOWN)
            fprintf(stderr, "storm: kafka: %s%s%s\n", m->rkt ? librdkafka.rd_kafka_topic_name(m->rkt) : "",
                    m->rkt ? ": " : "", librdkafka.rd_kafka_message_errstr(m));
        librdkafka.rd_kafka_message_destroy(m);
        return STORM_ERR_NOTFOUND;
    }
    k->down_said = false; /* a later outage is said again */
    k->cur = m;
    const char *topic = librdkafka.rd_kafka_topic_name(m->rkt);
    int64_t idx = part_index(k, topic, m->partition);
    if (idx < 0)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_rc rc = stream_note_taken(s, (uint32_t)idx, m->offset, NULL, err);
    if (rc != STORM_OK)
        return rc;
    if (m->offset <= k->parts[idx].seen) {
        /* a partition given up and taken back: the detector still holds
         * what it made of this message, which must not count twice */
        storm_stream_set_time(s, INT64_MIN);
        librdkafka.rd_kafka_message_destroy(m);
        k->cur = NULL;
        goto again;
    }
    k->parts[idx].seen = m->offset;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = librdkafka.rd_kafka_message_timestamp(m, &tstype);
    msg->logged = ts > 0 ? (storm_time_ns)ts * 1000000 : 0;
    snprintf(k->source, sizeof k->source, "kafka:%s/%" PRId32 "@%" PRId64, topic, m->partition, m->offset);
    msg->data = m->payload ? m->payload : "";
    msg->len = m->len;
    msg->source = k->source;
    return STORM_OK;
}

/* Lag: for each partition held, the high watermark librdkafka last saw
 * minus the position of this consumer (nothing is asked of the brokers);
 * unknown (-1) until every partition held has been fetched once, so that 0
 * means this consumer has taken everything of its partitions. */
static void kafka_lag(storm_stream *s, storm_stream_stats *st)
{
    kafka_stream *k = (kafka_stream *)s;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (librdkafka.rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return;
    librdkafka.rd_kafka_position(k->rk, parts);
    st->partitions = (uint64_t)parts->cnt;
    int64_t lag = 0;
    bool known = parts->cnt > 0;
    for (int i = 0; i < parts->cnt; i++) {
        int64_t lo = -1, hi = -1;
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (librdkafka.rd_kafka_get_watermark_offsets(k->rk, tp->topic, tp->partition, &lo, &hi) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi < 0) {
            known = false;
            continue;
        }
        int64_t idx = part_index(k, tp->topic, tp->partition);
        int64_t pos = tp->offset;
        if (idx >= 0 && k->parts[idx].eof > pos)
            pos = k->parts[idx].eof;
        if (pos < 0)
            pos = lo; /* nothing read yet: at most this far behind */
        if (pos < 0)
            known = false;
        else if (hi > pos)
            lag += hi - pos;
    }
    librdkafka.rd_kafka_topic_partition_list_destroy(parts);
    st->lag = known ? lag : -1;
}

static void kafka_close(storm_stream *s)
{
    kafka_stream *k = (kafka_stream *)s;
    if (k->cur)
        librdkafka.rd_kafka_message_destroy(k->cur);
    if (k->rk) {
        librdkafka.rd_kafka_consumer_close(k->rk); /* leaves the group: the revoke above commits what is durable */
        librdkafka.rd_kafka_destroy(k->rk);
    }
    for (size_t i = 0; i < k->n_parts; i++)
        free(k->parts[i].topic);
    free(k->parts);
    stream_free_taken(&k->base);
    free(k);
}

static const stream_ops kafka_ops = {kafka_next, kafka_ack, kafka_lag, kafka_close};

static storm_rc set_conf(rd_kafka_conf_t *conf, const char *key, const char *value, storm_err *err)
{
    char errstr[512];
    if (librdkafka.rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "kafka setting %s=%s: %s", key, value, errstr);
    return STORM_OK;
}

/* librdkafka's log lines: errors and warnings only, prefixed like Storm's;
 * a failed broker connection (facility FAIL), which it retries and logs
 * every second, is said once by on_error instead. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level > 4 || strcmp(fac, "FAIL") == 0)
        return;
    fprintf(stderr, "storm: kafka: %s\n", buf);
}

/* Errors librdkafka reports and recovers from itself (it retries): no
 * broker reachable is said once, with what to check, until a message comes. */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    kafka_stream *k = opaque;
    if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
        code == RD_KAFKA_RESP_ERR__RESOLVE) {
        if (!k->down_said)
            fprintf(stderr,
                    "storm: kafka: no broker of %s answers (%s); retrying until one does: is the broker running and "
                    "is --kafka HOST:PORT right?\n",
                    k->brokers, reason);
        k->down_said = true;
        return;
    }
    fprintf(stderr, "storm: kafka: %s\n", reason);
}

storm_rc storm_stream_kafka_open(const storm_kafka_opts *opts, storm_stream **out, storm_err *err)
{
    *out = NULL;
    if (!opts->brokers || !*opts->brokers || !opts->group || !*opts->group || !opts->n_topics)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "kafka needs brokers, at least one topic and a group");
    storm_rc rc = storm_lazy_lib_load(&rdkafka_lib, "storm run --kafka", err);
    if (rc)
        return rc;
    kafka_stream *k = calloc(1, sizeof *k);
    rd_kafka_conf_t *conf = librdkafka.rd_kafka_conf_new();
    if (!k || !conf) {
        free(k);
        if (conf)
            librdkafka.rd_kafka_conf_destroy(conf);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    k->base.ops = &kafka_ops;
    k->base.stats.lag = -1;
    size_t buffered = opts->max_buffered_bytes ? opts->max_buffered_bytes : DEFAULT_MAX_BUFFERED;
    char kbytes[32];
    snprintf(kbytes, sizeof kbytes, "%zu", buffered / 1024 ? buffered / 1024 : 1);
    if ((rc = set_conf(conf, "bootstrap.servers", opts->brokers, err)) != STORM_OK ||
        (rc = set_conf(conf, "group.id", opts->group, err)) != STORM_OK ||
        (rc = set_conf(conf, "enable.auto.commit", "false", err)) != STORM_OK ||
        (rc = set_conf(conf, "enable.auto.offset.store", "false", err)) != STORM_OK ||
        (rc = set_conf(conf, "auto.offset.reset", "earliest", err)) != STORM_OK ||
        /* the end of a partition reached is an event: the lag knows it then */
        (rc = set_conf(conf, "enable.partition.eof", "true", err)) != STORM_OK ||
        /* a member joining or leaving moves only the partitions it must:
         * the others keep theirs, and the detector state built on them */
        (rc = set_conf(conf, "partition.assignment.strategy", "cooperative-sticky", err)) != STORM_OK ||
        (rc = set_conf(conf, "queued.max.messages.kbytes", kbytes, err)) != STORM_OK) {
        librdkafka.rd_kafka_conf_destroy(conf);
        free(k);
        return rc;
    }
    for (size_t i = 0; i < opts->n_config; i++) {
        const char *eq = strchr(opts->config[i], '=');
        if (!eq || eq == opts->config[i]) {
            librdkafka.rd_kafka_conf_destroy(conf);
            free(k);
            return storm_err_set(err, STORM_ERR_VALUE, 0, "kafka setting '%s': expected KEY=VALUE", opts->config[i]);
        }
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - opts->config[i]), opts->config[i]);
        if ((rc = set_conf(conf, key, eq + 1, err)) != STORM_OK) {
            librdkafka.rd_kafka_conf_destroy(conf);
            free(k);
            return rc;
        }
    }
    snprintf(k->brokers, sizeof k->brokers, "%s", opts->brokers);
    librdkafka.rd_kafka_conf_set_log_cb(conf, on_log);
    librdkafka.rd_kafka_conf_set_error_cb(conf, on_error);
    librdkafka.rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    librdkafka.rd_kafka_conf_set_opaque(conf, k);
    char errstr[512];
    k->rk = librdkafka.rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!k->rk) {
        librdkafka.rd_kafka_conf_destroy(conf);
        free(k);
        return storm_err_set(err, STORM_ERR_IO, 0, "kafka: %s", errstr);
    }
    librdkafka.rd_kafka_poll_set_consumer(k->rk);
    rd_kafka_topic_partition_list_t *subs = librdkafka.rd_kafka_topic_partition_list_new((int)opts->n_topics);
    for (size_t i = 0; i < opts->n_topics; i++)
        librdkafka.rd_kafka_topic_partition_list_add(subs, opts->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = librdkafka.rd_kafka_subscribe(k->rk, subs);
    librdkafka.rd_kafka_topic_partition_list_destroy(subs);
    int n = snprintf(k->base.describe, sizeof k->base.describe, "kafka %s group %s topics", opts->brokers, opts->group);
    for (size_t i = 0; i < opts->n_topics && n > 0 && (size_t)n < sizeof k->base.describe; i++)
        n += snprintf(k->base.describe + n, sizeof k->base.describe - (size_t)n, " %s", opts->topics[i]);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        storm_err_set(err, STORM_ERR_IO, 0, "kafka: subscribing to the topics: %s", librdkafka.rd_kafka_err2str(e));
        kafka_close(&k->base);
        return STORM_ERR_IO;
    }
    *out = &k->base;
    return STORM_OK;
}
