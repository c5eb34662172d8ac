//! Whole outputs compared with files under tests/snapshots/, byte for byte
//! (snapbox/trycmd style): a wording change shows up as a unified diff to
//! review (the `similar` crate, which snapbox itself uses for its diffs;
//! snapbox's own runner is not used because the harness is our own).
//! `BWD_BLESS=1 cargo test --test it` rewrites them from the current output.

use std::path::Path;

pub fn assert_matches(name: &str, actual: &str) {
    let path = Path::new("tests/snapshots").join(name);
    if std::env::var_os("BWD_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with BWD_BLESS=1 cargo test --test it",
            path.display()
        )
    });
    if want != actual {
        let diff = similar::TextDiff::from_lines(&want, actual)
            .unified_diff()
            .context_radius(3)
            .header(&path.display().to_string(), "this run")
            .to_string();
        panic!(
            "output differs from {} (BWD_BLESS=1 rewrites it; review the diff):\n{diff}",
            path.display()
        );
    }
}
