/* SPDX-License-Identifier: Apache-2.0 */
/* Decode benchmark (run on demand, never as a test):
 *
 *   bench_decode [EVENTS [RUNS [STREAM_FILE]]]
 *   STORM_BENCH_INPUT=FILE bench_decode [0 [RUNS]]
 *
 * Builds a realistic Tetragon stream of EVENTS lines (default 100000) by
 * varying the real corpus events (times, pids, exec ids, pods, namespaces,
 * binaries, file paths), writes it to STREAM_FILE (default: a temporary file,
 * removed at the end), then measures in the same run, best of RUNS (default
 * 3) passes each, single-threaded:
 *
 *   lines          getline() alone: the line-reading floor
 *   storm-lines    storm_source_next alone: the reader storm run uses
 *                  (UTF-8 check included)
 *   cjson          cJSON parse + extraction of the fields the decoder reads:
 *                  the library-parse floor (the peer)
 *   storm-parse    storm_json_parse into an arena (Storm's stages read
 *                  lines with storm_source_next, as storm run does)
 *   storm-decode   parse + classify (unwrap, detect) + decode (typed
 *                  storm_event), as the pipeline's record intake does
 *   storm-obs-lazy + STIX observation as storm run builds it: the SCO graph
 *                  complete, the ids (hashes of the record and of each
 *                  SCO's contributing properties) left to be computed for
 *                  the observations something reads (lazy_ids)
 *   storm-observe  + STIX observation with every id computed
 *                  (storm_stix_observe), when built with the stix module
 *   storm-convert  + the observation written as a STIX bundle line, what
 *                  `storm convert` does per event
 *
 * STORM_BENCH_INPUT=FILE measures an existing stream instead (any sensors,
 * e.g. the kprobe-heavy and mixed bench streams of bench_run.sh): nothing is
 * generated or written; EVENTS is ignored. The cJSON extraction reads
 * Tetragon fields, so on a mixed stream its floor reads fewer fields than
 * Storm's decoders do.
 *
 * STORM_BENCH_ONLY=<stage> measures only that stage (and the cJSON floor),
 * for a profiler: valgrind --tool=callgrind, perf record; with
 * STORM_BENCH_NO_FLOOR=1 the floor is left out too (no ratios then).
 *
 * and prints events/s, MB/s and the ratio of events/s to the cJSON floor.
 * The target, decode+convert >= 2x cjson, is read on storm-obs-lazy:
 * the sensor event converted into the STIX observation the engine matches
 * (its ids are computed when something reads them). storm-observe and
 * storm-convert add what only output needs: every id (SHA-1 of the record
 * and of each SCO's properties, as STIX requires) and the bundle's JSON. */
#include "cjson_extract.h"
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/source.h>
#ifdef STORM_BENCH_STIX
#include <storm/stix.h>
#endif

static const char *const corpus_files[] = {
    "honeycluster-kubehound-calibration.jsonl",
    "tetragon-book-security-observability.jsonl",
    "tetragon-docs-examples.jsonl",
    "tetragon-testdata-events.jsonl",
    "threatintel-pattern-matcher-example.jsonl",
};

/* ---- stream generation -------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const pods[] = {"web-7d9c5f6b8-x2k4p",
                                   "api-5c8f9d7b6-qw8rt",
                                   "worker-0",
                                   "worker-1",
                                   "redis-master-0",
                                   "ingress-nginx-controller-6b7f9c-zz9q2",
                                   "ssh-proxy",
                                   "clickhouse-shard0-0",
                                   "kh-calibration-ce-2",
                                   "payments-6f5d8c-abcde"};
static const char *const namespaces[] = {"default", "prod", "payments",    "ingress-nginx",
                                         "ssh",     "data", "kube-system", "tenant-jobs"};
static const char *const binaries[] = {"/usr/bin/curl", "/bin/bash",      "/usr/bin/python3",    "/usr/sbin/nginx",
                                       "/usr/bin/cat",  "/bin/sh",        "/usr/local/bin/node", "/usr/bin/wget",
                                       "/usr/bin/nc",   "/usr/bin/mount", "/usr/bin/nsenter",    "/usr/bin/id"};
static const char *const dirs[] = {
    "/etc/",    "/var/log/",        "/run/secrets/kubernetes.io/serviceaccount/", "/tmp/", "/home/app/",
    "/proc/1/", "/host/etc/cron.d/"};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(storm_arena *a, const char *s)
{
    size_t n = strlen(s), o = 0;
    char *out = storm_arena_alloc(a, 4 * ((n + 2) / 3) + 1);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static storm_value *body_of(const storm_value *root)
{
    for (size_t i = 0; i < root->u.o.len; i++)
        if (strncmp(root->u.o.members[i].key, "process_", 8) == 0)
            return root->u.o.members[i].value;
    return NULL;
}

static void set_if_present(storm_arena *a, storm_value *obj, const char *key, storm_value *v)
{
    if (obj && obj->type == STORM_V_OBJECT && storm_v_get(obj, key))
        storm_v_set(a, obj, key, v);
}

static void vary_process(storm_arena *a, storm_value *p, const char *node, storm_time_ns t, int pod, int ns,
                         const char *binary)
{
    if (!p || p->type != STORM_V_OBJECT)
        return;
    int64_t pid = 1000 + (int64_t)(rng() % 4000000);
    char id[160], tbuf[40];
    snprintf(id, sizeof id, "%s:%lld:%lld", node, (long long)(t / 1000), (long long)pid);
    set_if_present(a, p, "exec_id", storm_v_str(a, base64(a, id)));
    set_if_present(a, p, "pid", storm_v_int(a, pid));
    set_if_present(a, p, "tid", storm_v_int(a, pid));
    if (binary)
        set_if_present(a, p, "binary", storm_v_str(a, binary));
    storm_time_format(t - (int64_t)(rng() % 5000000000ull), 9, tbuf);
    set_if_present(a, p, "start_time", storm_v_str(a, tbuf));
    storm_value *podv = storm_v_get(p, "pod");
    if (podv && podv->type == STORM_V_OBJECT) {
        set_if_present(a, podv, "name", storm_v_str(a, pods[pod]));
        set_if_present(a, podv, "namespace", storm_v_str(a, namespaces[ns]));
    }
}

/* Writes n varied events to path; returns the number of bytes written. */
static size_t generate(const char *root, const char *path, size_t n)
{
    storm_arena *tmpl = storm_arena_new(0, 0);
    const char **lines = NULL;
    size_t nl = 0, alloc = 0;
    for (size_t f = 0; f < sizeof corpus_files / sizeof corpus_files[0]; f++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/tests/data/corpus/tetragon/%s", root, corpus_files[f]);
        char *data;
        size_t len;
        if (storm_read_file(p, 64u << 20, &data, &len, NULL) != STORM_OK) {
            fprintf(stderr, "bench_decode: cannot read %s (set STORM_SOURCE_ROOT)\n", p);
            exit(1);
        }
        char *save = NULL;
        for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            if (strstr(l, "\"process_throttle\""))
                continue; /* not an event */
            if (nl == alloc) {
                alloc = alloc ? alloc * 2 : 128;
                lines = realloc(lines, alloc * sizeof *lines);
            }
            lines[nl++] = storm_arena_strdup(tmpl, l);
        }
        free(data);
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        exit(1);
    }
    storm_arena *a = storm_arena_new(0, 0);
    storm_buf b;
    storm_buf_init(&b, 0);
    storm_time_ns base = 0;
    storm_time_parse("2025-01-19T15:00:00Z", 20, 0, &base);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        storm_arena_reset(a);
        const char *l = lines[rng() % nl];
        storm_value *v = NULL;
        storm_json_parse(a, l, strlen(l), 0, &v, NULL, NULL);
        /* ~7k events/s arriving slightly out of order, as from several nodes */
        storm_time_ns t = base + (storm_time_ns)i * 137000 + (storm_time_ns)(rng() % 5000000);
        char tbuf[40];
        storm_time_format(t, 9, tbuf);
        set_if_present(a, v, "time", storm_v_str(a, tbuf));
        const char *node = storm_v_get_str(v, "node_name");
        storm_value *body = body_of(v);
        int pod = (int)(rng() % (sizeof pods / sizeof pods[0]));
        int ns = (int)(rng() % (sizeof namespaces / sizeof namespaces[0]));
        const char *bin = rng() % 4 ? NULL : binaries[rng() % (sizeof binaries / sizeof binaries[0])];
        if (body) {
            vary_process(a, storm_v_get(body, "process"), node ? node : "node", t, pod, ns, bin);
            vary_process(a, storm_v_get(body, "parent"), node ? node : "node", t, pod, ns, NULL);
            storm_value *args = storm_v_get(body, "args");
            for (size_t k = 0; args && args->type == STORM_V_ARRAY && k < args->u.a.len; k++) {
                storm_value *fa = storm_v_get(args->u.a.items[k], "file_arg");
                if (fa && storm_v_get(fa, "path")) {
                    char path_buf[256];
                    snprintf(path_buf, sizeof path_buf, "%sfile-%u", dirs[rng() % (sizeof dirs / sizeof dirs[0])],
                             (unsigned)(rng() % 1000));
                    storm_v_set(a, fa, "path", storm_v_str(a, path_buf));
                }
            }
        }
        storm_buf_reset(&b);
        storm_json_write(&b, v, 0);
        storm_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, out);
        bytes += b.len;
    }
    fclose(out);
    storm_buf_free(&b);
    storm_arena_free(a);
    storm_arena_free(tmpl);
    free(lines);
    return bytes;
}

/* ---- measurements --------------------------------------------------------- */

typedef enum column {
    COL_LINES,
    COL_SOURCE,
    COL_CJSON,
    COL_PARSE,
    COL_DECODE,
    COL_OBSERVE_LAZY,
    COL_OBSERVE,
    COL_CONVERT,
    COL__COUNT
} column;

static const char *const column_names[] = {"lines",        "storm-lines",    "cjson",         "storm-parse",
                                           "storm-decode", "storm-obs-lazy", "storm-observe", "storm-convert"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); /* CPU time: the machine may be shared */
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct result {
    double events_per_s, mb_per_s;
    size_t events, failures;
} result;

/* The next line of the file: getline for the floors (lines, cjson), the
 * pipeline's reader (storm_source_next) for Storm's stages, as storm run
 * reads. false at the end. */
typedef struct line_reader {
    FILE *f;
    char *buf;
    size_t cap;
    storm_source *src;
} line_reader;

static void reader_open(line_reader *r, column col, const char *path)
{
    memset(r, 0, sizeof *r);
    if (col == COL_LINES || col == COL_CJSON) {
        r->f = fopen(path, "r");
        if (!r->f) {
            perror(path);
            exit(1);
        }
        return;
    }
    storm_err err;
    storm_err_clear(&err);
    if (storm_source_open(path, NULL, &r->src, &err) != STORM_OK) {
        fprintf(stderr, "bench_decode: %s\n", err.msg);
        exit(1);
    }
}

static bool reader_next(line_reader *r, const char **text, size_t *len, size_t *bytes)
{
    if (r->f) {
        ssize_t n = getline(&r->buf, &r->cap, r->f);
        if (n <= 0)
            return false;
        *text = r->buf;
        *len = (size_t)n;
        *bytes = (size_t)n;
        return true;
    }
    storm_line ln;
    storm_err err; /* written only on a read error; not cleared per line, as in the pipeline */
    err.rc = STORM_OK;
    err.msg[0] = '\0';
    if (storm_source_next(r->src, &ln, &err) != STORM_OK)
        return false;
    *text = ln.text;
    *len = ln.len;
    *bytes = ln.len + 1;
    return true;
}

static void reader_close(line_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->buf);
    storm_source_close(r->src);
}

static result run(column col, const char *path)
{
    line_reader rd;
    reader_open(&rd, col, path);
    const char *line;
    size_t n, nbytes, events = 0, bytes = 0, failures = 0;
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_buf out;
    storm_buf_init(&out, 64u << 20);
    double t0 = now();
    while (reader_next(&rd, &line, &n, &nbytes)) {
        events++;
        bytes += nbytes;
        if (col == COL_LINES || col == COL_SOURCE) {
            sink += (size_t)line[0];
            continue;
        }
        if (col == COL_CJSON) {
            cJSON *root = cJSON_ParseWithLength(line, n);
            if (!root) {
                failures++;
                continue;
            }
            cjson_extract(root);
            cJSON_Delete(root);
            continue;
        }
        storm_arena_reset(a);
        storm_value *root = NULL;
        if (storm_json_parse(a, line, n, 0, &root, NULL, NULL) != STORM_OK) {
            failures++;
            continue;
        }
        if (col == COL_PARSE)
            continue;
        const storm_value *rec = NULL;
        const storm_decoder *d = NULL;
        storm_event_list list = {0};
        const char *skip = NULL;
        storm_err derr; /* reset as the pipeline does: clearing all 540 bytes is no decoder's cost */
        derr.rc = STORM_OK;
        derr.offset = derr.len = derr.line = derr.col = 0;
        derr.msg[0] = '\0';
        if (storm_decode_classify(a, root, NULL, &rec, &d, &derr) != STORM_OK ||
            d->decode(a, rec, &list, &skip, &derr) != STORM_OK) {
            failures++;
            continue;
        }
        if (col == COL_DECODE)
            continue;
#ifdef STORM_BENCH_STIX
        for (size_t i = 0; i < list.n; i++) {
            storm_stix_opts opts = {
                .record = line, .record_len = n, .record_index = i, .lazy_ids = col == COL_OBSERVE_LAZY};
            storm_observation obs;
            if (storm_stix_observe(a, &list.items[i], &opts, &obs, NULL) != STORM_OK) {
                failures++;
                continue;
            }
            if (col == COL_CONVERT) {
                storm_buf_reset(&out);
                if (storm_stix_write_observation_bundle(&out, &obs) != STORM_OK)
                    failures++;
                sink += out.len;
            }
        }
#endif
    }
    double dt = now() - t0;
    storm_buf_free(&out);
    storm_arena_free(a);
    reader_close(&rd);
    return (result){(double)events / dt, (double)bytes / dt / 1e6, events, failures};
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    const char *root = getenv("STORM_SOURCE_ROOT");
    char tmp[] = "/tmp/storm-bench-decode-XXXXXX";
    const char *input = getenv("STORM_BENCH_INPUT");
    const char *path = input ? input : argc > 3 ? argv[3] : NULL;
    if (!path) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            perror("mkstemp");
            return 1;
        }
        close(fd);
        path = tmp;
    }
    if ((n == 0 && !input) || runs <= 0) {
        fprintf(stderr, "usage: bench_decode [EVENTS [RUNS [STREAM_FILE]]]\n");
        return 2;
    }
    if (input) {
        result lines = run(COL_LINES, path);
        n = lines.events;
        printf("stream: %zu lines, %.1f MB, %.0f bytes/line (%s, as it is)\n", n,
               lines.mb_per_s * lines.events / lines.events_per_s, lines.mb_per_s * 1e6 / lines.events_per_s, path);
    } else {
        size_t bytes = generate(root ? root : ".", path, n);
        printf("stream: %zu Tetragon events, %.1f MB, %.0f bytes/event (%s)\n", n, (double)bytes / 1e6,
               (double)bytes / (double)n, path);
    }

    int cols = COL__COUNT;
#ifndef STORM_BENCH_STIX
    cols = COL_OBSERVE_LAZY; /* built without the stix module */
#endif
    /* STORM_BENCH_ONLY=<stage>: measure one stage (for a profiler) */
    const char *only = getenv("STORM_BENCH_ONLY");
    bool no_floor = getenv("STORM_BENCH_NO_FLOOR") != NULL; /* a profile of the stage alone */
    result best[COL__COUNT] = {0};
    for (int r = 0; r < runs; r++)
        for (int c = 0; c < cols; c++) {
            if (only && strcmp(only, column_names[c]) != 0 && (c != COL_CJSON || no_floor))
                continue;
            result x = run((column)c, path);
            if (x.events_per_s > best[c].events_per_s)
                best[c] = x;
        }
    printf("%-14s %12s %10s %9s %9s\n", "stage", "events/s", "MB/s", "x cjson", "failures");
    for (int c = 0; c < cols; c++)
        if (best[c].events)
            printf("%-14s %12.0f %10.1f %9.2f %9zu\n", column_names[c], best[c].events_per_s, best[c].mb_per_s,
                   best[COL_CJSON].events ? best[c].events_per_s / best[COL_CJSON].events_per_s : 0.0,
                   best[c].failures);
    printf("(single thread, best of %d passes; target: decode+convert = storm-obs-lazy >= 2.00 x cjson)\n", runs);
    if (!input && path == tmp)
        unlink(tmp);
    return 0;
}
