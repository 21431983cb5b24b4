/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: redaction and marking of arbitrary JSON must never crash,
 * and must leave an array of objects that still serialises. */
#include <stdint.h>
#include <stdlib.h>
#include <storm/json.h>
#include <storm/share.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static storm_redactor *r;
    if (!r) {
        static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
        if (storm_redactor_default(key, sizeof key, &r, NULL) != STORM_OK)
            abort();
    }
    storm_arena *a = storm_arena_new(0, 256u << 20);
    storm_value *v = NULL;
    if (storm_json_parse(a, (const char *)data, size, 0, &v, NULL, NULL) == STORM_OK && v->type == STORM_V_ARRAY) {
        bool objects_only = true;
        for (size_t i = 0; i < v->u.a.len; i++)
            objects_only &= v->u.a.items[i]->type == STORM_V_OBJECT;
        if (objects_only) {
            storm_redact_objects(r, a, v, NULL, NULL);
            storm_mark_objects(a, v, STORM_TLP_GREEN, "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91", NULL);
            storm_buf b;
            storm_buf_init(&b, 0);
            if (storm_json_write(&b, v, 0) != STORM_OK)
                abort();
            storm_buf_free(&b);
        }
    }
    storm_arena_free(a);
    return 0;
}
