/* SPDX-License-Identifier: Apache-2.0 */
/* The cJSON parse+extract floor of the benchmarks (bench_decode, bench_floor):
 * what a decoder built on cJSON would read of a Tetragon event. A header of
 * static functions, so that both benchmarks measure the same extraction. */
#ifndef STORM_BENCH_CJSON_EXTRACT_H
#define STORM_BENCH_CJSON_EXTRACT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

static const char *cj_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double cj_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static volatile size_t sink; /* keeps extractions from being optimised away */

/* What a decoder on cJSON would read: the type key, envelope, process and pod
 * fields, the hook name and every argument's type and value. */
static void cjson_extract(const cJSON *root)
{
    size_t acc = 0;
    const cJSON *body = NULL;
    for (const cJSON *c = root->child; c; c = c->next)
        if (c->string && strncmp(c->string, "process_", 8) == 0)
            body = c;
    const char *s = cj_str(root, "time");
    acc += s ? strlen(s) : 0;
    s = cj_str(root, "node_name");
    acc += s ? strlen(s) : 0;
    if (!body)
        return;
    static const char *const pkeys[] = {"process", "parent"};
    for (size_t k = 0; k < 2; k++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, pkeys[k]);
        if (!p)
            continue;
        static const char *const fields[] = {"exec_id", "parent_exec_id", "binary", "arguments",
                                             "cwd",     "start_time",     "flags",  "docker"};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            acc += (size_t)(cj_str(p, fields[f]) != NULL);
        acc += (size_t)cj_num(p, "pid") + (size_t)cj_num(p, "uid") + (size_t)cj_num(p, "auid");
        const cJSON *pod = cJSON_GetObjectItemCaseSensitive(p, "pod");
        if (pod) {
            acc += (size_t)(cj_str(pod, "namespace") != NULL) + (size_t)(cj_str(pod, "name") != NULL);
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(pod, "container");
            acc += (size_t)(cj_str(c, "id") != NULL) + (size_t)(cj_str(c, "name") != NULL);
            acc += (size_t)(cj_str(cJSON_GetObjectItemCaseSensitive(c, "image"), "name") != NULL);
            acc += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pod, "pod_labels"));
        }
    }
    acc += (size_t)(cj_str(body, "function_name") != NULL) + (size_t)(cj_str(body, "policy_name") != NULL);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(body, "args");
    for (const cJSON *arg = args ? args->child : NULL; arg; arg = arg->next)
        for (const cJSON *c = arg->child; c; c = c->next)
            acc += strlen(c->string) + (cJSON_IsObject(c) ? (size_t)cJSON_GetArraySize(c) : 1);
    sink += acc;
}

#endif
