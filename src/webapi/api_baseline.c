/* SPDX-License-Identifier: Apache-2.0 */
/* GET /api/baseline: every workload profile (what it learned, how many
 * events it explained) and its features, capped. What is normal in the
 * cluster is as revealing as the raw events: it needs read rights on the
 * observations. */
#include "webapi_int.h"

#include <storm/json.h>
#include <storm/store_baseline.h>

#define BASELINE_FEATURES_MAX 20000

typedef struct baseline_out {
    storm_buf *profiles, *features;
    size_t n_profiles, n_features, total_features;
} baseline_out;

static storm_rc on_profile(void *ctx, const storm_store_profile *p, storm_err *err)
{
    (void)err;
    baseline_out *o = ctx;
    storm_buf *b = o->profiles;
    storm_buf_puts(b, o->n_profiles++ ? ",{\"workload\":" : "{\"workload\":");
    webapi_str(b, p->workload);
    storm_buf_puts(b, ",\"origin\":");
    webapi_str(b, p->origin);
    storm_buf_printf(b,
                     ",\"events_learned\":%llu,\"first_seen_ns\":%lld,\"last_seen_ns\":%lld,"
                     "\"last_new_feature_ns\":%lld,\"explained\":%llu,\"unexplained\":%llu,\"overflow\":%llu}",
                     (unsigned long long)p->events_learned, (long long)p->first_seen, (long long)p->last_seen,
                     (long long)p->last_new_feature, (unsigned long long)p->explained,
                     (unsigned long long)p->unexplained, (unsigned long long)p->overflow);
    return STORM_OK;
}

static storm_rc on_feature(void *ctx, const storm_store_feature *f, storm_err *err)
{
    (void)err;
    baseline_out *o = ctx;
    o->total_features++;
    if (o->n_features >= BASELINE_FEATURES_MAX)
        return STORM_OK;
    storm_buf *b = o->features;
    storm_buf_puts(b, o->n_features++ ? ",{\"workload\":" : "{\"workload\":");
    webapi_str(b, f->workload);
    storm_buf_puts(b, ",\"feature\":");
    storm_json_write_string(b, f->text, f->len);
    storm_buf_printf(b, ",\"hits\":%llu,\"denied\":%s}", (unsigned long long)f->hits, f->denied ? "true" : "false");
    return STORM_OK;
}

void webapi_get_baseline(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_OBSERVATIONS, false))
        return;
    storm_buf profiles, features;
    storm_buf_init(&profiles, WEBAPI_RESPONSE_MAX / 4);
    storm_buf_init(&features, WEBAPI_RESPONSE_MAX / 2);
    baseline_out o = {.profiles = &profiles, .features = &features};
    storm_err err = {0};
    storm_rc rc = storm_store_baseline_load(c->rq->store, on_profile, on_feature, &o, &err);
    if (rc)
        webapi_error(c, 500, "store: %s", err.msg);
    else {
        webapi_json(c);
        storm_buf *b = &c->rs->body;
        storm_buf_puts(b, "{\"profiles\":[");
        if (profiles.len)
            storm_buf_append(b, profiles.data, profiles.len);
        storm_buf_puts(b, "],\"features\":[");
        if (features.len)
            storm_buf_append(b, features.data, features.len);
        storm_buf_printf(b, "],\"features_total\":%zu,\"features_max\":%d}", o.total_features, BASELINE_FEATURES_MAX);
    }
    storm_buf_free(&profiles);
    storm_buf_free(&features);
}
