/* SPDX-License-Identifier: Apache-2.0 */
/* The intake's spool: every body the HTTP intake acknowledges is first
 * appended to this file, so that an acknowledged event outlives the process
 * (SIGKILL, a crash, the OOM killer). Format: a 16-byte header ("STORMSP1"
 * and a little-endian 64-bit generation), then per body a little-endian
 * 64-bit length and the body's bytes. A position "GEN:OFFSET" names the end
 * of the last body whose results are committed; the file is emptied (and
 * its generation advanced) once everything in it is processed, so a stored
 * position of an older generation means "every body of the file is new". */
#include "intake_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_MAGIC "STORMSP1"
#define SPOOL_HEADER 16

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *s = p;
    while (n) {
        ssize_t r = read(fd, s, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        s += r;
        n -= (size_t)r;
    }
    return true;
}

void intake_spool_position(uint64_t gen, uint64_t end, char out[STORM_INTAKE_POSITION_MAX])
{
    snprintf(out, STORM_INTAKE_POSITION_MAX, "%" PRIu64 ":%" PRIu64, gen, end);
}

/* "" or anything unreadable: generation 0 (matches no file). */
static void parse_position(const char *s, uint64_t *gen, uint64_t *end)
{
    *gen = *end = 0;
    if (s && sscanf(s, "%" SCNu64 ":%" SCNu64, gen, end) != 2)
        *gen = *end = 0;
}

static storm_rc open_locked(const char *path, int *fd, storm_err *err)
{
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return storm_err_set(err, STORM_ERR_IO, 0, "spool %s: cannot open: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return storm_err_set(err, STORM_ERR_STATE, 0, "spool %s: %s", path,
                             e == EWOULDBLOCK ? "another storm run --listen uses it (the same --db)" : strerror(e));
    }
    return STORM_OK;
}

/* The generation in the header, 0 when the file has none (new, empty or torn). */
static uint64_t header_gen(int fd)
{
    unsigned char h[SPOOL_HEADER];
    if (lseek(fd, 0, SEEK_SET) != 0 || !read_all(fd, h, sizeof h) || memcmp(h, SPOOL_MAGIC, 8) != 0)
        return 0;
    return get_u64(h + 8);
}

storm_rc intake_spool_reset(intake_spool *sp, storm_err *err)
{
    unsigned char h[SPOOL_HEADER];
    memcpy(h, SPOOL_MAGIC, 8);
    put_u64(h + 8, sp->gen + 1);
    /* emptied first: a crash between the two leaves an empty file, which
     * holds nothing to replay */
    if (ftruncate(sp->fd, 0) != 0 || lseek(sp->fd, 0, SEEK_SET) != 0 || !write_all(sp->fd, h, sizeof h))
        return storm_err_set(err, STORM_ERR_IO, 0, "spool: cannot reset: %s", strerror(errno));
    sp->gen++;
    sp->end = SPOOL_HEADER;
    return STORM_OK;
}

storm_rc intake_spool_open(intake_spool *sp, const char *path, storm_err *err)
{
    sp->fd = -1;
    storm_rc rc = open_locked(path, &sp->fd, err);
    if (rc != STORM_OK)
        return rc;
    sp->gen = header_gen(sp->fd);
    /* what the file held was replayed and committed before this (see
     * storm_intake_spool_replay): start a new generation */
    rc = intake_spool_reset(sp, err);
    if (rc != STORM_OK) {
        close(sp->fd);
        sp->fd = -1;
    }
    return rc;
}

void intake_spool_close(intake_spool *sp)
{
    if (sp->fd >= 0)
        close(sp->fd);
    sp->fd = -1;
}

storm_rc intake_spool_append(intake_spool *sp, const char *body, size_t len, storm_err *err)
{
    unsigned char h[8];
    put_u64(h, len);
    if (lseek(sp->fd, (off_t)sp->end, SEEK_SET) < 0 || !write_all(sp->fd, h, sizeof h) ||
        !write_all(sp->fd, body, len)) {
        int e = errno;
        if (ftruncate(sp->fd, (off_t)sp->end) != 0) { /* a torn record is cut at the next start anyway */
        }
        return storm_err_set(err, STORM_ERR_IO, 0, "cannot write the spool: %s", strerror(e ? e : EIO));
    }
    sp->end += sizeof h + len;
    return STORM_OK;
}

storm_rc storm_intake_spool_replay(const char *path, const char *position, size_t max_body, storm_intake_spool_fn fn,
                                   void *ctx, uint64_t *replayed, storm_err *err)
{
    *replayed = 0;
    int fd = -1;
    storm_rc rc = open_locked(path, &fd, err);
    if (rc != STORM_OK)
        return rc;
    uint64_t gen = header_gen(fd), pgen, pend;
    parse_position(position, &pgen, &pend);
    struct stat st;
    uint64_t size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    /* the same generation: resume after the last committed body; an older
     * one: every body of this generation is new */
    uint64_t off = gen && pgen == gen && pend >= SPOOL_HEADER ? pend : SPOOL_HEADER;
    char *body = NULL;
    size_t cap = 0;
    while (gen && off + 8 <= size) {
        unsigned char h[8];
        if (lseek(fd, (off_t)off, SEEK_SET) < 0 || !read_all(fd, h, sizeof h))
            break;
        uint64_t len = get_u64(h);
        if (len > max_body || off + 8 + len > size)
            break; /* torn at the end: killed while writing it, so never acknowledged */
        if (len + 1 > cap) {
            char *nb = realloc(body, len + 1);
            if (!nb) {
                rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "spool %s: out of memory", path);
                break;
            }
            body = nb;
            cap = len + 1;
        }
        if (!read_all(fd, body, len)) {
            rc = storm_err_set(err, STORM_ERR_IO, 0, "spool %s: cannot read: %s", path, strerror(errno));
            break;
        }
        body[len] = '\0';
        off += 8 + len;
        char pos[STORM_INTAKE_POSITION_MAX];
        intake_spool_position(gen, off, pos);
        fn(ctx, body, len, pos);
        ++*replayed;
    }
    free(body);
    close(fd);
    return rc;
}
