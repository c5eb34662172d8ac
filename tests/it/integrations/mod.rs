//! Callers that reach bwrap by their own routes (docs/integrations.md),
//! exercised with the real programs where this machine has them.

mod codex;
mod flatpak;
mod gemini;
mod gemini_cli;
mod srt;

use crate::Test;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(codex::tests());
    v.extend(flatpak::tests());
    v.extend(gemini::tests());
    v.extend(gemini_cli::tests());
    v.extend(srt::tests());
    v
}
