/* SPDX-License-Identifier: Apache-2.0 */
/* storm_baseline_open_file: one entry point for `storm run --baseline FILE`,
 * whichever form the profiles were kept in (SQLite store, JSON export,
 * Kubescape ApplicationProfile YAML). */
#include "baseline_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <storm/io.h>
#include <string.h>

#define BL_FILE_MAX (256u << 20)

static bool is_sqlite_file(const char *path)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool yes = fread(head, 1, sizeof head, f) == sizeof head && memcmp(head, magic, sizeof head) == 0;
    fclose(f);
    return yes;
}

storm_rc storm_baseline_open_file(const char *path, const storm_baseline_opts *opts, storm_baseline **out,
                                  storm_err *err)
{
    *out = NULL;
    if (strcmp(path, "-") != 0 && (storm_store_is_url(path) || is_sqlite_file(path))) {
        storm_store *store;
        storm_baseline_opts o = opts ? *opts : (storm_baseline_opts){0};
        storm_rc rc = storm_store_open(path, o.read_only ? STORM_STORE_READONLY : STORM_STORE_READWRITE, &store, err);
        if (rc != STORM_OK)
            return rc;
        rc = storm_baseline_open(store, &o, out, err);
        if (rc != STORM_OK) {
            storm_store_close(store);
            return rc;
        }
        (*out)->owns_store = true;
        return STORM_OK;
    }
    char *data;
    size_t len;
    storm_rc rc = storm_read_file(path, BL_FILE_MAX, &data, &len, err);
    if (rc != STORM_OK)
        return rc;
    rc = storm_baseline_open(NULL, opts, out, err);
    if (rc == STORM_OK) {
        size_t i = 0;
        while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
            i++;
        storm_baseline_import_stats st;
        /* a JSON export starts with {"type":"storm-baseline"; anything else is tried as Kubescape */
        if (i < len && data[i] == '{' && strstr(data, "\"storm-baseline\""))
            rc = storm_baseline_import_json(*out, data, len, &st, err);
        else
            rc = storm_baseline_import_kubescape(*out, data, len, NULL, NULL, &st, err);
        if (rc != STORM_OK) {
            storm_baseline_close(*out);
            *out = NULL;
        }
    }
    free(data);
    return rc;
}
