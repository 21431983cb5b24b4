/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz learning and checking on decoded sensor records: each input line is
 * parsed and decoded as any sensor's record, every event is learned (small
 * collapse threshold and caps, so that collapse and overflow happen), then
 * checked (a learned event must be explained, unless a hand deny says
 * otherwise: none here), and the profiles are exported and imported again. */
#include <stdlib.h>
#include <string.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16))
        return 0;
    storm_arena *a = storm_arena_new(0, 1u << 24);
    storm_baseline *b;
    storm_baseline_opts o = {.max_profiles = 8, .max_features = 32, .collapse_threshold = 2};
    if (!a || storm_baseline_open(NULL, &o, &b, NULL) != STORM_OK) {
        storm_arena_free(a);
        return 0;
    }
    const char *text = (const char *)data, *end = text + size;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        size_t len = nl ? (size_t)(nl - text) : (size_t)(end - text);
        storm_value *root;
        storm_arena_reset(a);
        if (storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, NULL) == STORM_OK) {
            const storm_value *rec = NULL;
            const storm_decoder *d = NULL;
            storm_err cerr;
            storm_err_clear(&cerr);
            storm_decode_classify(a, root, NULL, &rec, &d, &cerr); /* as every reader: envelope, then decoder */
            storm_event_list l = {0};
            const char *skip = NULL;
            if (d && d->decode(a, rec, &l, &skip, NULL) == STORM_OK) {
                for (size_t k = 0; k < l.n; k++)
                    storm_baseline_learn(b, &l.items[k], NULL, NULL);
                storm_baseline_stats st;
                storm_baseline_get_stats(b, &st);
                for (size_t k = 0; k < l.n; k++) {
                    storm_baseline_result res;
                    storm_baseline_verdict v = storm_baseline_check(b, &l.items[k], &res);
                    /* learned, within the caps, never denied: explained */
                    if (v == STORM_BASELINE_UNEXPLAINED && !st.profile_overflow && !st.feature_overflow && !res.denied)
                        abort();
                }
            }
        }
        text += len + 1;
    }
    storm_buf out;
    storm_buf_init(&out, 1u << 24);
    if (storm_baseline_export(b, NULL, &out, NULL) == STORM_OK) {
        storm_baseline *b2;
        storm_baseline_import_stats is;
        if (storm_baseline_open(NULL, &o, &b2, NULL) == STORM_OK) {
            storm_baseline_import_json(b2, out.data, out.len, &is, NULL);
            storm_baseline_close(b2);
        }
    }
    storm_buf_free(&out);
    storm_baseline_close(b);
    storm_arena_free(a);
    return 0;
}
