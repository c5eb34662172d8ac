//! The words that make a caller decide differently.
//!
//! Codex treats a failed sandboxed command as a *sandbox denial* when its
//! output contains any of [`CALLER_KEYWORDS`] (lower-cased substring match),
//! and does not show denials to its user; several agent tools copied the
//! list. bwrap's own line decides that for the caller. The shim must not:
//! when bwrap's own lines contain none of these words, the text the shim
//! adds contains none either ([`Words::for_bwrap_lines`] decides, the
//! renderings in `human` and `compact` obey, and a test holds every built-in
//! rule to it).
//!
//! The list is Codex's `SANDBOX_DENIED_KEYWORDS` as of openai/codex commit
//! c69f8fd077eadd5cd3907d38578b719b4d6ad9a0
//! (`codex-rs/sandboxing/src/denial.rs`, `is_likely_sandbox_denied`), which
//! lower-cases stdout, stderr and their aggregate and looks for each word.

/// Codex's `SANDBOX_DENIED_KEYWORDS`, in its order.
pub const CALLER_KEYWORDS: &[&str] = &[
    "operation not permitted",
    "permission denied",
    "read-only file system",
    "seccomp",
    "sandbox",
    "landlock",
    "failed to write file",
];

/// The one-word keywords, and where an identifier that contains one is cut
/// to spell it without it (`seccomp-filter` → `sec-comp-filter`).
const CUTS: &[(&str, usize)] = &[("seccomp", 3), ("sandbox", 4), ("landlock", 4)];

/// The first keyword `text` contains, as the callers look for it.
#[must_use]
pub fn first_keyword(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    CALLER_KEYWORDS.iter().copied().find(|k| lower.contains(k))
}

/// Does `text` contain any keyword?
#[must_use]
pub fn contains_keyword(text: &str) -> bool {
    first_keyword(text).is_some()
}

/// Which words the shim's text may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// bwrap's own lines already contain a keyword: the caller decides the
    /// same whatever the shim adds.
    Any,
    /// bwrap's own lines contain none: neither may the shim's text.
    CallerNeutral,
}

impl Words {
    /// The words allowed after these lines of bwrap's.
    pub fn for_bwrap_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Words {
        if lines.into_iter().any(contains_keyword) {
            Words::Any
        } else {
            Words::CallerNeutral
        }
    }

    /// May `text` be printed as it is?
    #[must_use]
    pub fn allows(self, text: &str) -> bool {
        self == Words::Any || !contains_keyword(&strip_ansi(text))
    }

    /// An identifier (a cause or rule id) spelled so that it contains no
    /// keyword: the word is cut with a hyphen where it parts naturally
    /// (`sec-comp`, `sand-box`, `land-lock`). `rules test` accepts both
    /// spellings ([`unspell`]).
    #[must_use]
    pub fn id(self, id: &str) -> String {
        if self == Words::Any {
            return id.to_string();
        }
        let mut out = id.to_string();
        for (word, cut) in CUTS {
            let mut from = 0;
            while let Some(at) = out[from..].to_lowercase().find(word) {
                let at = from + at;
                out.insert(at + cut, '-');
                from = at + word.len() + 1;
            }
        }
        out
    }
}

/// An identifier as written in the rule files, from either spelling.
#[must_use]
pub fn unspell(id: &str) -> String {
    let mut out = id.to_string();
    for (word, cut) in CUTS {
        let spelled = format!("{}-{}", &word[..*cut], &word[*cut..]);
        out = out.replace(&spelled, word);
    }
    out
}

/// `text` without ANSI color sequences (`ESC [ … m`), as a reader's tool
/// sees the words.
#[must_use]
pub fn strip_ansi(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\x1b') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_found_in_any_letter_case() {
        assert_eq!(
            first_keyword("bwrap: Can't mount proc: Operation not permitted"),
            Some("operation not permitted")
        );
        assert_eq!(first_keyword("a SECCOMP profile"), Some("seccomp"));
        assert_eq!(
            first_keyword(
                "bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)"
            ),
            None
        );
    }

    #[test]
    fn ids_are_spelled_without_keywords_and_read_back() {
        let w = Words::CallerNeutral;
        for id in [
            "seccomp-filter.userns",
            "command-not-found-in-sandbox.execvp",
            "nested-userns-limit.outer-sandbox",
            "x.landlock.seccomp",
            "userns-max-zero",
        ] {
            let spelled = w.id(id);
            assert!(!contains_keyword(&spelled), "{spelled}");
            assert_eq!(unspell(&spelled), id);
        }
        assert_eq!(w.id("seccomp-filter"), "sec-comp-filter");
        assert_eq!(Words::Any.id("seccomp-filter"), "seccomp-filter");
    }

    #[test]
    fn the_words_follow_bwraps_own_lines() {
        assert_eq!(
            Words::for_bwrap_lines(["bwrap: setting up uid map: Permission denied"]),
            Words::Any
        );
        assert_eq!(
            Words::for_bwrap_lines(["bwrap: No permissions to create a new namespace"]),
            Words::CallerNeutral
        );
        assert!(!Words::CallerNeutral.allows("\x1b[1msand\x1b[0mbox ok"));
        assert!(!Words::CallerNeutral.allows("\x1b[2mseccomp\x1b[0m"));
    }
}
