/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: JSON parse + envelope unwrapping + the Tetragon decoder. Any
 * input must give an event, a skip with its type, or a positioned error; never
 * a crash, and what the decoder builds must be well-formed (its value trees
 * write as JSON that parses and writes back to the same text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>

#include "ingest/decoders.h"

static void touch(const char *s)
{
    if (s && strlen(s) == SIZE_MAX) /* strlen reads every byte: ASan checks them */
        abort();
}

static void round_trip(storm_arena *a, const storm_value *v)
{
    if (!v)
        return;
    /* compared as text: borrowed input objects may repeat a key, which
     * storm_v_equal (last-wins lookups) cannot compare member by member */
    storm_buf b, c;
    storm_buf_init(&b, 64u << 20);
    storm_buf_init(&c, 64u << 20);
    if (storm_json_write(&b, v, 0) == STORM_OK) {
        storm_value *w = NULL;
        if (storm_json_parse(a, b.data, b.len, 0, &w, NULL, NULL) != STORM_OK || storm_json_write(&c, w, 0) != STORM_OK ||
            b.len != c.len || memcmp(b.data, c.data, b.len) != 0)
            abort();
    }
    storm_buf_free(&b);
    storm_buf_free(&c);
}

static void touch_process(storm_arena *a, const storm_process_info *p)
{
    touch(p->binary);
    touch(p->arguments);
    touch(p->command_line);
    touch(p->cwd);
    touch(p->exec_id);
    touch(p->parent_exec_id);
    round_trip(a, p->extra);
    round_trip(a, p->environment);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *root = NULL;
    if (storm_json_parse(a, (const char *)data, size, 0, &root, NULL, NULL) == STORM_OK) {
        const storm_value *inner = root;
        storm_err uerr;
        storm_err_clear(&uerr);
        if (storm_decode_unwrap_ex(a, root, &inner, NULL, &uerr) != STORM_OK && (inner != root || !uerr.msg[0]))
            abort();
        storm_event_list list = {0};
        const char *skip = NULL;
        storm_err err;
        storm_err_clear(&err);
        storm_rc rc = storm_decoder_tetragon.decode(a, inner, &list, &skip, &err);
        if (rc == STORM_OK) {
            if (list.n != 1 || !storm_decoder_tetragon.detect(inner))
                abort();
            const storm_event *ev = &list.items[0];
            if (ev->sensor != STORM_SENSOR_TETRAGON || ev->kind == STORM_EV_OTHER || !ev->type)
                abort();
            touch(ev->k8s.node);
            touch(ev->k8s.namespace_);
            touch(ev->k8s.pod);
            touch(ev->k8s.container_id);
            touch(ev->k8s.image);
            touch_process(a, &ev->process);
            touch_process(a, &ev->parent);
            for (size_t i = 0; i < ev->n_ancestors; i++)
                touch_process(a, &ev->ancestors[i]);
            if (ev->n_files > STORM_EVENT_MAX_FILES)
                abort();
            for (size_t i = 0; i < ev->n_files; i++) {
                touch(ev->files[i].path);
                touch(ev->files[i].operation);
                touch(ev->files[i].link_target);
            }
            touch(ev->net.src_ip);
            touch(ev->net.dst_ip);
            touch(ev->hook.name);
            round_trip(a, ev->hook.args);
            round_trip(a, ev->hook.ret);
            round_trip(a, ev->net.extra);
            for (size_t i = 0; ev->hook.args && i < ev->hook.args->u.a.len; i++)
                if (!storm_v_get_str(ev->hook.args->u.a.items[i], "type"))
                    abort();
        } else if (rc == STORM_ERR_UNSUPPORTED) {
            if (!skip || list.n != 0)
                abort();
        } else if (!err.msg[0] || err.rc != rc || list.n != 0) {
            abort();
        }
    }
    storm_arena_free(a);
    return 0;
}
