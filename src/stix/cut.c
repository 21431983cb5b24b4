/* SPDX-License-Identifier: Apache-2.0 */
/* How the observation cuts sensor values into STIX properties (file name and
 * directory of a path, the command line of a process): one definition for
 * the builder (observe.c) and the prefilter (prefilter.c), which must give
 * the very same values; and the decimal text both write without printf. */
#include <stdint.h>
#include <string.h>

#include "stix_int.h"

bool stix_pseudo_path(const char *path)
{
    return path[0] != '/' && (path[0] == '<' || path[0] == '[' || strstr(path, ":[") != NULL);
}

void stix_path_cut(const char *path, stix_cut *out)
{
    size_t full = strlen(path), len = full;
    while (len > 1 && path[len - 1] == '/')
        len--;
    /* libc's vector search: the prefilter cuts every binary of every
     * event (~7 times an event) */
    const char *slash = len ? memrchr(path, '/', len) : NULL;
    out->full = full;
    out->name = path;
    out->name_len = len;
    out->dir_len = 0;
    if (slash && (size_t)(slash - path) + 1 < len) {
        out->name = slash + 1;
        out->name_len = len - (size_t)(slash - path) - 1;
        /* directory.path must be absolute: a relative path ("etc/passwd")
         * gives a file with its name and x_file_path, and no directory */
        if (path[0] == '/')
            out->dir_len = slash == path ? 1 : (size_t)(slash - path);
    }
}

const char *stix_command_line_parts(const storm_process_info *p, const char **args)
{
    *args = NULL;
    if (p->command_line && *p->command_line)
        return p->command_line;
    if (!p->binary || !*p->binary || stix_pseudo_path(p->binary))
        return NULL;
    if (p->arguments && *p->arguments)
        *args = p->arguments;
    return p->binary;
}
