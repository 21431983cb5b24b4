/* SPDX-License-Identifier: Apache-2.0 */
/* Replays every saved input of a fuzz corpus through the target, as a plain
 * test (no libFuzzer needed). The inputs run in a child process, which
 * tells the parent through a pipe which input it starts: an input that
 * crashes the target (abort() on a broken property, a sanitizer report, a
 * signal) is counted as failed and named, and a new child goes on with the
 * next one. An input also fails when the target returns anything but 0 or
 * -1 (libFuzzer's contract: -1 only asks not to keep the input). A child
 * that fails after its last input (LeakSanitizer reports at exit) counts as
 * one more failure. Prints "replay: N passed, M failed"; exit 1 on any
 * failure or an empty corpus. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the child writes before and after each input, and on a bad return. */
#define MSG_START 0u
#define MSG_DONE 1u
#define MSG_BAD_RETURN 2u

typedef struct msg {
    uint32_t kind, index;
} msg;

/* 0 when read and run; -1 when unreadable. *ret gets the target's value. */
static int run_one(const char *path, int *ret)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
    fclose(f);
    *ret = LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

static void child(char **paths, size_t from, size_t n, int fd)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* a crash is reported here, not dumped */
    for (size_t i = from; i < n; i++) {
        msg m = {MSG_START, (uint32_t)i};
        if (write(fd, &m, sizeof m) != (ssize_t)sizeof m)
            _exit(90);
        int ret = 0;
        if (run_one(paths[i], &ret) != 0) {
            fprintf(stderr, "replay: %s: FAILED, cannot read it\n", paths[i]);
            ret = 1;
        } else if (ret != 0 && ret != -1) {
            fprintf(stderr, "replay: %s: the target returned %d\n", paths[i], ret);
        }
        if (ret != 0 && ret != -1) {
            m.kind = MSG_BAD_RETURN;
            if (write(fd, &m, sizeof m) != (ssize_t)sizeof m)
                _exit(90);
        }
        m.kind = MSG_DONE;
        if (write(fd, &m, sizeof m) != (ssize_t)sizeof m)
            _exit(90);
    }
    close(fd);
    exit(0); /* exit, not _exit: LeakSanitizer reports at exit */
}

/* Run paths[0..n); returns the number of failures. */
static int replay_all(char **paths, size_t n)
{
    int failed = 0;
    size_t from = 0;
    while (from < n) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("replay: pipe");
            return failed + (int)(n - from);
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("replay: fork");
            return failed + (int)(n - from);
        }
        if (pid == 0) {
            close(fds[0]);
            child(paths, from, n, fds[1]);
        }
        close(fds[1]);
        size_t current = from;
        bool started = false, running = false;
        msg m;
        ssize_t r;
        while ((r = read(fds[0], &m, sizeof m)) == (ssize_t)sizeof m || (r < 0 && errno == EINTR)) {
            if (r < 0)
                continue;
            if (m.kind == MSG_START) {
                current = m.index;
                started = running = true;
            } else if (m.kind == MSG_DONE) {
                running = false;
            } else {
                failed++;
            }
        }
        close(fds[0]);
        int st = 0;
        pid_t w;
        do
            w = waitpid(pid, &st, 0);
        while (w < 0 && errno == EINTR);
        if (w >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            return failed; /* every input from `from` on ran */
        failed++;
        if (!running) {
            /* died between inputs: before its first one, or after one
             * (LeakSanitizer at exit after the last) */
            fprintf(stderr, "replay: FAILED after %s (%s %d)\n", started ? paths[current] : "no input",
                    w >= 0 && WIFSIGNALED(st) ? "signal" : "exit status",
                    w >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            if (!started || current + 1 >= n)
                return failed;
            from = current + 1;
            continue;
        }
        fprintf(stderr, "replay: %s: FAILED, the target crashed (%s %d)\n", paths[current],
                w >= 0 && WIFSIGNALED(st) ? "signal" : "exit status",
                w >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        from = current + 1;
    }
    return failed;
}

static int add_path(char ***paths, size_t *n, size_t *cap, const char *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        char **np = realloc(*paths, nc * sizeof *np);
        if (!np)
            return -1;
        *paths = np;
        *cap = nc;
    }
    return ((*paths)[(*n)++] = strdup(p)) ? 0 : -1;
}

int main(int argc, char **argv)
{
    int failed = 0;
    char **paths = NULL;
    size_t n = 0, cap = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
            failed++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed += add_path(&paths, &n, &cap, argv[i]) != 0;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            failed += add_path(&paths, &n, &cap, path) != 0;
        }
        if (d)
            closedir(d);
    }
    int bad = replay_all(paths, n);
    /* a failure after the last input is one more than the inputs */
    int inputs_failed = bad > (int)n ? (int)n : bad;
    printf("replay: %d passed, %d failed\n", (int)n - inputs_failed, failed + bad);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return failed || bad || n == 0 ? 1 : 0;
}
