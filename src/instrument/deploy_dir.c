/* SPDX-License-Identifier: Apache-2.0 */
/* Where Storm's own Kubernetes manifests (deploy/k8s) are found. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/instrument.h>

#include "storm_config.h"

static bool has_daemonset(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/daemonset.yaml", dir);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* $STORM_DEPLOY, <datadir>/storm/k8s, deploy/k8s of the source tree next to
 * the binary or known at configure time, ./deploy/k8s. */
const char *storm_instrument_default_deploy(char *buf, size_t cap)
{
    const char *env = getenv("STORM_DEPLOY");
    if (env && has_daemonset(env))
        return env;
    snprintf(buf, cap, "%s/k8s", STORM_DATADIR);
    if (has_daemonset(buf))
        return buf;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        for (int up = 0; slash && up < 5; up++) {
            *slash = '\0';
            snprintf(buf, cap, "%s/deploy/k8s", exe);
            if (exe[0] && has_daemonset(buf))
                return buf;
            slash = strrchr(exe, '/');
        }
    }
#ifdef STORM_SOURCE_MODELS
    snprintf(buf, cap, "%s/../deploy/k8s", STORM_SOURCE_MODELS);
    if (has_daemonset(buf))
        return buf;
#endif
    return has_daemonset("deploy/k8s") ? "deploy/k8s" : NULL;
}
