//! An `AppArmor` profile that lets one bwrap binary, by its path, create user
//! namespaces under Ubuntu's restriction; for a vendored bwrap whose path
//! changes at every upgrade (see [`classify`]), a profile whose attachment
//! pattern every later version matches. Text from a path alone: whether
//! such a profile would conflict with one already on a host is
//! `fix::apparmor::placement`.

use super::WRITTEN_BY;
use std::path::Path;

/// Ubuntu's own exception profile for /usr/bin/bwrap, and what it is known
/// to break: every text that recommends it says so.
pub const UBUNTU_PROFILE_CAVEAT: &str = "Ubuntu withdrew bwrap-userns-restrict from 24.04 (noble) because it broke saving files from Flatpak apps (Launchpad bug 2072811); `bwrap-doctor fix apparmor --bwrap /usr/bin/bwrap` writes a profile that only adds user namespaces";

/// The kinds of vendored bwrap whose path carries a version or a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `~/.npm/_npx/<hash>/node_modules/…`: a new hash per package version.
    NpxCache,
    /// `/nix/store/<hash>-<name>-<version>/…`: a new entry per build.
    NixStore,
    /// `…/pressure-vessel/libexec/steam-runtime-tools-<n>/srt-bwrap`.
    SteamRuntime,
    /// `/tmp/.mount_<random>/…`: a new mount point per run.
    AppImage,
    /// Any other path with a version (`codex-0.171.0`, `v22.1.0`,
    /// `pkg@1.2.3`) or a long hex hash in a directory name.
    VersionedDir,
}

impl Shape {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Shape::NpxCache => "an npx cache copy",
            Shape::NixStore => "a Nix store path",
            Shape::SteamRuntime => "Steam runtime's own bwrap (pressure-vessel)",
            Shape::AppImage => "a bwrap inside a mounted AppImage",
            Shape::VersionedDir => "a bwrap in a versioned directory",
        }
    }
}

/// Why the tool's own setting for the system bwrap is preferred, where the
/// tool has one.
const SYSTEM_BWRAP_WHY: &str = "the system bwrap has a fixed path that the distribution updates, so one profile covers every tool and every version";

/// A bwrap path that changes at upgrades, and what survives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub shape: Shape,
    /// The attachment pattern every later version's path matches.
    pub glob: String,
    /// What changes, in words.
    pub changes: String,
    /// How to make the calling tool use another bwrap (the system one),
    /// when it has a way.
    pub tool: Option<String>,
    /// The tool's own setting (the system bwrap) is the better fix; the
    /// pattern profile is the fallback.
    pub prefer_system: bool,
    /// Why the recommended fix is the one recommended.
    pub why: String,
}

/// `AppArmor` glob characters in a literal path component, escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Where in a directory name a version starts (`0.11.0`, the `22` of
/// `v22.1.0`, the `1` of `pkg@1.2.3`): digits, a dot, digits, at the start
/// of a word or after a `v` that starts one.
fn version_start(c: &str) -> Option<usize> {
    let b = c.as_bytes();
    for i in 0..b.len() {
        let boundary = i == 0
            || !b[i - 1].is_ascii_alphanumeric()
            || (b[i - 1] == b'v' && (i < 2 || !b[i - 2].is_ascii_alphanumeric()));
        if !boundary || !b[i].is_ascii_digit() {
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
            return Some(i);
        }
    }
    None
}

/// A run of at least 16 hex digits (a commit or content hash).
fn hash_run(c: &str) -> Option<(usize, usize)> {
    let b = c.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_hexdigit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j - i >= 16 && b[i..j].iter().any(u8::is_ascii_digit) {
                return Some((i, j));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// A directory name with its version or hash turned into `*`; `None` when
/// it has neither.
fn generalized(c: &str) -> Option<String> {
    if let Some(i) = version_start(c) {
        return Some(format!("{}*", esc(&c[..i])));
    }
    hash_run(c).map(|(i, j)| format!("{}*{}", esc(&c[..i]), esc(&c[j..])))
}

/// `/home/NAME/…` → `/home/*/…` (every user's copy), else as it is.
fn home_glob(comps: &[&str]) -> Vec<String> {
    comps
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i == 1 && comps[0] == "home" {
                "*".to_string()
            } else {
                esc(c)
            }
        })
        .collect()
}

/// How the calling tool can be made to use the system bwrap, from the
/// package the vendored copy comes with.
fn tool_setting(path: &str) -> Option<String> {
    if path.contains("/@anthropic-ai/") {
        Some("Claude Code: set the managed setting sandbox.bwrapPath to /usr/bin/bwrap (Claude Code 2.1.133 or later)".into())
    } else if path.contains("/@openai/codex") {
        Some("Codex: install the distribution's bubblewrap (sudo apt install bubblewrap); Codex uses a bwrap on PATH whose --help lists --perms (bubblewrap 0.5 or later) instead of its bundled copy".into())
    } else {
        None
    }
}

/// Whether `path` is a vendored bwrap whose path changes at upgrades, and
/// the attachment pattern that survives them. `None` for a stable path
/// (`/usr/bin/bwrap`, `/opt/app/bwrap`, an npm global install, which npm
/// upgrades in place).
#[must_use]
pub fn classify(path: &Path) -> Option<Versioned> {
    let s = path.to_str()?;
    let comps: Vec<&str> = s.strip_prefix('/')?.split('/').collect();
    let n = comps.len();
    if n < 2
        || comps
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return None;
    }
    let base = esc(comps[n - 1]);
    let join = |v: &[String]| format!("/{}", v.join("/"));
    let tool = tool_setting(s);
    // AppImage: /tmp/.mount_XXXXXX/…
    if let Some(m) = comps[..n - 1].iter().position(|c| c.starts_with(".mount_")) {
        let mut g = home_glob(&comps[..m]);
        g.push(".mount_*".into());
        g.extend(comps[m + 1..].iter().map(|c| esc(c)));
        return Some(Versioned {
            shape: Shape::AppImage,
            glob: join(&g),
            changes: "an AppImage is mounted at a new .mount_XXXXXX directory on every run".into(),
            tool: Some(tool.unwrap_or_else(|| "extract the AppImage to a fixed place (./App.AppImage --appimage-extract, then move squashfs-root to /opt/App) and run `bwrap-doctor fix apparmor --bwrap /opt/App/…/bwrap`; or, if the application can be told which bwrap to run, point it at /usr/bin/bwrap".into())),
            prefer_system: true,
            why: format!("{} is writable by every user, so a pattern there would let any local program saved under such a name create user namespaces", comps[..m].iter().fold(String::new(), |a, c| format!("{a}/{c}"))),
        });
    }
    // Nix: /nix/store/<hash>-<name>-<version>/…
    if n > 3 && comps[0] == "nix" && comps[1] == "store" {
        let entry = comps[2];
        let (_, rest) = entry.split_once('-')?;
        let words: Vec<&str> = rest.split('-').collect();
        let k = words
            .iter()
            .position(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(words.len());
        let pname = words[..k].join("-");
        let mut e = format!("*-{}", esc(&pname));
        if k < words.len() {
            e.push_str("-*");
        }
        let mut g = vec!["nix".to_string(), "store".into(), e];
        g.extend(comps[3..].iter().map(|c| esc(c)));
        return Some(Versioned {
            shape: Shape::NixStore,
            glob: join(&g),
            changes: format!("every build or upgrade of {pname} is a new /nix/store/<hash>-{pname}-<version> directory"),
            tool,
            prefer_system: false,
            why: "only the Nix daemon writes /nix/store, so the pattern admits store builds of this package and nothing a user can put there".into(),
        });
    }
    // npx: …/.npm/_npx/<hash>/node_modules/…/bwrap
    if let Some(i) = comps.windows(2).position(|w| w == [".npm", "_npx"])
        && i + 3 < n
    {
        let mut g = home_glob(&comps[..i]);
        g.extend([".npm".to_string(), "_npx".into(), "*".into()]);
        if comps[i + 3] == "node_modules" && i + 4 < n {
            g.push("node_modules".into());
            g.push("**".into());
        } else {
            g.extend(comps[i + 3..n - 1].iter().map(|c| esc(c)));
        }
        g.push(base);
        let prefer = tool.is_some();
        return Some(Versioned {
            shape: Shape::NpxCache,
            glob: join(&g),
            changes:
                "npx keeps each version of a package under a new hashed directory in ~/.npm/_npx"
                    .into(),
            tool,
            prefer_system: prefer,
            why: if prefer {
                SYSTEM_BWRAP_WHY.into()
            } else {
                "the pattern matches the copy of every later version, in every user's npx cache"
                    .into()
            },
        });
    }
    // Steam: …/pressure-vessel/libexec/steam-runtime-tools-<n>/srt-bwrap
    if let Some(p) = comps.iter().position(|c| *c == "pressure-vessel")
        && p > 0
    {
        let mut g: Vec<String> = if comps[0] == "home" && p > 2 {
            vec!["home".into(), "*".into(), "**".into()]
        } else {
            comps[..p]
                .iter()
                .map(|c| generalized(c).unwrap_or_else(|| esc(c)))
                .collect()
        };
        g.push("pressure-vessel".into());
        for c in &comps[p + 1..n - 1] {
            match c.strip_prefix("steam-runtime-tools-") {
                Some(_) => g.push("steam-runtime-tools-*".into()),
                None => g.push(generalized(c).unwrap_or_else(|| esc(c))),
            }
        }
        g.push(base);
        return Some(Versioned {
            shape: Shape::SteamRuntime,
            glob: join(&g),
            changes: "Steam updates its container runtimes (soldier, sniper) on its own and keeps one in each library folder".into(),
            tool: Some("set PRESSURE_VESSEL_BWRAP=/usr/bin/bwrap for Steam (in the session environment, e.g. ~/.config/environment.d/steam.conf, or a game's launch options: PRESSURE_VESSEL_BWRAP=/usr/bin/bwrap %command%); pressure-vessel then runs the system bwrap".into()),
            prefer_system: true,
            why: "one setting covers every runtime and library folder, and the system bwrap's path never changes".into(),
        });
    }
    // Anything else with a version or hash in a directory name.
    let mut any = false;
    let mut g: Vec<String> = Vec::new();
    for (i, c) in comps[..n - 1].iter().enumerate() {
        match generalized(c) {
            Some(x) => {
                any = true;
                g.push(x);
            }
            None if i == 1 && comps[0] == "home" => g.push("*".into()),
            None => g.push(esc(c)),
        }
    }
    if !any {
        return None;
    }
    g.push(base);
    let prefer = tool.is_some();
    Some(Versioned {
        shape: Shape::VersionedDir,
        glob: join(&g),
        changes:
            "a directory in its path carries a version or a hash, which the next upgrade changes"
                .into(),
        tool,
        prefer_system: prefer,
        why: if prefer {
            SYSTEM_BWRAP_WHY.into()
        } else {
            "the pattern matches the same file in every later version's directory".into()
        },
    })
}

/// What a profile for `bwrap` attaches to: the pattern of [`classify`] for
/// a path that changes at upgrades, else the path itself.
#[must_use]
pub fn attachment(bwrap: &Path) -> String {
    match classify(bwrap) {
        Some(v) => v.glob,
        None => bwrap.to_string_lossy().into_owned(),
    }
}

/// The profile name for a path: the path without its leading `/`, with `/`
/// turned into `.` and anything unusual into `_`, prefixed so that it is
/// clear who wrote it: `/opt/app/bwrap` → `bwrap-doctor.opt.app.bwrap`.
/// For a path that changes at upgrades the name comes from the pattern
/// (`*` → `_`), so the next version's fix replaces this file instead of
/// adding a rival with the same attachment.
#[must_use]
pub fn profile_name(bwrap: &Path) -> String {
    let s = attachment(bwrap);
    let body: String = s
        .trim_start_matches('/')
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    format!("bwrap-doctor.{body}")
}

/// Where the profile goes.
#[must_use]
pub fn profile_file(bwrap: &Path) -> String {
    format!("/etc/apparmor.d/{}", profile_name(bwrap))
}

/// Quote a path for an `AppArmor` profile when it needs it.
fn quoted(p: &str) -> String {
    if p.chars()
        .any(|c| c.is_whitespace() || matches!(c, '"' | '#' | ',' | '{' | '}'))
    {
        format!("\"{}\"", p.replace('"', "\\\""))
    } else {
        p.to_string()
    }
}

/// The profile text. `flags=(unconfined)` keeps the binary otherwise
/// unconfined, as Ubuntu's own profiles for user-namespace tools do; the
/// `userns,` rule is the exception itself.
#[must_use]
pub fn profile(bwrap: &Path) -> String {
    let name = profile_name(bwrap);
    let (path, header) = if let Some(v) = classify(bwrap) {
        let g = quoted(&v.glob);
        (
            g.clone(),
            format!(
                "{WRITTEN_BY}: lets every bwrap matching {g} create user namespaces\n\
                 # under kernel.apparmor_restrict_unprivileged_userns=1. Written for\n\
                 # {},\n\
                 # {}: {}, so a profile for that exact path would stop\n\
                 # matching at the next upgrade.\n",
                bwrap.display(),
                v.shape.label(),
                v.changes
            ),
        )
    } else {
        let p = quoted(&bwrap.to_string_lossy());
        (
            p.clone(),
            format!(
                "{WRITTEN_BY}: lets {p} create user namespaces under\n\
                 # kernel.apparmor_restrict_unprivileged_userns=1.\n"
            ),
        )
    };
    format!(
        "{header}\
         abi <abi/4.0>,\n\
         include <tunables/global>\n\
         \n\
         profile {name} {path} flags=(unconfined) {{\n  \
           userns,\n\
         \n  \
           include if exists <local/{name}>\n\
         }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_names_the_exact_path_and_grants_userns() {
        let p = Path::new("/home/me/.npm/lib/node_modules/@openai/codex/codex-resources/bwrap");
        assert_eq!(
            profile_name(p),
            "bwrap-doctor.home.me..npm.lib.node_modules._openai.codex.codex-resources.bwrap"
        );
        let text = profile(p);
        assert!(text.contains(&format!(
            "profile {} {} flags=(unconfined) {{",
            profile_name(p),
            p.display()
        )));
        assert!(text.contains("\n  userns,\n"));
        assert!(text.ends_with('}'));
        assert_eq!(
            profile_file(Path::new("/usr/bin/bwrap")),
            "/etc/apparmor.d/bwrap-doctor.usr.bin.bwrap"
        );
        assert!(profile(Path::new("/opt/my app/bwrap")).contains("\"/opt/my app/bwrap\" flags"));
    }
}

#[cfg(test)]
mod shape_tests {
    //! The classifier of vendored bwrap paths: each shape is recognised,
    //! its pattern matches the path it was made from *and* the path of the
    //! next version, and stable paths are left alone.
    use super::*;
    use crate::probe::apparmor::glob;

    /// (path, shape, pattern, the next version's path)
    const CASES: &[(&str, Shape, &str, &str)] = &[
        (
            "/home/me/.npm/_npx/a1b2c3d4e5f60718/node_modules/@anthropic-ai/sandbox-runtime/vendor/bwrap",
            Shape::NpxCache,
            "/home/*/.npm/_npx/*/node_modules/**/bwrap",
            "/home/me/.npm/_npx/ffee00112233aabb/node_modules/@anthropic-ai/sandbox-runtime/dist/vendor/bwrap",
        ),
        (
            "/nix/store/9x8lkc2hzl0yscjq7wqz1c4m3kf1qz0a-bubblewrap-0.11.0/bin/bwrap",
            Shape::NixStore,
            "/nix/store/*-bubblewrap-*/bin/bwrap",
            "/nix/store/0a1lkc2hzl0yscjq7wqz1c4m3kf1qzzz-bubblewrap-0.12.0/bin/bwrap",
        ),
        (
            "/home/me/.steam/debian-installation/ubuntu12_64/steam-runtime-sniper/pressure-vessel/libexec/steam-runtime-tools-0/srt-bwrap",
            Shape::SteamRuntime,
            "/home/*/**/pressure-vessel/libexec/steam-runtime-tools-*/srt-bwrap",
            "/home/me/.local/share/Steam/steamapps/common/SteamLinuxRuntime_sniper/pressure-vessel/libexec/steam-runtime-tools-1/srt-bwrap",
        ),
        (
            "/tmp/.mount_Cursor3xYz/usr/bin/bwrap",
            Shape::AppImage,
            "/tmp/.mount_*/usr/bin/bwrap",
            "/tmp/.mount_CursorQ9aB/usr/bin/bwrap",
        ),
        (
            "/home/me/.nvm/versions/node/v22.1.0/lib/node_modules/@openai/codex/codex-resources/bwrap",
            Shape::VersionedDir,
            "/home/*/.nvm/versions/node/v*/lib/node_modules/@openai/codex/codex-resources/bwrap",
            "/home/me/.nvm/versions/node/v24.0.2/lib/node_modules/@openai/codex/codex-resources/bwrap",
        ),
        (
            "/opt/tool-1.4.2/libexec/bwrap",
            Shape::VersionedDir,
            "/opt/tool-*/libexec/bwrap",
            "/opt/tool-1.5.0-rc1/libexec/bwrap",
        ),
        (
            "/home/me/.vscode-server/bin/0123456789abcdef0123456789abcdef01234567/bwrap",
            Shape::VersionedDir,
            "/home/*/.vscode-server/bin/*/bwrap",
            "/home/me/.vscode-server/bin/fedcba9876543210fedcba9876543210fedcba98/bwrap",
        ),
    ];

    #[test]
    fn versioned_bwrap_paths_get_a_pattern_the_next_version_matches() {
        for (path, shape, pattern, next) in CASES {
            let v = classify(Path::new(path)).unwrap_or_else(|| panic!("{path} not recognised"));
            assert_eq!(v.shape, *shape, "{path}");
            assert_eq!(v.glob, *pattern, "{path}");
            assert!(
                glob::matches(&v.glob, path),
                "{} does not match {path}",
                v.glob
            );
            assert!(
                glob::matches(&v.glob, next),
                "{} does not match {next}",
                v.glob
            );
            assert_eq!(attachment(Path::new(path)), *pattern);
            // The file name comes from the pattern: the next version's fix
            // replaces this file instead of adding a rival.
            assert_eq!(
                profile_name(Path::new(path)),
                profile_name(Path::new(next)),
                "{path}"
            );
            assert!(!v.changes.is_empty() && !v.why.is_empty());
        }
    }

    #[test]
    fn stable_bwrap_paths_keep_the_exact_path() {
        for p in [
            "/usr/bin/bwrap",
            "/opt/app/bwrap",
            "/usr/libexec/flatpak-bwrap",
            "/home/me/.npm-global/lib/node_modules/@openai/codex/codex-resources/bwrap",
            "/usr/lib/node_modules/@anthropic-ai/claude-code/vendor/bwrap",
            "/home/me/.local/bin/bwrap",
            "/opt/x86_64/bwrap",
            "/srv/build2.0x/bwrap",
        ] {
            assert_eq!(classify(Path::new(p)), None, "{p}");
            assert_eq!(attachment(Path::new(p)), p);
        }
    }

    #[test]
    fn the_recommended_fix_is_the_tools_own_setting_where_it_has_one() {
        let npx_claude = classify(Path::new(CASES[0].0)).unwrap();
        assert!(npx_claude.prefer_system);
        assert!(npx_claude.tool.unwrap().contains("sandbox.bwrapPath"));
        let npx_other = classify(Path::new(
            "/home/me/.npm/_npx/0123abcd/node_modules/some-tool/bin/bwrap",
        ))
        .unwrap();
        assert!(!npx_other.prefer_system && npx_other.tool.is_none());
        let nix = classify(Path::new(CASES[1].0)).unwrap();
        assert!(!nix.prefer_system, "the store pattern is the fix for Nix");
        let steam = classify(Path::new(CASES[2].0)).unwrap();
        assert!(steam.prefer_system);
        assert!(
            steam
                .tool
                .unwrap()
                .contains("PRESSURE_VESSEL_BWRAP=/usr/bin/bwrap")
        );
        let appimage = classify(Path::new(CASES[3].0)).unwrap();
        assert!(appimage.prefer_system);
        assert!(
            appimage.why.contains("/tmp is writable by every user"),
            "{}",
            appimage.why
        );
    }

    #[test]
    fn glob_characters_in_a_versioned_path_are_escaped() {
        let v = classify(Path::new("/opt/we[ird]-2.0/bwrap")).unwrap();
        assert_eq!(v.glob, "/opt/we\\[ird\\]-*/bwrap");
        assert!(glob::matches(&v.glob, "/opt/we[ird]-2.1/bwrap"));
        assert!(!glob::matches(&v.glob, "/opt/wei-2.1/bwrap"));
    }

    #[test]
    fn the_profile_for_a_versioned_path_attaches_to_the_pattern_and_says_why() {
        let p = Path::new(CASES[1].0);
        let text = profile(p);
        assert!(text.starts_with(WRITTEN_BY), "{text}");
        assert!(
            text.contains(&format!("Written for\n# {}", p.display())),
            "{text}"
        );
        assert!(
            text.contains("profile bwrap-doctor.nix.store._-bubblewrap-_.bin.bwrap /nix/store/*-bubblewrap-*/bin/bwrap flags=(unconfined) {"),
            "{text}"
        );
        assert_eq!(
            profile_file(p),
            "/etc/apparmor.d/bwrap-doctor.nix.store._-bubblewrap-_.bin.bwrap"
        );
    }
}
