/* SPDX-License-Identifier: Apache-2.0 */
/* Bait: Kubernetes manifests that attract and reveal an attacker (honeytoken
 * secrets mounted where attackers look, an over-privileged-looking service
 * account on a forgotten-looking pod, a weak SSH entry point), written with
 * the attack model whose indicators fire when they are touched. Every
 * honeytoken value is HMAC-SHA256(seed, cluster + bait name): unique per
 * honeycluster, reproducible by whoever keeps the seed, so a token seen
 * anywhere later says which honeycluster it came from (storm_bait_verify).
 * Nothing here grants access beyond the honeycluster; docs/instrument.md
 * ("Bait") gives the reasoning per manifest. */
#ifndef STORM_BAIT_H
#define STORM_BAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/err.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The account of the bait SSH entry point: fixed, so that the shipped model
 * models/entry-bait-login.json names it; its password is a honeytoken. */
#define STORM_BAIT_SSH_USER "ops-backup"
#define STORM_BAIT_DEFAULT_CLUSTER "honeycluster"
#define STORM_BAIT_DEFAULT_NAMESPACE "ops-backup"
#define STORM_BAIT_SEED_MIN 16 /* bytes: a shorter seed is guessable */

typedef struct storm_bait_opts {
    const unsigned char *seed; /* the secret the user keeps (>= STORM_BAIT_SEED_MIN bytes) */
    size_t seed_len;
    const char *cluster;    /* the honeycluster's name (NULL: STORM_BAIT_DEFAULT_CLUSTER) */
    const char *namespace_; /* where the bait objects go (NULL: STORM_BAIT_DEFAULT_NAMESPACE) */
    storm_time_ns time;     /* created/valid_from of the model (0: now) */
} storm_bait_opts;

/* The honeytokens, each one value. */
typedef enum storm_bait_token {
    STORM_BAIT_AWS_KEY_ID = 0, /* aws_access_key_id in cloud-backup-credentials */
    STORM_BAIT_AWS_SECRET,     /* aws_secret_access_key beside it */
    STORM_BAIT_KUBECONFIG,     /* the user token of admin-kubeconfig */
    STORM_BAIT_SA_TOKEN,       /* the service-account-like JWT of ci-deployer-token */
    STORM_BAIT_SSH_PASSWORD,   /* the password of STORM_BAIT_SSH_USER in jumpbox-credentials */
    STORM_BAIT_TOKEN__COUNT
} storm_bait_token;

/* "aws-access-key-id", ...: the token's name (the HMAC message's). */
const char *storm_bait_token_name(storm_bait_token t);
/* Where the token is planted: "Secret ops-backup/cloud-backup-credentials,
 * mounted at /root/.aws/credentials in cluster-backup-legacy" (static). */
const char *storm_bait_token_place(storm_bait_token t);

/* The value of token t for opts: malloc'd text the caller frees; NULL on OOM. */
char *storm_bait_token_value(const storm_bait_opts *o, storm_bait_token t);

/* Check the options: seed long enough, names valid Kubernetes names (DNS
 * labels). STORM_ERR_VALUE with the reason. */
storm_rc storm_bait_check_opts(const storm_bait_opts *o, storm_err *err);

/* The attack model's file name in the directory storm_bait_generate writes. */
#define STORM_BAIT_MODEL_FILE "bait-model.json"

/* One file written by storm_bait_generate. */
typedef void (*storm_bait_file_fn)(void *ctx, const char *path, const char *what);

/* Write the bait into directory dir (created if missing; files replaced,
 * mode 0600): the manifests in dir/manifests/ (bait-*.yaml, one concern
 * each: kubectl apply -f dir/manifests, or a kustomize resource) and beside
 * them the attack model dir/bait-model.json (STIX 2.1 bundle:
 * attack-patterns, indicators, an intrusion-set and relationships, valid
 * under storm models lint), so that storm run --models dir names the step a
 * touched bait reveals. on_file (may be NULL) hears of each file. */
storm_rc storm_bait_generate(const storm_bait_opts *o, const char *dir, storm_bait_file_fn on_file, void *ctx,
                             storm_err *err);

/* Which bait a token comes from. */
typedef struct storm_bait_origin {
    const char *cluster;    /* one of the clusters given */
    storm_bait_token token; /* which honeytoken */
} storm_bait_origin;

/* Is text a honeytoken of seed o->seed in one of clusters[0..n) (NULL or
 * n == 0: o->cluster)? text may be the value itself or hold it (a
 * credentials line, a whole kubeconfig). STORM_OK with *out set, or
 * STORM_ERR_NOTFOUND. */
storm_rc storm_bait_verify(const storm_bait_opts *o, const char *const *clusters, size_t n, const char *text,
                           storm_bait_origin *out);

#ifdef __cplusplus
}
#endif
#endif
