/* SPDX-License-Identifier: Apache-2.0 */
/* POST /api/models/indicator {"pattern", "name", "attack_pattern",
 * "description"}: the playground's "save pattern to model". Stores a new
 * indicator with that pattern in the indicators collection, and an
 * "indicates" relationship to a stored attack-pattern the user picked, in
 * one transaction; the models the store holds (which storm run --db and
 * the pages read) then include it. Needs write rights on the indicators
 * collection (and the CSRF checks every POST passes, webapi.c). */
#include "webapi_int.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <storm/json.h>
#include <storm/pattern.h>
#include <storm/time.h>
#include <storm/uuid.h>

#define INDICATOR_NAME_MAX 200
#define INDICATOR_DESCRIPTION_MAX 4000

static const char *body_str(const storm_value *body, const char *key, size_t *len)
{
    const storm_value *v = storm_v_get(body, key);
    if (!v || v->type != STORM_V_STRING)
        return NULL;
    *len = v->u.s.len;
    return v->u.s.ptr;
}

/* A new random id of this type ("indicator--<uuid4>"). */
static bool new_id(const char *type, char *out, size_t cap)
{
    unsigned char u[16];
    char text[STORM_UUID_LEN + 1];
    if (RAND_bytes(u, sizeof u) != 1)
        return false;
    storm_uuid_format(u, 4, text);
    snprintf(out, cap, "%s--%s", type, text);
    return true;
}

typedef struct found_ctx {
    bool found;
    char name[256];
} found_ctx;

static int found_row(void *ctx, const storm_store_row *row)
{
    found_ctx *f = ctx;
    if (strcmp(row->type, "attack-pattern") != 0)
        return 0;
    f->found = true;
    /* the name, for the answer; the row's JSON is parsed only for it */
    storm_arena *a = storm_arena_new(4096, (size_t)4 << 20);
    storm_value *v = NULL;
    storm_err err = {0};
    if (a && storm_json_parse(a, row->json, row->json_len, 0, &v, NULL, &err) == STORM_OK && v)
        snprintf(f->name, sizeof f->name, "%s", storm_v_get_str(v, "name") ? storm_v_get_str(v, "name") : "");
    storm_arena_free(a);
    return 1;
}

void webapi_post_save_indicator(webapi_call *c)
{
    if (!webapi_need(c, STORM_COLLECTION_INDICATORS, true))
        return;
    storm_value *body = webapi_body_object(c);
    if (!body)
        return;
    size_t pattern_len = 0, name_len = 0, ap_len = 0, desc_len = 0;
    const char *pattern = body_str(body, "pattern", &pattern_len);
    const char *name = body_str(body, "name", &name_len);
    const char *ap = body_str(body, "attack_pattern", &ap_len);
    const char *desc = body_str(body, "description", &desc_len);
    if (!pattern || !pattern_len) {
        webapi_error(c, 400, "\"pattern\" (a STIX pattern) is required");
        return;
    }
    if (!name || !name_len || name_len > INDICATOR_NAME_MAX) {
        webapi_error(c, 400, "\"name\" is required: 1-%d bytes naming the indicator", INDICATOR_NAME_MAX);
        return;
    }
    if (desc && desc_len > INDICATOR_DESCRIPTION_MAX) {
        webapi_error(c, 400, "\"description\" is longer than %d bytes", INDICATOR_DESCRIPTION_MAX);
        return;
    }
    if (!ap || ap_len < 16 || strncmp(ap, "attack-pattern--", 16) != 0 ||
        !storm_uuid_parse(ap + 16, ap_len - 16, NULL)) {
        webapi_error(c, 400, "\"attack_pattern\" is required: the id (attack-pattern--UUID) of the step it indicates");
        return;
    }
    storm_err err = {0};
    storm_pattern *p = NULL;
    if (storm_pattern_compile(pattern, pattern_len, STORM_SPEC_21, &p, &err) != STORM_OK) {
        if (!err.line)
            storm_err_locate(&err, pattern, pattern_len);
        webapi_error(c, 400, "pattern error at line %u, column %u: %s", err.line, err.col, err.msg);
        return;
    }
    storm_pattern_free(p);
    found_ctx f = {0};
    const char *ids[1] = {ap};
    if (webapi_lookup(c->rq->store, STORM_COLLECTION_INDICATORS, ids, 1, found_row, &f, &err) != STORM_OK) {
        webapi_error(c, 500, "store: %s", err.msg);
        return;
    }
    if (!f.found) {
        webapi_error(c, 404, "no attack-pattern %.80s in the stored models (pick a step of the Models page)", ap);
        return;
    }
    char ind_id[96], rel_id[96], now[40];
    if (!new_id("indicator", ind_id, sizeof ind_id) || !new_id("relationship", rel_id, sizeof rel_id)) {
        webapi_error(c, 500, "no random bytes for the new ids");
        return;
    }
    storm_time_format_stix(storm_time_now(), STORM_TIME_STIX_MS, now);
    storm_buf ind, rel;
    storm_buf_init(&ind, (size_t)1 << 20);
    storm_buf_init(&rel, (size_t)1 << 16);
    storm_buf_printf(&ind,
                     "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
                     "\"modified\":\"%s\",\"name\":",
                     ind_id, now, now);
    storm_json_write_string(&ind, name, name_len);
    /* Who saved it goes in the description: STIX 2.1 wants custom properties in
     * an extension (OASIS validator {401}) and name and description both
     * present ({303}). */
    storm_buf d;
    storm_buf_init(&d, (size_t)1 << 20);
    if (desc && desc_len)
        storm_buf_printf(&d, "%.*s\n\n", (int)desc_len, desc);
    storm_buf_printf(&d, "Saved from Storm's pattern playground by %s.", *c->rq->user ? c->rq->user : "(anonymous)");
    storm_buf_puts(&ind, ",\"description\":");
    storm_json_write_string(&ind, d.data ? d.data : "", d.len);
    storm_buf_free(&d);
    storm_buf_puts(&ind, ",\"indicator_types\":[\"malicious-activity\"],\"pattern\":");
    storm_json_write_string(&ind, pattern, pattern_len);
    storm_buf_printf(&ind, ",\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\",\"valid_from\":\"%s\"", now);
    storm_buf_putc(&ind, '}');
    storm_buf_printf(&rel,
                     "{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
                     "\"modified\":\"%s\",\"relationship_type\":\"indicates\",\"source_ref\":\"%s\",\"target_ref\":",
                     rel_id, now, now, ind_id);
    webapi_str(&rel, ap);
    storm_buf_putc(&rel, '}');
    /* both or neither: an indicator without its step would be a model defect */
    storm_rc rc = storm_store_begin(c->rq->store, &err);
    bool began = rc == STORM_OK;
    if (rc == STORM_OK)
        rc = storm_store_put_json(c->rq->store, STORM_COLLECTION_INDICATORS, ind.data, ind.len, NULL, &err);
    if (rc == STORM_OK)
        rc = storm_store_put_json(c->rq->store, STORM_COLLECTION_INDICATORS, rel.data, rel.len, NULL, &err);
    if (rc == STORM_OK)
        rc = storm_store_commit(c->rq->store, &err);
    if (rc != STORM_OK && began)
        storm_store_rollback(c->rq->store);
    if (rc != STORM_OK) {
        storm_buf_free(&ind);
        storm_buf_free(&rel);
        webapi_error(c, 500, "storing the indicator: %s", err.msg);
        return;
    }
    webapi_json(c);
    c->rs->status = 201;
    storm_buf *b = &c->rs->body;
    storm_buf_puts(b, "{\"indicator\":");
    storm_buf_append(b, ind.data, ind.len);
    storm_buf_puts(b, ",\"relationship\":");
    storm_buf_append(b, rel.data, rel.len);
    storm_buf_puts(b, ",\"attack_pattern_name\":");
    webapi_str(b, f.name);
    storm_buf_putc(b, '}');
    storm_buf_free(&ind);
    storm_buf_free(&rel);
}
