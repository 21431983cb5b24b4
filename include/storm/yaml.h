/* SPDX-License-Identifier: Apache-2.0 */
/* YAML documents read into storm_value trees (libyaml), for the Kubernetes
 * objects Storm reads (Kubescape ApplicationProfiles, TracingPolicies,
 * manifests). Scalars stay strings (the reader converts: "index: 1" is the
 * string "1"); aliases read as null (Kubernetes objects use no anchors);
 * keys that are not scalars are dropped. Every node's pos is its byte
 * offset in the text. */
#ifndef STORM_YAML_H
#define STORM_YAML_H

#include <stddef.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_YAML_MAX_DEPTH 64 /* nesting of one document */

/* Every document of text[0..len) appended to the array docs, its nodes
 * allocated from a. At most max_nodes nodes in all. STORM_ERR_SYNTAX with
 * the line, column and offset in err ("YAML: ..."): malformed, nested
 * deeper than STORM_YAML_MAX_DEPTH, or too many nodes (the documents read
 * before stay in docs); STORM_ERR_NOMEM. */
storm_rc storm_yaml_documents(storm_arena *a, const char *text, size_t len, size_t max_nodes, storm_value *docs,
                              storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
