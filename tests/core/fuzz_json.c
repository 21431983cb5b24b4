/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the JSON parser must never crash, and what it accepts must
 * write back to text that parses to an equal tree. */
#include <stdint.h>
#include <stdlib.h>
#include <storm/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *v = NULL;
    if (storm_json_parse(a, (const char *)data, size, 0, &v, NULL, NULL) == STORM_OK) {
        storm_buf b;
        storm_buf_init(&b, 0);
        if (storm_json_write(&b, v, 0) == STORM_OK) {
            storm_value *w = NULL;
            if (storm_json_parse(a, b.data, b.len, 0, &w, NULL, NULL) != STORM_OK || !storm_v_equal(v, w))
                abort();
        }
        storm_buf_free(&b);
    }
    storm_arena_free(a);
    return 0;
}
