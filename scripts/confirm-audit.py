#!/usr/bin/env python3
"""Confirmation soundness audit: what must hold for each rule to be *confirmed*.

For every non-stage rule of engine/rules/*.toml, list the conditions that must
all hold for the engine to call it confirmed (src/diagnose/mod.rs, `evaluate`:
a pattern matches, no `except` does, every `[[rule.confirm]]` holds; a
condition with `refutes = false` is needed to confirm but its failing leaves
the rule unconfirmed) and flag the rules whose confirmation rests on weak
evidence:

  message-only   no condition: bwrap's words alone confirm it;
  context-only   every condition is a context fact (where bwrap runs: the
                 distribution, the container, the caller's uid or filter, the
                 call's options), which says the mechanism *can* be there, not
                 that it refused this step;
  absence-only   every condition holds on an absent fact (exists = false,
                 not_equals, not_in, not_contains(_all), empty = true, or a path
                 seen missing): the cause is inferred from something missing,
                 which several mechanisms produce.

A flag is a question, not a verdict: a message that states its cause
(`--foo is not permitted in setuid mode`) needs no fact. Each flagged rule must
be answered in engine/rules/README.md's "Confirmation soundness audit"
section, by its id in backticks, with the reason its conditions imply its
cause (or be changed). `--check` exits 1 when a flagged rule has no answer.
Only that section counts (up to the next `## ` heading): an id named in a
later section (the coverage table) is no answer.

Usage: scripts/confirm-audit.py [--check] [--all] [--readme FILE]
(--readme: read the answers from FILE instead of engine/rules/README.md)
"""

import glob
import os
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(ROOT, "engine", "rules")

# Facts that say where bwrap runs, not what refused it.
CONTEXT = (
    "os.",
    "container.kind",
    "container.evidence",
    "caller.euid",
    "caller.uid",
    "caller.seccomp",
    "caller.no_new_privs",
    "caller.in_initial_userns",
    "bwrap.setuid",
    "bwrap.version",
    "bwrap.path",
    "apparmor.enabled",
    "apparmor.label",
    "selinux.mode",
    "selinux.context",
    "kernel.release",
    "kernel.version",
    "args.namespaces",
    "args.has:",
    "sandbox.outer_bwrap",
)
TESTS = (
    "equals", "not_equals", "in", "not_in", "matches", "exists", "contains",
    "not_contains", "empty", "greater_than", "less_than", "not_contains_all",
)


def test_of(c):
    for k in TESTS:
        if k in c:
            return k, c[k]
    raise SystemExit(f"condition without a test: {c}")


def holds_on_absence(c):
    k, v = test_of(c)
    if k in ("not_equals", "not_in", "not_contains", "not_contains_all"):
        return True
    if k == "exists" and v is False:
        return True
    if k == "empty" and v is True:
        return True
    # the call's arguments seen to put nothing there: also when they are
    # not known at all
    if c["fact"].startswith("args.shows:") and k == "equals" and v is False:
        return True
    # the program not seen to be foreign: also when it was not seen at all
    if c["fact"].startswith("file.seen_foreign:") and k == "equals" and v is False:
        return True
    # a path seen not to exist
    return c["fact"].startswith("path.exists:") and k == "equals" and v is False


def is_context(c):
    return c["fact"].startswith(CONTEXT)


def describe(c):
    k, v = test_of(c)
    field = "." + c["field"] if "field" in c else ""
    soft = " (refutes = false)" if c.get("refutes") is False else ""
    return f"{c['fact']}{field} {k} {v!r}{soft}"


def flags(rule):
    conds = rule.get("confirm", [])
    if not conds:
        return ["message-only"]
    out = []
    if all(is_context(c) for c in conds):
        out.append("context-only")
    if all(holds_on_absence(c) for c in conds):
        out.append("absence-only")
    return out


def main():
    check = "--check" in sys.argv
    show_all = "--all" in sys.argv
    readme_path = os.path.join(RULES, "README.md")
    if "--readme" in sys.argv:
        readme_path = sys.argv[sys.argv.index("--readme") + 1]
    readme = open(readme_path, encoding="utf-8").read()
    start = readme.find("## Confirmation soundness audit")
    end = readme.find("\n## ", start + 1) if start >= 0 else -1
    audit = "" if start < 0 else readme[start:] if end < 0 else readme[start:end]
    rules = []
    for path in sorted(glob.glob(os.path.join(RULES, "*.toml"))):
        with open(path, "rb") as f:
            for r in tomllib.load(f).get("rule", []):
                if "stage" not in r:
                    rules.append((os.path.basename(path), r))
    missing = []
    flagged = 0
    for file, r in rules:
        fl = flags(r)
        if not fl and not show_all:
            continue
        flagged += bool(fl)
        answered = f"`{r['id']}`" in audit
        mark = "" if not fl else (" [answered]" if answered else " [NOT ANSWERED]")
        print(f"{r['id']} ({file}, cause {r['cause']}): {', '.join(fl) or 'ok'}{mark}")
        for c in r.get("confirm", []):
            print(f"    {describe(c)}")
        if r.get("yields_to"):
            print(f"    yields to {', '.join(r['yields_to'])}")
        if fl and not answered:
            missing.append(r["id"])
    print(f"\n{len(rules)} rules, {flagged} flagged, {len(missing)} without an answer in README.md")
    if check and missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
