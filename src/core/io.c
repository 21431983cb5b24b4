/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/io.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

storm_rc storm_read_file(const char *path, size_t max, char **data, size_t *len, storm_err *err)
{
    *data = NULL;
    *len = 0;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return storm_err_set(err, STORM_ERR_IO, 0, "cannot open %s: %s", path, strerror(errno));
    size_t alloc = 64 * 1024, n = 0;
    /* a regular file: its size at once (+1 to see the end without growing),
     * not doubled from 64 KiB: the copies of each growth and their page
     * faults were a tenth of loading a 7 MB model file */
    struct stat st;
    if (!is_stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        alloc = (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : max;
    char *buf = malloc(alloc + 1);
    if (!buf) {
        if (!is_stdin)
            fclose(f);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory reading %s", path);
    }
    for (;;) {
        if (n == alloc) {
            if (alloc >= max) {
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return storm_err_set(err, STORM_ERR_LIMIT, max, "%s is larger than the limit of %zu bytes", path, max);
            }
            alloc = alloc * 2 > max ? max : alloc * 2;
            char *nb = realloc(buf, alloc + 1);
            if (!nb) {
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, alloc - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int failed = ferror(f);
    if (!is_stdin)
        fclose(f);
    if (failed) {
        free(buf);
        return storm_err_set(err, STORM_ERR_IO, 0, "error reading %s", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return STORM_OK;
}

storm_time_ns storm_file_mtime(const char *path, storm_time_ns fallback)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return fallback;
    return (storm_time_ns)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}
