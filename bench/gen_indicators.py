#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate an attack-model bundle of N indicators for bench_run.sh, a
realistic mix over Storm's observation model: 40% equality, 20% IN, 15% LIKE,
20% MATCHES, 5% sequences (FOLLOWEDBY ... WITHIN), all indicating one
attack-pattern. The first 5 use values of attack events that occur in the
stream (nsenter, crictl, gdb, ...), so matching, sightings and temporal state
are exercised on the same attack content whatever N is; the others, like most
real indicators on a normal stream, match nothing.
Usage: gen_indicators.py N > models.json"""
import json
import random
import sys
import uuid

n = int(sys.argv[1])
rnd = random.Random(7)
NS = uuid.UUID("6b1f3a52-9d0e-5c41-8a77-2e63c4901d5f")
TS = "2026-01-01T00:00:00.000Z"
hooks = ["__x64_sys_openat", "__x64_sys_connect", "__x64_sys_setns", "security_file_permission", "tcp_connect",
         "__x64_sys_mount", "__x64_sys_execve", "__x64_sys_ptrace"]
real_bins = ["nsenter", "crictl", "gdb", "strace", "insmod"]


def pattern(k):
    real = k < 5
    r = rnd.random()
    if r < 0.40:
        if real:
            return "[process:x_hook_name = '%s' AND process:image_ref.name = '%s']" % (rnd.choice(hooks), rnd.choice(real_bins))
        return rnd.choice([
            "[process:x_hook_name = 'sys_fn_%d' AND process:x_k8s_namespace = 'ns-%d']" % (k, k % 97),
            "[process:image_ref.name = 'tool-%d']" % k,
            "[network-traffic:x_audit_user = 'user-%d' AND network-traffic:x_audit_verb = 'delete']" % k,
            "[file:x_file_path = '/var/lib/app%d/secret']" % k,
        ])
    if r < 0.60:
        vals = [rnd.choice(real_bins)] if real else []
        vals += ["bin-%d-%d" % (k, j) for j in range(3)]
        return "[process:image_ref.name IN (%s)]" % ", ".join("'%s'" % v for v in vals)
    if r < 0.75:
        if real:
            return "[process:command_line LIKE '%%/var/run/secrets/kubernetes.io/%%']"
        return "[process:command_line LIKE '%%/opt/app%d/%%--flag-%d%%']" % (k % 30, k)
    if r < 0.95:
        if real:
            return "[process:command_line MATCHES '(^|/)(nsenter|crictl) ']"
        return rnd.choice([
            "[process:command_line MATCHES '^/usr/bin/tool%d --(mode|level)=[0-9]+']" % k,
            "[file:x_file_path MATCHES '^/etc/app%d/(keys|certs)/']" % k,
            "[process:x_hook_args[1].value MATCHES '^/host/data%d/']" % k,
        ])
    if real:
        return "([process:image_ref.name = 'gdb'] FOLLOWEDBY [process:image_ref.name = 'nsenter']) WITHIN 60 SECONDS"
    return "([process:image_ref.name = 'stage-%d-a'] FOLLOWEDBY [process:x_hook_name = 'stage_%d_b']) WITHIN 60 SECONDS" % (k, k)


ap = {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--%s" % uuid.uuid5(NS, "bench"),
      "created": TS, "modified": TS, "name": "bench step"}
objs = [ap]
for k in range(n):
    objs.append({"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid5(NS, "bench/%d" % k),
                 "created": TS, "modified": TS, "name": "bench indicator %d" % k, "pattern": pattern(k),
                 "pattern_type": "stix", "valid_from": TS})
    objs.append({"type": "relationship", "spec_version": "2.1", "id": "relationship--%s" % uuid.uuid5(NS, "bench-rel/%d" % k),
                 "created": TS, "modified": TS, "relationship_type": "indicates", "source_ref": objs[-1]["id"],
                 "target_ref": ap["id"]})
json.dump({"type": "bundle", "id": "bundle--%s" % uuid.uuid5(NS, "bench/%d" % n), "objects": objs}, sys.stdout)
sys.stdout.write("\n")
