/* SPDX-License-Identifier: Apache-2.0 */
/* The reader: frames records out of files, standard input, a followed file
 * and HTTP bodies. A line (or a body) holds one JSON value: a record or an
 * array of records; an HTTP body that is not one JSON value is JSON Lines,
 * each line on its own. A line that is not JSON may be an entry point's
 * text log line (sshd syslog, HTTP access log: storm_decode_text_line).
 * Blank lines are ignored; over-long lines, invalid UTF-8 and text that is
 * neither are rejects with their position. */
#include <stdio.h>
#include <string.h>

#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/source.h>

#include "pipeline_int.h"

/* storm_err_clear zeroes 540 bytes; per line, only what the parser and the
 * messages read need */
static inline void err_reset(storm_err *e)
{
    e->rc = STORM_OK;
    e->offset = e->len = 0;
    e->line = e->col = 0;
    e->msg[0] = '\0';
}

/* the records of a parsed text: it, or each element of an array */
static size_t records_of(const storm_value *root, const storm_value *const **items)
{
    if (root->type == STORM_V_ARRAY) {
        *items = (const storm_value *const *)root->u.a.items;
        return root->u.a.len;
    }
    *items = NULL;
    return 1;
}

void pipeline_line_parse(storm_arena *a, const char *text, size_t len, storm_time_ns ref_time, bool decode,
                         const storm_decoder *forced, pipeline_line *out)
{
    memset(out, 0, sizeof *out);
    storm_value *root = NULL;
    storm_err err;
    err_reset(&err);
    out->rc = storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, &err);
    if (out->rc == STORM_OK) {
        out->root = root;
    } else {
        out->err_offset = err.offset;
        out->err_msg = storm_arena_strdup(a, err.msg);
        if (!out->err_msg)
            out->err_msg = "out of memory";
        const storm_value *lifted = NULL;
        if (out->rc == STORM_ERR_SYNTAX &&
            storm_decode_text_line(a, text, len, ref_time ? ref_time : storm_time_now(), &lifted) == STORM_OK)
            out->root = lifted; /* a log line of an entry point (sshd, an HTTP server): its record */
    }
    if (!decode || !out->root)
        return;
    const storm_value *const *items;
    size_t n = records_of(out->root, &items);
    pipeline_decoded *recs = n ? storm_arena_alloc(a, n * sizeof *recs) : NULL;
    if (!recs)
        return; /* decoded when fed */
    for (size_t i = 0; i < n; i++)
        pipeline_decode_record(a, items ? items[i] : out->root, forced, &recs[i]);
    out->recs = recs;
    out->n_recs = n;
}

void pipeline_line_feed(storm_pipeline *p, const char *source, uint64_t line, const char *text, size_t len,
                        const pipeline_line *ln)
{
    p->st.bytes_read += len + 1;
    p->st.records_read++;
    p->line_set_aside = false;
    if (ln->root) {
        p->text_events = 0;
        const storm_value *const *items;
        size_t n = records_of(ln->root, &items);
        for (size_t i = 0; i < n; i++) {
            const storm_value *rec = items ? items[i] : ln->root;
            if (ln->recs)
                pipeline_record_decoded(p, rec, &ln->recs[i], source, line, text, len);
            else
                pipeline_record_in_text(p, rec, source, line, text, len);
        }
    } else {
        p->st.events_read++;
        p->sensor = pipeline_sensor_of(p, "unknown");
        p->sensor->st.events_read++;
        if (ln->rc == STORM_ERR_NOMEM)
            pipeline_reject(p, source, line, 0, text, len, "record too large to decode (%zu bytes)", len);
        else if (text[0] != '{' && text[0] != '[')
            pipeline_reject(p, source, line, ln->err_offset + 1, text, len,
                            "invalid JSON: %s (nor an sshd or HTTP access log line)", ln->err_msg);
        else
            pipeline_reject(p, source, line, ln->err_offset + 1, text, len, "invalid JSON: %s", ln->err_msg);
    }
    pipeline_after_record(p);
}

void storm_pipeline_feed_text(storm_pipeline *p, const char *source, uint64_t line, const char *text, size_t len)
{
    /* --workers: the line is parsed and decoded by the workers, and fed
     * here (pipeline_line_feed) in input order */
    if (p->workers && pipeline_workers_line(p, source, line, text, len))
        return;
    if (p->workers) /* its events outlive the line: they go to the shards */
        text = pipeline_workers_text(p, text, len);
    pipeline_line ln;
    pipeline_line_parse(p->arena, text, len, p->source_time, false, NULL, &ln);
    pipeline_line_feed(p, source, line, text, len, &ln);
}

/* over-long lines stream past: copy them to the rejects sink as they go */
static void spill_reject(void *ctx, const char *s, size_t n, bool end)
{
    storm_pipeline *p = ctx;
    if (!p->sinks.rejects)
        return;
    pipeline_workers_settle(p); /* after the lines before it */
    if (end)
        fputc('\n', p->sinks.rejects);
    else if (n)
        fwrite(s, 1, n, p->sinks.rejects);
}

/* A followed file has nothing more for now: what was read is matched, its
 * output written (the held updates too: sink_held.c) and the store's batch
 * committed, as with a drained --listen queue, not held until 16384 more
 * records come. */
static void on_source_idle(void *ctx)
{
    storm_pipeline *p = ctx;
    if (p->workers)
        pipeline_workers_idle(p);
    else
        storm_pipeline_sync(p);
}

storm_rc storm_pipeline_feed_source(storm_pipeline *p, const char *path, bool follow, storm_err *err)
{
    storm_source_opts so = {0};
    so.max_line = p->opts.max_line;
    so.follow = follow;
    so.idle_exit_ms = p->opts.follow_idle_ms;
    so.stop = p->opts.stop;
    so.spill = spill_reject;
    so.spill_ctx = p;
    so.idle = on_source_idle;
    so.idle_ctx = p;
    storm_source *src = NULL;
    storm_rc rc = storm_source_open(path, &so, &src, err);
    if (rc != STORM_OK)
        return rc;
    pipeline_workers_settle(p); /* the earlier sources' lines fed with their own times */
    pipeline_progress_source(p, path, true);
    if (follow)
        p->progress_size = 0; /* it grows: no percentage */
    /* Records without any time get the file's modification time: stable
     * when the same file is read again (the ids depend on it), and no later
     * than the record itself; standard input gets the time of the run. A
     * stream (DATE_LAST_EVENT) then goes on with the last event time. */
    storm_time_ns mtime = storm_file_mtime(path, storm_time_now());
    p->source_time = mtime;
    if (p->last_time == 0)
        p->last_time = mtime;
    size_t max_line = p->opts.max_line ? p->opts.max_line : STORM_SOURCE_DEFAULT_MAX_LINE;
    storm_line ln;
    for (;;) {
        storm_rc r = storm_source_next(src, &ln, err);
        if (r == STORM_ERR_NOTFOUND)
            break;
        if (r != STORM_OK) {
            rc = r;
            break;
        }
        if (ln.status != STORM_LINE_OK)
            pipeline_workers_settle(p); /* counted and set aside after the lines before it */
        if (ln.status == STORM_LINE_TOO_LONG) {
            p->st.records_read++;
            p->st.events_read++;
            p->st.bytes_read += ln.total_len;
            p->sensor = pipeline_sensor_of(p, "unknown");
            p->sensor->st.events_read++;
            p->line_set_aside = true; /* spilled already */
            pipeline_reject(p, ln.source, ln.number, 0, NULL, 0, "line too long (%zu bytes; the limit is %zu)",
                            ln.total_len, max_line);
            continue;
        }
        if (ln.status == STORM_LINE_BAD_UTF8) {
            p->st.records_read++;
            p->st.events_read++;
            p->sensor = pipeline_sensor_of(p, "unknown");
            p->sensor->st.events_read++;
            p->line_set_aside = false;
            pipeline_reject(p, ln.source, ln.number, ln.bad_offset + 1, ln.text, ln.len, "invalid UTF-8");
            continue;
        }
        size_t s = 0, e = ln.len;
        while (s < e && (ln.text[s] == ' ' || ln.text[s] == '\t'))
            s++;
        while (e > s && (ln.text[e - 1] == ' ' || ln.text[e - 1] == '\t' || ln.text[e - 1] == '\r'))
            e--;
        if (s == e)
            continue; /* blank line */
        storm_pipeline_feed_text(p, ln.source, ln.number, ln.text + s, e - s);
        if (p->sink_rc != STORM_OK) {
            *err = p->sink_err;
            rc = p->sink_rc;
            break;
        }
        if (p->opts.stop && *p->opts.stop)
            break;
    }
    pipeline_workers_settle(p); /* the lines read fed before the source goes */
    p->st.source_rotations += storm_source_rotations(src);
    p->st.source_truncations += storm_source_truncations(src);
    storm_source_close(src);
    pipeline_progress_source(p, path, false);
    return rc;
}

/* A body whose untimed events are dated `untimed` (DATE_SOURCE dating). */
static void feed_body_here(storm_pipeline *p, const char *source, const char *body, size_t len, storm_time_ns untimed)
{
    p->fed_latest = INT64_MIN;
    if (p->last_time == 0)
        p->last_time = untimed;
    p->source_time = untimed;
    storm_value *root = NULL;
    storm_err err;
    err_reset(&err);
    if (storm_json_parse(p->arena, body, len, STORM_JSON_DEFAULT, &root, NULL, &err) == STORM_OK) {
        p->st.bytes_read += len;
        p->st.records_read++;
        p->line_set_aside = false;
        p->text_events = 0;
        if (root->type == STORM_V_ARRAY) {
            /* each element its own record: ids from its canonical JSON, not
             * from the whole body (which would cost O(N^2) to hash) */
            for (size_t i = 0; i < root->u.a.len; i++) {
                p->line_set_aside = false;
                p->text_events = 0;
                pipeline_record_in_text(p, root->u.a.items[i], source, i + 1, NULL, 0);
            }
        } else {
            pipeline_record_in_text(p, root, source, 1, body, len);
        }
        pipeline_after_record(p);
        return;
    }
    pipeline_arena_reset(p);
    size_t off = 0, n;
    uint64_t line = 0;
    const char *text;
    while (storm_json_lines_next(body, len, &off, &line, &text, &n))
        storm_pipeline_feed_text(p, source, line, text, n);
}

/* --workers: a body is decoded by the reader (its records numbered and
 * dated by the body, its latest time asked for right after). */
static void feed_body(storm_pipeline *p, const char *source, const char *body, size_t len, storm_time_ns untimed)
{
    pipeline_workers_direct(p, true);
    feed_body_here(p, source, body, len, untimed);
    pipeline_workers_direct(p, false);
}

void storm_pipeline_feed_body(storm_pipeline *p, const char *source, const char *body, size_t len)
{
    feed_body(p, source, body, len, storm_time_now());
}

void storm_pipeline_feed_message(storm_pipeline *p, const char *source, const char *data, size_t len,
                                 storm_time_ns logged)
{
    if (logged <= 0) {
        feed_body(p, source, data, len, storm_time_now());
        return;
    }
    /* untimed events get the message's own time: the same whoever reads it,
     * in whatever order (a replay by another consumer gives the same ids) */
    storm_pipeline_dating dating = p->opts.dating;
    p->opts.dating = STORM_PIPELINE_DATE_SOURCE;
    feed_body(p, source, data, len, logged);
    p->opts.dating = dating;
}
