/* SPDX-License-Identifier: Apache-2.0 */
/* Line reader for JSON Lines event input (include/storm/source.h). Reads in
 * 64 KiB chunks with read(2); a line is handed out in place (no copy) when it
 * is complete. The buffer grows up to max_line; a longer line is streamed to
 * the spill callback and reported by length, never held whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/utf8.h>
#include "source_int.h"

#define READ_CHUNK ((size_t)256 << 10)

storm_rc storm_source_open(const char *path, const storm_source_opts *opts, storm_source **out, storm_err *err)
{
    *out = NULL;
    storm_source *s = calloc(1, sizeof *s);
    if (!s)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (opts)
        s->opts = *opts;
    if (!s->opts.max_line)
        s->opts.max_line = STORM_SOURCE_DEFAULT_MAX_LINE;
    if (!s->opts.poll_ms)
        s->opts.poll_ms = 200;
    s->path = strdup(path);
    s->is_stdin = strcmp(path, "-") == 0;
    s->fd = s->is_stdin      ? STDIN_FILENO
            : s->opts.follow ? storm_source_follow_open(path, &s->opts)
                             : open(path, O_RDONLY | O_CLOEXEC);
    if (!s->path || s->fd < 0) {
        int e = errno;
        free(s->path);
        free(s);
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st = {0};
    if (fstat(s->fd, &st) == 0) {
        s->is_regular = S_ISREG(st.st_mode);
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    if (S_ISDIR(st.st_mode)) {
        storm_source_close(s);
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: is a directory", path);
    }
    *out = s;
    return STORM_OK;
}

void storm_source_close(storm_source *s)
{
    if (!s)
        return;
    if (!s->is_stdin && s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s->path);
    free(s);
}

uint64_t storm_source_rotations(const storm_source *s)
{
    return s->rotations;
}

uint64_t storm_source_truncations(const storm_source *s)
{
    return s->truncations;
}

/* Read more bytes at buf[end]. >0 bytes read, 0 at end of file, <0 error. */
static ssize_t fill(storm_source *s)
{
    if (s->start > 0 && s->start == s->end)
        s->start = s->end = 0;
    if (s->cap - s->end < READ_CHUNK + 1) {
        if (s->start > 0) { /* compact */
            memmove(s->buf, s->buf + s->start, s->end - s->start);
            s->end -= s->start;
            s->start = 0;
        }
        if (s->cap - s->end < READ_CHUNK + 1) {
            size_t nc = s->cap ? s->cap * 2 : READ_CHUNK * 2;
            while (nc - s->end < READ_CHUNK + 1)
                nc *= 2;
            char *nb = realloc(s->buf, nc);
            if (!nb) {
                errno = ENOMEM;
                return -1;
            }
            s->buf = nb;
            s->cap = nc;
        }
    }
    for (;;) {
        ssize_t n = read(s->fd, s->buf + s->end, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            s->end += (size_t)n;
            s->offset += n;
            if (s->opts.follow)
                storm_source_note_read(s, s->buf + s->end - n, (size_t)n);
        }
        return n;
    }
}

static void spill(storm_source *s, const char *p, size_t n, bool end)
{
    if (s->opts.spill)
        s->opts.spill(s->opts.spill_ctx, p, n, end);
}

static void finish_line(storm_source *s, storm_line *line, char *text, size_t len, bool no_newline)
{
    if (len && text[len - 1] == '\r')
        len--;
    text[len] = '\0';
    memset(line, 0, sizeof *line);
    line->text = text;
    line->len = len;
    line->number = ++s->line_no;
    line->source = s->path;
    line->no_newline = no_newline;
    if (!storm_utf8_valid(text, len)) {
        line->status = STORM_LINE_BAD_UTF8;
        size_t i = 0;
        while (i < len) {
            size_t k = storm_utf8_valid_prefix((const unsigned char *)text + i, len - i);
            if (!k)
                break;
            i += k;
        }
        line->bad_offset = i;
    }
}

/* Skip the rest of an over-long line whose first bytes are buf[start..end). */
static storm_rc skip_long_line(storm_source *s, storm_line *line, storm_err *err)
{
    size_t total = 0;
    for (;;) {
        char *nl = memchr(s->buf + s->start, '\n', s->end - s->start);
        size_t n = nl ? (size_t)(nl - (s->buf + s->start)) : s->end - s->start;
        spill(s, s->buf + s->start, n, false);
        total += n;
        if (nl) {
            s->start += n + 1;
            break;
        }
        s->start = s->end = 0;
        ssize_t r = fill(s);
        if (r < 0)
            return storm_err_set(err, STORM_ERR_IO, 0, "%s: read error: %s", s->path, strerror(errno));
        if (r == 0) {
            bool reset = false;
            if (!s->opts.follow || s->is_stdin || !s->is_regular)
                break;
            storm_rc rc = storm_source_follow_wait(s, &reset, err);
            if (rc == STORM_ERR_NOTFOUND || reset)
                break;
            if (rc)
                return rc;
        }
    }
    spill(s, NULL, 0, true);
    memset(line, 0, sizeof *line);
    line->text = "";
    line->number = ++s->line_no;
    line->source = s->path;
    line->status = STORM_LINE_TOO_LONG;
    line->total_len = total;
    return STORM_OK;
}

storm_rc storm_source_next(storm_source *s, storm_line *line, storm_err *err)
{
    size_t scanned = 0; /* bytes of buf[start..end) known to hold no newline */
    for (;;) {
        char *from = s->buf ? s->buf + s->start + scanned : NULL;
        char *nl = from ? memchr(from, '\n', s->end - s->start - scanned) : NULL;
        if (nl) {
            char *text = s->buf + s->start;
            size_t len = (size_t)(nl - text);
            s->start += len + 1;
            size_t eff = len && text[len - 1] == '\r' ? len - 1 : len;
            if (eff > s->opts.max_line) {
                /* complete but over the cap: report it the same way as a streamed one */
                spill(s, text, len, false);
                spill(s, NULL, 0, true);
                memset(line, 0, sizeof *line);
                line->text = "";
                line->number = ++s->line_no;
                line->source = s->path;
                line->status = STORM_LINE_TOO_LONG;
                line->total_len = len;
                return STORM_OK;
            }
            finish_line(s, line, text, len, false);
            return STORM_OK;
        }
        scanned = s->end - s->start;
        if (scanned > s->opts.max_line + 1)
            return skip_long_line(s, line, err);
        if (s->eof && !s->opts.follow)
            break;
        ssize_t r = fill(s);
        if (r < 0)
            return storm_err_set(err, STORM_ERR_IO, 0, "%s: read error: %s", s->path, strerror(errno));
        if (r > 0)
            continue;
        /* end of file */
        if (!s->opts.follow || s->is_stdin || !s->is_regular) {
            s->eof = true;
            break;
        }
        bool reset = false;
        storm_rc rc = storm_source_follow_wait(s, &reset, err);
        if (reset) {
            /* the partial line belonged to the old stream: hand it out as its last line */
            if (s->end > s->start) {
                char *text = s->buf + s->start;
                size_t len = s->end - s->start;
                s->start = s->end = 0;
                finish_line(s, line, text, len, true);
                s->line_no = 0; /* the new stream starts at line 1 */
                return STORM_OK;
            }
            s->line_no = 0;
            scanned = 0;
        }
        if (rc == STORM_ERR_NOTFOUND) {
            s->eof = true;
            s->opts.follow = false;
            break;
        }
        if (rc)
            return rc;
    }
    if (s->buf && s->end > s->start) { /* last line without a newline */
        char *text = s->buf + s->start;
        size_t len = s->end - s->start;
        s->start = s->end;
        finish_line(s, line, text, len, true);
        return STORM_OK;
    }
    return STORM_ERR_NOTFOUND;
}
