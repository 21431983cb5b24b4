/* SPDX-License-Identifier: Apache-2.0 */
/* The matching options storm run and storm hunt share: --format,
 * --correlate, --identity, --horizon, --window, --state-cap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_detect_option(const char *cmd, int ch, const char *value, storm_pipeline_format *format, storm_detect_opts *o)
{
    switch (ch) {
    case CLI_OPT_FORMAT:
        if (strcmp(value, "stix") == 0 || strcmp(value, "json") == 0)
            *format = STORM_PIPELINE_STIX;
        else if (strcmp(value, "text") == 0)
            *format = STORM_PIPELINE_TEXT;
        else
            return cli_usage_error(cmd, "--format: expected stix or text, got '%s'", value);
        return CLI_OK;
    case CLI_OPT_CORRELATE:
        if (!storm_correlate_parse(value, &o->correlate))
            return cli_usage_error(cmd, "--correlate: expected global, node, pod or lineage, got '%s'", value);
        return CLI_OK;
    case CLI_OPT_IDENTITY: o->identity = value; return CLI_OK;
    case CLI_OPT_HORIZON:
        if (!cli_parse_duration(value, &o->horizon) || o->horizon == 0)
            return cli_usage_error(cmd, "--horizon: '%s' is not a duration like 1h", value);
        return CLI_OK;
    case CLI_OPT_WINDOW:
        if (!cli_parse_duration(value, &o->sighting_window) || o->sighting_window == 0)
            return cli_usage_error(cmd, "--window: '%s' is not a duration like 10m", value);
        return CLI_OK;
    case CLI_OPT_STATE_CAP: {
        unsigned long long v = 0;
        if (!cli_parse_number(value, 1, 1000000, &v))
            return cli_usage_error(cmd, "--state-cap: expected 1..1000000, got '%s'", value);
        o->state_cap = (size_t)v;
        return CLI_OK;
    }
    default: return CLI_USAGE; /* not one of them: getopt said what is wrong */
    }
}
