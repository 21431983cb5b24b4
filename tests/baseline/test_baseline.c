/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline API: learn/check, hand edits, caps, persistence in the store,
 * JSON export/import and Kubescape ApplicationProfile import. */
#include <stdint.h>
#include <stdlib.h>
#include <storm/baseline.h>
#include <storm/io.h>
#include <unistd.h>

#include "test.h"

static storm_event exec_event(const char *pod, const char *binary, const char *args, int64_t pid)
{
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_TETRAGON;
    ev.kind = STORM_EV_PROCESS_EXEC;
    ev.k8s.namespace_ = "shop";
    ev.k8s.pod = pod;
    ev.k8s.container = "web";
    ev.process.present = true;
    ev.process.binary = binary;
    ev.process.arguments = args;
    ev.process.has_pid = true;
    ev.process.pid = pid;
    return ev;
}

static storm_event connect_event(const char *pod, const char *ip, int64_t port)
{
    storm_event ev = exec_event(pod, "/usr/bin/curl", NULL, 1);
    ev.kind = STORM_EV_NETWORK;
    ev.net.present = true;
    ev.net.dst_ip = ip;
    ev.net.has_dst_port = true;
    ev.net.dst_port = port;
    ev.net.protocol = "tcp";
    ev.net.direction = "egress";
    return ev;
}

static void learn_and_check(void)
{
    storm_baseline *b;
    storm_baseline_opts o = {.settle_events = 2};
    CHECK(storm_baseline_open(NULL, &o, &b, NULL) == STORM_OK);
    storm_event e1 = exec_event("web-7d9f8b6c5-x2k4q", "/usr/sbin/nginx", "-g 'daemon off;' -p /tmp/run-4242", 100);
    size_t added;
    CHECK(storm_baseline_learn(b, &e1, &added, NULL) == STORM_OK && added == 1);
    CHECK(storm_baseline_learn(b, &e1, &added, NULL) == STORM_OK && added == 0);
    /* after a restart: new pod suffix, pid, numbers in arguments */
    storm_event e2 = exec_event("web-5c8d9f7b4-bq7zt", "/usr/sbin/nginx", "-g 'daemon off;' -p /tmp/run-99", 7);
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &e2, &res) == STORM_BASELINE_EXPLAINED);
    CHECK_STR(res.workload, "shop/Deployment/web/web");
    storm_event e3 = exec_event("web-5c8d9f7b4-bq7zt", "/usr/bin/nsenter", "-t 1 -m", 8);
    CHECK(storm_baseline_check(b, &e3, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK_STR(res.feature, "exec /usr/bin/nsenter -t <n> -m");
    CHECK(strstr(res.reason, "shop/Deployment/web/web") != NULL);
    storm_event other = exec_event("db-0", "/usr/bin/postgres", NULL, 1);
    CHECK(storm_baseline_check(b, &other, &res) == STORM_BASELINE_UNPROFILED);
    storm_baseline_profile_info pi;
    CHECK(storm_baseline_profile_get(b, "shop/Deployment/web/web", &pi));
    CHECK(pi.events_learned == 2 && pi.n_features == 1 && pi.explained == 1 && pi.unexplained == 1);
    CHECK(!pi.settled); /* one event since the last new feature, settle_events is 2 */
    CHECK(storm_baseline_learn(b, &e1, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_learn(b, &e1, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_profile_get(b, "shop/Deployment/web/web", &pi) && pi.settled);
    storm_baseline_close(b);
}

static void hand_edits_and_patterns(void)
{
    storm_baseline *b;
    storm_err err;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    const char *w = "shop/Deployment/web/web";
    CHECK(storm_baseline_allow(b, w, "net egress tcp 10.96.0.0/12 443", &err) == STORM_OK);
    CHECK(storm_baseline_allow(b, w, "exec /usr/bin/curl *", &err) == STORM_OK);
    storm_event c = connect_event("web-7d9f8b6c5-x2k4q", "10.96.0.1", 443);
    CHECK(storm_baseline_check(b, &c, NULL) == STORM_BASELINE_EXPLAINED);
    storm_event c2 = connect_event("web-7d9f8b6c5-x2k4q", "10.112.0.1", 443);
    CHECK(storm_baseline_check(b, &c2, NULL) == STORM_BASELINE_UNEXPLAINED);
    storm_event c3 = connect_event("web-7d9f8b6c5-x2k4q", "10.96.0.1", 80);
    CHECK(storm_baseline_check(b, &c3, NULL) == STORM_BASELINE_UNEXPLAINED);
    /* the one CIDR rule (storm/cidr.h): "/+8" or "/08" is no block (strtol
     * read both as 8), so the peer is a literal that 10.1.0.1 does not equal */
    CHECK(storm_baseline_allow(b, w, "net egress tcp 10.0.0.0/+8 8080", &err) == STORM_OK);
    CHECK(storm_baseline_allow(b, w, "net egress tcp 10.0.0.0/08 8081", &err) == STORM_OK);
    storm_event c4 = connect_event("web-7d9f8b6c5-x2k4q", "10.1.0.1", 8080);
    CHECK(storm_baseline_check(b, &c4, NULL) == STORM_BASELINE_UNEXPLAINED);
    storm_event c5 = connect_event("web-7d9f8b6c5-x2k4q", "10.1.0.1", 8081);
    CHECK(storm_baseline_check(b, &c5, NULL) == STORM_BASELINE_UNEXPLAINED);
    storm_event c6 = connect_event("web-7d9f8b6c5-x2k4q", "10.96.0.1", 443);
    CHECK(storm_baseline_check(b, &c6, NULL) == STORM_BASELINE_EXPLAINED);
    storm_event x = exec_event("web-7d9f8b6c5-x2k4q", "/usr/bin/curl", "-s http://x", 3);
    CHECK(storm_baseline_check(b, &x, NULL) == STORM_BASELINE_EXPLAINED);
    /* deny wins over the allow pattern, and learning does not bring it back */
    CHECK(storm_baseline_deny(b, w, "exec /usr/bin/curl -s http://x", &err) == STORM_OK);
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &x, &res) == STORM_BASELINE_UNEXPLAINED && res.denied);
    CHECK(storm_baseline_learn(b, &x, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &x, NULL) == STORM_BASELINE_UNEXPLAINED);
    CHECK(storm_baseline_allow(b, w, "exec /usr/bin/curl -s http://x", &err) == STORM_OK);
    CHECK(storm_baseline_check(b, &x, NULL) == STORM_BASELINE_EXPLAINED);
    /* bad features are refused with a reason */
    storm_err_clear(&err);
    CHECK(storm_baseline_allow(b, w, "teleport somewhere", &err) == STORM_ERR_VALUE && strstr(err.msg, "kind"));
    storm_err_clear(&err);
    CHECK(storm_baseline_allow(b, w, "net egress tcp", &err) == STORM_ERR_VALUE && strstr(err.msg, "4 fields"));
    CHECK(storm_baseline_forget(b, w, NULL) == STORM_OK);
    CHECK(storm_baseline_forget(b, w, NULL) == STORM_ERR_NOTFOUND);
    storm_baseline_close(b);
}

static void caps_are_counted(void)
{
    storm_baseline *b;
    storm_baseline_opts o = {.max_profiles = 2, .max_features = 3};
    CHECK(storm_baseline_open(NULL, &o, &b, NULL) == STORM_OK);
    char bin[32];
    for (int i = 0; i < 10; i++) {
        snprintf(bin, sizeof bin, "/bin/tool-%c", 'a' + i);
        storm_event e = exec_event("web-7d9f8b6c5-x2k4q", bin, NULL, i);
        CHECK(storm_baseline_learn(b, &e, NULL, NULL) == STORM_OK);
    }
    const char *pods[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        storm_event e = exec_event(pods[i], "/bin/x", NULL, i);
        storm_baseline_learn(b, &e, NULL, NULL);
    }
    storm_baseline_stats s;
    storm_baseline_get_stats(b, &s);
    CHECK(s.profiles == 2 && s.profile_overflow == 3 && s.feature_overflow == 7);
    storm_baseline_profile_info pi;
    CHECK(storm_baseline_profile_at(b, 0, &pi) && pi.n_features <= 3);
    storm_baseline_close(b);
}

static void persistence_and_export(void)
{
    char path[] = "/tmp/storm-baseline-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    storm_store *st;
    storm_baseline *b;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_store_open(path, STORM_STORE_READWRITE, &st, &err) == STORM_OK);
    CHECK(storm_baseline_open(st, NULL, &b, &err) == STORM_OK);
    storm_event e1 = exec_event("web-7d9f8b6c5-x2k4q", "/usr/sbin/nginx", NULL, 1);
    CHECK(storm_baseline_learn(b, &e1, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_deny(b, "shop/Deployment/web/web", "exec /bin/sh *", NULL) == STORM_OK);
    CHECK(storm_baseline_save(b, &err) == STORM_OK);
    storm_baseline_close(b);
    CHECK(storm_baseline_open(st, NULL, &b, &err) == STORM_OK);
    storm_baseline_profile_info pi;
    CHECK(storm_baseline_profile_get(b, "shop/Deployment/web/web", &pi) && pi.n_features == 1 && pi.n_denied == 1 &&
          pi.events_learned == 1);
    storm_buf out;
    storm_buf_init(&out, 1 << 20);
    CHECK(storm_baseline_export(b, NULL, &out, &err) == STORM_OK);
    CHECK(strstr(out.data, "\"exec /usr/sbin/nginx\"") && strstr(out.data, "\"denied\":[\"exec /bin/sh *\"]"));
    storm_baseline_close(b);
    storm_store_close(st);
    unlink(path);
    /* round trip into an in-memory baseline */
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_baseline_import_stats is;
    CHECK(storm_baseline_import_json(b, out.data, out.len, &is, &err) == STORM_OK);
    CHECK(is.profiles == 1 && is.features == 2 && is.rejected == 0);
    storm_event e2 = exec_event("web-5c8d9f7b4-bq7zt", "/usr/sbin/nginx", NULL, 9);
    CHECK(storm_baseline_check(b, &e2, NULL) == STORM_BASELINE_EXPLAINED);
    storm_buf_free(&out);
    /* bad documents: positioned errors; bad entries: counted */
    storm_err_clear(&err);
    CHECK(storm_baseline_import_json(b, "{\"type\": 1}", 11, &is, &err) == STORM_ERR_VALUE);
    storm_err_clear(&err);
    CHECK(storm_baseline_import_json(b, "{\"type\":", 8, &is, &err) == STORM_ERR_SYNTAX);
    const char *partial =
        "{\"type\":\"storm-baseline\",\"profiles\":[{\"workload\":\"a/b/c/d\",\"features\":[\"bogus x\","
        "\"file open /etc/hosts\",7]}]}";
    storm_err_clear(&err);
    CHECK(storm_baseline_import_json(b, partial, strlen(partial), &is, &err) == STORM_OK);
    CHECK(is.features == 1 && is.rejected == 2 && err.msg[0]);
    storm_baseline_close(b);
}

static void kubescape_import(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/corpus/baselines/honeycluster-webapp-applicationprofile-gke.yaml",
             root ? root : ".");
    char *data;
    size_t len;
    CHECK(storm_read_file(path, 1 << 24, &data, &len, NULL) == STORM_OK);
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_baseline_import_stats is;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_baseline_import_kubescape(b, data, len, NULL, NULL, &is, &err) == STORM_OK);
    CHECK(is.profiles == 1 && is.features > 100 && is.rejected == 0);
    const char *w = "default/Deployment/webapp/ping-app";
    storm_event ping = exec_event("webapp-d87cdd796-abcde", "/bin/ping", "-c 4 10.244.0.2", 5);
    ping.k8s.namespace_ = "default";
    ping.k8s.workload = "webapp";
    ping.k8s.workload_kind = "Deployment";
    ping.k8s.container = "ping-app";
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &ping, &res) == STORM_BASELINE_EXPLAINED);
    CHECK_STR(res.workload, w);
    /* "/proc/⋯/fd" in the profile: a dynamic segment */
    storm_event fe = ping;
    fe.kind = STORM_EV_FILE;
    fe.process.present = false;
    fe.n_files = 1;
    fe.files[0] = (storm_file_info){.path = "/proc/4242/fd", .operation = "open"};
    CHECK(storm_baseline_check(b, &fe, NULL) == STORM_BASELINE_EXPLAINED);
    fe.files[0].path = "/etc/shadow";
    CHECK(storm_baseline_check(b, &fe, NULL) == STORM_BASELINE_UNEXPLAINED);
    free(data);
    /* templated profile: --namespace/--workload override the "$values" labels */
    snprintf(path, sizeof path, "%s/tests/data/corpus/baselines/honeycluster-bob.yaml", root ? root : ".");
    CHECK(storm_read_file(path, 1 << 24, &data, &len, NULL) == STORM_OK);
    CHECK(storm_baseline_import_kubescape(b, data, len, "bob", "webapp", &is, &err) == STORM_OK);
    CHECK(is.profiles == 1);
    free(data);
    storm_err_clear(&err);
    CHECK(storm_baseline_import_kubescape(b, "kind: Pod\n", 10, NULL, NULL, &is, &err) == STORM_ERR_VALUE);
    storm_err_clear(&err);
    CHECK(storm_baseline_import_kubescape(b, "a: [\n", 5, NULL, NULL, &is, &err) == STORM_ERR_SYNTAX && err.line > 0);
    storm_baseline_close(b);
}

/* A name from a number without digits (digits would be normalised away). */
static const char *letters(int i, char buf[16])
{
    int k = 0;
    do {
        buf[k++] = (char)('a' + i % 26);
        i /= 26;
    } while (i && k < 15);
    buf[k] = '\0';
    return buf;
}

/* The profile index (hash table over the keys) and the per-profile feature
 * index stay right through growth, forget (deletion from the hash table)
 * and re-creation: every lookup agrees with what is there. */
static void many_profiles_and_features(void)
{
    storm_baseline *b;
    storm_baseline_opts o = {.max_profiles = 2000};
    CHECK(storm_baseline_open(NULL, &o, &b, NULL) == STORM_OK);
    char w[64], f[64];
    const int n = 700;
    bool all_ok = true;
    for (int i = 0; i < n; i++) {
        snprintf(w, sizeof w, "ns/Deployment/w%d/c", i);
        snprintf(f, sizeof f, "exec /bin/w%d", i);
        all_ok &= storm_baseline_allow(b, w, f, NULL) == STORM_OK;
    }
    CHECK(all_ok);
    for (int i = 0; i < n; i += 3) {
        snprintf(w, sizeof w, "ns/Deployment/w%d/c", i);
        all_ok &= storm_baseline_forget(b, w, NULL) == STORM_OK;
    }
    CHECK(all_ok);
    CHECK(storm_baseline_profile_count(b) == (size_t)(n - (n + 2) / 3));
    size_t found = 0, right = 0;
    for (int i = 0; i < n; i++) {
        snprintf(w, sizeof w, "ns/Deployment/w%d/c", i);
        storm_baseline_profile_info pi;
        bool there = storm_baseline_profile_get(b, w, &pi);
        found += there;
        right += there == (i % 3 != 0) && (!there || strcmp(pi.workload, w) == 0);
    }
    CHECK(found == (size_t)(n - (n + 2) / 3) && right == (size_t)n);
    /* listing stays sorted by key */
    storm_baseline_profile_info p0, p1;
    bool sorted = true;
    for (size_t i = 1; i < storm_baseline_profile_count(b); i++) {
        storm_baseline_profile_at(b, i - 1, &p0);
        storm_baseline_profile_at(b, i, &p1);
        sorted &= strcmp(p0.workload, p1.workload) < 0;
    }
    CHECK(sorted);
    /* check() finds profiles through the index: w5 explained, w6 (forgotten) unprofiled */
    storm_event ev = exec_event("w5-0", "/bin/w5", NULL, 1);
    ev.k8s.namespace_ = "ns";
    ev.k8s.workload = "w5";
    ev.k8s.workload_kind = "Deployment";
    ev.k8s.container = "c";
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &ev, &res) == STORM_BASELINE_EXPLAINED);
    CHECK_STR(res.workload, "ns/Deployment/w5/c");
    ev.k8s.workload = "w6";
    CHECK(storm_baseline_check(b, &ev, &res) == STORM_BASELINE_UNPROFILED);
    CHECK(storm_baseline_allow(b, "ns/Deployment/w6/c", "exec /bin/w5", NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &ev, &res) == STORM_BASELINE_EXPLAINED);
    /* one profile with many features: all found, a near miss not */
    const char *big = "ns/Deployment/big/c";
    for (int i = 0; i < 3000; i++) {
        char l[16];
        snprintf(f, sizeof f, "file open /data/f%s", letters(i, l));
        all_ok &= storm_baseline_allow(b, big, f, NULL) == STORM_OK;
    }
    CHECK(all_ok);
    storm_event fe = exec_event("big-0", "/bin/x", NULL, 1);
    fe.kind = STORM_EV_FILE;
    fe.k8s.namespace_ = "ns";
    fe.k8s.workload = "big";
    fe.k8s.workload_kind = "Deployment";
    fe.k8s.container = "c";
    fe.n_files = 1;
    size_t explained = 0;
    for (int i = 0; i < 3000; i += 7) {
        char l[16];
        snprintf(f, sizeof f, "/data/f%s", letters(i, l));
        fe.files[0] = (storm_file_info){.path = f, .operation = "open"};
        explained += storm_baseline_check(b, &fe, NULL) == STORM_BASELINE_EXPLAINED;
    }
    CHECK(explained == 429);
    fe.files[0] = (storm_file_info){.path = "/data/fzzzz", .operation = "open"};
    CHECK(storm_baseline_check(b, &fe, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK_STR(res.feature, "file open /data/fzzzz");
    storm_baseline_close(b);
}

static storm_event file_event(const char *path, const char *op)
{
    static storm_file_info files[1];
    storm_event ev = exec_event("app-7d9f8b6c5-x2k4q", "/usr/bin/app", NULL, 1);
    ev.kind = STORM_EV_FILE;
    ev.process.present = false;
    files[0] = (storm_file_info){.path = path, .operation = op};
    ev.n_files = 1;
    ev.files[0] = files[0];
    return ev;
}

static size_t count_features(const storm_baseline *b, const char *w)
{
    storm_baseline_profile_info pi;
    return storm_baseline_profile_get(b, w, &pi) ? pi.n_features : 0;
}

/* More than collapse_threshold distinct files of one directory (one
 * operation) become "<dir>/⋯"; a protected directory never does; the
 * wildcard covers one segment only; it survives a save and a reopen. */
static void directory_collapse(void)
{
    const char *w = "shop/Deployment/app/web";
    char path[64], l[16];
    storm_baseline *b;
    storm_baseline_opts o = {.collapse_threshold = 5};
    CHECK(storm_baseline_open(NULL, &o, &b, NULL) == STORM_OK);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "/var/cache/app/%s.tmp", letters(i, l));
        storm_event ev = file_event(path, "open");
        CHECK(storm_baseline_learn(b, &ev, NULL, NULL) == STORM_OK);
    }
    CHECK(count_features(b, w) == 5); /* at the threshold: kept as they are */
    storm_event more = file_event("/var/cache/app/zz.tmp", "open");
    CHECK(storm_baseline_learn(b, &more, NULL, NULL) == STORM_OK);
    CHECK(count_features(b, w) == 1);
    storm_baseline_result res;
    storm_event fresh = file_event("/var/cache/app/never-seen.tmp", "open");
    CHECK(storm_baseline_check(b, &fresh, &res) == STORM_BASELINE_EXPLAINED);
    /* one segment: a file below it, another operation, another directory are not covered */
    storm_event deeper = file_event("/var/cache/app/sub/x", "open");
    CHECK(storm_baseline_check(b, &deeper, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK_STR(res.feature, "file open /var/cache/app/sub/x");
    storm_event write = file_event("/var/cache/app/never-seen.tmp", "write");
    CHECK(storm_baseline_check(b, &write, NULL) == STORM_BASELINE_UNEXPLAINED);
    storm_event sibling = file_event("/var/cache/other", "open");
    CHECK(storm_baseline_check(b, &sibling, NULL) == STORM_BASELINE_UNEXPLAINED);
    /* learning more files there adds nothing: the wildcard counts them */
    size_t added = 9;
    storm_event again = file_event("/var/cache/app/yet-another", "open");
    CHECK(storm_baseline_learn(b, &again, &added, NULL) == STORM_OK && added == 0);
    CHECK(count_features(b, w) == 1);
    storm_buf out;
    storm_buf_init(&out, 1 << 20);
    CHECK(storm_baseline_export(b, NULL, &out, NULL) == STORM_OK);
    CHECK(strstr(out.data, "\"feature\":\"file open /var/cache/app/\xe2\x8b\xaf\",\"hits\":7") != NULL);
    storm_buf_free(&out);
    /* a file allowed by hand again is an entry of its own again */
    CHECK(storm_baseline_allow(b, w, "file open /var/cache/app/aa.tmp", NULL) == STORM_OK);
    CHECK(count_features(b, w) == 2);
    /* protected: /etc never collapses, so a new /etc file stays an anomaly */
    for (int i = 0; i < 20; i++) {
        snprintf(path, sizeof path, "/etc/app/conf-%s", letters(i, l));
        storm_event ev = file_event(path, "open");
        CHECK(storm_baseline_learn(b, &ev, NULL, NULL) == STORM_OK);
    }
    CHECK(count_features(b, w) == 22);
    storm_event shadow = file_event("/etc/app/shadow", "open");
    CHECK(storm_baseline_check(b, &shadow, NULL) == STORM_BASELINE_UNEXPLAINED);
    storm_baseline_close(b);

    /* off: never collapses */
    storm_baseline_opts off = {.collapse_threshold = SIZE_MAX};
    CHECK(storm_baseline_open(NULL, &off, &b, NULL) == STORM_OK);
    for (int i = 0; i < 60; i++) {
        snprintf(path, sizeof path, "/var/cache/app/%s.tmp", letters(i, l));
        storm_event ev = file_event(path, "open");
        CHECK(storm_baseline_learn(b, &ev, NULL, NULL) == STORM_OK);
    }
    CHECK(count_features(b, w) == 60);
    storm_baseline_close(b);

    /* default threshold 50, in a store: the children's rows go at the save */
    char db[] = "/tmp/storm-baseline-collapse-XXXXXX";
    int fd = mkstemp(db);
    CHECK(fd >= 0);
    close(fd);
    unlink(db);
    storm_store *st;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_store_open(db, STORM_STORE_READWRITE, &st, &err) == STORM_OK);
    CHECK(storm_baseline_open(st, NULL, &b, &err) == STORM_OK);
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof path, "/srv/spool/%s", letters(i, l));
        storm_event ev = file_event(path, "write");
        CHECK(storm_baseline_learn(b, &ev, NULL, NULL) == STORM_OK);
    }
    CHECK(storm_baseline_save(b, &err) == STORM_OK);
    CHECK(count_features(b, w) == 50);
    storm_event last = file_event("/srv/spool/the-51st", "write");
    CHECK(storm_baseline_learn(b, &last, NULL, NULL) == STORM_OK);
    CHECK(count_features(b, w) == 1);
    CHECK(storm_baseline_save(b, &err) == STORM_OK);
    storm_baseline_close(b);
    CHECK(storm_baseline_open(st, NULL, &b, &err) == STORM_OK);
    CHECK(count_features(b, w) == 1);
    storm_event later = file_event("/srv/spool/after-reopen", "write");
    CHECK(storm_baseline_check(b, &later, NULL) == STORM_BASELINE_EXPLAINED);
    storm_baseline_close(b);
    storm_store_close(st);
    unlink(db);
}

/* A deny wins over any allow, also a deny pattern over a learned exact entry. */
static void deny_pattern_beats_learned_entry(void)
{
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_event e = exec_event("web-7d9f8b6c5-x2k4q", "/usr/bin/nsenter", "-t 1 -m", 1);
    CHECK(storm_baseline_learn(b, &e, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &e, NULL) == STORM_BASELINE_EXPLAINED);
    CHECK(storm_baseline_deny(b, "shop/Deployment/web/web", "exec /usr/bin/nsenter *", NULL) == STORM_OK);
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &e, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK(res.denied);
    CHECK_STR(res.feature, "exec /usr/bin/nsenter -t <n> -m");
    /* lifting the deny brings the learned entry back into force */
    CHECK(storm_baseline_allow(b, "shop/Deployment/web/web", "exec /usr/bin/nsenter *", NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &e, NULL) == STORM_BASELINE_EXPLAINED);
    storm_baseline_close(b);
}

/* A '*' or "⋯" in event data is literal: what was learned from it is an
 * exact entry, never a wildcard; a '/' in a peer name never makes a CIDR. */
static void data_is_never_a_wildcard(void)
{
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_event e = exec_event("web-7d9f8b6c5-x2k4q", "/bin/sh", "-c 'rm -rf /tmp/cache/*'", 1);
    CHECK(storm_baseline_learn(b, &e, NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &e, NULL) == STORM_BASELINE_EXPLAINED);
    storm_event evil = exec_event("web-7d9f8b6c5-x2k4q", "/bin/sh", "-c 'rm -rf /tmp/cache/../../etc'", 2);
    storm_baseline_result res;
    CHECK(storm_baseline_check(b, &evil, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK_STR(res.feature, "exec /bin/sh -c rm -rf /tmp/cache/../../etc");
    storm_event dots = exec_event("web-7d9f8b6c5-x2k4q", "/bin/ls", "/data/\xe2\x8b\xaf", 3);
    CHECK(storm_baseline_learn(b, &dots, NULL, NULL) == STORM_OK);
    storm_event other = exec_event("web-7d9f8b6c5-x2k4q", "/bin/ls", "/data/secret", 4);
    CHECK(storm_baseline_check(b, &other, &res) == STORM_BASELINE_UNEXPLAINED);
    storm_event dns = connect_event("web-7d9f8b6c5-x2k4q", "10.0.0.1", 53);
    dns.net.dns_name = "0.0.0.0/0";
    CHECK(storm_baseline_learn(b, &dns, NULL, NULL) == STORM_OK);
    storm_event anywhere = connect_event("web-7d9f8b6c5-x2k4q", "203.0.113.9", 53);
    CHECK(storm_baseline_check(b, &anywhere, &res) == STORM_BASELINE_UNEXPLAINED);
    CHECK_STR(res.feature, "net egress tcp 203.0.113.9 53");
    storm_buf out;
    storm_buf_init(&out, 1 << 20);
    CHECK(storm_baseline_export(b, NULL, &out, NULL) == STORM_OK);
    CHECK(strstr(out.data, "exec /bin/sh -c rm -rf /tmp/cache/\xe2\x88\x97\"") != NULL);
    CHECK(strstr(out.data, "net egress tcp 0.0.0.0_0 53") != NULL);
    storm_buf_free(&out);
    /* the ingress peer stays a wildcard on purpose: any client of the served port */
    storm_event in = connect_event("web-7d9f8b6c5-x2k4q", "10.0.0.9", 8080);
    in.net.direction = "ingress";
    CHECK(storm_baseline_learn(b, &in, NULL, NULL) == STORM_OK);
    in.net.src_ip = "10.9.9.9";
    CHECK(storm_baseline_check(b, &in, NULL) == STORM_BASELINE_EXPLAINED);
    storm_baseline_close(b);
}

/* check()'s identity cache: each of the six inputs of a container key
 * matters (events alternate between them here), NULL and "" are the same. */
static void identity_cache_inputs(void)
{
    storm_baseline *b;
    CHECK(storm_baseline_open(NULL, NULL, &b, NULL) == STORM_OK);
    storm_event base = exec_event("web-7d9f8b6c5-x2k4q", "/usr/sbin/nginx", NULL, 1);
    base.k8s.image = "docker.io/library/nginx:1.25";
    storm_event v[7];
    for (int i = 0; i < 7; i++)
        v[i] = base;
    v[1].k8s.namespace_ = "other";
    v[2].k8s.pod = "db-0";
    v[3].k8s.workload = "frontend";
    v[4].k8s.workload_kind = "StatefulSet";
    v[5].k8s.container = "sidecar";
    v[6].k8s.container = NULL; /* falls back to the image */
    CHECK(storm_baseline_learn(b, &v[0], NULL, NULL) == STORM_OK);
    size_t right = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 7; i++) {
            char key[STORM_BASELINE_KEY_MAX];
            storm_baseline_result res;
            storm_baseline_verdict verdict = storm_baseline_check(b, &v[i], &res);
            storm_baseline_workload_key(&v[i], key, sizeof key);
            right += strcmp(res.workload, key) == 0 &&
                     verdict == (i == 0 ? STORM_BASELINE_EXPLAINED : STORM_BASELINE_UNPROFILED);
        }
    CHECK(right == 21);
    /* "" and NULL build the same key: a hit either way */
    storm_event empty_ns = base, null_ns = base;
    empty_ns.k8s.namespace_ = "";
    null_ns.k8s.namespace_ = NULL;
    storm_baseline_result r1, r2;
    storm_baseline_check(b, &empty_ns, &r1);
    storm_baseline_check(b, &null_ns, &r2);
    CHECK_STR(r1.workload, "-/Deployment/web/web");
    CHECK_STR(r2.workload, r1.workload);
    /* a profile created after the cache saw its workload unprofiled */
    CHECK(storm_baseline_check(b, &v[5], NULL) == STORM_BASELINE_UNPROFILED);
    CHECK(storm_baseline_learn(b, &v[5], NULL, NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &v[5], NULL) == STORM_BASELINE_EXPLAINED);
    CHECK(storm_baseline_forget(b, "shop/Deployment/web/sidecar", NULL) == STORM_OK);
    CHECK(storm_baseline_check(b, &v[5], NULL) == STORM_BASELINE_UNPROFILED);
    storm_baseline_close(b);
}

int main(void)
{
    RUN(learn_and_check);
    RUN(hand_edits_and_patterns);
    RUN(caps_are_counted);
    RUN(persistence_and_export);
    RUN(kubescape_import);
    RUN(many_profiles_and_features);
    RUN(directory_collapse);
    RUN(deny_pattern_beats_learned_entry);
    RUN(data_is_never_a_wildcard);
    RUN(identity_cache_inputs);
    return test_report("test_baseline");
}
