/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"

char *cli_dir_arg(char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    return dir;
}
