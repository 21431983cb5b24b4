/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline fed from a log engine (storm run --kafka, --redis): each
 * message is a body (a record, an array, JSON Lines); at each checkpoint
 * the results are made durable first and only then the messages are
 * acknowledged, so that a consumer that dies loses nothing. */
#include <stdio.h>
#include <time.h>

#include "pipeline_int.h"

#define DEFAULT_CHECKPOINT_MESSAGES 1000
#define DEFAULT_CHECKPOINT_MS 1000
#define TICK_MS 100
#define POLL_MS 100
/* messages held unacknowledged at most (a few dozen bytes each): past it,
 * everything durable is acknowledged even if the detector still holds
 * state from it (a consumer dying then loses that state, not the results) */
#define MAX_HELD_MESSAGES ((size_t)1 << 20)

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Results durable, then the acknowledgement of what no held state depends
 * on (the rest is replayed by whoever takes the partition over, rebuilding
 * the same state); a store failure stops the consumer, its messages
 * unacknowledged (delivered again after a restart). */
static storm_rc checkpoint(storm_pipeline *p, storm_stream *s, storm_err *err)
{
    if (!storm_pipeline_checkpoint(p))
        return storm_err_set(err, STORM_ERR_IO, 0,
                             "%s: the store failed (see above): stopping without acknowledging the messages since "
                             "the last checkpoint (they will be delivered again)",
                             storm_stream_describe(s));
    storm_err cerr;
    storm_err_clear(&cerr);
    storm_time_ns until = storm_pipeline_held_since(p);
    if (storm_stream_uncommitted(s) > MAX_HELD_MESSAGES)
        until = INT64_MAX;
    if (storm_stream_commit(s, until, &cerr) != STORM_OK)
        fprintf(stderr, "%s: %s\n", p->opts.prog, cerr.msg); /* harmless: delivered again, merged */
    return STORM_OK;
}

/* The stream asks before it gives partitions up. */
static void checkpoint_for_stream(void *ctx, storm_stream *s)
{
    storm_err err;
    storm_err_clear(&err);
    if (checkpoint(ctx, s, &err) != STORM_OK)
        fprintf(stderr, "%s\n", err.msg);
}

storm_rc storm_pipeline_consume(storm_pipeline *p, storm_stream *s, const storm_pipeline_consume_opts *opts,
                                storm_err *err)
{
    size_t every = opts->checkpoint_messages ? opts->checkpoint_messages : DEFAULT_CHECKPOINT_MESSAGES;
    double every_ms = opts->checkpoint_ms ? opts->checkpoint_ms : DEFAULT_CHECKPOINT_MS;
    storm_stream_set_checkpoint(s, checkpoint_for_stream, p);
    double last_msg = now_ms(), last_check = last_msg, last_tick = last_msg;
    size_t since_check = 0;
    uint64_t taken = 0;
    storm_rc rc = STORM_OK;
    while (!(p->opts.stop && *p->opts.stop)) {
        storm_stream_msg msg;
        storm_err serr;
        storm_err_clear(&serr);
        storm_rc r = storm_stream_next(s, &msg, POLL_MS, &serr);
        double t = now_ms();
        if (r == STORM_OK) {
            storm_pipeline_feed_message(p, msg.source, msg.data, msg.len, msg.logged);
            storm_stream_set_time(s, storm_pipeline_fed_latest(p));
            since_check++;
            taken++;
            last_msg = t;
        } else if (r != STORM_ERR_NOTFOUND) {
            storm_err_set(err, r, 0, "%s", serr.msg);
            rc = r;
            break;
        }
        /* a checkpoint every N messages, every T ms while busy, and at once when the stream runs dry */
        /* (idle too: held messages are acknowledged as the detector lets their state go) */
        if (since_check >= every || t - last_check >= every_ms || (since_check && r == STORM_ERR_NOTFOUND)) {
            if ((rc = checkpoint(p, s, err)) != STORM_OK)
                break;
            since_check = 0;
            last_check = t;
        }
        if (opts->tick && (t - last_tick >= TICK_MS || r == STORM_ERR_NOTFOUND)) {
            opts->tick(opts->tick_ctx, p, s);
            last_tick = t;
        }
        pipeline_report(p);
        if (opts->idle_exit_ms && taken && t - last_msg >= opts->idle_exit_ms)
            break;
    }
    if (rc == STORM_OK && since_check)
        rc = checkpoint(p, s, err);
    storm_stream_set_checkpoint(s, NULL, NULL);
    return rc;
}
