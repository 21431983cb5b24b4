/* SPDX-License-Identifier: Apache-2.0 */
/* The --listen spool's reader (storm_intake_spool_replay): bodies after the
 * committed position, in order, each with its own end; a position of an
 * older generation means every body is new; a torn last body (killed while
 * writing it, so never acknowledged) is left out; a second holder of the
 * spool is refused. The files are written here byte by byte, in the format
 * src/ingest/intake_spool.c documents. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <storm/intake.h>

#include "test.h"

typedef struct seen {
    char bodies[8][32];
    char positions[8][STORM_INTAKE_POSITION_MAX];
    size_t n;
} seen;

static void on_body(void *ctx, const char *body, size_t len, const char *position)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->bodies[s->n], sizeof s->bodies[0], "%.*s", (int)len, body);
        snprintf(s->positions[s->n], sizeof s->positions[0], "%s", position);
    }
    s->n++;
}

static void put_u64(FILE *f, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        fputc((int)(v >> (8 * i) & 0xff), f);
}

/* A spool of generation gen holding bodies; torn: a last body cut short. */
static void write_spool(const char *path, uint64_t gen, const char *const *bodies, size_t n, bool torn)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite("STORMSP1", 1, 8, f);
    put_u64(f, gen);
    for (size_t i = 0; i < n; i++) {
        put_u64(f, strlen(bodies[i]));
        fwrite(bodies[i], 1, strlen(bodies[i]), f);
    }
    if (torn) {
        put_u64(f, 100);
        fwrite("{\"cut", 1, 5, f);
    }
    fclose(f);
}

static void test_replay(void)
{
    char dir[] = "/tmp/storm-spool-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return;
    snprintf(path, sizeof path, "%s/s", dir);
    const char *bodies[] = {"{\"a\":1}", "{\"b\":22}", "{\"c\":333}"};
    write_spool(path, 7, bodies, 3, true);
    seen s = {0};
    uint64_t n = 0;
    storm_err err;
    storm_err_clear(&err);
    /* nothing committed yet: every body, the torn one left out */
    CHECK(storm_intake_spool_replay(path, "", 1 << 20, on_body, &s, &n, &err) == STORM_OK);
    CHECK(n == 3 && s.n == 3);
    CHECK_STR(s.bodies[0], "{\"a\":1}");
    CHECK_STR(s.bodies[2], "{\"c\":333}");
    CHECK_STR(s.positions[0], "7:31"); /* 16-byte header, 8-byte length, 7 bytes */
    CHECK_STR(s.positions[1], "7:47");
    /* resume after the first committed body */
    memset(&s, 0, sizeof s);
    CHECK(storm_intake_spool_replay(path, "7:31", 1 << 20, on_body, &s, &n, &err) == STORM_OK);
    CHECK(n == 2 && s.n == 2);
    CHECK_STR(s.bodies[0], "{\"b\":22}");
    /* everything committed */
    memset(&s, 0, sizeof s);
    CHECK(storm_intake_spool_replay(path, "7:64", 1 << 20, on_body, &s, &n, &err) == STORM_OK);
    CHECK(n == 0 && s.n == 0);
    /* a position of the previous generation: the file was emptied after it,
     * so every body of this one is new */
    memset(&s, 0, sizeof s);
    CHECK(storm_intake_spool_replay(path, "6:64", 1 << 20, on_body, &s, &n, &err) == STORM_OK);
    CHECK(n == 3);
    /* a body larger than the cap (here the third, 9 bytes) ends the reading, as a torn one */
    memset(&s, 0, sizeof s);
    CHECK(storm_intake_spool_replay(path, "", 8, on_body, &s, &n, &err) == STORM_OK);
    CHECK(n == 2);
    /* another holder of the spool: refused */
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
    storm_err_clear(&err);
    CHECK(storm_intake_spool_replay(path, "", 1 << 20, on_body, &s, &n, &err) == STORM_ERR_STATE);
    CHECK(strstr(err.msg, "another storm run --listen") != NULL);
    if (fd >= 0)
        close(fd);
    /* an empty or new file holds nothing */
    unlink(path);
    storm_err_clear(&err);
    CHECK(storm_intake_spool_replay(path, "3:100", 1 << 20, on_body, &s, &n, &err) == STORM_OK && n == 0);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_replay);
    return test_report("test_intake_spool");
}
