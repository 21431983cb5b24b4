/* SPDX-License-Identifier: Apache-2.0 */
/* The normaliser (baseline/normalize.h) against expectations written by
 * hand from its documented rules, and properties that hold whatever the
 * implementation, checked on many generated strings (UUIDs, timestamps, pod
 * names, hex runs, tokens, quotes, all kinds of whitespace, non-ASCII):
 * - a small output cap gives a prefix of the full output, truncated exactly
 *   when the full output does not fit;
 * - no run of digits is left standing alone (it would be a pid, a port, a
 *   counter: what changes between runs), and whitespace comes out as
 *   single spaces;
 * - the string and the argv forms of simple arguments give the same shape;
 * - a pod's workload name is a prefix of the pod name cut at a '-'.
 * (It replaces a copy of normalize.c that was compared with itself.) */
#include <stdint.h>
#include <stdlib.h>

#include "test.h"
#include "normalize_props.h"

#define OUT_CAP 2048

static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
    return test_rand(&rng_state, n);
}

static const char *const fragments[] = {
    "02b73946-93e4-46af-a198-5869e1222a3b",
    "DEADBEEF-ABCD-ABCD-ABCD-ABCDEFABCDEF",
    "2025-05-06T22:07:33.782648892Z",
    "..2024_05_30_15_39_47.3115319183",
    "2024-01-02",
    "1999_12_31-23_59_59+02:00",
    "2020-13-01",
    "-56f8fc6988-65smb",
    "-6bc79cdd9b-2rfl6",
    "-p5dw4",
    "-bcdfg-hjklm",
    "-x2k4q",
    "001ebc80149b32292425776a13d463909b33943a5d68d49343c9b6",
    "97329341d8b39598f7cab3edd3b01f4",
    "cafebabe",
    "go-build3518135900",
    "python3",
    "x86_64",
    "eyJhbGciOiJSUzI1NiIsI",
    "/proc/",
    "/var/lib/kubelet/pods/",
    "kube-proxy",
    "elasticsearch",
    "-",
    "--",
    "_",
    ".",
    "/",
    ":",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "'",
    "\"",
    "\\",
    "\xe2\x8b\xaf",
    "\xe2\x80\xa6",
    "\xff",
    "Z",
    "T",
    "+",
    ",",
    "=",
    "0",
    "7",
    "42",
    "123",
    "4096",
    "b001",
    "a",
    "e",
    "bq7zt",
    "sshd",
    "-D",
    "-c",
    "ls -la",
    "'a b'",
    "\"x \\\" y\"",
    "<n>",
    "<pod>",
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

static const char *norm(const char *s)
{
    static char buf[OUT_CAP];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    bl_normalize(&o, s, strlen(s));
    return buf;
}

static const char *shape(const char *args, size_t max_tokens)
{
    static char buf[OUT_CAP];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    bl_arg_shape(&o, args, max_tokens);
    return buf;
}

/* Each row was written from the rules in normalize.h, then run. */
static void table(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        /* whitespace runs of any kind become one space; ends are kept */
        {"", ""},
        {"a  b", "a b"},
        {"a\tb", "a b"},
        {"a\r\n\r\nb", "a b"},
        {" lead", " lead"},
        {"trail ", "trail "},
        /* <n>: digits standing alone, or 3+ digits inside a word */
        {"12345", "<n>"},
        {"port 8080", "port <n>"},
        {"v1.2.3", "v1.<n>.<n>"},
        {"x-42", "x-<n>"},
        {"ab12cd", "ab12cd"},
        {"python3", "python3"},
        {"sha256:abc", "sha<n>:abc"},
        {"a_1234_b", "a_<n>_b"},
        {"\xc3\xa9 12 \xc3\xbc", "\xc3\xa9 <n> \xc3\xbc"},
        /* hex runs with a digit: 8..23 <hex>, 24+ <id>; letters alone are a word */
        {"abc123def", "<hex>"},
        {"0123456789abcdef0123456", "<hex>"},
        {"0123456789abcdef01234567", "<id>"},
        {"deadbeef", "deadbeef"},
        {"DEADBEEF", "DEADBEEF"},
        /* <uuid>, either case, only as a whole word */
        {"02B73946-93E4-46AF-A198-5869E1222A3B", "<uuid>"},
        {"id=02b73946-93e4-46af-a198-5869e1222a3b;", "id=<uuid>;"},
        {"02b73946-93e4-46af-a198-5869e1222a3bx", "<hex>-93e4-46af-a<n>-<n>e<n>a3bx"},
        /* <ts>: real dates only */
        {"2024-01-02", "<ts>"},
        {"2024-01-02T03:04:05Z", "<ts>"},
        {"1999_12_31-23_59_59+02:00", "<ts>"},
        {"2024-13-01", "<n>-<n>-<n>"},
        {"12:34:56", "<n>:<n>:<n>"},
        /* <pod>: hash and suffix in the Kubernetes alphabet (no vowels, no 0 1 3) */
        {"web-7d9f8b6c5-x2k4q", "web-<pod>"},
        {"web-x2k4q", "web-<pod>"},
        {"web-abcde", "web-abcde"},
        {"web-bcdfg-hjklm", "web-bcdfg-hjklm"},
        /* <b64>: 16+ characters mixing upper, lower and digits */
        {"aB3dE5gH7jK9mN1pQ", "<b64>"},
        {"abcdefghijklmnop", "abcdefghijklmnop"},
        {"ABCDEFGHIJKLMNOP1", "ABCDEFGHIJKLMNOP1"},
        /* placeholders are left as they are */
        {"web-<pod> <n> <uuid> <b64>", "web-<pod> <n> <uuid> <b64>"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_STR(norm(rows[i].in), rows[i].want);

    /* arguments: shell-like tokens, quotes and backslashes honoured */
    CHECK_STR(shape("-c 'a  b'", 16), "-c a b");
    CHECK_STR(shape("\"x \\\" y\"", 16), "x \" y");
    CHECK_STR(shape("a\\ b c", 16), "a b c");
    CHECK_STR(shape("  a   b  ", 16), "a b");
    CHECK_STR(shape("", 16), "");
    CHECK_STR(shape("echo 123 abc", 16), "echo <n> abc");
    CHECK_STR(shape("a b c d e", 2), "a b \xe2\x80\xa6");

    static const struct {
        const char *pod, *workload, *kind;
    } pods[] = {
        {"web-7d9f8b6c5-x2k4q", "web", "Deployment"},
        {"web-x2k4q", "web", "DaemonSet"},
        {"db-0", "db", "StatefulSet"},
        {"db-12", "db", "StatefulSet"},
        {"plain", "plain", "Pod"},
        {"a-b-c", "a-b-c", "Pod"},
        {"-x2k4q", "-x2k4q", "Pod"},
        {"", "", "Pod"},
    };
    for (size_t i = 0; i < sizeof pods / sizeof pods[0]; i++) {
        const char *kind = NULL;
        size_t n = bl_pod_workload(pods[i].pod, &kind);
        CHECK(n == strlen(pods[i].workload) && strncmp(pods[i].pod, pods[i].workload, n) == 0);
        CHECK_STR(kind, pods[i].kind);
    }
}

static void generated(void)
{
    char s[600], full[OUT_CAP], small[64];
    size_t bad_prefix = 0, bad_digits = 0, runs = 100000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        s[len] = '\0';
        bl_out f, m;
        bl_out_init(&f, full, sizeof full);
        bl_normalize(&f, s, len);
        bl_out_init(&m, small, 1 + rnd(sizeof small - 1));
        bl_normalize(&m, s, len);
        if (!props_prefix_ok(full, f.len, &m) && bad_prefix++ < 3)
            fprintf(stderr, "cap %zu: '%s' is no prefix of '%s'\n", m.cap, small, full);
        if (!props_normalized_ok(full, f.len) && bad_digits++ < 3)
            fprintf(stderr, "digits left standing or whitespace kept: '%s' -> '%s'\n", s, full);
    }
    CHECK(bad_prefix == 0);
    CHECK(bad_digits == 0);
}

static void generated_args(void)
{
    char s[600], full[OUT_CAP], small[64];
    size_t bad_prefix = 0, bad_argv = 0, runs = 30000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        s[len] = '\0';
        size_t max_tokens = rnd(4) == 0 ? 1 + rnd(4) : 16;
        bl_out f, m;
        bl_out_init(&f, full, sizeof full);
        bl_arg_shape(&f, s, max_tokens);
        bl_out_init(&m, small, 1 + rnd(sizeof small - 1));
        bl_arg_shape(&m, s, max_tokens);
        if (!props_prefix_ok(full, f.len, &m) && bad_prefix++ < 3)
            fprintf(stderr, "arg cap %zu: '%s' is no prefix of '%s'\n", m.cap, small, full);
        /* without quotes and backslashes, the string and argv forms agree */
        if (strpbrk(s, "'\"\\"))
            continue;
        char copy[600], *argv[300];
        size_t argc = 0;
        memcpy(copy, s, len + 1);
        for (char *save = NULL, *t = strtok_r(copy, " \t\r\n", &save); t && argc < 300;
             t = strtok_r(NULL, " \t\r\n", &save))
            argv[argc++] = t;
        char viaargv[OUT_CAP];
        bl_out v;
        bl_out_init(&v, viaargv, sizeof viaargv);
        bl_arg_shape_argv(&v, (const char *const *)argv, argc, max_tokens);
        if (strcmp(viaargv, full) != 0 && bad_argv++ < 3)
            fprintf(stderr, "argv form differs on '%s': '%s' vs '%s'\n", s, viaargv, full);
    }
    CHECK(bad_prefix == 0);
    CHECK(bad_argv == 0);
    /* a token longer than the token buffer, with and without quotes: bounded */
    char longtok[1400];
    memset(longtok, 'x', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = '\0';
    memcpy(longtok + 600, "123", 3);
    char out[OUT_CAP];
    bl_out o;
    bl_out_init(&o, out, sizeof out);
    bl_arg_shape(&o, longtok, 16);
    CHECK(o.len > 0 && o.len < sizeof out && strlen(out) == o.len);
    longtok[10] = '"';
    longtok[900] = '"';
    bl_out_init(&o, out, sizeof out);
    bl_arg_shape(&o, longtok, 16);
    CHECK(o.len > 0 && o.len < sizeof out && strlen(out) == o.len);
}

static void pod_workload(void)
{
    char s[80];
    size_t bad = 0, runs = 20000;
    for (size_t r = 0; r < runs; r++) {
        size_t len = gen(s, sizeof s - 1);
        for (size_t k = 0; k < len; k++)
            if (!s[k])
                s[k] = 'x';
        s[len] = '\0';
        const char *kind = NULL;
        size_t n = bl_pod_workload(s, &kind);
        if (!props_pod_ok(s, n, kind) && bad++ < 3)
            fprintf(stderr, "pod '%s' -> %zu %s\n", s, n, kind ? kind : "(null)");
    }
    CHECK(bad == 0);
}

int main(void)
{
    RUN(table);
    RUN(generated);
    RUN(generated_args);
    RUN(pod_workload);
    return test_report("test_baseline_normalize_props");
}
