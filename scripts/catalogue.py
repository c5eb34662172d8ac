#!/usr/bin/env python3
"""Extract the messages bubblewrap can print from its C source, as data.

Reads bubblewrap's C files (bubblewrap.c, utils.c, bind-mount.c, network.c
and whatever other top-level *.c a release has) as text and finds every
call of its logging functions: die, die_with_error, die_with_mount_error,
die_with_bind_result (with each text of bind_mount_result_to_string),
die_unless_label_valid's own messages, warn, die_oom and usage. Nothing of
bubblewrap is copied but the message texts themselves.

  catalogue.py OUT.toml STEPS.toml RELEASE=DIR [RELEASE=DIR...]

RELEASE is an upstream version ("0.8.0") or a distribution's package,
"debian:0.8.0-2+deb12u1" or "ubuntu:0.9.0-1ubuntu0.2"; DIR a source tree
of it, or "strings:FILE", the strings of its binary. A format no upstream
release prints is a distribution's patched wording: `variant = "debian"`
when a Debian package prints it (Ubuntu's packages of it too, as Ubuntu
inherits Debian's patches), `variant = "ubuntu"` when only Ubuntu's do.
STEPS.toml (rules/catalogue/steps.toml) gives each setup step its errnos
and the patterns that put a format in it; the catalogue repeats the
errnos with each message.
"""

import os
import re
import sys
import tomllib

LOG_FUNCS = {
    "die": ("error", "none"),
    "die_with_error": ("error", "strerror"),
    "die_with_mount_error": ("error", "mount_strerror"),
    "warn": ("warning", "none"),
    "die_with_bind_result": ("error", "bind_result"),
}


def strip_comments(text):
    """C comments out, strings kept (a comment opener inside a string stays)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append("\n" * text.count("\n", i, j))
            i = j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_disabled(text):
    """Remove `#if 0` blocks (debug() is defined away in them)."""
    out, depth, skip = [], 0, 0
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#if"):
            depth += 1
            if skip:
                skip += 1
            elif s == "#if 0":
                skip = 1
            out.append("" if skip else line)
            continue
        if s.startswith("#else") and skip == 1:
            skip = 0
            out.append("")
            continue
        if s.startswith("#endif"):
            depth -= 1
            if skip:
                skip -= 1
                out.append("")
                continue
        out.append("" if skip else line)
    return "\n".join(out)


def call_args(text, start):
    """The top-level arguments of the call whose `(` is at `start`."""
    args, depth, i, cur = [], 0, start, []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i : j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise ValueError("unbalanced call")


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0"}


def literal(expr):
    """The value of a concatenation of C string literals, or None."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', expr)
    rest = re.sub(r'"((?:[^"\\]|\\.)*)"', "", expr).strip()
    if not parts or rest:
        return None
    s = "".join(parts)
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), s)


CONV = re.compile(r"%[-+ #0]*(\d+|\*)?(\.\d+)?(hh|h|ll|l|j|z|t)?[diouxXsc%]")


def conversions(fmt):
    return [m.group(0) for m in CONV.finditer(fmt) if m.group(0) != "%%"]


def sample(conv, expr):
    """A plausible value for one conversion, from its argument's expression."""
    if conv.endswith("s"):
        e = expr.lower()
        if "strerror" in e:
            return "{errno}"
        if re.search(r"label", e):
            return "system_u:object_r:x_t:s0"
        if re.search(r"\b(arg|option|name)\b|argv\[0\]\b(?!.*path)", e) and "path" not in e:
            return "--x"
        return "/tmp/x/y"
    if conv.endswith("c"):
        return "x"
    if conv[-1] in "xX":
        return "1f"
    return "3"


def function_at(text, pos):
    """The C function whose body holds `pos` (bubblewrap's style: name at column 0)."""
    best = None
    for m in re.finditer(r"^([a-z_][a-z0-9_]*) \(", text[:pos], re.M):
        best = m.group(1)
    return best or "?"


def bind_result_texts(text):
    """bind_mount_result_to_string's texts: (format, wants errno, errno kind)."""
    m = re.search(r"bind_mount_result_to_string \(.*?\n}\n", text, re.S)
    if not m:
        return []
    body = m.group(0)
    out = []
    for case in re.finditer(r"case (BIND_MOUNT_[A-Z_]+):(.*?)break;", body, re.S):
        name, code = case.groups()
        if name == "BIND_MOUNT_SUCCESS":
            continue
        call = re.search(r"x(?:strdup|asprintf) \(", code)
        if call is None:
            continue
        args, _ = call_args(code, call.end() - 1)
        fmt = literal(args[0])
        want = not re.search(r"want_errno = false", code, re.I)
        mount_kind = name in (
            "BIND_MOUNT_ERROR_MOUNT",
            "BIND_MOUNT_ERROR_REMOUNT_DEST",
            "BIND_MOUNT_ERROR_REMOUNT_SUBMOUNT",
        )
        samples = ["/tmp/x/y"] * len(conversions(fmt))
        out.append((fmt, samples, want, "mount_strerror" if mount_kind else "strerror"))
    return out


def extract(tree):
    """Every message one source tree can print: dicts with format, kind…"""
    found = []
    files = sorted(f for f in os.listdir(tree) if f.endswith(".c"))
    texts = {}
    for f in files:
        with open(os.path.join(tree, f), encoding="utf-8", errors="replace") as fh:
            texts[f] = drop_disabled(strip_comments(fh.read()))
    bind_texts = []
    for f, text in texts.items():
        bind_texts += bind_result_texts(text)
    for f, text in texts.items():
        for m in re.finditer(r"(?<![\w.>])(%s)\s*\(" % "|".join(LOG_FUNCS), text):
            func = m.group(1)
            at = function_at(text, m.start())
            if m.start() == 0 or text[m.start() - 1] == "\n":
                continue  # a definition, at column 0
            args, _ = call_args(text, m.end() - 1)
            fmt_index = 0
            if func == "die_with_bind_result":
                # (result, errno, [failing path,] format, ...): 0.6 has no failing path
                fmt_index = next((i for i in (2, 3) if i < len(args) and literal(args[i]) is not None), 3)
            if len(args) <= fmt_index or args[0].startswith("const "):
                continue  # a declaration
            fmt = literal(args[fmt_index])
            if fmt is None:
                print(f"catalogue: {f}: {at}: {func} with a computed format: {args[fmt_index]}", file=sys.stderr)
                continue
            level, errkind = LOG_FUNCS[func]
            convs = conversions(fmt)
            exprs = args[fmt_index + 1 :]
            samples = [sample(c, exprs[i] if i < len(exprs) else "") for i, c in enumerate(convs)]
            if "{errno}" in samples:
                errkind = "inline"
            where = f"{f}:{at}"
            if func == "die_with_bind_result":
                for detail, dsamples, want, kind in bind_texts:
                    found.append(
                        dict(
                            format=f"{fmt}: {detail}",
                            samples=samples + dsamples,
                            level=level,
                            errno=kind if want else "none",
                            function=func,
                            where=where,
                        )
                    )
                continue
            found.append(dict(format=fmt, samples=samples, level=level, errno=errkind, function=func, where=where))
        # die_unless_label_valid and die_oom have their own texts
    if any("die_oom (" in t for t in texts.values()):
        oom = re.search(r'die_oom \(void\)\s*{\s*(?:fputs|fprintf) \((?:stderr, )?("[^"]*")', texts.get("utils.c", ""))
        if oom:
            text = literal(oom.group(1)).rstrip("\n")
            found.append(dict(format=text, samples=[], level="error", errno="none", function="die_oom", where="utils.c:die_oom", prefix=False))
    usage = re.search(r'fprintf \(out, ("usage: [^"]*")', texts.get("bubblewrap.c", ""))
    if usage:
        text = literal(usage.group(1)).strip("\n")
        found.append(dict(format=text, samples=["bwrap"], level="error", errno="none", function="usage", where="bubblewrap.c:usage", prefix=False))
    return found


def version_key(v):
    return [int(x) for x in re.match(r"[\d.]+", v).group(0).rstrip(".").split(".")]


def package_key(v):
    """A package version's order among its release's packages (digits as
    numbers: 0.9.0-1build1 < 0.9.0-1ubuntu0.2 < 0.9.0-1ubuntu0.3)."""
    return (version_key(v), [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.findall(r"\d+|\D+", v)])


def main():
    out_path, steps_path, *pairs = sys.argv[1:]
    with open(steps_path, "rb") as fh:
        steps = tomllib.load(fh)["step"]
    for s in steps:
        s["_res"] = [re.compile(p) for p in s.get("formats", [])]
    releases = []
    for p in pairs:
        rel, d = p.split("=", 1)
        dist, _, rel = rel.rpartition(":")
        releases.append((rel, d, dist or "upstream"))
    by_format = {}
    upstream = {}
    from_strings = []
    lists = {"upstream": "releases", "debian": "debian", "ubuntu": "ubuntu"}
    for rel, d, dist in releases:
        if d.startswith("strings:"):
            from_strings.append((rel, d[len("strings:") :], dist))
            continue
        msgs = extract(d)
        upstream[(dist, rel)] = {m["format"] for m in msgs}
        for m in msgs:
            e = by_format.setdefault(m["format"], dict(m, releases=[], debian=[], ubuntu=[]))
            e[lists[dist]].append(rel)
    # A package known only by its binary's strings: the formats any
    # release prints that are (the end of) one of its strings, as the
    # linker may merge a string into another that ends with it.
    for rel, path, dist in from_strings:
        with open(path, encoding="utf-8", errors="replace") as fh:
            strs = [l.rstrip("\n") for l in fh]
        ends = set()
        for s_ in strs:
            for k in range(len(s_)):
                ends.add(s_[k:])
        have = {f for f in by_format if f in ends}
        upstream[(dist, rel)] = have
        for f in have:
            by_format[f][lists[dist]].append(rel)
    # The distributions' own wordings: formats no upstream release prints.
    for fmt, e in by_format.items():
        e["variant"] = "upstream" if e["releases"] else "debian" if e["debian"] else "ubuntu"
    unassigned = []
    entries = []
    for fmt, e in sorted(by_format.items(), key=lambda kv: (version_key(sorted(kv[1]["releases"] + kv[1]["debian"] + kv[1]["ubuntu"], key=version_key)[0]), kv[1]["where"], kv[0])):
        step = next((s for s in steps if any(r.search(fmt) for r in s["_res"])), None)
        if step is None:
            unassigned.append(fmt)
            step = next(s for s in steps if s["id"] == "other")
        e["step"] = step["id"]
        e["errnos"] = step["errnos"] if e["errno"] != "none" else []
        entries.append(e)
    for f in unassigned:
        print(f"catalogue: no step for {f!r} (step `other`)", file=sys.stderr)
    q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    ql = lambda xs: "[" + ", ".join(q(x) for x in xs) + "]"
    lines = [
        "# bubblewrap's messages, from its source: generated by scripts/catalogue.sh; do not edit.",
        "# rules/catalogue/README.md describes the fields.",
        "",
    ]
    # Upstream and Debian as they come (Debian's after upstream's of a
    # release); Ubuntu's after both, in version order.
    for rel, d, dist in sorted(releases, key=lambda r: (version_key(r[0]), r[2] == "ubuntu", package_key(r[0]) if r[2] == "ubuntu" else 0)):
        lines += ["[[source]]", f"release = {q(rel)}"]
        if dist != "upstream":
            lines.append(f"distribution = {q(dist)}")
        lines += [f"messages = {len(upstream[(dist, rel)])}", ""]
    for i, e in enumerate(entries, 1):
        lines += [
            "[[message]]",
            f"id = {i}",
            f"format = {q(e['format'])}",
            f"samples = {ql(e['samples'])}",
            f"level = {q(e['level'])}",
            f"errno = {q(e['errno'])}",
            f"step = {q(e['step'])}",
            f"errnos = {ql(e['errnos'])}",
            f"releases = {ql(sorted(e['releases'], key=version_key))}",
        ]
        if e["debian"]:
            lines.append(f"debian = {ql(sorted(e['debian'], key=version_key))}")
        if e["ubuntu"]:
            lines.append(f"ubuntu = {ql(sorted(e['ubuntu'], key=package_key))}")
        lines += [f"variant = {q(e['variant'])}", f"where = {q(e['where'])}"]
        if e.get("prefix") is False:
            lines.append("prefix = false")
        lines.append("")
    with open(out_path, "w") as fh:
        fh.write("\n".join(lines))
    total = sum(len(e["releases"]) + len(e["debian"]) + len(e["ubuntu"]) for e in entries)
    print(f"catalogue: {len(entries)} messages, {total} message×release pairs, {len(releases)} releases", file=sys.stderr)


if __name__ == "__main__":
    main()
