#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every command's --help and its page docs/cli/<command>.md agree: each
option --help names is on the page, and each option the page's "## Options"
list documents is one --help names. The commands are listed here on purpose:
a new command needs a page (and a line below)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, check, report, run  # noqa: E402

# command -> options its --help mentions only to point at another command
COMMANDS = {
    "pattern": set(), "match": set(), "convert": set(), "run": set(), "models": set(),
    "baseline": set(), "sessions": set(), "report": set(), "serve": {"--to-db", "--collection"}, "users": {"--users"},
    "publish": {"--collections"}, "pull": {"--models"},
    "hunt": {"--keep-observations"},
    "policy": set(), "instrument": set(), "bait": set(),
}
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
HELP_ALWAYS = {"-h", "--help"}  # accepted by every command, not always listed
if os.environ.get("STORM_HAVE_TAXII") == "0":  # -Dtaxii=disabled: serve, publish and pull are not built
    for _cmd in ("serve", "publish", "pull"):
        del COMMANDS[_cmd]


def page_options(text):
    """The options of the "## Options" list: the option words of each item
    before its first ': '."""
    opts, inside = set(), False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Options"
        elif inside and line.startswith("- "):
            opts |= set(OPTION.findall(line[2:].split(": ", 1)[0]))
    return opts


def main():
    for cmd, elsewhere in COMMANDS.items():
        r = run([cmd, "--help"], timeout=60)
        check(r.returncode == 0, f"storm {cmd} --help: exit {r.returncode}")
        helped = set(OPTION.findall(r.stdout.decode())) - elsewhere
        check(len(helped) > 0, f"storm {cmd} --help names options")
        path = os.path.join(ROOT, "docs", "cli", cmd + ".md")
        if not os.path.exists(path):
            check(False, f"{path} exists")
            continue
        documented = page_options(open(path, encoding="utf-8").read())
        for opt in sorted(helped - documented):
            check(False, f"storm {cmd}: {opt} is in --help but not in the Options of docs/cli/{cmd}.md")
        for opt in sorted(documented - helped - HELP_ALWAYS):
            check(False, f"storm {cmd}: docs/cli/{cmd}.md documents {opt}, which --help does not name")
        check(True, f"storm {cmd}: --help and docs/cli/{cmd}.md compared")
    return report("test_cli_docs")


if __name__ == "__main__":
    sys.exit(main())
