/* SPDX-License-Identifier: Apache-2.0 */
/* Replays every saved input of a fuzz corpus through the target, as a plain
 * test (no libFuzzer needed). Each input runs in a child process, so that an
 * input that crashes the target (abort() on a broken property, a sanitizer
 * report, a signal) is counted as failed, named, and the rest still run. An
 * input also fails when the target returns anything but 0 or -1 (libFuzzer's
 * contract: -1 only asks not to keep the input). Prints
 * "replay: N passed, M failed"; exit 1 on any failure or an empty corpus. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exit statuses of the child, beside the target's crash. */
#define CHILD_PASSED 0
#define CHILD_UNREADABLE 97
#define CHILD_BAD_RETURN 98

static int run_child(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CHILD_UNREADABLE;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf) {
        fclose(f);
        return CHILD_UNREADABLE;
    }
    size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
    fclose(f);
    int r = LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    if (r != 0 && r != -1) {
        fprintf(stderr, "replay: %s: the target returned %d\n", path, r);
        return CHILD_BAD_RETURN;
    }
    return CHILD_PASSED;
}

/* 0 when the input passed, else 1 (and why on stderr). */
static int replay_file(const char *path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("replay: fork");
        return 1;
    }
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none); /* a crash is reported here, not dumped */
        exit(run_child(path));         /* exit, not _exit: LeakSanitizer reports at exit */
    }
    int st;
    pid_t w;
    do
        w = waitpid(pid, &st, 0);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        perror("replay: waitpid");
        return 1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_PASSED)
        return 0;
    if (WIFSIGNALED(st))
        fprintf(stderr, "replay: %s: FAILED, the target crashed (signal %d)\n", path, WTERMSIG(st));
    else if (WEXITSTATUS(st) == CHILD_UNREADABLE)
        fprintf(stderr, "replay: %s: FAILED, cannot read it\n", path);
    else
        fprintf(stderr, "replay: %s: FAILED (exit status %d)\n", path, WEXITSTATUS(st));
    return 1;
}

int main(int argc, char **argv)
{
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
            failed++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed += replay_file(argv[i]);
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            failed += replay_file(path);
            files++;
        }
        if (d)
            closedir(d);
    }
    printf("replay: %d passed, %d failed\n", files - failed, failed);
    return failed || files == 0 ? 1 : 0;
}
