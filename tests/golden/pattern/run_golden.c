/* SPDX-License-Identifier: Apache-2.0 */
/* Golden tests of `storm pattern check`, run through the real binary
 * ($STORM_BIN). Each *.test file in the directory given as argument holds
 * blocks separated by blank lines (jq's format):
 *
 *   # a comment (outside blocks)
 *   [process:name = 'nsenter']         the pattern, one line
 *   ok                                 the exact expected output
 *
 *   %%FAIL                             the pattern must be rejected (exit 1)
 *   %%SPEC 2.0                         optional: check with -s 2.0
 *   [process:name MATCH 'x']
 *   pattern error at argument 1, line 1, column 15: expected ...
 *   [process:name MATCH 'x']
 *                 ^^^^^
 *
 * Then a few command-line checks that need no golden file (-f, usage errors,
 * exit codes). Prints "golden_pattern: N passed, M failed". */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed;

/* Run STORM_BIN with args; stdout (and stderr when merge) into out (owned,
 * NUL-terminated). Returns the exit status, or -1. */
static int run(char *const args[], bool merge, char **out)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        if (merge)
            dup2(fd[1], 2);
        else if (!freopen("/dev/null", "w", stderr))
            _exit(127);
        close(fd[0]);
        close(fd[1]);
        execv(args[0], args);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while (buf && (n = read(fd[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (buf)
        buf[len] = '\0';
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void report(const char *where, const char *pattern, const char *want, const char *got, int want_rc, int rc)
{
    failed++;
    fprintf(stderr, "FAIL %s: %s\n  exit: want %d, got %d\n--- want\n%s--- got\n%s---\n", where, pattern, want_rc, rc,
            want, got ? got : "(none)\n");
}

static void run_block(const char *bin, const char *where, bool fail, const char *spec, const char *pattern,
                      const char *want)
{
    char *args[8];
    int k = 0;
    args[k++] = (char *)bin;
    args[k++] = "pattern";
    args[k++] = "check";
    if (spec) {
        args[k++] = "-s";
        args[k++] = (char *)spec;
    }
    args[k++] = "--";
    args[k++] = (char *)pattern;
    args[k] = NULL;
    char *got = NULL;
    int rc = run(args, false, &got);
    int want_rc = fail ? 1 : 0;
    if (got && rc == want_rc && strcmp(got, want) == 0)
        passed++;
    else
        report(where, pattern, want, got, want_rc, rc);
    free(got);
}

static void run_file(const char *bin, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s\n", path);
        failed++;
        return;
    }
    char line[8192], pattern[8192], want[16384], where[4200];
    bool in_block = false, fail = false;
    char spec[8] = "";
    size_t want_len = 0;
    int lineno = 0, block_line = 0;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        lineno++;
        bool blank = !got || line[0] == '\n';
        if (blank) {
            if (in_block) {
                snprintf(where, sizeof where, "%s:%d", path, block_line);
                run_block(bin, where, fail, spec[0] ? spec : NULL, pattern, want);
            }
            in_block = fail = false;
            spec[0] = '\0';
            if (!got)
                break;
            continue;
        }
        size_t n = strlen(line);
        if (!in_block) {
            if (line[0] == '#')
                continue;
            if (strcmp(line, "%%FAIL\n") == 0) {
                fail = true;
                continue;
            }
            if (strncmp(line, "%%SPEC ", 7) == 0) {
                snprintf(spec, sizeof spec, "%.*s", (int)(n - 8), line + 7);
                continue;
            }
            if (n > 0 && line[n - 1] == '\n')
                line[n - 1] = '\0';
            snprintf(pattern, sizeof pattern, "%s", line);
            in_block = true;
            block_line = lineno;
            want[0] = '\0';
            want_len = 0;
            continue;
        }
        if (want_len + n < sizeof want) {
            memcpy(want + want_len, line, n + 1);
            want_len += n;
        }
    }
    fclose(f);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Command-line behaviour beyond one pattern per run. */
static void check_cli(const char *bin)
{
    char *out = NULL;
    int rc;
    char *help[] = {(char *)bin, "pattern", "check", "--help", NULL};
    rc = run(help, false, &out);
    if (rc == 0 && out && strstr(out, "usage: storm pattern check"))
        passed++;
    else
        report("--help", "", "usage text, exit 0\n", out, 0, rc);
    free(out);

    char *none[] = {(char *)bin, "pattern", "check", NULL};
    rc = run(none, true, &out);
    if (rc == 2 && out && strstr(out, "no pattern to check"))
        passed++;
    else
        report("no arguments", "", "usage error, exit 2\n", out, 2, rc);
    free(out);

    char *badspec[] = {(char *)bin, "pattern", "check", "-s", "3.0", "[a:b = 1]", NULL};
    rc = run(badspec, true, &out);
    if (rc == 2 && out && strstr(out, "unknown STIX version '3.0'"))
        passed++;
    else
        report("-s 3.0", "", "usage error, exit 2\n", out, 2, rc);
    free(out);

    char *nosub[] = {(char *)bin, "pattern", "verify", NULL};
    rc = run(nosub, true, &out);
    if (rc == 2)
        passed++;
    else
        report("unknown subcommand", "", "exit 2\n", out, 2, rc);
    free(out);

    /* several arguments: one answer each, exit 1 if any is bad */
    char *many[] = {(char *)bin, "pattern", "check", "[a:b = 1]", "[a:b = ]", "[a:b = 2]", NULL};
    rc = run(many, false, &out);
    const char *want_many = "ok\n"
                            "pattern error at argument 2, line 1, column 8: expected a value after '=' (a string "
                            "'x', a number, true, false, b'...', h'...' or t'...'), found ']'\n"
                            "[a:b = ]\n"
                            "       ^\n"
                            "ok\n";
    if (rc == 1 && out && strcmp(out, want_many) == 0)
        passed++;
    else
        report("three arguments", "", want_many, out, 1, rc);
    free(out);

    /* -f FILE: lines are numbered as in the file; blank and # lines skipped */
    char path[] = "/tmp/storm_golden_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        failed++;
        return;
    }
    const char *content = "# nsenter escape\n"
                          "[process:name = 'nsenter']\n"
                          "\n"
                          "   \n"
                          "[process:name = 'sh'] WITHIN 5 MINUTES\r\n"
                          "([file:name = 'token'])\n";
    if (write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        failed++;
    close(fd);
    char *file[] = {(char *)bin, "pattern", "check", "-f", path, NULL};
    rc = run(file, false, &out);
    char want_file[1024];
    snprintf(want_file, sizeof want_file,
             "ok\n"
             "pattern error at %s, line 5, column 32: expected SECONDS after 'WITHIN 5', found 'MINUTES' (the only "
             "unit is SECONDS: convert minutes and hours to seconds)\n"
             "[process:name = 'sh'] WITHIN 5 MINUTES \n"
             "                               ^^^^^^^\n"
             "ok\n",
             path);
    if (rc == 1 && out && strcmp(out, want_file) == 0)
        passed++;
    else
        report("-f FILE", "", want_file, out, 1, rc);
    free(out);
    unlink(path);

    char *missing[] = {(char *)bin, "pattern", "check", "-f", "/nonexistent/patterns.txt", NULL};
    rc = run(missing, true, &out);
    if (rc == 1 && out && strstr(out, "cannot read /nonexistent/patterns.txt"))
        passed++;
    else
        report("-f missing file", "", "cannot read ..., exit 1\n", out, 1, rc);
    free(out);

    char *both[] = {(char *)bin, "pattern", "check", "-f", "x", "[a:b = 1]", NULL};
    rc = run(both, true, &out);
    if (rc == 2)
        passed++;
    else
        report("-f and PATTERN", "", "exit 2\n", out, 2, rc);
    free(out);
}

int main(int argc, char **argv)
{
    const char *bin = getenv("STORM_BIN");
    if (!bin || argc < 2) {
        fprintf(stderr, "usage: STORM_BIN=path/to/storm run_golden DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "run_golden: cannot open %s\n", argv[1]);
        return 2;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".test") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        run_file(bin, path);
        free(names[i]);
    }
    if (n == 0) {
        fprintf(stderr, "FAIL no .test files in %s\n", argv[1]);
        failed++;
    }
    check_cli(bin);
    printf("golden_pattern: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
