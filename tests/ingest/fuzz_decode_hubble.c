/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: JSON parse + envelope unwrapping + the Hubble decoder. Any
 * input must give an event, a skip with its type, or a positioned error; never
 * a crash, and what the decoder builds must be well-formed. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *root = NULL;
    if (storm_json_parse(a, (const char *)data, size, 0, &root, NULL, NULL) == STORM_OK) {
        const storm_value *inner = storm_decode_unwrap(a, root);
        storm_event_list list = {0};
        const char *skip = NULL;
        storm_err err;
        storm_err_clear(&err);
        storm_rc rc = storm_decoder_hubble.decode(a, inner, &list, &skip, &err);
        if (rc == STORM_OK) {
            if (list.n != 1)
                abort();
            const storm_event *ev = &list.items[0];
            if (ev->sensor != STORM_SENSOR_HUBBLE || ev->kind != STORM_EV_NETWORK || !ev->net.present)
                abort();
            touch(ev->k8s.node);
            touch(ev->k8s.cluster);
            touch(ev->k8s.namespace_);
            touch(ev->k8s.pod);
            touch(ev->k8s.workload);
            touch(ev->net.src_ip);
            touch(ev->net.dst_ip);
            touch(ev->net.verdict);
            touch(ev->net.dns_name);
            touch(ev->net.protocol);
            touch(ev->net.family);
            if ((ev->net.has_src_port && (ev->net.src_port < 0 || ev->net.src_port > 65535)) ||
                (ev->net.has_dst_port && (ev->net.dst_port < 0 || ev->net.dst_port > 65535)))
                abort();
            round_trip(a, ev->net.extra);
            round_trip(a, ev->k8s.labels);
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
