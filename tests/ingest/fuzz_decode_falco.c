/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the falco decoder on any JSON must never crash, must answer
 * with one of its documented results, and every event it returns must be
 * readable (strings valid, pointers in bounds: ASan checks the reads). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>

static size_t touch_str(const char *s)
{
    return s ? strlen(s) : 0;
}

static size_t touch_process(const storm_process_info *p)
{
    return touch_str(p->binary) + touch_str(p->name) + touch_str(p->arguments) + touch_str(p->command_line) +
           touch_str(p->cwd) + touch_str(p->exec_id) + touch_str(p->parent_exec_id) + storm_v_len(p->extra);
}

static size_t touch_event(const storm_event *ev)
{
    size_t n = touch_str(ev->type) + touch_process(&ev->process) + touch_process(&ev->parent);
    for (size_t i = 0; i < ev->n_ancestors; i++)
        n += touch_process(&ev->ancestors[i]);
    if (ev->n_files > STORM_EVENT_MAX_FILES)
        abort();
    for (size_t i = 0; i < ev->n_files; i++)
        n += touch_str(ev->files[i].path) + touch_str(ev->files[i].operation) + touch_str(ev->files[i].link_target);
    const storm_k8s_ctx *k = &ev->k8s;
    n += touch_str(k->cluster) + touch_str(k->node) + touch_str(k->namespace_) + touch_str(k->pod) +
         touch_str(k->container) + touch_str(k->container_id) + touch_str(k->image) + touch_str(k->image_id) +
         touch_str(k->workload) + touch_str(k->workload_kind) + storm_v_len(k->labels);
    n += touch_str(ev->net.src_ip) + touch_str(ev->net.dst_ip) + touch_str(ev->net.protocol) +
         touch_str(ev->net.family) + touch_str(ev->net.direction);
    const storm_audit_info *au = &ev->audit;
    n += touch_str(au->audit_id) + touch_str(au->stage) + touch_str(au->level) + touch_str(au->request_uri) +
         touch_str(au->verb) + touch_str(au->resource) + touch_str(au->subresource) + touch_str(au->api_group) +
         touch_str(au->api_version) + touch_str(au->object_namespace) + touch_str(au->object_name) +
         touch_str(au->user) + touch_str(au->user_uid) + touch_str(au->source_ip) + touch_str(au->user_agent) +
         touch_str(au->decision) + touch_str(au->reason) + storm_v_len(au->groups) + storm_v_len(au->source_ips);
    const storm_alert_info *al = &ev->alert;
    n += touch_str(al->rule) + touch_str(al->rule_id) + touch_str(al->severity) + touch_str(al->message) +
         touch_str(al->source) + storm_v_len(al->tags) + storm_v_len(al->fields);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *root = NULL;
    if (a && storm_json_parse(a, (const char *)data, size, 0, &root, NULL, NULL) == STORM_OK) {
        (void)storm_decoder_detect(root); /* every detect() must cope too */
        const storm_decoder *d = storm_decoder_find("falco");
        storm_event_list out = {0};
        storm_err err = {0};
        const char *skip = NULL;
        storm_rc rc = d->decode(a, root, &out, &skip, &err);
        volatile size_t sink = 0;
        switch (rc) {
        case STORM_OK:
            for (size_t i = 0; i < out.n; i++) {
                if (out.items[i].sensor != d->sensor)
                    abort();
                sink += touch_event(&out.items[i]);
            }
            break;
        case STORM_ERR_UNSUPPORTED:
            if (!skip || out.n)
                abort();
            break;
        case STORM_ERR_VALUE:
            /* a positioned, explained rejection that leaves nothing behind */
            if (!err.msg[0] || err.offset > size || out.n)
                abort();
            break;
        case STORM_ERR_NOMEM: break;
        default: abort();
        }
        (void)sink;
    }
    storm_arena_free(a);
    return 0;
}
