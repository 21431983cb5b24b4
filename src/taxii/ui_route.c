/* SPDX-License-Identifier: Apache-2.0 */
/* The web UI beside TAXII (storm serve --ui): its paths are authenticated
 * exactly as TAXII's (same users, same failed-login limiter, 401 with a
 * Basic challenge so that the browser asks), then handed to the webapi
 * module with the user's rights on the collections and the worker's store
 * connection. The UI sees a collection only if --collections exposes it. */
#include "taxii_int.h"

#include <string.h>
#include <storm/webapi.h>

bool taxii_ui_owns(const taxii_ctx *ctx, const taxii_request *rq)
{
    return ctx->cfg.ui && storm_webapi_owns(rq->path);
}

typedef struct ui_rights {
    taxii_ctx *ctx;
    storm_store *store;
    const char *user;
} ui_rights;

static bool ui_can(void *cls, const char *collection, bool write)
{
    ui_rights *r = cls;
    if (!r->store)
        return false;
    storm_store_collection c;
    storm_err err = {0};
    if (storm_store_collection_find(r->store, collection, &c, &err) != STORM_OK || !taxii_exposed(r->ctx, &c))
        return false;
    return taxii_can(r->ctx, r->user, write ? STORM_USERS_WRITE : STORM_USERS_READ, &c);
}

static const char *ui_param(void *cls, const char *key)
{
    const taxii_request *rq = cls;
    for (size_t i = 0; i < rq->n_params; i++)
        if (strcmp(rq->params[i].key, key) == 0)
            return rq->params[i].value ? rq->params[i].value : "";
    return NULL;
}

/* Copy the webapi's answer into the TAXII response the transport sends. */
static void take_answer(taxii_response *rs, storm_webapi_response *ws)
{
    rs->status = ws->status;
    storm_buf_reset(&rs->body);
    if (ws->body.len)
        storm_buf_append(&rs->body, ws->body.data, ws->body.len);
    rs->content_type = ws->content_type;
    rs->location = ws->location;
    rs->cacheable = ws->cacheable;
    rs->ui_headers = true;
    storm_webapi_response_free(ws);
}

bool taxii_ui_handle(taxii_ctx *ctx, const taxii_request *rq, taxii_response *rs, bool precheck)
{
    rs->ui_headers = true;
    rs->content_type = "application/json";
    if (rq->target_has_nul) {
        taxii_error(rs, 400, "Bad request target", "the path or a query parameter holds %%00 (a NUL byte)");
        rs->content_type = "application/json";
        return false;
    }
    char user[STORM_USERS_NAME_MAX + 1];
    unsigned retry = 0;
    taxii_auth_result ar = taxii_authenticate(ctx, rq->client, rq->authorization, user, &retry);
    if (ar == TAXII_AUTH_THROTTLED) {
        rs->retry_after = retry;
        taxii_error(rs, 429, "Too many failed logins", "too many failed logins from this address; try again in %u s",
                    retry);
        rs->content_type = "application/json";
        return false;
    }
    if (ar != TAXII_AUTH_OK) {
        rs->www_authenticate = true;
        taxii_error(rs, 401, "Unauthorized",
                    rq->authorization ? "the credentials are not valid" : "this server needs Basic authentication");
        rs->content_type = "application/json";
        return false;
    }
    storm_err err = {0};
    ui_rights rights = {.ctx = ctx, .user = user};
    bool is_api = strncmp(rq->path, "/api/", 5) == 0;
    if (!precheck && is_api)
        rights.store = ctx->store_for_thread(ctx, &err);
    storm_webapi_request wr = {.method = rq->method ? rq->method : "",
                               .path = rq->path,
                               .param = ui_param,
                               .param_cls = (void *)rq,
                               .body = rq->body,
                               .body_len = rq->body_len,
                               .body_too_large = rq->body_too_large,
                               .content_type = rq->content_type,
                               .csrf = rq->csrf,
                               .origin = rq->origin,
                               .host = rq->host,
                               .user = user,
                               .can = ui_can,
                               .can_cls = &rights,
                               .store = rights.store};
    storm_webapi_response ws;
    storm_webapi_response_init(&ws);
    if (precheck) {
        if (storm_webapi_precheck(ctx->cfg.ui, &wr, &ws)) {
            storm_webapi_response_free(&ws);
            return true;
        }
        take_answer(rs, &ws);
        return false;
    }
    storm_webapi_handle(ctx->cfg.ui, &wr, &ws);
    take_answer(rs, &ws);
    return false;
}
