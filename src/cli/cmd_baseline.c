/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "cli.h"

int cmd_baseline(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "storm baseline: not implemented yet\n");
    return CLI_FAIL;
}
