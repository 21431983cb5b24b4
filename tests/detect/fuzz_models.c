/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the attack-model loader, the relationship resolution and
 * the tree rendering on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include <storm/model.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return 0;
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(m, "fuzz.json", (const char *)data, size, &err);
    storm_models_finish(m);
    storm_buf out;
    storm_buf_init(&out, 1 << 20);
    storm_models_render_tree(m, &out);
    for (size_t i = 0; i < storm_models_n_defects(m); i++)
        storm_model_defect_format(storm_models_defect(m, i), &out);
    storm_buf_free(&out);
    storm_models_free(m);
    return 0;
}
