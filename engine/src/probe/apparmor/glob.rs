//! `AppArmor`'s path globbing, for profile attachments: `*` (any characters
//! but `/`), `**` (any characters, `/` too), `?` (one character but `/`),
//! `{a,b}` (alternatives, nestable), `[...]` / `[^...]` (character classes),
//! `\` (escape). Alternations are expanded first and repeated slashes
//! collapsed in each alternative (as `apparmor_parser` does: `@{HOME}/bin`
//! with `@{HOME}=/home/*/` is `/home/*/bin`), then each is compiled to an
//! anchored regular expression.

use regex::Regex;

/// The regex for an `AppArmor` glob; `None` when the glob is malformed
/// (unbalanced braces).
#[must_use]
pub fn to_regex(glob: &str) -> Option<String> {
    let c: Vec<char> = glob.chars().collect();
    let mut out = String::from("^");
    let mut alts = 0usize;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                i += 1;
                out.push_str(&regex::escape(&c[i].to_string()));
            }
            '*' => {
                if c.get(i + 1) == Some(&'*') {
                    while c.get(i + 1) == Some(&'*') {
                        i += 1;
                    }
                    out.push_str(".*");
                } else {
                    out.push_str("[^/]*");
                }
            }
            '?' => out.push_str("[^/]"),
            '[' => match class(&c, i) {
                Some((re, end)) => {
                    out.push_str(&re);
                    i = end;
                }
                None => out.push_str(r"\["),
            },
            // An unexpanded variable can match nothing in particular: keep
            // it literal so that it matches only itself.
            '@' if c.get(i + 1) == Some(&'{') => {
                let end = c[i..].iter().position(|&x| x == '}').map(|p| i + p)?;
                let lit: String = c[i..=end].iter().collect();
                out.push_str(&regex::escape(&lit));
                i = end;
            }
            '{' => {
                alts += 1;
                out.push_str("(?:");
            }
            ',' if alts > 0 => out.push('|'),
            '}' if alts > 0 => {
                alts -= 1;
                out.push(')');
            }
            ch => out.push_str(&regex::escape(&ch.to_string())),
        }
        i += 1;
    }
    if alts != 0 {
        return None;
    }
    out.push('$');
    Some(out)
}

/// `[...]` starting at `start`: the regex class and the index of its `]`.
fn class(c: &[char], start: usize) -> Option<(String, usize)> {
    let mut i = start + 1;
    let mut re = String::from("[");
    if c.get(i) == Some(&'^') {
        re.push('^');
        i += 1;
    }
    let first = i;
    while i < c.len() {
        let ch = c[i];
        if ch == ']' && i > first {
            re.push(']');
            return Some((re, i));
        }
        match ch {
            '\\' if i + 1 < c.len() => {
                i += 1;
                re.push('\\');
                re.push(c[i]);
            }
            '-' => re.push('-'),
            ch if ch.is_ascii_alphanumeric() || !ch.is_ascii() => re.push(ch),
            ch => {
                // Everything else literal (regex class syntax has more
                // metacharacters than AppArmor's).
                re.push('\\');
                re.push(ch);
            }
        }
        i += 1;
    }
    None
}

/// Whether the `AppArmor` glob matches the whole path.
#[must_use]
pub fn matches(glob: &str, path: &str) -> bool {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<Regex>>> =
            std::cell::RefCell::default();
    }
    COMPILED.with(|c| {
        let mut cache = c.borrow_mut();
        if !cache.contains_key(glob) {
            let re = compile(glob);
            cache.insert(glob.to_string(), re);
        }
        cache[glob].as_ref().is_some_and(|re| re.is_match(path))
    })
}

/// One regex for the whole glob: its brace alternatives (expanded, each
/// with repeated slashes collapsed) joined in a single alternation, so a
/// glob with a thousand alternatives costs one compilation, not a thousand.
fn compile(glob: &str) -> Option<Regex> {
    let alternatives = expand_braces(glob)?;
    let parts: Vec<String> = alternatives
        .iter()
        .map(|g| {
            to_regex(&collapse_slashes(g))
                .map(|re| re.trim_start_matches('^').trim_end_matches('$').to_string())
        })
        .collect::<Option<_>>()?;
    regex::RegexBuilder::new(&format!("^(?:{})$", parts.join("|")))
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// At most this many alternatives from one glob.
const MAX_ALTERNATIVES: usize = 1024;

/// `/a/{b,c{d,e}}/f` → `/a/b/f`, `/a/cd/f`, `/a/ce/f`. `None` when the
/// braces do not balance or there are too many alternatives. Escaped
/// braces, braces inside `[...]` and variable references `@{…}` stay.
#[must_use]
pub fn expand_braces(glob: &str) -> Option<Vec<String>> {
    let c: Vec<char> = glob.chars().collect();
    let Some(open) = first_open_brace(&c) else {
        return Some(vec![glob.to_string()]);
    };
    let (close, parts) = split_alternation(&c, open)?;
    let head: String = c[..open].iter().collect();
    let tail: String = c[close + 1..].iter().collect();
    let mut out = Vec::new();
    for part in parts {
        for rest in expand_braces(&format!("{head}{part}{tail}"))? {
            out.push(rest);
            if out.len() > MAX_ALTERNATIVES {
                return None;
            }
        }
    }
    Some(out)
}

/// The first `{` that opens an alternation.
fn first_open_brace(c: &[char]) -> Option<usize> {
    let mut i = 0;
    let mut in_class = false;
    while i < c.len() {
        match c[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '@' if !in_class && c.get(i + 1) == Some(&'{') => {
                i += c[i..].iter().position(|&x| x == '}')?;
            }
            '{' if !in_class => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The alternation opening at `open`: the index of its `}` and its
/// top-level alternatives.
fn split_alternation(c: &[char], open: usize) -> Option<(usize, Vec<String>)> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    let mut i = open + 1;
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                cur.push('\\');
                cur.push(c[i + 1]);
                i += 1;
            }
            '{' => {
                depth += 1;
                cur.push('{');
            }
            '}' if depth == 0 => {
                parts.push(cur);
                return Some((i, parts));
            }
            '}' => {
                depth -= 1;
                cur.push('}');
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            ch => cur.push(ch),
        }
        i += 1;
    }
    None
}

/// `//` → `/`.
#[must_use]
pub fn collapse_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch == '/' && out.ends_with('/') {
            continue;
        }
        out.push(ch);
    }
    out
}

/// Whether a glob is a plain path (no pattern characters): `AppArmor`
/// prefers such an exact attachment over any pattern.
#[must_use]
pub fn is_literal(glob: &str) -> bool {
    !glob.contains(['*', '?', '[', '{', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_star_stays_within_one_component() {
        assert!(matches("/usr/bin/*", "/usr/bin/bwrap"));
        assert!(!matches("/usr/bin/*", "/usr/bin/sub/bwrap"));
        assert!(matches("/opt/*/bwrap", "/opt/vendor/bwrap"));
        assert!(!matches("/opt/*/bwrap", "/opt/a/b/bwrap"));
        assert!(matches("/usr/bin/bw*", "/usr/bin/bwrap"));
    }

    #[test]
    fn glob_double_star_crosses_components() {
        assert!(matches("/opt/**/bwrap", "/opt/a/b/c/bwrap"));
        assert!(matches(
            "/nix/store/**/bin/bwrap",
            "/nix/store/abc-bubblewrap-0.11.0/bin/bwrap"
        ));
        assert!(matches("/{**,}", "/"));
        assert!(matches("/{**,}", "/etc/passwd"));
        assert!(matches("/**", "/usr/bin/bwrap"));
    }

    #[test]
    fn glob_question_mark_and_classes() {
        assert!(matches("/usr/bin/bwra?", "/usr/bin/bwrap"));
        assert!(!matches("/usr/bin/bwra?", "/usr/bin/bwra/"));
        assert!(matches("/usr/lib/[a-c]wrap", "/usr/lib/bwrap"));
        assert!(!matches("/usr/lib/[^b]wrap", "/usr/lib/bwrap"));
        assert!(matches("/usr/lib/[^b]wrap", "/usr/lib/xwrap"));
        assert!(matches("/x/[.]y", "/x/.y"));
    }

    #[test]
    fn glob_alternatives_nest() {
        assert!(matches("/usr/{bin,sbin}/bwrap", "/usr/sbin/bwrap"));
        assert!(matches("/{usr/,}bin/bwrap", "/bin/bwrap"));
        assert!(matches("/{usr/,}bin/bwrap", "/usr/bin/bwrap"));
        assert!(matches(
            "/usr/libexec/apptainer/bin/starter{,-suid}",
            "/usr/libexec/apptainer/bin/starter-suid"
        ));
        assert!(matches("/a/{b,{c,d}e}/f", "/a/de/f"));
        assert!(!matches("/a/{b,c", "/a/b"));
        assert_eq!(
            expand_braces("/a/{b,c{d,e}}/f").unwrap(),
            ["/a/b/f", "/a/cd/f", "/a/ce/f"]
        );
        assert_eq!(expand_braces("/{**,}").unwrap(), ["/**", "/"]);
        assert_eq!(expand_braces(r"/a\{b").unwrap(), [r"/a\{b"]);
        assert!(
            expand_braces(&"{a,b}".repeat(11)).is_none(),
            "2^11 alternatives"
        );
    }

    #[test]
    fn glob_repeated_slashes_collapse_as_in_apparmor() {
        // @{HOME}/bin/tool with @{HOME} = @{HOMEDIRS}/*/ /root/, @{HOMEDIRS} = /home/
        let g = "{/home//*/,/root/}/bin/tool";
        assert!(matches(g, "/home/u/bin/tool"));
        assert!(matches(g, "/root/bin/tool"));
        assert!(!matches(g, "/home/u/v/bin/tool"));
    }

    #[test]
    fn glob_literal_characters_are_escaped() {
        assert!(matches("/opt/app+1.2/bwrap", "/opt/app+1.2/bwrap"));
        assert!(!matches("/opt/app+1.2/bwrap", "/opt/appp1x2/bwrap"));
        assert!(matches(r"/opt/a\*b", "/opt/a*b"));
        assert!(!matches(r"/opt/a\*b", "/opt/axb"));
        assert!(!matches("@{HOME}/bin/x", "/home/u/bin/x"));
        assert!(is_literal("/usr/bin/bwrap"));
        assert!(!is_literal("/usr/{bin,sbin}/bwrap"));
    }
}
