/* SPDX-License-Identifier: Apache-2.0 */
/* The line source's state, shared by source_lines.c (splitting lines) and
 * source_follow.c (waiting at end of file, rotation, truncation). */
#ifndef STORM_INGEST_SOURCE_INT_H
#define STORM_INGEST_SOURCE_INT_H

#include <storm/source.h>
#include <sys/types.h>

#define STORM_SOURCE_HEAD_BYTES 4096
#define STORM_SOURCE_TAIL_BYTES 256

struct storm_source {
    storm_source_opts opts;
    char *path; /* owned copy */
    int fd;
    bool is_stdin, is_regular;
    dev_t dev;
    ino_t ino;
    off_t offset; /* bytes consumed from fd so far */
    char *buf;    /* owned; holds buf[start..end) unread bytes, +1 for a NUL */
    size_t cap, start, end;
    uint64_t line_no;
    uint64_t rotations, truncations;
    bool eof; /* non-follow: the fd reported end of file */
    /* follow: what was read at the start of the file and just before offset,
     * to tell a truncated-and-rewritten file (even one now larger than
     * offset) from one that grew: see source_follow.c */
    unsigned char head[STORM_SOURCE_HEAD_BYTES];
    size_t head_len;
    unsigned char tail[STORM_SOURCE_TAIL_BYTES];
    size_t tail_len;
};

/* Record bytes p[0..n) just read at s->offset - n (follow bookkeeping). */
void storm_source_note_read(storm_source *s, const char *p, size_t n);

/* Follow mode at end of file: wait for growth, reopen after rotation, rewind
 * after truncation. Returns STORM_OK when there may be more to read,
 * STORM_ERR_NOTFOUND when following stops, STORM_ERR_IO on failure. *reset is
 * set when the stream restarted (rotation/truncation): a pending partial line
 * belongs to the old stream. */
storm_rc storm_source_follow_wait(storm_source *s, bool *reset, storm_err *err);

/* Follow mode at open: open path read-only, waiting (and saying so once,
 * through opts->waiting) while it does not exist. Returns the fd, or -1 with
 * errno set: ENOENT when stopped or idle_exit_ms passed first. */
int storm_source_follow_open(const char *path, const storm_source_opts *opts);

#endif
