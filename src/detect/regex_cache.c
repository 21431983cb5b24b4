/* SPDX-License-Identifier: Apache-2.0 */
#include "regex_cache.h"

#if STORM_HAVE_HYPERSCAN
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/hash.h>

#define MAGIC "STORMHS1"
#define FILE_MAX ((size_t)1 << 30) /* a larger file is not a database of ours */

/* File layout (host byte order: the key holds the platform):
 *   magic[8] key[16] n:u32 n_rejected:u32 rejected:u32[n_rejected]
 *   db_len:u64 db_sum:u64 db[db_len] */

static uint64_t add_u64(uint64_t h, uint64_t v)
{
    return storm_fnv1a_add(h, &v, sizeof v);
}

/* Two 64-bit digests of what the database depends on, from different
 * starting points: 128 bits name the file. */
static void key_digest(const regex_cache_key *k, uint64_t out[2])
{
    const char *ver = hs_version();
    for (int half = 0; half < 2; half++) {
        uint64_t h = add_u64(STORM_FNV1A_INIT, (uint64_t)half * 0x9e3779b97f4a7c15ULL + 1);
        h = storm_fnv1a_add(h, ver, strlen(ver));
        h = add_u64(h, (uint64_t)HS_MODE_BLOCK);
        h = add_u64(h, (uint64_t)sizeof(void *));
        h = add_u64(h, (uint64_t)hs_valid_platform());
        h = add_u64(h, k->n);
        h = add_u64(h, k->first_id);
        for (unsigned i = 0; i < k->n; i++) {
            size_t len = strlen(k->exprs[i]);
            h = add_u64(h, k->flags[i]);
            h = add_u64(h, len);
            h = storm_fnv1a_add(h, k->exprs[i], len);
        }
        out[half] = h;
    }
}

static void file_name(const char *dir, const uint64_t key[2], char *out, size_t cap)
{
    snprintf(out, cap, "%s/hs-%016llx%016llx.db", dir, (unsigned long long)key[0], (unsigned long long)key[1]);
}

static bool read_all(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

hs_database_t *regex_cache_load(const char *dir, const regex_cache_key *key, bool *rejected)
{
    if (!dir || !*dir)
        return NULL;
    uint64_t k[2];
    key_digest(key, k);
    char path[4096];
    file_name(dir, k, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    hs_database_t *db = NULL;
    char *bytes = NULL;
    char magic[8];
    uint64_t fk[2], db_len = 0, db_sum = 0;
    uint32_t n = 0, n_rej = 0;
    if (!read_all(f, magic, sizeof magic) || memcmp(magic, MAGIC, 8) != 0 || !read_all(f, fk, sizeof fk) ||
        fk[0] != k[0] || fk[1] != k[1] || !read_all(f, &n, sizeof n) || n != key->n ||
        !read_all(f, &n_rej, sizeof n_rej) || n_rej > n)
        goto out;
    memset(rejected, 0, key->n * sizeof *rejected);
    for (uint32_t i = 0; i < n_rej; i++) {
        uint32_t r;
        if (!read_all(f, &r, sizeof r) || r >= n)
            goto out;
        rejected[r] = true;
    }
    if (!read_all(f, &db_len, sizeof db_len) || db_len == 0 || db_len > FILE_MAX ||
        !read_all(f, &db_sum, sizeof db_sum))
        goto out;
    bytes = malloc((size_t)db_len);
    if (!bytes || !read_all(f, bytes, (size_t)db_len) || fgetc(f) != EOF)
        goto out;
    if (storm_fnv1a(bytes, (size_t)db_len) != db_sum)
        goto out;
    if (hs_deserialize_database(bytes, (size_t)db_len, &db) != HS_SUCCESS)
        db = NULL;
out:
    free(bytes);
    fclose(f);
    return db;
}

static void mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t len = strlen(dir);
    if (len >= sizeof tmp)
        return;
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    mkdir(tmp, 0700);
}

void regex_cache_store(const char *dir, const regex_cache_key *key, const bool *rejected, const hs_database_t *db)
{
    if (!dir || !*dir || !db)
        return;
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    uint64_t k[2];
    key_digest(key, k);
    char path[4096], tmp[4200];
    file_name(dir, k, path, sizeof path);
    /* unique per writer, not per process: the detectors of storm run
     * --workers build (and store) at the same time */
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    mkdir_p(dir);
    int fd = mkstemp(tmp);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(bytes);
        return;
    }
    uint32_t n = key->n, n_rej = 0;
    for (unsigned i = 0; i < key->n; i++)
        n_rej += rejected[i];
    uint64_t db_len = len, db_sum = storm_fnv1a(bytes, len);
    bool ok = fwrite(MAGIC, 1, 8, f) == 8 && fwrite(k, sizeof k, 1, f) == 1 && fwrite(&n, sizeof n, 1, f) == 1 &&
              fwrite(&n_rej, sizeof n_rej, 1, f) == 1;
    for (uint32_t i = 0; ok && i < n; i++)
        if (rejected[i])
            ok = fwrite(&i, sizeof i, 1, f) == 1;
    ok = ok && fwrite(&db_len, sizeof db_len, 1, f) == 1 && fwrite(&db_sum, sizeof db_sum, 1, f) == 1 &&
         fwrite(bytes, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    free(bytes);
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}
#endif
