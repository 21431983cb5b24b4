/* SPDX-License-Identifier: Apache-2.0 */
/* storm instrument: placeholder until the overlay is wired. */
#include "cli.h"

int cmd_instrument(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return CLI_USAGE;
}
