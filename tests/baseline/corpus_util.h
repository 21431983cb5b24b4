/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers: read corpus files into decoded events, and rewrite a record
 * the way a restart changes it (new pids, pod suffix, container id, times). */
#ifndef STORM_TEST_BASELINE_CORPUS_UTIL_H
#define STORM_TEST_BASELINE_CORPUS_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/pipeline.h>

typedef struct corpus_rec {
    size_t line;          /* 1-based */
    storm_event_list evs; /* decoded events (borrowed from the file's arena) */
} corpus_rec;

typedef struct corpus_file {
    storm_arena *arena;
    corpus_rec *recs;
    size_t n;
} corpus_file;

static char *corpus_path(const char *rel)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/tests/data/corpus/%s", root ? root : ".", rel);
    return buf;
}

static bool is_podc(char c)
{
    return c && strchr("bcdfghjklmnpqrstvwxz2456789", c) != NULL;
}

/* Does in[i..] start with the member key "key": as plain JSON ("key":) or
 * as JSON kept inside a JSON string (\"key\":, as hive-sentinel exports
 * its columns)? Returns the length of what matched, 0 when neither. */
static size_t key_at(const char *in, size_t i, const char *key)
{
    size_t kl = strlen(key);
    if (in[i] == '"' && strncmp(in + i + 1, key, kl) == 0 && strncmp(in + i + 1 + kl, "\":", 2) == 0)
        return kl + 3;
    if (strncmp(in + i, "\\\"", 2) == 0 && strncmp(in + i + 2, key, kl) == 0 &&
        strncmp(in + i + 2 + kl, "\\\":", 3) == 0)
        return kl + 5;
    return 0;
}

/* What a restart changes, applied to one JSON line (also inside JSON kept
 * in strings):
 *  - hex runs of 12+ (container ids, image ids stay as they are only when in
 *    "sha256:" digests) get other hex digits;
 *  - "-<hash>-<suffix>" pod names and "-<suffix>" random suffixes with a
 *    digit get other pod characters;
 *  - numbers after "pid", "ppid", "tid", "infectedPID", "timestamp" keys
 *    are shifted; years 2019..2025 become 2026;
 *  - exec ids are reversed. */
static void restart_rewrite(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    static const char *const num_keys[] = {"pid", "ppid", "tid", "infectedPID", "timestamp", NULL};
    for (size_t i = 0; i < n && o + 16 < cap;) {
        bool done = false;
        for (int k = 0; num_keys[k] && !done; k++) {
            size_t kl = key_at(in, i, num_keys[k]);
            if (!kl)
                continue;
            size_t sp = i + kl;
            while (in[sp] == ' ')
                sp++;
            if (in[sp] >= '0' && in[sp] <= '9') {
                memcpy(out + o, in + i, sp - i);
                o += sp - i;
                char *end;
                unsigned long long v = strtoull(in + sp, &end, 10);
                o += (size_t)snprintf(out + o, cap - o, "%llu", v + 7919);
                i = (size_t)(end - in);
                done = true;
            }
        }
        if (done)
            continue;
        size_t kl = key_at(in, i, "exec_id");
        if (!kl)
            kl = key_at(in, i, "parent_exec_id");
        bool escaped = kl && in[i] == '\\';
        if (kl && in[i + kl] == (escaped ? '\\' : '"')) {
            /* the value's opening quote (\" inside a string) */
            kl += escaped ? 2 : 1;
            memcpy(out + o, in + i, kl);
            o += kl;
            i += kl;
            size_t s = i;
            while (i < n && in[i] != '"' && in[i] != '\\')
                i++;
            for (size_t k = i; k > s && o + 1 < cap; k--)
                out[o++] = in[k - 1];
            continue;
        }
        /* years */
        if (i + 5 < n && in[i] == '2' && in[i + 1] == '0' && in[i + 2] >= '1' && in[i + 2] <= '2' && in[i + 3] >= '0' &&
            in[i + 3] <= '9' && (in[i + 4] == '-' || in[i + 4] == '_') &&
            (i == 0 || !(in[i - 1] >= '0' && in[i - 1] <= '9'))) {
            memcpy(out + o, "2026", 4);
            o += 4;
            i += 4;
            continue;
        }
        /* hex runs of 12+ not inside a sha256 digest */
        size_t h = 0;
        while (i + h < n && strchr("0123456789abcdef", in[i + h]) && in[i + h])
            h++;
        bool digest = i >= 7 && strncmp(in + i - 7, "sha256:", 7) == 0;
        if (h >= 12 &&
            (i == 0 || !strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", in[i - 1])) &&
            !digest) {
            for (size_t k = 0; k < h; k++) {
                char c = in[i + k];
                int v = c <= '9' ? c - '0' : c - 'a' + 10;
                out[o++] = "0123456789abcdef"[(v + 5) % 16];
            }
            i += h;
            continue;
        }
        /* pod suffixes after '-' */
        if (i > 0 && in[i - 1] == '-') {
            size_t w = 0;
            bool digit = false;
            while (i + w < n && is_podc(in[i + w])) {
                digit |= in[i + w] >= '0' && in[i + w] <= '9';
                w++;
            }
            bool end_ok = i + w >= n || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", in[i + w]) || in[i + w] == '-';
            if (digit && w >= 5 && w <= 10 && end_ok) {
                static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
                for (size_t k = 0; k < w; k++)
                    out[o++] = alpha[(strchr(alpha, in[i + k]) - alpha + 11) % 27];
                i += w;
                continue;
            }
        }
        out[o++] = in[i++];
    }
    out[o] = '\0';
}

/* The pipeline's event sink: events of one line form one record (the
 * pipeline hands them over in order, each with its line). */
static storm_rc corpus_on_event(void *ctx, storm_event *ev, storm_err *err)
{
    (void)err;
    corpus_file *f = ctx;
    if (!f->n || f->recs[f->n - 1].line != ev->source_line) {
        corpus_rec *r = realloc(f->recs, (f->n + 1) * sizeof *f->recs);
        if (!r)
            return STORM_ERR_NOMEM;
        f->recs = r;
        f->recs[f->n++] = (corpus_rec){ev->source_line, {0}};
    }
    storm_event *copy = storm_event_list_add(f->arena, &f->recs[f->n - 1].evs);
    if (!copy)
        return STORM_ERR_NOMEM;
    *copy = *ev;              /* its strings are in f->arena (the pipeline's event_arena) */
    copy->source_name = NULL; /* the reader's name for the source does not outlive it */
    return STORM_OK;
}

/* Decode every line of path (relative to the corpus) into f, through the
 * pipeline (the reader, envelopes and decoder choice of storm run); with
 * rewrite, each line is first restart_rewrite()-ten. Lines that fail are
 * skipped (rejects are counted by the pipeline, not kept). */
static bool corpus_load(const char *rel, bool rewrite, corpus_file *f)
{
    memset(f, 0, sizeof *f);
    FILE *in = fopen(corpus_path(rel), "r");
    if (!in)
        return false;
    f->arena = storm_arena_new(0, 0);
    storm_pipeline_opts po = {.prog = "corpus_load", .messages_shown = 1};
    storm_pipeline_sinks sinks = {.event = corpus_on_event, .event_ctx = f, .event_arena = f->arena};
    storm_pipeline *p = NULL;
    storm_err e;
    storm_err_clear(&e);
    if (!f->arena || storm_pipeline_new(&po, &sinks, &p, &e) != STORM_OK) {
        fclose(in);
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0;
    ssize_t len;
    /* line by line through storm_pipeline_feed_text, so that the original
     * and the rewritten file are read the same way */
    while ((len = getline(&line, &cap, in)) > 0) {
        lineno++;
        size_t bufcap = (size_t)len * 2 + 64;
        char *text = storm_arena_alloc(f->arena, bufcap);
        if (!text)
            break;
        if (rewrite)
            restart_rewrite(line, text, bufcap);
        else
            memcpy(text, line, (size_t)len + 1);
        size_t n = strlen(text);
        while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            n--;
        if (n)
            storm_pipeline_feed_text(p, rel, lineno, text, n);
    }
    storm_pipeline_free(p);
    free(line);
    fclose(in);
    return true;
}

static void corpus_free(corpus_file *f)
{
    storm_arena_free(f->arena);
    free(f->recs);
    memset(f, 0, sizeof *f);
}

#endif
