/* SPDX-License-Identifier: Apache-2.0 */
/* Redaction before anything leaves the cluster: addresses inside configured
 * CIDRs are replaced by the block, cluster-internal names by keyed
 * pseudonyms (HMAC-SHA256 with a local secret, so the same name always maps
 * to the same pseudonym and nobody without the key can reverse it), and
 * secrets in command lines and paths are scrubbed by regexes. Afterwards the
 * ids that were derived from redacted values are recomputed (see
 * share/redact_ids.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <storm/share.h>

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/io.h>
#include <storm/json.h>
#include <storm/uuid.h>

#include "redact_int.h"

#define MAX_RULES 256
#define MAX_KEY 1024

/* Property names whose string values are pseudonymised, per category. They
 * follow Storm's observation model (docs/mapping.md) and the usual names of
 * other producers; rules files may add more. */
static const char *const default_categories[][10] = {
    {"node", "x_k8s_node", "node_name", "hostname", "host_name", "evt.hostname", NULL},
    {"namespace", "x_k8s_namespace", "x_audit_namespace", "k8s.ns.name", "namespace", "ka.target.namespace", NULL},
    {"pod", "x_k8s_pod", "k8s.pod.name", "pod_name", "podname", NULL},
    {"user", "user_id", "account_login", "display_name", "x_audit_user", "ka.user.name", "user.name", "x_app_auth_user",
     NULL},
    {"cluster", "x_k8s_cluster", "cluster_name", "clustername", NULL},
    {"container", "x_k8s_container", "x_k8s_container_id", "container.name", "container.id", "containername",
     "containerid", NULL},
    {"workload", "x_k8s_workload", "workloadname", NULL},
    {"exec", "x_proc_exec_id", "x_proc_parent_exec_id", NULL},
    {"object", "x_audit_name", "ka.target.name", NULL},
    /* label values ("key=value" items keep their key) */
    {"label", "x_k8s_labels", "labels", "k8s.pod.labels", NULL},
};

static const struct {
    const char *regex, *replace;
} default_scrubbers[] = {
    {"(?i)\\b(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}", "${1}<redacted>"},
    {"eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*", "<redacted-jwt>"},
    {"(?i)\\b((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)\\s*[=:]\\s*)[^\\s&\"']"
     "+",
     "${1}<redacted>"},
    {"(?i)(--(?:password|passwd|token|secret|api-key|client-secret)[= ])\\S+", "${1}<redacted>"},
    {"(?i)(://[^/\\s:@]+:)[^@\\s/]+@", "${1}<redacted>@"},
    {"\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", "<redacted-aws-key>"},
};

static const char *const default_private_cidrs[] = {"10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16",
                                                    "100.64.0.0/10", "fc00::/7",      "fe80::/10"};

void redactor_free_scrubbers(storm_redactor *r)
{
    for (size_t i = 0; i < r->n_scrub; i++) {
        pcre2_code_free(r->scrub[i].code);
        free(r->scrub[i].replace);
    }
    r->n_scrub = 0;
}

void storm_redactor_free(storm_redactor *r)
{
    if (!r)
        return;
    redactor_free_scrubbers(r);
    for (size_t i = 0; i < r->n_props; i++)
        free(r->props[i].name);
    OPENSSL_cleanse(r->key, sizeof r->key);
    free(r);
}

static storm_rc add_cidr(storm_redactor *r, const char *text, size_t pos, storm_err *err)
{
    if (r->n_cidrs >= MAX_RULES)
        return storm_err_set(err, STORM_ERR_LIMIT, pos, "more than %d CIDRs to mask", MAX_RULES);
    if (!storm_cidr_parse(text, strlen(text), &r->cidrs[r->n_cidrs]))
        return storm_err_set(err, STORM_ERR_VALUE, pos,
                             "'%s' is not an IPv4/IPv6 address or CIDR block (e.g. 10.0.0.0/8; prefix 0-32 or "
                             "0-128 without leading zeros)",
                             text);
    storm_cidr_format(&r->cidrs[r->n_cidrs], r->cidr_text[r->n_cidrs]);
    r->n_cidrs++;
    return STORM_OK;
}

static storm_rc add_scrubber(storm_redactor *r, const char *regex, const char *replace, size_t pos, storm_err *err)
{
    if (r->n_scrub >= MAX_RULES)
        return storm_err_set(err, STORM_ERR_LIMIT, pos, "more than %d scrub rules", MAX_RULES);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return storm_err_set(err, STORM_ERR_VALUE, pos, "scrub regex '%s': %s at offset %zu", regex, (char *)msg,
                             (size_t)eo);
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter when JIT is unavailable */
    char *rep = strdup(replace);
    if (!rep) {
        pcre2_code_free(code);
        return storm_err_set(err, STORM_ERR_NOMEM, pos, "out of memory");
    }
    r->scrub[r->n_scrub].code = code;
    r->scrub[r->n_scrub].replace = rep;
    r->n_scrub++;
    return STORM_OK;
}

static storm_rc add_prop(storm_redactor *r, const char *category, const char *name, size_t pos, storm_err *err)
{
    for (size_t i = 0; i < r->n_props; i++)
        if (strcmp(r->props[i].name, name) == 0) {
            snprintf(r->props[i].category, sizeof r->props[i].category, "%s", category);
            return STORM_OK;
        }
    if (r->n_props >= MAX_RULES)
        return storm_err_set(err, STORM_ERR_LIMIT, pos, "more than %d pseudonymised properties", MAX_RULES);
    r->props[r->n_props].name = strdup(name);
    if (!r->props[r->n_props].name)
        return storm_err_set(err, STORM_ERR_NOMEM, pos, "out of memory");
    snprintf(r->props[r->n_props].category, sizeof r->props[r->n_props].category, "%s", category);
    r->n_props++;
    return STORM_OK;
}

static storm_rc new_redactor(const unsigned char *key, size_t key_len, storm_redactor **out, storm_err *err)
{
    if (key_len < 16)
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "the redaction secret must be at least 16 bytes (create one with: "
                             "head -c 32 /dev/urandom > redact.key)");
    storm_redactor *r = calloc(1, sizeof *r);
    if (!r)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    r->key_len = key_len > sizeof r->key ? sizeof r->key : key_len;
    memcpy(r->key, key, r->key_len);
    *out = r;
    return STORM_OK;
}

static storm_rc add_defaults(storm_redactor *r, bool cidrs, bool scrubbers, bool props, storm_err *err)
{
    storm_rc rc = STORM_OK;
    for (size_t i = 0; cidrs && !rc && i < sizeof default_private_cidrs / sizeof *default_private_cidrs; i++)
        rc = add_cidr(r, default_private_cidrs[i], 0, err);
    for (size_t i = 0; scrubbers && !rc && i < sizeof default_scrubbers / sizeof *default_scrubbers; i++)
        rc = add_scrubber(r, default_scrubbers[i].regex, default_scrubbers[i].replace, 0, err);
    for (size_t c = 0; props && !rc && c < sizeof default_categories / sizeof *default_categories; c++)
        for (size_t k = 1; !rc && default_categories[c][k]; k++)
            rc = add_prop(r, default_categories[c][0], default_categories[c][k], 0, err);
    return rc;
}

storm_rc storm_redactor_default(const unsigned char *key, size_t key_len, storm_redactor **out, storm_err *err)
{
    storm_rc rc = new_redactor(key, key_len, out, err);
    if (!rc)
        rc = add_defaults(*out, true, true, true, err);
    if (rc) {
        storm_redactor_free(*out);
        *out = NULL;
    }
    return rc;
}

static size_t pos_of(const storm_value *v)
{
    return v && v->pos != STORM_POS_NONE ? v->pos : 0;
}

/* Every element of a JSON array of strings, or an error naming the key. */
static storm_rc each_string(const storm_value *arr, const char *key, storm_err *err)
{
    if (arr->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(arr), "\"%s\" must be an array of strings", key);
    for (size_t i = 0; i < arr->u.a.len; i++)
        if (arr->u.a.items[i]->type != STORM_V_STRING)
            return storm_err_set(err, STORM_ERR_VALUE, pos_of(arr->u.a.items[i]), "\"%s\" must be an array of strings",
                                 key);
    return STORM_OK;
}

storm_rc storm_redactor_from_value(const storm_value *rules, const char *base_dir, storm_redactor **out, storm_err *err)
{
    *out = NULL;
    if (!rules || rules->type != STORM_V_OBJECT)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(rules), "redaction rules must be a JSON object");
    static const char *const known[] = {"secret_file", "mask_cidrs",        "mask_private_ranges", "pseudonymise",
                                        "scrub",       "default_scrubbers", "default_pseudonyms",  "comment"};
    for (size_t i = 0; i < rules->u.o.len; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            ok |= strcmp(rules->u.o.members[i].key, known[k]) == 0;
        if (!ok)
            return storm_err_set(err, STORM_ERR_VALUE, pos_of(rules->u.o.members[i].value),
                                 "unknown key \"%s\" in redaction rules (see docs/redaction.md)",
                                 rules->u.o.members[i].key);
    }
    const storm_value *sf = storm_v_get(rules, "secret_file");
    if (!sf || sf->type != STORM_V_STRING)
        return storm_err_set(err, STORM_ERR_VALUE, pos_of(rules),
                             "redaction rules need \"secret_file\": a file of at least 16 random bytes "
                             "(create one with: head -c 32 /dev/urandom > redact.key)");
    char path[4096];
    if (sf->u.s.ptr[0] == '/' || !base_dir)
        snprintf(path, sizeof path, "%s", sf->u.s.ptr);
    else
        snprintf(path, sizeof path, "%s/%s", base_dir, sf->u.s.ptr);
    char *key;
    size_t key_len;
    storm_err kerr;
    storm_err_clear(&kerr);
    if (storm_read_file(path, MAX_KEY, &key, &key_len, &kerr) != STORM_OK)
        return storm_err_set(err, kerr.rc, pos_of(sf), "secret_file: %s", kerr.msg);
    storm_rc rc = new_redactor((unsigned char *)key, key_len, out, err);
    OPENSSL_cleanse(key, key_len);
    free(key);
    if (rc)
        return rc;
    storm_redactor *r = *out;
    const storm_value *v;
    bool want_private = !(v = storm_v_get(rules, "mask_private_ranges")) || v->type != STORM_V_BOOL || v->u.b;
    bool want_scrub = !(v = storm_v_get(rules, "default_scrubbers")) || v->type != STORM_V_BOOL || v->u.b;
    bool want_props = !(v = storm_v_get(rules, "default_pseudonyms")) || v->type != STORM_V_BOOL || v->u.b;
    rc = add_defaults(r, want_private, want_scrub, want_props, err);
    if (!rc && (v = storm_v_get(rules, "mask_cidrs"))) {
        rc = each_string(v, "mask_cidrs", err);
        for (size_t i = 0; !rc && i < v->u.a.len; i++)
            rc = add_cidr(r, v->u.a.items[i]->u.s.ptr, pos_of(v->u.a.items[i]), err);
    }
    if (!rc && (v = storm_v_get(rules, "pseudonymise"))) {
        if (v->type != STORM_V_OBJECT)
            rc = storm_err_set(err, STORM_ERR_VALUE, pos_of(v),
                               "\"pseudonymise\" must map a category to an array of property names");
        for (size_t i = 0; !rc && i < v->u.o.len; i++) {
            const storm_value *names = v->u.o.members[i].value;
            rc = each_string(names, v->u.o.members[i].key, err);
            for (size_t k = 0; !rc && k < names->u.a.len; k++)
                rc = add_prop(r, v->u.o.members[i].key, names->u.a.items[k]->u.s.ptr, pos_of(names->u.a.items[k]), err);
        }
    }
    if (!rc && (v = storm_v_get(rules, "scrub"))) {
        if (v->type != STORM_V_ARRAY)
            rc = storm_err_set(err, STORM_ERR_VALUE, pos_of(v), "\"scrub\" must be an array of {regex, replace}");
        for (size_t i = 0; !rc && i < v->u.a.len; i++) {
            const storm_value *s = v->u.a.items[i];
            const char *re = storm_v_get_str(s, "regex");
            const char *rep = storm_v_get_str(s, "replace");
            if (!re)
                rc = storm_err_set(err, STORM_ERR_VALUE, pos_of(s), "scrub rule %zu needs a \"regex\" string", i);
            else
                rc = add_scrubber(r, re, rep ? rep : "<redacted>", pos_of(s), err);
        }
    }
    if (rc) {
        storm_redactor_free(r);
        *out = NULL;
    }
    return rc;
}

storm_rc storm_redactor_load(const char *path, storm_redactor **out, storm_err *err)
{
    char *text;
    size_t len;
    *out = NULL;
    storm_rc rc = storm_read_file(path, 1u << 20, &text, &len, err);
    if (rc)
        return rc;
    storm_arena *a = storm_arena_new(0, 8u << 20);
    storm_value *rules = NULL;
    storm_err local;
    storm_err_clear(&local);
    rc = a ? storm_json_parse(a, text, len, 0, &rules, NULL, &local) : STORM_ERR_NOMEM;
    if (!rc) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        rc = storm_redactor_from_value(rules, slash ? dir : ".", out, &local);
    }
    if (rc) {
        storm_err_locate(&local, text, len);
        if (err && err->rc == STORM_OK) {
            *err = local;
            snprintf(err->msg, sizeof err->msg, "%.200s:%u:%u: %.280s", path, local.line, local.col, local.msg);
        }
    }
    storm_arena_free(a);
    free(text);
    return rc;
}

const char *storm_redactor_pseudonym(storm_redactor *r, storm_arena *a, const char *category, const char *name,
                                     size_t name_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    /* the category is part of the message, so a pod and a node of the same name differ */
    size_t cl = strlen(category);
    unsigned char *msg = storm_arena_alloc(a, cl + 1 + name_len);
    if (!msg)
        return NULL;
    memcpy(msg, category, cl);
    msg[cl] = 0;
    memcpy(msg + cl + 1, name, name_len);
    if (!HMAC(EVP_sha256(), r->key, (int)r->key_len, msg, cl + 1 + name_len, mac, &mac_len))
        return NULL;
    static const char hex[] = "0123456789abcdef";
    char out[80];
    int n = snprintf(out, sizeof out, "%.40s-", category);
    for (int i = 0; i < 8; i++) {
        out[n++] = hex[mac[i] >> 4];
        out[n++] = hex[mac[i] & 15];
    }
    out[n] = '\0';
    return storm_arena_strndup(a, out, (size_t)n);
}

void redactor_keyed_uuid(const storm_redactor *r, const char *text, char out[37])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), r->key, (int)r->key_len, (const unsigned char *)text, strlen(text), mac, &mac_len);
    storm_uuid_format(mac, 4, out); /* the version 4 layout */
}
