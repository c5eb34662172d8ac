#!/usr/bin/env python3
"""Prior audit: the order the engine gives unconfirmed causes, against the
counts of the development corpus.

For every development case (tests/corpus, tests/corpus/test, test-b, test-c, test-d, test-e, test-f, test-g;
never a held-out set) it runs `bwrap-doctor explain --json --snapshot` on the
case's stderr three times, as tests/it/diagnosis/corpus.rs replays it:

  few    only the thread's `os.*` and `container.kind` facts, no arguments;
  os     only the `os.*` facts;
  none   no fact at all: the prior alone orders the candidates.

A case's *message family* is the set of rule ids its stderr matches with no
fact (which rules match depends on the words only); its *context* is its
distribution family (the `os.id`, Ubuntu split at 23.10 where its restriction
on user namespaces began) and its `container.kind` ("?" where the thread
does not say). For each family × context the audit prints the causes of the
development cases (the thread's `cause`) beside the cause the engine names
first with those few facts, and lists the **disagreements**: contexts where
the engine's first cause is not the most frequent cause of the family's
development cases there (ties are shown, not counted). It does the same per
family with no fact at all.

A disagreement is a question, not a verdict: a prior is changed only where
several cases and the mechanism agree (engine/rules/README.md, "Where the
numbers come from").

Usage: scripts/prior-audit.py [--bin PATH] [--all] [--cases] [--jobs N]
  --bin    the bwrap-doctor binary (default: $CARGO_TARGET_DIR or ./target,
           debug build)
  --all    print every family × context, not only the disagreements
  --cases  print each case's family, context, cause and the firsts named
  --rules  print per rule: the cases its words match, how many of them have
           its cause, and the prior it gets with no fact
  --thread also replay each case on all its thread's facts and arguments
           (the suite's figure with floors) and print named first, confirmed
           and wrong confirmations per set: a prior change must not move them
  --jobs   parallel explain runs (default 2)
Stdlib only (Python 3.11+).
"""

import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The development sets. A held-out set is never read here.
SETS = ["tests/corpus", "tests/corpus/test", "tests/corpus/test-b", "tests/corpus/test-c", "tests/corpus/test-d", "tests/corpus/test-e", "tests/corpus/test-f", "tests/corpus/test-g"]
REPLAYS = {
    "few": ("os.", "container.kind"),
    "os": ("os.",),
    "none": (),
}


def arg(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def binary():
    b = arg("--bin")
    if b:
        return b
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "bwrap-doctor")


def load(set_):
    d = os.path.join(ROOT, set_)
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".toml"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            t = tomllib.load(f)
        out.append(
            {
                "set": set_.removeprefix("tests/corpus").strip("/") or "dev",
                "file": name,
                "cause": t["cause"],
                "also": t.get("also", []),
                "stderr": t["stderr"],
                "facts": t.get("facts", {}),
                "argv": t.get("argv", []),
            }
        )
    return out


def named(v):
    """The causes `explain --json` names, in order, with verdicts (as corpus.rs)."""
    out = []
    for c in v["candidates"]:
        if c["superseded_by"] is not None or c["verdict"] == "refuted":
            continue
        causes = c.get("causes") or []
        out.append((c["verdict"], causes[0]["cause"] if causes else c["cause"]))
    return out


def explain(bin_, case, keep, tmp):
    """`keep`: the fact prefixes kept (no arguments), or None: every fact
    the thread states and the call's arguments."""
    if keep is None:
        facts = case["facts"]
    else:
        facts = {k: v for k, v in case["facts"].items() if any(k.startswith(p) for p in keep)}
    snap = {
        "schema": "bwrap-doctor/snapshot",
        "schema_version": 1,
        "note": f"prior-audit {case['set']}/{case['file']}",
        "facts": facts,
    }
    path = os.path.join(tmp, f"{case['set']}-{case['file']}-{-1 if keep is None else len(keep)}.json")
    with open(path, "w") as f:
        json.dump(snap, f)
    argv = ["--", *case["argv"]] if keep is None and case["argv"] else []
    p = subprocess.run(
        [bin_, "explain", "--json", "--snapshot", path, *argv],
        input=case["stderr"].encode(),
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        timeout=120,
    )
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"{case['set']}/{case['file']}: no JSON: {p.stderr.decode()}")


def family_of(v):
    """The rule ids the words match, without facts (specific rules; else the stage rules)."""
    rules = [c["rule"] for c in v["candidates"]]
    specific = sorted({r for r in rules if not r.startswith("stage.")})
    return tuple(specific) or tuple(sorted(set(rules))) or ("(no rule)",)


def distro(facts):
    i = facts.get("os.id")
    if i is None:
        return "?"
    if i == "ubuntu":
        v = str(facts.get("os.version_id", ""))
        try:
            major, minor = (int(x) for x in (v.split(".") + ["0"])[:2])
        except ValueError:
            return "ubuntu"
        return "ubuntu-23.10+" if (major, minor) >= (23, 10) else "ubuntu<23.10"
    if i in ("fedora", "bazzite", "secureblue", "rhel", "centos", "rocky", "almalinux"):
        return "fedora/rhel"
    if i in ("arch", "artix", "manjaro", "endeavouros", "cachyos"):
        return "arch"
    return i


def context_of(facts):
    return f"{distro(facts)} / {facts.get('container.kind', '?')}"


def right(case, first, confirmed):
    if case["cause"] == "other":
        return not confirmed
    return first == case["cause"]


def main():
    bin_ = binary()
    if not os.access(bin_, os.X_OK):
        raise SystemExit(f"no binary at {bin_}: cargo build first, or --bin PATH")
    cases = [c for s in SETS for c in load(s)]
    jobs = int(arg("--jobs", "2"))
    replays = dict(REPLAYS)
    if "--thread" in sys.argv:
        replays["thread"] = None
    with tempfile.TemporaryDirectory(prefix="prior-audit-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            futs = {
                (i, r): ex.submit(explain, bin_, c, keep, tmp)
                for i, c in enumerate(cases)
                for r, keep in replays.items()
            }
            for (i, r), f in futs.items():
                v = f.result()
                shown = named(v)
                cases[i][r] = [c for _, c in shown]
                cases[i][r + "_confirmed"] = [c for vv, c in shown if vv == "confirmed"]
                if r == "none":
                    cases[i]["priors"] = {c["rule"]: c.get("prior") for c in v["candidates"]}
                    cases[i]["family"] = family_of(v)
                    cases[i]["message"] = next(
                        (c["message"]["text"] for c in v["candidates"] if c.get("message")), ""
                    )

    # Figures per set, as the corpus test counts them.
    print("Named first, per set (few = os.* + container.kind; os = os.* alone; none = no fact):")
    print(f"  {'set':<8} {'cases':>5} {'few':>12} {'os':>12} {'none':>12}  wrong confirmations")
    for s in SETS:
        name = s.removeprefix("tests/corpus").strip("/") or "dev"
        mine = [c for c in cases if c["set"] == name]
        cells, wrong = [], []
        for r in REPLAYS:
            n = 0
            for c in mine:
                conf = c[r + "_confirmed"]
                bad = [x for x in conf if x != c["cause"] and x not in c["also"]]
                if bad:
                    wrong.append(f"{r}:{c['file']}:{bad}")
                    continue
                n += right(c, (c[r] or [None])[0], conf)
            cells.append(f"{n}/{len(mine)} {100 * n / len(mine):.1f}%")
        print(f"  {name:<8} {len(mine):>5} {cells[0]:>12} {cells[1]:>12} {cells[2]:>12}  {wrong or ''}")
    total = len(cases)
    for r in REPLAYS:
        n = sum(right(c, (c[r] or [None])[0], c[r + "_confirmed"]) for c in cases)
        print(f"  all {r}: {n}/{total} ({100 * n / total:.1f}%)")

    if "--thread" in sys.argv:
        print("On the thread's facts and arguments: named first, confirmed right, confirmed wrong")
        for s in SETS:
            name = s.removeprefix("tests/corpus").strip("/") or "dev"
            mine = [c for c in cases if c["set"] == name]
            first = conf_right = 0
            wrong = []
            for c in mine:
                conf = c["thread_confirmed"]
                if [x for x in conf if x != c["cause"] and x not in c["also"]]:
                    wrong.append(c["file"][:3])
                    continue
                first += right(c, (c["thread"] or [None])[0], conf)
                conf_right += right(c, (conf or [None])[0], conf)
            print(f"  {name:<8} {first}/{len(mine)} named first, {conf_right} confirmed, wrong: {wrong}")

    if "--cases" in sys.argv:
        print("\nCases: set/file | context | cause | first few / os / none | family")
        for c in cases:
            firsts = " / ".join((c[r] or ["-"])[0] for r in REPLAYS)
            print(
                f"  {c['set']}/{c['file']} | {context_of(c['facts'])} | {c['cause']} | "
                f"{firsts} | {','.join(c['family'])}"
            )

    if "--rules" in sys.argv:
        print("\nPer rule, with no fact: cases matched, of them with its cause, prior applied")
        causes = {}
        per = collections.defaultdict(list)
        for c in cases:
            for rule, prior in c["priors"].items():
                per[rule].append((c, prior))
        rows = []
        for rule, hits in per.items():
            cause = rule.split(".")[0]
            k = sum(c["cause"] == cause for c, _ in hits)
            known = sum(c["cause"] != "other" for c, _ in hits)
            priors = sorted({str(p) for _, p in hits})
            rows.append((rule, len(hits), known, k, ",".join(priors)))
        for rule, n, known, k, pr in sorted(rows, key=lambda r: (r[3] / max(r[2], 1), -r[1])):
            print(f"  {rule:<52} matched {n:>3} (cause known {known:>3}), its cause {k:>3}; prior {pr}")

    show_all = "--all" in sys.argv
    fams = collections.defaultdict(list)
    for c in cases:
        fams[c["family"]].append(c)

    def verdict(group, replay):
        """How the engine's first cause compares with the cases' causes.

        A case whose thread found no cause the rules know (`other`) is right
        when nothing is confirmed, whatever is named first: it bears on no
        order, so it is shown but not counted."""
        counts = collections.Counter(c["cause"] for c in group)
        firsts = collections.Counter((c[replay] or ["(nothing)"])[0] for c in group)
        known = collections.Counter({k: n for k, n in counts.items() if k != "other"})
        if not known:
            return "other only", counts, firsts
        top = known.most_common()
        best = top[0][1]
        leaders = {k for k, n in top if n == best}
        engine = firsts.most_common(1)[0][0]
        if engine in leaders and len(leaders) == 1:
            return "agrees", counts, firsts
        if engine in leaders:
            return "tie", counts, firsts
        return "DISAGREES", counts, firsts

    def fmt(counter):
        return ", ".join(f"{k} {n}" for k, n in counter.most_common())

    print("\nPer message family × context, with os.* + container.kind (few):")
    n_dis = 0
    rows = []
    for fam, group in sorted(fams.items(), key=lambda kv: -len(kv[1])):
        ctxs = collections.defaultdict(list)
        for c in group:
            ctxs[context_of(c["facts"])].append(c)
        for ctx, g in sorted(ctxs.items(), key=lambda kv: -len(kv[1])):
            v, counts, firsts = verdict(g, "few")
            if v == "DISAGREES":
                n_dis += 1
            if v == "DISAGREES" or show_all:
                rows.append((fam, ctx, g, v, counts, firsts))
    for fam, ctx, g, v, counts, firsts in rows:
        sets = collections.Counter(c["set"] for c in g)
        print(f"  [{v}] {ctx}: {len(g)} case(s) ({fmt(sets)}) of {g[0]['message']!r}")
        print(f"      family: {', '.join(fam)}")
        print(f"      causes: {fmt(counts)}; engine names first: {fmt(firsts)}")
        print(f"      cases: {' '.join(c['set'] + '/' + c['file'][:3] for c in g)}")
    print(f"  {n_dis} family × context cells disagree")

    print("\nPer message family, with no fact (the prior alone):")
    n_dis = 0
    for fam, group in sorted(fams.items(), key=lambda kv: -len(kv[1])):
        v, counts, firsts = verdict(group, "none")
        if v == "DISAGREES":
            n_dis += 1
        if v == "DISAGREES" or show_all:
            print(f"  [{v}] {len(group)} case(s) of {group[0]['message']!r}")
            print(f"      family: {', '.join(fam)}")
            print(f"      causes: {fmt(counts)}; engine names first: {fmt(firsts)}")
            print(f"      cases: {' '.join(c['set'] + '/' + c['file'][:3] for c in group)}")
    print(f"  {n_dis} families disagree with no fact")


if __name__ == "__main__":
    main()
