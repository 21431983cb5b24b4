/* SPDX-License-Identifier: Apache-2.0 */
/* The bait's Kubernetes manifests, one file per concern. Names look like an
 * operations team's leftovers (nothing says "bait" in the cluster: labels
 * and annotations are visible to the attacker); the YAML comments, which
 * the API server never stores, say what each object is for and why it
 * grants nothing real (docs/instrument.md, "Bait", says it at length). */
#include <string.h>

#include "bait_int.h"

#define HEADER                                                                                                         \
    "# Written by storm bait generate: BAIT for honeycluster %s. Every credential below is a\n"                        \
    "# honeytoken derived from your seed; none opens anything. Keep the seed, not this file.\n"

static storm_rc namespace_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    (void)t;
    return storm_buf_printf(b,
                            HEADER "# The namespace of every bait object: the Roles below reach no further.\n"
                                   "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n"
                                   "  labels:\n    team: platform-ops\n",
                            bait_cluster(o), bait_namespace(o));
}

/* The secrets: honeytoken values only, stringData so that the file reads as
 * what an attacker will find. */
static storm_rc secrets_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    const char *ns = bait_namespace(o);
    return storm_buf_printf(
        b,
        HEADER "# Honeytoken secrets. Opaque (not kubernetes.io/service-account-token): the API server\n"
               "# neither fills nor honours them; the values are random-looking strings from the seed.\n"
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " BAIT_SECRET_AWS "\n  namespace: %s\n"
               "type: Opaque\nstringData:\n  credentials: |\n    [default]\n"
               "    aws_access_key_id = %s\n    aws_secret_access_key = %s\n    region = eu-west-1\n"
               "---\n"
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " BAIT_SECRET_KUBECONFIG "\n  namespace: %s\n"
               "type: Opaque\nstringData:\n  config: |\n    apiVersion: v1\n    kind: Config\n"
               "    clusters:\n    - name: prod\n      cluster:\n"
               "        server: https://api.prod-eu.internal:6443\n"
               "        insecure-skip-tls-verify: true\n"
               "    users:\n    - name: cluster-admin\n      user:\n        token: %s\n"
               "    contexts:\n    - name: prod-admin\n      context:\n        cluster: prod\n"
               "        user: cluster-admin\n    current-context: prod-admin\n"
               "---\n"
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " BAIT_SECRET_SA "\n  namespace: %s\n"
               "  annotations:\n    kubernetes.io/service-account.name: ci-deployer\n"
               "type: Opaque\nstringData:\n  namespace: kube-system\n  token: %s\n"
               "---\n"
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " BAIT_SECRET_SSH "\n  namespace: %s\n"
               "type: Opaque\nstringData:\n  host: %s.%s.svc\n  port: \"2222\"\n  username: " STORM_BAIT_SSH_USER
               "\n  password: \"%s\"\n",
        bait_cluster(o), ns, t->v[STORM_BAIT_AWS_KEY_ID], t->v[STORM_BAIT_AWS_SECRET], ns, t->v[STORM_BAIT_KUBECONFIG],
        ns, t->v[STORM_BAIT_SA_TOKEN], ns, BAIT_JUMPBOX, ns, t->v[STORM_BAIT_SSH_PASSWORD]);
}

static storm_rc rbac_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    (void)t;
    const char *ns = bait_namespace(o);
    return storm_buf_printf(
        b,
        HEADER "# An admin-sounding service account whose Role (namespace-scoped, never a ClusterRole)\n"
               "# may only get the four honeytoken secrets by name: no list, no write, no other resource,\n"
               "# no other namespace, no escalate/bind/impersonate. Anything else it tries is forbidden\n"
               "# and audited.\n"
               "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " BAIT_SA "\n  namespace: %s\n"
               "---\n"
               "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: " BAIT_SA "\n  namespace: %s\n"
               "rules:\n- apiGroups: [\"\"]\n  resources: [\"secrets\"]\n"
               "  resourceNames: [\"" BAIT_SECRET_AWS "\", \"" BAIT_SECRET_KUBECONFIG "\", \"" BAIT_SECRET_SA
               "\", \"" BAIT_SECRET_SSH "\"]\n"
               "  verbs: [\"get\"]\n"
               "---\n"
               "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: " BAIT_SA
               "\n  namespace: %s\n"
               "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: " BAIT_SA "\n"
               "subjects:\n- kind: ServiceAccount\n  name: " BAIT_SA "\n  namespace: %s\n",
        bait_cluster(o), ns, ns, ns, ns);
}

/* The restricted security context both pods share (their own process
 * runs as nobody or as the image's user; nothing privileged). */
#define LIMITS                                                                                                         \
    "        resources:\n          requests: {cpu: 10m, memory: 16Mi}\n"                                               \
    "          limits: {cpu: 100m, memory: 64Mi}\n"

static storm_rc forgotten_pod_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    (void)t;
    const char *ns = bait_namespace(o);
    return storm_buf_printf(
        b,
        HEADER "# A forgotten-looking backup pod that sleeps, running as the admin-sounding service\n"
               "# account, with the honeytokens mounted where attackers look. It needs no privilege:\n"
               "# non-root, read-only root filesystem, all capabilities dropped, no host namespace or\n"
               "# path. Whoever reads the mounted files or uses its token is the attacker.\n"
               "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " BAIT_POD "\n  namespace: %s\n"
               "  labels:\n    app: " BAIT_POD "\n"
               "  annotations:\n    backup.platform-ops/last-success: \"2024-03-02T03:00:00Z\"\n"
               "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: " BAIT_POD "\n"
               "  template:\n    metadata:\n      labels:\n        app: " BAIT_POD "\n"
               "    spec:\n      serviceAccountName: " BAIT_SA "\n"
               "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65534\n"
               "        runAsGroup: 65534\n        fsGroup: 65534\n"
               "        seccompProfile:\n          type: RuntimeDefault\n"
               "      containers:\n      - name: backup\n        image: docker.io/library/busybox:1.36.1\n"
               "        command: [\"/bin/sh\", \"-c\", \"while true; do sleep 3600; done\"]\n" LIMITS
               "        securityContext:\n          allowPrivilegeEscalation: false\n"
               "          readOnlyRootFilesystem: true\n          capabilities:\n            drop: [\"ALL\"]\n"
               "        volumeMounts:\n"
               "        - {name: aws, mountPath: /root/.aws, readOnly: true}\n"
               "        - {name: kube, mountPath: /root/.kube, readOnly: true}\n"
               "        - {name: ci-deployer, mountPath: /var/run/secrets/ci-deployer, readOnly: true}\n"
               "      volumes:\n"
               "      - name: aws\n        secret:\n          secretName: " BAIT_SECRET_AWS
               "\n          items: [{key: credentials, path: credentials}]\n"
               "      - name: kube\n        secret:\n          secretName: " BAIT_SECRET_KUBECONFIG
               "\n          items: [{key: config, path: config}]\n"
               "      - name: ci-deployer\n        secret:\n          secretName: " BAIT_SECRET_SA
               "\n          items: [{key: token, path: token}]\n",
        bait_cluster(o), ns);
}

static storm_rc jumpbox_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    (void)t;
    const char *ns = bait_namespace(o);
    return storm_buf_printf(
        b,
        HEADER "# The weak entry point: an SSH server with password logins on a NodePort, so scanners\n"
               "# find it and guess at it. Its one account's password is a honeytoken (only the secret\n"
               "# " BAIT_SECRET_SSH " holds it). The pod gets no API credential (no token mounted, a service\n"
               "# account with no binding) and runs unprivileged. Ship its log (stdout) to storm run: the\n"
               "# sshd decoder reads it.\n"
               "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " BAIT_JUMPBOX "\n  namespace: %s\n"
               "automountServiceAccountToken: false\n"
               "---\n"
               "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " BAIT_JUMPBOX "\n  namespace: %s\n"
               "  labels:\n    app: " BAIT_JUMPBOX "\n"
               "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: " BAIT_JUMPBOX "\n"
               "  template:\n    metadata:\n      labels:\n        app: " BAIT_JUMPBOX "\n"
               "    spec:\n      serviceAccountName: " BAIT_JUMPBOX "\n      automountServiceAccountToken: false\n"
               "      enableServiceLinks: false\n"
               "      securityContext:\n        seccompProfile:\n          type: RuntimeDefault\n"
               "      containers:\n      - name: sshd\n"
               "        # pin by digest in production; LOG_STDOUT sends sshd's log to the container log\n"
               "        image: lscr.io/linuxserver/openssh-server:latest\n"
               "        env:\n        - {name: PUID, value: \"1000\"}\n        - {name: PGID, value: \"1000\"}\n"
               "        - {name: USER_NAME, value: " STORM_BAIT_SSH_USER "}\n"
               "        - name: USER_PASSWORD\n          valueFrom:\n            secretKeyRef: {name: " BAIT_SECRET_SSH
               ", key: password}\n"
               "        - {name: PASSWORD_ACCESS, value: \"true\"}\n        - {name: SUDO_ACCESS, value: \"false\"}\n"
               "        - {name: LOG_STDOUT, value: \"true\"}\n"
               "        ports:\n        - {name: ssh, containerPort: 2222, protocol: TCP}\n" LIMITS
               "        securityContext:\n          privileged: false\n          capabilities:\n"
               "            drop: [\"ALL\"]\n"
               "            add: [\"CHOWN\", \"DAC_OVERRIDE\", \"FOWNER\", \"SETGID\", \"SETUID\", \"SYS_CHROOT\", "
               "\"KILL\", \"AUDIT_WRITE\"]\n"
               "---\n"
               "apiVersion: v1\nkind: Service\nmetadata:\n  name: " BAIT_JUMPBOX "\n  namespace: %s\n"
               "spec:\n  type: NodePort\n  selector:\n    app: " BAIT_JUMPBOX "\n"
               "  ports:\n  - {name: ssh, port: 2222, targetPort: ssh, nodePort: %d, protocol: TCP}\n",
        bait_cluster(o), ns, ns, ns, BAIT_SSH_NODE_PORT);
}

static storm_rc netpol_yaml(storm_buf *b, const storm_bait_opts *o, const bait_tokens *t)
{
    (void)t;
    const char *ns = bait_namespace(o);
    return storm_buf_printf(
        b,
        HEADER "# The bait pods may reach the cluster's pods and private addresses (the API server,\n"
               "# DNS: attackers are to be seen moving inside the honeycluster), nothing on the internet:\n"
               "# a compromised bait is no proxy for attacks elsewhere. If your API server or nodes have\n"
               "# public addresses, add them as ipBlocks. Needs a CNI that enforces NetworkPolicy.\n"
               "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: bait-egress\n"
               "  namespace: %s\nspec:\n  podSelector:\n    matchExpressions:\n"
               "    - {key: app, operator: In, values: [" BAIT_POD ", " BAIT_JUMPBOX "]}\n"
               "  policyTypes: [\"Egress\"]\n  egress:\n  - to:\n    - namespaceSelector: {}\n"
               "    - ipBlock: {cidr: 10.0.0.0/8}\n    - ipBlock: {cidr: 172.16.0.0/12}\n"
               "    - ipBlock: {cidr: 192.168.0.0/16}\n    - ipBlock: {cidr: fd00::/8}\n",
        bait_cluster(o), ns);
}

static const bait_manifest MANIFESTS[] = {
    {"bait-00-namespace.yaml", "the bait namespace", namespace_yaml},
    {"bait-10-secrets.yaml", "honeytoken secrets (cloud credentials, kubeconfig, service-account token, SSH login)",
     secrets_yaml},
    {"bait-20-rbac.yaml", "admin-sounding service account: get on the honeytoken secrets only", rbac_yaml},
    {"bait-30-forgotten-pod.yaml", "forgotten-looking backup pod with the honeytokens mounted", forgotten_pod_yaml},
    {"bait-40-jumpbox.yaml", "weak SSH entry point (password logins, NodePort 30022)", jumpbox_yaml},
    {"bait-50-networkpolicy.yaml", "bait pods reach the cluster and DNS only", netpol_yaml},
};

const bait_manifest *bait_manifests(size_t *n)
{
    *n = sizeof MANIFESTS / sizeof MANIFESTS[0];
    return MANIFESTS;
}
