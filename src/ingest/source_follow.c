/* SPDX-License-Identifier: Apache-2.0 */
/* `--follow`: what the line reader does at the end of a regular file. Like
 * `tail -F`: wait for the file to grow; when the path names a new file
 * (rotation: another inode), finish the old one and reopen; when the file
 * shrank below what was read (truncation, copytruncate), start again at 0. */
#include <errno.h>
#include <fcntl.h>
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

storm_rc storm_source_follow_wait(storm_source *s, bool *reset, storm_err *err)
{
    *reset = false;
    unsigned idle = 0;
    for (;;) {
        if (stopped(s))
            return STORM_ERR_NOTFOUND;
        struct stat fst, pst;
        if (fstat(s->fd, &fst) == 0 && fst.st_size < s->offset) {
            /* truncated in place: everything from offset 0 is new */
            if (lseek(s->fd, 0, SEEK_SET) < 0)
                return storm_err_set(err, STORM_ERR_IO, 0, "%s: cannot rewind: %s", s->path, strerror(errno));
            s->offset = 0;
            s->truncations++;
            *reset = true;
            return STORM_OK;
        }
        if (fstat(s->fd, &fst) == 0 && fst.st_size > s->offset)
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
