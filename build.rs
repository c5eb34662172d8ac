//! Chooses how the `bwrap-doctor` binary is linked (`link_bins`): the shim
//! starts before every sandbox, so its start-up is paid on every bwrap run.

use std::path::PathBuf;

fn main() {
    // Only the environment below, and this file, change the link.
    println!("cargo:rerun-if-changed=build.rs");
    link_bins();
}

/// How the `bwrap-doctor` binary is linked on Linux with glibc (the library
/// and the test and bench programs are left alone). The shim starts before
/// every sandbox, so what its start costs is paid on every bwrap run:
///
/// - always: without PIE. A position-independent executable applies ~14,000
///   relative relocations at each start; non-PIE leaves ~160. The binary's
///   own code and data then sit at a fixed address.
/// - release builds (`cargo build --release`, `cargo install`, from
///   crates.io too: .cargo/config.toml would not reach `cargo install`):
///   statically, like scripts/build-static.sh, when glibc's static
///   libraries are there (libc6-dev on Debian and Ubuntu, glibc-static on
///   Fedora). Loading libc.so.6 and `libgcc_s.so.1` costs ~10-20% of a bwrap
///   run; a static binary runs at the C floor (scripts/bench.sh). rustc
///   asks the linker for the shared C libraries (-lc, -`lgcc_s`, …) whatever
///   the link; given -static, the linker finds in front of them, in
///   `OUT_DIR`, scripts of the same names that name the static archives.
///   Without those archives, a cross build, or a linker of one's own
///   (`RUSTC_LINKER`), the link stays dynamic.
///
/// `BWRAP_DOCTOR_DYNAMIC=1` keeps the release build dynamic (non-PIE);
/// `BWRAP_DOCTOR_PIE=1` keeps rustc's default (dynamic, PIE: the binary's
/// address randomised too). A build already static (crt-static, as
/// scripts/build-static.sh makes it) chooses its own relocation model.
fn link_bins() {
    for v in [
        "BWRAP_DOCTOR_PIE",
        "BWRAP_DOCTOR_DYNAMIC",
        "CC",
        "RUSTC_LINKER",
    ] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let set = |k: &str| !matches!(var(k).as_str(), "" | "0");
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || crt_static
        || set("BWRAP_DOCTOR_PIE")
    {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    if var("PROFILE") != "release"
        || set("BWRAP_DOCTOR_DYNAMIC")
        || var("HOST") != var("TARGET")
        || std::env::var_os("RUSTC_LINKER").is_some()
    {
        return;
    }
    match static_libs() {
        Ok(dir) => {
            println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
            println!("cargo:rustc-link-arg-bins=-static");
        }
        Err(missing) => println!(
            "cargo:warning=linking bwrap-doctor dynamically: {missing} (BWRAP_DOCTOR_DYNAMIC=1 silences this)"
        ),
    }
}

/// Writes OUT_DIR/static-libs/lib{c,gcc_s,m,…}.so: linker scripts that name
/// glibc's and libgcc's static archives, as found by the C compiler that
/// links. Err: why not (the first archive not found, or the compiler
/// that could not be asked), as the build's warning says it.
fn static_libs() -> Result<PathBuf, String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let find = |name: &str| -> Result<String, String> {
        let out = std::process::Command::new(&cc)
            .arg(format!("-print-file-name={name}"))
            .output()
            .map_err(|e| format!("cannot run the C compiler {cc} to find {name}: {e}"))?;
        // A compiler that fails to answer says nothing about the archive.
        if !out.status.success() {
            return Err(format!(
                "`{cc} -print-file-name={name}` failed ({}); is CC a C compiler?",
                out.status
            ));
        }
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // An archive not found is printed back as its bare name.
        let missing = || {
            format!(
                "{name} not found (install libc6-dev, or glibc-static, for a static binary that starts faster)"
            )
        };
        let path = std::fs::canonicalize(&path).map_err(|_| missing())?;
        let path = path.to_str().ok_or_else(missing)?.to_string();
        if path.contains(|c: char| c.is_whitespace() || c == ')' || c == '(') {
            return Err(format!("{name} is at a path a linker script cannot name"));
        }
        Ok(path)
    };
    let (eh, gcc) = (find("libgcc_eh.a")?, find("libgcc.a")?);
    let dir =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("static-libs");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/static-libs");
    let mut scripts = vec![
        ("c", format!("GROUP({} {eh} {gcc})", find("libc.a")?)),
        ("gcc_s", format!("GROUP({eh} {gcc})")),
    ];
    // What std and libc ask for besides; in glibc 2.34+ mostly empty archives.
    for lib in ["m", "rt", "pthread", "dl", "util"] {
        scripts.push((lib, format!("INPUT({})", find(&format!("lib{lib}.a"))?)));
    }
    for (lib, text) in scripts {
        std::fs::write(dir.join(format!("lib{lib}.so")), text + "\n")
            .expect("write a linker script in OUT_DIR");
    }
    Ok(dir)
}
