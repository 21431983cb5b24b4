/* SPDX-License-Identifier: Apache-2.0 */
/* DURATION options (--horizon, --window of storm hunt): a number with s, m,
 * h or d; a plain number is seconds. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

bool cli_parse_duration(const char *s, storm_time_ns *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    double mult = *end == '\0' || *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    if (!mult || (*end && end[1]) || v * mult * 1e9 > 9e18)
        return false;
    *out = (storm_time_ns)(v * mult * 1e9);
    return true;
}
