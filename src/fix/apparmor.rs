//! An AppArmor profile that lets one bwrap binary, by its path, create user
//! namespaces under Ubuntu's restriction.

use super::WRITTEN_BY;
use std::path::Path;

/// The profile name for a path: the path without its leading `/`, with `/`
/// turned into `.` and anything unusual into `_`, prefixed so that it is
/// clear who wrote it: `/opt/app/bwrap` → `bwrap-doctor.opt.app.bwrap`.
pub fn profile_name(bwrap: &Path) -> String {
    let s = bwrap.to_string_lossy();
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
pub fn profile_file(bwrap: &Path) -> String {
    format!("/etc/apparmor.d/{}", profile_name(bwrap))
}

/// Quote a path for an AppArmor profile when it needs it.
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
pub fn profile(bwrap: &Path) -> String {
    let name = profile_name(bwrap);
    let path = quoted(&bwrap.to_string_lossy());
    format!(
        "{WRITTEN_BY}: lets {path} create user namespaces under\n\
         # kernel.apparmor_restrict_unprivileged_userns=1.\n\
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
