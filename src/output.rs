//! How the command line talks to people: one `bwrap-doctor: ` prefix per
//! error, color decided once (flag, `NO_COLOR`, `TERM=dumb`, terminal), and
//! one writer for everything the CLI prints on stdout ([`out!`](crate::out),
//! [`outln!`](crate::outln), [`write_out`]) that keeps the first write error
//! for `cli::main` to report once, instead of panicking as `println!` does.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: OnceLock<bool> = OnceLock::new();

/// Decide once, for the stream the report goes to.
pub fn init_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    *COLOR.get_or_init(|| should_color(choice, stream_is_terminal))
}

/// The rule, as a pure function (`NO_COLOR` wins over a terminal; an
/// explicit `--color always` wins over everything).
#[must_use]
pub fn should_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            // NO_COLOR, or `no_color = true` in the configuration file.
            let no_color = crate::config::current().no_color;
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            !no_color && !dumb && stream_is_terminal
        }
    }
}

#[must_use]
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

fn enabled() -> bool {
    *COLOR.get().unwrap_or(&false)
}

pub use bwrap_doctor_engine::report::style::{Style, paint_if};

/// Whether color is on (decided once by [`init_color`]; off before).
#[must_use]
pub fn color() -> bool {
    enabled()
}

/// `text` in `style` when color is on.
#[must_use]
pub fn paint(style: Style, text: &str) -> String {
    paint_if(enabled(), style, text)
}

/// Print an error once, with the prefix, to stderr.
pub fn error(msg: &str) {
    to_stderr(&format!("bwrap-doctor: {msg}\n"));
}

/// Print a warning once, with the prefix, to stderr.
pub fn warn(msg: &str) {
    to_stderr(&format!("bwrap-doctor: warning: {msg}\n"));
}

/// Write `text` to stderr as it is. A failure is ignored: stderr is where
/// failures are reported, so there is nowhere left to say it (and unlike
/// `eprint!`, this never panics).
pub fn to_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The CLI's stdout: the first write error, after which nothing more is
/// written, and whether fd 1 was closed when the program started.
struct Stdout {
    error: Option<std::io::Error>,
    closed: bool,
}

static STDOUT: Mutex<Stdout> = Mutex::new(Stdout {
    error: None,
    closed: false,
});

fn stdout_state() -> std::sync::MutexGuard<'static, Stdout> {
    STDOUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Fd 1 was not open when the CLI started (it now points at /dev/null, so
/// that no file the CLI opens lands on it): every write fails with EBADF,
/// as it would have (std's own stdout would silently drop the output).
pub fn stdout_was_closed() {
    stdout_state().closed = true;
}

static STDIN_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Fd 0 was not open when the CLI started (it now reads /dev/null).
pub fn stdin_was_closed() {
    STDIN_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether fd 0 was closed when the CLI started: reading it is an error
/// (EBADF), not an empty input.
#[must_use]
pub fn stdin_closed() -> bool {
    STDIN_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Write `bytes` to stdout, now (no buffer is left for later). After the
/// first error nothing more is written: [`stdout_error`] has it.
pub fn write_out(bytes: &[u8]) {
    let mut st = stdout_state();
    if st.error.is_some() || bytes.is_empty() {
        return;
    }
    if st.closed {
        st.error = Some(std::io::Error::from_raw_os_error(libc::EBADF));
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        st.error = Some(e);
    }
}

/// `format_args!` to stdout, through [`write_out`].
pub fn write_fmt(args: std::fmt::Arguments) {
    match args.as_str() {
        Some(s) => write_out(s.as_bytes()),
        None => write_out(args.to_string().as_bytes()),
    }
}

/// The first error writing stdout, if any (taken: asked once, at the end).
#[must_use]
pub fn stdout_error() -> Option<std::io::Error> {
    stdout_state().error.take()
}

/// `print!` for the CLI: through `write_out`, never a panic.
#[doc(hidden)]
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_fmt(format_args!($($arg)*))
    };
}

/// `println!` for the CLI: through `write_out`, never a panic.
#[doc(hidden)]
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_out(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
