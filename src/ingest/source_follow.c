/* SPDX-License-Identifier: Apache-2.0 */
/* `--follow`: what the line reader does at the end of a regular file. Like
 * `tail -F`: wait for the file to grow; when the path names a new file
 * (rotation: another inode), finish the old one and reopen; when the file
 * was truncated (copytruncate, `cat new > file`), start again at 0.
 * Truncation is told by size (smaller than what was read) and, because a file
 * truncated and rewritten between two looks may already be larger than the
 * read offset, by content: the first bytes of the file and the bytes just
 * before the offset must still be what was read there. Never silently go on
 * reading a new file's content from an old offset. A path that does not
 * exist yet is waited for, as tail -F does: the sensor may start later. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "source_int.h"

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool stopped(const storm_source *s)
{
    return s->opts.stop && *s->opts.stop;
}

int storm_source_follow_open(const char *path, const storm_source_opts *opts)
{
    unsigned idle = 0;
    for (bool said = false;; said = true) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT)
            return fd;
        if ((opts->stop && *opts->stop) || (opts->idle_exit_ms && idle >= opts->idle_exit_ms)) {
            errno = ENOENT;
            return -1;
        }
        if (!said && opts->waiting)
            opts->waiting(opts->waiting_ctx, path);
        else if (!said)
            fprintf(stderr, "storm: %s does not exist yet: waiting for it to appear (--follow)\n", path);
        sleep_ms(opts->poll_ms);
        idle += opts->poll_ms;
    }
}

void storm_source_note_read(storm_source *s, const char *p, size_t n)
{
    off_t at = s->offset - (off_t)n; /* file offset of p[0] */
    if (at < (off_t)STORM_SOURCE_HEAD_BYTES && (size_t)at == s->head_len) {
        size_t k = STORM_SOURCE_HEAD_BYTES - s->head_len;
        if (k > n)
            k = n;
        memcpy(s->head + s->head_len, p, k);
        s->head_len += k;
    }
    if (n >= STORM_SOURCE_TAIL_BYTES) {
        memcpy(s->tail, p + n - STORM_SOURCE_TAIL_BYTES, STORM_SOURCE_TAIL_BYTES);
        s->tail_len = STORM_SOURCE_TAIL_BYTES;
    } else {
        size_t keep = s->tail_len + n > STORM_SOURCE_TAIL_BYTES ? STORM_SOURCE_TAIL_BYTES - n : s->tail_len;
        memmove(s->tail, s->tail + s->tail_len - keep, keep);
        memcpy(s->tail + keep, p, n);
        s->tail_len = keep + n;
    }
}

static void forget_content(storm_source *s)
{
    s->head_len = s->tail_len = 0;
}

/* Does the file still hold, at 0 and just before offset, what was read there? */
static bool same_content(storm_source *s)
{
    unsigned char tmp[STORM_SOURCE_HEAD_BYTES];
    if (s->head_len) {
        ssize_t n = pread(s->fd, tmp, s->head_len, 0);
        if (n != (ssize_t)s->head_len || memcmp(tmp, s->head, s->head_len) != 0)
            return false;
    }
    if (s->tail_len && s->offset >= (off_t)s->tail_len) {
        ssize_t n = pread(s->fd, tmp, s->tail_len, s->offset - (off_t)s->tail_len);
        if (n != (ssize_t)s->tail_len || memcmp(tmp, s->tail, s->tail_len) != 0)
            return false;
    }
    return true;
}

storm_rc storm_source_follow_wait(storm_source *s, bool *reset, storm_err *err)
{
    *reset = false;
    unsigned idle = 0;
    if (s->opts.idle)
        s->opts.idle(s->opts.idle_ctx);
    for (;;) {
        if (stopped(s))
            return STORM_ERR_NOTFOUND;
        struct stat fst, pst;
        bool have = fstat(s->fd, &fst) == 0;
        if (have && (fst.st_size < s->offset || !same_content(s))) {
            /* truncated in place (and maybe rewritten already): everything
             * from offset 0 is new */
            if (lseek(s->fd, 0, SEEK_SET) < 0)
                return storm_err_set(err, STORM_ERR_IO, 0, "%s: cannot rewind: %s", s->path, strerror(errno));
            s->offset = 0;
            forget_content(s);
            s->truncations++;
            *reset = true;
            return STORM_OK;
        }
        if (have && fst.st_size > s->offset)
            return STORM_OK; /* grew */
        if (stat(s->path, &pst) == 0 && (pst.st_ino != s->ino || pst.st_dev != s->dev)) {
            /* rotated: the old file is read to its end (we are at EOF and it
             * did not grow), switch to the new one */
            int fd = open(s->path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                close(s->fd);
                s->fd = fd;
                s->dev = pst.st_dev;
                s->ino = pst.st_ino;
                s->offset = 0;
                forget_content(s);
                s->rotations++;
                *reset = true;
                return STORM_OK;
            }
        }
        if (s->opts.idle_exit_ms && idle >= s->opts.idle_exit_ms)
            return STORM_ERR_NOTFOUND;
        sleep_ms(s->opts.poll_ms);
        idle += s->opts.poll_ms;
    }
}
