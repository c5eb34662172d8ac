//! The `bwrap-doctor` command line (clap). `exec` is dispatched before clap
//! runs (see `personality`), so clap never sees bwrap's arguments.

pub(crate) mod explain;
mod fix;
mod rules;
mod snapshot;

use crate::output::{self, ColorChoice};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str = "Makes bubblewrap (bwrap) failures explain themselves.";

const AFTER_HELP: &str = "\
Installed as `bwrap` in front of the real bubblewrap, bwrap-doctor runs it
unchanged and, when it fails, prints why after bwrap's own error.

Examples:
  bwrap-doctor check                 # will bwrap sandboxes work on this host?
  bwrap-doctor fix                   # the fixes for what fails here
  bwrap-doctor install               # put the shim in ~/.local/bin
  some-tool 2>&1 | bwrap-doctor explain      # why did bwrap fail?
  bwrap-doctor exec -- --ro-bind / / true   # run bwrap through the shim

Environment:
  BWRAP_DOCTOR_REAL_BWRAP  absolute path of the real bwrap (instead of searching PATH)
  BWRAP_DOCTOR_OFF=1       run the real bwrap in place: no supervision, no diagnosis
  BWRAP_DOCTOR_RULES       colon-separated rule files loaded after the others
  BWRAP_DOCTOR_JSON        where the shim writes the diagnosis as JSON: a path, or fd:N
  BWRAP_DOCTOR_REPORT      the shim's text after bwrap's error: compact (default) or long
  NO_COLOR                 no color (as does TERM=dumb, or --color never)

Configuration files (the same settings, for callers that pass no environment;
a variable that arrives wins): /etc/bwrap-doctor/config.toml, then
$XDG_CONFIG_HOME/bwrap-doctor/config.toml (~/.config/…), with the keys
real_bwrap, off, json, rules, no_color, report.

Exit status: 0 success (also when the reader of stdout went away early, as
with `| head`); 1 a check, fix, diagnosis or rule test failed (see check,
fix and explain --help); 2 usage, input or output error (stdout full or
closed: one line on stderr says which); 101 an internal error (a bug, one
line on stderr).
`exec` exits exactly as bwrap did (127 when no bwrap is found).";

#[derive(Parser, Debug)]
#[command(name = "bwrap-doctor", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// When to use color: auto (a terminal, unless `NO_COLOR` or TERM=dumb), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check whether bwrap sandboxes work on this host, and why not.
    #[command(after_help = "\
Examples:
  bwrap-doctor check
  bwrap-doctor check --json
  bwrap-doctor check --bwrap ~/.local/share/app/bwrap   # a vendored bwrap

Exit status: 0 every check passed or only warned; 1 a check failed; 2 usage error.")]
    Check {
        /// Check this bwrap binary instead of the one found on PATH.
        #[arg(long, value_name = "PATH")]
        bwrap: Option<PathBuf>,
        /// Print the report as JSON (schema bwrap-doctor/check, version 1).
        #[arg(long)]
        json: bool,
    },
    /// Explain a bwrap error captured elsewhere (a file, or stdin).
    #[command(after_help = "\
Examples:
  bwrap-doctor explain err.txt
  codex exec ls 2>&1 | bwrap-doctor explain
  bwrap-doctor explain err.txt -- --unshare-all --bind ~/proj ~/proj sh   # with the bwrap arguments
  bwrap-doctor explain err.txt --snapshot their-host.json                # against another host
  bwrap-doctor explain --last        # the whole diagnosis the shim last made for you

Pasted text may lack the `bwrap: ` prefix, be wrapped onto several lines, or be
retyped in other letter case or word forms (then the report says so).

Exit status: 0 a cause was confirmed; 1 none was; 2 usage or input error.")]
    Explain {
        /// The captured stderr; `-` or nothing for stdin.
        #[arg(value_name = "FILE")]
        input: Option<PathBuf>,
        /// Show the whole diagnosis the shim last made for this user (kept in
        /// $XDG_STATE_HOME/bwrap-doctor/last.json, ~/.local/state/…).
        #[arg(long, conflicts_with_all = ["input", "snapshot", "bwrap", "argv"])]
        last: bool,
        /// Diagnose against this recorded host (from `bwrap-doctor snapshot`) instead of this one.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// The bwrap binary that ran (default: the one found on PATH, or the snapshot's).
        #[arg(long, value_name = "PATH")]
        bwrap: Option<PathBuf>,
        /// Print the diagnosis as JSON (schema bwrap-doctor/diagnosis, version 1).
        #[arg(long)]
        json: bool,
        /// bwrap's arguments in the failing call (after `--`).
        #[arg(last = true, value_name = "BWRAP-ARGS")]
        argv: Vec<std::ffi::OsString>,
    },
    /// Record this host's facts as JSON, for a bug report or `explain --snapshot`.
    #[command(after_help = "\
Examples:
  bwrap-doctor snapshot -o host.json
  bwrap-doctor explain err.txt --snapshot host.json

The schema is documented in docs/snapshot.md (bwrap-doctor/snapshot, version 1).
It contains no file contents beyond /proc and /sys values, os-release, and the
headers of AppArmor profiles.")]
    Snapshot {
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Record facts about this bwrap binary (default: the one found on PATH).
        #[arg(long, value_name = "PATH")]
        bwrap: Option<PathBuf>,
        /// Read the host from this directory tree instead of / (for tests).
        #[arg(long, value_name = "DIR", hide = true)]
        root: Option<PathBuf>,
    },
    /// Print the fixes for this host as commands to paste; `--apply` installs them.
    #[command(after_help = "\
Examples:
  bwrap-doctor fix                                  # every fix `check` names for this host
  bwrap-doctor fix apparmor --bwrap ~/.codex/bwrap  # an AppArmor profile for that exact bwrap
  sudo bwrap-doctor fix apparmor --apply            # write it, load it, re-run the check
  sudo bwrap-doctor fix sysctl --apply              # re-enable the namespaces sysctls switch off

Exit status: 0 done, or nothing to do; 1 a check still fails; 2 the fix could not be made.")]
    Fix {
        #[command(subcommand)]
        what: Option<FixCommand>,
    },
    /// Work with rule files: list what is loaded, lint, run the rules' own examples.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Install the shim as `bwrap` in a directory in front of the real one on PATH.
    #[command(after_help = "\
Examples:
  bwrap-doctor install                  # ~/.local/bin/bwrap
  sudo bwrap-doctor install --dir /usr/local/bin

The shim is a hard link to this program (a copy across file systems). It
refuses to overwrite a real bwrap and never installs as /usr/bin/bwrap.")]
    Install {
        /// Directory to put `bwrap` in [default: ~/.local/bin].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Remove the shim installed by `install`.
    #[command(after_help = "Example:\n  bwrap-doctor uninstall")]
    Uninstall {
        /// Directory the shim was installed in [default: ~/.local/bin].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print shell completions for bwrap-doctor.
    #[command(after_help = "\
Examples:
  bwrap-doctor completions bash > ~/.local/share/bash-completion/completions/bwrap-doctor
  bwrap-doctor completions zsh > ~/.zfunc/_bwrap-doctor
  bwrap-doctor completions fish > ~/.config/fish/completions/bwrap-doctor.fish")]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(after_help = "\
Examples:
  bwrap-doctor man | man -l -
  sudo bwrap-doctor man --dir /usr/local/share/man/man1")]
    Man {
        /// Write bwrap-doctor.1 and bwrap-doctor-<command>.1 here instead of printing bwrap-doctor.1.
        // (The doc comment is clap's help text, not Markdown.)
        #[allow(rustdoc::invalid_html_tags)]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run bwrap through the shim: `bwrap-doctor exec -- ARGS…` is `bwrap ARGS…`.
    #[command(after_help = "Example:\n  bwrap-doctor exec -- --ro-bind / / --unshare-net true")]
    Exec {
        /// bwrap's arguments, passed on unchanged.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Subcommand, Debug)]
pub enum FixCommand {
    /// An `AppArmor` profile that lets this exact bwrap create user namespaces
    /// under Ubuntu's restriction (`kernel.apparmor_restrict_unprivileged_userns=1`).
    #[command(after_help = "\
Examples:
  bwrap-doctor fix apparmor                         # the bwrap found on PATH
  bwrap-doctor fix apparmor --bwrap /opt/app/bwrap  # a vendored or copied bwrap
  sudo bwrap-doctor fix apparmor --apply

The profile is written to /etc/apparmor.d/bwrap-doctor.<path.with.dots>;
--apply never replaces a file bwrap-doctor did not write, and puts the file
back if apparmor_parser refuses it.")]
    Apparmor {
        /// The bwrap to exempt [default: the one found on PATH].
        #[arg(long, value_name = "PATH")]
        bwrap: Option<PathBuf>,
        /// As root: write the profile, load it, and re-run the check.
        #[arg(long)]
        apply: bool,
    },
    /// A sysctl drop-in re-enabling the namespaces switched off on this host
    /// (`kernel.unprivileged_userns_clone`, user.max_*_namespaces).
    #[command(after_help = "\
Examples:
  bwrap-doctor fix sysctl
  sudo bwrap-doctor fix sysctl --apply

The file is /etc/sysctl.d/60-bwrap-userns.conf. AppArmor's restriction is
not lifted here: `bwrap-doctor fix apparmor` exempts just bwrap.")]
    Sysctl {
        /// As root: write the drop-in, set the values now, and re-run the check.
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rules in force, where each comes from, and what was overridden or disabled.
    #[command(after_help = "Example:\n  bwrap-doctor rules list")]
    List,
    /// Check every rule file (built-in, system, user, `BWRAP_DOCTOR_RULES`) and point at each problem.
    #[command(after_help = "\
Examples:
  bwrap-doctor rules lint
  BWRAP_DOCTOR_RULES=./my-rules.toml bwrap-doctor rules lint --project

The built-in rules are always held to the project's standard: every rule
has a positive and a negative example.
Exit status: 0 no errors (warnings allowed); 1 errors.")]
    Lint {
        /// Hold every file to the project's standard (examples of both kinds).
        #[arg(long)]
        project: bool,
    },
    /// Run every rule's own examples: validated, false positive, false negative.
    #[command(after_help = "\
Examples:
  bwrap-doctor rules test
  bwrap-doctor rules test apparmor        # the rules whose id contains 'apparmor'

Exit status: 0 every example validated; 1 otherwise.")]
    Test {
        /// Only the rules whose id contains this text.
        filter: Option<String>,
    },
}

/// Exit status when writing stdout failed for any reason but a reader that
/// is gone (ENOSPC on /dev/full, EBADF for a closed stdout, EIO…): the same
/// as a usage or input error.
pub const OUTPUT_ERROR: i32 = 2;

/// Exit status after an internal error (a panic, reported in one line): the
/// status Rust programs end with when they panic.
pub const INTERNAL_ERROR: i32 = 101;

/// The CLI from start to end; every way it ends comes back here as the exit
/// status, which `main` returns to the C runtime:
///
/// - everything it prints on stdout goes through `output::write_out`, which
///   keeps the first error; a reader that went away (EPIPE) is success, as
///   in ripgrep: exit 0, nothing said (SIGPIPE is ignored here, so a closed
///   pipe is an error to handle, never a kill by signal); any other output
///   error is one line on stderr and [`OUTPUT_ERROR`];
/// - a panic is caught and reported in one line, with [`INTERNAL_ERROR`].
pub fn main() -> i32 {
    prepare_process();
    let _ = MAIN_THREAD.set(std::thread::current().id());
    std::panic::set_hook(Box::new(remember_panic));
    let Ok(code) = std::panic::catch_unwind(parse_and_run) else {
        let what = PANIC
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .unwrap_or_else(|| "a panic".into());
        output::error(&format!(
            "internal error: {what}; this is a bug in bwrap-doctor: please report it with the command you ran"
        ));
        return INTERNAL_ERROR;
    };
    match output::stdout_error() {
        None => code,
        // The reader went away (`… | head`): what it wanted, it has.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Some(e) if e.raw_os_error() == Some(libc::EBADF) => {
            output::error(&format!(
                "cannot write the output to stdout: {e}: stdout is closed; run with stdout open (a terminal, a pipe, or `> FILE`)"
            ));
            OUTPUT_ERROR
        }
        Some(e) => {
            output::error(&format!(
                "cannot write the output to stdout: {e}; the output is incomplete"
            ));
            OUTPUT_ERROR
        }
    }
}

/// What the Rust runtime would have done before `main` (see main.rs for why
/// it does not, for the shim): SIGPIPE ignored, so that writing to a closed
/// pipe fails with EPIPE rather than killing the process (std resets it to
/// the default in the programs the CLI runs); and closed standard fds
/// opened on /dev/null, so that no file the CLI opens becomes its stdout.
fn prepare_process() {
    use crate::sys::{fd as fds, signal};
    signal::set_disposition(libc::SIGPIPE, signal::Disposition::Ignore);
    for fd in 0..=2 {
        match fds::check_open(fd) {
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => {}
            _ => continue,
        }
        // The lowest free fd: `fd`, since the ones below it are open now.
        fds::occupy_with_dev_null(fd);
        match fd {
            0 => output::stdin_was_closed(),
            1 => output::stdout_was_closed(),
            _ => {}
        }
    }
}

static PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
static MAIN_THREAD: std::sync::OnceLock<std::thread::ThreadId> = std::sync::OnceLock::new();

/// The panic hook: keep the message and place for the one-line report,
/// instead of Rust's several lines.
fn remember_panic(info: &std::panic::PanicHookInfo) {
    let msg = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    let at = info
        .location()
        .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let text = format!("{msg}{at}");
    if MAIN_THREAD.get() != Some(&std::thread::current().id()) {
        // A helper thread's panic does not reach `main`'s catch: say it now.
        output::error(&format!("internal error in a helper thread: {text}"));
        return;
    }
    if let Ok(mut p) = PANIC.lock() {
        *p = Some(text);
    }
}

fn parse_and_run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version go to stdout, as clap prints them.
        Err(e) if !e.use_stderr() => {
            let text = e.render();
            if output::should_color(ColorChoice::Auto, output::stdout_is_terminal()) {
                crate::out!("{}", text.ansi());
            } else {
                crate::out!("{text}");
            }
            return e.exit_code();
        }
        // A usage error: once, with the same prefix as every other error,
        // and clap's usage line and hint after it. Exit 2, as documented.
        Err(e) => {
            let text = e.render().to_string();
            output::to_stderr(&format!(
                "bwrap-doctor: {}",
                text.strip_prefix("error: ").unwrap_or(&text)
            ));
            return 2;
        }
    };
    crate::fault::point("cli");
    run(cli)
}

fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check { bwrap, json } => {
            output::init_color(cli.color, output::stdout_is_terminal() && !json);
            let report = crate::check_install::run(bwrap.as_deref());
            if json {
                crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                crate::out!(
                    "{}",
                    bwrap_doctor_engine::check::render::human(&report, crate::output::color())
                );
            }
            report.exit_code()
        }
        Command::Explain {
            last: true, json, ..
        } => explain::last(json),
        Command::Explain {
            input,
            snapshot,
            bwrap,
            json,
            argv,
            last: false,
        } => explain::run(explain::Options {
            input,
            snapshot,
            bwrap,
            json,
            argv,
            color: cli.color,
        }),
        Command::Snapshot {
            output,
            bwrap,
            root,
        } => snapshot::run(snapshot::Options {
            output,
            bwrap,
            root,
        }),
        Command::Fix { what } => {
            output::init_color(cli.color, output::stdout_is_terminal());
            match what {
                None => fix::all(),
                Some(FixCommand::Apparmor { bwrap, apply }) => fix::apparmor(bwrap, apply),
                Some(FixCommand::Sysctl { apply }) => fix::sysctls(apply),
            }
        }
        Command::Rules(RulesCommand::List) => {
            output::init_color(cli.color, output::stdout_is_terminal());
            rules::list()
        }
        Command::Rules(RulesCommand::Lint { project }) => {
            let color = output::init_color(cli.color, output::stdout_is_terminal());
            rules::lint(project, color)
        }
        Command::Rules(RulesCommand::Test { filter }) => {
            output::init_color(cli.color, output::stdout_is_terminal());
            rules::test(filter.as_deref())
        }
        Command::Install { dir } => in_dir(dir, crate::install::install),
        Command::Uninstall { dir } => in_dir(dir, crate::install::uninstall),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "bwrap-doctor", &mut text);
            output::write_out(&text);
            0
        }
        Command::Man { dir } => man(dir.as_deref()),
        // Dispatched before clap; reached only if argv was unusual.
        Command::Exec { .. } => {
            output::error("exec must be the first argument: bwrap-doctor exec -- ARGS…");
            2
        }
    }
}

/// `install`/`uninstall` in `dir` (default ~/.local/bin): the report, or the error and 2.
fn in_dir(
    dir: Option<PathBuf>,
    f: fn(&std::path::Path) -> Result<String, crate::install::InstallError>,
) -> i32 {
    match dir
        .map_or_else(crate::install::default_dir, Ok)
        .and_then(|d| f(&d))
    {
        Ok(text) => {
            crate::out!("{text}");
            0
        }
        Err(e) => {
            output::error(&e.to_string());
            2
        }
    }
}

/// The manual pages, from the same definitions as `--help`.
fn man(dir: Option<&std::path::Path>) -> i32 {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        return match clap_mangen::Man::new(cmd).render(&mut page) {
            Ok(()) => {
                output::write_out(&page);
                0
            }
            Err(e) => {
                output::error(&format!("cannot make the manual page: {e}"));
                2
            }
        };
    };
    match std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir)) {
        Ok(()) => {
            crate::outln!("bwrap-doctor: wrote the manual pages to {}", dir.display());
            0
        }
        Err(e) => {
            output::error(&format!(
                "cannot write the manual pages to {}: {e}; choose another directory with --dir",
                dir.display()
            ));
            2
        }
    }
}
