/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: one input line through what `storm convert` does with it
 * (parse, unwrap, detect, decode, observe, write a bundle). Whatever the
 * decoders make of the input, every bundle written must read back and pass
 * the strict-mode checker; nothing may crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/decode.h>
#include <storm/json.h>
#include <storm/stix.h>

#include "stix_check.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, (size_t)64 << 20);
    storm_value *root = NULL;
    storm_err err;
    if (!a || storm_json_parse(a, (const char *)data, size, 0, &root, NULL, &err) != STORM_OK) {
        storm_arena_free(a);
        return 0;
    }
    const storm_value *rec = NULL;
    const storm_decoder *dec = NULL;
    storm_err_clear(&err);
    storm_decode_classify(a, root, NULL, &rec, &dec, &err); /* as every reader: envelope, then decoder */
    storm_err_clear(&err);
    storm_event_list list = {0};
    const char *skip = NULL;
    if (dec && dec->decode(a, rec, &list, &skip, &err) == STORM_OK) {
        storm_buf b;
        storm_buf_init(&b, (size_t)64 << 20);
        for (size_t i = 0; i < list.n; i++) {
            storm_stix_opts o = {.record = (const char *)data, .record_len = size, .record_index = i};
            storm_observation obs;
            storm_buf_reset(&b);
            if (storm_stix_observe(a, &list.items[i], &o, &obs, &err) != STORM_OK ||
                storm_stix_write_observation_bundle(&b, &obs) != STORM_OK)
                continue;
            storm_value *bundle = NULL;
            char *copy = storm_arena_strndup(a, b.data, b.len);
            if (!copy || storm_json_parse(a, copy, b.len, 0, &bundle, NULL, &err) != STORM_OK)
                abort();
            char msg[1024];
            if (stix_check_bundle(bundle, msg, sizeof msg) != 0) {
                fprintf(stderr, "%s\n%s", b.data, msg);
                abort();
            }
        }
        storm_buf_free(&b);
    }
    storm_arena_free(a);
    return 0;
}
