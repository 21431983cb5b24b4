/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline on real corpus events: what was learned is removed again
 * after a restart (rewritten pids, pod suffixes, container ids, times), and
 * attack steps of a learned workload are never removed. Prints the measured
 * shares (benign removed, attacks suppressed). */
#include "test.h"
#include "corpus_util.h"

/* Hand labels (see tests/data/corpus/README.md for what each file is). */
static const size_t book_attack[] = {5,  7,  8,  9,  12, 13, 14, 15, 16, 19, 21, 24, 25, 26, 27,
                                     28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 0};
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
            case STORM_BASELINE_EXPLAINED: t->explained++; break;
            case STORM_BASELINE_UNEXPLAINED: t->unexplained++; break;
            default: t->unprofiled++;
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

/* hive-sentinel keeps its columns as JSON inside JSON strings: the restart
 * must reach into them (new pids, container ids, pod suffix), or the restart
 * test above would prove nothing for that file. */
static void restart_reaches_stringified_json(void)
{
    corpus_file orig, restarted;
    CHECK(corpus_load("kubescape/hive-sentinel-stringified-columns.jsonl", false, &orig));
    CHECK(corpus_load("kubescape/hive-sentinel-stringified-columns.jsonl", true, &restarted));
    CHECK(orig.n == 31 && restarted.n == 31);
    size_t changed = 0;
    for (size_t i = 0; i < orig.n && i < restarted.n; i++) {
        const storm_event *a = &orig.recs[i].evs.items[0], *b = &restarted.recs[i].evs.items[0];
        bool pid = a->process.has_pid && b->process.has_pid && a->process.pid != b->process.pid;
        bool cid = a->k8s.container_id && b->k8s.container_id && strcmp(a->k8s.container_id, b->k8s.container_id) != 0;
        bool pod = a->k8s.pod && b->k8s.pod && strcmp(a->k8s.pod, b->k8s.pod) != 0;
        if (pid && cid && pod)
            changed++;
        if (i == 0) {
            char ka[STORM_BASELINE_KEY_MAX], kb[STORM_BASELINE_KEY_MAX];
            CHECK(storm_baseline_workload_key(a, ka, sizeof ka) && storm_baseline_workload_key(b, kb, sizeof kb));
            CHECK_STR(kb, ka);
            CHECK_STR(ka, "webapp/Deployment/webapp-mywebapp/mywebapp-app");
        }
    }
    CHECK(changed == orig.n);
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

/* check() remembers the identity of the last container event; on real
 * events in their recorded order (runs of one pod) and with profiles
 * created and dropped in between, it must give the same key and verdict as
 * building the key afresh for every event. */
static void identity_cache_is_exact(void)
{
    static const char *const files[] = {
        "kubescape/honeycluster-ssh-proxy.jsonl", "kubescape/honeycluster-clickhouse-and-agent-log.jsonl",
        "tetragon/tetragon-book-security-observability.jsonl", "k8s-audit/falco-trace-files-k8s-audit.jsonl"};
    corpus_file f[4];
    storm_baseline *cached, *fresh;
    CHECK(storm_baseline_open(NULL, NULL, &cached, NULL) == STORM_OK);
    CHECK(storm_baseline_open(NULL, NULL, &fresh, NULL) == STORM_OK);
    for (size_t i = 0; i < 4; i++) {
        CHECK(corpus_load(files[i], false, &f[i]));
        /* learn the first half of each file into both */
        learn_all(cached, &f[i], NULL, 0, f[i].n / 2);
        learn_all(fresh, &f[i], NULL, 0, f[i].n / 2);
    }
    /* a host event between two checks empties the cache of `fresh` */
    storm_event host = {0};
    host.kind = STORM_EV_PROCESS_EXEC;
    host.process.present = true;
    host.process.binary = "/usr/bin/true";
    size_t events = 0, same = 0, hits_possible = 0;
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < 4; i++) {
            for (size_t r = 0; r < f[i].n; r++) {
                for (size_t k = 0; k < f[i].recs[r].evs.n; k++) {
                    const storm_event *ev = &f[i].recs[r].evs.items[k];
                    storm_baseline_result a, b;
                    storm_baseline_check(fresh, &host, NULL);
                    storm_baseline_verdict va = storm_baseline_check(cached, ev, &a);
                    storm_baseline_verdict vb = storm_baseline_check(fresh, ev, &b);
                    char key[STORM_BASELINE_KEY_MAX];
                    storm_baseline_workload_key(ev, key, sizeof key);
                    events++;
                    same += va == vb && strcmp(a.workload, b.workload) == 0 && strcmp(a.workload, key) == 0 &&
                            strcmp(a.feature, b.feature) == 0;
                    hits_possible += r > 0 && ev->k8s.pod && f[i].recs[r - 1].evs.n &&
                                     f[i].recs[r - 1].evs.items[0].k8s.pod &&
                                     strcmp(ev->k8s.pod, f[i].recs[r - 1].evs.items[0].k8s.pod) == 0;
                }
                /* profiles come and go under the cache */
                if (r % 17 == 5 && f[i].recs[r].evs.n) {
                    char key[STORM_BASELINE_KEY_MAX];
                    if (storm_baseline_workload_key(&f[i].recs[r].evs.items[0], key, sizeof key)) {
                        storm_baseline_forget(cached, key, NULL);
                        storm_baseline_forget(fresh, key, NULL);
                    }
                }
                if (r % 23 == 7 && f[i].recs[r].evs.n) {
                    storm_baseline_learn(cached, &f[i].recs[r].evs.items[0], NULL, NULL);
                    storm_baseline_learn(fresh, &f[i].recs[r].evs.items[0], NULL, NULL);
                }
            }
        }
    }
    CHECK(events > 700 && same == events);
    CHECK(hits_possible > 300); /* the recordings do hold runs of one pod */
    storm_baseline_close(cached);
    storm_baseline_close(fresh);
    for (size_t i = 0; i < 4; i++)
        corpus_free(&f[i]);
}

int main(void)
{
    RUN(tetragon_book);
    RUN(kubehound_in_learned_workload);
    test_current = "learn_half";
    learn_half("kubescape/honeycluster-ssh-proxy.jsonl", NULL);
    learn_half("kubescape/honeycluster-clickhouse-and-agent-log.jsonl", NULL);
    learn_half("kubescape/hive-sentinel-stringified-columns.jsonl", NULL);
    RUN(restart_reaches_stringified_json);
    test_current = "learn_half";
    learn_half("kubescape/honeycluster-bobexample-infer.jsonl", NULL);
    learn_half("k8s-audit/falco-trace-files-k8s-audit.jsonl", NULL);
    learn_half("k8s-audit/falco-trace-files-psp.jsonl", NULL);
    learn_half("tetragon/tetragon-docs-examples.jsonl", docs_attack);
    RUN(kubescape_profile_vs_injection);
    RUN(identity_cache_is_exact);
    printf("TOTAL benign after restart: %zu/%zu removed (%.1f%%); benign held out: %zu/%zu removed (%.1f%%); "
           "attack events: %zu, suppressed %zu\n",
           total_benign_restart.explained, total_benign_restart.events,
           100.0 * (double)total_benign_restart.explained /
               (double)(total_benign_restart.events ? total_benign_restart.events : 1),
           total_benign_heldout.explained, total_benign_heldout.events,
           100.0 * (double)total_benign_heldout.explained /
               (double)(total_benign_heldout.events ? total_benign_heldout.events : 1),
           total_attack.events, total_attack.explained);
    CHECK(total_attack.explained == 0);
    return test_report("test_baseline_corpus");
}
