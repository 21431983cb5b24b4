# SPDX-License-Identifier: Apache-2.0
"""libcurl, libpq, librdkafka, libmicrohttpd and hiredis are loaded when a
command first needs them (storm/lazy_lib.h), never at start-up: the storm
binary does not list them as NEEDED, the commands that do not use them never
map them (the dynamic loader's own trace, LD_DEBUG=files, says what it
opens), and one that does loads it then and works."""
import os
import subprocess
import sys
import tempfile

from harness import ROOT, STORM, check, report

LAZY = ["libcurl.so", "libpq.so", "librdkafka.so", "libmicrohttpd.so", "libhiredis.so"]


def needed(path):
    """The NEEDED entries of an ELF file's dynamic section (readelf -d)."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line]


def loaded(args, **kw):
    """(the completed storm ARGS, the files the dynamic loader opened)."""
    env = dict(os.environ, LD_DEBUG="files")
    p = subprocess.run([STORM] + args, capture_output=True, text=True, env=env, timeout=300, **kw)
    files = [line.split("file=", 1)[1].split(" ", 1)[0] for line in p.stderr.splitlines() if "\tfile=" in line]
    return p, files


def own_stderr(p):
    """What storm wrote to standard error, without the loader's trace ("PID:\t...")."""
    return "\n".join(line for line in p.stderr.splitlines() if ":\t" not in line and line.strip())


def lazy_in(files):
    return sorted({f for f in files for lib in LAZY if os.path.basename(f).startswith(lib)})


with tempfile.TemporaryDirectory() as tmp:
    libs = needed(STORM)
    check(any(n.startswith("libc.so") for n in libs), "readelf lists libc as NEEDED: %s" % libs)
    check(not [n for n in libs if any(n.startswith(lib) for lib in LAZY)],
          "storm does not link the libraries it loads when used: NEEDED %s" % libs)

    events = os.path.join(tmp, "events.jsonl")
    with open(events, "w") as f:
        f.write('{"process_exec":{"process":{"binary":"/bin/cat","arguments":"/etc/shadow"}},"node_name":"n1",'
                '"time":"2026-01-01T00:00:00Z"}\n')
    for args in (["--version"], ["run", "-q", "--cache-dir", os.path.join(tmp, "cache"), events],
                 ["pattern", "check", "[file:name = 'a']"], ["models", "lint", os.path.join(ROOT, "models")]):
        p, files = loaded(args)
        check(p.returncode == 0, "storm %s: exit %d: %s" % (" ".join(args), p.returncode, own_stderr(p)[-400:]))
        check(files != [], "storm %s: LD_DEBUG=files traces the loader" % " ".join(args))
        check(lazy_in(files) == [], "storm %s maps none of %s: %s" % (" ".join(args), LAZY, lazy_in(files)))

    if os.environ.get("STORM_HAVE_TAXII") == "1":
        # storm pull loads libcurl at its first request, which then fails
        # as a network error (nothing listens there), not as a load error
        p, files = loaded(["pull", "-q", "--from", "http://127.0.0.1:9/taxii2/", "--collection", "c",
                           "--db", os.path.join(tmp, "pull.db"), "--timeout", "5"])
        check(p.returncode != 0, "storm pull from a closed port fails: %d" % p.returncode)
        check("libcurl.so.4" in [os.path.basename(f) for f in files], "storm pull loads libcurl.so.4: %s" % lazy_in(files))
        err = own_stderr(p)
        check("127.0.0.1:9" in err and "cannot load" not in err, "storm pull's error is the network's: %s" % err[-400:])

sys.exit(report("test_lazy_libs"))
