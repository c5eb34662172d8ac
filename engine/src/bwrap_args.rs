//! bubblewrap's own command-line grammar (releases 0.4.0 to 0.12.0): which
//! options take how many arguments, which arguments are fds or paths, when
//! each option appeared, and what setuid mode refuses. Used to ask what a
//! failing call requested — namespaces, binds, sources, destinations.
//!
//! The grammar is bwrap's: one left-to-right pass, fixed arities, arguments
//! taken verbatim even when they start with `-`; `--` or the first entry not
//! starting with `-` begins COMMAND. `--args FD` splices in NUL-separated
//! options (no COMMAND, no nesting). Unknown options are kept, not fatal.

/// What one argument of an option is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A host path (resolved by bwrap with realpath).
    Src,
    /// A path inside the sandbox.
    Dest,
    /// Literal symlink text.
    Target,
    /// An fd bwrap reads to EOF (--args, --file, --seccomp…).
    FdRead,
    /// An fd bwrap reads one byte from (--block-fd, --userns-block-fd).
    FdRead1,
    /// An fd bwrap writes to (--info-fd, --json-status-fd).
    FdWrite,
    /// An fd bwrap holds open (--sync-fd).
    FdHold,
    /// A namespace fd (--userns, --pidns).
    FdNs,
    /// An `O_PATH` fd that is bind-mounted (--bind-fd).
    FdPath,
    Uid,
    Gid,
    Octal,
    Bytes,
    Cap,
    Label,
    Name,
    Value,
    Text,
}

/// Whether setuid mode allows an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetuidOk {
    Yes,
    No,
    RootOnly,
}

/// One option of bwrap.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    pub args: &'static [ArgKind],
    /// The first upstream release that has it.
    pub since: &'static str,
    pub setuid: SetuidOk,
}

use ArgKind::{
    Bytes, Cap, Dest, FdHold, FdNs, FdPath, FdRead, FdRead1, FdWrite, Gid, Label, Name, Octal, Src,
    Target, Text, Uid, Value,
};
use SetuidOk::{No, RootOnly, Yes};

macro_rules! opt {
    ($name:expr, [$($k:ident),*], $since:expr, $suid:ident) => {
        OptionSpec { name: $name, args: &[$($k),*], since: $since, setuid: $suid }
    };
}

/// Every option bwrap 0.4.0–0.12.0 accepts.
pub const OPTIONS: &[OptionSpec] = &[
    opt!("--help", [], "0.1.0", Yes),
    opt!("--version", [], "0.1.0", Yes),
    opt!("--args", [FdRead], "0.1.0", Yes),
    opt!("--argv0", [Text], "0.9.0", Yes),
    opt!("--level-prefix", [], "0.11.0", Yes),
    opt!("--not-a-security-boundary", [], "0.12.0", Yes),
    // One argv element, `--debug-opt=VALUE` (undocumented).
    opt!("--debug-opt=", [], "0.12.0", Yes),
    opt!("--unshare-all", [], "0.1.7", Yes),
    opt!("--share-net", [], "0.1.7", Yes),
    opt!("--unshare-user", [], "0.1.0", Yes),
    opt!("--unshare-user-try", [], "0.1.0", Yes),
    opt!("--unshare-ipc", [], "0.1.0", Yes),
    opt!("--unshare-pid", [], "0.1.0", Yes),
    opt!("--unshare-net", [], "0.1.0", Yes),
    opt!("--unshare-uts", [], "0.1.0", Yes),
    opt!("--unshare-cgroup", [], "0.1.0", Yes),
    opt!("--unshare-cgroup-try", [], "0.1.0", Yes),
    opt!("--userns", [FdNs], "0.4.0", No),
    opt!("--userns2", [FdNs], "0.4.0", No),
    opt!("--disable-userns", [], "0.8.0", Yes),
    opt!("--assert-userns-disabled", [], "0.8.0", Yes),
    opt!("--pidns", [FdNs], "0.4.0", Yes),
    opt!("--uid", [Uid], "0.1.0", Yes),
    opt!("--gid", [Gid], "0.1.0", Yes),
    opt!("--hostname", [Text], "0.1.2", Yes),
    opt!("--chdir", [Dest], "0.1.0", Yes),
    opt!("--clearenv", [], "0.5.0", Yes),
    opt!("--setenv", [Name, Value], "0.1.0", Yes),
    opt!("--unsetenv", [Name], "0.1.0", Yes),
    opt!("--lock-file", [Dest], "0.1.0", Yes),
    opt!("--sync-fd", [FdHold], "0.1.0", Yes),
    opt!("--new-session", [], "0.1.7", Yes),
    opt!("--die-with-parent", [], "0.1.8", Yes),
    opt!("--as-pid-1", [], "0.2.0", Yes),
    opt!("--cap-add", [Cap], "0.2.0", RootOnly),
    opt!("--cap-drop", [Cap], "0.2.0", Yes),
    opt!("--bind", [Src, Dest], "0.1.0", Yes),
    opt!("--bind-try", [Src, Dest], "0.3.1", Yes),
    opt!("--dev-bind", [Src, Dest], "0.1.0", Yes),
    opt!("--dev-bind-try", [Src, Dest], "0.3.1", Yes),
    opt!("--ro-bind", [Src, Dest], "0.1.0", Yes),
    opt!("--ro-bind-try", [Src, Dest], "0.3.1", Yes),
    opt!("--bind-fd", [FdPath, Dest], "0.10.0", Yes),
    opt!("--ro-bind-fd", [FdPath, Dest], "0.10.0", Yes),
    opt!("--remount-ro", [Dest], "0.1.2", Yes),
    opt!("--overlay-src", [Src], "0.11.0", No),
    opt!("--overlay", [Src, Src, Dest], "0.11.0", No),
    opt!("--tmp-overlay", [Dest], "0.11.0", No),
    opt!("--ro-overlay", [Dest], "0.11.0", No),
    opt!("--exec-label", [Label], "0.1.0", Yes),
    opt!("--file-label", [Label], "0.1.0", Yes),
    opt!("--proc", [Dest], "0.1.0", Yes),
    opt!("--dev", [Dest], "0.1.0", Yes),
    opt!("--tmpfs", [Dest], "0.1.0", Yes),
    opt!("--mqueue", [Dest], "0.1.0", Yes),
    opt!("--dir", [Dest], "0.1.0", Yes),
    opt!("--file", [FdRead, Dest], "0.1.0", Yes),
    opt!("--bind-data", [FdRead, Dest], "0.1.0", Yes),
    opt!("--ro-bind-data", [FdRead, Dest], "0.1.2", Yes),
    opt!("--symlink", [Target, Dest], "0.1.0", Yes),
    opt!("--chmod", [Octal, Dest], "0.5.0", Yes),
    opt!("--perms", [Octal], "0.5.0", Yes),
    opt!("--size", [Bytes], "0.7.0", No),
    opt!("--seccomp", [FdRead], "0.1.0", Yes),
    opt!("--add-seccomp-fd", [FdRead], "0.6.0", Yes),
    opt!("--block-fd", [FdRead1], "0.1.2", Yes),
    opt!("--userns-block-fd", [FdRead1], "0.2.0", Yes),
    opt!("--info-fd", [FdWrite], "0.1.2", Yes),
    opt!("--json-status-fd", [FdWrite], "0.3.2", Yes),
];

#[must_use]
pub fn spec(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|o| o.name == name || (o.name.ends_with('=') && name.starts_with(o.name)))
}

/// One option as the call gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub name: String,
    pub args: Vec<String>,
    /// Read from this `--args` fd rather than from argv.
    pub from_args_fd: Option<i32>,
}

impl Op {
    /// The argument of the given kind, if the option has one.
    pub fn arg(&self, kind: ArgKind) -> Option<&str> {
        let s = spec(&self.name)?;
        s.args
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.args.get(i))
            .map(String::as_str)
    }
}

/// A call's arguments, as bwrap would read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub ops: Vec<Op>,
    /// COMMAND and its arguments.
    pub command: Vec<String>,
    /// Options this grammar does not know (bwrap would say "Unknown option").
    pub unknown: Vec<String>,
    /// The option that ran out of arguments, if any ("--bind takes two arguments").
    pub truncated: Option<String>,
    /// `--args` fds whose content could not be read back (pipes).
    pub unread_args_fds: Vec<i32>,
}

impl Parsed {
    #[must_use]
    pub fn has(&self, option: &str) -> bool {
        self.ops.iter().any(|o| o.name == option)
    }

    /// The namespaces the call asks for explicitly, in bwrap's words.
    #[must_use]
    pub fn namespaces(&self) -> Vec<&'static str> {
        let mut ns: Vec<&'static str> = Vec::new();
        let mut add = |n: &'static str| {
            if !ns.contains(&n) {
                ns.push(n);
            }
        };
        let mut net = false;
        for o in &self.ops {
            match o.name.as_str() {
                "--unshare-all" => {
                    for n in ["user", "ipc", "pid", "uts", "cgroup"] {
                        add(n);
                    }
                    net = true;
                }
                "--unshare-user" | "--unshare-user-try" | "--userns" => add("user"),
                "--unshare-ipc" => add("ipc"),
                "--unshare-pid" | "--pidns" => add("pid"),
                "--unshare-uts" => add("uts"),
                "--unshare-cgroup" | "--unshare-cgroup-try" => add("cgroup"),
                "--unshare-net" => net = true,
                "--share-net" => net = false,
                _ => {}
            }
        }
        if net {
            add("net");
        }
        ns
    }

    /// The operation that creates or mounts something at `dest`.
    #[must_use]
    pub fn op_to(&self, dest: &str) -> Option<&Op> {
        let norm = |p: &str| {
            format!("/{}", p.trim_start_matches('/'))
                .trim_end_matches('/')
                .to_string()
        };
        let want = norm(dest);
        self.ops
            .iter()
            .rev()
            .find(|o| o.arg(ArgKind::Dest).is_some_and(|d| norm(d) == want))
    }

    /// Whether the sandbox gets something at `path`: an operation's
    /// destination is the path or one of its ancestors.
    #[must_use]
    pub fn covers(&self, path: &str) -> bool {
        self.covering(path).is_some()
    }

    /// The last operation whose destination is `path` or one of its
    /// ancestors (what the sandbox shows there), with the rest of `path`
    /// below that destination (empty when it is `path` itself).
    #[must_use]
    pub fn covering(&self, path: &str) -> Option<(&Op, String)> {
        let norm = |p: &str| format!("/{}", p.trim_matches('/'));
        let want = norm(path);
        self.ops.iter().rev().find_map(|o| {
            let d = norm(o.arg(ArgKind::Dest)?);
            let rest = if d == "/" {
                want.strip_prefix('/')
            } else if want == d {
                Some("")
            } else {
                want.strip_prefix(&format!("{d}/"))
            }?;
            Some((o, rest.to_string()))
        })
    }

    /// The bind whose source is `src`.
    #[must_use]
    pub fn op_from(&self, src: &str) -> Option<&Op> {
        let want = src.trim_end_matches('/');
        self.ops.iter().rev().find(|o| {
            o.arg(ArgKind::Src)
                .is_some_and(|s| s.trim_end_matches('/') == want)
        })
    }
}

/// Parse the operands after `argv[0]`. `read_args_fd` gives the content of an
/// `--args` fd when it can be read back without consuming it (a regular file
/// read with pread); `None` for a pipe.
pub fn parse<S: AsRef<[u8]>>(
    operands: &[S],
    read_args_fd: &dyn Fn(i32) -> Option<Vec<u8>>,
) -> Parsed {
    let mut p = Parsed::default();
    let argv: Vec<String> = operands
        .iter()
        .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
        .collect();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a == "--" {
            p.command = argv[i + 1..].to_vec();
            return p;
        }
        if !a.starts_with('-') {
            p.command = argv[i..].to_vec();
            return p;
        }
        let Some(s) = spec(a) else {
            p.unknown.push(a.clone());
            i += 1;
            continue;
        };
        let n = s.args.len();
        if n > 0 && i + n >= argv.len() {
            p.truncated = Some(a.clone());
            return p;
        }
        let args = argv[i + 1..i + 1 + n].to_vec();
        if s.name == "--args" {
            match args[0].trim().parse::<i32>() {
                Ok(fd) => match read_args_fd(fd) {
                    Some(bytes) => splice_args_file(&mut p, fd, &bytes),
                    None => p.unread_args_fds.push(fd),
                },
                Err(_) => p.unknown.push(format!("--args {}", args[0])),
            }
        }
        p.ops.push(Op {
            name: s.name.to_string(),
            args,
            from_args_fd: None,
        });
        i += 1 + n;
    }
    p
}

/// The options of an `--args` file: NUL-separated; parsing stops at the
/// first non-option or `--` (bwrap ignores the rest of the file).
fn splice_args_file(p: &mut Parsed, fd: i32, bytes: &[u8]) {
    let mut items: Vec<String> = bytes
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    if bytes.last() == Some(&0) {
        items.pop();
    }
    let mut i = 0;
    while i < items.len() {
        let a = &items[i];
        if a == "--" || !a.starts_with('-') || a == "--args" {
            return;
        }
        let Some(s) = spec(a) else {
            p.unknown.push(a.clone());
            i += 1;
            continue;
        };
        let n = s.args.len();
        if i + n >= items.len() && n > 0 {
            p.truncated = Some(a.clone());
            return;
        }
        p.ops.push(Op {
            name: s.name.to_string(),
            args: items[i + 1..i + 1 + n].to_vec(),
            from_args_fd: Some(fd),
        });
        i += 1 + n;
    }
}

/// Compare dotted versions ("0.10.0" > "0.9.0").
#[must_use]
pub fn version_lt(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap_or(0))
            .collect()
    };
    parse(a) < parse(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Parsed {
        parse(args, &|_| None)
    }

    #[test]
    fn options_take_their_arity_verbatim_even_when_dashed() {
        let r = p(&[
            "--setenv",
            "A",
            "--foo",
            "--ro-bind",
            "/",
            "/",
            "true",
            "-x",
        ]);
        assert_eq!(r.ops[0].args, vec!["A", "--foo"]);
        assert_eq!(r.ops[1].name, "--ro-bind");
        assert_eq!(r.command, vec!["true", "-x"]);
        assert!(r.unknown.is_empty());
    }

    #[test]
    fn double_dash_starts_the_command_even_if_it_is_dashed() {
        let r = p(&["--unshare-net", "--", "--weird", "arg"]);
        assert_eq!(r.command, vec!["--weird", "arg"]);
        assert_eq!(r.namespaces(), vec!["net"]);
    }

    #[test]
    fn unknown_options_are_kept_not_fatal() {
        let r = p(&["--overlay-src2", "--unshare-pid", "sh"]);
        assert_eq!(r.unknown, vec!["--overlay-src2"]);
        assert_eq!(r.namespaces(), vec!["pid"]);
        assert_eq!(r.command, vec!["sh"]);
    }

    #[test]
    fn missing_arguments_are_reported() {
        let r = p(&["--ro-bind", "/only-src"]);
        assert_eq!(r.truncated.as_deref(), Some("--ro-bind"));
        let r = p(&["--ro-bind", "/", "/"]);
        assert_eq!(r.truncated, None);
        assert!(r.command.is_empty());
    }

    #[test]
    fn unshare_all_and_share_net_are_order_sensitive() {
        assert_eq!(
            p(&["--unshare-all", "--share-net", "x"]).namespaces(),
            vec!["user", "ipc", "pid", "uts", "cgroup"]
        );
        assert!(
            p(&["--share-net", "--unshare-all", "x"])
                .namespaces()
                .contains(&"net")
        );
    }

    #[test]
    fn args_fd_content_is_spliced_in_and_stops_at_a_non_option() {
        let content = b"--bind\0/a\0/b\0--unshare-net\0command-ignored\0--unshare-pid\0";
        let r = parse(&["--args", "7", "--die-with-parent", "cmd"], &|fd| {
            (fd == 7).then(|| content.to_vec())
        });
        let names: Vec<&str> = r.ops.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["--bind", "--unshare-net", "--args", "--die-with-parent"]
        );
        assert_eq!(r.ops[0].from_args_fd, Some(7));
        assert_eq!(r.namespaces(), vec!["net"]);
        let unread = parse(&["--args", "3", "x"], &|_| None);
        assert_eq!(unread.unread_args_fds, vec![3]);
    }

    #[test]
    fn binds_are_found_by_source_and_destination() {
        let r = p(&[
            "--ro-bind",
            "/usr",
            "/usr",
            "--bind",
            "/home/me/p",
            "/home/me/p/",
            "--tmpfs",
            "/tmp",
            "sh",
        ]);
        assert_eq!(r.op_to("/home/me/p").unwrap().name, "--bind");
        assert_eq!(r.op_to("home/me/p").unwrap().args[0], "/home/me/p");
        assert_eq!(r.op_to("/tmp").unwrap().name, "--tmpfs");
        assert_eq!(r.op_from("/usr/").unwrap().name, "--ro-bind");
        assert!(r.op_to("/nope").is_none());
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_lt("0.9.0", "0.10.0"));
        assert!(version_lt("0.8.0", "0.8.1"));
        assert!(!version_lt("0.11.1", "0.11.0"));
    }
}
