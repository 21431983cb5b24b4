# SPDX-License-Identifier: Apache-2.0
"""The systemd units in deploy/systemd: storm-hub.service (storm serve) and
storm-run@.service (storm run).

- The hardening they promise is there (a dedicated user, no capabilities,
  a read-only system but the store, private /tmp, loopback by default).
- systemd-analyze verify finds nothing to say about them (when installed;
  it runs without systemd as PID 1), and a broken copy makes it speak, so
  the check can fail; systemd-analyze security --offline rates them.
- Their ExecStart lines, with the defaults they set, start storm: the
  options are real (serve answers /healthz on loopback, run listens), and
  every option the example environment files name is one the command knows.
- The user's uid is the one of the container image and the Kubernetes
  manifests."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, STORM, check, report  # noqa: E402

UNITS = os.path.join(ROOT, "deploy", "systemd")
ANALYZE = shutil.which("systemd-analyze")


def parse_unit(path):
    """{section: [(key, value)]}: systemd's format (keys may repeat;
    comments start with # or ;)."""
    out, section = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, [])
            continue
        k, _, v = line.partition("=")
        out[section].append((k.strip(), v.strip()))
    return out


def values(unit, key, section="Service"):
    return [v for k, v in unit.get(section, []) if k == key]


def env_file(path):
    """KEY=VALUE lines of an environment file; commented alternatives of
    *_OPTIONS too (as (key, value, commented))."""
    out = []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"(#?)([A-Z_]+)=(.*)$", line.strip())
        if m:
            out.append((m.group(2), m.group(3), m.group(1) == "#"))
    return out


def expand(cmd, env):
    """systemd's ExecStart expansion: ${X} one word, $X split at spaces."""
    words = []
    for w in cmd.split():
        m = re.fullmatch(r"\$\{(\w+)\}", w)
        if m:
            words.append(env.get(m.group(1), ""))
            continue
        m = re.fullmatch(r"\$(\w+)", w)
        if m:
            words += env.get(m.group(1), "").split()
            continue
        words.append(w)
    return words


def unit_env(unit):
    env = {}
    for v in values(unit, "Environment"):
        k, _, x = v.partition("=")
        env[k] = x
    return env


def check_hardening(name, unit):
    want = {"User": "storm", "Group": "storm", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
            "PrivateTmp": "yes", "ProtectHome": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
            "AmbientCapabilities": "", "RestrictSUIDSGID": "yes", "ProtectKernelTunables": "yes",
            "SystemCallArchitectures": "native"}
    for k, v in want.items():
        check(values(unit, k) == [v], f"{name}: {k}={v} ({values(unit, k)})")
    check("/var/lib/storm" in values(unit, "ReadWritePaths"), f"{name}: the store is its only writable path")
    check(values(unit, "StateDirectory") == ["storm"], f"{name}: StateDirectory=storm (/var/lib/storm, owned)")
    check(values(unit, "RestrictAddressFamilies") == ["AF_INET AF_INET6 AF_UNIX"], f"{name}: IP and Unix only")
    check(any(v.startswith("@system-service") for v in values(unit, "SystemCallFilter")),
          f"{name}: system calls filtered (@system-service)")
    check(len(values(unit, "EnvironmentFile")) == 1, f"{name}: options from an environment file")
    check(values(unit, "WantedBy", "Install") == ["multi-user.target"], f"{name}: WantedBy=multi-user.target")


def analyze(tmp, units):
    """systemd-analyze verify on copies whose ExecStart runs the built
    storm (verify checks that the program exists); (status, output)."""
    paths = []
    for src, dst in units:
        text = open(src, encoding="utf-8").read().replace("/usr/bin/storm", os.path.abspath(STORM))
        path = os.path.join(tmp, dst)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(path)
    r = subprocess.run([ANALYZE, "verify"] + paths, capture_output=True, text=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip(), paths


def port_from(path, proc, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        m = re.search(r"\(port (\d+)\)|://[^ ]*:(\d+)/", open(path).read())
        if m:
            return int(m.group(1) or m.group(2))
        time.sleep(0.05)
    return None


def start(words, tmp, name):
    err = os.path.join(tmp, name + ".err")
    with open(err, "w") as f:
        p = subprocess.Popen(words, stdout=subprocess.DEVNULL, stderr=f)
    return p, err


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def test_hub(tmp, unit):
    env = unit_env(unit)
    check(env.get("STORM_HUB_LISTEN", "").startswith("127.0.0.1:"), f"hub: loopback by default ({env})")
    cmd = values(unit, "ExecStart")[0]
    check(cmd.startswith("/usr/bin/storm serve "), f"hub: ExecStart runs storm serve ({cmd})")
    env.update(STORM_HUB_DB=os.path.join(tmp, "hub.db"), STORM_HUB_LISTEN="127.0.0.1:0")
    words = expand(cmd, env)
    words[0] = STORM
    p, err = start(words, tmp, "hub")
    try:
        port = port_from(err, p)
        check(port is not None, "hub: storm serve starts with the unit's ExecStart: " + open(err).read()[-300:])
        if port:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                check(r.status == 200, "hub: /healthz answers 200")
    finally:
        rc = stop(p)
    check(rc == 0, f"hub: SIGTERM stops it cleanly ({rc})")


def test_run(tmp, unit):
    env = unit_env(unit)
    cmd = values(unit, "ExecStart")[0]
    check(cmd.startswith("/usr/bin/storm run "), f"run@: ExecStart runs storm run ({cmd})")
    check(values(unit, "EnvironmentFile") == ["/etc/storm/run-%i.env"], "run@: one environment file per instance")
    env.update(STORM_RUN_DB=os.path.join(tmp, "run.db"), STORM_RUN_OPTIONS="--listen 127.0.0.1:0")
    words = expand(cmd, env)
    words[0] = STORM
    p, err = start(words, tmp, "run")
    try:
        check(port_from(err, p) is not None, "run@: storm run starts with the unit's ExecStart: " +
              open(err).read()[-300:])
    finally:
        rc = stop(p)
    check(rc == 0, f"run@: SIGTERM stops it cleanly ({rc})")


def test_env_files():
    for env_name, cmd in [("storm-hub.env", "serve"), ("storm-run.env", "run")]:
        if cmd == "serve" and os.environ.get("STORM_HAVE_TAXII", "1") != "1":
            continue  # a build without TAXII has no storm serve (its --help says how to get it)
        helptext = subprocess.run([STORM, cmd, "--help"], capture_output=True, text=True, timeout=60)
        helptext = helptext.stdout + helptext.stderr
        n = 0
        for key, val, _ in env_file(os.path.join(UNITS, env_name)):
            for opt in re.findall(r"(?<!\S)--[a-z][a-z-]*", val):
                n += 1
                check(re.search(r"(^|\s)" + re.escape(opt) + r"\b", helptext) is not None,
                      f"{env_name}: {key} names {opt}, an option of storm {cmd}")
        check(n >= 3, f"{env_name}: example options ({n})")


def test_uid():
    sysusers = open(os.path.join(UNITS, "storm.sysusers")).read()
    check(re.search(r"^u storm 65532:65532 ", sysusers, re.M) is not None, "sysusers: storm is uid/gid 65532")
    # (the DaemonSet runs as root: it reads the node's Tetragon export file)
    text = open(os.path.join(ROOT, "deploy", "k8s", "deployment.yaml")).read()
    check("runAsUser: 65532" in text, "deploy/k8s/deployment.yaml runs as the same uid")
    check("65532:65532" in open(os.path.join(ROOT, "deploy", "image", "Containerfile")).read(),
          "the container image's user is the same uid")


def main():
    hub = parse_unit(os.path.join(UNITS, "storm-hub.service"))
    run = parse_unit(os.path.join(UNITS, "storm-run@.service"))
    check_hardening("storm-hub.service", hub)
    check_hardening("storm-run@.service", run)
    test_env_files()
    test_uid()
    with tempfile.TemporaryDirectory(prefix="storm-systemd-") as tmp:
        if ANALYZE:
            rc, out, paths = analyze(tmp, [(os.path.join(UNITS, "storm-hub.service"), "storm-hub.service"),
                                           (os.path.join(UNITS, "storm-run@.service"), "storm-run@kafka.service")])
            print(f"systemd-analyze verify: exit {rc}, {len(out.splitlines())} lines of output")
            for line in out.splitlines():
                print("  " + line)
            check(rc == 0 and not out, "systemd-analyze verify: nothing to say about the units")
            bad = os.path.join(tmp, "broken.service")
            with open(bad, "w") as f:
                f.write(open(paths[0]).read().replace("ProtectSystem=strict", "ProtectSystem=strikt"))
            r = subprocess.run([ANALYZE, "verify", bad], capture_output=True, text=True, timeout=120)
            check("strikt" in r.stdout + r.stderr, "systemd-analyze verify speaks up about a broken copy")
            for path in paths:
                r = subprocess.run([ANALYZE, "security", "--offline=true", path], capture_output=True, text=True,
                                   timeout=120)
                m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", r.stdout + r.stderr)
                print(f"systemd-analyze security --offline=true {os.path.basename(path)}: "
                      f"{m.group(1) + ' ' + m.group(2) if m else (r.stdout + r.stderr)[-200:]}")
                check(m is not None and float(m.group(1)) <= 2.0,
                      f"{os.path.basename(path)}: exposure at most 2.0 (systemd says OK)")
        else:
            print("test_systemd: systemd-analyze is not installed: the units are checked without it")
        if os.environ.get("STORM_HAVE_TAXII", "1") == "1":
            test_hub(tmp, hub)
            test_run(tmp, run)
    return report("test_systemd")


if __name__ == "__main__":
    sys.exit(main())
