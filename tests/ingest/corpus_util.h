/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the bundled corpus from the decoder tests (test-only, header-only). */
#ifndef STORM_TEST_CORPUS_UTIL_H
#define STORM_TEST_CORPUS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/arena.h>
#include <storm/io.h>

/* The whole of tests/data/corpus/<rel> (owned: free()), or NULL after saying why. */
static char *read_corpus(const char *rel, size_t *len)
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
static char *corpus_line(storm_arena *a, const char *rel, int n, size_t *len)
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

#endif
