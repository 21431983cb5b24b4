/* SPDX-License-Identifier: Apache-2.0 */
/* Writing generated files under a directory (mkdir -p on the way). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "instrument_int.h"

/* mkdir -p of the directory part of path. */
static storm_rc make_dirs(char *path, storm_err *err)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            storm_rc rc = storm_err_set(err, STORM_ERR_IO, 0, "cannot create directory %s: %s", path, strerror(errno));
            *p = '/';
            return rc;
        }
        *p = '/';
    }
    return STORM_OK;
}

storm_rc storm_gen_files_write(const storm_gen_files *f, const char *dir, storm_err *err)
{
    for (size_t i = 0; i < f->n; i++) {
        size_t n = strlen(dir) + strlen(f->v[i].name) + 2;
        char *path = malloc(n);
        if (!path)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        snprintf(path, n, "%s/%s", dir, f->v[i].name);
        storm_rc rc = make_dirs(path, err);
        FILE *fp = rc == STORM_OK ? fopen(path, "w") : NULL;
        if (rc == STORM_OK && !fp)
            rc = storm_err_set(err, STORM_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
        if (fp) {
            size_t len = f->v[i].text ? strlen(f->v[i].text) : 0;
            if (fwrite(f->v[i].text, 1, len, fp) != len || fclose(fp) != 0)
                rc = storm_err_set(err, STORM_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
        }
        free(path);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}
