/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-number options (--limit, --state-cap, --threads...): one strict
 * reading for every command, so that "-1", " 5", "5x" or "" are refused the
 * same way everywhere (strtoul alone takes a sign and leading blanks). */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

bool cli_parse_number(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}
