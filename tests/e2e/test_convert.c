/* SPDX-License-Identifier: Apache-2.0 */
/* End-to-end `storm convert`: every corpus event file converts, every output
 * bundle passes the strict-mode checker (tests/lib/stix_check.c), output is
 * byte-identical when run again (stable ids), --bundle gives one valid bundle,
 * bad lines are reported as FILE:LINE, counted and copied to --rejects (exit
 * 1), a line holding an array of records gives each record, and usage
 * errors exit 2. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <storm/arena.h>
#include <storm/json.h>
#include <storm/stix.h>

#include "stix_check.h"
#include "test.h"

static const char *bin, *root;
static char tmp[256];

static int run(const char *args, const char *out, const char *err)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' convert %s > '%s' 2> '%s'", bin, args, out, err);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *d = malloc(cap + 1);
    size_t r;
    while (d && (r = fread(d + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nd = realloc(d, cap * 2 + 1);
            if (!nd) {
                free(d);
                d = NULL;
                break;
            }
            d = nd;
            cap *= 2;
        }
    }
    fclose(f);
    if (d)
        d[n] = '\0';
    if (len)
        *len = n;
    return d;
}

/* Check every line of out as a bundle; returns the number of lines. */
static size_t check_output(const char *path, const char *what)
{
    size_t len, lines = 0;
    char *d = slurp(path, &len);
    CHECK(d != NULL);
    if (!d)
        return 0;
    storm_arena *a = storm_arena_new(0, 0);
    char *p = d;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        storm_arena_reset(a);
        storm_value *v = NULL;
        storm_err err;
        lines++;
        if (storm_json_parse(a, p, n, 0, &v, NULL, &err) != STORM_OK) {
            fprintf(stderr, "%s: output line %zu is not JSON: %s\n", what, lines, err.msg);
            CHECK(0);
        } else {
            char msg[4096];
            int problems = stix_check_bundle(v, msg, sizeof msg);
            if (problems)
                fprintf(stderr, "%s: output line %zu: %d problems:\n%s", what, lines, problems, msg);
            CHECK(problems == 0);
            /* every property is one the documented model has (storm_stix_known_properties) */
            const storm_value *objs = storm_v_get(v, "objects");
            for (size_t i = 0; objs && i < objs->u.a.len; i++) {
                const storm_value *o = objs->u.a.items[i];
                const char *type = storm_v_get_str(o, "type");
                if (!type || strcmp(type, "observed-data") == 0 || strcmp(type, "identity") == 0 ||
                    strcmp(type, "extension-definition") == 0)
                    continue;
                const char *const *known = storm_stix_known_properties(type);
                CHECK(known != NULL);
                for (size_t m = 0; known && m < o->u.o.len; m++) {
                    bool found = false;
                    for (const char *const *k = known; *k; k++)
                        found |= strcmp(*k, o->u.o.members[m].key) == 0;
                    if (!found)
                        fprintf(stderr, "%s: %s.%s is not in the documented model\n", what, type,
                                o->u.o.members[m].key);
                    CHECK(found);
                }
            }
        }
        p = nl ? nl + 1 : p + n;
    }
    storm_arena_free(a);
    free(d);
    return lines;
}

/* the statistics line: "storm convert: L lines, E events read, C converted, S skipped ..., R rejected" */
static bool stats(const char *err_path, unsigned long long *converted, unsigned long long *rejected)
{
    char *d = slurp(err_path, NULL);
    if (!d)
        return false;
    char *last = strstr(d, "storm convert: ");
    char *next;
    while (last && (next = strstr(last + 1, "storm convert: ")))
        last = next;
    bool ok = false;
    if (last) {
        unsigned long long l, e;
        ok = sscanf(last, "storm convert: %llu lines, %llu events read, %llu converted", &l, &e, converted) == 3;
        char *r = strstr(last, " rejected");
        char *s = r;
        while (s > last && s[-1] >= '0' && s[-1] <= '9')
            s--;
        ok = ok && r && sscanf(s, "%llu", rejected) == 1;
    }
    free(d);
    return ok;
}

static bool files_equal(const char *x, const char *y)
{
    size_t lx, ly;
    char *a = slurp(x, &lx), *b = slurp(y, &ly);
    bool eq = a && b && lx == ly && memcmp(a, b, lx) == 0;
    free(a);
    free(b);
    return eq;
}

static void test_corpus(void)
{
    static const char *sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    char all[4096] = "";
    unsigned long long total = 0;
    for (size_t i = 0; i < sizeof sensors / sizeof sensors[0]; i++) {
        char d[512];
        snprintf(d, sizeof d, "%s/tests/data/corpus/%s", root, sensors[i]);
        DIR *dir = opendir(d);
        CHECK(dir != NULL);
        struct dirent *e;
        while (dir && (e = readdir(dir))) {
            size_t n = strlen(e->d_name);
            if (n < 7 || strcmp(e->d_name + n - 6, ".jsonl") != 0)
                continue;
            char in[1024], out[600], out2[600], err[600], args[1200];
            snprintf(in, sizeof in, "%s/%s", d, e->d_name);
            snprintf(out, sizeof out, "%s/out.jsonl", tmp);
            snprintf(out2, sizeof out2, "%s/out2.jsonl", tmp);
            snprintf(err, sizeof err, "%s/err.txt", tmp);
            snprintf(args, sizeof args, "'%s'", in);
            int rc = run(args, out, err);
            size_t lines = check_output(out, e->d_name);
            unsigned long long conv = 0, rej = 0;
            CHECK(stats(err, &conv, &rej));
            CHECK(rc == (rej ? 1 : 0)); /* as storm run: exit 1 when some input was bad */
            CHECK(conv == lines);
            total += conv;
            printf("%-45s %4zu bundles, %llu rejected\n", e->d_name, lines, rej);
            /* stable ids: the same input gives the same bytes */
            CHECK(run(args, out2, err) == rc);
            CHECK(files_equal(out, out2));
            if (strlen(all) + strlen(in) + 4 < sizeof all) {
                strcat(all, " '");
                strcat(all, in);
                strcat(all, "'");
            }
        }
        if (dir)
            closedir(dir);
    }
    /* one bundle for everything */
    char out[600], err[600], args[4200];
    snprintf(out, sizeof out, "%s/bundle.json", tmp);
    snprintf(err, sizeof err, "%s/err.txt", tmp);
    snprintf(args, sizeof args, "--bundle%s", all);
    int rc = run(args, out, err);
    CHECK(check_output(out, "--bundle") == 1);
    unsigned long long conv = 0, rej = 0;
    CHECK(stats(err, &conv, &rej) && conv == total);
    CHECK(rc == (rej ? 1 : 0));
}

static void test_bad_input(void)
{
    char in[600], out[600], err[600], rejects[600], args[2000];
    snprintf(in, sizeof in, "%s/bad.jsonl", tmp);
    snprintf(out, sizeof out, "%s/bad.out", tmp);
    snprintf(err, sizeof err, "%s/bad.err", tmp);
    snprintf(rejects, sizeof rejects, "%s/rejects.jsonl", tmp);
    FILE *f = fopen(in, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"process_exec\":{\"process\":{\"pid\":1,\"binary\":\"/bin/sh\"}},\"time\":\"2024-01-01T00:00:00Z\"}\n", f);
    fputs("{\"truncated\":\n", f);   /* 2: malformed */
    fputs("{\"a\":\"\xff\"}\n", f);  /* 3: invalid UTF-8 */
    fputs("\n", f);                  /* 4: blank, ignored */
    for (int i = 0; i < 300000; i++) /* 5: over --max-line */
        fputs("xxxxxxx", f);
    fputs("\n", f);
    fputs("{\"kind\": 0}\n", f); /* 6: not a record of a known sensor (or a bad audit event) */
    fputs("[1,2,3]\n", f);       /* 7 */
    /* 8: a shipper envelope whose embedded record is cut short */
    fputs("{\"time\":\"2024-01-01T00:00:00Z\",\"payload\":\"{\\\"process_exec\\\":{\\\"process\\\":{\\\"pid\\\":1,"
          "\\\"bin\"}\n",
          f);
    /* 9: a field of the wrong type, at column 35 */
    fputs(
        "{\"process_exec\":{\"process\":{\"pid\":\"x1\",\"binary\":\"/bin/sh\"}},\"time\":\"2024-01-01T00:00:00Z\"}\n",
        f);
    fclose(f);
    snprintf(args, sizeof args, "--max-line 100000 --rejects '%s' '%s'", rejects, in);
    CHECK(run(args, out, err) == 1); /* bad input: exit 1, as storm run and storm baseline learn */
    char *e = slurp(err, NULL);
    CHECK(e != NULL);
    if (e) {
        char want[700];
        for (int line = 2; line <= 9; line++) {
            if (line == 4)
                continue;
            snprintf(want, sizeof want, "%s:%d:", in, line);
            if (!strstr(e, want))
                fprintf(stderr, "missing '%s' in:\n%s\n", want, e);
            CHECK(strstr(e, want) != NULL);
        }
        snprintf(want, sizeof want, "%s:4:", in);
        CHECK(strstr(e, want) == NULL);
        /* positions: FILE:LINE:COLUMN with the exact reason */
        snprintf(want, sizeof want, "%s:2:14: invalid JSON: unexpected end of input", in);
        CHECK(strstr(e, want) != NULL);
        snprintf(want, sizeof want, "%s:8:42: the \"payload\" field holds a JSON object that does not parse", in);
        if (!strstr(e, want))
            fprintf(stderr, "missing '%s' in:\n%s\n", want, e);
        CHECK(strstr(e, want) != NULL);
        CHECK(strstr(e, "unterminated string") != NULL);
        snprintf(want, sizeof want, "%s:9:35: tetragon: process_exec.process.pid", in);
        if (!strstr(e, want))
            fprintf(stderr, "missing '%s' in:\n%s\n", want, e);
        CHECK(strstr(e, want) != NULL);
        CHECK(strstr(e, "line too long (2100000 bytes") != NULL);
        CHECK(strstr(e, "invalid UTF-8") != NULL);
    }
    free(e);
    unsigned long long conv = 0, rej = 0;
    CHECK(stats(err, &conv, &rej));
    CHECK(rej == 9); /* line 7 holds three records, each rejected, as storm run counts them */
    check_output(out, "bad.jsonl");
    size_t rlen;
    char *r = slurp(rejects, &rlen);
    CHECK(r && strstr(r, "{\"truncated\":\n") && strstr(r, "{\"kind\": 0}\n") && strstr(r, "[1,2,3]\n"));
    CHECK(r && rlen > 2100000); /* the over-long line went to the rejects too */
    free(r);
}

/* A line holding a JSON array of two records is two events, as in storm
 * run: two bundles with two different observed-data ids, nothing rejected,
 * exit 0 (it used to be rejected as "not a record of any known sensor"). */
static void test_array_line(void)
{
    char in[600], out[600], err[600], args[800];
    snprintf(in, sizeof in, "%s/array.jsonl", tmp);
    snprintf(out, sizeof out, "%s/array.out", tmp);
    snprintf(err, sizeof err, "%s/array.err", tmp);
    FILE *f = fopen(in, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("[{\"process_exec\":{\"process\":{\"exec_id\":\"eA==\",\"pid\":7,\"binary\":\"/bin/true\"}},"
          "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"},"
          "{\"process_exec\":{\"process\":{\"exec_id\":\"eQ==\",\"pid\":8,\"binary\":\"/bin/false\"}},"
          "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:01Z\"}]\n",
          f);
    fclose(f);
    snprintf(args, sizeof args, "'%s'", in);
    CHECK(run(args, out, err) == 0);
    CHECK(check_output(out, "array.jsonl") == 2);
    unsigned long long conv = 0, rej = 0;
    CHECK(stats(err, &conv, &rej) && conv == 2 && rej == 0);
    char *o = slurp(out, NULL);
    char *od1 = o ? strstr(o, "\"id\":\"observed-data--") : NULL;
    char *od2 = od1 ? strstr(od1 + 1, "\"id\":\"observed-data--") : NULL;
    CHECK(od1 && od2 && memcmp(od1, od2, 60) != 0);
    free(o);
}

static void test_usage(void)
{
    char out[600], err[600];
    snprintf(out, sizeof out, "%s/u.out", tmp);
    snprintf(err, sizeof err, "%s/u.err", tmp);
    CHECK(run("--from nosuchsensor", out, err) == 2);
    CHECK(run("--no-such-option", out, err) == 2);
    CHECK(run("--follow-timeout 10 x", out, err) == 2);
    CHECK(run("--follow -", out, err) == 2);
    CHECK(run("--help", out, err) == 0);
    char *h = slurp(out, NULL);
    CHECK(h && strstr(h, "usage: storm convert"));
    free(h);
    CHECK(run("/nonexistent/file.jsonl", out, err) == 1);
    /* --follow on a file that does not grow: converts what is there, stops after the idle time */
    char in[600];
    snprintf(in, sizeof in, "%s/follow.jsonl", tmp);
    FILE *f = fopen(in, "wb");
    if (f) {
        fputs("{\"process_exec\":{\"process\":{\"exec_id\":\"eA==\",\"pid\":7,\"binary\":\"/bin/true\"}},"
              "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
              f);
        fclose(f);
    }
    char args[800];
    snprintf(args, sizeof args, "--follow --follow-timeout 300 '%s'", in);
    CHECK(run(args, out, err) == 0);
    CHECK(check_output(out, "follow") == 1);
    /* --cluster fills x_k8s_cluster of events that carry no cluster name */
    snprintf(args, sizeof args, "--cluster honey-1 '%s'", in);
    CHECK(run(args, out, err) == 0);
    char *co = slurp(out, NULL);
    CHECK(co && strstr(co, "\"x_k8s_cluster\":\"honey-1\""));
    free(co);
    CHECK(check_output(out, "cluster") == 1);
    CHECK(run("--cluster '' x", out, err) == 2);
    /* empty input: a valid empty run */
    CHECK(run("< /dev/null", out, err) == 0);
}

/* Every example pattern of docs/mapping.md and docs/mapping/ *.md (a code
 * span or code-block line starting with "[type:"; a pattern may run over
 * several lines of a block, and join observation expressions with AND, OR or
 * FOLLOWEDBY) is valid and matches the converted corpus. A
 * pattern whose AND joins comparisons on different objects inside one [...]
 * can never match: this is what caught those. */
static size_t doc_patterns(const char *text, FILE *out)
{
    size_t n = 0;
    for (const char *p = text; (p = strchr(p, '[')) != NULL; p++) {
        if (p != text && p[-1] != '`' && p[-1] != '\n')
            continue;
        const char *q = p + 1;
        while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')
            q++;
        if (q == p + 1 || *q != ':' || !(q[1] >= 'a' && q[1] <= 'z'))
            continue;
        /* to the matching ']' outside quotes; newlines become spaces */
        int depth = 0;
        bool quoted = false;
        const char *e = p;
        for (; *e; e++) {
            if (quoted) {
                if (*e == '\\' && e[1])
                    e++;
                else if (*e == '\'')
                    quoted = false;
            } else if (*e == '\'') {
                quoted = true;
            } else if (*e == '[') {
                depth++;
            } else if (*e == ']' && --depth == 0) {
                /* another observation expression follows? */
                const char *k = e + 1;
                while (*k == ' ' || *k == '\n')
                    k++;
                size_t kw = strncmp(k, "AND ", 4) == 0           ? 4
                            : strncmp(k, "OR ", 3) == 0          ? 3
                            : strncmp(k, "FOLLOWEDBY ", 11) == 0 ? 11
                                                                 : 0;
                const char *b = k + kw;
                while (kw && (*b == ' ' || *b == '\n'))
                    b++;
                if (!kw || *b != '[')
                    break;
                e = b - 1;
            } else if (*e == '`') {
                break; /* a code span ended: not a whole pattern */
            }
        }
        if (*e != ']')
            continue;
        bool space = false;
        for (const char *c = p; c <= e; c++) {
            bool ws = *c == ' ' || *c == '\n' || *c == '\t';
            if (ws && !space)
                fputc(' ', out);
            else if (!ws)
                fputc(*c, out);
            space = ws;
        }
        fputc('\n', out);
        n++;
        p = e;
    }
    return n;
}

static size_t count_lines(const char *path)
{
    char *d = slurp(path, NULL);
    size_t n = 0;
    for (char *p = d; p && *p; p++)
        n += *p == '\n';
    free(d);
    return n;
}

/* --follow across `cat 11-lines > file` after 2 lines were read (defect: 13
 * lines written, 11 converted, one partial line rejected, one lost). The
 * steps wait for what the converter wrote, never for a time. */
static void test_follow_rewrite(void)
{
    char in[600], out[600], err[600], cmd[2400];
    snprintf(in, sizeof in, "%s/rewrite.log", tmp);
    snprintf(out, sizeof out, "%s/rewrite.out", tmp);
    snprintf(err, sizeof err, "%s/rewrite.err", tmp);
    static const char line[] = "{\"process_exec\":{\"process\":{\"exec_id\":\"%s%02d\",\"pid\":7,"
                               "\"binary\":\"/bin/true\"}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n";
    FILE *f = fopen(in, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 1; i <= 2; i++)
        fprintf(f, line, "old", i);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' convert --follow --follow-timeout 3000 '%s' > '%s' 2> '%s' &", bin, in, out, err);
    CHECK(system(cmd) == 0);
    struct timespec ts = {0, 20 * 1000000L};
    for (int i = 0; i < 1000 && count_lines(out) < 2; i++)
        nanosleep(&ts, NULL);
    CHECK(count_lines(out) == 2);
    f = fopen(in, "wb"); /* truncate and rewrite, larger than what was read */
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 1; i <= 11; i++)
        fprintf(f, line, "new", i);
    fclose(f);
    char *e = NULL;
    for (int i = 0; i < 1000; i++) { /* until the statistics line is written */
        free(e);
        e = slurp(err, NULL);
        if (e && strstr(e, " rejected\n"))
            break;
        nanosleep(&ts, NULL);
    }
    CHECK(e && strstr(e, "13 converted") && strstr(e, "0 rejected") && strstr(e, "1 truncation"));
    if (e && !strstr(e, "13 converted"))
        fprintf(stderr, "%s", e);
    free(e);
    CHECK(count_lines(out) == 13);
    CHECK(check_output(out, "follow-rewrite") == 13);
}

static void test_doc_patterns(void)
{
    static const char *docs[] = {"docs/mapping.md",       "docs/mapping/tetragon.md",  "docs/mapping/k8s-audit.md",
                                 "docs/mapping/falco.md", "docs/mapping/kubescape.md", "docs/mapping/hubble.md"};
    char pats[600], out[600], err[600], res[600];
    snprintf(pats, sizeof pats, "%s/doc-patterns.txt", tmp);
    snprintf(out, sizeof out, "%s/doc-corpus.jsonl", tmp);
    snprintf(err, sizeof err, "%s/doc.err", tmp);
    snprintf(res, sizeof res, "%s/doc-match.txt", tmp);
    FILE *f = fopen(pats, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t total = 0;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, docs[i]);
        char *text = slurp(path, NULL);
        CHECK(text != NULL);
        size_t n = text ? doc_patterns(text, f) : 0;
        if (!n)
            fprintf(stderr, "%s: no example pattern found\n", docs[i]);
        CHECK(n > 0);
        total += n;
        free(text);
    }
    fclose(f);
    CHECK(total >= 12);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cat '%s'/tests/data/corpus/*/*.jsonl | '%s' convert > '%s' 2> '%s'", root, bin, out,
             err);
    int cst = system(cmd);
    CHECK(WIFEXITED(cst) && WEXITSTATUS(cst) == 1); /* 1: the corpus holds malformed lines */
    snprintf(cmd, sizeof cmd, "'%s' match -P '%s' '%s' > '%s' 2> '%s'", bin, pats, out, res, err);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *r = slurp(res, NULL);
    CHECK(r != NULL);
    size_t lines = 0;
    for (char *l = r; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        lines++;
        if (strncmp(l, "match\t", 6) != 0)
            fprintf(stderr, "documented pattern does not match the corpus: %s\n", l);
        CHECK(strncmp(l, "match\t", 6) == 0);
        l = nl ? nl + 1 : NULL;
    }
    CHECK(lines == total);
    printf("%zu documented patterns checked against the corpus\n", total);
    free(r);
}

int main(void)
{
    bin = getenv("STORM_BIN");
    root = getenv("STORM_SOURCE_ROOT");
    if (!bin || !root) {
        fprintf(stderr, "STORM_BIN and STORM_SOURCE_ROOT must be set (meson test sets them)\n");
        return 1;
    }
    snprintf(tmp, sizeof tmp, "/tmp/storm-test-convert-XXXXXX");
    if (!mkdtemp(tmp))
        return 1;
    RUN(test_corpus);
    RUN(test_bad_input);
    RUN(test_array_line);
    RUN(test_usage);
    RUN(test_doc_patterns);
    RUN(test_follow_rewrite);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return test_report("test_convert");
}
