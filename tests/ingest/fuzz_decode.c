/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for one sensor decoder (FUZZ_DECODER names it: built once per
 * sensor from tests/ingest/meson.build). JSON parse + envelope unwrapping +
 * decode: any input must give events, a skip with its type, or a positioned
 * error; never a crash. Every event must be readable (ASan checks each byte
 * of its strings) and its value trees well-formed (they write as JSON that
 * parses and writes back to the same text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>

#ifndef FUZZ_DECODER
#error "FUZZ_DECODER must name the decoder, e.g. -DFUZZ_DECODER=\"falco\""
#endif

static void touch(const char *s)
{
    if (s && strlen(s) == SIZE_MAX) /* strlen reads every byte */
        abort();
}

static void round_trip(storm_arena *a, const storm_value *v)
{
    if (!v)
        return;
    /* compared as text: borrowed input objects may repeat a key */
    storm_buf b, c;
    storm_buf_init(&b, 64u << 20);
    storm_buf_init(&c, 64u << 20);
    if (storm_json_write(&b, v, 0) == STORM_OK) {
        storm_value *w = NULL;
        if (storm_json_parse(a, b.data, b.len, 0, &w, NULL, NULL) != STORM_OK ||
            storm_json_write(&c, w, 0) != STORM_OK || b.len != c.len || memcmp(b.data, c.data, b.len) != 0)
            abort();
    }
    storm_buf_free(&b);
    storm_buf_free(&c);
}

static void touch_process(storm_arena *a, const storm_process_info *p)
{
    touch(p->binary);
    touch(p->name);
    touch(p->arguments);
    touch(p->command_line);
    touch(p->cwd);
    touch(p->exec_id);
    touch(p->parent_exec_id);
    round_trip(a, p->extra);
    round_trip(a, p->environment);
}

static void touch_event(storm_arena *a, const storm_event *ev)
{
    touch(ev->type);
    touch_process(a, &ev->process);
    touch_process(a, &ev->parent);
    for (size_t i = 0; i < ev->n_ancestors; i++)
        touch_process(a, &ev->ancestors[i]);
    if (ev->n_files > STORM_EVENT_MAX_FILES)
        abort();
    for (size_t i = 0; i < ev->n_files; i++) {
        touch(ev->files[i].path);
        touch(ev->files[i].operation);
        touch(ev->files[i].permission);
        touch(ev->files[i].link_target);
    }
    const storm_k8s_ctx *k = &ev->k8s;
    const char *ks[] = {k->cluster,      k->node,  k->namespace_, k->pod,      k->container,
                        k->container_id, k->image, k->image_id,   k->workload, k->workload_kind};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++)
        touch(ks[i]);
    round_trip(a, k->labels);
    const storm_net_info *n = &ev->net;
    const char *ns[] = {n->src_ip, n->dst_ip, n->protocol, n->family, n->direction, n->verdict, n->dns_name, n->state};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        touch(ns[i]);
    round_trip(a, n->extra);
    touch(ev->hook.name);
    touch(ev->hook.policy);
    round_trip(a, ev->hook.args);
    round_trip(a, ev->hook.ret);
    for (size_t i = 0; ev->hook.args && i < ev->hook.args->u.a.len; i++)
        if (!storm_v_get_str(ev->hook.args->u.a.items[i], "type"))
            abort(); /* the model reads each argument's type */
    const storm_audit_info *au = &ev->audit;
    const char *as[] = {au->audit_id,    au->stage,       au->level,     au->request_uri, au->verb,
                        au->resource,    au->subresource, au->api_group, au->api_version, au->object_namespace,
                        au->object_name, au->user,        au->user_uid,  au->source_ip,   au->user_agent,
                        au->decision,    au->reason};
    for (size_t i = 0; i < sizeof as / sizeof *as; i++)
        touch(as[i]);
    round_trip(a, au->groups);
    const storm_alert_info *al = &ev->alert;
    const char *als[] = {al->rule, al->rule_id, al->severity, al->message, al->source};
    for (size_t i = 0; i < sizeof als / sizeof *als; i++)
        touch(als[i]);
    round_trip(a, al->tags);
    round_trip(a, al->fields);
    const storm_app_info *ap = &ev->app;
    const char *aps[] = {ap->program,     ap->message,     ap->auth_user,    ap->auth_result,     ap->auth_method,
                         ap->http_method, ap->http_target, ap->http_version, ap->http_user_agent, ap->http_referer};
    for (size_t i = 0; i < sizeof aps / sizeof *aps; i++)
        touch(aps[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const storm_decoder *d = storm_decoder_find(FUZZ_DECODER);
    if (!d)
        abort();
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *root = NULL;
    const storm_value *lifted = NULL;
    /* not JSON: maybe an entry point's text log line, as the reader lifts it */
    if (a && storm_json_parse(a, (const char *)data, size, 0, &root, NULL, NULL) != STORM_OK &&
        storm_decode_text_line(a, (const char *)data, size, (storm_time_ns)1796644800 * 1000000000, &lifted) ==
            STORM_OK)
        root = (storm_value *)lifted;
    if (a && root) {
        (void)storm_decoder_detect(root); /* every detect() must cope too */
        const storm_value *inner = root;
        storm_err uerr;
        storm_err_clear(&uerr);
        if (storm_decode_unwrap_ex(a, root, &inner, NULL, &uerr) != STORM_OK && (inner != root || !uerr.msg[0]))
            abort();
        storm_event_list out = {0};
        storm_err err;
        storm_err_clear(&err);
        const char *skip = NULL;
        storm_rc rc = d->decode(a, inner, &out, &skip, &err);
        switch (rc) {
        case STORM_OK:
            for (size_t i = 0; i < out.n; i++) {
                if (out.items[i].sensor != d->sensor)
                    abort();
                touch_event(a, &out.items[i]);
            }
            break;
        case STORM_ERR_UNSUPPORTED:
            if (!skip || out.n)
                abort();
            break;
        case STORM_ERR_NOMEM: break;
        default:
            /* a positioned, explained rejection that leaves nothing behind */
            if (!err.msg[0] || err.rc != rc || out.n)
                abort();
        }
    }
    storm_arena_free(a);
    return 0;
}
