/* SPDX-License-Identifier: Apache-2.0 */
/* storm_read_file (storm/io.h): a regular file read whole at every size
 * around its first buffer (64 KiB) and around the limit, its bytes and
 * length exact and NUL-terminated; a file at or past the limit refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storm/io.h>

#include "test.h"

#define LIMIT ((size_t)300000)

/* a file of n bytes (a pattern that shows a shifted or lost chunk); its
 * path in path[] */
static bool write_file(char *path, size_t n)
{
    strcpy(path, "/tmp/storm-test-io-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return false;
    char *b = malloc(n ? n : 1);
    bool ok = b != NULL;
    for (size_t i = 0; ok && i < n; i++)
        b[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    ok = ok && (n == 0 || write(fd, b, n) == (ssize_t)n);
    free(b);
    close(fd);
    return ok;
}

static void read_size(size_t n, storm_rc want)
{
    char path[64];
    CHECK(write_file(path, n));
    char *data = NULL;
    size_t len = 99;
    storm_err err;
    storm_err_clear(&err);
    storm_rc rc = storm_read_file(path, LIMIT, &data, &len, &err);
    CHECK(rc == want);
    if (rc == STORM_OK) {
        bool same = data != NULL && len == n && data[n] == '\0';
        for (size_t i = 0; same && i < n; i++)
            same = data[i] == (char)('a' + (i * 7 + i / 4096) % 26);
        CHECK(same);
        if (!same)
            fprintf(stderr, "  size %zu: read %zu bytes, not the same\n", n, len);
    } else {
        CHECK(data == NULL && len == 0 && strstr(err.msg, "larger than the limit") != NULL);
    }
    free(data);
    unlink(path);
}

int main(void)
{
    const size_t ok[] = {0, 1, 4095, 65535, 65536, 65537, 131072, 200001, LIMIT - 1};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        read_size(ok[i], STORM_OK);
    read_size(LIMIT, STORM_ERR_LIMIT); /* the limit is exclusive, as before */
    read_size(LIMIT + 1, STORM_ERR_LIMIT);
    read_size(LIMIT * 2, STORM_ERR_LIMIT);
    /* a path that is not there */
    char *data = NULL;
    size_t len = 0;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_read_file("/tmp/storm-test-io-does-not-exist", LIMIT, &data, &len, &err) == STORM_ERR_IO);
    CHECK(data == NULL && strstr(err.msg, "cannot open") != NULL);
    return test_report("test_io");
}
