//! The shape of a rule file — which tables exist and which keys each one
//! allows — and typed reading of the parsed TOML document that keeps every
//! value's byte span and collects every error instead of stopping at the
//! first.
//!
//! Why not `serde` structs with `deny_unknown_fields`: serde stops at the
//! first error of a file, and the contract is to report all of them. The
//! document comes from `toml::de::DeTable`, whose keys and values all carry
//! spans (`toml::Spanned`), so each error can point at the exact value.

use super::RuleError;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(super) const TOP_KEYS: &[&str] = &["rule", "disable"];
pub(super) const RULE_KEYS: &[&str] = &[
    "id",
    "cause",
    "summary",
    "patterns",
    "except",
    "explanation",
    "yields_to",
    "stage",
    "causes",
    "prior",
    "confirm",
    "fix",
    "example",
];
/// A condition's own keys, then its tests (exactly one of which it makes).
pub(super) const CONDITION_KEYS: &[&str] = &[
    "fact",
    "field",
    "as",
    "describe",
    "refutes",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "matches",
    "exists",
    "contains",
    "not_contains",
    "not_contains_all",
    "empty",
    "greater_than",
    "less_than",
];
pub(super) const TEST_KEYS: &[&str] = CONDITION_KEYS.split_at(5).1;
pub(super) const FIX_KEYS: &[&str] = &["title", "scope", "commands", "tradeoff", "when"];
pub(super) const PRIOR_KEYS: &[&str] = &["weight", "message", "source", "when"];
pub(super) const EXAMPLE_KEYS: &[&str] = &["name", "stderr", "argv", "expect", "facts"];
pub(super) const DISABLE_KEYS: &[&str] = &["id", "reason"];

/// What a required key is for, said when it is missing.
pub(super) fn purpose(key: &str) -> &'static str {
    match key {
        "id" => "a unique id such as \"apparmor-userns-restrict.uid-map\"",
        "cause" => "the cause this rule names, from the taxonomy",
        "summary" => "the cause in one sentence",
        "patterns" => "regexes on bwrap's message (the text after \"bwrap: \")",
        "explanation" => "why it happens, for people",
        "fact" => "the fact key this condition tests",
        "weight" => "how often (per cent) this rule's cause is behind its message in this context",
        "source" => {
            "where the number comes from (corpus counts, bubblewrap's or the kernel's documented behaviour)"
        }
        "title" => "what the fix does, in a few words",
        "scope" => "how wide the fix reaches: \"narrow\", \"local\" or \"host-wide\"",
        "stderr" => "bwrap's stderr, e.g. \"bwrap: setting up uid map: Permission denied\\n\"",
        "expect" => {
            "the verdict the rule must reach: \"confirmed\", \"refuted\", \"unconfirmed\" or \"no-match\""
        }
        _ => "see rules/README.md",
    }
}

pub(super) type Val<'i> = Spanned<DeValue<'i>>;

/// Maps byte offsets to 1-based line and (character) column.
#[derive(Debug)]
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let col = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, col + 1)
    }
}

/// The errors and warnings of one file.
#[derive(Debug)]
pub(super) struct Diags<'t> {
    pub text: &'t str,
    pub lines: LineIndex,
    pub errors: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
}

impl<'t> Diags<'t> {
    pub fn new(text: &'t str) -> Diags<'t> {
        Diags {
            text,
            lines: LineIndex::new(text),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn make(&self, span: Range<usize>, message: String, help: Option<String>) -> RuleError {
        let (line, col) = self.lines.line_col(self.text, span.start);
        RuleError {
            line,
            col,
            span,
            message,
            help,
        }
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let e = self.make(span, message.into(), help);
        self.errors.push(e);
    }

    pub fn warn(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let e = self.make(span, message.into(), help);
        self.warnings.push(e);
    }

    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    /// The file's text as TOML, or None after reporting its syntax error
    /// with `help`. The parser recovers and goes on, and its errors are not
    /// in file order: the first in the file is reported, later ones may
    /// only be its echoes.
    pub fn parse(&mut self, help: &str) -> Option<Val<'t>> {
        let (doc, syntax) = DeTable::parse_recoverable(self.text);
        if let Some(e) = syntax
            .iter()
            .min_by_key(|e| e.span().map_or(0, |s| s.start))
        {
            let message = e.message().split_whitespace().collect::<Vec<_>>();
            self.error(
                e.span().unwrap_or(0..0),
                format!("invalid TOML: {}", message.join(" ")),
                Some(help.into()),
            );
            return None;
        }
        Some(Val::new(doc.span(), DeValue::Table(doc.into_inner())))
    }
}

/// "a string", "an integer"… for messages.
pub(super) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A string value and its span (quotes included).
#[derive(Debug, Clone)]
pub(super) struct Str<'a> {
    pub text: &'a str,
    pub span: Range<usize>,
}

/// A table of the document, read key by key.
pub(super) struct Table<'a, 'i> {
    pub map: &'a DeTable<'i>,
    pub span: Range<usize>,
    /// How people write it: `[[rule]]`, `[[rule.confirm]]`.
    pub name: &'static str,
}

impl<'a, 'i> Table<'a, 'i> {
    /// `v` as the table `name`; reports a wrong type and every key not in
    /// `allowed`.
    pub fn open(
        d: &mut Diags<'_>,
        v: &'a Val<'i>,
        name: &'static str,
        allowed: &[&str],
    ) -> Option<Table<'a, 'i>> {
        let DeValue::Table(map) = v.get_ref() else {
            d.error(
                v.span(),
                format!("{name} must be a table, found {}", type_name(v.get_ref())),
                None,
            );
            return None;
        };
        let t = Table {
            map,
            span: v.span(),
            name,
        };
        t.check_keys(d, allowed);
        Some(t)
    }

    fn check_keys(&self, d: &mut Diags<'_>, allowed: &[&str]) {
        for (k, _) in self.map {
            let key: &str = k.get_ref();
            if allowed.contains(&key) {
                continue;
            }
            let mut help = String::new();
            if let Some(best) = closest(key, allowed.iter().copied()) {
                help.push_str(&format!("did you mean `{best}`? "));
            }
            help.push_str(&format!(
                "the keys of {} are: {}",
                self.name,
                allowed.join(", ")
            ));
            d.error(
                k.span(),
                format!("unknown key `{key}` in {}", self.name),
                Some(help),
            );
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Val<'i>> {
        self.map.get(key)
    }

    /// The span of a key itself (for errors about the key, not its value).
    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.map.get_key_value(key).map(|(k, _)| k.span())
    }

    pub fn missing(&self, d: &mut Diags<'_>, key: &str) {
        d.error(
            self.span.clone(),
            format!("{} has no `{key}`", self.name),
            Some(format!("add `{key} = …`: {}", purpose(key))),
        );
    }

    fn wrong_type(&self, d: &mut Diags<'_>, key: &str, v: &Val<'_>, want: &str) {
        let found = type_name(v.get_ref());
        let help = match (want, v.get_ref()) {
            ("an array of strings", DeValue::String(_)) => {
                format!("put it in brackets: {key} = [ … ]")
            }
            ("a string", DeValue::Array(_)) if key == "stderr" => {
                "`stderr` is one string: join the lines with \\n, or use a \"\"\"multi-line string\"\"\"".to_string()
            }
            ("a string", DeValue::Array(_)) => format!("`{key}` takes a single string"),
            ("a string", _) => format!("write it in quotes: {key} = \"…\""),
            ("a boolean", DeValue::String(s)) if s == "true" || s == "false" => {
                format!("write {key} = {s}, without quotes")
            }
            ("a boolean", _) => format!("write {key} = true or {key} = false"),
            ("an integer", DeValue::String(s)) if s.trim().parse::<i64>().is_ok() => {
                format!("write {key} = {}, without quotes", s.trim())
            }
            ("an integer", _) => format!("write a whole number: {key} = 0"),
            _ => format!("write {key} = [\"…\", \"…\"]"),
        };
        d.error(
            v.span(),
            format!("`{key}` in {} must be {want}, found {found}", self.name),
            Some(help),
        );
    }

    pub fn string(&self, d: &mut Diags<'_>, key: &str) -> Option<Str<'a>> {
        let v = self.get(key)?;
        if let DeValue::String(s) = v.get_ref() {
            Some(Str {
                text: s.as_ref(),
                span: v.span(),
            })
        } else {
            self.wrong_type(d, key, v, "a string");
            None
        }
    }

    /// A required string: reports its absence.
    pub fn required_string(&self, d: &mut Diags<'_>, key: &str) -> Option<Str<'a>> {
        if self.get(key).is_none() {
            self.missing(d, key);
            return None;
        }
        self.string(d, key)
    }

    pub fn boolean(&self, d: &mut Diags<'_>, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        if let DeValue::Boolean(b) = v.get_ref() {
            Some(*b)
        } else {
            self.wrong_type(d, key, v, "a boolean");
            None
        }
    }

    pub fn integer(&self, d: &mut Diags<'_>, key: &str) -> Option<i64> {
        let v = self.get(key)?;
        if let DeValue::Integer(i) = v.get_ref() {
            match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(n),
                Err(e) => {
                    d.error(
                        v.span(),
                        format!("`{key}`: integer out of range: {e}"),
                        None,
                    );
                    None
                }
            }
        } else {
            self.wrong_type(d, key, v, "an integer");
            None
        }
    }

    /// An array of strings; `None` when absent or of the wrong type.
    pub fn strings(&self, d: &mut Diags<'_>, key: &str) -> Option<(Vec<Str<'a>>, Range<usize>)> {
        let v = self.get(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(d, key, v, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(Str {
                    text: s.as_ref(),
                    span: item.span(),
                }),
                other => {
                    ok = false;
                    d.error(
                        item.span(),
                        format!(
                            "`{key}` in {} must hold strings, found {}",
                            self.name,
                            type_name(other)
                        ),
                        None,
                    );
                }
            }
        }
        ok.then_some((out, v.span()))
    }

    /// An array of tables (`[[rule.fix]]` or `fix = [{ … }]`), each opened
    /// as `name` with the `allowed` keys.
    pub fn tables(
        &self,
        d: &mut Diags<'_>,
        key: &str,
        name: &'static str,
        allowed: &[&str],
    ) -> Vec<Table<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            // `[rule.example]` instead of `[[rule.example]]` makes a table.
            let span = self.key_span(key).unwrap_or_else(|| v.span());
            d.error(
                span,
                format!(
                    "`{key}` must be an array of tables, found {}",
                    type_name(v.get_ref())
                ),
                Some(format!(
                    "write each one as {name} (double brackets), or `{key} = [{{ … }}]`"
                )),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| Table::open(d, item, name, allowed))
            .collect()
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// plausible typo.
pub(super) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let limit = (word.chars().count() / 3).clamp(1, 4);
    let near = candidates
        .iter()
        .map(|&c| (edit_distance(word, c), c))
        .filter(|&(dist, _)| dist <= limit)
        .min_by_key(|&(dist, _)| dist)
        .map(|(_, c)| c);
    if near.is_some() {
        return near;
    }
    // A word that begins exactly one candidate (`apparmor-userns`).
    let mut starting = candidates
        .iter()
        .filter(|c| word.len() >= 3 && c.starts_with(word));
    match (starting.next(), starting.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Edit distance by characters, counting a swap of two neighbours as one
/// edit (optimal string alignment): `a.tow` is one edit from `a.two`.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        m[i * w] = i;
    }
    for (j, cell) in m.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (m[(i - 1) * w + j - 1] + cost)
                .min(m[(i - 1) * w + j] + 1)
                .min(m[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(m[(i - 2) * w + j - 2] + 1);
            }
            m[i * w + j] = v;
        }
    }
    m[a.len() * w + b.len()]
}

/// Where each byte of a string value's content lies in the file, so an
/// error inside the string (a placeholder, a regex position) can point at
/// the exact characters. `None` when the raw text does not decode to
/// `value` the way this simple decoder expects; callers then point at the
/// whole string.
pub(super) fn content_offsets(text: &str, span: &Range<usize>, value: &str) -> Option<Vec<usize>> {
    let raw = text.get(span.clone())?;
    let (delim, literal) = if raw.starts_with("'''") {
        ("'''", true)
    } else if raw.starts_with("\"\"\"") {
        ("\"\"\"", false)
    } else if raw.starts_with('\'') {
        ("'", true)
    } else if raw.starts_with('"') {
        ("\"", false)
    } else {
        return None;
    };
    let mut start = delim.len();
    let end = raw.len().checked_sub(delim.len())?;
    if delim.len() == 3 {
        // A newline right after the opening delimiter is trimmed.
        if raw[start..].starts_with("\r\n") {
            start += 2;
        } else if raw[start..].starts_with('\n') {
            start += 1;
        }
    }
    let inner = raw.get(start..end)?;
    let base = span.start + start;
    let mut map = Vec::with_capacity(value.len() + 1);
    let mut decoded = String::with_capacity(value.len());
    if literal {
        decoded.push_str(inner);
        map.extend((0..inner.len()).map(|i| base + i));
    } else {
        let b = inner.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'\\' {
                let ch = inner[i..].chars().next()?;
                for k in 0..ch.len_utf8() {
                    map.push(base + i + k);
                }
                decoded.push(ch);
                i += ch.len_utf8();
                continue;
            }
            let esc = *b.get(i + 1)?;
            let (ch, len) = match esc {
                b'\\' => (Some('\\'), 2),
                b'"' => (Some('"'), 2),
                b'n' => (Some('\n'), 2),
                b't' => (Some('\t'), 2),
                b'r' => (Some('\r'), 2),
                b'b' => (Some('\u{8}'), 2),
                b'f' => (Some('\u{c}'), 2),
                b'e' => (Some('\u{1b}'), 2),
                b'x' => (hex_char(inner.get(i + 2..i + 4)?), 4),
                b'u' => (hex_char(inner.get(i + 2..i + 6)?), 6),
                b'U' => (hex_char(inner.get(i + 2..i + 10)?), 10),
                b' ' | b'\t' | b'\r' | b'\n' => {
                    // Line-ending backslash: skip it and all whitespace after.
                    let rest = &inner[i + 1..];
                    let skip = rest.len() - rest.trim_start().len();
                    (None, 1 + skip)
                }
                _ => return None,
            };
            if let Some(ch) = ch {
                for _ in 0..ch.len_utf8() {
                    map.push(base + i);
                }
                decoded.push(ch);
            }
            i += len;
        }
    }
    map.push(base + inner.len());
    (decoded == value).then_some(map)
}

fn hex_char(hex: &str) -> Option<char> {
    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
}

/// The file span of `range` (bytes of a string's content), or the whole
/// string when it cannot be mapped.
pub(super) fn inner_span(text: &str, s: &Str<'_>, range: Range<usize>) -> Range<usize> {
    match content_offsets(text, &s.span, s.text) {
        Some(map) if range.end < map.len() => {
            let start = map[range.start];
            // The end of the last byte's source (an escape spans several).
            let end = if range.end > range.start {
                let last = map[range.end - 1];
                let next = map[range.end];
                next.max(last + 1)
            } else {
                start
            };
            start..end
        }
        _ => s.span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_at<'a>(text: &'a str, value: &'a str) -> Str<'a> {
        let start = text.find(['"', '\'']).unwrap();
        Str {
            text: value,
            span: start..text.trim_end().len(),
        }
    }

    #[test]
    fn content_offsets_follow_escapes_and_delimiters() {
        let cases: &[(&str, &str, &str)] = &[
            ("x = 'a{b}'", "a{b}", "{b}"),
            ("x = \"\\\\d+ {b}\"", "\\d+ {b}", "{b}"),
            ("x = \"\\u00e9 {b}\"", "é {b}", "{b}"),
            ("x = '''\n  {b}'''", "  {b}", "{b}"),
            ("x = \"\"\"\na \\\n   {b}\"\"\"", "a {b}", "{b}"),
        ];
        for (text, value, needle) in cases {
            let s = str_at(text, value);
            let k = value.find(needle).unwrap();
            let span = inner_span(text, &s, k..k + needle.len());
            assert_eq!(&text[span], *needle, "in {text:?}");
        }
    }

    #[test]
    fn line_index_counts_characters() {
        let text = "ab\né{x}\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, text.find('{').unwrap()), (2, 2));
        assert_eq!(idx.line_col(text, text.len()), (3, 1));
    }

    #[test]
    fn closest_suggests_plausible_typos_only() {
        let keys = ["patterns", "explanation", "summary"];
        assert_eq!(closest("pattern", keys), Some("patterns"));
        assert_eq!(closest("explaination", keys), Some("explanation"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("sumamry", keys), Some("summary"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
