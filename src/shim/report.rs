//! What the shim prints after bwrap's error, and what it keeps for
//! `bwrap-doctor explain --last`: one place that chooses the words (see
//! `keywords`), the form (compact by default, long by setting) and stores
//! the whole diagnosis.

use crate::config::Form;
use crate::last::{self, Key, Stored};
use bwrap_doctor_engine::diagnose::Diagnosis;
use bwrap_doctor_engine::keywords::Words;
use std::path::Path;

/// One failed bwrap run, as the shim saw it.
pub struct Seen<'a> {
    pub bwrap: &'a Path,
    pub operands: &'a [Vec<u8>],
    /// bwrap's own lines at the end of stderr.
    pub bwrap_lines: Vec<String>,
    pub key: Key,
}

impl<'a> Seen<'a> {
    pub fn new(
        bwrap: &'a Path,
        operands: &'a [Vec<u8>],
        args: &bwrap_doctor_engine::bwrap_args::Parsed,
        stderr_tail: &[u8],
    ) -> Seen<'a> {
        let bwrap_lines: Vec<String> = bwrap_doctor_engine::diagnose::bwrap_messages(stderr_tail)
            .into_iter()
            .map(|m| m.line)
            .collect();
        let key = Key::new(bwrap, args, &bwrap_lines);
        Seen {
            bwrap,
            operands,
            bwrap_lines,
            key,
        }
    }

    /// The words the shim may use after these lines of bwrap's.
    pub fn words(&self) -> Words {
        Words::for_bwrap_lines(self.bwrap_lines.iter().map(String::as_str))
    }

    /// The same failure a moment ago: what to print again, and the JSON
    /// diagnosis it wrote then.
    pub fn recent(&self, form: Form) -> Option<(String, Option<String>)> {
        let s = last::recent(&self.key)?;
        let text = match form {
            Form::Compact => s.compact,
            Form::Long => s.long,
        };
        Some((text, s.json))
    }

    /// The text to print for `d` (and keep it, with the whole diagnosis).
    pub fn text(&self, d: &Diagnosis, color: bool, form: Form, json: Option<String>) -> String {
        let words = self.words();
        let compact = |color| bwrap_doctor_engine::report::compact::render(d, color, words);
        let long = |color| bwrap_doctor_engine::report::human::render_with(d, color, words);
        self.keep(
            bwrap_doctor_engine::report::human::render(d, false),
            compact(false),
            long(false),
            json,
        );
        match form {
            Form::Compact => compact(color),
            Form::Long => long(color),
        }
    }

    /// Keep a text that is the same in every form (no rule knew the
    /// message).
    pub fn keep_plain(&self, text: &str) {
        self.keep(text.into(), text.into(), text.into(), None);
    }

    fn keep(&self, full: String, compact: String, long: String, json: Option<String>) {
        last::store(Stored::new(
            &self.key,
            self.bwrap,
            self.operands,
            self.bwrap_lines.clone(),
            full,
            compact,
            long,
            json,
        ));
    }
}
