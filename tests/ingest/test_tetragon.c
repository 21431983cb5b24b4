/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon decoder: every real corpus line decodes (or is skipped by type),
 * specific fields of specific real events, every hook kind and argument type
 * (synthetic lines, marked as ours: the corpus has no tracepoint, LSM, uprobe,
 * USDT or loader event), and malformed input with positioned errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>

#include "test.h"

static storm_arena *arena;

typedef struct decoded {
    storm_rc rc;
    storm_event_list list;
    const char *skip;
    storm_err err;
    const storm_event *ev; /* first event, NULL when none */
} decoded;

static decoded decode_text(const char *text)
{
    decoded d;
    memset(&d, 0, sizeof d);
    storm_value *root = NULL;
    if (storm_json_parse(arena, text, strlen(text), 0, &root, NULL, &d.err) != STORM_OK) {
        d.rc = d.err.rc;
        return d;
    }
    const storm_decoder *dec = storm_decoder_find("tetragon");
    d.rc = dec->decode(arena, root, &d.list, &d.skip, &d.err);
    d.ev = d.list.n ? &d.list.items[0] : NULL;
    return d;
}

/* Line n (1-based) of a corpus file, NUL-terminated, from the arena. */
static const char *corpus_line(const char *file, int n)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/corpus/tetragon/%s", root ? root : ".", file);
    char *data;
    size_t len;
    if (storm_read_file(path, 64u << 20, &data, &len, NULL) != STORM_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        return "";
    }
    const char *p = data;
    for (int i = 1; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    const char *out = "";
    if (p) {
        const char *e = strchr(p, '\n');
        out = storm_arena_strndup(arena, p, e ? (size_t)(e - p) : strlen(p));
    }
    free(data);
    return out;
}

static const storm_value *arg(const storm_event *ev, size_t i)
{
    return ev->hook.args && i < ev->hook.args->u.a.len ? ev->hook.args->u.a.items[i] : NULL;
}

static int64_t int_of(const storm_value *v)
{
    return v && v->type == STORM_V_INT ? v->u.i : -999999;
}

static storm_time_ns ts(const char *s)
{
    storm_time_ns t = 0;
    storm_time_parse(s, strlen(s), 0, &t);
    return t;
}

/* ---- the whole corpus ---- */

static void test_every_corpus_line(void)
{
    static const char *const files[] = {
        "honeycluster-kubehound-calibration.jsonl",
        "tetragon-book-security-observability.jsonl",
        "tetragon-docs-examples.jsonl",
        "tetragon-testdata-events.jsonl",
        "threatintel-pattern-matcher-example.jsonl",
    };
    const char *root = getenv("STORM_SOURCE_ROOT");
    int lines = 0, events = 0, skipped = 0, hooks = 0, timed = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/data/corpus/tetragon/%s", root ? root : ".", files[f]);
        char *data;
        size_t len;
        CHECK(storm_read_file(path, 64u << 20, &data, &len, NULL) == STORM_OK);
        if (!data)
            continue;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            lines++;
            storm_arena_reset(arena);
            storm_value *v = NULL;
            CHECK(storm_json_parse(arena, line, strlen(line), 0, &v, NULL, NULL) == STORM_OK);
            const storm_decoder *d = storm_decoder_detect(v);
            CHECK(d && strcmp(d->name, "tetragon") == 0);
            if (!d)
                continue;
            storm_event_list list = {0};
            const char *skip = NULL;
            storm_err err;
            storm_err_clear(&err);
            storm_rc rc = d->decode(arena, v, &list, &skip, &err);
            if (rc == STORM_ERR_UNSUPPORTED) {
                CHECK(skip && strcmp(skip, "process_throttle") == 0);
                CHECK(list.n == 0);
                skipped++;
                continue;
            }
            if (rc != STORM_OK)
                fprintf(stderr, "%s: %s\n", files[f], err.msg);
            CHECK(rc == STORM_OK);
            CHECK(list.n == 1);
            if (list.n != 1)
                continue;
            const storm_event *ev = &list.items[0];
            events++;
            CHECK(ev->sensor == STORM_SENSOR_TETRAGON);
            CHECK(ev->kind != STORM_EV_OTHER);
            CHECK(ev->process.present && ev->process.binary);
            CHECK(ev->raw == v);
            timed += ev->has_time;
            if (ev->kind == STORM_EV_KERNEL_HOOK) {
                hooks++;
                CHECK(ev->hook.present && ev->hook.name && strcmp(ev->hook.kind, "kprobe") == 0);
                /* positional args: every element normalised to {"type": ...} */
                for (size_t i = 0; ev->hook.args && i < ev->hook.args->u.a.len; i++)
                    CHECK(storm_v_get_str(ev->hook.args->u.a.items[i], "type") != NULL);
            }
        }
        free(data);
    }
    CHECK(lines == 93);
    CHECK(events == 91);
    CHECK(skipped == 2);
    CHECK(hooks == 43);
    /* every event has a time (its own or its process start) but the threatintel
     * example, which has neither time nor start_time nor exec_id */
    CHECK(timed == events - 1);
}

/* ---- specific real events ---- */

static void test_nsenter_exec(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-book-security-observability.jsonl", 21));
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    const storm_event *ev = d.ev;
    CHECK(ev->kind == STORM_EV_PROCESS_EXEC);
    CHECK_STR(ev->type, "process_exec");
    CHECK_STR(ev->process.binary, "/usr/bin/nsenter");
    CHECK_STR(ev->process.arguments, "-t 1 -m -u -n -i -p bash");
    CHECK_STR(ev->process.command_line, "/usr/bin/nsenter -t 1 -m -u -n -i -p bash");
    CHECK_STR(ev->process.cwd, "/");
    CHECK(ev->process.has_pid && ev->process.pid == 19009);
    CHECK(ev->process.has_uid && ev->process.uid == 0);
    CHECK(!ev->process.has_auid); /* 4294967295: no login session */
    CHECK_STR(ev->process.exec_id, "bWluaWt1YmU6MTQzNTQzNTYzNTQyMzoxOTAwOQ==");
    CHECK_STR(ev->process.parent_exec_id, "bWluaWt1YmU6MTIzNjkyODQ2NzQ4NToxNzAyMg==");
    CHECK(ev->process.has_start_time && ev->process.start_time == ts("2022-01-19T11:16:29.378Z"));
    CHECK(ev->has_time && ev->time == ts("2022-01-19T11:16:29.378Z"));
    CHECK_STR(ev->k8s.node, "minikube");
    CHECK_STR(ev->k8s.namespace_, "default");
    CHECK_STR(ev->k8s.pod, "privileged-pod");
    CHECK_STR(ev->k8s.container, "privileged-pod");
    CHECK_STR(ev->k8s.container_id, "85f791fd8dfa740a3b1c177e8f68e8fdb4803a7c8fa0e957a5ec38460ce047ef");
    CHECK_STR(ev->k8s.image, "nginx:latest");
    CHECK_STR(ev->k8s.image_id,
              "docker-pullable://nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31");
    /* capabilities and flags are kept in the process extras */
    const storm_value *cap = storm_v_get(ev->process.extra, "cap");
    CHECK(cap && storm_v_len(storm_v_get(cap, "effective")) == 38);
    CHECK_STR(storm_v_get_str(ev->process.extra, "flags"), "execve rootcwd clone");
    CHECK(ev->parent.present);
    CHECK_STR(ev->parent.binary, "/bin/bash");
    CHECK_STR(ev->parent.command_line, "/bin/bash"); /* no arguments */
    CHECK(ev->parent.pid == 17022);
}

static void test_tcp_connect_sock_arg(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 2));
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    const storm_event *ev = d.ev;
    CHECK(ev->kind == STORM_EV_KERNEL_HOOK);
    CHECK_STR(ev->hook.kind, "kprobe");
    CHECK_STR(ev->hook.name, "tcp_connect");
    CHECK_STR(ev->hook.policy, "monitor-network-activity-outside-cluster-cidr-range");
    CHECK_STR(ev->hook.action, "KPROBE_ACTION_POST");
    CHECK(ev->net.present);
    CHECK_STR(ev->net.family, "ipv4");
    CHECK_STR(ev->net.protocol, "tcp");
    CHECK_STR(ev->net.src_ip, "10.244.0.31");
    CHECK_STR(ev->net.dst_ip, "10.96.0.1");
    CHECK(ev->net.has_src_port && ev->net.src_port == 37054);
    CHECK(ev->net.has_dst_port && ev->net.dst_port == 443);
    CHECK_STR(ev->net.state, "TCP_SYN_SENT");
    CHECK_STR(ev->net.direction, "egress");
    const storm_value *a0 = arg(ev, 0);
    CHECK_STR(storm_v_get_str(a0, "type"), "sock_arg");
    CHECK_STR(storm_v_get_str(a0, "daddr"), "10.96.0.1");
    CHECK(int_of(storm_v_get(a0, "dport")) == 443);
    /* a cookie above INT64_MAX: opaque, stays a string */
    CHECK_STR(storm_v_get_str(a0, "cookie"), "18446613424241941248");
    CHECK_STR(storm_v_get_str(a0, "sock_type"), "SOCK_STREAM"); /* renamed: "type" names the argument */
}

static void test_connect_unknown_family(void)
{
    /* __x64_sys_connect with a sockaddr read as a sock: numeric enum strings, <nil> addresses */
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 10));
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK(!d.ev->net.present); /* ports of an unknown family would be noise */
    const storm_value *a1 = arg(d.ev, 1);
    CHECK_STR(storm_v_get_str(a1, "family"), "26977");
    CHECK(storm_v_get(a1, "saddr") == NULL); /* "<nil>" means absent */
    CHECK(int_of(storm_v_get(a1, "sport")) == 29806);
    CHECK(int_of(storm_v_get(arg(d.ev, 0), "value")) == 6);
}

static void test_size_arg_and_truncated_bytes(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-book-security-observability.jsonl", 9));
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    const storm_event *ev = d.ev;
    CHECK_STR(ev->hook.name, "__x64_sys_read");
    CHECK(!ev->hook.policy); /* older doc events have no policy_name */
    const storm_value *size = arg(ev, 2);
    CHECK_STR(storm_v_get_str(size, "type"), "size_arg");
    CHECK(storm_v_get(size, "value") && storm_v_get(size, "value")->type == STORM_V_INT);
    CHECK(int_of(storm_v_get(size, "value")) == 65536);
    const storm_value *tb = arg(ev, 1);
    CHECK_STR(storm_v_get_str(tb, "type"), "truncated_bytes_arg");
    CHECK(int_of(storm_v_get(tb, "orig_size")) == 65536);
    CHECK(ev->n_files == 1);
    CHECK_STR(ev->files[0].path, "usr/share/elasticsearch/config/elasticsearch.keystore");
    CHECK_STR(ev->files[0].operation, "read");
    /* ms-precision envelope time */
    CHECK(ev->has_time && ev->time == ts("2022-02-01T18:01:56.410Z"));
}

static void test_module_arg(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 6));
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK_STR(d.ev->hook.name, "do_init_module");
    const storm_value *m = arg(d.ev, 0);
    CHECK_STR(storm_v_get_str(m, "type"), "module_arg");
    CHECK_STR(storm_v_get_str(m, "name"), "kernel_module_hello");
    CHECK(storm_v_len(storm_v_get(m, "tainted")) == 2);
    CHECK(!d.ev->k8s.pod); /* a host process: no pod */
}

static void test_file_permission_mask(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 3));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK(d.ev->n_files == 1);
        CHECK_STR(d.ev->files[0].path,
                  "/run/secrets/kubernetes.io/serviceaccount/..2025_01_13_23_08_36.30605793/token");
        CHECK_STR(d.ev->files[0].permission, "-rw-r--r--");
        CHECK_STR(d.ev->files[0].operation, "read"); /* mask 4 = MAY_READ */
        CHECK_STR(storm_v_get_str(d.ev->hook.ret, "type"), "int_arg");
        CHECK(int_of(storm_v_get(d.ev->hook.ret, "value")) == 0);
        /* "containerd://" dropped: the bare id is what other sensors report */
        CHECK_STR(d.ev->k8s.container_id, "3914239b013be34ea89cda79ae92fd81b1f9277873a3f646a2d667d6baa3173a");
        CHECK_STR(d.ev->hook.policy, "enumerate-service-account");
    }
    storm_arena_reset(arena);
    d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 4));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->files[0].path, "/etc/passwd");
        CHECK_STR(d.ev->files[0].operation, "write"); /* mask 2 = MAY_WRITE */
    }
}

static void test_syscall_string_paths(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 9));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->hook.name, "__x64_sys_symlinkat");
        CHECK(d.ev->n_files == 1);
        CHECK_STR(d.ev->files[0].path, "/host/var/log/root_link");
        CHECK_STR(d.ev->files[0].link_target, "/");
        CHECK_STR(d.ev->files[0].operation, "symlink");
        CHECK(int_of(storm_v_get(arg(d.ev, 1), "value")) == -100); /* AT_FDCWD, negative */
    }
    storm_arena_reset(arena);
    d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 17));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->files[0].path, "/host/etc/cron.d/breakout");
        CHECK_STR(d.ev->files[0].operation, "open");
    }
    storm_arena_reset(arena);
    d = decode_text(corpus_line("honeycluster-kubehound-calibration.jsonl", 1));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->files[0].path, "/proc");
        CHECK_STR(d.ev->files[0].operation, "mount");
        CHECK_STR(d.ev->process.command_line, "/usr/bin/mount -t proc proc /proc");
        CHECK_STR(d.ev->k8s.workload, "kh-calibration-ce-2");
        CHECK_STR(d.ev->k8s.workload_kind, "Pod");
        CHECK_STR(storm_v_get_str(d.ev->k8s.labels, "app"), "kubehound-edge-test");
        CHECK(storm_v_get(d.ev->process.extra, "in_init_tree") != NULL);
        CHECK(int_of(storm_v_get(d.ev->process.extra, "container_pid")) == 325713);
    }
}

static void test_credentials_and_caps(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 19));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->hook.name, "cap_capable");
        CHECK_STR(storm_v_get_str(arg(d.ev, 0), "type"), "user_ns_arg");
        CHECK(storm_v_get(storm_v_get(arg(d.ev, 0), "ns"), "inum") != NULL);
        CHECK_STR(storm_v_get_str(arg(d.ev, 1), "name"), "CAP_SYSLOG");
        CHECK(int_of(storm_v_get(arg(d.ev, 1), "value")) == 34);
        CHECK(int_of(storm_v_get(d.ev->hook.ret, "value")) == -1);
    }
    storm_arena_reset(arena);
    d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 12));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->hook.name, "commit_creds");
        const storm_value *c = arg(d.ev, 0);
        CHECK_STR(storm_v_get_str(c, "type"), "process_credentials_arg");
        CHECK(int_of(storm_v_get(c, "euid")) == 0);
        CHECK(storm_v_get(storm_v_get(c, "caps"), "permitted") != NULL);
    }
}

static void test_legacy_network(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-book-security-observability.jsonl", 1));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        const storm_event *ev = d.ev;
        CHECK(ev->kind == STORM_EV_NETWORK);
        CHECK_STR(ev->type, "process_close");
        CHECK_STR(ev->net.src_ip, "10.88.0.7");
        CHECK(ev->net.src_port == 49168);
        CHECK_STR(ev->net.dst_ip, "142.250.180.196");
        CHECK(ev->net.dst_port == 80);
        CHECK_STR(ev->net.protocol, "tcp");
        CHECK_STR(ev->net.family, "ipv4");
        CHECK_STR(ev->net.state, "TCP_CLOSE");
        const storm_value *stats = storm_v_get(ev->net.extra, "stats");
        CHECK(int_of(storm_v_get(stats, "bytes_sent")) == 78); /* "78" in the input */
        CHECK(int_of(storm_v_get(stats, "bytes_received")) == 15221);
        CHECK(int_of(storm_v_get(stats, "segs_in")) == 14);
    }
    storm_arena_reset(arena);
    d = decode_text(corpus_line("tetragon-book-security-observability.jsonl", 6));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->type, "process_listen");
        CHECK_STR(d.ev->net.src_ip, "0.0.0.0");
        CHECK(d.ev->net.has_src_port && d.ev->net.src_port == 9080);
        CHECK(!d.ev->net.has_dst_port);
        CHECK_STR(d.ev->net.state, "TCP_LISTEN");
    }
}

static void test_times(void)
{
    /* process_exit with its own time and an envelope time: the envelope wins; status absent = 0 */
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 24));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK(d.ev->kind == STORM_EV_PROCESS_EXIT);
        CHECK(d.ev->time == ts("2023-07-16T11:50:23.947278623Z"));
        CHECK(int_of(storm_v_get(d.ev->process.extra, "exit_status")) == 0);
        CHECK(!d.ev->k8s.node); /* no node_name in this doc snippet */
        CHECK(d.ev->process.has_auid && d.ev->process.auid == 1000);
    }
    /* no time at all: the process start time */
    storm_arena_reset(arena);
    d = decode_text(corpus_line("tetragon-testdata-events.jsonl", 1));
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK(d.ev->has_time && d.ev->time == ts("2022-10-18T03:16:18.273546829Z"));
        CHECK_STR(storm_v_get_str(d.ev->k8s.labels, "app.kubernetes.io/name"), "tiefighter");
        CHECK_STR(d.ev->k8s.node, "my-node");
    }
}

static void test_throttle_skipped(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(corpus_line("tetragon-docs-examples.jsonl", 1));
    CHECK(d.rc == STORM_ERR_UNSUPPORTED);
    CHECK_STR(d.skip, "process_throttle");
    CHECK(d.list.n == 0);
    storm_arena_reset(arena);
    d = decode_text("{\"process_teleport\":{\"process\":{}},\"time\":\"2025-01-01T00:00:00Z\"}");
    CHECK(d.rc == STORM_ERR_UNSUPPORTED);
    CHECK_STR(d.skip, "process_teleport");
    d = decode_text(
        "{\"rate_limit_info\":{\"number_of_dropped_process_events\":\"12\"},\"time\":\"2025-01-01T00:00:00Z\"}");
    CHECK(d.rc == STORM_ERR_UNSUPPORTED);
    CHECK_STR(d.skip, "rate_limit_info");
}

/* ---- hook kinds and argument types the corpus lacks (our own test data) ---- */

#define OWN_PROC                                                                                                       \
    "\"process\":{\"exec_id\":\"b3duOjE6Mg==\",\"pid\":4242,\"uid\":1000,\"binary\":\"/usr/bin/cat\","                 \
    "\"arguments\":\"/etc/shadow\",\"start_time\":\"2025-02-01T10:00:00.123456789Z\","                                 \
    "\"pod\":{\"namespace\":\"ns1\",\"name\":\"web-0\",\"container\":{\"id\":\"cri-o://abc123\","                      \
    "\"name\":\"web\",\"image\":{\"id\":\"sha256:ff\",\"name\":\"web:1\"},"                                            \
    "\"security_context\":{\"privileged\":true}}}}"

static void test_tracepoint(void)
{
    storm_arena_reset(arena);
    decoded d =
        decode_text("{\"process_tracepoint\":{" OWN_PROC ",\"subsys\":\"syscalls\",\"event\":\"sys_enter_openat\","
                    "\"args\":[{\"long_arg\":\"-100\"},{\"string_arg\":\"/etc/shadow\"},{\"uint_arg\":0}],"
                    "\"policy_name\":\"tp\",\"action\":\"KPROBE_ACTION_POST\",\"tags\":[\"observability.filesystem\"]},"
                    "\"node_name\":\"n1\",\"time\":\"2025-02-01T10:00:01Z\"}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK(d.ev->kind == STORM_EV_KERNEL_HOOK);
    CHECK_STR(d.ev->hook.kind, "tracepoint");
    CHECK_STR(d.ev->hook.name, "syscalls:sys_enter_openat");
    CHECK(int_of(storm_v_get(arg(d.ev, 0), "value")) == -100); /* long_arg: int64 as a string */
    CHECK(int_of(storm_v_get(arg(d.ev, 2), "value")) == 0);
    CHECK(storm_v_len(d.ev->hook.tags) == 1);
    CHECK_STR(d.ev->k8s.container_id, "abc123");
    CHECK(storm_v_get(d.ev->process.extra, "privileged") != NULL);
}

static void test_lsm_and_binprm(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text("{\"process_lsm\":{" OWN_PROC ",\"function_name\":\"bprm_check_security\","
                            "\"args\":[{\"linux_binprm_arg\":{\"path\":\"/tmp/xmrig\",\"permission\":\"-rwxr-xr-x\"}}],"
                            "\"policy_name\":\"lsm\",\"action\":\"KPROBE_ACTION_POST\",\"ima_hash\":\"sha256:00ff\"},"
                            "\"time\":\"2025-02-01T10:00:02Z\"}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK_STR(d.ev->hook.kind, "lsm");
    CHECK_STR(d.ev->hook.name, "bprm_check_security");
    CHECK(d.ev->n_files == 1);
    CHECK_STR(d.ev->files[0].path, "/tmp/xmrig");
    CHECK_STR(d.ev->files[0].operation, "exec");
    CHECK_STR(d.ev->files[0].permission, "-rwxr-xr-x");
    storm_arena_reset(arena);
    d = decode_text("{\"process_lsm\":{" OWN_PROC ",\"function_name\":\"file_open\","
                    "\"args\":[{\"file_arg\":{\"path\":\"/etc/shadow\",\"mount\":\"/\"}}]}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev)
        CHECK_STR(d.ev->files[0].operation, "open");
}

static void test_uprobe_usdt_loader(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text("{\"process_uprobe\":{" OWN_PROC ",\"path\":\"/bin/bash\",\"symbol\":\"readline\","
                            "\"policy_name\":\"up\",\"args\":[{\"string_arg\":\"id\",\"label\":\"line\"}]}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->hook.kind, "uprobe");
        CHECK_STR(d.ev->hook.name, "readline");
        CHECK_STR(storm_v_get_str(arg(d.ev, 0), "label"), "line");
        CHECK_STR(storm_v_get_str(arg(d.ev, 0), "value"), "id");
        CHECK(d.ev->time == ts("2025-02-01T10:00:00.123456789Z")); /* no time: process start */
    }
    storm_arena_reset(arena);
    d = decode_text("{\"process_usdt\":{" OWN_PROC ",\"path\":\"/usr/bin/python3\",\"provider\":\"python\","
                    "\"name\":\"function__entry\",\"args\":[{\"size_arg\":\"1\"}]}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->hook.kind, "usdt");
        CHECK_STR(d.ev->hook.name, "python:function__entry");
    }
    storm_arena_reset(arena);
    d = decode_text("{\"process_loader\":{" OWN_PROC ",\"path\":\"/lib/x86_64-linux-gnu/libc.so.6\","
                    "\"buildid\":\"qqo=\"}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK(d.ev->kind == STORM_EV_FILE);
        CHECK_STR(d.ev->files[0].path, "/lib/x86_64-linux-gnu/libc.so.6");
        CHECK_STR(d.ev->files[0].operation, "load");
    }
}

static void test_more_arg_types(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text(
        "{\"process_kprobe\":{" OWN_PROC ",\"function_name\":\"__cgroup_bpf_run_filter_skb\",\"args\":["
        "{\"skb_arg\":{\"hash\":1,\"len\":60,\"saddr\":\"10.0.0.1\",\"daddr\":\"10.0.0.2\",\"sport\":1234,"
        "\"dport\":53,\"proto\":17}},"
        "{\"path_arg\":{\"path\":\"/var/run/secrets/token\",\"mount\":\"/\"}},"
        "{\"cred_arg\":{\"permitted\":[\"CAP_SYS_ADMIN\"]}},"
        "{\"bpf_attr_arg\":{\"ProgType\":\"BPF_PROG_TYPE_KPROBE\",\"InsnCnt\":12,\"ProgName\":\"x\"}},"
        "{\"perf_event_arg\":{\"KprobeFunc\":\"f\",\"Type\":\"kprobe\",\"Config\":\"42\",\"ProbeOffset\":\"0\"}},"
        "{\"bpf_map_arg\":{\"MapType\":\"BPF_MAP_TYPE_HASH\",\"KeySize\":4}},"
        "{\"net_dev_arg\":{\"name\":\"eth0\"}},"
        "{\"syscall_id\":{\"id\":59,\"abi\":\"x64\"}},"
        "{\"kernel_cap_t_arg\":\"000001ffffffffff\"},"
        "{\"bytes_arg\":\"aGVsbG8=\"},"
        "{\"future_arg\":{\"x\":[1,2]}},"
        "{\"bpf_cmd_arg\":\"BPF_PROG_LOAD\"}"
        "],\"return\":{\"int_arg\":-13},\"message\":\"skb\"}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK(storm_v_len(d.ev->hook.args) == 12);
    CHECK(d.ev->net.present);
    CHECK_STR(d.ev->net.family, "ipv4");
    CHECK_STR(d.ev->net.protocol, "udp");
    CHECK(d.ev->net.dst_port == 53);
    CHECK_STR(d.ev->files[0].path, "/var/run/secrets/token");
    CHECK(int_of(storm_v_get(arg(d.ev, 4), "Config")) == 42);
    CHECK_STR(storm_v_get_str(arg(d.ev, 10), "type"), "future_arg"); /* unknown: kept generically */
    CHECK(storm_v_len(storm_v_get(arg(d.ev, 10), "x")) == 2);
    CHECK_STR(storm_v_get_str(arg(d.ev, 8), "value"), "000001ffffffffff");
    CHECK_STR(d.ev->hook.message, "skb");
    CHECK(int_of(storm_v_get(d.ev->hook.ret, "value")) == -13);

    /* sockaddr_arg on connect: the destination */
    storm_arena_reset(arena);
    d = decode_text("{\"process_kprobe\":{" OWN_PROC ",\"function_name\":\"security_socket_connect\",\"args\":["
                    "{\"sockaddr_arg\":{\"family\":\"AF_INET6\",\"addr\":\"2001:db8::1\",\"port\":443}}]}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (d.ev) {
        CHECK_STR(d.ev->net.family, "ipv6");
        CHECK_STR(d.ev->net.dst_ip, "2001:db8::1");
        CHECK(d.ev->net.dst_port == 443);
        CHECK_STR(d.ev->net.direction, "egress");
    }
}

static void test_ancestors(void)
{
    storm_arena_reset(arena);
    decoded d = decode_text("{\"process_exec\":{" OWN_PROC ",\"parent\":{\"binary\":\"/bin/sh\",\"pid\":1},"
                            "\"ancestors\":[{\"binary\":\"/usr/bin/containerd-shim\",\"pid\":7},"
                            "{\"binary\":\"/sbin/init\",\"pid\":1,\"auid\":4294967295}]}}");
    CHECK(d.rc == STORM_OK && d.ev);
    if (!d.ev)
        return;
    CHECK(d.ev->n_ancestors == 2);
    if (d.ev->n_ancestors == 2) {
        CHECK_STR(d.ev->ancestors[0].binary, "/usr/bin/containerd-shim");
        CHECK_STR(d.ev->ancestors[1].binary, "/sbin/init");
        CHECK(!d.ev->ancestors[1].has_auid);
    }
}

/* ---- malformed input ---- */

static void expect_value_error(const char *text, const char *path_in_msg, const char *at)
{
    storm_arena_reset(arena);
    decoded d = decode_text(text);
    CHECK(d.rc == STORM_ERR_VALUE);
    CHECK(d.list.n == 0); /* no half-decoded event is left behind */
    if (!strstr(d.err.msg, path_in_msg))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", d.err.msg, path_in_msg);
    CHECK(strstr(d.err.msg, path_in_msg) != NULL);
    if (at) {
        const char *where = strstr(text, at);
        CHECK(where && d.err.offset == (size_t)(where - text));
    }
}

static void test_wrong_types(void)
{
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":\"123\"}}}", "process_exec.process.pid", "\"123\"");
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":-1}}}", "process_exec.process.pid", "-1");
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":1.5}}}", "process_exec.process.pid", "1.5");
    /* too large is "out of range", not "a fractional number" nor "not JSON" */
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":10000000000000000000000000000000000000000}}}",
                       "process_exec.process.pid: the number is out of range", "10000");
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":1e400}}}",
                       "process_exec.process.pid: the number is out of range", "1e400");
    expect_value_error("{\"process_exec\":{\"process\":{\"pid\":-1e400}}}",
                       "process_exec.process.pid: the number is out of range", "-1e400");
    expect_value_error("{\"process_exec\":{\"process\":{\"binary\":7}}}", "process_exec.process.binary", "7}");
    expect_value_error("{\"process_exec\":{\"process\":[]}}", "process_exec.process", "[]");
    expect_value_error("{\"process_exec\":5}", "process_exec", "5}");
    expect_value_error("{\"process_exec\":{\"process\":{\"start_time\":\"yesterday\"}}}",
                       "process_exec.process.start_time", "\"yesterday\"");
    expect_value_error("{\"process_exec\":{},\"time\":12}", "time", "12}");
    /* beyond what nanoseconds since 1970 in 64 bits can hold */
    expect_value_error("{\"process_exec\":{},\"time\":\"9999-12-31T23:59:59Z\"}", "outside the years", "\"9999");
    expect_value_error("{\"process_exec\":{\"process\":{\"start_time\":\"0001-01-01T00:00:00Z\"}}}",
                       "process_exec.process.start_time", "\"0001");
    expect_value_error("{\"process_exec\":{\"process\":{\"pod\":{\"container\":{\"image\":{\"name\":false}}}}}}",
                       "process_exec.process.pod.container.image.name", "false");
    expect_value_error("{\"process_kprobe\":{\"args\":{\"int_arg\":1}}}", "process_kprobe.args", "{\"int_arg\"");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"int_arg\":1},{\"int_arg\":\"x\"}]}}",
                       "process_kprobe.args[1].int_arg", "\"x\"");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"size_arg\":\"12ab\"}]}}", "process_kprobe.args[0].size_arg",
                       "\"12ab\"");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"size_arg\":true}]}}", "args[0].size_arg", "true");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"int_arg\":1,\"string_arg\":\"a\"}]}}", "args[0]", NULL);
    expect_value_error("{\"process_kprobe\":{\"args\":[{}]}}", "args[0]", "{}");
    expect_value_error("{\"process_kprobe\":{\"args\":[7]}}", "args[0]", "7]");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"sock_arg\":\"x\"}]}}", "args[0].sock_arg", "\"x\"");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"sock_arg\":{\"family\":\"AF_INET\",\"dport\":\"443\"}}]}}",
                       "args[0].sock_arg.dport", "\"443\"");
    expect_value_error("{\"process_kprobe\":{\"args\":[{\"file_arg\":{\"path\":[\"/a\"]}}]}}", "args[0].file_arg.path",
                       "[\"/a\"]");
    expect_value_error("{\"process_kprobe\":{\"function_name\":1}}", "process_kprobe.function_name", "1}");
    expect_value_error("{\"process_kprobe\":{\"tags\":[\"a\",2]}}", "process_kprobe.tags[1]", "2]");
    expect_value_error("{\"process_kprobe\":{\"return\":{\"int_arg\":\"0\"}}}", "process_kprobe.return.int_arg",
                       "\"0\"");
    expect_value_error("{\"process_exec\":{\"ancestors\":[{\"pid\":\"1\"}]}}", "process_exec.ancestors[0].pid",
                       "\"1\"");
    expect_value_error("{\"process_close\":{\"stats\":{\"bytes_sent\":\"many\"}}}", "process_close.stats.bytes_sent",
                       "\"many\"");
    expect_value_error("{\"process_exec\":{},\"process_exit\":{}}", "one event", NULL);
    expect_value_error("[1,2]", "JSON object", NULL);
}

static void test_truncated_lines(void)
{
    /* every prefix of a real line either fails to parse, or decodes/fails cleanly */
    const char *line = corpus_line("honeycluster-kubehound-calibration.jsonl", 2);
    char *copy = strdup(line);
    size_t n = strlen(line);
    int parse_fail = 0;
    for (size_t cut = 0; cut < n; cut += 7) {
        storm_arena_reset(arena);
        storm_value *v = NULL;
        if (storm_json_parse(arena, copy, cut, 0, &v, NULL, NULL) != STORM_OK) {
            parse_fail++;
            continue;
        }
        storm_event_list list = {0};
        const char *skip = NULL;
        storm_decoder_find("tetragon")->decode(arena, v, &list, &skip, NULL);
    }
    CHECK(parse_fail > 0);
    free(copy);
}

static void test_detect(void)
{
    storm_arena_reset(arena);
    storm_value *v = NULL;
    const storm_decoder *t = storm_decoder_find("tetragon");
    const char *yes[] = {"{\"process_exec\":{}}", "{\"node_name\":\"n\",\"process_kprobe\":{},\"time\":\"x\"}",
                         "{\"process_throttle\":{}}"};
    const char *no[] = {"{}",
                        "[]",
                        "{\"process_exec\":{},\"process_exit\":{}}",
                        "{\"kind\":\"Event\"}",
                        "{\"process\":{}}",
                        "{\"processes\":1}"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        CHECK(storm_json_parse(arena, yes[i], strlen(yes[i]), 0, &v, NULL, NULL) == STORM_OK);
        CHECK(t->detect(v));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        CHECK(storm_json_parse(arena, no[i], strlen(no[i]), 0, &v, NULL, NULL) == STORM_OK);
        CHECK(!t->detect(v));
    }
    CHECK(t->sensor == STORM_SENSOR_TETRAGON);
}

int main(void)
{
    arena = storm_arena_new(0, 256u << 20);
    RUN(test_every_corpus_line);
    RUN(test_nsenter_exec);
    RUN(test_tcp_connect_sock_arg);
    RUN(test_connect_unknown_family);
    RUN(test_size_arg_and_truncated_bytes);
    RUN(test_module_arg);
    RUN(test_file_permission_mask);
    RUN(test_syscall_string_paths);
    RUN(test_credentials_and_caps);
    RUN(test_legacy_network);
    RUN(test_times);
    RUN(test_throttle_skipped);
    RUN(test_tracepoint);
    RUN(test_lsm_and_binprm);
    RUN(test_uprobe_usdt_loader);
    RUN(test_more_arg_types);
    RUN(test_ancestors);
    RUN(test_wrong_types);
    RUN(test_truncated_lines);
    RUN(test_detect);
    storm_arena_free(arena);
    return test_report("test_tetragon");
}
