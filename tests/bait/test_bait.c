/* SPDX-License-Identifier: Apache-2.0 */
/* Honeytokens: reproducible from the seed and cluster, distinct across
 * clusters and seeds, in the shape of what they imitate, and recognised by
 * storm_bait_verify (also inside a longer text), unknown ones refused. */
#include <stdlib.h>
#include <string.h>
#include <storm/bait.h>

#include "test.h"

static const unsigned char SEED[] = "0123456789abcdef-test-seed";

static storm_bait_opts opts(const char *cluster)
{
    storm_bait_opts o = {0};
    o.seed = SEED;
    o.seed_len = sizeof SEED - 1;
    o.cluster = cluster;
    return o;
}

static bool all(const char *s, const char *alphabet)
{
    return strspn(s, alphabet) == strlen(s);
}

static void test_shapes(void)
{
    storm_bait_opts o = opts("hc-1");
    char *key = storm_bait_token_value(&o, STORM_BAIT_AWS_KEY_ID);
    CHECK(key && strlen(key) == 20 && strncmp(key, "AKIA", 4) == 0 && all(key + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    char *secret = storm_bait_token_value(&o, STORM_BAIT_AWS_SECRET);
    CHECK(secret && strlen(secret) == 40);
    char *kc = storm_bait_token_value(&o, STORM_BAIT_KUBECONFIG);
    CHECK(kc && strlen(kc) == 23 && kc[6] == '.' && all(kc, "abcdefghijklmnopqrstuvwxyz0123456789."));
    char *jwt = storm_bait_token_value(&o, STORM_BAIT_SA_TOKEN);
    CHECK(jwt && strncmp(jwt, "eyJ", 3) == 0);
    size_t dots = 0;
    for (const char *p = jwt; p && *p; p++)
        dots += *p == '.';
    CHECK(dots == 2);
    CHECK(jwt && strlen(strrchr(jwt, '.') + 1) == 342); /* an RS256 signature's length */
    char *pw = storm_bait_token_value(&o, STORM_BAIT_SSH_PASSWORD);
    CHECK(pw && strlen(pw) == 20);
    free(key);
    free(secret);
    free(kc);
    free(jwt);
    free(pw);
}

static void test_reproducible_and_unique(void)
{
    storm_bait_opts a = opts("hc-1"), b = opts("hc-2"), a2 = opts("hc-1");
    unsigned char other_seed[] = "0123456789abcdef-test-seeD";
    storm_bait_opts c = opts("hc-1");
    c.seed = other_seed;
    for (int t = 0; t < STORM_BAIT_TOKEN__COUNT; t++) {
        char *va = storm_bait_token_value(&a, (storm_bait_token)t),
             *va2 = storm_bait_token_value(&a2, (storm_bait_token)t);
        char *vb = storm_bait_token_value(&b, (storm_bait_token)t),
             *vc = storm_bait_token_value(&c, (storm_bait_token)t);
        CHECK(va && va2 && vb && vc);
        if (va && va2 && vb && vc) {
            CHECK(strcmp(va, va2) == 0);
            CHECK(strcmp(va, vb) != 0);
            CHECK(strcmp(va, vc) != 0);
        }
        free(va);
        free(va2);
        free(vb);
        free(vc);
    }
}

static void test_verify(void)
{
    storm_bait_opts o = opts("hc-2");
    char *pw = storm_bait_token_value(&o, STORM_BAIT_SSH_PASSWORD);
    char *jwt = storm_bait_token_value(&o, STORM_BAIT_SA_TOKEN);
    const char *clusters[] = {"hc-1", "hc-2", "hc-3"};
    storm_bait_origin origin = {0};
    storm_bait_opts v = opts(NULL);
    CHECK(storm_bait_verify(&v, clusters, 3, pw, &origin) == STORM_OK);
    CHECK_STR(origin.cluster, "hc-2");
    CHECK(origin.token == STORM_BAIT_SSH_PASSWORD);
    /* inside a longer text */
    char line[1024];
    snprintf(line, sizeof line, "curl -H 'Authorization: Bearer %s' https://x", jwt);
    CHECK(storm_bait_verify(&v, clusters, 3, line, &origin) == STORM_OK && origin.token == STORM_BAIT_SA_TOKEN);
    /* only the JWT's signature */
    CHECK(storm_bait_verify(&v, clusters, 3, strrchr(jwt, '.') + 1, &origin) == STORM_OK);
    /* the default cluster only: not found */
    CHECK(storm_bait_verify(&v, NULL, 0, pw, &origin) == STORM_ERR_NOTFOUND);
    CHECK(storm_bait_verify(&v, clusters, 3, "AKIAIOSFODNN7EXAMPLE", &origin) == STORM_ERR_NOTFOUND);
    CHECK(storm_bait_verify(&v, clusters, 3, "", &origin) == STORM_ERR_NOTFOUND);
    free(pw);
    free(jwt);
}

static void test_check_opts(void)
{
    storm_err err;
    storm_bait_opts o = opts("hc-1");
    storm_err_clear(&err);
    CHECK(storm_bait_check_opts(&o, &err) == STORM_OK);
    o.seed_len = 8;
    storm_err_clear(&err);
    CHECK(storm_bait_check_opts(&o, &err) == STORM_ERR_VALUE && strstr(err.msg, "at least 16"));
    o = opts("hc 1");
    storm_err_clear(&err);
    CHECK(storm_bait_check_opts(&o, &err) == STORM_ERR_VALUE && strstr(err.msg, "cluster name"));
    o = opts("hc-1");
    o.namespace_ = "Ops_Backup";
    storm_err_clear(&err);
    CHECK(storm_bait_check_opts(&o, &err) == STORM_ERR_VALUE && strstr(err.msg, "namespace"));
}

int main(void)
{
    RUN(test_shapes);
    RUN(test_reproducible_and_unique);
    RUN(test_verify);
    RUN(test_check_opts);
    return test_report("test_bait");
}
