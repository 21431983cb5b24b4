/* SPDX-License-Identifier: Apache-2.0 */
/* storm_bait_generate: the options checked, the honeytokens derived, each
 * manifest and the attack model written into the output directory. */
#include <storm/bait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bait_int.h"

/* RFC 1123 label: what a namespace name must be */
static bool dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* a cluster name goes into YAML comments, STIX names and ids: printable,
 * one line, short */
static bool cluster_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '\'' || s[i] == '"' || s[i] == '\\')
            return false;
    return true;
}

storm_rc storm_bait_check_opts(const storm_bait_opts *o, storm_err *err)
{
    if (!o->seed || o->seed_len < STORM_BAIT_SEED_MIN)
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "the seed has %zu bytes; it needs at least %d (e.g. head -c 32 /dev/urandom > seed)",
                             o->seed ? o->seed_len : 0, STORM_BAIT_SEED_MIN);
    if (!cluster_name_ok(bait_cluster(o)))
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "cluster name '%.100s': use 1 to 100 printable characters without spaces or quotes",
                             bait_cluster(o));
    if (!dns_label(bait_namespace(o)))
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "namespace '%.100s' is not a Kubernetes namespace name (lower-case letters, digits "
                             "and '-', at most 63)",
                             bait_namespace(o));
    return STORM_OK;
}

bool bait_tokens_get(const storm_bait_opts *o, bait_tokens *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < STORM_BAIT_TOKEN__COUNT; i++)
        if (!(t->v[i] = storm_bait_token_value(o, (storm_bait_token)i))) {
            bait_tokens_free(t);
            return false;
        }
    return true;
}

void bait_tokens_free(bait_tokens *t)
{
    for (int i = 0; i < STORM_BAIT_TOKEN__COUNT; i++) {
        free(t->v[i]);
        t->v[i] = NULL;
    }
}

/* Write text to dir/name through a temporary file and a rename, mode 0600:
 * the files hold honeytokens, which are only worth something while nobody
 * but the cluster has them. */
static storm_rc write_file(const char *dir, const char *name, const storm_buf *text, storm_err *err)
{
    char path[4096], tmp[4200];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < text->len) {
        ssize_t w = write(fd, text->data + off, text->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", path, strerror(e));
    }
    return STORM_OK;
}

storm_rc storm_bait_generate(const storm_bait_opts *o, const char *dir, storm_bait_file_fn on_file, void *ctx,
                             storm_err *err)
{
    storm_rc rc = storm_bait_check_opts(o, err);
    if (rc != STORM_OK)
        return rc;
    char mdir[4096];
    if ((size_t)snprintf(mdir, sizeof mdir, "%s/manifests", dir) >= sizeof mdir)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "%s: path too long", dir);
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(mdir, 0700) != 0 && errno != EEXIST))
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", errno == EEXIST ? mdir : dir, strerror(errno));
    bait_tokens t;
    if (!bait_tokens_get(o, &t))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory deriving the honeytokens");
    storm_buf text;
    storm_buf_init(&text, (size_t)1 << 24);
    size_t n;
    const bait_manifest *m = bait_manifests(&n);
    char path[sizeof mdir + 64];
    for (size_t i = 0; i < n && rc == STORM_OK; i++) {
        storm_buf_reset(&text);
        rc = m[i].write(&text, o, &t);
        if (rc != STORM_OK)
            rc = storm_err_set(err, rc, 0, "writing %s: %s", m[i].file, storm_strerror(rc));
        else
            rc = write_file(mdir, m[i].file, &text, err);
        if (rc == STORM_OK && on_file) {
            snprintf(path, sizeof path, "%s/%s", mdir, m[i].file);
            on_file(ctx, path, m[i].what);
        }
    }
    if (rc == STORM_OK) {
        storm_buf_reset(&text);
        rc = bait_model_write(&text, o, &t);
        if (rc != STORM_OK)
            rc = storm_err_set(err, rc, 0, "writing the attack model: %s", storm_strerror(rc));
        else
            rc = write_file(dir, STORM_BAIT_MODEL_FILE, &text, err);
        if (rc == STORM_OK && on_file) {
            snprintf(path, sizeof path, "%s/" STORM_BAIT_MODEL_FILE, dir);
            on_file(ctx, path, "attack model: the steps and indicators the bait reveals (storm run --models)");
        }
    }
    storm_buf_free(&text);
    bait_tokens_free(&t);
    return rc;
}
