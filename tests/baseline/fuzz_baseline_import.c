/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the profile imports: the first byte picks JSON export or Kubescape
 * YAML; then every imported profile is exported again and checked. */
#include <stddef.h>
#include <stdint.h>
#include <storm/baseline.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    storm_baseline *b;
    storm_baseline_opts o = {.max_profiles = 64, .max_features = 256};
    if (storm_baseline_open(NULL, &o, &b, NULL) != STORM_OK)
        return 0;
    storm_baseline_import_stats st;
    storm_err err;
    storm_err_clear(&err);
    const char *text = (const char *)data + 1;
    if (data[0] & 1)
        storm_baseline_import_kubescape(b, text, size - 1, NULL, NULL, &st, &err);
    else
        storm_baseline_import_json(b, text, size - 1, &st, &err);
    storm_buf out;
    storm_buf_init(&out, 1u << 24);
    if (storm_baseline_export(b, NULL, &out, NULL) == STORM_OK) {
        /* what was exported imports again */
        storm_baseline *b2;
        if (storm_baseline_open(NULL, &o, &b2, NULL) == STORM_OK) {
            storm_baseline_import_json(b2, out.data, out.len, &st, NULL);
            storm_baseline_close(b2);
        }
    }
    storm_buf_free(&out);
    storm_baseline_close(b);
    return 0;
}
