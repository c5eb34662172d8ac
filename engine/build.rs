//! Compiles every `rules/*.toml` into the binary: writes the list of
//! `(display path, include_str!(file))` pairs that `rules::builtin_files`
//! includes, so a new rule file is picked up without touching code.

use std::path::PathBuf;

fn main() {
    link_bins_without_pie();
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

/// Links the `bwrap-doctor` binary (not the library, not the tests' helper
/// crates) as a non-PIE executable on Linux with glibc: the shim starts
/// before every sandbox, and a position-independent executable must apply
/// ~14,000 relative relocations at each start (ld.so touching ~80 pages);
/// non-PIE leaves ~160. Here, in build.rs, so that `cargo build --release`
/// and `cargo install` from crates.io get it too (.cargo/config.toml does
/// not apply to `cargo install`). The cost: the binary's own code and data
/// sit at a fixed address (shared libraries, stack, heap and mmap are still
/// randomised). `BWRAP_DOCTOR_PIE=1` keeps the default PIE link. The static
/// build (scripts/build-static.sh) chooses its own relocation model.
fn link_bins_without_pie() {
    println!("cargo:rerun-if-env-changed=BWRAP_DOCTOR_PIE");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let pie_wanted = !matches!(var("BWRAP_DOCTOR_PIE").as_str(), "" | "0");
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && !crt_static
        && !pie_wanted
    {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
