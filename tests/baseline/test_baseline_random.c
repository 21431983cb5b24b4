/* SPDX-License-Identifier: Apache-2.0 */
/* Random sequences of learn / check / allow / deny / forget / save / reopen
 * on a stored baseline with a small collapse threshold and feature cap:
 * after every step a profile's feature count matches what it lists, nothing
 * leaks or is touched after free (ASan), directories do get collapsed, and
 * at the end an export imported into a fresh baseline gives the same verdict
 * for every probe. Deterministic (fixed seed). */
#include <stdlib.h>
#include <storm/baseline.h>
#include <unistd.h>

#include "test.h"

static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const dirs[] = {"/var/cache/a", "/var/cache/b", "/etc/x", "/tmp", "/srv/s/q"};
static const char *const ops[] = {"open", "write"};
static const char *const workloads[] = {"w1", "w2", "w3"};

typedef struct probe {
    char path[64];
    storm_file_info file;
    storm_event ev;
    char key[64];
} probe;

/* A file event of a random workload on a random path (sometimes one level deeper). */
static void random_probe(probe *p)
{
    snprintf(p->path, sizeof p->path, "%s/%c%c%s", dirs[rnd(5)], 'a' + rnd(12), 'a' + rnd(3),
             rnd(4) == 0 ? "/sub" : "");
    const char *w = workloads[rnd(3)];
    snprintf(p->key, sizeof p->key, "ns/Deployment/%s/c", w);
    memset(&p->ev, 0, sizeof p->ev);
    p->ev.kind = STORM_EV_FILE;
    p->ev.k8s.namespace_ = "ns";
    p->ev.k8s.pod = "x";
    p->ev.k8s.workload = w;
    p->ev.k8s.workload_kind = "Deployment";
    p->ev.k8s.container = "c";
    p->ev.files[0] = (storm_file_info){.path = p->path, .operation = ops[rnd(2)]};
    p->ev.n_files = 1;
}

static size_t listed;

static void count_allowed(void *ctx, const storm_baseline_feature_info *f)
{
    (void)ctx;
    listed += !f->denied;
}

static void random_operations(void)
{
    char db[] = "/tmp/storm-baseline-random-XXXXXX";
    int fd = mkstemp(db);
    CHECK(fd >= 0);
    close(fd);
    unlink(db);
    storm_store *store;
    CHECK(storm_store_open(db, STORM_STORE_READWRITE, &store, NULL) == STORM_OK);
    storm_baseline_opts o = {.collapse_threshold = 4, .max_features = 40};
    storm_baseline *b;
    CHECK(storm_baseline_open(store, &o, &b, NULL) == STORM_OK);
    size_t bad_counts = 0, failed_saves = 0;
    char f[160];
    for (int it = 0; it < 20000 && b; it++) {
        probe p;
        random_probe(&p);
        const char *op = p.ev.files[0].operation;
        unsigned a = rnd(100);
        if (a < 50) {
            storm_baseline_learn(b, &p.ev, NULL, NULL);
        } else if (a < 80) {
            storm_baseline_check(b, &p.ev, NULL);
        } else if (a < 87) {
            snprintf(f, sizeof f, "file %s %s", op, p.path);
            storm_baseline_allow(b, p.key, f, NULL);
        } else if (a < 92) {
            snprintf(f, sizeof f, "file %s %s", op, rnd(2) ? p.path : "/var/cache/a/*");
            storm_baseline_deny(b, p.key, f, NULL);
        } else if (a < 94) {
            if (rnd(20) == 0)
                storm_baseline_forget(b, p.key, NULL);
        } else if (a < 98) {
            failed_saves += storm_baseline_save(b, NULL) != STORM_OK;
        } else {
            failed_saves += storm_baseline_save(b, NULL) != STORM_OK;
            storm_baseline_close(b);
            if (storm_baseline_open(store, &o, &b, NULL) != STORM_OK)
                b = NULL;
        }
        storm_baseline_profile_info pi;
        if (b && storm_baseline_profile_get(b, p.key, &pi)) {
            listed = 0;
            storm_baseline_features(b, p.key, count_allowed, NULL);
            bad_counts += listed != pi.n_features;
        }
    }
    CHECK(b != NULL);
    CHECK(bad_counts == 0);
    CHECK(failed_saves == 0);
    if (!b) {
        storm_store_close(store);
        unlink(db);
        return;
    }
    storm_buf out;
    storm_buf_init(&out, 1 << 26);
    CHECK(storm_baseline_export(b, NULL, &out, NULL) == STORM_OK);
    size_t wildcards = 0;
    for (const char *q = out.data; q && (q = strstr(q, "/\xe2\x8b\xaf\"")); q++)
        wildcards++;
    CHECK(wildcards > 0);
    storm_baseline *b2;
    storm_baseline_import_stats is;
    CHECK(storm_baseline_open(NULL, &o, &b2, NULL) == STORM_OK);
    CHECK(storm_baseline_import_json(b2, out.data, out.len, &is, NULL) == STORM_OK && is.rejected == 0);
    size_t differ = 0, explained = 0;
    for (int it = 0; it < 5000; it++) {
        probe p;
        random_probe(&p);
        storm_baseline_verdict v = storm_baseline_check(b, &p.ev, NULL);
        differ += v != storm_baseline_check(b2, &p.ev, NULL);
        explained += v == STORM_BASELINE_EXPLAINED;
    }
    CHECK(differ == 0);
    CHECK(explained > 0 && explained < 5000);
    printf("random operations: %zu collapsed directories at the end, %zu of 5000 probes explained\n", wildcards,
           explained);
    storm_buf_free(&out);
    storm_baseline_close(b2);
    storm_baseline_close(b);
    storm_store_close(store);
    unlink(db);
}

int main(void)
{
    RUN(random_operations);
    return test_report("test_baseline_random");
}
