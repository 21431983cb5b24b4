/* SPDX-License-Identifier: Apache-2.0 */
/* The output sinks: each sighting version as one self-contained STIX bundle
 * (JSON Lines) or one text line, anomalies likewise; and the sighting's
 * objects handed to the store sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>
#include <storm/share.h>
#include <storm/stix.h>

#include "bundle_text.h"
#include "pipeline_int.h"

/* Output is written in pieces of about this size: each costs two writes
 * (stdio fills its buffer first) and 64 KiB pieces made thousands of them
 * for a large run; the idle and exit syncs write what is left. */
#define OUT_FLUSH_BYTES (1u << 18)

void pipeline_out_flush(storm_pipeline *p, bool force)
{
    if (!p->sinks.out) { /* store only */
        storm_buf_reset(&p->line);
        return;
    }
    if (p->line.len && (force || p->line.len >= OUT_FLUSH_BYTES)) {
        fwrite(p->line.data, 1, p->line.len, p->sinks.out);
        storm_buf_reset(&p->line);
        if (force)
            fflush(p->sinks.out);
    }
}

/* Is o one of the objects of the observation being matched? */
static bool of_cur_obs(const storm_pipeline *p, const storm_value *o)
{
    const storm_observation *obs = p->cur_obs;
    if (!obs)
        return false;
    if (o == obs->sdo)
        return true;
    for (size_t k = 0; k < obs->n_objects; k++)
        if (o == obs->objects[k].value)
            return true;
    return false;
}

void pipeline_object_text(storm_pipeline *p, storm_buf *out, const storm_value *o)
{
    if (sco_text_wanted(o)) /* kept across records already */
        return (void)sco_text_write(&p->sco_text, out, o);
    bool mine = of_cur_obs(p, o);
    if (mine && obs_text_write_kept(&p->obs_text, p->cur_obs_serial, o, out))
        return;
    size_t start = out->len;
    storm_rc rc = storm_json_write(out, o, STORM_JSONW_COMPACT);
    if (mine && rc == STORM_OK)
        obs_text_keep(&p->obs_text, p->cur_obs_serial, o, out->data + start, out->len - start);
}

/* One self-contained bundle per sighting version: the sighting, what the
 * detector built with it and the indicator sighted, made to stand alone by
 * the share step (storm/share.h), as storm publish does, but neither
 * redacted nor marked: this is the cluster's own copy. */
static void write_bundle(storm_pipeline *p, storm_arena *a, const storm_detect_sighting *s)
{
    const char *sid = storm_v_get_str(s->sighting, "id");
    const char *mod = storm_v_get_str(s->sighting, "modified");
    storm_value *objs = storm_v_array(a);
    if (!objs)
        return;
    /* the bundle's id: UUIDv5 of "<sighting id>|<modified>" (cut at 511
     * bytes, as it was formatted) */
    char name[512], uuid[37];
    size_t name_len = 0;
    const char *parts[] = {sid ? sid : "", "|", mod ? mod : ""};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(parts[k]);
        if (n > sizeof name - 1 - name_len)
            n = sizeof name - 1 - name_len;
        memcpy(name + name_len, parts[k], n);
        name_len += n;
    }
    name[name_len] = '\0';
    storm_stix_uuid5(STORM_STIX_SCO_NAMESPACE, name, name_len, uuid);
    char bid[64] = "bundle--";
    memcpy(bid + 8, uuid, sizeof uuid);
    storm_v_push(a, objs, (storm_value *)s->sighting);
    for (size_t i = 0; i < s->n_objects; i++)
        storm_v_push(a, objs, (storm_value *)s->objects[i]);
    if (s->indicator->object)
        storm_v_push(a, objs, (storm_value *)s->indicator->object);
    storm_share_opts so = {.identity = p->opts.detect.identity, .unmarked = true};
    storm_err err;
    storm_err_clear(&err);
    if (storm_share_prepare(a, objs, &so, NULL, &err) != STORM_OK) {
        fprintf(stderr, "%s: sighting %s: %s\n", p->opts.prog, sid ? sid : "-", err.msg);
        return;
    }
    /* {"type":"bundle","id":...,"objects":[...]} as storm_json_write writes
     * it, with the text of the objects every bundle repeats written once
     * (bundle_text.h): the sighted indicator and the cluster's identity are
     * the same objects each time, what the share step added after them is
     * made anew with the same content for the same id */
    storm_buf *out = &p->line;
    size_t n_given = 1 + s->n_objects + (s->indicator->object ? 1 : 0);
    const storm_value *identity = p->det ? storm_detector_identity(p->det) : NULL;
    storm_buf_append(out, "{\"type\":\"bundle\",\"id\":", 22);
    storm_json_write_string(out, bid, strlen(bid));
    storm_buf_append(out, ",\"objects\":[", 12);
    for (size_t i = 0; i < objs->u.a.len; i++) {
        const storm_value *o = objs->u.a.items[i];
        const char *text;
        size_t len;
        if (i)
            storm_buf_putc(out, ',');
        if (i < n_given && (text = pipeline_held_text(o, &len))) /* a held update's: written already */
            storm_buf_append(out, text, len);
        else if ((o == s->indicator->object || o == identity) && i > 0)
            bundle_text_write(&p->bundle_text, out, o, true);
        else if (i >= n_given) /* what the share step added: its own shared objects never change */
            bundle_text_write(&p->bundle_text, out, o, storm_share_is_fixed(o));
        else if (i > 0) /* the evidence: its text may have been written already */
            pipeline_object_text(p, out, o);
        else
            storm_json_write(out, o, STORM_JSONW_COMPACT);
    }
    storm_buf_append(out, "]}\n", 3);
}

void pipeline_sighting_render(storm_pipeline *p, const storm_detect_sighting *s)
{
    /* one arena for every bundle: a new one each time cost a malloc and a
     * free of its block, and the free gave the memory back to the system */
    if (!p->render_arena && !(p->render_arena = storm_arena_new(0, 0)))
        return;
    storm_arena *a = p->render_arena;
    if (p->sinks.format == STORM_PIPELINE_STIX) {
        write_bundle(p, a, s);
    } else {
        char when[40];
        storm_time_format(s->last_seen, 3, when);
        storm_buf_printf(&p->line, "%s  %s  %s  %s  %s", when, s->place, s->step ? s->step->name : "-",
                         s->indicator->name, s->evidence);
        if (s->count > 1)
            storm_buf_printf(&p->line, "  (x%llu since %s)", (unsigned long long)s->count,
                             storm_v_get_str(s->sighting, "first_seen"));
        storm_buf_putc(&p->line, '\n');
    }
    storm_arena_reset(a);
}

void pipeline_sighting_keep(storm_pipeline *p, const storm_detect_sighting *s)
{
    if (p->sinks.store) {
        /* coalesced until the next commit, then merged with the stored version */
        pipeline_db_put(p, STORM_COLLECTION_SIGHTINGS, s->sighting);
        for (size_t i = 0; i < s->n_objects; i++) {
            const char *type = storm_v_get_str(s->objects[i], "type");
            pipeline_db_put(
                p, type && strcmp(type, "identity") == 0 ? STORM_COLLECTION_SIGHTINGS : STORM_COLLECTION_OBSERVATIONS,
                s->objects[i]);
        }
        storm_arena *a = p->ext_written ? NULL : storm_arena_new(0, 0);
        if (a) { /* Storm's identity and every definition, once */
            p->ext_written = true;
            storm_value *storm_id = storm_stix_identity(a);
            if (storm_id)
                pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, storm_id);
            for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
                storm_value *d = storm_stix_extension_definition(a, (storm_stix_ext)e);
                if (d)
                    pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, d);
            }
            storm_arena_free(a);
        }
    }
    pipeline_session_sighting(p, s);
    pipeline_out_flush(p, p->sinks.format == STORM_PIPELINE_TEXT);
}

void pipeline_on_sighting(void *ctx, const storm_detect_sighting *s)
{
    storm_pipeline *p = ctx;
    if (p->sighting_tap) { /* a shard: the sinks are fed elsewhere, in input order */
        p->sighting_tap(p->sighting_tap_ctx, s);
        return;
    }
    pipeline_sighting_out(p, s);
    pipeline_sighting_keep(p, s);
}

void pipeline_emit_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_baseline_result *res)
{
    p->st.anomalies++;
    if (p->sinks.format == STORM_PIPELINE_STIX) {
        storm_stix_write_observation_bundle(&p->line, obs);
        storm_buf_putc(&p->line, '\n');
    } else {
        char when[40];
        storm_time_format(obs->first_observed, 3, when);
        storm_buf_printf(&p->line, "%s  anomaly  %s  %s\n", when, res->workload, res->reason);
    }
    if (p->sinks.store) {
        if (obs->sdo)
            pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, obs->sdo);
        for (size_t i = 0; i < obs->n_objects; i++)
            pipeline_db_put(p, STORM_COLLECTION_OBSERVATIONS, obs->objects[i].value);
    }
    pipeline_out_flush(p, false);
}
