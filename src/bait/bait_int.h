/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the bait module's files: token derivation (bait_token.c), the
 * manifests (bait_manifests.c) and the attack model (bait_model.c). */
#ifndef STORM_BAIT_INT_H
#define STORM_BAIT_INT_H

#include <storm/bait.h>
#include <storm/buf.h>

/* The names every manifest and the model agree on. */
#define BAIT_SECRET_AWS "cloud-backup-credentials"
#define BAIT_SECRET_KUBECONFIG "admin-kubeconfig"
#define BAIT_SECRET_SA "ci-deployer-token"
#define BAIT_SECRET_SSH "jumpbox-credentials"
#define BAIT_SA "cluster-backup-admin"
#define BAIT_POD "cluster-backup-legacy"
#define BAIT_JUMPBOX "legacy-jumpbox"
#define BAIT_PATH_AWS "/root/.aws/credentials"
#define BAIT_PATH_KUBECONFIG "/root/.kube/config"
#define BAIT_PATH_SA "/var/run/secrets/ci-deployer/token"
#define BAIT_SSH_NODE_PORT 30022

const char *bait_cluster(const storm_bait_opts *o);
const char *bait_namespace(const storm_bait_opts *o);
/* n derived bytes for label (bait_token.c); false on failure. */
bool bait_derive(const storm_bait_opts *o, const char *cluster, const char *label, unsigned char *out, size_t n);
/* storm_bait_token_value for a given cluster (malloc'd, caller frees). */
char *bait_token_value_in(const storm_bait_opts *o, const char *cluster, storm_bait_token t);

/* All token values of o (malloc'd each; bait_tokens_free frees them). */
typedef struct bait_tokens {
    char *v[STORM_BAIT_TOKEN__COUNT];
} bait_tokens;
bool bait_tokens_get(const storm_bait_opts *o, bait_tokens *t);
void bait_tokens_free(bait_tokens *t);

/* One manifest file: its name in the output directory, what it holds, and
 * a writer of its text into out. */
typedef struct bait_manifest {
    const char *file;
    const char *what;
    storm_rc (*write)(storm_buf *out, const storm_bait_opts *o, const bait_tokens *t);
} bait_manifest;
const bait_manifest *bait_manifests(size_t *n);

/* The attack model bundle (JSON text) into out. */
storm_rc bait_model_write(storm_buf *out, const storm_bait_opts *o, const bait_tokens *t);

#endif
