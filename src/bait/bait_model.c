/* SPDX-License-Identifier: Apache-2.0 */
/* The attack model of one bait deployment: the steps a touched bait
 * reveals (entry point probed -> honeytoken read -> honeytoken used), the
 * indicators that see each touch (with this deployment's namespace, names
 * and token values as literals), and an intrusion-set tying them together,
 * as a STIX 2.1 bundle that storm models lint accepts and storm run loads.
 * Ids are UUIDv4-shaped SHA-256 names of cluster, namespace and object, so
 * regenerating gives the same bundle and two honeyclusters never share one. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/json.h>
#include <storm/uuid.h>
#include <storm/value.h>

#include "bait_int.h"

#define STORM_IDENTITY "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91"

typedef struct model_ctx {
    storm_arena *a;
    const storm_bait_opts *o;
    const char *time; /* created, modified, valid_from */
    storm_value *objects;
    bool oom;
} model_ctx;

static const char *make_id(model_ctx *c, const char *type, const char *name)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdl = 0;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "storm-bait/%s/%s/%s/%s", bait_cluster(c->o), bait_namespace(c->o), type, name);
    if (n < 0 || (size_t)n >= sizeof msg || !EVP_Digest(msg, (size_t)n, md, &mdl, EVP_sha256(), NULL)) {
        c->oom = true;
        return "";
    }
    char u[STORM_UUID_LEN + 1];
    storm_uuid_format(md, 4, u);
    char *id = storm_arena_printf(c->a, "%s--%s", type, u);
    c->oom |= !id;
    return id ? id : "";
}

static void set(model_ctx *c, storm_value *o, const char *k, storm_value *v)
{
    if (!v || storm_v_set(c->a, o, k, v))
        c->oom = true;
}

static void set_str(model_ctx *c, storm_value *o, const char *k, const char *s)
{
    set(c, o, k, storm_v_str(c->a, s));
}

static storm_value *sdo(model_ctx *c, const char *type, const char *name)
{
    storm_value *o = storm_v_object(c->a);
    if (!o) {
        c->oom = true;
        return NULL;
    }
    set_str(c, o, "type", type);
    set_str(c, o, "spec_version", "2.1");
    set_str(c, o, "id", make_id(c, type, name));
    set_str(c, o, "created_by_ref", STORM_IDENTITY);
    set_str(c, o, "created", c->time);
    set_str(c, o, "modified", c->time);
    if (storm_v_push(c->a, c->objects, o))
        c->oom = true;
    return o;
}

static storm_value *phases(model_ctx *c, const char *phase)
{
    storm_value *arr = storm_v_array(c->a), *kc = storm_v_object(c->a);
    if (!arr || !kc) {
        c->oom = true;
        return NULL;
    }
    set_str(c, kc, "kill_chain_name", "mitre-attack");
    set_str(c, kc, "phase_name", phase);
    if (storm_v_push(c->a, arr, kc))
        c->oom = true;
    return arr;
}

static const char *step(model_ctx *c, const char *slug, const char *name, const char *desc, const char *tid,
                        const char *tname, const char *phase)
{
    storm_value *ap = sdo(c, "attack-pattern", slug);
    if (!ap)
        return "";
    set_str(c, ap, "name", name);
    set_str(c, ap, "description", desc);
    set(c, ap, "kill_chain_phases", phases(c, phase));
    storm_value *refs = storm_v_array(c->a), *r = storm_v_object(c->a);
    if (!refs || !r) {
        c->oom = true;
        return "";
    }
    set_str(c, r, "source_name", "mitre-attack");
    set_str(c, r, "external_id", tid);
    set_str(c, r, "description", tname);
    if (storm_v_push(c->a, refs, r))
        c->oom = true;
    set(c, ap, "external_references", refs);
    return storm_v_get_str(ap, "id");
}

static void relationship(model_ctx *c, const char *type, const char *src, const char *dst)
{
    char name[256];
    snprintf(name, sizeof name, "%s/%s/%s", type, src, dst);
    storm_value *r = sdo(c, "relationship", name);
    if (!r)
        return;
    set_str(c, r, "relationship_type", type);
    set_str(c, r, "source_ref", src);
    set_str(c, r, "target_ref", dst);
}

static void indicator(model_ctx *c, const char *ap_id, const char *slug, const char *phase, const char *name,
                      const char *desc, const char *pattern)
{
    storm_value *ind = sdo(c, "indicator", slug);
    if (!ind || !pattern) {
        c->oom = true;
        return;
    }
    set_str(c, ind, "name", name);
    set_str(c, ind, "description", desc);
    storm_value *types = storm_v_array(c->a);
    if (!types || storm_v_push(c->a, types, storm_v_str(c->a, "malicious-activity")))
        c->oom = true;
    set(c, ind, "indicator_types", types);
    set_str(c, ind, "pattern", pattern);
    set_str(c, ind, "pattern_type", "stix");
    set_str(c, ind, "pattern_version", "2.1");
    set_str(c, ind, "valid_from", c->time);
    set(c, ind, "kill_chain_phases", phases(c, phase));
    relationship(c, "indicates", storm_v_get_str(ind, "id"), ap_id);
}

/* The paths the honeytokens are mounted at, as a regular expression in a
 * STIX string literal (backslashes doubled); a secret volume's file is a
 * symlink into ..<timestamp>/, which the kernel hooks report. */
#define MOUNTS_RE "^(/root/\\\\.aws/|/root/\\\\.kube/|/var/run/secrets/ci-deployer/)"

static storm_rc build(model_ctx *c, const bait_tokens *t)
{
    const char *ns = bait_namespace(c->o);
    storm_arena *a = c->a;
    const char *entry = step(c, "entry", "Bait entry point probed",
                             "Someone tries to log in to the bait SSH entry point (legacy-jumpbox), which only "
                             "scanners and attackers know of.",
                             "T1110.001", "Brute Force: Password Guessing", "credential-access");
    const char *read = step(c, "read", "Honeytoken read",
                            "Someone reads a bait secret: through the Kubernetes API, or as a file where the "
                            "forgotten-looking pod mounts it (cloud credentials, kubeconfig, service-account token).",
                            "T1552.007", "Unsecured Credentials: Container API", "credential-access");
    const char *use =
        step(c, "use", "Honeytoken used",
             "Someone uses what a bait holds: a honeytoken value appears in a command or request, "
             "the bait service account calls the API, or the bait SSH account logs in.",
             "T1550.001", "Use Alternate Authentication Material: Application Access Token", "lateral-movement");
    indicator(c, entry, "entry/ssh-login", "credential-access", "Login attempt at an SSH entry point",
              "An SSH server's log says an authentication failed or named an unknown user.",
              "[network-traffic:x_app_program IN ('sshd', 'sshd-session', 'sshd-auth') AND "
              "network-traffic:x_app_auth_result IN ('failed', 'invalid_user', 'max_auth_tries')]");
    indicator(c, read, "read/api-get", "credential-access", "Honeytoken secret fetched through the API",
              "A get of one of the bait secrets by name.",
              storm_arena_printf(a,
                                 "[network-traffic:x_audit_resource = 'secrets' AND network-traffic:x_audit_namespace "
                                 "= '%s' AND network-traffic:x_audit_name IN ('" BAIT_SECRET_AWS
                                 "', '" BAIT_SECRET_KUBECONFIG "', '" BAIT_SECRET_SA "', '" BAIT_SECRET_SSH "')]",
                                 ns));
    indicator(c, read, "read/api-list", "credential-access", "Bait namespace's secrets listed",
              "A list or watch of the secrets of the bait namespace.",
              storm_arena_printf(a,
                                 "[network-traffic:x_audit_resource = 'secrets' AND network-traffic:x_audit_namespace "
                                 "= '%s' AND network-traffic:x_audit_verb IN ('list', 'watch')]",
                                 ns));
    indicator(c, read, "read/file-hook", "credential-access", "Honeytoken file opened (kernel hook)",
              "A file under a honeytoken mount opened or read, as Tetragon's file hooks report it.",
              "[process:x_hook_name IN ('security_file_permission', 'security_file_open', '__x64_sys_openat', "
              "'__arm64_sys_openat') AND (process:x_hook_args[0].path MATCHES '" MOUNTS_RE
              "' OR process:x_hook_args[1].value MATCHES '" MOUNTS_RE "')]");
    indicator(c, read, "read/command", "credential-access", "Honeytoken path on a command line in the bait namespace",
              "A command in a bait pod names a honeytoken file.",
              storm_arena_printf(a,
                                 "[process:command_line MATCHES '(\\\\.aws/credentials|\\\\.kube/config|"
                                 "/var/run/secrets/ci-deployer)' AND process:x_k8s_namespace = '%s']",
                                 ns));
    /* the values themselves: wherever they turn up, they came from here */
    indicator(c, use, "use/command", "lateral-movement", "Honeytoken value on a command line",
              "A process's command line holds a honeytoken value of this honeycluster.",
              storm_arena_printf(a,
                                 "[process:command_line LIKE '%%%s%%' OR process:command_line LIKE '%%%s%%' OR "
                                 "process:command_line LIKE '%%%s%%' OR process:command_line LIKE '%%%s%%' OR "
                                 "process:command_line LIKE '%%%s%%']",
                                 t->v[STORM_BAIT_AWS_KEY_ID], t->v[STORM_BAIT_AWS_SECRET], t->v[STORM_BAIT_KUBECONFIG],
                                 t->v[STORM_BAIT_SA_TOKEN], t->v[STORM_BAIT_SSH_PASSWORD]));
    indicator(c, use, "use/http", "lateral-movement", "Honeytoken value in an HTTP request",
              "An access log's request target holds a honeytoken value of this honeycluster.",
              storm_arena_printf(a,
                                 "[network-traffic:extensions.'http-request-ext'.request_value LIKE '%%%s%%' OR "
                                 "network-traffic:extensions.'http-request-ext'.request_value LIKE '%%%s%%']",
                                 t->v[STORM_BAIT_AWS_KEY_ID], t->v[STORM_BAIT_KUBECONFIG]));
    indicator(c, use, "use/service-account", "lateral-movement", "Bait service account calls the API",
              "The forgotten-looking pod only sleeps: any API request as its service account is someone "
              "else's, with its token.",
              storm_arena_printf(a, "[network-traffic:x_audit_user = 'system:serviceaccount:%s:" BAIT_SA "']", ns));
    indicator(c, use, "use/ssh-login", "lateral-movement", "Bait SSH account logged in",
              "An SSH server accepted the bait account, whose password only a bait secret holds.",
              "[network-traffic:x_app_auth_user = '" STORM_BAIT_SSH_USER
              "' AND network-traffic:x_app_auth_result = 'accepted']");
    char set_name[300];
    snprintf(set_name, sizeof set_name, "Bait of honeycluster %s", bait_cluster(c->o));
    storm_value *iset = sdo(c, "intrusion-set", "bait");
    if (iset) {
        set_str(c, iset, "name", set_name);
        set_str(c, iset, "description",
                "Whoever touches the bait storm bait generate planted: from the entry point to the "
                "honeytokens to their use.");
        const char *id = storm_v_get_str(iset, "id");
        relationship(c, "uses", id, entry);
        relationship(c, "uses", id, read);
        relationship(c, "uses", id, use);
    }
    relationship(c, "related-to", entry, read);
    relationship(c, "related-to", read, use);
    return c->oom ? STORM_ERR_NOMEM : STORM_OK;
}

/* Storm's identity: every object names it as creator, so the bundle holds it. */
static void identity(model_ctx *c)
{
    storm_value *o = storm_v_object(c->a);
    if (!o) {
        c->oom = true;
        return;
    }
    set_str(c, o, "type", "identity");
    set_str(c, o, "spec_version", "2.1");
    set_str(c, o, "id", STORM_IDENTITY);
    set_str(c, o, "created", "2026-01-01T00:00:00.000Z");
    set_str(c, o, "modified", "2026-01-01T00:00:00.000Z");
    set_str(c, o, "name", "Storm");
    set_str(c, o, "description",
            "Storm honeycluster threat-intelligence engine: the producer of these observations and the "
            "publisher of their extension-definitions.");
    set_str(c, o, "identity_class", "system");
    if (storm_v_push(c->a, c->objects, o))
        c->oom = true;
}

storm_rc bait_model_write(storm_buf *out, const storm_bait_opts *o, const bait_tokens *t)
{
    storm_arena *a = storm_arena_new(64 << 10, 16 << 20);
    if (!a)
        return STORM_ERR_NOMEM;
    storm_time_ns now = o->time ? o->time : storm_time_now();
    now -= now % 1000000; /* milliseconds, as STIX writes created */
    char when[48];
    storm_time_format_stix(now, STORM_TIME_STIX_MS, when);
    model_ctx c = {a, o, when, storm_v_array(a), false};
    storm_value *bundle = storm_v_object(a);
    storm_rc rc = STORM_ERR_NOMEM;
    if (c.objects && bundle) {
        rc = build(&c, t);
        identity(&c);
        set_str(&c, bundle, "type", "bundle");
        set_str(&c, bundle, "id", make_id(&c, "bundle", "model"));
        set(&c, bundle, "objects", c.objects);
        if (rc == STORM_OK && !c.oom)
            rc = storm_json_write(out, bundle, STORM_JSONW_PRETTY);
        if (rc == STORM_OK)
            rc = storm_buf_putc(out, '\n');
        if (c.oom)
            rc = STORM_ERR_NOMEM;
    }
    storm_arena_free(a);
    return rc;
}
