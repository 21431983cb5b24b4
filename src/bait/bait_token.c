/* SPDX-License-Identifier: Apache-2.0 */
/* Honeytoken values: HMAC-SHA256 under the user's seed of
 * "storm-bait/v1" NUL cluster NUL token-name (NUL counter for more bytes),
 * written in the shape of the credential it imitates. The same seed and
 * cluster always give the same values: storm_bait_verify recomputes them. */
#include <storm/bait.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bait_int.h"

static const struct {
    const char *name, *place;
} TOKENS[STORM_BAIT_TOKEN__COUNT] = {
    [STORM_BAIT_AWS_KEY_ID] = {"aws-access-key-id", "Secret cloud-backup-credentials (key credentials), mounted at "
                                                    "/root/.aws/credentials in Deployment cluster-backup-legacy"},
    [STORM_BAIT_AWS_SECRET] = {"aws-secret-access-key",
                               "Secret cloud-backup-credentials (key credentials), mounted "
                               "at /root/.aws/credentials in Deployment cluster-backup-legacy"},
    [STORM_BAIT_KUBECONFIG] = {"kubeconfig-token",
                               "Secret admin-kubeconfig (key config), mounted at /root/.kube/config "
                               "in Deployment cluster-backup-legacy"},
    [STORM_BAIT_SA_TOKEN] = {"service-account-token", "Secret ci-deployer-token (key token), mounted at "
                                                      "/var/run/secrets/ci-deployer/token in Deployment "
                                                      "cluster-backup-legacy"},
    [STORM_BAIT_SSH_PASSWORD] = {"ssh-password", "Secret jumpbox-credentials (key password): the password of "
                                                 "the SSH entry point legacy-jumpbox"},
};

const char *storm_bait_token_name(storm_bait_token t)
{
    return (unsigned)t < STORM_BAIT_TOKEN__COUNT ? TOKENS[t].name : "unknown";
}

const char *storm_bait_token_place(storm_bait_token t)
{
    return (unsigned)t < STORM_BAIT_TOKEN__COUNT ? TOKENS[t].place : "unknown";
}

const char *bait_cluster(const storm_bait_opts *o)
{
    return o->cluster && *o->cluster ? o->cluster : STORM_BAIT_DEFAULT_CLUSTER;
}

const char *bait_namespace(const storm_bait_opts *o)
{
    return o->namespace_ && *o->namespace_ ? o->namespace_ : STORM_BAIT_DEFAULT_NAMESPACE;
}

/* n bytes of HMAC-SHA256(seed, "storm-bait/v1" 0 cluster 0 label 0 i) for
 * i = 0, 1, ... */
bool bait_derive(const storm_bait_opts *o, const char *cluster, const char *label, unsigned char *out, size_t n)
{
    unsigned char block[32];
    for (unsigned i = 0; n; i++) {
        char msg[512];
        int len = snprintf(msg, sizeof msg, "storm-bait/v1%c%s%c%s%c%u", 0, cluster, 0, label, 0, i);
        if (len < 0 || (size_t)len >= sizeof msg)
            return false;
        unsigned int bl = sizeof block;
        if (!HMAC(EVP_sha256(), o->seed, (int)o->seed_len, (const unsigned char *)msg, (size_t)len, block, &bl))
            return false;
        size_t take = n < bl ? n : bl;
        memcpy(out, block, take);
        out += take;
        n -= take;
    }
    return true;
}

/* n characters of alphabet (length <= 256) from derived bytes: each byte
 * taken modulo the alphabet's size (a slight bias does not matter: these
 * values need to be unique and unguessable, not uniform). */
static bool derive_text(const storm_bait_opts *o, const char *cluster, const char *label, const char *alphabet,
                        char *out, size_t n)
{
    unsigned char bytes[512];
    if (n > sizeof bytes || !bait_derive(o, cluster, label, bytes, n))
        return false;
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[bytes[i] % k];
    out[n] = '\0';
    return true;
}

#define UPPER32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define LOWER36 "abcdefghijklmnopqrstuvwxyz0123456789"
#define ALNUM "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

/* base64url without padding of s */
static void b64url(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = B64URL[v >> 18 & 63];
        out[o++] = B64URL[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = B64URL[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = B64URL[v & 63];
    }
    out[o] = '\0';
}

/* A JWT shaped like a bound service-account token of kube-system/ci-deployer:
 * RS256 header with a key id, the claims the API server writes, a 256-byte
 * "signature". Nothing can verify it: no key signed it. */
static char *sa_token(const storm_bait_opts *o, const char *cluster)
{
    char kid[44], uid_hex[33], sig[343];
    unsigned char u[16];
    if (!derive_text(o, cluster, "service-account-token/kid", B64URL, kid, 43) ||
        !bait_derive(o, cluster, "service-account-token/uid", u, 16) ||
        !derive_text(o, cluster, "service-account-token", B64URL, sig, 342))
        return NULL;
    for (int i = 0; i < 16; i++)
        snprintf(uid_hex + 2 * i, 3, "%02x", u[i]);
    char header[128], claims[640];
    int hl = snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
    int cl = snprintf(claims, sizeof claims,
                      "{\"aud\":[\"https://kubernetes.default.svc.cluster.local\"],\"exp\":1861920000,"
                      "\"iat\":1767225600,\"iss\":\"https://kubernetes.default.svc.cluster.local\","
                      "\"kubernetes.io\":{\"namespace\":\"kube-system\",\"serviceaccount\":{\"name\":\"ci-deployer\","
                      "\"uid\":\"%.8s-%.4s-%.4s-%.4s-%.12s\"}},\"nbf\":1767225600,"
                      "\"sub\":\"system:serviceaccount:kube-system:ci-deployer\"}",
                      uid_hex, uid_hex + 8, uid_hex + 12, uid_hex + 16, uid_hex + 20);
    size_t cap = (size_t)(hl + cl) * 2 + 400;
    char *jwt = malloc(cap);
    if (!jwt)
        return NULL;
    b64url(header, (size_t)hl, jwt);
    size_t n = strlen(jwt);
    jwt[n++] = '.';
    b64url(claims, (size_t)cl, jwt + n);
    n += strlen(jwt + n);
    jwt[n++] = '.';
    memcpy(jwt + n, sig, 343);
    return jwt;
}

char *bait_token_value_in(const storm_bait_opts *o, const char *cluster, storm_bait_token t)
{
    char buf[64];
    switch (t) {
    case STORM_BAIT_AWS_KEY_ID: /* AKIA + 16 base32 characters, as AWS writes them */
        memcpy(buf, "AKIA", 4);
        return derive_text(o, cluster, TOKENS[t].name, UPPER32, buf + 4, 16) ? strdup(buf) : NULL;
    case STORM_BAIT_AWS_SECRET: return derive_text(o, cluster, TOKENS[t].name, B64, buf, 40) ? strdup(buf) : NULL;
    case STORM_BAIT_KUBECONFIG: /* a bootstrap-token-shaped "id.secret" */
        if (!derive_text(o, cluster, TOKENS[t].name, LOWER36, buf, 23))
            return NULL;
        buf[6] = '.';
        return strdup(buf);
    case STORM_BAIT_SA_TOKEN: return sa_token(o, cluster);
    case STORM_BAIT_SSH_PASSWORD: return derive_text(o, cluster, TOKENS[t].name, ALNUM, buf, 20) ? strdup(buf) : NULL;
    default: return NULL;
    }
}

char *storm_bait_token_value(const storm_bait_opts *o, storm_bait_token t)
{
    return bait_token_value_in(o, bait_cluster(o), t);
}

storm_rc storm_bait_verify(const storm_bait_opts *o, const char *const *clusters, size_t n, const char *text,
                           storm_bait_origin *out)
{
    const char *one = bait_cluster(o);
    if (!clusters || !n) {
        clusters = &one;
        n = 1;
    }
    if (!text || !*text)
        return STORM_ERR_NOTFOUND;
    size_t tl = strlen(text);
    for (size_t c = 0; c < n; c++) {
        for (int t = 0; t < STORM_BAIT_TOKEN__COUNT; t++) {
            char *v = bait_token_value_in(o, clusters[c], (storm_bait_token)t);
            if (!v)
                return STORM_ERR_NOMEM;
            /* the value, a text holding it, or a long enough part of it (a
             * JWT's signature alone) */
            bool hit = strstr(text, v) != NULL || (tl >= 20 && strstr(v, text) != NULL);
            free(v);
            if (hit) {
                out->cluster = clusters[c];
                out->token = (storm_bait_token)t;
                return STORM_OK;
            }
        }
    }
    return STORM_ERR_NOTFOUND;
}
