/* SPDX-License-Identifier: Apache-2.0 */
/* Differential test: the streaming detector (storm_detector, what storm run
 * uses) and the batch pattern matcher (storm_pattern_match, what storm match
 * uses) fed the same observations must agree on whether each pattern
 * matches, temporal operators included. The detector is given what makes
 * the two comparable: one correlation scope for everything (global), a
 * horizon and state caps that drop nothing, and the observations in time
 * order (the batch matcher sees them all at once).
 *
 * 1. The conformance cases (tests/data/conformance, the OASIS reference
 *    matcher's vectors) whose observations are events: one point in time
 *    (first_observed = last_observed) and number_observed 1, the only kind
 *    a stream holds. Intervals and counts are the batch matcher's alone.
 * 2. Every sensor event of tests/data/corpus turned into an observation as
 *    storm run does (decode, storm_stix_observe), one stream, against the
 *    indicators of the shipped models (models/) and of the corpus attack
 *    models, and against patterns generated from the values the stream
 *    holds: FOLLOWEDBY, WITHIN, REPEATS, START/STOP, AND, OR, nested. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/decode.h>
#include <storm/detect.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/observation.h>
#include <storm/pattern.h>
#include <storm/stix.h>
#include <storm/time.h>

#include "test.h"
#include "detect_test_util.h"

#define SEC 1000000000LL
#define MAX_PATTERNS 2048

static const char *root_dir(void)
{
    const char *r = getenv("STORM_SOURCE_ROOT");
    return r ? r : ".";
}

/* ---- the streaming side: one detector, one indicator per pattern ---- */

typedef struct stream_result {
    bool matched[MAX_PATTERNS];
} stream_result;

static void on_sighting(void *ctx, const storm_detect_sighting *s)
{
    stream_result *r = ctx;
    /* indicators are named "p<index>" */
    unsigned long i = strtoul(s->indicator->name + 1, NULL, 10);
    if (i < MAX_PATTERNS)
        r->matched[i] = true;
}

static int by_time(const void *x, const void *y)
{
    const storm_observation *a = *(const storm_observation *const *)x, *b = *(const storm_observation *const *)y;
    if (a->first_observed != b->first_observed)
        return a->first_observed < b->first_observed ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Feed obs[0..n) in time order to a detector over patterns; which matched?
 * false when a pattern did not load as an indicator (the caller skips it). */
static bool stream_match(const char *const *patterns, size_t np, const storm_observation *obs, size_t n,
                         stream_result *r, bool *loaded)
{
    memset(r, 0, sizeof *r);
    storm_models *m = test_models_of(patterns, np, "p");
    for (size_t i = 0; i < np; i++)
        loaded[i] = false;
    for (size_t i = 0; i < storm_models_n_indicators(m); i++) {
        unsigned long k = strtoul(storm_models_indicator(m, i)->name + 1, NULL, 10);
        if (k < np)
            loaded[k] = true;
    }
    storm_detect_opts o = {
        .correlate = STORM_CORRELATE_GLOBAL,
        .horizon = 100LL * 365 * 24 * 3600 * SEC, /* nothing ages out */
        .state_cap = 1u << 20,
        .states_cap = 1u << 22,
        .scopes_cap = 1u << 16,
        .sighting_window = 100LL * 365 * 24 * 3600 * SEC,
    };
    storm_detector *d = NULL;
    storm_err err;
    storm_err_clear(&err);
    bool ok = storm_detector_new(m, &o, on_sighting, r, &d, &err) == STORM_OK;
    const storm_observation **order = malloc((n ? n : 1) * sizeof *order);
    ok = ok && order;
    for (size_t i = 0; ok && i < n; i++)
        order[i] = &obs[i];
    if (ok)
        qsort(order, n, sizeof *order, by_time);
    for (size_t i = 0; ok && i < n; i++) {
        storm_err_clear(&err);
        ok = storm_detector_feed(d, order[i], NULL, &err) == STORM_OK;
    }
    if (ok)
        storm_detector_flush(d);
    free(order);
    storm_detector_free(d);
    storm_models_free(m);
    return ok;
}

/* ---- the batch side ---- */

/* 1 match, 0 no match, -1 the pattern or a value cannot be compared. */
static int batch_match(const char *pattern, storm_spec spec, const storm_observation *obs, size_t n)
{
    storm_pattern *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_pattern_compile(pattern, strlen(pattern), spec, &p, &err) != STORM_OK)
        return -1;
    storm_match mt = {0};
    storm_err_clear(&err);
    int r = storm_pattern_match(p, obs, n, &mt, &err) == STORM_OK ? mt.matched : -1;
    storm_match_clear(&mt);
    storm_pattern_free(p);
    return r;
}

/* ---- 1. conformance cases with point-in-time observations ---- */

static void conformance(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/conformance/stix-pattern-cases.jsonl", root_dir());
    char *text;
    size_t len;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_read_file(path, 64u << 20, &text, &len, &err) == STORM_OK);
    if (!text)
        return;
    size_t compared = 0, agreed = 0, temporal = 0, skipped_interval = 0, skipped_other = 0, matches = 0;
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        size_t ll = end ? (size_t)(end - line) : (size_t)(text + len - line);
        storm_arena *a = storm_arena_new(0, 0);
        storm_value *c = NULL;
        storm_err_clear(&err);
        if (ll && storm_json_parse(a, line, ll, 0, &c, NULL, &err) == STORM_OK) {
            const char *pattern = storm_v_get_str(c, "pattern"), *expect = storm_v_get_str(c, "expect");
            const char *version = storm_v_get_str(c, "spec_version");
            storm_spec spec = version && strcmp(version, "2.0") == 0 ? STORM_SPEC_20 : STORM_SPEC_21;
            storm_observation *obs = NULL;
            size_t n = 0;
            bool points = true;
            if (!pattern || !expect || strcmp(expect, "error") == 0 ||
                storm_observations_load(a, storm_v_get(c, "observations"), spec, &obs, &n, &err) != STORM_OK) {
                skipped_other++;
            } else {
                for (size_t i = 0; i < n; i++)
                    points &= obs[i].first_observed == obs[i].last_observed && obs[i].number_observed == 1;
                if (!points) {
                    skipped_interval++;
                } else {
                    stream_result sr;
                    bool loaded;
                    const char *pp[1] = {pattern};
                    int b = batch_match(pattern, spec, obs, n);
                    if (!stream_match(pp, 1, obs, n, &sr, &loaded) || !loaded || b < 0) {
                        skipped_other++;
                    } else {
                        compared++;
                        matches += b == 1;
                        temporal += strstr(pattern, "FOLLOWEDBY") || strstr(pattern, "WITHIN") ||
                                    strstr(pattern, "REPEATS") || strstr(pattern, "START");
                        if (sr.matched[0] == (b == 1))
                            agreed++;
                        else
                            fprintf(stderr, "DIFFER %s: batch %s, stream %s\n  pattern: %s\n", storm_v_get_str(c, "id"),
                                    b ? "match" : "no match", sr.matched[0] ? "match" : "no match", pattern);
                    }
                }
            }
        }
        storm_arena_free(a);
        line = end ? end + 1 : text + len;
    }
    free(text);
    printf("conformance: %zu cases compared (%zu temporal, %zu matching), %zu agree; skipped %zu with intervals "
           "or counts, %zu errors or not loadable\n",
           compared, temporal, matches, agreed, skipped_interval, skipped_other);
    CHECK(compared >= 300);
    CHECK(temporal >= 30);
    CHECK(agreed == compared);
}

/* ---- 2. the sensor corpus as one stream ---- */

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
    return test_rand(&rng, n);
}

/* Keep every value while few are known, then one in four: the leaves
 * spread over the whole stream, not only its first files. */
static bool rnd_keep(size_t known)
{
    return known < 64 || rnd(4) == 0;
}

typedef struct corpus {
    storm_arena *a;
    storm_observation *obs;
    size_t n, cap;
    char *leaves[512]; /* "[type:key = 'value']" for values the stream holds (arena) */
    size_t n_leaves;
    storm_time_ns tmin, tmax;
} corpus;

/* Remember comparisons that some observation satisfies: top-level string
 * properties of its objects (not ids, references or timestamps). */
static void remember_leaves(corpus *c, const storm_observation *o)
{
    for (size_t k = 0; k < o->n_objects; k++) {
        const storm_value *v = o->objects[k].value;
        const char *type = storm_v_get_str(v, "type");
        if (!type || v->type != STORM_V_OBJECT)
            continue;
        for (size_t m = 0; m < v->u.o.len; m++) {
            const char *key = v->u.o.members[m].key;
            const storm_value *val = v->u.o.members[m].value;
            storm_time_ns t;
            if (val->type != STORM_V_STRING || !strcmp(key, "id") || !strcmp(key, "type") ||
                !strcmp(key, "spec_version") || strstr(key, "_ref") || val->u.s.len == 0 || val->u.s.len > 80 ||
                memchr(val->u.s.ptr, '\'', val->u.s.len) || memchr(val->u.s.ptr, '\\', val->u.s.len) ||
                strlen(val->u.s.ptr) != val->u.s.len ||
                storm_time_parse(val->u.s.ptr, val->u.s.len, STORM_TIME_LENIENT, &t))
                continue;
            char leaf[256];
            snprintf(leaf, sizeof leaf, "[%s:%s = '%s']", type, key, val->u.s.ptr);
            bool seen = false;
            for (size_t i = 0; i < c->n_leaves && !seen; i++)
                seen = strcmp(c->leaves[i], leaf) == 0;
            if (!seen && c->n_leaves < sizeof c->leaves / sizeof c->leaves[0] && rnd_keep(c->n_leaves))
                c->leaves[c->n_leaves++] = storm_arena_strdup(c->a, leaf);
        }
    }
}

/* Build the observation of one corpus event as storm run does; keep it. */
static void on_event(void *ctx, storm_arena *a, const storm_event *ev, const char *where)
{
    corpus *c = ctx;
    (void)where;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        storm_observation *no = storm_arena_alloc(a, nc * sizeof *no);
        if (!no)
            return;
        if (c->n)
            memcpy(no, c->obs, c->n * sizeof *no);
        c->obs = no;
        c->cap = nc;
    }
    storm_stix_opts so = {0};
    so.default_time = 1700000000LL * SEC;
    storm_observation *o = &c->obs[c->n];
    memset(o, 0, sizeof *o);
    storm_err err;
    storm_err_clear(&err);
    if (storm_stix_observe(a, ev, &so, o, &err) != STORM_OK)
        return;
    o->index = c->n++;
    if (c->n == 1 || o->first_observed < c->tmin)
        c->tmin = o->first_observed;
    if (c->n == 1 || o->first_observed > c->tmax)
        c->tmax = o->first_observed;
    remember_leaves(c, o);
}

static void load_corpus(corpus *c)
{
    memset(c, 0, sizeof *c);
    c->a = storm_arena_new(0, 0);
    test_corpus_events(c->a, false, on_event, c);
}

/* A leaf: a value the stream holds (mostly), or one it does not. */
static void leaf(const corpus *c, storm_buf *b)
{
    if (c->n_leaves == 0 || rnd(8) == 0)
        storm_buf_puts(b, "[process:name = 'no-such-process']");
    else
        storm_buf_puts(b, c->leaves[rnd((uint32_t)c->n_leaves)]);
}

static void tstamp(storm_time_ns t, char *out)
{
    storm_time_format(t, 0, out);
}

/* A random observation expression over the corpus, depth-limited. */
static void gen(const corpus *c, storm_buf *b, int depth)
{
    static const int secs[] = {1, 5, 60, 3600, 86400 * 400};
    int kind = depth >= 2 ? 0 : (int)rnd(9);
    switch (kind) {
    case 0: leaf(c, b); return;
    case 1:
    case 2:
    case 3: {
        static const char *const ops[] = {"FOLLOWEDBY", "AND", "OR"};
        storm_buf_putc(b, '(');
        gen(c, b, depth + 1);
        storm_buf_printf(b, " %s ", ops[kind - 1]);
        gen(c, b, depth + 1);
        storm_buf_putc(b, ')');
        return;
    }
    case 4:
        storm_buf_putc(b, '(');
        gen(c, b, depth + 1);
        storm_buf_printf(b, ") WITHIN %d SECONDS", secs[rnd(5)]);
        return;
    case 5:
        storm_buf_putc(b, '(');
        gen(c, b, depth + 1);
        storm_buf_printf(b, ") REPEATS %u TIMES", 2 + rnd(3));
        return;
    case 6: {
        /* a window around the stream's times: before, inside, after */
        storm_time_ns span = c->tmax - c->tmin + SEC,
                      t0 = c->tmin - span / 4 + (storm_time_ns)rnd(1000) * (span / 1000);
        storm_time_ns t1 = t0 + (storm_time_ns)(1 + rnd(1000)) * (span / 1000);
        char s0[64], s1[64];
        tstamp(t0 / SEC * SEC, s0);
        tstamp((t1 / SEC + 1) * SEC, s1);
        storm_buf_putc(b, '(');
        gen(c, b, depth + 1);
        storm_buf_printf(b, ") START t'%s' STOP t'%s'", s0, s1);
        return;
    }
    default: {
        storm_buf_puts(b, "((");
        gen(c, b, depth + 1);
        storm_buf_puts(b, " FOLLOWEDBY ");
        gen(c, b, depth + 1);
        storm_buf_printf(b, ") WITHIN %d SECONDS)", secs[rnd(5)]);
        return;
    }
    }
}

static void compare_set(const char *what, const corpus *c, const char *const *patterns, size_t np, size_t min_matches)
{
    static stream_result sr;
    static bool loaded[MAX_PATTERNS];
    CHECK(stream_match(patterns, np, c->obs, c->n, &sr, loaded));
    size_t compared = 0, agreed = 0, matching = 0, not_loaded = 0, batch_errors = 0;
    for (size_t i = 0; i < np; i++) {
        if (!loaded[i]) {
            not_loaded++;
            continue;
        }
        int b = batch_match(patterns[i], STORM_SPEC_21, c->obs, c->n);
        if (b < 0) {
            batch_errors++;
            continue;
        }
        compared++;
        matching += b == 1;
        if (sr.matched[i] == (b == 1))
            agreed++;
        else
            fprintf(stderr, "DIFFER %s #%zu: batch %s, stream %s\n  pattern: %s\n", what, i, b ? "match" : "no match",
                    sr.matched[i] ? "match" : "no match", patterns[i]);
    }
    printf("%s: %zu observations, %zu patterns compared (%zu matching), %zu agree; %zu not loadable, %zu batch "
           "errors\n",
           what, c->n, compared, matching, agreed, not_loaded, batch_errors);
    CHECK(agreed == compared);
    CHECK(matching >= min_matches);
    CHECK(compared + not_loaded + batch_errors == np);
}

static void corpus_models(const corpus *c)
{
    storm_models *m = NULL;
    storm_models_new(&m);
    char path[4096];
    storm_err err;
    storm_err_clear(&err);
    snprintf(path, sizeof path, "%s/models", root_dir());
    storm_models_load_path(m, path, &err);
    snprintf(path, sizeof path, "%s/tests/data/corpus/attack-models", root_dir());
    storm_err_clear(&err);
    storm_models_load_path(m, path, &err);
    storm_models_finish(m);
    size_t np = storm_models_n_indicators(m);
    const char **patterns = calloc(np ? np : 1, sizeof *patterns);
    for (size_t i = 0; patterns && i < np && i < MAX_PATTERNS; i++)
        patterns[i] = storm_models_indicator(m, i)->pattern_text;
    CHECK(np >= 20);
    if (patterns)
        compare_set("model indicators", c, patterns, np < MAX_PATTERNS ? np : MAX_PATTERNS, 1);
    free(patterns);
    storm_models_free(m);
}

static void corpus_generated(const corpus *c)
{
    enum { N = 800 };
    static char *patterns[N];
    size_t temporal = 0;
    for (size_t i = 0; i < N; i++) {
        storm_buf b;
        storm_buf_init(&b, 1 << 16);
        gen(c, &b, 0);
        patterns[i] = storm_buf_take(&b, NULL);
        temporal += strstr(patterns[i], "FOLLOWEDBY") || strstr(patterns[i], "WITHIN") ||
                    strstr(patterns[i], "REPEATS") || strstr(patterns[i], "START");
    }
    CHECK(temporal >= N / 2);
    compare_set("generated patterns", c, (const char *const *)patterns, N, N / 10);
    for (size_t i = 0; i < N; i++)
        free(patterns[i]);
}

static void corpus_stream(void)
{
    corpus c;
    load_corpus(&c);
    CHECK(c.n >= 300);
    CHECK(c.n_leaves >= 100);
    corpus_models(&c);
    corpus_generated(&c);
    storm_arena_free(c.a);
}

int main(void)
{
    RUN(conformance);
    RUN(corpus_stream);
    return test_report("test_differential");
}
