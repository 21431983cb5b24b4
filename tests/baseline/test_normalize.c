/* SPDX-License-Identifier: Apache-2.0 */
/* Normalisation on real values from tests/data/corpus (file named per case). */
#include "test.h"
#include "normalize.h"

static const char *norm(const char *s)
{
    static char buf[1024];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    bl_normalize(&o, s, strlen(s));
    return buf;
}

static void volatile_values(void)
{
    /* tetragon/honeycluster-kubehound-calibration.jsonl: projected service-account volume */
    CHECK_STR(norm("/run/secrets/kubernetes.io/serviceaccount/..2025_01_13_23_08_36.30605793/token"),
              "/run/secrets/kubernetes.io/serviceaccount/..<ts>/token");
    CHECK_STR(norm("..2024_05_30_15_39_47.3115319183"), "..<ts>");
    /* kubelet pod directory (UUID), tetragon docs */
    CHECK_STR(norm("/var/lib/kubelet/pods/02b73946-93e4-46af-a198-5869e1222a3b/volumes/kubernetes.io~projected"),
              "/var/lib/kubelet/pods/<uuid>/volumes/kubernetes.io~projected");
    /* pod names with template hash and suffix (tetragon book, testdata) */
    CHECK_STR(norm("elasticsearch-56f8fc6988-65smb"), "elasticsearch-<pod>");
    CHECK_STR(norm("deathstar-6f87496b94-qdlh8"), "deathstar-<pod>");
    CHECK_STR(norm("hyperdx-hdx-oss-v2-app-6bc79cdd9b-2rfl6"), "hyperdx-hdx-oss-v2-app-<pod>");
    /* ephemeral debug container (calibration) */
    CHECK_STR(norm("debugger-p5dw4"), "debugger-<pod>");
    /* container ids: kubescape containerID (64 hex), tetragon docker (31 hex) */
    CHECK_STR(norm("containerd://001ebc80149b32292425776a13d463909b33943a5d68d49343c9b6ef8ccbc1c5"),
              "containerd://<id>");
    CHECK_STR(norm("97329341d8b39598f7cab3edd3b01f4"), "<id>");
    /* pids in /proc paths (calibration host read) */
    CHECK_STR(norm("/proc/10/status"), "/proc/<n>/status");
    CHECK_STR(norm("/proc/7/root/etc/nginx/nginx.conf"), "/proc/<n>/root/etc/nginx/nginx.conf");
    /* timestamps (kubescape BaseRuntimeMetadata.timestamp) */
    CHECK_STR(norm("at 2025-05-06T22:07:33.782648892Z done"), "at <ts> done");
    /* go build directory (tetragon book, Merlin agent) */
    CHECK_STR(norm("/tmp/go-build3518135900/b001/exe/main"), "/tmp/go-build<n>/b<n>/exe/main");
    /* stable things stay */
    CHECK_STR(norm("/usr/lib/x86_64-linux-gnu/security/pam_unix.so"),
              "/usr/lib/x86_<n>-linux-gnu/security/pam_unix.so");
    CHECK_STR(norm("/usr/bin/python3"), "/usr/bin/python3");
    CHECK_STR(norm("kube-proxy"), "kube-proxy");
    CHECK_STR(norm("ssh-proxy"), "ssh-proxy");
    CHECK_STR(norm("/etc/update-motd.d/50-motd-news"), "/etc/update-motd.d/<n>-motd-news");
    /* a bearer token (calibration curl) */
    CHECK_STR(norm("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6I"), "Bearer <b64>");
}

static void pod_workload(void)
{
    const char *kind;
    CHECK(bl_pod_workload("elasticsearch-56f8fc6988-65smb", &kind) == strlen("elasticsearch"));
    CHECK_STR(kind, "Deployment");
    CHECK(bl_pod_workload("clickhouse-shard0-2", &kind) == strlen("clickhouse-shard0"));
    CHECK_STR(kind, "StatefulSet");
    CHECK(bl_pod_workload("privileged-pod", &kind) == strlen("privileged-pod"));
    CHECK_STR(kind, "Pod");
    CHECK(bl_pod_workload("tiefighter", &kind) == strlen("tiefighter"));
}

static void arg_shape(void)
{
    char buf[512];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    /* tetragon calibration: arguments are one shell-quoted string */
    bl_arg_shape(&o, "-c \"gdb && sleep infinity\"", 16);
    CHECK_STR(buf, "-c gdb && sleep infinity");
    /* the same command as Kubescape's args[] gives the same shape */
    const char *argv[] = {"-c", "ping -c 4 172.16.0.2"};
    char b2[512], b3[512];
    bl_out_init(&o, b2, sizeof b2);
    bl_arg_shape_argv(&o, argv, 2, 16);
    bl_out_init(&o, b3, sizeof b3);
    bl_arg_shape(&o, "-c 'ping -c 4 172.16.0.2'", 16);
    CHECK_STR(b2, b3);
    CHECK_STR(b2, "-c ping -c <n> <n>.<n>.<n>.<n>");
    /* a cap on tokens */
    bl_out_init(&o, buf, sizeof buf);
    bl_arg_shape(&o, "a b c d e", 3);
    CHECK_STR(buf, "a b c \xe2\x80\xa6");
    /* bounded output never overflows */
    char tiny[8];
    bl_out_init(&o, tiny, sizeof tiny);
    bl_normalize(&o, "/a/very/long/path/indeed", 24);
    CHECK(o.truncated && strlen(tiny) == 7);
}

int main(void)
{
    RUN(volatile_values);
    RUN(pod_workload);
    RUN(arg_shape);
    return test_report("test_baseline_normalize");
}
