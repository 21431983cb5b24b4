/* SPDX-License-Identifier: Apache-2.0 */
/* Walking a compiled pattern's plan from outside src/pattern
 * (storm/pattern_plan.h): the root, the leaves, the text's length. */
#include <storm/pattern_plan.h>

#include <string.h>

#include "pattern_int.h"

const pat_obs *pattern_plan_root(const storm_pattern *p)
{
    return p ? p->root : NULL;
}

unsigned pattern_leaf_count(const storm_pattern *p)
{
    return p ? p->n_leaves : 0;
}

const pat_obs *pattern_plan_leaf(const storm_pattern *p, unsigned leaf)
{
    return p && leaf < p->n_leaves ? p->leaves[leaf] : NULL;
}

size_t pattern_text_len(const storm_pattern *p)
{
    return p ? p->len : 0;
}
