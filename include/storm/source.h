/* SPDX-License-Identifier: Apache-2.0 */
/* Event sources: a file or standard input read line by line (JSON Lines),
 * with a cap on the line length, 1-based line numbers, UTF-8 checking, and
 * `--follow` of a growing file across rotation (a new inode at the path) and
 * truncation. A line longer than the cap is never held whole: its bytes are
 * handed to an optional spill callback as they stream past, then it is
 * reported as too long and reading goes on. */
#ifndef STORM_SOURCE_H
#define STORM_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_SOURCE_DEFAULT_MAX_LINE ((size_t)16 << 20) /* 16 MiB */

/* Receives the bytes of an over-long line as they are skipped: first with
 * the bytes read so far, then each further chunk, finally with n == 0 and
 * end == true at the line's end. */
typedef void (*storm_source_spill_fn)(void *ctx, const char *p, size_t n, bool end);

typedef struct storm_source_opts {
    size_t max_line;             /* longest line accepted, without its newline (0 = default) */
    bool follow;                 /* at end of file, wait for more (regular files) */
    unsigned poll_ms;            /* follow: how often to look for growth (0 = 200 ms) */
    unsigned idle_exit_ms;       /* follow: stop after this long without new data (0 = never) */
    volatile sig_atomic_t *stop; /* follow: stop as soon as *stop is nonzero (signal handlers) */
    storm_source_spill_fn spill; /* may be NULL */
    void *spill_ctx;
    /* follow: a path that does not exist yet is waited for (like tail -F:
     * the sensor may not have written its first event); this is called once
     * when the wait starts. NULL: one line on standard error says so. */
    void (*waiting)(void *ctx, const char *path);
    void *waiting_ctx;
    /* follow: called at the end of the file, each time before waiting for
     * it to grow, so that the reader hands on what it holds (NULL: none) */
    void (*idle)(void *ctx);
    void *idle_ctx;
} storm_source_opts;

typedef enum storm_line_status {
    STORM_LINE_OK = 0,
    STORM_LINE_TOO_LONG, /* longer than max_line: text/len hold nothing, total_len the size */
    STORM_LINE_BAD_UTF8, /* text/len hold the line; bad_offset the first invalid byte */
} storm_line_status;

typedef struct storm_line {
    const char *text; /* the line without "\n" or "\r\n"; NUL-terminated; borrowed until the next call */
    size_t len;
    uint64_t number;    /* 1-based line number in the current file (restarts after rotation/truncation) */
    const char *source; /* the path given, "-" for standard input */
    storm_line_status status;
    size_t total_len;  /* TOO_LONG: bytes of the whole line */
    size_t bad_offset; /* BAD_UTF8: offset of the first invalid byte */
    bool no_newline;   /* the last line of the input had no final newline */
} storm_line;

typedef struct storm_source storm_source;

/* Open path ("-" = standard input). *out is owned by the caller
 * (storm_source_close). STORM_ERR_IO with the reason when it cannot be opened.
 * With opts->follow, a path that does not exist is waited for until it
 * appears, *opts->stop is set or idle_exit_ms pass (then STORM_ERR_IO). */
storm_rc storm_source_open(const char *path, const storm_source_opts *opts, storm_source **out, storm_err *err);
/* The next line. STORM_OK: *line filled (check line->status).
 * STORM_ERR_NOTFOUND: end of input (or follow stopped). STORM_ERR_IO: a read
 * failed (err says why); the source cannot go on. */
storm_rc storm_source_next(storm_source *s, storm_line *line, storm_err *err);
/* Counters since open. */
uint64_t storm_source_rotations(const storm_source *s);   /* follow: reopened after rotation */
uint64_t storm_source_truncations(const storm_source *s); /* follow: restarted after truncation */
void storm_source_close(storm_source *s);

#ifdef __cplusplus
}
#endif
#endif
