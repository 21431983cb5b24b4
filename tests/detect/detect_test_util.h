/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the detector tests (test-only, header-only): a model holding one
 * indicator per pattern, and every event of the sensor corpus decoded as
 * storm run decodes it. */
#ifndef STORM_TEST_DETECT_UTIL_H
#define STORM_TEST_DETECT_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/model.h>

/* A finished model with one indicator per pattern, named "<prefix>0",
 * "<prefix>1", ... (ids indicator--00000000-0000-4000-8000-<index>). A
 * pattern that does not compile is left out (a defect). Owned by the caller
 * (storm_models_free). */
static inline storm_models *test_models_of(const char *const *patterns, size_t n, const char *prefix)
{
    storm_buf b;
    storm_buf_init(&b, 64u << 20);
    storm_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        storm_buf_printf(
            &b,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-%012zu\","
            "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"%s%zu\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":",
            i ? "," : "", i, prefix, i);
        storm_json_write_string(&b, patterns[i], strlen(patterns[i]));
        storm_buf_puts(&b, "}");
    }
    storm_buf_puts(&b, "]}");
    storm_models *m = NULL;
    storm_models_new(&m);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(m, "test", b.data, b.len, &err);
    storm_models_finish(m);
    storm_buf_free(&b);
    return m;
}

typedef void (*test_event_fn)(void *ctx, storm_arena *a, const storm_event *ev, const char *where);

/* Every event of every file of tests/data/corpus/{tetragon,k8s-audit,falco,
 * kubescape,hubble} (files in name order), records unwrapped, detected and
 * decoded as storm run does; lines that are not JSON or of no known sensor
 * are passed over. With reset the arena is reset before each record (fn
 * keeps nothing), else what fn builds stays until the caller frees a.
 * Returns the number of events. */
static inline size_t test_corpus_events(storm_arena *a, bool reset, test_event_fn fn, void *ctx)
{
    static const char *const sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    const char *root = getenv("STORM_SOURCE_ROOT");
    size_t events = 0;
    for (size_t si = 0; si < sizeof sensors / sizeof sensors[0]; si++) {
        char dir[2048];
        snprintf(dir, sizeof dir, "%s/tests/data/corpus/%s", root ? root : ".", sensors[si]);
        struct dirent **names = NULL;
        int nn = scandir(dir, &names, NULL, alphasort);
        for (int fi = 0; fi < nn; fi++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[fi]->d_name);
            bool json = strstr(names[fi]->d_name, ".json") != NULL;
            free(names[fi]);
            char *text;
            size_t len, off = 0;
            storm_err err;
            storm_err_clear(&err);
            if (!json || storm_read_file(path, 1 << 26, &text, &len, &err) != STORM_OK)
                continue;
            for (unsigned long long line = 1;; line++) {
                if (reset)
                    storm_arena_reset(a);
                storm_value *rootv;
                size_t start;
                storm_err_clear(&err);
                storm_rc rc = storm_json_parse_next(a, text, len, &off, &rootv, &start, &err);
                if (rc == STORM_ERR_NOTFOUND)
                    break;
                if (rc != STORM_OK) {
                    const char *nl = memchr(text + off, '\n', len - off);
                    if (!nl)
                        break;
                    off = (size_t)(nl - text) + 1;
                    continue;
                }
                size_t n_recs = rootv->type == STORM_V_ARRAY ? rootv->u.a.len : 1;
                for (size_t r = 0; r < n_recs; r++) {
                    const storm_value *one = rootv->type == STORM_V_ARRAY ? rootv->u.a.items[r] : rootv;
                    const storm_value *rec = storm_decode_unwrap(a, one);
                    const storm_decoder *dec = rec && rec->type == STORM_V_OBJECT ? storm_decoder_detect(rec) : NULL;
                    storm_event_list list = {0};
                    const char *skip = NULL;
                    if (!dec || dec->decode(a, rec, &list, &skip, &err) != STORM_OK)
                        continue;
                    char where[4200];
                    snprintf(where, sizeof where, "%s record %llu", path, line);
                    for (size_t i = 0; i < list.n; i++, events++)
                        fn(ctx, a, &list.items[i], where);
                }
            }
            free(text);
        }
        free(names);
    }
    return events;
}

#endif
