/* SPDX-License-Identifier: Apache-2.0 */
/* Discovery, the API root, collections and status resources. */
#include "taxii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/json.h>

#define COLLECTIONS_MAX 1024 /* collections listed by one request */

static void put_str(storm_buf *b, const char *key, const char *value)
{
    storm_buf_printf(b, "\"%s\":", key);
    storm_json_write_string(b, value, strlen(value));
}

static void put_root_url(taxii_call *c, storm_buf *b)
{
    char url[512];
    const char *host = c->rq->host;
    /* Absolute when the client told us how it reached us; the Host header
     * is echoed only when it is a plain host[:port]. */
    bool plain = host && *host && strlen(host) < 256 &&
                 strspn(host, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789.-:[]") == strlen(host);
    if (plain)
        snprintf(url, sizeof url, "%s://%s/%s/", c->ctx->cfg.tls_cert_path ? "https" : "http", host,
                 c->ctx->cfg.api_root);
    else
        snprintf(url, sizeof url, "/%s/", c->ctx->cfg.api_root);
    storm_json_write_string(b, url, strlen(url));
}

void taxii_get_discovery(taxii_call *c)
{
    storm_buf *b = &c->rs->body;
    const storm_taxii_config *cfg = &c->ctx->cfg;
    storm_buf_putc(b, '{');
    put_str(b, "title", cfg->title);
    if (cfg->description && *cfg->description) {
        storm_buf_putc(b, ',');
        put_str(b, "description", cfg->description);
    }
    if (cfg->contact && *cfg->contact) {
        storm_buf_putc(b, ',');
        put_str(b, "contact", cfg->contact);
    }
    storm_buf_puts(b, ",\"default\":");
    put_root_url(c, b);
    storm_buf_puts(b, ",\"api_roots\":[");
    put_root_url(c, b);
    storm_buf_puts(b, "]}");
}

void taxii_get_api_root(taxii_call *c)
{
    storm_buf *b = &c->rs->body;
    const storm_taxii_config *cfg = &c->ctx->cfg;
    storm_buf_putc(b, '{');
    put_str(b, "title", cfg->title);
    if (cfg->description && *cfg->description) {
        storm_buf_putc(b, ',');
        put_str(b, "description", cfg->description);
    }
    storm_buf_printf(b, ",\"versions\":[\"" STORM_TAXII_MEDIA_TYPE "\"],\"max_content_length\":%zu}",
                     cfg->max_content_length);
}

static void put_collection(taxii_call *c, const storm_store_collection *col, bool can_read, bool can_write)
{
    storm_buf *b = &c->rs->body;
    storm_buf_putc(b, '{');
    put_str(b, "id", col->id);
    storm_buf_putc(b, ',');
    put_str(b, "title", col->title);
    if (col->description[0]) {
        storm_buf_putc(b, ',');
        put_str(b, "description", col->description);
    }
    if (col->alias[0]) {
        storm_buf_putc(b, ',');
        put_str(b, "alias", col->alias);
    }
    storm_buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[", can_read ? "true" : "false",
                     can_write ? "true" : "false");
    const char *p = col->media_types;
    bool first = true;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len) {
            if (!first)
                storm_buf_putc(b, ',');
            storm_json_write_string(b, p, len);
            first = false;
        }
        p += len + (comma ? 1 : 0);
    }
    storm_buf_puts(b, "]}");
}

void taxii_get_collections(taxii_call *c)
{
    storm_store_collection *cols = storm_arena_alloc(c->arena, COLLECTIONS_MAX * sizeof *cols);
    size_t n = 0;
    storm_err err = {0};
    if (!cols) {
        taxii_error(c->rs, 500, "Out of memory", "cannot list the collections");
        return;
    }
    if (storm_store_collections(c->store, cols, COLLECTIONS_MAX, &n, &err)) {
        taxii_error(c->rs, 500, "Store error", "%s", err.msg);
        return;
    }
    if (n > COLLECTIONS_MAX)
        n = COLLECTIONS_MAX;
    storm_buf *b = &c->rs->body;
    storm_buf_putc(b, '{');
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        bool r = taxii_can(c->ctx, c->user, STORM_USERS_READ, &cols[i]);
        bool w = taxii_can(c->ctx, c->user, STORM_USERS_WRITE, &cols[i]);
        if ((!r && !w) || !taxii_exposed(c->ctx, &cols[i]))
            continue; /* not this user's business, or not served (--collections) */
        storm_buf_puts(b, shown ? "," : "\"collections\":[");
        put_collection(c, &cols[i], r, w);
        shown++;
    }
    storm_buf_puts(b, shown ? "]}" : "}");
}

void taxii_get_collection(taxii_call *c)
{
    put_collection(c, &c->collection, taxii_can(c->ctx, c->user, STORM_USERS_READ, &c->collection),
                   taxii_can(c->ctx, c->user, STORM_USERS_WRITE, &c->collection));
}

void taxii_get_status(taxii_call *c)
{
    char *json = NULL;
    size_t len = 0;
    storm_err err = {0};
    char key[STORM_USERS_NAME_MAX + 300];
    snprintf(key, sizeof key, "%s/%s", c->user, c->status_id);
    storm_rc rc = storm_store_status_get(c->store, key, &json, &len, &err);
    if (rc == STORM_ERR_NOTFOUND) {
        taxii_error(c->rs, 404, "Status not found", "no status resource '%s'", c->status_id);
        return;
    }
    if (rc) {
        taxii_error(c->rs, 500, "Store error", "%s", err.msg);
        return;
    }
    storm_buf_append(&c->rs->body, json, len);
    free(json);
}
