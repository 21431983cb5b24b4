/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the profile imports: the first byte picks JSON export or Kubescape
 * YAML. Whatever was imported must survive a round trip: its export imports
 * again without a rejected entry, into as many profiles, and
 * exports to the same bytes. A difference aborts (a finding). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/baseline.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what, const storm_buf *a, const storm_buf *b)
{
    fprintf(stderr, "fuzz_baseline_import: %s\n  first:  %.300s\n  second: %.300s\n", what, a->data ? a->data : "",
            b && b->data ? b->data : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    storm_baseline *b;
    storm_baseline_opts o = {.max_profiles = 64, .max_features = 256};
    if (storm_baseline_open(NULL, &o, &b, NULL) != STORM_OK)
        return 0;
    storm_baseline_import_stats st = {0};
    storm_err err;
    storm_err_clear(&err);
    const char *text = (const char *)data + 1;
    if (data[0] & 1)
        storm_baseline_import_kubescape(b, text, size - 1, NULL, NULL, &st, &err);
    else
        storm_baseline_import_json(b, text, size - 1, &st, &err);
    storm_buf out, again;
    storm_buf_init(&out, 1u << 24);
    storm_buf_init(&again, 1u << 24);
    if (storm_baseline_export(b, NULL, &out, NULL) == STORM_OK) {
        storm_baseline *b2;
        if (storm_baseline_open(NULL, &o, &b2, NULL) == STORM_OK) {
            storm_baseline_import_stats st2 = {0};
            storm_baseline_stats s1, s2;
            if (storm_baseline_import_json(b2, out.data ? out.data : "", out.len, &st2, NULL) != STORM_OK)
                finding("the export does not import", &out, NULL);
            if (st2.rejected)
                finding("the export has entries its own import rejects", &out, NULL);
            storm_baseline_get_stats(b, &s1);
            storm_baseline_get_stats(b2, &s2);
            if (s1.profiles != s2.profiles)
                finding("the round trip changed the number of profiles", &out, NULL);
            if (storm_baseline_export(b2, NULL, &again, NULL) != STORM_OK)
                finding("the re-imported profiles do not export", &out, NULL);
            if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
                finding("export -> import -> export is not the same", &out, &again);
            storm_baseline_close(b2);
        }
    }
    storm_buf_free(&again);
    storm_buf_free(&out);
    storm_baseline_close(b);
    return 0;
}
