/* SPDX-License-Identifier: Apache-2.0 */
/* What the baseline costs `storm run`, on real corpus events, with every
 * workload learned first (the worst case: each event finds its profile and
 * all its features are looked up; nearly all are explained). Measured in one
 * run, rounds interleaved so that all phases see the same machine:
 *   A  parse + decode                      (what run does for every event)
 *   B  parse + decode + STIX observation   (storm_stix_observe, when built)
 *   C  parse + decode + storm_baseline_check
 *   K  storm_baseline_check alone, on the same events decoded once
 * The time of a phase is the fastest round (CPU time of this thread), which
 * filters out other processes on a shared machine. check()'s overhead is
 * reported two ways: K (its own cost) and C - A (what it added in line),
 * each relative to A and to B. Run on demand:
 *   build/bench/bench_baseline [ROUNDS]   (STORM_SOURCE_ROOT = source tree) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/json.h>
#include <time.h>
#ifdef STORM_BENCH_STIX
#include <storm/stix.h>
#endif

static const char *const files[] = {
    "tetragon/tetragon-book-security-observability.jsonl",
    "tetragon/honeycluster-kubehound-calibration.jsonl",
    "tetragon/tetragon-docs-examples.jsonl",
    "kubescape/honeycluster-ssh-proxy.jsonl",
    "kubescape/honeycluster-clickhouse-and-agent-log.jsonl",
    "k8s-audit/falco-trace-files-k8s-audit.jsonl",
    "falco/falco-website-alerts.jsonl",
    "hubble/cilium-docs-hubble-exporter.jsonl",
};

typedef struct line {
    char *text;
    size_t len;
} line;

enum phase { PARSE_DECODE, OBSERVE, CHECK_INLINE };

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over all lines; returns events decoded. */
static size_t pass(const line *lines, size_t n, storm_arena *a, enum phase ph, storm_baseline *b, size_t *explained,
                   size_t *observed)
{
    size_t events = 0;
    for (size_t i = 0; i < n; i++) {
        storm_arena_reset(a);
        storm_value *root;
        if (storm_json_parse(a, lines[i].text, lines[i].len, STORM_JSON_DEFAULT, &root, NULL, NULL) != STORM_OK)
            continue;
        const storm_value *rec = storm_decode_unwrap(a, root);
        const storm_decoder *d = storm_decoder_detect(rec);
        storm_event_list l = {0};
        const char *skip;
        if (!d || d->decode(a, rec, &l, &skip, NULL) != STORM_OK)
            continue;
        for (size_t k = 0; k < l.n; k++) {
            events++;
            if (ph == CHECK_INLINE && storm_baseline_check(b, &l.items[k], NULL) == STORM_BASELINE_EXPLAINED)
                (*explained)++;
#ifdef STORM_BENCH_STIX
            if (ph == OBSERVE) {
                storm_observation obs;
                storm_stix_opts so = {lines[i].text, lines[i].len, k, 0, NULL};
                if (storm_stix_observe(a, &l.items[k], &so, &obs, NULL) == STORM_OK)
                    (*observed)++;
            }
#else
            (void)observed;
#endif
        }
    }
    return events;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    if (rounds < 1)
        rounds = 1;
    const char *root = getenv("STORM_SOURCE_ROOT");
    line *lines = NULL;
    size_t n = 0, alloc = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/data/corpus/%s", root ? root : ".", files[f]);
        FILE *in = fopen(path, "r");
        if (!in) {
            fprintf(stderr, "bench_baseline: %s: cannot open (set STORM_SOURCE_ROOT)\n", path);
            return 1;
        }
        char *buf = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&buf, &cap, in)) > 0) {
            if (n == alloc) {
                alloc = alloc ? alloc * 2 : 256;
                line *nl = realloc(lines, alloc * sizeof *lines);
                if (!nl)
                    return 1;
                lines = nl;
            }
            lines[n].text = strdup(buf);
            lines[n].len = (size_t)len;
            n++;
        }
        free(buf);
        fclose(in);
    }
    storm_arena *a = storm_arena_new(0, 0);
    storm_baseline *b;
    if (!a || storm_baseline_open(NULL, NULL, &b, NULL) != STORM_OK)
        return 1;

    /* every event decoded once into its own arena: learned, then checked alone (K) */
    storm_arena *keep = storm_arena_new(0, 0);
    storm_event *evs = NULL;
    size_t n_evs = 0, evs_alloc = 0;
    for (size_t i = 0; keep && i < n; i++) {
        storm_value *rv;
        char *copy = storm_arena_alloc(keep, lines[i].len + 1);
        if (!copy)
            return 1;
        memcpy(copy, lines[i].text, lines[i].len + 1);
        if (storm_json_parse(keep, copy, lines[i].len, STORM_JSON_DEFAULT, &rv, NULL, NULL) != STORM_OK)
            continue;
        const storm_value *rec = storm_decode_unwrap(keep, rv);
        const storm_decoder *d = storm_decoder_detect(rec);
        storm_event_list l = {0};
        const char *skip;
        if (!d || d->decode(keep, rec, &l, &skip, NULL) != STORM_OK)
            continue;
        for (size_t k = 0; k < l.n; k++) {
            if (n_evs == evs_alloc) {
                evs_alloc = evs_alloc ? evs_alloc * 2 : 256;
                storm_event *ne = realloc(evs, evs_alloc * sizeof *evs);
                if (!ne)
                    return 1;
                evs = ne;
            }
            evs[n_evs++] = l.items[k];
            storm_baseline_learn(b, &l.items[k], NULL, NULL);
        }
    }

    /* warm-up, then interleaved rounds; the fastest round of each phase counts */
    size_t explained = 0, observed = 0, explained_alone = 0;
    size_t events = pass(lines, n, a, PARSE_DECODE, b, &explained, &observed);
    double best[4] = {1e30, 1e30, 1e30, 1e30};
    const int repeat_alone = 10; /* K is short: repeat it so that one round is measurable */
    for (int r = 0; r < rounds; r++) {
        double t[5];
        t[0] = cpu_now();
        pass(lines, n, a, PARSE_DECODE, b, &explained, &observed);
        t[1] = cpu_now();
        observed = 0;
        pass(lines, n, a, OBSERVE, b, &explained, &observed);
        t[2] = cpu_now();
        explained = 0;
        pass(lines, n, a, CHECK_INLINE, b, &explained, &observed);
        t[3] = cpu_now();
        explained_alone = 0;
        for (int k = 0; k < repeat_alone; k++)
            for (size_t i = 0; i < n_evs; i++)
                explained_alone += storm_baseline_check(b, &evs[i], NULL) == STORM_BASELINE_EXPLAINED;
        t[4] = cpu_now();
        for (int p = 0; p < 4; p++) {
            double d = (t[p + 1] - t[p]) / (p == 3 ? repeat_alone : 1);
            if (d < best[p])
                best[p] = d;
        }
    }
    double us_a = best[0] / (double)events * 1e6, us_b = best[1] / (double)events * 1e6,
           us_c = best[2] / (double)events * 1e6, us_k = best[3] / (double)n_evs * 1e6;
    printf("bench_baseline: %zu lines, %zu events per round (%zu checked alone), %d rounds, fastest round counts\n", n,
           events, n_evs, rounds);
    printf("  A parse+decode:                     %7.3f us/event  %9.0f events/s\n", us_a, 1e6 / us_a);
#ifdef STORM_BENCH_STIX
    printf("  B parse+decode+observe:             %7.3f us/event  %9.0f events/s  (%zu observations)\n", us_b,
           1e6 / us_b, observed);
#else
    printf("  B parse+decode+observe:             (not built: no stix module)\n");
#endif
    printf("  C parse+decode+baseline check:      %7.3f us/event  %9.0f events/s  (%zu of %zu explained)\n", us_c,
           1e6 / us_c, explained, events);
    printf("  K baseline check alone:             %7.3f us/event  %9.0f events/s  (%zu of %zu explained)\n", us_k,
           1e6 / us_k, explained_alone / (size_t)repeat_alone, n_evs);
    printf("  check() overhead, own cost K:  %5.1f%% of A", us_k / us_a * 100.0);
#ifdef STORM_BENCH_STIX
    printf(", %5.1f%% of B", us_k / us_b * 100.0);
#endif
    printf("\n  check() overhead, in line C-A: %5.1f%% of A", (us_c - us_a) / us_a * 100.0);
#ifdef STORM_BENCH_STIX
    printf(", %5.1f%% of B", (us_c - us_a) / us_b * 100.0);
#endif
    printf("  (C-A = %.3f us/event)\n", us_c - us_a);
    storm_baseline_close(b);
    storm_arena_free(a);
    storm_arena_free(keep);
    free(evs);
    for (size_t i = 0; i < n; i++)
        free(lines[i].text);
    free(lines);
    return 0;
}
