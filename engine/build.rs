//! Compiles every `rules/*.toml` into the binary: writes the list of
//! `(display path, include_str!(file))` pairs that `rules::builtin_files`
//! includes, so a new rule file is picked up without touching code.

use std::path::PathBuf;

fn main() {
    // A directory: cargo reruns this script when anything in it changes,
    // including a file being added or removed.
    println!("cargo:rerun-if-changed=rules");
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let dir = manifest.join("rules");
    let mut files: Vec<(String, PathBuf)> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("list rules/"))
            .filter_map(|e| {
                let name = e
                    .file_name()
                    .into_string()
                    .expect("rule file names are UTF-8");
                let is_rule =
                    name.ends_with(".toml") && !name.starts_with('.') && e.path().is_file();
                is_rule.then(|| (name, e.path()))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    files.sort();
    let mut out = String::from("&[\n");
    for (name, path) in &files {
        let path = path.to_str().expect("the source tree's path is UTF-8");
        out.push_str(&format!(
            "    ({:?}, include_str!({path:?})),\n",
            format!("rules/{name}")
        ));
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_rules.rs");
    std::fs::write(&dest, out).expect("write the built-in rules table");
}
