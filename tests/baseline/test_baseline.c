/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline API: learn/check, hand edits, caps, persistence in the store,
 * JSON export/import and Kubescape ApplicationProfile import. */
#include <stdlib.h>
#include <storm/baseline.h>
#include <storm/io.h>
#include <unistd.h>

#include "../unit/test.h"

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
    const char *partial = "{\"type\":\"storm-baseline\",\"profiles\":[{\"workload\":\"a/b/c/d\",\"features\":[\"bogus x\","
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

int main(void)
{
    RUN(learn_and_check);
    RUN(hand_edits_and_patterns);
    RUN(caps_are_counted);
    RUN(persistence_and_export);
    RUN(kubescape_import);
    return test_report("test_baseline");
}
