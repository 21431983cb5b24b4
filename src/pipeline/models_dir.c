/* SPDX-License-Identifier: Apache-2.0 */
/* Where the shipped attack-model library is found when no --models is given. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/pipeline.h>

#include "storm_config.h"

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped library: $STORM_MODELS, the installed data dir, the source
 * tree next to the binary (build/src/cli/storm -> models/), the source tree
 * known at configure time (a build directory anywhere), ./models. */
const char *storm_pipeline_default_models(char *buf, size_t cap)
{
    const char *env = getenv("STORM_MODELS");
    if (env && is_dir(env))
        return env;
    snprintf(buf, cap, "%s/models", STORM_DATADIR);
    if (is_dir(buf))
        return buf;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        for (int up = 0; slash && up < 5; up++) {
            *slash = '\0';
            snprintf(buf, cap, "%s/models", exe);
            if (is_dir(buf) && strcmp(exe, "") != 0)
                return buf;
            slash = strrchr(exe, '/');
        }
    }
#ifdef STORM_SOURCE_MODELS
    if (is_dir(STORM_SOURCE_MODELS))
        return STORM_SOURCE_MODELS;
#endif
    if (is_dir("models"))
        return "models";
    return NULL;
}
