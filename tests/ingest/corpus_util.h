/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the bundled corpus from the decoder tests (test-only, header-only). */
#ifndef STORM_TEST_CORPUS_UTIL_H
#define STORM_TEST_CORPUS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/arena.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

/* The whole of tests/data/corpus/<rel> (owned: free()), or NULL after saying why. */
static inline char *read_corpus(const char *rel, size_t *len)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/corpus/%s", root ? root : ".", rel);
    char *data = NULL;
    storm_err err = {0};
    if (storm_read_file(path, 16u << 20, &data, len, &err) != STORM_OK) {
        fprintf(stderr, "cannot read %s: %s\n", path, err.msg);
        return NULL;
    }
    return data;
}

/* Line n (1-based) of a corpus file, as an arena copy; NULL when absent. */
static inline char *corpus_line(storm_arena *a, const char *rel, int n, size_t *len)
{
    size_t flen;
    char *data = read_corpus(rel, &flen);
    char *line = NULL;
    for (char *p = data; data && p < data + flen; n--) {
        char *nl = memchr(p, '\n', (size_t)(data + flen - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + flen - p);
        if (n == 1) {
            line = storm_arena_strndup(a, p, l);
            *len = l;
            break;
        }
        p += l + 1;
    }
    free(data);
    return line;
}

/* Parse text and decode it with the named decoder (err cleared first). */
static inline storm_rc corpus_decode(storm_arena *a, const char *decoder, const char *text, size_t len,
                                     storm_event_list *out, const char **skip, storm_err *err)
{
    storm_value *root = NULL;
    storm_err_clear(err);
    storm_rc rc = storm_json_parse(a, text, len, 0, &root, NULL, err);
    if (rc != STORM_OK)
        return rc;
    return storm_decoder_find(decoder)->decode(a, root, out, skip, err);
}

/* corpus_decode of a NUL-terminated string, skip type discarded. */
static inline storm_rc corpus_decode_str(storm_arena *a, const char *decoder, const char *text, storm_event_list *out,
                                         storm_err *err)
{
    const char *skip = NULL;
    return corpus_decode(a, decoder, text, strlen(text), out, &skip, err);
}

/* The single event of line n (1-based) of a corpus file, or NULL after
 * saying why. out is reset first. */
static inline storm_event *corpus_line_event(storm_arena *a, const char *decoder, const char *rel, int n,
                                             storm_event_list *out)
{
    size_t len;
    char *line = corpus_line(a, rel, n, &len);
    storm_err err = {0};
    const char *skip = NULL;
    *out = (storm_event_list){0};
    if (!line || corpus_decode(a, decoder, line, len, out, &skip, &err) != STORM_OK || out->n != 1) {
        fprintf(stderr, "  %s:%d did not decode: %s\n", rel, n, err.msg);
        return NULL;
    }
    return &out->items[0];
}

/* How many lines of the given corpus files the named decoder's detect()
 * claims (each is printed); *lines counts the JSON lines read. */
static inline int corpus_foreign_claims(const char *decoder, const char *const *files, size_t n_files, int *lines)
{
    const storm_decoder *me = storm_decoder_find(decoder);
    storm_arena *a = storm_arena_new(0, 0);
    int claimed = 0;
    *lines = 0;
    for (size_t f = 0; f < n_files; f++) {
        size_t flen;
        char *data = read_corpus(files[f], &flen);
        for (char *p = data; data && p < data + flen;) {
            char *nl = memchr(p, '\n', (size_t)(data + flen - p));
            size_t l = nl ? (size_t)(nl - p) : (size_t)(data + flen - p);
            storm_value *root = NULL;
            storm_arena_reset(a);
            if (l && storm_json_parse(a, p, l, 0, &root, NULL, NULL) == STORM_OK) {
                (*lines)++;
                if (me->detect(root)) {
                    claimed++;
                    fprintf(stderr, "  %s claims %s: %.80s\n", decoder, files[f], p);
                }
            }
            p += l + 1;
        }
        free(data);
    }
    storm_arena_free(a);
    return claimed;
}

/* What decoding a whole corpus file gave. */
typedef struct corpus_counts {
    int lines;    /* non-empty lines */
    int detected; /* lines the format detection gives to the decoder */
    int events;
    int skipped;  /* lines the decoder skips by type (of skip_type, or any when NULL) */
    int rejected; /* the rest: not JSON, or the decoder refused (each reported) */
} corpus_counts;

/* Every non-empty line of tests/data/corpus/<rel> through format detection
 * and the named decoder; fn(ctx, event) for each event decoded. */
static inline corpus_counts corpus_decode_file(const char *rel, const char *decoder, const char *skip_type,
                                               void (*fn)(void *ctx, const storm_event *ev), void *ctx)
{
    corpus_counts c = {0};
    size_t flen;
    char *data = read_corpus(rel, &flen);
    storm_arena *a = storm_arena_new(0, 0);
    for (char *p = data; data && p < data + flen;) {
        char *nl = memchr(p, '\n', (size_t)(data + flen - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(data + flen - p);
        if (l) {
            c.lines++;
            storm_arena_reset(a);
            storm_value *root = NULL;
            storm_err err = {0};
            storm_event_list out = {0};
            const char *skip = NULL;
            if (storm_json_parse(a, p, l, 0, &root, NULL, &err) != STORM_OK) {
                c.rejected++;
            } else {
                const storm_decoder *d = storm_decoder_detect(root);
                c.detected += d && strcmp(d->name, decoder) == 0;
                storm_rc rc = storm_decoder_find(decoder)->decode(a, root, &out, &skip, &err);
                if (rc == STORM_OK) {
                    c.events += (int)out.n;
                    for (size_t i = 0; i < out.n; i++)
                        fn(ctx, &out.items[i]);
                } else if (rc == STORM_ERR_UNSUPPORTED && skip && (!skip_type || strcmp(skip, skip_type) == 0)) {
                    c.skipped++;
                } else {
                    c.rejected++;
                    fprintf(stderr, "  %s:%d: %s\n", rel, c.lines, err.msg);
                }
            }
        }
        p += l + 1;
    }
    storm_arena_free(a);
    free(data);
    return c;
}

#endif
