//! A small, forgiving reader of `AppArmor` policy files: enough to know which
//! top-level profiles a file defines, the executable paths they attach to,
//! their flags, and whether they grant `userns`. It is not `apparmor_parser`:
//! anything it does not understand is skipped, never fatal.
//!
//! Header shapes handled: `profile NAME ATTACH flags=(a,b) {`,
//! `profile NAME flags=(...) {`, `ATTACH flags=(...) {`, `ATTACH (a,b) {`,
//! `ATTACH {`, `profile /path {` (the name is the attachment), quoted names
//! and paths, `flags = ( a, b )`, `xattrs=(...)`. Also: `#` comments,
//! `include`/`#include` lines, `abi <...>,`, variable definitions
//! (`@{VAR} = a b`, `@{VAR} += c`), glob braces inside paths, and nested
//! blocks (hats, child profiles), whose contents are ignored.

use std::collections::BTreeMap;

/// One top-level profile of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The attachment as written (variables not yet expanded); `None` for a
    /// profile that attaches to no executable.
    pub attach: Option<String>,
    pub flags: Vec<String>,
    /// The body allows creating user namespaces (`userns,`, `allow userns,`,
    /// `userns create,`, `all,`) and does not deny it.
    pub userns: bool,
    /// Capabilities the body allows and does not deny, by name without
    /// `cap_` (`net_admin`); `all` for `capability,` or `all,`.
    pub capabilities: Vec<String>,
    /// The body allows every mount (`mount,`, `allow mount,`, `all,`) and
    /// denies none.
    pub mount_all: bool,
}

/// What a file defines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub profiles: Vec<Profile>,
    /// Variable definitions in file order: (name, values, appends).
    pub vars: Vec<(String, Vec<String>, bool)>,
}

pub fn parse(text: &str) -> Policy {
    let c: Vec<char> = text.chars().collect();
    let mut pol = Policy::default();
    let mut depth = 0usize;
    let mut stmt = String::new();
    let mut header: Option<String> = None;
    let mut rules: Vec<String> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let keep = depth <= 1;
        match ch {
            '"' => {
                let start = i;
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if keep {
                    stmt.extend(&c[start..(i + 1).min(c.len())]);
                }
            }
            '#' if at_token_start(&c, i) => {
                if starts_with(&c, i, "#include") {
                    if keep {
                        stmt.push('#');
                    }
                } else {
                    while i + 1 < c.len() && c[i + 1] != '\n' {
                        i += 1;
                    }
                }
            }
            '{' => {
                if let Some(end) = glob_brace_end(&c, i) {
                    if keep {
                        stmt.extend(&c[i..=end]);
                    }
                    i = end;
                } else {
                    if depth == 0 {
                        header = Some(std::mem::take(&mut stmt));
                        rules.clear();
                    } else {
                        stmt.clear(); // a nested block's header
                    }
                    depth += 1;
                }
            }
            '}' => {
                if depth > 0 {
                    depth -= 1;
                    if depth == 0 {
                        let last = std::mem::take(&mut stmt);
                        if !last.trim().is_empty() {
                            rules.push(last);
                        }
                        if let Some(p) = header.take().and_then(|h| profile(&h, &rules)) {
                            pol.profiles.push(p);
                        }
                    }
                } else {
                    stmt.clear();
                }
            }
            ',' if keep && parens(&stmt) == 0 => {
                let s = std::mem::take(&mut stmt);
                if depth == 1 {
                    rules.push(s);
                }
            }
            '\n' if keep => {
                let t = stmt.trim_start();
                if is_line_statement(t) {
                    if depth == 0
                        && let Some(v) = variable(t)
                    {
                        pol.vars.push(v);
                    }
                    stmt.clear();
                } else {
                    stmt.push(' ');
                }
            }
            ch if keep => stmt.push(ch),
            _ => {}
        }
        i += 1;
    }
    let t = stmt.trim_start();
    if depth == 0
        && is_line_statement(t)
        && let Some(v) = variable(t)
    {
        pol.vars.push(v);
    }
    pol
}

fn starts_with(c: &[char], i: usize, s: &str) -> bool {
    let n = s.chars().count();
    c.get(i..i + n)
        .is_some_and(|w| w.iter().copied().eq(s.chars()))
}

fn at_token_start(c: &[char], i: usize) -> bool {
    i == 0 || c[i - 1].is_whitespace() || matches!(c[i - 1], ',' | '{' | '}')
}

/// Statements that end at the end of the line rather than at a comma.
fn is_line_statement(t: &str) -> bool {
    t.starts_with("include")
        || t.starts_with("#include")
        || t.starts_with("@{")
        || t.starts_with('$')
}

/// Open parentheses in the text so far (commas inside them do not end a
/// statement: `flags=(a,b)`, `dbus (send, receive)`).
fn parens(s: &str) -> i32 {
    let mut n = 0;
    let mut quoted = false;
    for ch in s.chars() {
        match ch {
            '"' => quoted = !quoted,
            '(' if !quoted => n += 1,
            ')' if !quoted => n -= 1,
            _ => {}
        }
    }
    n
}

/// If the `{` at `i` is a glob alternation (`/usr/{bin,sbin}/x`,
/// `@{HOME}`, `{/usr,}/bin/x`) rather than a block, the index of its
/// closing `}`. A glob has no blanks, is not empty, and is either glued to
/// the text before it or followed by more path.
fn glob_brace_end(c: &[char], i: usize) -> Option<usize> {
    let glued = i > 0 && !c[i - 1].is_whitespace() && !matches!(c[i - 1], ')' | '=' | ',');
    let mut depth = 0;
    let mut j = i;
    while j < c.len() {
        match c[j] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ch if ch.is_whitespace() => return None,
            _ => {}
        }
        j += 1;
    }
    if j >= c.len() || j == i + 1 {
        return None;
    }
    let continues = c
        .get(j + 1)
        .is_some_and(|n| !n.is_whitespace() && !matches!(n, ',' | '}' | '{'));
    (glued || continues).then_some(j)
}

/// `@{NAME} = a b` / `@{NAME} += c` → (NAME, [a, b], appends).
fn variable(t: &str) -> Option<(String, Vec<String>, bool)> {
    let rest = t.strip_prefix("@{")?;
    let close = rest.find('}')?;
    let name = rest[..close].to_string();
    let after = rest[close + 1..].trim_start();
    let (append, values) = if let Some(v) = after.strip_prefix("+=") {
        (true, v)
    } else {
        (false, after.strip_prefix('=')?)
    };
    Some((
        name,
        tokens(values).into_iter().map(|v| unquote(&v)).collect(),
        append,
    ))
}

/// Split on blanks, keeping quoted strings and parenthesised lists whole.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut paren) = (false, 0i32);
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if quoted => {
                cur.push(ch);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            '(' if !quoted => {
                paren += 1;
                cur.push(ch);
            }
            ')' if !quoted => {
                paren -= 1;
                cur.push(ch);
            }
            ch if ch.is_whitespace() && !quoted && paren <= 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            ch => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `"a b"` → `a b` (with `\` escapes); anything else unchanged.
pub fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        if ch == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(ch);
        }
    }
    out
}

fn flag_list(s: &str) -> Vec<String> {
    let inner = match (s.find('('), s.rfind(')')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim_start_matches(['=', ' ']),
    };
    inner
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

fn looks_like_path(t: &str) -> bool {
    t.starts_with('/') || t.starts_with("@{") || t.starts_with("\"/") || t.starts_with('{')
}

/// A top-level block's header and rules → a profile (None for blocks that
/// are not profiles).
fn profile(header: &str, rules: &[String]) -> Option<Profile> {
    let toks = tokens(header.trim());
    let mut it = toks.into_iter().peekable();
    let first = it.next()?;
    let (name, mut attach) = if first == "profile" {
        (unquote(&it.next()?), None)
    } else if looks_like_path(&first) {
        let p = unquote(&first);
        (p.clone(), Some(p))
    } else {
        return None;
    };
    let mut flags = Vec::new();
    while let Some(t) = it.next() {
        let mut gather = |mut s: String| {
            while parens(&s) > 0 || !s.contains('(') {
                match it.next() {
                    Some(n) => {
                        s.push(' ');
                        s.push_str(&n);
                    }
                    None => break,
                }
            }
            s
        };
        let flags_rest = t
            .strip_prefix("flags")
            .filter(|r| r.is_empty() || r.starts_with('='));
        if let Some(rest) = flags_rest {
            flags = flag_list(&gather(rest.to_string()));
        } else if t.starts_with('(') {
            flags = flag_list(&t);
        } else if t.ends_with('=') {
            let _ = gather(t); // `xattrs= (...)`, `xattrs = (...)`
        } else if t.contains('=') {
            // `xattrs=(...)`, `priority=10`: not needed here
        } else if attach.is_none() && looks_like_path(&t) {
            attach = Some(unquote(&t));
        }
    }
    if attach.is_none() && name.starts_with('/') {
        attach = Some(name.clone());
    }
    Some(Profile {
        name,
        attach,
        flags,
        userns: grants_userns(rules),
        capabilities: granted_capabilities(rules),
        mount_all: allows_every_mount(rules),
    })
}

/// A blanket mount rule, and no mount denied.
pub fn allows_every_mount(rules: &[String]) -> bool {
    let (mut all, mut denied) = (false, false);
    for r in rules {
        let (deny, w) = rule_words(r);
        match w.first() {
            Some(&"mount") if deny => denied = true,
            Some(&"mount") if w.len() == 1 => all = true,
            Some(&"all") if !deny => all = true,
            _ => {}
        }
    }
    all && !denied
}

/// The rule's words after its qualifiers, and whether it denies.
fn rule_words(r: &str) -> (bool, Vec<&str>) {
    let words: Vec<&str> = r.split_whitespace().collect();
    let mut w = words.as_slice();
    let mut denied = false;
    while let Some((first, rest)) = w.split_first() {
        match *first {
            "audit" | "quiet" | "allow" => w = rest,
            "deny" => {
                denied = true;
                w = rest;
            }
            f if f.starts_with("priority=") => w = rest,
            _ => break,
        }
    }
    (denied, w.to_vec())
}

/// The capabilities the rules allow and do not deny (`capability a b,`,
/// `capability,` and `all,` for all of them).
pub fn granted_capabilities(rules: &[String]) -> Vec<String> {
    let (mut allow, mut deny): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for r in rules {
        let (denied, w) = rule_words(r);
        let caps: Vec<String> = match w.as_slice() {
            ["all" | "capability"] => vec!["all".into()],
            ["capability", names @ ..] => {
                names.iter().map(std::string::ToString::to_string).collect()
            }
            _ => continue,
        };
        if denied {
            deny.extend(caps);
        } else {
            allow.extend(caps);
        }
    }
    allow.sort();
    allow.dedup();
    if deny.iter().any(|d| d == "all") {
        return Vec::new();
    }
    allow.retain(|c| !deny.contains(c));
    allow
}

/// Whether the rules allow `userns` (create): an allow rule for it (or for
/// `all`), and no deny rule.
pub fn grants_userns(rules: &[String]) -> bool {
    let (mut allow, mut deny) = (false, false);
    for r in rules {
        let (denied, w) = rule_words(r);
        let userns = matches!(w.as_slice(), ["userns" | "all"] | ["userns", "create"]);
        if userns {
            if denied {
                deny = true;
            } else {
                allow = true;
            }
        }
    }
    allow && !deny
}

/// Expand `@{NAME}` references: one value as itself, several as a glob
/// alternation `{a,b}`. Unknown variables stay as written.
pub fn expand(s: &str, vars: &BTreeMap<String, Vec<String>>) -> String {
    let mut cur = s.to_string();
    for _ in 0..8 {
        let Some(start) = find_known(&cur, vars) else {
            break;
        };
        let end = start + cur[start..].find('}').unwrap_or(cur.len() - start - 1);
        let name = &cur[start + 2..end];
        let vals = &vars[name];
        let rep = if vals.len() == 1 {
            vals[0].clone()
        } else {
            format!("{{{}}}", vals.join(","))
        };
        cur = format!("{}{}{}", &cur[..start], rep, &cur[end + 1..]);
    }
    cur
}

fn find_known(s: &str, vars: &BTreeMap<String, Vec<String>>) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = s[from..].find("@{") {
        let start = from + p;
        let end = s[start..].find('}')? + start;
        if vars.contains_key(&s[start + 2..end]) {
            return Some(start);
        }
        from = end;
    }
    None
}

/// Apply definitions (in order) to a variable table.
pub fn define(vars: &mut BTreeMap<String, Vec<String>>, defs: &[(String, Vec<String>, bool)]) {
    for (name, values, append) in defs {
        let slot = vars.entry(name.clone()).or_default();
        if !append {
            slot.clear();
        }
        slot.extend(values.iter().cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Profile {
        let p = parse(text);
        assert_eq!(p.profiles.len(), 1, "{p:?}");
        p.profiles[0].clone()
    }

    const UBUNTU_BWRAP: &str = "\
# This profile allows almost everything and only exists to allow bwrap
abi <abi/4.0>,

include <tunables/global>

profile bwrap /usr/bin/bwrap flags=(attach_disconnected,mediate_deleted) {
  allow capability,
  # not allow all, to allow for pix stack
  allow file rwlkm /{**,},
  allow network,
  allow userns,
  allow mount,
  allow pix /** -> &bwrap//&unpriv_bwrap,

  # Site-specific additions and overrides. See local/README for details.
  include if exists <local/bwrap-userns-restrict>
}

profile unpriv_bwrap flags=(attach_disconnected,mediate_deleted) {
  allow file rwlkm /{**,},
  allow userns,
  allow pix /** -> &unpriv_bwrap,
  audit deny capability,
  include if exists <local/unpriv_bwrap>
}
";

    #[test]
    fn profile_header_ubuntu_bwrap_userns_restrict() {
        let p = parse(UBUNTU_BWRAP);
        assert_eq!(p.profiles.len(), 2);
        let b = &p.profiles[0];
        assert_eq!(b.name, "bwrap");
        assert_eq!(b.attach.as_deref(), Some("/usr/bin/bwrap"));
        assert_eq!(b.flags, ["attach_disconnected", "mediate_deleted"]);
        assert!(b.userns);
        let u = &p.profiles[1];
        assert_eq!(u.name, "unpriv_bwrap");
        assert_eq!(u.attach, None);
        assert!(u.userns);
    }

    #[test]
    fn profile_header_attachment_only_with_unconfined_flag() {
        let p = one("abi <abi/4.0>,\ninclude <tunables/global>\n\
             /home/u/bin/rootlesskit flags=(unconfined) {\n  userns,\n\n\
             # Site-specific additions and overrides. See local/README for details.\n\
             include if exists <local/home.u.bin.rootlesskit>\n}\n");
        assert_eq!(p.name, "/home/u/bin/rootlesskit");
        assert_eq!(p.attach.as_deref(), Some("/home/u/bin/rootlesskit"));
        assert_eq!(p.flags, ["unconfined"]);
        assert!(p.userns);
    }

    #[test]
    fn granted_capabilities_are_allowed_and_not_denied() {
        let rules = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            granted_capabilities(&rules(&[
                "capability setpcap",
                "allow capability net_admin sys_admin",
                "deny capability sys_admin"
            ])),
            ["net_admin", "setpcap"]
        );
        assert_eq!(granted_capabilities(&rules(&["capability"])), ["all"]);
        assert_eq!(
            granted_capabilities(&rules(&["allow all", "audit deny capability"])),
            Vec::<String>::new()
        );
        assert_eq!(
            granted_capabilities(&rules(&["mount", "userns"])),
            Vec::<String>::new()
        );
        assert!(allows_every_mount(&rules(&["allow mount", "umount"])));
        assert!(allows_every_mount(&rules(&["all"])));
        assert!(!allows_every_mount(&rules(&[
            "mount",
            "deny mount -> /newroot/mnt/"
        ])));
        assert!(!allows_every_mount(&rules(&["mount fstype=tmpfs"])));
    }

    #[test]
    fn profile_header_without_flags_or_attachment() {
        let p = one("profile unprivileged_userns {\n  audit deny capability,\n  allow all,\n}\n");
        assert_eq!(p.name, "unprivileged_userns");
        assert_eq!(p.attach, None);
        assert!(p.flags.is_empty());
        assert!(p.userns, "`allow all` includes userns");
        let p = one("/usr/bin/foo {\n  /etc/foo r,\n}\n");
        assert_eq!(p.attach.as_deref(), Some("/usr/bin/foo"));
        assert!(!p.userns);
    }

    #[test]
    fn profile_header_quoted_names_and_spaced_flags() {
        let p = one(
            "profile \"my app\" \"/opt/My App/bin/bwrap\" flags = ( complain, attach_disconnected ) {\n  userns create,\n}\n",
        );
        assert_eq!(p.name, "my app");
        assert_eq!(p.attach.as_deref(), Some("/opt/My App/bin/bwrap"));
        assert_eq!(p.flags, ["complain", "attach_disconnected"]);
        assert!(p.userns);
    }

    #[test]
    fn profile_header_old_flag_syntax_and_glob_attachment() {
        let p = one("/usr/lib/snapd/snap-confine (attach_disconnected) {\n}\n");
        assert_eq!(p.flags, ["attach_disconnected"]);
        let p = one(
            "profile apptainer /usr/libexec/apptainer/bin/starter{,-suid} flags=(unconfined) {\n  userns,\n}\n",
        );
        assert_eq!(
            p.attach.as_deref(),
            Some("/usr/libexec/apptainer/bin/starter{,-suid}")
        );
        let p = one("profile x /{usr/,}bin/x {\n}\n");
        assert_eq!(p.attach.as_deref(), Some("/{usr/,}bin/x"));
    }

    #[test]
    fn profile_name_path_is_its_attachment() {
        let p = one("profile /opt/vendor/bwrap {\n  userns,\n}\n");
        assert_eq!(p.attach.as_deref(), Some("/opt/vendor/bwrap"));
    }

    #[test]
    fn profile_userns_rules_and_denials() {
        let r = |s: &[&str]| grants_userns(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(r(&["userns"]));
        assert!(r(&["  allow userns"]));
        assert!(r(&["audit allow userns create"]));
        assert!(!r(&["deny userns"]));
        assert!(!r(&["userns", "audit deny userns"]));
        assert!(!r(&["capability sys_admin", "/usr/bin/userns r"]));
    }

    #[test]
    fn profile_comments_hats_and_variables() {
        let text = "\
#include <tunables/global>
@{exec_path} = /usr/bin/tool /usr/lib/tool/tool  # two places
@{exec_path} += \"/opt/tool/tool\"
# profile commented /nowhere { userns, }
profile tool @{exec_path} xattrs=(security.tool=\"x y\") flags=(complain) {
  /etc/tool/** r,   # a comment with { braces }
  dbus (send, receive) bus=session,
  ^hat {
    userns,
  }
  profile child /usr/bin/child {
    userns,
  }
}
";
        let pol = parse(text);
        assert_eq!(pol.profiles.len(), 1, "{pol:?}");
        let p = &pol.profiles[0];
        assert_eq!(p.name, "tool");
        assert_eq!(p.attach.as_deref(), Some("@{exec_path}"));
        assert_eq!(p.flags, ["complain"]);
        assert!(
            !p.userns,
            "userns in a hat or child profile is not the profile's own"
        );
        let mut vars = BTreeMap::new();
        define(&mut vars, &pol.vars);
        assert_eq!(
            vars["exec_path"],
            ["/usr/bin/tool", "/usr/lib/tool/tool", "/opt/tool/tool"]
        );
        assert_eq!(
            expand("@{exec_path}", &vars),
            "{/usr/bin/tool,/usr/lib/tool/tool,/opt/tool/tool}"
        );
    }

    #[test]
    fn profile_variables_expand_recursively_and_unknown_ones_stay() {
        let mut vars = BTreeMap::new();
        define(
            &mut vars,
            &[
                ("HOMEDIRS".into(), vec!["/home/".into()], false),
                (
                    "HOME".into(),
                    vec!["@{HOMEDIRS}/*/".into(), "/root/".into()],
                    false,
                ),
            ],
        );
        assert_eq!(
            expand("@{HOME}bin/bwrap", &vars),
            "{/home//*/,/root/}bin/bwrap"
        );
        assert_eq!(expand("@{nope}/x", &vars), "@{nope}/x");
    }

    #[test]
    fn profile_garbage_never_panics() {
        for t in [
            "",
            "{",
            "}",
            "profile",
            "profile {",
            "\"unterminated",
            "@{",
            "@{x",
            "/a {{{",
            "/a { } } }",
            "flags=(",
            "profile x flags=( {",
            "# only a comment",
        ] {
            let _ = parse(t);
        }
    }
}
