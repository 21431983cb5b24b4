/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: whatever a sensor record decodes to, the prefilter of storm
 * run must give every value the built observation holds at a path it claims
 * to read (tests/stix/prefilter_check.h); a miss would lose a detection.
 * Aborts on a miss; never crashes. */
#include <stdlib.h>
#include <storm/decode.h>
#include <storm/json.h>

#include "prefilter_check.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *root = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (!a || storm_json_parse(a, (const char *)data, size, 0, &root, NULL, &err) != STORM_OK) {
        storm_arena_free(a);
        return 0;
    }
    const storm_value *rec = NULL;
    const storm_decoder *dec = NULL;
    storm_decode_classify(a, root, NULL, &rec, &dec, &err); /* as every reader: envelope, then decoder */
    storm_err_clear(&err);
    storm_event_list list = {0};
    const char *skip = NULL;
    if (dec && dec->decode(a, rec, &list, &skip, &err) == STORM_OK) {
        int checked = 0;
        for (size_t i = 0; i < list.n; i++)
            if (prefilter_check_event(a, &list.items[i], "fuzz input", &checked) != 0)
                abort();
    }
    storm_arena_free(a);
    return 0;
}
