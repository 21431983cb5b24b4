/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: storm models import --from ksc on arbitrary bytes, both
 * as a model file and as one pattern. */
#include <stddef.h>
#include <stdint.h>

#include <storm/ksc_import.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_buf out;
    storm_buf_init(&out, 1 << 24);
    storm_ksc_translate_pattern((const char *)data, size, &out, NULL, NULL, NULL);
    storm_buf_free(&out);
    storm_ksc_import *imp = NULL;
    if (storm_ksc_import_new(&imp) != STORM_OK)
        return 0;
    const storm_value *doc = NULL;
    storm_err err;
    storm_err_clear(&err);
    storm_ksc_import_text(imp, "fuzz.json", (const char *)data, size, &doc, &err);
    storm_buf_init(&out, 1 << 20);
    for (size_t i = 0; i < storm_ksc_import_n_notes(imp); i++)
        storm_ksc_note_format(storm_ksc_import_note(imp, i), &out);
    storm_buf_free(&out);
    storm_ksc_import_free(imp);
    return 0;
}
