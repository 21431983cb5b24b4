/* SPDX-License-Identifier: Apache-2.0 */
/* storm_ksc_translate_pattern and storm_ksc_import_text: KSC attack-model
 * patterns -> Storm's observation model. The input patterns are the KSC
 * models' own (tests/data/corpus/attack-models/, from
 * k8sstormcenter/honeycluster lightening-rod/testpost.sh, demobundle.json,
 * threatintel stix-attack-model.json) or built from the paths KSC's
 * transformers write (lightening-rod/manual.py, analysis/hive_sentinel/src/
 * stix/); docs/mapping/vector-ksc.md has the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/json.h>
#include <storm/ksc_import.h>
#include <storm/model.h>
#include <storm/pattern.h>

#include "test.h"

typedef struct seen {
    size_t n;
    size_t offset[8];
    storm_ksc_note_kind kind[8];
    char msg[8][512];
} seen;

static void collect(void *ctx, size_t offset, storm_ksc_note_kind kind, const char *message)
{
    seen *s = ctx;
    if (s->n < 8) {
        s->offset[s->n] = offset;
        s->kind[s->n] = kind;
        snprintf(s->msg[s->n], sizeof s->msg[0], "%s", message);
    }
    s->n++;
}

/* Translate in, compare with want; returns the notes. */
static seen xlate(const char *in, const char *want, storm_rc want_rc)
{
    seen s = {0};
    storm_buf out;
    storm_buf_init(&out, 1u << 20);
    bool changed = true;
    storm_rc rc = storm_ksc_translate_pattern(in, strlen(in), &out, &changed, collect, &s);
    CHECK(rc == want_rc);
    CHECK_STR(out.data ? out.data : "", want);
    CHECK(changed == (rc == STORM_OK && strcmp(in, want) != 0));
    storm_buf_free(&out);
    return s;
}

static void test_rules(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* function_name: the hook (Tetragon), the rule id (Kubescape's transformer puts RuleID there) */
        {"[process:extensions.function_name MATCHES '__x64_sys_setns']",
         "[process:x_hook_name MATCHES '__x64_sys_setns']"},
        {"[process:extensions.function_name = 'R0002']", "[process:x_alert_rule_id = 'R0002']"},
        /* kprobe_arguments.<type>_<i>: the argument at position i, of that type */
        {"[process:extensions.function_name MATCHES '__x64_sys_setns' AND "
         "process:extensions.kprobe_arguments.int_arg_1 = 1073741824 ]",
         "[process:x_hook_name MATCHES '__x64_sys_setns' AND (process:x_hook_args[1].type = 'int_arg' AND "
         "process:x_hook_args[1].value = 1073741824) ]"},
        /* kprobe_arguments.<type>[.<field>]: any argument ([*]); "type" fields are renamed as tetragon_args.c does */
        {"[process:extensions.kprobe_arguments.sock_arg.state MATCHES '110']",
         "[process:x_hook_args[*].state MATCHES '110']"},
        {"[process:extensions.kprobe_arguments.sock_arg.type = 'SOCK_STREAM']",
         "[process:x_hook_args[*].sock_type = 'SOCK_STREAM']"},
        /* kprobeN.<type>[.<field>] (the VRL-lifted arguments): position N */
        {"[process:extensions.kprobe0.file_arg.path MATCHES '/run/secrets/']",
         "[(process:x_hook_args[0].type = 'file_arg' AND process:x_hook_args[0].path MATCHES '/run/secrets/')]"},
        {"[process:extensions.kprobe2.string_arg NOT MATCHES 'var/log']",
         "[(process:x_hook_args[2].type = 'string_arg' AND process:x_hook_args[2].value NOT MATCHES 'var/log')]"},
        /* kprobeN alone (manual.py: the payload) */
        {"[process:extensions.kprobe1 = 39]", "[process:x_hook_args[1].value = 39]"},
        /* the Kubescape transformer's kprobe0.capability etc. */
        {"[process:extensions.kprobe0.capability = 'CAP_SYS_ADMIN']",
         "[process:x_alert_fields.arguments.capability = 'CAP_SYS_ADMIN']"},
        {"[process:extensions.kprobe4.infectedPID = 7]", "[process:x_alert_fields.infectedpid = 7]"},
        {"[process:extensions.kprobe_arguments.flags[0] MATCHES 'RDONLY']",
         "[process:x_alert_fields.arguments.flags[0] MATCHES 'RDONLY']"},
        /* hive_sentinel nests under 'x-tetra-ext' */
        {"[process:extensions.'x-tetra-ext'.pod_name = 'web']", "[process:x_k8s_pod = 'web']"},
        {"[process:extensions.parent_command_line MATCHES 'sh' AND process:extensions.namespace IN ('a', 'b')]",
         "[process:x_proc_extra_parent_command_line_placeholder]"}, /* replaced below */
        /* file:path */
        {"[file:path = '/var/log']", "[file:x_file_path = '/var/log']"},
        /* Kubernetes objects: their audit request; the EXISTS slip fixed */
        {"[kubernetes-persistent-volume:spec.hostPath.path EXISTS]",
         "[(network-traffic:x_audit_resource = 'persistentvolumes' AND EXISTS "
         "network-traffic:x_audit_request_object.spec.hostpath.path)]"},
        /* the '.' slip after the object type */
        {"[process.extensions.function_name MATCHES 'security_file_permission']",
         "[process:x_hook_name MATCHES 'security_file_permission']"},
        /* standard paths and untouched patterns stay byte for byte */
        {"[process:command_line MATCHES 'modprobe' ] /* c */ FOLLOWEDBY [file:name = 'x'] WITHIN 5 SECONDS",
         "[process:command_line MATCHES 'modprobe' ] /* c */ FOLLOWEDBY [file:name = 'x'] WITHIN 5 SECONDS"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *want = cases[i].want;
        if (strstr(want, "placeholder"))
            want = "[process:parent_ref.command_line MATCHES 'sh' AND process:x_k8s_namespace IN ('a', 'b')]";
        seen s = xlate(cases[i].in, want, STORM_OK);
        for (size_t k = 0; k < s.n && k < 8; k++)
            CHECK(s.kind[k] != STORM_KSC_UNTRANSLATED && s.kind[k] != STORM_KSC_FAILED);
    }
}

static void test_notes(void)
{
    /* approximations and fixes say so, at the path */
    const char *in = "[process:extensions.function_name MATCHES 'openat'  AND "
                     "process:extensions.kprobe_arguments.string_arg MATCHES '/etc/cron.d/breakout' ]";
    seen s = xlate(
        in, "[process:x_hook_name MATCHES 'openat'  AND process:x_hook_args[*].value MATCHES '/etc/cron.d/breakout' ]",
        STORM_OK);
    CHECK(s.n == 1 && s.kind[0] == STORM_KSC_APPROXIMATED);
    CHECK(s.offset[0] == (size_t)(strstr(in, "process:extensions.kprobe") - in));
    in = "[process.extensions.function_name MATCHES 'x']";
    s = xlate(in, "[process:x_hook_name MATCHES 'x']", STORM_OK);
    CHECK(s.n == 1 && s.kind[0] == STORM_KSC_FIXED && s.offset[0] == 8);

    /* no counterpart: kept verbatim, reported at the path */
    in = "[file:path = '/var/log' AND file:extensions.symlink.path MATCHES '.*(ssh|password).*']";
    s = xlate(in, "[file:x_file_path = '/var/log' AND file:extensions.symlink.path MATCHES '.*(ssh|password).*']",
              STORM_OK);
    CHECK(s.n == 1 && s.kind[0] == STORM_KSC_UNTRANSLATED);
    CHECK(s.offset[0] == (size_t)(strstr(in, "file:extensions") - in));
    in = "[process:extensions.kprobe_arguments.value.name MATCHES 'magic']"; /* Tracee's flattened args */
    s = xlate(in, in, STORM_OK);
    CHECK(s.n == 1 && s.kind[0] == STORM_KSC_UNTRANSLATED && s.offset[0] == 1);

    /* what does not lex, or does not compile after translation, is kept and reported */
    in = "[process:extensions.function_name MATCHES 'unterminated]";
    s = xlate(in, in, STORM_ERR_SYNTAX);
    CHECK(s.n == 1 && s.kind[0] == STORM_KSC_FAILED);
    in = "[process:extensions.function_name MATCHES 'x' AND]";
    s = xlate(in, in, STORM_ERR_SYNTAX);
    CHECK(s.n >= 1 && s.kind[s.n - 1] == STORM_KSC_FAILED);
}

/* a bundle: the pattern replaced, the original kept in x_ksc_pattern, notes
 * with file, line:col of the pattern string, the id as written */
static void test_import_text(void)
{
    const char *text =
        "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\n"
        "  {\"type\":\"indicator\",\"id\":\"indicator--kh-ce-nsenter\",\"pattern_type\":\"stix\",\n"
        "   \"pattern\":\"[process:extensions.kprobe_arguments.string_arg MATCHES '/usr/bin/gdb']\"},\n"
        "  {\"type\":\"indicator\",\"id\":\"indicator--sigma\",\"pattern_type\":\"sigma\",\"pattern\":\"title: x\"},\n"
        "  {\"type\":\"attack-pattern\",\"id\":\"attack-pattern--x\",\"name\":\"x\"}]}";
    storm_ksc_import *imp = NULL;
    CHECK(storm_ksc_import_new(&imp) == STORM_OK);
    const storm_value *doc = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_ksc_import_text(imp, "m.json", text, strlen(text), &doc, &err) == STORM_OK);
    const storm_value *objs = doc ? storm_v_get(doc, "objects") : NULL;
    CHECK(objs && objs->u.a.len == 3);
    if (objs && objs->u.a.len == 3) {
        CHECK_STR(storm_v_get_str(objs->u.a.items[0], "pattern"),
                  "[process:x_hook_args[*].value MATCHES '/usr/bin/gdb']");
        CHECK_STR(storm_v_get_str(objs->u.a.items[0], "x_ksc_pattern"),
                  "[process:extensions.kprobe_arguments.string_arg MATCHES '/usr/bin/gdb']");
        CHECK_STR(storm_v_get_str(objs->u.a.items[1], "pattern"), "title: x"); /* not STIX: untouched */
        CHECK(storm_v_get(objs->u.a.items[1], "x_ksc_pattern") == NULL);
    }
    size_t ind, changed, untr;
    storm_ksc_import_counts(imp, &ind, &changed, &untr);
    CHECK(ind == 1 && changed == 1 && untr == 0);
    CHECK(storm_ksc_import_n_notes(imp) == 1);
    const storm_ksc_note *n = storm_ksc_import_note(imp, 0);
    CHECK(n && n->line == 3 && n->col == 14 && n->pattern_offset == 1); /* the pattern string's opening quote */
    if (n)
        CHECK_STR(n->object_id, "indicator--kh-ce-nsenter");
    storm_buf line;
    storm_buf_init(&line, 4096);
    if (n)
        storm_ksc_note_format(n, &line);
    CHECK(line.data &&
          strncmp(line.data, "m.json:3:14: indicator--kh-ce-nsenter: pattern offset 1: approximated: ", 71) == 0);
    storm_buf_free(&line);
    /* a file that is no JSON: an error with its position, nothing imported */
    storm_err_clear(&err);
    CHECK(storm_ksc_import_text(imp, "bad.json", "{\"objects\": [", 13, &doc, &err) == STORM_ERR_SYNTAX);
    storm_ksc_import_free(imp);
}

/* every translation of the corpus models compiles and loads as a model */
static void test_corpus_models_load(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/corpus/attack-models/honeycluster-testpost-08-CE_VAR_LOG_TOKEN.json",
             root ? root : ".");
    storm_ksc_import *imp = NULL;
    CHECK(storm_ksc_import_new(&imp) == STORM_OK);
    const storm_value *doc = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_ksc_import_file(imp, path, &doc, &err) == STORM_OK);
    CHECK(storm_ksc_import_n_notes(imp) == 1);
    const storm_ksc_note *n = storm_ksc_import_note(imp, 0);
    CHECK(n && n->kind == STORM_KSC_FIXED && n->line == 1 && n->col == 411 && n->pattern_offset == 8);
    storm_buf b;
    storm_buf_init(&b, 1u << 20);
    CHECK(doc && storm_json_write(&b, doc, 0) == STORM_OK);
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_models_load_text(m, "translated.json", b.data, b.len, &err);
    storm_models_finish(m);
    CHECK(storm_models_n_indicators(m) == 1); /* the original does not compile: 0 */
    if (storm_models_n_indicators(m) == 1)
        CHECK_STR(storm_models_indicator(m, 0)->pattern_text,
                  "[process:x_hook_name MATCHES 'security_file_permission' AND (process:x_hook_args[0].type = "
                  "'file_arg' AND process:x_hook_args[0].path MATCHES '/run/secrets/kubernetes.io/serviceaccount/') ]");
    storm_models_free(m);
    storm_buf_free(&b);
    storm_ksc_import_free(imp);
}

int main(void)
{
    RUN(test_rules);
    RUN(test_notes);
    RUN(test_import_text);
    RUN(test_corpus_models_load);
    return test_report("test_ksc_import");
}
