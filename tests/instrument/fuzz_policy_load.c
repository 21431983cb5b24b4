/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: TracingPolicy YAML from anywhere (storm policy coverage
 * and test read hand-written policies): loading, coverage of a few
 * indicators by it, and the replay of a few events through its selectors. */
#include <stdint.h>
#include <string.h>

#include <storm/model.h>
#include <storm/tracingpolicy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MODEL[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":["
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
    "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"a\",\"pattern_type\":"
    "\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":\"[process:x_hook_name = '__x64_sys_openat' AND "
    "process:x_hook_args[1].value MATCHES '^/host/' AND process:x_hook_args[2].value NOT IN (1, 2) AND "
    "process:image_ref.name IN ('cat', 'sh') AND EXISTS process:x_k8s_pod]\"},"
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000002\","
    "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"b\",\"pattern_type\":"
    "\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":\"[process:x_hook_name = 'security_file_permission'"
    " AND process:x_hook_args[0].path MATCHES 'token$' AND process:x_hook_args[1].value = 4]\"}]}";

static const char EVENTS[] =
    "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/cat\",\"pid\":7,\"pod\":{\"name\":\"p\"}},"
    "\"function_name\":\"__x64_sys_openat\",\"args\":[{\"int_arg\":-100},{\"string_arg\":\"/host/etc\"},"
    "{\"int_arg\":0}]},\"time\":\"2026-01-01T00:00:00Z\"}\n"
    "{\"process_kprobe\":{\"process\":{\"binary\":\"/bin/cat\"},\"function_name\":\"security_file_permission\","
    "\"args\":[{\"file_arg\":{\"path\":\"/run/token\"}},{\"int_arg\":4}]},\"time\":\"2026-01-01T00:00:00Z\"}\n"
    "{\"process_tracepoint\":{\"subsys\":\"raw_syscalls\",\"event\":\"sys_enter\",\"args\":[{\"long_arg\":1}]}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static storm_models *m;
    if (!m) {
        storm_models_new(&m);
        storm_models_load_text(m, "fuzz-model.json", MODEL, sizeof MODEL - 1, NULL);
        storm_models_finish(m);
    }
    storm_tp_set *s = NULL;
    if (storm_tp_set_new(&s) != STORM_OK)
        return 0;
    storm_tp_set_load_text(s, "fuzz.yaml", (const char *)data, size, NULL);
    storm_buf out;
    storm_buf_init(&out, 4u << 20);
    storm_coverage_stats cs;
    storm_policy_coverage(m, s, false, &out, &cs, NULL);
    storm_policy_coverage(m, s, true, &out, &cs, NULL);
    storm_replay_stats rs = {0};
    storm_policy_replay(s, m, "fuzz", EVENTS, sizeof EVENTS - 1, false, &out, &rs, NULL);
    storm_buf_free(&out);
    storm_tp_set_free(s);
    return 0;
}
