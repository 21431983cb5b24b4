/* SPDX-License-Identifier: Apache-2.0 */
/* Directory collapse: a workload that opens many distinct files in one
 * directory (caches, spools, per-request temp files) would otherwise fill
 * its profile with one entry per file and still flag the next new file. As
 * Kubescape does (OpenDynamicThreshold), once more than a threshold of
 * distinct files of one directory were learned for one operation, they are
 * replaced by "file <op> <dir>/⋯" ("⋯" = one path segment). Directories
 * where a new file is itself a finding (credentials, system configuration,
 * other processes) are never collapsed. docs/baseline.md, "Directory
 * collapse". */
#include "baseline_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT_WILDCARD "\xe2\x8b\xaf" /* "⋯" */
#define SEGMENT_WILDCARD_LEN 3

/* Never collapsed, nor anything below them: Kubescape collapsed /etc into
 * /etc/⋯ and so explained a never-seen /etc/shadow; these are the places
 * where one new file is what an attack looks like. */
static const char *const protected_dirs[] = {
    "/etc", "/root", "/home", "/boot", "/dev", "/proc", "/sys", "/run/secrets", "/var/run/secrets", "/var/lib/kubelet",
    NULL,
};

static bool is_protected(const char *dir, size_t n)
{
    for (size_t i = 0; protected_dirs[i]; i++) {
        size_t pl = strlen(protected_dirs[i]);
        if (n >= pl && memcmp(dir, protected_dirs[i], pl) == 0 && (n == pl || dir[pl] == '/'))
            return true;
    }
    return false;
}

static bool ends_with_wildcard_dir(const bl_feature *f)
{
    return f->len > 5 + SEGMENT_WILDCARD_LEN && memcmp(f->text, "file ", 5) == 0 &&
           memcmp(f->text + f->len - SEGMENT_WILDCARD_LEN - 1, "/" SEGMENT_WILDCARD, SEGMENT_WILDCARD_LEN + 1) == 0;
}

bl_feature *bl_collapsed_by(const bl_profile *p, const char *text)
{
    for (size_t k = 0; k < p->n_patterns; k++) {
        bl_feature *pf = p->items[p->patterns[k]];
        if (!pf->removed && !pf->denied && ends_with_wildcard_dir(pf) && bl_pattern_match(pf->text, text))
            return pf;
    }
    return NULL;
}

/* "file <op> <dir>/<name>" -> the length of "file <op> <dir>/" (0 when the
 * text has no such shape) and the directory in *dir, *dir_len. */
static size_t child_prefix(const char *text, size_t len, const char **dir, size_t *dir_len)
{
    if (len < 5 || memcmp(text, "file ", 5) != 0)
        return 0;
    const char *op_end = memchr(text + 5, ' ', len - 5);
    if (!op_end || op_end[1] != '/')
        return 0;
    const char *path = op_end + 1;
    const char *slash = memrchr(path, '/', len - (size_t)(path - text));
    if (!slash || slash == path || (size_t)(slash - text) + 1 >= len)
        return 0; /* the root directory, or no name after the last '/' */
    *dir = path;
    *dir_len = (size_t)(slash - path);
    return (size_t)(slash - text) + 1;
}

static bool is_child(const bl_feature *f, const char *prefix, size_t plen)
{
    return !f->removed && !f->pattern && !f->denied && f->len > plen && memcmp(f->text, prefix, plen) == 0 &&
           !memchr(f->text + plen, '/', f->len - plen);
}

storm_rc bl_collapse_after_add(storm_baseline *b, bl_profile *p, const char *text, size_t len)
{
    size_t threshold = b->opts.collapse_threshold;
    const char *dir;
    size_t dir_len, plen = child_prefix(text, len, &dir, &dir_len);
    if (!plen || threshold == SIZE_MAX || is_protected(dir, dir_len) ||
        plen + SEGMENT_WILDCARD_LEN >= STORM_BASELINE_FEATURE_MAX)
        return STORM_OK;
    size_t children = 0;
    for (size_t i = 0; i < p->n && children <= threshold; i++)
        children += is_child(p->items[i], text, plen);
    if (children <= threshold)
        return STORM_OK;
    char wild[STORM_BASELINE_FEATURE_MAX];
    memcpy(wild, text, plen);
    memcpy(wild + plen, SEGMENT_WILDCARD, SEGMENT_WILDCARD_LEN + 1);
    /* an entry of that text already there (a hand deny, say) is left alone */
    for (size_t k = 0; k < p->n_patterns; k++) {
        const bl_feature *pf = p->items[p->patterns[k]];
        if (!pf->removed && strcmp(pf->text, wild) == 0)
            return STORM_OK;
    }
    /* the children go first, so that the wildcard fits under the cap they free */
    uint64_t hits = 0;
    storm_time_ns first = 0;
    for (size_t i = 0; i < p->n; i++) {
        bl_feature *f = p->items[i];
        if (!is_child(f, text, plen))
            continue;
        hits += f->hits;
        if (f->first_seen && (!first || f->first_seen < first))
            first = f->first_seen;
        f->removed = true;
        f->dirty = true;
        p->live--;
    }
    p->dirty = true;
    bool made = false;
    storm_rc rc = bl_add_entry(b, p, wild, false, hits, first, &made);
    if (rc != STORM_OK || !made) {
        /* could not add the wildcard: the children stay */
        for (size_t i = 0; i < p->n; i++) {
            bl_feature *f = p->items[i];
            if (f->removed && f->dirty && !f->pattern && f->len > plen && memcmp(f->text, text, plen) == 0 &&
                !memchr(f->text + plen, '/', f->len - plen)) {
                f->removed = false;
                p->live++;
            }
        }
        return rc == STORM_ERR_NOMEM ? rc : STORM_OK;
    }
    /* an in-memory baseline has no rows to delete: drop the children now
     * (a stored one drops them after the save has deleted their rows) */
    if (!b->store || b->opts.read_only)
        bl_profile_compact(p);
    return STORM_OK;
}
