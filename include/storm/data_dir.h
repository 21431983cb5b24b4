/* SPDX-License-Identifier: Apache-2.0 */
/* Where Storm's shipped data (the attack models, its Kubernetes manifests)
 * is found at run time, installed or in a source tree. */
#ifndef STORM_DATA_DIR_H
#define STORM_DATA_DIR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first directory that holds the file probe (NULL: that is a
 * directory at all) of: $env; <datadir>/storm/<installed>; <in_tree> in
 * the source tree beside the executable (build/src/cli/storm: up to five
 * levels up); <in_tree> in the source tree known at configure time (a
 * build directory anywhere); ./<in_tree>. Returns buf (of cap bytes), the
 * environment's value or a static string; NULL when none is found. */
const char *storm_data_dir_find(const char *env, const char *installed, const char *in_tree, const char *probe,
                                char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
