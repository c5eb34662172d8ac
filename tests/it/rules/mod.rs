//! Rule files: loading, validation errors, sources and overrides.

mod big;
mod catalogue;
mod coverage;
mod fixtures;
mod readme;
mod sources;

use crate::Test;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(fixtures::tests());
    v.extend(sources::tests());
    v.extend(readme::tests());
    v.extend(big::tests());
    v.extend(coverage::tests());
    v.extend(catalogue::tests());
    // Named `rules::…` so `cargo test --test it rules` selects them all.
    for t in &mut v {
        t.name = format!("rules::{}", t.name);
    }
    v
}
