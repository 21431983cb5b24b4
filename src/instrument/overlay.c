/* SPDX-License-Identifier: Apache-2.0 */
/* storm instrument: a kustomize overlay over an existing cluster template.
 * The template's objects are not changed: a directory of manifests is
 * copied byte for byte into template/ (with a kustomization listing the
 * files), a kustomize base is referenced where it is. Beside it: the
 * tripwires (storm policy generate), Storm itself (deploy/k8s, with the
 * models in a generated ConfigMap), the bait manifests when given, and,
 * outside the kustomization, the audit Policy with a note on loading it. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/array.h>
#include <storm/io.h>

#include "tp_int.h"

#define OV_MAX_FILE (16u << 20)
#define OV_PATH (2 * PATH_MAX + 64) /* a directory and a path under it */
#define OV_MAX_DEPTH 8
#define OV_CONFIGMAP_MAX (1000u * 1000u) /* Kubernetes refuses ConfigMaps above 1 MiB */

static storm_rc add(storm_gen_files *out, const char *name, char *text)
{
    if (!text)
        return STORM_ERR_NOMEM;
    if (STORM_ARRAY_GROW(out->v, out->n + 1, out->cap, 16) != 0 || !(out->v[out->n].name = strdup(name))) {
        free(text);
        return STORM_ERR_NOMEM;
    }
    out->v[out->n++].text = text;
    return STORM_OK;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does text hold at least one Kubernetes object (apiVersion and kind)? */
static bool has_object(const char *text, size_t len)
{
    storm_arena *a = storm_arena_new(1u << 14, 256u << 20);
    if (!a)
        return false;
    storm_value *docs = storm_v_array(a);
    bool any = false;
    if (docs && storm_yaml_documents(a, text, len, TP_YAML_MAX_NODES, docs, NULL) == STORM_OK)
        for (size_t i = 0; i < docs->u.a.len && !any; i++)
            any = tp_str(docs->u.a.items[i], "apiVersion") && tp_str(docs->u.a.items[i], "kind");
    storm_arena_free(a);
    return any;
}

/* Copy the manifests under dir/rel into prefix/rel (byte for byte) and
 * list them in *list ("  - rel\n"). Files without an object are skipped. */
static storm_rc copy_manifests(const char *dir, const char *rel, int depth, const char *prefix, storm_gen_files *out,
                               storm_buf *list, storm_buf *report, storm_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (STORM_ARRAY_GROW(names, n + 1, cap, 32) != 0 || !(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    storm_rc rc = STORM_OK;
    for (size_t i = 0; i < n && rc == STORM_OK; i++) {
        char sub[PATH_MAX], full[OV_PATH];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        snprintf(full, sizeof full, "%s/%s", dir, sub);
        if (is_dir(full)) {
            if (depth < OV_MAX_DEPTH)
                rc = copy_manifests(dir, sub, depth + 1, prefix, out, list, report, err);
            continue;
        }
        if (!ends_with(names[i], ".yaml") && !ends_with(names[i], ".yml") && !ends_with(names[i], ".json"))
            continue;
        char *text = NULL;
        size_t len = 0;
        storm_err e;
        storm_err_clear(&e);
        if (storm_read_file(full, OV_MAX_FILE, &text, &len, &e) != STORM_OK) {
            rc = storm_err_set(err, e.rc, 0, "%s: %s", full, e.msg);
            break;
        }
        if (memchr(text, 0, len) || !has_object(text, len)) {
            /* storm instrument loads the bait directory's top-level .json files
             * (storm bait's attack model) into the models ConfigMap: not "skipped". */
            bool bait_model = depth == 0 && strcmp(prefix, "bait") == 0 && ends_with(names[i], ".json");
            if (report && bait_model)
                storm_buf_printf(report, "%s: the bait's attack model, in the models ConfigMap\n", full);
            else if (report)
                storm_buf_printf(report, "skipped %s: no Kubernetes object in it\n", full);
            free(text);
            continue;
        }
        char name[OV_PATH];
        snprintf(name, sizeof name, "%s/%s", prefix, sub);
        rc = add(out, name, text);
        storm_buf_printf(list, "  - %s\n", sub);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* The path of target relative to from (both existing directories). */
static bool relative_path(const char *from, const char *target, char *out, size_t cap)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from, a) || !realpath(target, b))
        return false;
    size_t common = 0, i = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '/')
            common = i;
        i++;
    }
    if (!a[i] && (b[i] == '/' || !b[i]))
        common = i;
    out[0] = 0;
    size_t len = 0;
    for (const char *p = a + common; *p; p++)
        if (*p == '/')
            len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "../");
    snprintf(out + len, cap > len ? cap - len : 0, "%s", b[common] == '/' ? b + common + 1 : b + common);
    if (!out[0])
        snprintf(out, cap, ".");
    return true;
}

static char *text_of(storm_buf *b)
{
    char *t = storm_buf_take(b, NULL);
    storm_buf_free(b);
    return t;
}

static storm_rc read_into(const char *dir, const char *file, const char *name, storm_gen_files *out, storm_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = NULL;
    size_t len = 0;
    storm_err e;
    storm_err_clear(&e);
    if (storm_read_file(path, OV_MAX_FILE, &text, &len, &e) != STORM_OK)
        return storm_err_set(err, e.rc, 0, "%s: %s", path, e.msg);
    return add(out, name, text);
}

/* The model files of a path: the file itself, or the *.json of a directory. */
static storm_rc add_models(const char *path, storm_gen_files *out, storm_buf *list, size_t *bytes, storm_err *err)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (is_dir(path)) {
        DIR *d = opendir(path);
        if (!d)
            return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", path, strerror(errno));
        struct dirent *de;
        while ((de = readdir(d)))
            if (de->d_name[0] != '.' && ends_with(de->d_name, ".json")) {
                if (STORM_ARRAY_GROW(names, n + 1, cap, 32) != 0 || !(names[n] = strdup(de->d_name)))
                    break;
                n++;
            }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
    }
    storm_rc rc = STORM_OK;
    for (size_t i = 0; i < (names ? n : 1) && rc == STORM_OK; i++) {
        char full[OV_PATH], name[OV_PATH + 16];
        if (names)
            snprintf(full, sizeof full, "%s/%s", path, names[i]);
        else
            snprintf(full, sizeof full, "%s", path);
        const char *base = strrchr(full, '/');
        base = base ? base + 1 : full;
        snprintf(name, sizeof name, "storm/models/%s", base);
        bool dup = false;
        for (size_t k = 0; k < out->n && !dup; k++)
            dup = strcmp(out->v[k].name, name) == 0;
        if (dup)
            continue; /* one ConfigMap key per file name */
        char *text = NULL;
        size_t len = 0;
        storm_err e;
        storm_err_clear(&e);
        if (storm_read_file(full, OV_MAX_FILE, &text, &len, &e) != STORM_OK) {
            rc = storm_err_set(err, e.rc, 0, "%s: %s", full, e.msg);
            break;
        }
        *bytes += len;
        rc = add(out, name, text);
        storm_buf_printf(list, "      - models/%s\n", base);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static const char AUDIT_NOTE[] =
    "# The audit Policy of the instrumented cluster\n\n"
    "`audit-policy.yaml` is not a Kubernetes object: the API server reads it from a\n"
    "file at start-up, so `kubectl apply` cannot load it. It logs exactly the\n"
    "requests the attack models' audit indicators read (RequestResponse where a\n"
    "pattern reads the request object, Metadata otherwise) and nothing else.\n\n"
    "On a kubeadm or kind control plane:\n\n"
    "1. Copy it to the control-plane node: `/etc/kubernetes/audit/audit-policy.yaml`.\n"
    "2. Add to the kube-apiserver static Pod (`/etc/kubernetes/manifests/kube-apiserver.yaml`):\n"
    "   `--audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml` and\n"
    "   `--audit-log-path=/var/log/kubernetes/audit/audit.log` (or `--audit-webhook-config-file`\n"
    "   to send the events to Storm's intake: `storm run --listen`), with hostPath\n"
    "   volumes for both directories. The kubelet restarts the API server.\n"
    "3. Feed the audit log to Storm: `storm run --follow /var/log/kubernetes/audit/audit.log`\n"
    "   on that node, or ship it to the intake.\n\n"
    "Managed clusters (EKS, GKE, AKS) choose their own audit policy; use their audit\n"
    "log export instead and check it includes the resources listed in the file.\n";

storm_rc storm_overlay_generate(const storm_models *m, const storm_overlay_opts *o, storm_gen_files *out,
                                storm_buf *report, storm_err *err)
{
    storm_rc rc;
    if (!o->template_dir || !is_dir(o->template_dir))
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: not a directory", o->template_dir ? o->template_dir : "");
    if (!o->deploy_dir || !is_dir(o->deploy_dir))
        return storm_err_set(err, STORM_ERR_IO, 0, "%s: Storm's deployment manifests (deploy/k8s) not found",
                             o->deploy_dir ? o->deploy_dir : "");
    storm_buf top;
    storm_buf_init(&top, 1u << 20);
    storm_buf_puts(&top, "# Written by storm instrument: the cluster template, untouched, plus Storm's tripwires\n"
                         "# (Tetragon TracingPolicies) and Storm itself. Render with `kubectl kustomize .`,\n"
                         "# apply with `kubectl apply -k .`. The audit Policy is beside, not in here: see\n"
                         "# AUDIT-POLICY.md.\n"
                         "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    /* 1. the template */
    char kz[PATH_MAX];
    bool base = false;
    static const char *const kz_names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};
    for (size_t i = 0; i < 3 && !base; i++) {
        snprintf(kz, sizeof kz, "%s/%s", o->template_dir, kz_names[i]);
        base = is_file(kz);
    }
    if (base) {
        char rel[PATH_MAX];
        if (!is_dir(o->out_dir) && mkdir(o->out_dir, 0755) != 0) {
            storm_buf_free(&top);
            return storm_err_set(err, STORM_ERR_IO, 0, "cannot create %s: %s", o->out_dir, strerror(errno));
        }
        if (!relative_path(o->out_dir, o->template_dir, rel, sizeof rel)) {
            storm_buf_free(&top);
            return storm_err_set(err, STORM_ERR_IO, 0, "%s: %s", o->template_dir, strerror(errno));
        }
        storm_buf_printf(&top, "  - %s # the template (a kustomize base), referenced where it is\n", rel);
    } else {
        storm_buf list;
        storm_buf_init(&list, 1u << 20);
        storm_buf_puts(&list, "# The template's manifests, copied byte for byte by storm instrument.\n"
                              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        size_t before = out->n;
        rc = copy_manifests(o->template_dir, "", 0, "template", out, &list, report, err);
        if (rc == STORM_OK && out->n == before)
            rc = storm_err_set(err, STORM_ERR_VALUE, 0, "%s: no Kubernetes manifest found", o->template_dir);
        if (rc == STORM_OK)
            rc = add(out, "template/kustomization.yaml", text_of(&list));
        else
            storm_buf_free(&list);
        if (rc != STORM_OK) {
            storm_buf_free(&top);
            return rc;
        }
        storm_buf_puts(&top, "  - template\n");
    }
    /* 2. the tripwires */
    storm_policy_gen_opts po = {.namespace_ = o->namespace_};
    storm_gen_files tw = {0};
    storm_policy_gen_stats st;
    rc = storm_policy_generate(m, &po, &tw, NULL, &st, err);
    storm_buf twk;
    storm_buf_init(&twk, 1u << 20);
    storm_buf_puts(&twk, "# Tetragon TracingPolicies written by storm policy generate from the attack models.\n"
                         "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for (size_t i = 0; i < tw.n && rc == STORM_OK; i++) {
        char name[PATH_MAX];
        snprintf(name, sizeof name, "tripwires/%s", tw.v[i].name);
        storm_buf_printf(&twk, "  - %s\n", tw.v[i].name);
        rc = add(out, name, tw.v[i].text);
        tw.v[i].text = NULL;
    }
    storm_gen_files_clear(&tw);
    if (rc == STORM_OK && st.policies)
        rc = add(out, "tripwires/kustomization.yaml", text_of(&twk));
    else
        storm_buf_free(&twk);
    if (st.policies)
        storm_buf_puts(&top, "  - tripwires\n");
    if (report)
        storm_buf_printf(report, "tripwires: %zu TracingPolicies on %zu hooks for %zu hook indicators\n", st.policies,
                         st.hooks, st.hook_indicators);
    /* 3. Storm itself */
    static const char *const node_files[] = {"namespace.yaml", "serviceaccount.yaml", "networkpolicy.yaml",
                                             "daemonset.yaml", NULL};
    static const char *const intake_files[] = {"namespace.yaml",  "serviceaccount.yaml", "networkpolicy.yaml",
                                               "deployment.yaml", "service.yaml",        NULL};
    const char *const *files = o->listen ? intake_files : node_files;
    storm_buf sk;
    storm_buf_init(&sk, 1u << 20);
    storm_buf_puts(&sk, "# Storm (copied from deploy/k8s) and its attack models as a ConfigMap.\n"
                        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for (size_t i = 0; files[i] && rc == STORM_OK; i++) {
        char name[PATH_MAX];
        snprintf(name, sizeof name, "storm/%s", files[i]);
        rc = read_into(o->deploy_dir, files[i], name, out, err);
        storm_buf_printf(&sk, "  - %s\n", files[i]);
    }
    storm_buf_puts(&sk, "configMapGenerator:\n  - name: storm-models\n    namespace: storm\n    files:\n");
    size_t bytes = 0;
    for (size_t i = 0; i < o->n_model_paths && rc == STORM_OK; i++)
        rc = add_models(o->model_paths[i], out, &sk, &bytes, err);
    if (rc == STORM_OK && bytes > OV_CONFIGMAP_MAX)
        rc =
            storm_err_set(err, STORM_ERR_LIMIT, 0,
                          "the models take %zu bytes, more than a ConfigMap holds (1 MiB): give fewer --models", bytes);
    if (o->listen) {
        const char *colon = strrchr(o->listen, ':');
        long port = strtol(colon ? colon + 1 : o->listen, NULL, 10);
        storm_buf_printf(&sk,
                         "patches:\n  - target:\n      kind: Deployment\n      name: storm-intake\n    patch: |-\n"
                         "      - op: replace\n        path: /spec/template/spec/containers/0/args/10\n"
                         "        value: \"%s%s\"\n"
                         "      - op: replace\n        path: /spec/template/spec/containers/0/ports/0/containerPort\n"
                         "        value: %ld\n"
                         "  - target:\n      kind: Service\n      name: storm-intake\n    patch: |-\n"
                         "      - op: replace\n        path: /spec/ports/0/port\n        value: %ld\n"
                         "  - target:\n      kind: NetworkPolicy\n      name: storm\n    patch: |-\n"
                         "      - op: replace\n        path: /spec/ingress/0/ports/0/port\n        value: %ld\n",
                         colon ? "" : "0.0.0.0:", o->listen, port, port, port);
    }
    if (o->image) {
        /* name[:tag]: the tag is after the last ':' that follows the last '/' */
        const char *slash = strrchr(o->image, '/');
        const char *colon = strrchr(slash ? slash : o->image, ':');
        storm_buf_puts(&sk, "images:\n  - name: storm\n    newName: ");
        char name[PATH_MAX];
        snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - o->image) : (int)strlen(o->image), o->image);
        yaml_quote(&sk, name);
        if (colon) {
            storm_buf_puts(&sk, "\n    newTag: ");
            yaml_quote(&sk, colon + 1);
        }
        storm_buf_putc(&sk, '\n');
    }
    if (rc == STORM_OK)
        rc = add(out, "storm/kustomization.yaml", text_of(&sk));
    else
        storm_buf_free(&sk);
    storm_buf_puts(&top, "  - storm\n");
    if (report)
        storm_buf_printf(report, "storm: %s, models ConfigMap of %zu bytes\n",
                         o->listen ? "Deployment storm-intake receiving events over HTTP"
                                   : "DaemonSet storm-node following Tetragon's export file",
                         bytes);
    /* 4. bait, when given: placed as it is */
    if (rc == STORM_OK && o->bait_dir) {
        storm_buf bk;
        storm_buf_init(&bk, 1u << 20);
        storm_buf_puts(&bk, "# Bait manifests, copied byte for byte by storm instrument.\n"
                            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        size_t before = out->n;
        rc = copy_manifests(o->bait_dir, "", 0, "bait", out, &bk, report, err);
        if (rc == STORM_OK && out->n > before) {
            rc = add(out, "bait/kustomization.yaml", text_of(&bk));
            storm_buf_puts(&top, "  - bait\n");
        } else {
            storm_buf_free(&bk);
        }
    }
    if (rc == STORM_OK)
        rc = add(out, "kustomization.yaml", text_of(&top));
    else
        storm_buf_free(&top);
    /* 5. the audit Policy, beside the overlay */
    if (rc == STORM_OK) {
        storm_buf ab;
        storm_buf_init(&ab, 16u << 20);
        size_t n_rules = 0;
        rc = storm_audit_policy_generate(m, &ab, &n_rules, err);
        if (rc == STORM_OK)
            rc = add(out, "audit-policy.yaml", text_of(&ab));
        else
            storm_buf_free(&ab);
        if (rc == STORM_OK)
            rc = add(out, "AUDIT-POLICY.md", strdup(AUDIT_NOTE));
        if (report)
            storm_buf_printf(report,
                             "audit-policy.yaml: %zu rules (not part of the kustomization: AUDIT-POLICY.md "
                             "says how the API server loads it)\n",
                             n_rules);
    }
    if (rc == STORM_ERR_NOMEM)
        storm_err_set(err, rc, 0, "out of memory");
    return rc;
}
