/* SPDX-License-Identifier: Apache-2.0 */
/* The attack path of one stored session as JSON, for programs (the web
 * UI's /api/session): the same placement storm report prints (path.c). */
#include <stdint.h>
#include <string.h>

#include <storm/json.h>

#include "report_int.h"

static const char *via_name(path_via v)
{
    switch (v) {
    case VIA_ENTRY: return "entry";
    case VIA_MODELLED: return "modelled";
    case VIA_SKIPPED: return "skipped";
    case VIA_UNPREDICTED: return "unpredicted";
    case VIA_NOT_IN_MODELS: return "not-in-models";
    }
    return "entry";
}

static void put_str(storm_buf *out, const char *key, const char *v)
{
    storm_buf_printf(out, ",\"%s\":", key);
    if (v)
        storm_json_write_string(out, v, strlen(v));
    else
        storm_buf_puts(out, "null");
}

storm_rc storm_session_path_json(const storm_models *models, const char *json, size_t len, storm_buf *out,
                                 storm_err *err)
{
    storm_report *r = NULL;
    storm_rc rc = storm_report_new(STORM_REPORT_TEXT, models, NULL, &r, err);
    if (rc == STORM_OK)
        rc = storm_report_add(r, json, len, err);
    if (rc != STORM_OK) {
        storm_report_free(r);
        return rc;
    }
    const session_path *p = &r->s[0].path;
    storm_buf_puts(out, "{\"reached\":[");
    for (size_t i = 0; i < p->n_reached; i++) {
        const path_node *n = &p->reached[i];
        storm_buf_puts(out, i ? ",{\"step_id\":" : "{\"step_id\":");
        storm_json_write_string(out, n->step_id, strlen(n->step_id));
        put_str(out, "name", n->name);
        put_str(out, "tactic", n->tactic);
        put_str(out, "status", via_name(n->via));
        put_str(out, "from", n->from);
        storm_buf_puts(out, ",\"skipped\":[");
        for (size_t k = 0; k < n->n_skipped; k++) {
            storm_buf_puts(out, k ? "," : "");
            storm_json_write_string(out, n->skipped[k], strlen(n->skipped[k]));
        }
        storm_buf_puts(out, "]}");
    }
    storm_buf_puts(out, "],\"deepest\":[");
    for (size_t i = 0; models && i < p->n_deep; i++) {
        const storm_model_step *st = storm_models_step(models, p->deep[i]);
        storm_buf_puts(out, i ? ",{\"step_id\":" : "{\"step_id\":");
        storm_json_write_string(out, st->id, strlen(st->id));
        put_str(out, "name", st->name);
        storm_buf_printf(out, ",\"reached\":%s}", p->deep_hit && p->deep_hit[i] ? "true" : "false");
    }
    storm_buf_printf(out, "],\"deepest_reached\":%zu,\"anomalies\":%zu}", p->deep_reached, p->n_anomalies);
    storm_report_free(r);
    return STORM_OK;
}
