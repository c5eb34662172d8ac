//! Flatpak through FLATPAK_BWRAP, for real: Debian's flatpak ships an icon
//! validator that re-runs itself under bwrap (`--sandbox`), honours
//! FLATPAK_BWRAP and needs no remote. It starts bwrap with an EMPTY
//! environment (no PATH, no TERM), so the shim must find the real bwrap and
//! behave without any of its variables.

use crate::support::{self, As};
use crate::{Body, Test};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn tests() -> Vec<Test> {
    tests![
        Each flatpak_icon_validator_runs_through_the_shim_unchanged,
        Each flatpak_icon_validator_failure_is_explained_after_bwraps_words,
        Once flatpak_icon_validator_takes_the_shims_settings_from_the_configuration_file,
    ]
}

const VALIDATOR: &str = "/usr/libexec/flatpak-validate-icon";

fn validator() -> &'static Path {
    if !Path::new(VALIDATOR).exists() {
        support::skip(format!(
            "{VALIDATOR} is missing: install Debian's flatpak (apt-get install flatpak)"
        ));
    }
    Path::new(VALIDATOR)
}

/// A 16×16 PNG anybody can read.
fn icon() -> PathBuf {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        out.extend(crc32(&out[start..]).to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    // Stored (uncompressed) deflate blocks inside a zlib stream.
    let (w, h) = (16u32, 16u32);
    // Each row: filter byte 0, then RGBA pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain([0x20, 0x80, 0xe0, 0xff].repeat(w as usize))
        .collect();
    let raw = row.repeat(h as usize);
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend((raw.len() as u16).to_le_bytes());
    z.extend((!(raw.len() as u16)).to_le_bytes());
    z.extend(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for x in &raw {
        a = (a + u32::from(*x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    let path = support::install().scratch().join("icon.png");
    std::fs::write(&path, png).unwrap();
    path
}

/// `[wrapper…] flatpak-validate-icon --sandbox 64 64 ICON` with
/// FLATPAK_BWRAP set to `bwrap`.
fn validate(who: As, wrapper: &[&str], bwrap: &Path, icon: &Path) -> support::Output {
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend([
        validator().display().to_string(),
        "--sandbox".into(),
        "64".into(),
        "64".into(),
        icon.display().to_string(),
    ]);
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("FLATPAK_BWRAP", bwrap)
        .current_dir("/");
    who.apply(&mut c);
    support::run(&mut c)
}

fn flatpak_icon_validator_runs_through_the_shim_unchanged(who: &As) {
    let real = support::real_bwrap();
    let icon = icon();
    let direct = validate(*who, &[], real, &icon);
    let shim = validate(*who, &[], &support::install().shim, &icon);
    assert_eq!(
        direct.status.code(),
        Some(0),
        "the validator fails without the shim: {}",
        direct.stderr_text()
    );
    assert!(
        direct
            .stdout_text()
            .starts_with("[Icon Validator]\nformat=png\nwidth=16\n"),
        "{}",
        direct.stdout_text()
    );
    assert_eq!(shim.status.code(), direct.status.code());
    assert_eq!(shim.stdout_text(), direct.stdout_text());
    assert_eq!(shim.stderr_text(), direct.stderr_text());
}

fn flatpak_icon_validator_failure_is_explained_after_bwraps_words(who: &As) {
    // hostlab 1c inside a user namespace: no network namespace may be made,
    // and the validator asks bwrap for --unshare-net.
    let real = support::real_bwrap();
    let icon = icon();
    let wrapper = support::ZERO_NET_NAMESPACES;
    let direct = validate(*who, wrapper, real, &icon);
    let shim = validate(*who, wrapper, &support::install().shim, &icon);
    let bwrap_says = "bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)\n";
    assert_eq!(direct.status.code(), Some(1));
    assert_eq!(direct.stderr_text(), bwrap_says);
    assert_eq!(shim.status.code(), Some(1));
    let text = shim.stderr_text();
    assert!(
        text.starts_with(bwrap_says),
        "bwrap's words first, unchanged:\n{text}"
    );
    // The compact form (no environment, so no setting): it ends with the
    // cause and the next step, in words that change no caller's decision.
    let diagnosis = &text[bwrap_says.len()..];
    let lines: Vec<&str> = diagnosis.lines().collect();
    assert!(lines.len() <= 4, "{diagnosis}");
    assert_eq!(
        lines[0],
        "bwrap-doctor: the whole diagnosis (evidence, why, 2 fixes): bwrap-doctor explain --last"
    );
    assert!(
        lines[1].starts_with(
            "bwrap-doctor: cause [userns-max-zero]: No network namespace may be created here: user.max_net_namespaces is 0"
        ),
        "{diagnosis}"
    );
    assert!(
        lines[2].starts_with("bwrap-doctor: next step (narrow): Drop --unshare-net"),
        "{diagnosis}"
    );
    assert_eq!(
        bwrap_doctor_engine::keywords::first_keyword(diagnosis),
        None
    );
    assert!(
        !diagnosis.contains('\x1b'),
        "color on a pipe: {diagnosis:?}"
    );
    assert_eq!(shim.stdout_text(), direct.stdout_text());
}

/// The validator passes no environment, so no variable reaches the shim:
/// /etc/bwrap-doctor/config.toml does (here a private copy mounted over it
/// in a mount namespace). `report = "long"` gives the whole diagnosis; a
/// broken file costs one warning line that points at file:line:col.
fn flatpak_icon_validator_takes_the_shims_settings_from_the_configuration_file() {
    if !support::is_root() {
        support::skip("needs root: the test mounts its configuration over /etc/bwrap-doctor");
    }
    let icon = icon();
    std::fs::create_dir_all("/etc/bwrap-doctor").unwrap();
    let run = |config: &str| {
        let dir = support::install().scratch().join("etc-bwrap-doctor");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, config).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let script = format!(
            "mount --bind {} /etc/bwrap-doctor && echo 0 > /proc/sys/user/max_net_namespaces && exec \"$@\"",
            dir.display()
        );
        let wrapper = ["unshare", "-Urm", "sh", "-c", script.as_str(), "sh"];
        validate(As::Root, &wrapper, &support::install().shim, &icon).stderr_text()
    };
    let bwrap_says = "bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)\n";
    let long = run("report = \"long\"\n");
    assert!(long.starts_with(bwrap_says), "{long}");
    assert!(long.contains("rule: userns-max-zero.net ("), "{long}");
    assert!(long.contains("  evidence:\n"), "{long}");
    let broken = run("report = \"short\"\n");
    let first = broken[bwrap_says.len()..].lines().next().unwrap_or("");
    assert_eq!(
        first,
        "bwrap-doctor: warning: not using the configuration file /etc/bwrap-doctor/config.toml: 1 error (first at 1:10: `report` must be \"compact\" or \"long\", found \"short\"); `bwrap-doctor check` shows where"
    );
    assert!(
        broken.contains("bwrap-doctor: cause [userns-max-zero]"),
        "{broken}"
    );
}
