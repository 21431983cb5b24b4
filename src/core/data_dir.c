/* SPDX-License-Identifier: Apache-2.0 */
/* The shipped data's directory (storm/data_dir.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/data_dir.h>

#include "storm_config.h"

static bool holds(const char *dir, const char *probe)
{
    char p[PATH_MAX];
    struct stat st;
    if (!probe)
        return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    snprintf(p, sizeof p, "%s/%s", dir, probe);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *storm_data_dir_find(const char *env, const char *installed, const char *in_tree, const char *probe,
                                char *buf, size_t cap)
{
    const char *value = getenv(env);
    if (value && holds(value, probe))
        return value;
    snprintf(buf, cap, "%s/%s", STORM_DATADIR, installed);
    if (holds(buf, probe))
        return buf;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        for (int up = 0; slash && up < 5; up++) {
            *slash = '\0';
            snprintf(buf, cap, "%s/%s", exe, in_tree);
            if (exe[0] && holds(buf, probe))
                return buf;
            slash = strrchr(exe, '/');
        }
    }
#ifdef STORM_SOURCE_MODELS
    /* the source tree is the models directory's parent */
    size_t root = strlen(STORM_SOURCE_MODELS) - strlen("/models");
    snprintf(buf, cap, "%.*s/%s", (int)root, STORM_SOURCE_MODELS, in_tree);
    if (holds(buf, probe))
        return buf;
#endif
    return holds(in_tree, probe) ? in_tree : NULL;
}
