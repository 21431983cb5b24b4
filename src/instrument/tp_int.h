/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the instrument module: loaded TracingPolicies and the helpers
 * that read them. */
#ifndef STORM_TP_INT_H
#define STORM_TP_INT_H

#include <storm/arena.h>
#include <storm/tracingpolicy.h>
#include <storm/yaml.h>

#include "instrument_int.h"

struct storm_tp_set {
    storm_arena *arena; /* documents, names, problems */
    storm_tp_hook *hooks;
    size_t n_hooks, cap_hooks;
    size_t n_policies;
    char **problems;
    size_t n_problems, cap_problems;
};

#define TP_YAML_MAX_NODES 2000000 /* nodes of one policy file (storm_yaml_documents) */

/* A YAML scalar as an integer (decimal, 0x hex, 0 octal); false when it is not one. */
bool tp_int(const storm_value *v, long long *out);
/* obj[key] as a string (YAML scalars are strings); NULL when absent. */
const char *tp_str(const storm_value *obj, const char *key);
/* The function index of the args entry at position pos of a hook; -1 when none. */
long long tp_arg_index_at(const storm_tp_hook *h, size_t pos);
/* The type of the args entry whose index is idx; NULL when not captured. */
const char *tp_arg_type(const storm_tp_hook *h, long long idx, size_t *pos);

#endif
