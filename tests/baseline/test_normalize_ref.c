/* SPDX-License-Identifier: Apache-2.0 */
/* The optimised normaliser (table-driven, run-at-a-time, word-at-a-time
 * fast path) against the reference implementation (normalize_ref.h) on
 * real values and on many generated strings built from the shapes that
 * matter (UUIDs, timestamps, pod names, hex runs, tokens, quotes, all kinds
 * of whitespace, non-ASCII), with small output caps too: the output, its
 * length and the truncation flag must be identical. */
#include <stdint.h>
#include <stdlib.h>

#include "test.h"
#include "normalize_ref.h"

#define OUT_CAP 2048

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: deterministic, so a failure is reproducible */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static const char *const fragments[] = {
    "02b73946-93e4-46af-a198-5869e1222a3b", "deadbeef-abcd-abcd-abcd-abcdefabcdef", "2025-05-06T22:07:33.782648892Z",
    "..2024_05_30_15_39_47.3115319183", "2024-01-02", "1999_12_31-23_59_59+02:00", "2020-13-01", "-56f8fc6988-65smb",
    "-6bc79cdd9b-2rfl6", "-p5dw4", "-bcdfg-hjklm", "-x2k4q", "001ebc80149b32292425776a13d463909b33943a5d68d49343c9b6",
    "97329341d8b39598f7cab3edd3b01f4", "cafebabe", "go-build3518135900", "python3", "x86_64", "eyJhbGciOiJSUzI1NiIsI",
    "/proc/", "/var/lib/kubelet/pods/", "kube-proxy", "elasticsearch", "-", "--", "_", ".", "/", ":", " ", "  ", "\t",
    "\n", "\r\n", "'", "\"", "\\", "\xe2\x8b\xaf", "\xe2\x80\xa6", "\xff", "Z", "T", "+", ",", "=", "0", "7", "42", "123",
    "4096", "b001", "a", "e", "bq7zt", "sshd", "-D", "-c", "ls -la", "'a b'", "\"x \\\" y\"",
};

/* A random string of up to max bytes: fragments and random bytes. */
static size_t gen(char *buf, size_t max)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789aeiouy0130123456789abcdefABCDEFGXYZ-_./: \t";
    size_t n = 0, parts = 1 + rnd(12);
    for (size_t p = 0; p < parts && n < max; p++) {
        if (rnd(3)) {
            const char *f = fragments[rnd(sizeof fragments / sizeof fragments[0])];
            size_t fl = strlen(f);
            if (rnd(8) == 0 && fl > 1)
                fl = 1 + rnd((uint32_t)fl); /* a cut shape */
            for (size_t k = 0; k < fl && n < max; k++)
                buf[n++] = f[k];
        } else {
            size_t run = 1 + rnd(20);
            for (size_t k = 0; k < run && n < max; k++)
                buf[n++] = alphabet[rnd(sizeof alphabet - 1)];
        }
    }
    return n;
}

static bool same_normalize(const char *s, size_t len, size_t cap)
{
    char want[OUT_CAP], got[OUT_CAP];
    bl_out w, g;
    bl_out_init(&w, want, cap);
    bl_out_init(&g, got, cap);
    ref_normalize(&w, s, len);
    bl_normalize(&g, s, len);
    bool same = w.len == g.len && w.truncated == g.truncated && memcmp(want, got, w.len + 1) == 0;
    if (!same)
        fprintf(stderr, "normalize differs (cap %zu) on '%.*s':\n  ref: '%s'\n  got: '%s'\n", cap, (int)len, s, want,
                got);
    return same;
}

static bool same_arg_shape(const char *s, size_t cap, size_t max_tokens)
{
    char want[OUT_CAP], got[OUT_CAP];
    bl_out w, g;
    bl_out_init(&w, want, cap);
    bl_out_init(&g, got, cap);
    ref_arg_shape(&w, s, max_tokens);
    bl_arg_shape(&g, s, max_tokens);
    bool same = w.len == g.len && w.truncated == g.truncated && memcmp(want, got, w.len + 1) == 0;
    if (!same)
        fprintf(stderr, "arg_shape differs (cap %zu) on '%s':\n  ref: '%s'\n  got: '%s'\n", cap, s, want, got);
    return same;
}

static void real_values(void)
{
    static const char *const values[] = {
        "/run/secrets/kubernetes.io/serviceaccount/..2025_01_13_23_08_36.30605793/token",
        "/var/lib/kubelet/pods/02b73946-93e4-46af-a198-5869e1222a3b/volumes/kubernetes.io~projected",
        "elasticsearch-56f8fc6988-65smb", "hyperdx-hdx-oss-v2-app-6bc79cdd9b-2rfl6", "debugger-p5dw4",
        "containerd://001ebc80149b32292425776a13d463909b33943a5d68d49343c9b6ef8ccbc1c5", "/proc/7/root/etc/nginx.conf",
        "at 2025-05-06T22:07:33.782648892Z done", "/tmp/go-build3518135900/b001/exe/main",
        "/usr/lib/x86_64-linux-gnu/security/pam_unix.so", "/etc/update-motd.d/50-motd-news",
        "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6I", "/mnt/rv/[rosetta]", "", "-", "a-bcdfgh-jklmn", "-bcdfgh-jklmn",
    };
    size_t ok = 0, n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++)
        ok += same_normalize(values[i], strlen(values[i]), OUT_CAP);
    CHECK(ok == n);
}

static void generated(void)
{
    char s[600];
    size_t ok = 0, runs = 100000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        s[len] = '\0';
        /* a small cap now and then: truncation must happen at the same byte */
        size_t cap = rnd(10) == 0 ? 1 + rnd(40) : OUT_CAP;
        ok += same_normalize(s, len, cap);
    }
    CHECK(ok == runs);
}

static void generated_args(void)
{
    char s[600];
    size_t ok = 0, runs = 30000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        for (size_t k = 0; k < len; k++)
            if (!s[k])
                s[k] = ' ';
        s[len] = '\0';
        size_t cap = rnd(10) == 0 ? 1 + rnd(40) : OUT_CAP;
        ok += same_arg_shape(s, cap, rnd(4) == 0 ? 1 + rnd(4) : 16);
    }
    CHECK(ok == runs);
    /* a token longer than the token buffer (511 bytes), with and without quotes */
    char longtok[1400];
    memset(longtok, 'x', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = '\0';
    memcpy(longtok + 600, "123", 3);
    CHECK(same_arg_shape(longtok, OUT_CAP, 16));
    longtok[10] = '"';
    longtok[900] = '"';
    CHECK(same_arg_shape(longtok, OUT_CAP, 16));
}

static void pod_workload(void)
{
    char s[80];
    size_t ok = 0, runs = 20000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        for (size_t k = 0; k < len; k++)
            if (!s[k])
                s[k] = 'x';
        s[len] = '\0';
        const char *k1, *k2;
        size_t a = ref_pod_workload(s, &k1), b = bl_pod_workload(s, &k2);
        ok += a == b && strcmp(k1, k2) == 0;
    }
    CHECK(ok == runs);
}

int main(void)
{
    RUN(real_values);
    RUN(generated);
    RUN(generated_args);
    RUN(pod_workload);
    return test_report("test_baseline_normalize_ref");
}
