/* SPDX-License-Identifier: Apache-2.0 */
/* The instrument module through its public API: TracingPolicies generated
 * from indicator patterns (which literals reach the kernel, what is widened,
 * split or skipped), the audit Policy, coverage of indicators by policies,
 * and the replay of Tetragon events through selectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storm/buf.h>
#include <storm/instrument.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/tracingpolicy.h>

#include "test.h"

/* A finished model with one indicator per pattern, named p0, p1... */
static storm_models *models_of(const char *const *patterns, size_t n)
{
    storm_buf b;
    storm_buf_init(&b, 1u << 20);
    storm_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        storm_buf_printf(
            &b,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-%012zu\","
            "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"p%zu\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":",
            i ? "," : "", i, i);
        storm_json_write_string(&b, patterns[i], strlen(patterns[i]));
        storm_buf_puts(&b, "}");
    }
    storm_buf_puts(&b, "]}");
    storm_models *m = NULL;
    storm_err err;
    storm_err_clear(&err);
    storm_models_new(&m);
    storm_models_load_text(m, "test.json", b.data, b.len, &err);
    storm_models_finish(m);
    storm_buf_free(&b);
    return m;
}

/* All generated policies of patterns, concatenated (caller frees). */
static char *generate(const char *const *patterns, size_t n, storm_policy_gen_stats *st, storm_gen_files *keep)
{
    storm_models *m = models_of(patterns, n);
    storm_gen_files f = {0};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_policy_generate(m, NULL, &f, NULL, st, &err) == STORM_OK);
    storm_buf all;
    storm_buf_init(&all, 16u << 20);
    storm_buf_puts(&all, "");
    for (size_t i = 0; i < f.n; i++)
        storm_buf_printf(&all, "=== %s\n%s", f.v[i].name, f.v[i].text);
    if (keep)
        *keep = f;
    else
        storm_gen_files_clear(&f);
    storm_models_free(m);
    char *t = storm_buf_take(&all, NULL);
    storm_buf_free(&all);
    return t;
}

static void test_literals_reach_the_kernel(void)
{
    const char *p[] = {
        "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/etc/(passwd|shadow)$']",
        "[process:x_hook_name IN ('__x64_sys_openat', '__arm64_sys_openat') AND process:x_hook_args[1].value MATCHES "
        "'^/host/']",
        "[process:x_hook_name = 'security_file_permission' AND process:x_hook_args[0].path MATCHES "
        "'(^|/)(core_pattern|release_agent)$' AND process:x_hook_args[1].value IN (2, 10)]",
        "[process:x_hook_name = 'tcp_connect' AND process:image_ref.name IN ('curl', 'wget')]",
    };
    storm_policy_gen_stats st;
    char *t = generate(p, 4, &st, NULL);
    CHECK(st.policies == 3); /* sys_openat (both architectures), security_file_permission, tcp_connect */
    CHECK(st.hook_indicators == 4);
    CHECK(strstr(t, "call: \"sys_openat\"\n      syscall: true") != NULL);
    CHECK(strstr(t, "operator: \"Equal\"\n              values:\n                - \"/etc/passwd\"\n"
                    "                - \"/etc/shadow\"") != NULL);
    CHECK(strstr(t, "operator: \"Prefix\"\n              values:\n                - \"/host/\"") != NULL);
    CHECK(strstr(t, "operator: \"Postfix\"\n              values:\n                - \"core_pattern\"\n"
                    "                - \"release_agent\"") != NULL);
    CHECK(strstr(t, "- \"2\"\n                - \"10\"") != NULL);
    CHECK(strstr(t, "matchBinaries:\n            - operator: \"Postfix\"\n              values:\n"
                    "                - \"/curl\"") != NULL);
    /* arguments captured in the function's order, typed from the signature */
    CHECK(strstr(t, "- index: 0\n          type: \"int\"\n        - index: 1\n          type: \"string\"") != NULL);
    CHECK(strstr(t, "- index: 0\n          type: \"file\"") != NULL);
    CHECK(strstr(t, "arm64") == NULL);
    free(t);
}

static void test_widen_split_skip(void)
{
    /* 17 values: above the 16 per operator; an unanchored class: no literal */
    const char *p[] = {
        "[process:x_hook_name = '__x64_sys_setns' AND process:x_hook_args[1].value IN (1, 2, 3, 4, 5, 6, 7, 8, 9, "
        "10, 11, 12, 13, 14, 15, 16, 17)]",
        "[process:x_hook_name = '__x64_sys_ptrace' AND process:x_hook_args[0].value = 16]",
        "[process:x_hook_name = '__x64_sys_mount' AND process:x_hook_args[0].value MATCHES '[a-z]+']",
    };
    storm_policy_gen_stats st;
    char *t = generate(p, 3, &st, NULL);
    CHECK(st.widened == 2);
    CHECK(strstr(t, "# widened for \"p0\"") != NULL);
    CHECK(strstr(t, "# unfiltered: \"p0\"") != NULL);
    CHECK(strstr(t, "# unfiltered: \"p2\"") != NULL);
    free(t);
    /* seven distinct selectors on one hook: split 5 + 2 */
    const char *q[7];
    char buf[7][200];
    for (int i = 0; i < 7; i++) {
        snprintf(buf[i], sizeof buf[i],
                 "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/dir%d/']", i);
        q[i] = buf[i];
    }
    storm_gen_files f = {0};
    t = generate(q, 7, &st, &f);
    CHECK(st.policies == 2 && st.split == 1 && st.selectors == 7);
    CHECK(f.n == 2 && strcmp(f.v[0].name, "storm-sys-openat.yaml") == 0 &&
          strcmp(f.v[1].name, "storm-sys-openat-2.yaml") == 0);
    CHECK(strstr(t, "part 1 of 2") != NULL);
    storm_gen_files_clear(&f);
    free(t);
    /* exec-only, audit and alert indicators: no policy */
    const char *r[] = {"[process:image_ref.name = 'nsenter']", "[network-traffic:x_audit_resource = 'pods']",
                       "[process:x_alert_rule = 'x']"};
    t = generate(r, 3, &st, NULL);
    CHECK(st.policies == 0 && st.exec_indicators == 1 && st.audit_indicators == 1 && st.alert_indicators == 1);
    free(t);
    /* a text comparison on a numeric argument never holds: no selector there */
    const char *s[] = {"[process:x_hook_name IN ('__x64_sys_symlinkat', '__x64_sys_symlink') AND "
                       "process:x_hook_args[1].value MATCHES '^/var/log/']"};
    t = generate(s, 1, &st, NULL);
    CHECK(st.policies == 2 && st.selectors == 1);
    free(t);
}

static void test_audit_policy(void)
{
    const char *p[] = {
        "[network-traffic:x_audit_resource = 'pods' AND network-traffic:x_audit_subresource IN ('exec', 'attach')]",
        "[network-traffic:x_audit_verb = 'create' AND network-traffic:x_audit_resource = 'clusterroles' AND "
        "network-traffic:x_audit_request_object.rules[*].verbs[*] = '*']",
        "[process:x_hook_name = 'tcp_connect']",
    };
    storm_models *m = models_of(p, 3);
    storm_buf b;
    storm_buf_init(&b, 1u << 20);
    size_t n = 0;
    CHECK(storm_audit_policy_generate(m, &b, &n, NULL) == STORM_OK);
    CHECK(n == 3);
    const char *rr = strstr(b.data, "level: RequestResponse"), *md = strstr(b.data, "level: Metadata");
    CHECK(rr && md && rr < md); /* the first matching rule wins: the fuller level first */
    CHECK(strstr(b.data, "group: \"rbac.authorization.k8s.io\"\n        resources: [\"clusterroles\"]") != NULL);
    CHECK(strstr(b.data, "resources: [\"pods/exec\", \"pods/attach\"]") != NULL);
    CHECK(strstr(b.data, "  - level: None\n") != NULL);
    storm_buf_free(&b);
    storm_models_free(m);
}

/* A temporary directory with one file of text. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const char POLICY_HEAD[] = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: %s\nspec:\n"
                                  "  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n";

static void test_coverage(void)
{
    char dir[] = "/tmp/storm-test-instrument-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char text[2048];
    /* token only: drops /host/ paths */
    snprintf(text, sizeof text, POLICY_HEAD, "tokens");
    strcat(text, "    - index: 0\n      type: int\n    - index: 1\n      type: string\n    selectors:\n"
                 "    - matchArgs:\n      - index: 1\n        operator: Postfix\n        values: [\"token\"]\n");
    write_file(dir, "a.yaml", text);
    const char *p[] = {
        "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/host/']",
        "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '/token$']",
        "[process:x_hook_name = '__x64_sys_ptrace']",
        "[process:image_ref.name = 'cat']",
    };
    storm_models *m = models_of(p, 4);
    storm_tp_set *s = NULL;
    storm_tp_set_new(&s);
    CHECK(storm_tp_set_load_path(s, dir, NULL) == STORM_OK);
    CHECK(storm_tp_set_n_policies(s) == 1 && storm_tp_set_n_hooks(s) == 1);
    storm_buf out;
    storm_buf_init(&out, 1u << 20);
    storm_coverage_stats st;
    CHECK(storm_policy_coverage(m, s, false, &out, &st, NULL) == STORM_OK);
    CHECK(st.hook_indicators == 3 && st.covered == 1 && st.uncovered == 2 && st.not_needed == 1);
    CHECK(strstr(out.data, "keeps only argument 1 Postfix \"token\", which drops values the indicator needs") != NULL);
    CHECK(strstr(out.data, "hook sys_ptrace is not traced by any policy") != NULL);
    CHECK(strstr(out.data, "covered    p1") != NULL);
    storm_tp_set_free(s);
    /* an argument captured at another position than the pattern reads */
    snprintf(text, sizeof text, POLICY_HEAD, "filenames");
    strcat(text, "    - index: 1\n      type: string\n");
    write_file(dir, "a.yaml", text);
    storm_tp_set_new(&s);
    CHECK(storm_tp_set_load_path(s, dir, NULL) == STORM_OK);
    storm_buf_reset(&out);
    CHECK(storm_policy_coverage(m, s, true, &out, &st, NULL) == STORM_OK);
    CHECK(st.covered == 0);
    CHECK(strstr(out.data, "argument 1 is captured at position 0, but the pattern reads x_hook_args[1]") != NULL);
    storm_tp_set_free(s);
    /* a file that does not parse and a policy without spec: problems, not failures */
    write_file(dir, "b.yaml", "kind: TracingPolicy\nmetadata: {name: x}\n");
    write_file(dir, "c.yml", "a: [b\n");
    storm_tp_set_new(&s);
    CHECK(storm_tp_set_load_path(s, dir, NULL) == STORM_OK);
    CHECK(storm_tp_set_n_problems(s) == 2);
    CHECK(storm_tp_set_n_problems(s) == 2 && strstr(storm_tp_set_problem(s, 0), "has no spec") != NULL);
    CHECK(storm_tp_set_n_problems(s) == 2 && strstr(storm_tp_set_problem(s, 1), "c.yml:2:") != NULL);
    storm_tp_set_free(s);
    storm_buf_free(&out);
    storm_models_free(m);
    char path[600];
    for (const char *n = "a.yaml\0b.yaml\0c.yml\0"; *n; n += strlen(n) + 1) {
        snprintf(path, sizeof path, "%s/%s", dir, n);
        unlink(path);
    }
    rmdir(dir);
}

static void test_replay(void)
{
    char dir[] = "/tmp/storm-test-replay-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char text[2048];
    snprintf(text, sizeof text, POLICY_HEAD, "host");
    strcat(text, "    - index: 0\n      type: int\n    - index: 1\n      type: string\n    selectors:\n"
                 "    - matchArgs:\n      - index: 1\n        operator: Prefix\n        values: [\"/host/\"]\n"
                 "    - matchBinaries:\n      - operator: In\n        values: [\"/bin/quiet\"]\n"
                 "      matchActions:\n      - action: NoPost\n");
    write_file(dir, "p.yaml", text);
    storm_tp_set *s = NULL;
    storm_tp_set_new(&s);
    CHECK(storm_tp_set_load_path(s, dir, NULL) == STORM_OK);
    const char *ev =
        "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/cat\"},\"function_name\":\"__x64_sys_openat\","
        "\"args\":[{\"int_arg\":-100},{\"string_arg\":\"/host/etc/shadow\"},{\"int_arg\":0}]},\"time\":"
        "\"2026-01-01T00:00:00Z\"}\n"
        "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/cat\"},\"function_name\":\"__x64_sys_openat\","
        "\"args\":[{\"int_arg\":-100},{\"string_arg\":\"/etc/hosts\"},{\"int_arg\":0}]},\"time\":"
        "\"2026-01-01T00:00:00Z\"}\n"
        "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/quiet\"},\"function_name\":\"__x64_sys_openat\","
        "\"args\":[{\"int_arg\":-100},{\"string_arg\":\"/etc/hosts\"},{\"int_arg\":0}]},\"time\":"
        "\"2026-01-01T00:00:00Z\"}\n"
        "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/cat\"},\"function_name\":\"__x64_sys_ptrace\","
        "\"args\":[]},\"time\":\"2026-01-01T00:00:00Z\"}\n"
        "{\"process_exec\":{\"process\":{\"binary\":\"/bin/cat\"}},\"time\":\"2026-01-01T00:00:00Z\"}\n"
        "not json\n";
    const char *pat[] = {
        "[process:x_hook_name = '__x64_sys_openat' AND process:x_hook_args[1].value MATCHES '^/(host|etc)/']"};
    storm_models *m = models_of(pat, 1);
    storm_replay_stats st = {0};
    storm_buf out;
    storm_buf_init(&out, 1u << 20);
    CHECK(storm_policy_replay(s, m, "ev", ev, strlen(ev), false, &out, &st, NULL) == STORM_OK);
    CHECK(st.lines == 6 && st.bad == 1 && st.hook_events == 4);
    CHECK(st.traced == 3 && st.emitted == 1 && st.dropped == 2);
    CHECK(st.needed == 3 && st.needed_lost == 2); /* /etc/hosts is what the pattern wants too */
    CHECK(strstr(out.data, "ev:1: emitted  sys_openat by host") != NULL);
    CHECK(strstr(out.data, "ev:4: untraced sys_ptrace") != NULL);
    CHECK(strstr(out.data, "NEEDED BUT LOST") != NULL);
    storm_buf_free(&out);
    storm_models_free(m);
    storm_tp_set_free(s);
    char path[600];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_literals_reach_the_kernel);
    RUN(test_widen_split_skip);
    RUN(test_audit_policy);
    RUN(test_coverage);
    RUN(test_replay);
    printf("test_instrument: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
