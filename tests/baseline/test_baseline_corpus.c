/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline on real corpus events: what was learned is removed again
 * after a restart (rewritten pids, pod suffixes, container ids, times), and
 * attack steps of a learned workload are never removed. Prints the measured
 * shares (benign removed, attacks suppressed). */
#include "../unit/test.h"
#include "corpus_util.h"

/* Hand labels (see tests/data/corpus/README.md for what each file is). */
static const size_t book_attack[] = {5, 7, 8, 9, 12, 13, 14, 15, 16, 19, 21, 24, 25, 26, 27, 28, 29, 30, 31, 32,
                                     33, 34, 35, 36, 37, 38, 39, 40, 0};
static const size_t docs_attack[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 22, 0};

static bool in_list(const size_t *list, size_t line)
{
    for (; *list; list++)
        if (*list == line)
            return true;
    return false;
}

typedef struct tally {
    size_t events, explained, unexplained, unprofiled;
} tally;

static void check_all(storm_baseline *b, const corpus_file *f, const size_t *only, const size_t *skip, tally *t)
{
    for (size_t i = 0; i < f->n; i++) {
        const corpus_rec *r = &f->recs[i];
        if ((only && !in_list(only, r->line)) || (skip && in_list(skip, r->line)))
            continue;
        for (size_t k = 0; k < r->evs.n; k++) {
            t->events++;
            switch (storm_baseline_check(b, &r->evs.items[k], NULL)) {
            case STORM_BASELINE_EXPLAINED:
                t->explained++;
                break;
            case STORM_BASELINE_UNEXPLAINED:
                t->unexplained++;
                break;
            default:
                t->unprofiled++;
            }
        }
    }
}

static void learn_all(storm_baseline *b, const corpus_file *f, const size_t *skip, size_t from, size_t to)
{
    for (size_t i = from; i < f->n && i < to; i++) {
        if (skip && in_list(skip, f->recs[i].line))
            continue;
        for (size_t k = 0; k < f->recs[i].evs.n; k++)
            storm_baseline_learn(b, &f->recs[i].evs.items[k], NULL, NULL);
    }
}

static tally total_benign_restart, total_benign_heldout, total_attack;

/* Tetragon book: learn the benign events, then a restart of them is removed
 * and none of the attack steps (reverse shell, keystore read, nsenter, C2,
 * exfiltration) is. */
static void tetragon_book(void)
{
    corpus_file orig, restarted;
    CHECK(corpus_load("tetragon/tetragon-book-security-observability.jsonl", false, &orig));
    CHECK(corpus_load("tetragon/tetragon-book-security-observability.jsonl", true, &restarted));
    CHECK(orig.n == 40 && restarted.n == 40);
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    learn_all(b, &orig, book_attack, 0, orig.n);
    tally benign = {0}, attack = {0};
    check_all(b, &restarted, NULL, book_attack, &benign);
    check_all(b, &orig, book_attack, NULL, &attack);
    CHECK(benign.events > 0 && benign.explained == benign.events);
    CHECK(attack.events > 0 && attack.explained == 0);
    /* the nsenter of the privileged pod is an anomaly of a profiled workload */
    for (size_t i = 0; i < orig.n; i++)
        if (orig.recs[i].line == 21) {
            storm_baseline_result res;
            CHECK(storm_baseline_check(b, &orig.recs[i].evs.items[0], &res) == STORM_BASELINE_UNEXPLAINED);
            CHECK_STR(res.workload, "default/Pod/privileged-pod/privileged-pod");
            CHECK(strstr(res.feature, "exec /usr/bin/nsenter") == res.feature);
            CHECK(strstr(res.reason, "nsenter") != NULL);
        }
    printf("tetragon book: restarted benign %zu/%zu removed; attack events %zu, removed %zu (%zu anomalies, %zu "
           "unprofiled)\n",
           benign.explained, benign.events, attack.events, attack.explained, attack.unexplained, attack.unprofiled);
    total_benign_restart.events += benign.events;
    total_benign_restart.explained += benign.explained;
    total_attack.events += attack.events;
    total_attack.explained += attack.explained;
    storm_baseline_close(b);
    corpus_free(&orig);
    corpus_free(&restarted);
}

/* KubeHound calibration kprobes (every one an attack step), as if done by the
 * learned elasticsearch workload: all unexplained; as recorded: never removed. */
static void kubehound_in_learned_workload(void)
{
    corpus_file book, kh;
    CHECK(corpus_load("tetragon/tetragon-book-security-observability.jsonl", false, &book));
    CHECK(corpus_load("tetragon/honeycluster-kubehound-calibration.jsonl", false, &kh));
    CHECK(kh.n == 24);
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    learn_all(b, &book, book_attack, 0, book.n);
    tally as_recorded = {0};
    check_all(b, &kh, NULL, NULL, &as_recorded);
    CHECK(as_recorded.events == 24 && as_recorded.explained == 0);
    /* the elasticsearch pod's context from the book (line 1) */
    const storm_k8s_ctx *es = &book.recs[0].evs.items[0].k8s;
    size_t anomalies = 0;
    for (size_t i = 0; i < kh.n; i++)
        for (size_t k = 0; k < kh.recs[i].evs.n; k++) {
            storm_event ev = kh.recs[i].evs.items[k];
            ev.k8s = *es;
            storm_baseline_result res;
            if (storm_baseline_check(b, &ev, &res) == STORM_BASELINE_UNEXPLAINED)
                anomalies++;
            CHECK_STR(res.workload, "tenant-jobs/Deployment/elasticsearch/elasticsearch");
        }
    CHECK(anomalies == 24);
    printf("kubehound calibration: %zu attack events as recorded, removed %zu; in a learned workload: %zu/24 "
           "anomalies\n",
           as_recorded.events, as_recorded.explained, anomalies);
    total_attack.events += as_recorded.events + 24;
    total_attack.explained += as_recorded.explained + (24 - anomalies);
    storm_baseline_close(b);
    corpus_free(&book);
    corpus_free(&kh);
}

/* A benign-only recording: learn the first half, then (a) the restart of the
 * learned half must be removed completely, (b) the held-out half is measured. */
static void learn_half(const char *rel, const size_t *attack)
{
    corpus_file orig, restarted;
    CHECK(corpus_load(rel, false, &orig));
    CHECK(corpus_load(rel, true, &restarted));
    CHECK(orig.n > 0 && orig.n == restarted.n);
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    size_t half = orig.n / 2;
    learn_all(b, &orig, attack, 0, half);
    corpus_file first = restarted, second = restarted;
    first.n = half;
    second.recs += half;
    second.n -= half;
    tally r = {0}, h = {0};
    check_all(b, &first, NULL, attack, &r);
    check_all(b, &second, NULL, attack, &h);
    CHECK(r.explained == r.events);
    printf("%s: learned %zu records; restart of them %zu/%zu removed; held-out half %zu/%zu removed\n", rel, half,
           r.explained, r.events, h.explained, h.events);
    total_benign_restart.events += r.events;
    total_benign_restart.explained += r.explained;
    total_benign_heldout.events += h.events;
    total_benign_heldout.explained += h.explained;
    if (attack) {
        tally a = {0};
        check_all(b, &orig, attack, NULL, &a);
        CHECK(a.explained == 0);
        total_attack.events += a.events;
        total_attack.explained += a.explained;
    }
    storm_baseline_close(b);
    corpus_free(&orig);
    corpus_free(&restarted);
}

/* Kubescape: the webapp's own ApplicationProfile (the one Kubescape learned)
 * imported as a Storm profile; the command-injection execs (",ls" appended to
 * the ping target) of that workload stay anomalies. */
static void kubescape_profile_vs_injection(void)
{
    char *yaml;
    size_t len;
    CHECK(storm_read_file(corpus_path("baselines/honeycluster-webapp-applicationprofile-gke.yaml"), 1 << 24, &yaml,
                          &len, NULL) == STORM_OK);
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_baseline_import_stats st;
    CHECK(storm_baseline_import_kubescape(b, yaml, len, NULL, NULL, &st, NULL) == STORM_OK);
    free(yaml);
    CHECK(storm_baseline_profile_get(b, "default/Deployment/webapp/ping-app", &(storm_baseline_profile_info){0}));
    corpus_file f;
    CHECK(corpus_load("kubescape/honeycluster-webapp-ping.jsonl", false, &f));
    /* the webapp Deployment's context, taken from its own alerts */
    const storm_k8s_ctx *webapp = NULL;
    for (size_t i = 0; i < f.n && !webapp; i++) {
        char key[512];
        storm_baseline_workload_key(&f.recs[i].evs.items[0], key, sizeof key);
        if (strcmp(key, "default/Deployment/webapp/ping-app") == 0)
            webapp = &f.recs[i].evs.items[0].k8s;
    }
    CHECK(webapp != NULL);
    size_t injections = 0, flagged = 0;
    for (size_t i = 0; i < f.n && webapp; i++)
        for (size_t k = 0; k < f.recs[i].evs.n; k++) {
            storm_event ev = f.recs[i].evs.items[k];
            const char *cl = ev.process.command_line, *args = ev.process.arguments;
            if (!((cl && strstr(cl, ",ls")) || (args && strstr(args, ",ls"))))
                continue;
            /* the same image's injection (recorded in the ping-app pod), done in the webapp */
            ev.k8s = *webapp;
            injections++;
            storm_baseline_result res;
            if (storm_baseline_check(b, &ev, &res) == STORM_BASELINE_UNEXPLAINED)
                flagged++;
        }
    CHECK(injections > 0 && flagged == injections);
    printf("kubescape webapp profile: %zu command-injection alerts, %zu anomalies, 0 removed\n", injections, flagged);
    total_attack.events += injections;
    total_attack.explained += injections - flagged;
    storm_baseline_close(b);
    corpus_free(&f);
}

int main(void)
{
    RUN(tetragon_book);
    RUN(kubehound_in_learned_workload);
    test_current = "learn_half";
    learn_half("kubescape/honeycluster-ssh-proxy.jsonl", NULL);
    learn_half("kubescape/honeycluster-clickhouse-and-agent-log.jsonl", NULL);
    /* hive-sentinel keeps JSON inside strings: the test rewriter does not reach into those */
    learn_half("kubescape/honeycluster-bobexample-infer.jsonl", NULL);
    learn_half("k8s-audit/falco-trace-files-k8s-audit.jsonl", NULL);
    learn_half("k8s-audit/falco-trace-files-psp.jsonl", NULL);
    learn_half("tetragon/tetragon-docs-examples.jsonl", docs_attack);
    RUN(kubescape_profile_vs_injection);
    printf("TOTAL benign after restart: %zu/%zu removed (%.1f%%); benign held out: %zu/%zu removed (%.1f%%); "
           "attack events: %zu, suppressed %zu\n",
           total_benign_restart.explained, total_benign_restart.events,
           100.0 * (double)total_benign_restart.explained / (double)(total_benign_restart.events ? total_benign_restart.events : 1),
           total_benign_heldout.explained, total_benign_heldout.events,
           100.0 * (double)total_benign_heldout.explained / (double)(total_benign_heldout.events ? total_benign_heldout.events : 1),
           total_attack.events, total_attack.explained);
    CHECK(total_attack.explained == 0);
    return test_report("test_baseline_corpus");
}
